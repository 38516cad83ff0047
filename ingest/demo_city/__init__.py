"""The demo city, Chaozhou (潮州): real districts; generated zones, grid, roads, sensors."""
