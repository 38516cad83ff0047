"""The /cockpit page (the leader cockpit, 领导驾驶舱): registered here; layout in layout.py,
callbacks in callbacks.py, pure logic in logic.py, charts in charts.py."""

from __future__ import annotations

import dash

from app.i18n import t
from app.pages.cockpit import callbacks  # noqa: F401  (register the page's callbacks)
from app.pages.cockpit.layout import layout

dash.register_page(
    "cockpit",
    path="/cockpit",
    name="cockpit",
    title=f"CityOps · {t('nav.cockpit')}",
    layout=layout,
)
