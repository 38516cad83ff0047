"""Dash component ids of the admin page, kebab-case and prefixed ``admin-`` (the auth gate
reads the prefix: only admins run these callbacks; every callback checks again itself)."""

# -- the page ---------------------------------------------------------------------------------
TABS = "admin-tabs"
PANEL = "admin-panel"
NOTICE = "admin-notice"

# -- users (users.py) -------------------------------------------------------------------------
USERS = "admin-users"

# -- dead letters (dead_letters.py) -----------------------------------------------------------
DEAD_LETTERS = "admin-dead-letters"
