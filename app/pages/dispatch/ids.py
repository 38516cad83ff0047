"""Dash component ids of the dispatch console, kebab-case and prefixed ``dispatch-`` (the auth
gate reads the prefix: only roles that may open /dispatch run these callbacks)."""

# -- queue ---------------------------------------------------------------------------------
GRID = "dispatch-grid"
COUNT = "dispatch-count"
NEW_BADGE = "dispatch-new"
TICK = "dispatch-tick"
SEQ = "dispatch-seq"
REFRESH = "dispatch-refresh"
UI_SINK = "dispatch-ui-sink"

F_STAGE = "dispatch-f-stage"
F_CATEGORY = "dispatch-f-category"
F_DISTRICT = "dispatch-f-district"
F_STREET = "dispatch-f-street"
F_SOURCE = "dispatch-f-source"
F_DUE = "dispatch-f-due"
F_EXERCISE = "dispatch-f-exercise"
F_TEXT = "dispatch-f-text"
F_FLAGS = "dispatch-f-flags"
F_RESET = "dispatch-f-reset"
FILTERS = (F_STAGE, F_CATEGORY, F_DISTRICT, F_STREET, F_SOURCE, F_DUE, F_EXERCISE, F_TEXT, F_FLAGS)

# -- case pane -----------------------------------------------------------------------------
OPEN = "dispatch-open"
CASE = "dispatch-case"
PANE = "dispatch-pane"
PANE_HEAD = "dispatch-pane-head"
PANE_BODY = "dispatch-pane-body"
MAP = "dispatch-map"
MAP_CONFIG = "dispatch-map-config"
MAP_MOUNTED = "dispatch-map-mounted"
MAP_SELECTION = "dispatch-map-selection"
MESSAGE = "dispatch-message"

# -- actions on the open case --------------------------------------------------------------
ACTIONS_BOX = "dispatch-actions"
NOTE = "dispatch-note"
CANNED = "dispatch-canned"
VOID_REASON = "dispatch-void-reason"
MERGE_INTO = "dispatch-merge-into"
MERGE_TYPED = "dispatch-merge-typed"
CATEGORY = "dispatch-category"
RECAT_REASON = "dispatch-recat-reason"
UNIT = "dispatch-unit"
OVERRIDE_REASON = "dispatch-override-reason"
DENY_REASON = "dispatch-deny-reason"
CLAIM = "dispatch-claim"
UNCLAIM = "dispatch-unclaim"

#: Workflow action -> its button's id ("dispatch" takes the suggestion in one click;
#: "dispatch_override" sends the chosen unit and the reason).
ACTION_BUTTONS: dict[str, str] = {
    "accept": "dispatch-act-accept",
    "register": "dispatch-act-register",
    "dispatch": "dispatch-act-dispatch",
    "dispatch_override": "dispatch-act-dispatch-override",
    "void": "dispatch-act-void",
    "merge": "dispatch-act-merge",
    "recategorise": "dispatch-act-recategorise",
    "approve_extension": "dispatch-act-approve-extension",
    "deny_extension": "dispatch-act-deny-extension",
    "supervise": "dispatch-act-supervise",
    "verify_ok": "dispatch-act-verify-ok",
    "verify_fail": "dispatch-act-verify-fail",
    "close": "dispatch-act-close",
}

# -- bulk on the selection -----------------------------------------------------------------
BULK_BAR = "dispatch-bulk"
BULK_COUNT = "dispatch-bulk-count"
BULK_VOID_REASON = "dispatch-bulk-void-reason"
BULK_MERGE_INTO = "dispatch-bulk-merge-into"
BULK_RESULT = "dispatch-bulk-result"
BULK_BUTTONS: dict[str, str] = {
    "accept": "dispatch-bulk-accept",
    "register": "dispatch-bulk-register",
    "dispatch": "dispatch-bulk-dispatch",
    "void": "dispatch-bulk-void",
    "merge": "dispatch-bulk-merge",
}

HELP = "dispatch-help"
