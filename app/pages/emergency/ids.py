"""Dash component ids of the emergency command screen, kebab-case and prefixed ``emergency-``
(the auth gate reads the prefix: only roles that may open /emergency run these callbacks)."""

# -- page state ------------------------------------------------------------------------------
SELECTED = "emergency-selected"
TICK = "emergency-tick"
REFRESH = "emergency-refresh"
MESSAGE = "emergency-message"
COUNT = "emergency-count"

# -- incident list and the new-incident form -------------------------------------------------
LIST = "emergency-list"
LIST_FILTER = "emergency-list-filter"
NEW_TYPE = "emergency-new-type"
NEW_LEVEL = "emergency-new-level"
NEW_TITLE = "emergency-new-title"
NEW_LON = "emergency-new-lon"
NEW_LAT = "emergency-new-lat"
NEW_EXERCISE = "emergency-new-exercise"
NEW_SUBMIT = "emergency-new-submit"
NEW_BOX = "emergency-new-box"
CAP_LIST = "emergency-cap-list"

# -- map ---------------------------------------------------------------------------------------
MAP = "emergency-map"
MAP_CONFIG = "emergency-map-config"
MAP_LAYERS = "emergency-map-layers"
MAP_MOUNTED = "emergency-map-mounted"
MAP_SELECTION = "emergency-map-selection"
MAP_POINT = "emergency-map-point"
MAP_SINK = "emergency-map-sink"

# -- the selected incident ---------------------------------------------------------------------
SUMMARY = "emergency-summary"
LEVEL = "emergency-level"
LEVEL_SET = "emergency-level-set"
CLOSE = "emergency-close"
REOPEN = "emergency-reopen"
NOTE = "emergency-note"
NOTE_ADD = "emergency-note-add"
SITREP = "emergency-sitrep"
TABS = "emergency-tabs"

TASKS = "emergency-tasks"
PLAN_ACTIVATE = "emergency-plan-activate"

NEAREST = "emergency-nearest"
NEAREST_KIND = "emergency-nearest-kind"
NEAREST_NEED = "emergency-nearest-need"

BOARD = "emergency-board"
ORDERS = "emergency-orders"

TIMELINE = "emergency-timeline"
TIMELINE_CSV = "emergency-timeline-csv"

CAMERAS = "emergency-cameras"

# -- warning composer --------------------------------------------------------------------------
W_EVENT = "emergency-w-event"
W_SEVERITY = "emergency-w-severity"
W_URGENCY = "emergency-w-urgency"
W_CERTAINTY = "emergency-w-certainty"
W_HEADLINE_ZH = "emergency-w-headline-zh"
W_HEADLINE_EN = "emergency-w-headline-en"
W_DESC_ZH = "emergency-w-desc-zh"
W_DESC_EN = "emergency-w-desc-en"
W_INSTR_ZH = "emergency-w-instr-zh"
W_INSTR_EN = "emergency-w-instr-en"
W_AREA_MODE = "emergency-w-area-mode"
W_RADIUS = "emergency-w-radius"
W_CODES = "emergency-w-codes"
W_HOURS = "emergency-w-hours"
W_PREVIEW = "emergency-w-preview"
W_REACH = "emergency-w-reach"
W_REACH_AREA = "emergency-w-reach-area"
W_DRAFT = "emergency-w-draft"
W_LIST = "emergency-w-list"
W_MESSAGE = "emergency-w-message"
#: The composer's text and choice fields, in the order the callbacks read them.
W_FIELDS = (
    W_EVENT, W_SEVERITY, W_URGENCY, W_CERTAINTY, W_HEADLINE_ZH, W_HEADLINE_EN, W_DESC_ZH,
    W_DESC_EN, W_INSTR_ZH, W_INSTR_EN, W_AREA_MODE, W_RADIUS, W_CODES, W_HOURS,
)  # fmt: skip

#: What the buttons in the panels write (assets/emergency.js listens to clicks on any element
#: with ``data-act="<group>:<act>"`` and ``data-arg``, and sets ``emergency-act-<group>`` to
#: ``{"act", "arg", "t"}``): a click counts even while a refresh redraws its panel.
ACT_PICK = "emergency-act-pick"  # pick: an incident of the list
ACT_CAP = "emergency-act-cap"  # open: an imported CAP alert
ACT_TASK = "emergency-act-task"  # done: a plan task's number
ACT_UNIT = "emergency-act-unit"  # send: a unit; cancel: an order
ACT_WARNING = "emergency-act-warning"  # approve, publish: a warning's identifier
ACT_STORES = (ACT_PICK, ACT_CAP, ACT_TASK, ACT_UNIT, ACT_WARNING)
