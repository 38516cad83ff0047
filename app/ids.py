"""Dash component ids, kebab-case, prefixed by the page that owns them (the auth gate reads
the prefix to decide which role may run a callback)."""

SHELL_CLOCK = "shell-clock"
SHELL_CLOCK_TICK = "shell-clock-tick"

SCREEN_MAP = "screen-map"
SCREEN_KPIS = "screen-kpis"
SCREEN_KPI_TICK = "screen-kpi-tick"
SCREEN_LAYERS = "screen-layers"

ADMIN_USERS = "admin-users"
ADMIN_DEAD_LETTERS = "admin-dead-letters"
