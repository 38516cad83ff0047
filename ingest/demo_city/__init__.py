"""The demo city, Chaozhou (潮州): real district boundaries, generated zones, grid, roads, sensors."""
