"""The /admin page (系统管理): registered here; layout in layout.py, one module per tab, each
with its panel and its callbacks."""

from __future__ import annotations

import dash

import app.pages.admin.categories_callbacks  # registers the categories tab's callbacks
import app.pages.admin.duties_callbacks  # noqa: F401  (registers the duties tab's callbacks)
from app.i18n import t
from app.pages.admin import (
    grids_callbacks,  # noqa: F401  (registers the grids tab's callbacks)
    users_callbacks,  # noqa: F401  (registers the users tab's callbacks)
)
from app.pages.admin.layout import layout

dash.register_page(
    "admin",
    path="/admin",
    name="admin",
    title=f"CityOps · {t('nav.admin')}",
    layout=layout,
)
