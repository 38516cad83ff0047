"""Dash ids of the /field page (kebab-case, all prefixed ``field-`` so the gate knows them)."""

from __future__ import annotations

ROOT = "field-root"
TABS = "field-tabs"
PANEL_REPORT = "field-panel-report"
PANEL_TASKS = "field-panel-tasks"
PANEL_PATROL = "field-panel-patrol"
ROLE = "field-role"

# position: the browser's GPS fix, or a tap on the small map
GPS = "field-gps"
GPS_BUTTON = "field-gps-button"
MAP = "field-map"
MAP_CONFIG = "field-map-config"

# report
CAT_SEARCH = "field-cat-search"
CAT_LIST = "field-cat-list"
REPORT_TEXT = "field-report-text"
REPORT_PHOTOS = "field-report-photos"
REPORT_PHOTO_LIST = "field-report-photo-list"
REPORT_WHERE = "field-report-where"
REPORT_SUBMIT = "field-report-submit"
REPORT_CONFIRM = "field-report-confirm"
REPORT_CANCEL = "field-report-cancel"
REPORT_DUPES = "field-report-dupes"
REPORT_MESSAGE = "field-report-message"
REPORT_TOKEN = "field-report-token"

# tasks
TASK_LIST = "field-task-list"
TASK_REFRESH = "field-task-refresh"
TASK_SELECTED = "field-task-selected"
TASK_DETAIL = "field-task-detail"
TASK_NOTE = "field-task-note"
TASK_HOURS = "field-task-hours"
TASK_PHOTO = "field-task-photo"
TASK_PHOTO_LIST = "field-task-photo-list"
TASK_MESSAGE = "field-task-message"
TASK_DONE = "field-task-done"
#: Pattern-matching types: a task card's open button, an action button.
TASK_OPEN = "field-task-open"
TASK_ACT = "field-task-act"

# patrol
PATROL_BUTTON = "field-patrol-button"
PATROL_FIX = "field-patrol-fix"
PATROL_NOTE = "field-patrol-note"
PATROL_RESULT = "field-patrol-result"
PATROL_LIST = "field-patrol-list"
REPORT_DUPES_BOX = "field-report-dupes-box"
TASK_FORM = "field-task-form"
MAP_HERE = "field-map-here"
MAP_MOUNTED = "field-map-mounted"
TASK_BUTTONS = "field-task-buttons"
TASK_TICK = "field-task-tick"
TASK_SEQ = "field-task-seq"
TASK_SEARCH = "field-task-search"
TASK_MORE = "field-task-more"
TASK_SHOWN = "field-task-shown"

# the outbox: reports kept on the phone while the server cannot be reached (field-outbox.js)
OUTBOX = "field-outbox"
OUTBOX_FIX = "field-outbox-fix"
