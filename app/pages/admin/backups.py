"""Admin tab 'backups' (being built for issue 14)."""

from __future__ import annotations

from typing import Any

from dash import html

from app.i18n import t


def panel(lang: str, query: dict[str, str]) -> Any:
    return html.H2(t("admin.tab.backups", lang))
