"""Dash component ids of the leader cockpit, kebab-case and prefixed ``cockpit-`` (the auth gate
reads the prefix: only roles that may open /cockpit run these callbacks)."""

# -- period picker ---------------------------------------------------------------------------
KIND = "cockpit-kind"
VALUE = "cockpit-value"
FROM = "cockpit-from"
TO = "cockpit-to"
CUSTOM_BOX = "cockpit-custom"
APPLY = "cockpit-apply"
PERIOD = "cockpit-period"
PERIOD_LABEL = "cockpit-period-label"
MESSAGE = "cockpit-message"

# -- summary, indicators and charts ----------------------------------------------------------
SCORE = "cockpit-score"
RADAR = "cockpit-radar"
DIMENSIONS = "cockpit-dimensions"
INDICATORS = "cockpit-indicators"
TRENDS = "cockpit-trends"
CATEGORIES = "cockpit-categories"
HEAT = "cockpit-heat"

# -- rankings ----------------------------------------------------------------------------------
RANK_BY = "cockpit-rank-by"
RANKING = "cockpit-ranking"
WEIGHTS = "cockpit-weights"

# -- drill-down --------------------------------------------------------------------------------
DRILL = "cockpit-drill"
DRILL_HEAD = "cockpit-drill-head"
DRILL_CLOSE = "cockpit-drill-close"
CASES = "cockpit-cases"
CARD = "cockpit-card"

# -- reports -----------------------------------------------------------------------------------
REPORTS = "cockpit-reports"

#: Pattern-matching ids: an indicator tile, a ranking figure.
IND = "cockpit-ind"
RANK_FIG = "cockpit-rank-fig"
