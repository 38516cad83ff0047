"""Admin tab 'sensors' (传感器与规则): the sensor registry (sensors_registry.py) and the alarm
rules with their dry run and versions (sensors_rules.py); importing this module registers
both parts' callbacks."""

from __future__ import annotations

from typing import Any

from dash import html

from app.pages.admin.sensors_registry import registry_section
from app.pages.admin.sensors_rules import rules_section


def panel(lang: str, query: dict[str, str]) -> Any:
    return html.Div(
        className="admin-sensors", children=[registry_section(lang), rules_section(lang)]
    )
