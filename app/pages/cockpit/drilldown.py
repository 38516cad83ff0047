"""The cockpit's drill-down, pure: what a click asks for (checked, ids come from the browser),
the rows of the list of cases behind a figure, and the compact card of one case."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from app.i18n import t
from app.pages.cockpit.logic import RANK_FIGURES, RANK_GROUPS, Invalid
from app.pages.dispatch.logic import local_time, time_left_text
from models.workflow import stage_label

#: Rows a drill-down list holds at most (the figure is still the whole count).
MAX_LIST = 20_000
_INDICATOR_ID = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


@dataclass(frozen=True)
class Drill:
    """What a drill-down click asks for: an indicator's cases, or a ranking figure's."""

    kind: str  # 'indicator' | 'ranking'
    indicator: str = ""
    by: str = ""
    value: str | None = None
    figure: str = ""


def drill_request(trigger: object) -> Drill:
    """The drill-down a clicked id names, checked (ids come from the browser).

    Raises
    ------
    Invalid
        Anything but an indicator tile's or a ranking figure's id of known parts.
    """
    if not isinstance(trigger, Mapping):
        raise Invalid("cockpit.bad_drill")
    kind = trigger.get("type")
    if kind == "cockpit-ind":
        ident = trigger.get("id")
        if isinstance(ident, str) and _INDICATOR_ID.fullmatch(ident):
            return Drill("indicator", indicator=ident)
    elif kind == "cockpit-rank-fig":
        by, value, figure = trigger.get("by"), trigger.get("value"), trigger.get("figure")
        if (
            by in RANK_GROUPS
            and figure in RANK_FIGURES
            and isinstance(value, str)
            and len(value) <= 100
            and value.isprintable()
        ):
            return Drill("ranking", by=str(by), value=value or None, figure=str(figure))
    raise Invalid("cockpit.bad_drill")


def clicks_of(trigger: object, inputs: object) -> object:
    """The ``n_clicks`` of the clicked component ``trigger`` among the callback's inputs.

    Dash keys ``ctx.triggered[0]["value"]`` by the id re-encoded with ``\\u`` escapes, while
    the browser sends a non-ASCII id (a ranking group named in Chinese) in raw UTF-8: the
    value is then lost. The parsed id is compared to each input's id instead.
    """
    for item in inputs if isinstance(inputs, list) else []:
        for one in item if isinstance(item, list) else [item]:
            if isinstance(one, Mapping) and one.get("id") == trigger:
                return one.get("value")
    return None


def case_rows(frame: pd.DataFrame, *, lang: str, tz: str,
              names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The rows of a drill-down list: id, category, stage, place, registered, counted."""
    names = names or {}
    out = []
    for r in frame.head(MAX_LIST).to_dict("records"):
        code = r.get("category_code")
        place = " · ".join(
            names.get(c, c)
            for c in (r.get("district_code"), r.get("street_code"))
            if isinstance(c, str) and c
        )
        flag = r.get("in_numerator")
        out.append(
            {
                "case_id": str(r.get("case_id")),
                "category": names.get(f"cat:{code}", str(code or "—")),
                "stage": stage_label(str(r.get("stage") or ""), lang),
                "place": place or "—",
                "registered": local_time(_instant(r.get("registered_at")), tz),
                "counted": "" if flag is None or pd.isna(flag) else ("✓" if bool(flag) else "✗"),
            }
        )
    return out


def _instant(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and not hasattr(value, "to_pydatetime")):
        return None
    if pd.isna(value):
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def counted(frame: pd.DataFrame) -> int | None:
    """How many of a list are above the line of a rate (``in_numerator``); None for counts."""
    if "in_numerator" not in frame or frame.empty:
        return None
    flags = frame["in_numerator"]
    if flags.isna().all() or bool(flags.fillna(True).astype(bool).all()):
        return None
    return int(flags.fillna(False).astype(bool).sum())


def case_id_of(cell: object) -> str | None:
    """The case id of a clicked drill-down row (dash-ag-grid's ``cellClicked``)."""
    if not isinstance(cell, Mapping):
        return None
    ident = cell.get("rowId")
    if isinstance(ident, str) and 0 < len(ident) <= 64 and ident.isprintable():
        return ident
    return None


def card_data(
    view: Mapping[str, Any], *, lang: str, tz: str, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The compact case card from ``models.case_view.case_view``: id, category, stage,
    place (address, else district and street by ``names``), SLA standing and history
    (actions in the reader's words)."""
    names = names or {}
    category = view.get("category") or {}
    name = category.get(f"name_{lang}") or category.get("name_zh") or category.get("code") or "—"
    sla = view.get("sla")
    if isinstance(sla, Mapping):
        sla_text = time_left_text(sla.get("left_s"), lang)
        sla_level = sla.get("level") if sla.get("level") in ("green", "yellow", "red") else "none"
    else:
        sla_text, sla_level = "—", "none"
    areas = [
        names.get(c, c)
        for c in (view.get("district_code"), view.get("street_code"))
        if isinstance(c, str) and c
    ]
    place = view.get("address") or " · ".join(areas) or view.get("cell_code") or "—"
    history = [
        {
            "at": local_time(h.get("at"), tz),
            "action": t(f"dispatch.action_{h.get('action')}", lang) if h.get("action") else "",
            "to": stage_label(str(h.get("to") or ""), lang) if h.get("to") else "",
            "actor": str(h.get("actor") or ""),
            "note": str(h.get("note") or ""),
        }
        for h in view.get("history") or []
    ]
    labels = view.get("stage_label") or {}
    return {
        "id": str(view.get("id")),
        "category": f"{category.get('code') or ''} {name}".strip(),
        "stage": labels.get(lang) or str(view.get("stage") or ""),
        "place": str(place),
        "unit": str(view.get("unit_name") or view.get("unit") or "—"),
        "reported": local_time(view.get("reported_at"), tz),
        "sla": sla_text,
        "sla_level": sla_level,
        "description": str(view.get("description") or ""),
        "history": history,
    }
