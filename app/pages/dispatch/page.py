"""The /dispatch page (the dispatcher's console): registered here; layout in layout.py,
callbacks in callbacks.py, pure logic in logic.py."""

from __future__ import annotations

import dash

from app.i18n import t
from app.pages.dispatch import bulk, callbacks  # noqa: F401  (register the page's callbacks)
from app.pages.dispatch.layout import layout

dash.register_page(
    "dispatch",
    path="/dispatch",
    name="dispatch",
    title=f"CityOps · {t('nav.dispatch')}",
    layout=layout,
)
