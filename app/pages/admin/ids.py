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
DL_CHANNEL = "admin-dl-channel"
DL_TEXT = "admin-dl-text"
DL_SINCE = "admin-dl-since"
DL_STATE = "admin-dl-state"
DL_PREV = "admin-dl-prev"
DL_NEXT = "admin-dl-next"
DL_PAGE = "admin-dl-page"
DL_COUNT = "admin-dl-count"
DL_MESSAGE = "admin-dl-message"
DL_REFRESH = "admin-dl-refresh"
DL_REINGEST_PICKED = "admin-dl-reingest-picked"
#: pattern-matching types: one re-ingest button and one tick box per row (``index``: its id)
DL_REINGEST_ROW = "admin-dl-reingest-row"
DL_PICK = "admin-dl-pick"

# -- audit log (audit.py) ---------------------------------------------------------------------
AUDIT_ACTOR = "admin-audit-actor"
AUDIT_ACTION = "admin-audit-action"
AUDIT_TARGET = "admin-audit-target"
AUDIT_FROM = "admin-audit-from"
AUDIT_TO = "admin-audit-to"
AUDIT_OUTCOME = "admin-audit-outcome"
AUDIT_PREV = "admin-audit-prev"
AUDIT_NEXT = "admin-audit-next"
AUDIT_PAGE = "admin-audit-page"
AUDIT_COUNT = "admin-audit-count"
AUDIT_TABLE = "admin-audit-table"
AUDIT_EXPORT = "admin-audit-export"
AUDIT_EXPORT_XLSX = "admin-audit-export-xlsx"
AUDIT_MESSAGE = "admin-audit-message"
