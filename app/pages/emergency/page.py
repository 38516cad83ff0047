"""The /emergency page (the emergency command screen, 应急指挥): registered here; layout in
layout.py, the reading callbacks in callbacks.py, actions on incidents in actions.py, units in
units.py, warnings in warnings_cb.py, the map in mapcb.py; pure logic in logic.py."""

from __future__ import annotations

import dash

from app.i18n import t
from app.pages.emergency import (  # noqa: F401  (register the page's callbacks)
    actions,
    callbacks,
    mapcb,
    units,
    warnings_cb,
)
from app.pages.emergency.layout import layout

dash.register_page(
    "emergency",
    path="/emergency",
    name="emergency",
    title=f"CityOps · {t('nav.emergency')}",
    layout=layout,
)
