"""The incident list, the imported CAP alerts and the selected incident's summary as
components, from data the callbacks read. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dash import html

from app.i18n import t
from app.pages.emergency import ids
from app.pages.emergency.logic import elapsed_text, local_time


def act_button(label: str, store: str, act: str, arg: object, *, cls: str = "") -> html.Button:
    """A button the delegated click listener (assets/emergency.js) turns into
    ``{"act", "arg"}`` in ``store`` (one of :data:`app.pages.emergency.ids.ACT_STORES`)."""
    group = store.removeprefix("emergency-act-")
    return html.Button(label, className=cls, type="button",
                       **{"data-act": f"{group}:{act}", "data-arg": str(arg)})  # fmt: skip


def badge(text: str, cls: str) -> html.Span:
    return html.Span(text, className=f"em-badge {cls}")


def levelbadge(level: object, lang: str) -> html.Span:
    return badge(t(f"incident_level.{level}", lang), f"lv lv-{level}")


def empty(text: str) -> html.Div:
    return html.Div(text, className="em-empty")


def incident_list(
    items: Sequence[Mapping[str, Any]], selected: str | None, *, lang: str, now: datetime
) -> list[Any]:
    """One row per incident (open first, gravest first), its level's colour on its edge."""
    if not items:
        return [empty(t("emergency.no_incidents", lang))]
    rows = []
    for item in items:
        open_ = item["status"] == "open"
        marks = []
        if item.get("exercise"):
            marks.append(badge(t("exercise.legend", lang), "drill"))
        if not open_:
            marks.append(badge(t("emergency.status_closed", lang), "closed"))
        if item.get("tasks_overdue"):
            marks.append(badge(t("emergency.overdue_n", lang, n=item["tasks_overdue"]), "bad"))
        cls = f"em-item lv-edge-{item['level']}" + ("" if open_ else " is-closed")
        if item["incident_id"] == selected:
            cls += " is-selected"
        rows.append(
            html.Button(
                className=cls,
                type="button",
                **{
                    "data-id": item["incident_id"],
                    "data-act": "pick:pick",
                    "data-arg": item["incident_id"],
                },  # fmt: skip
                children=[
                    html.Div(
                        className="em-item-top",
                        children=[levelbadge(item["level"], lang), *marks],
                    ),
                    html.Div(item["title"], className="em-item-title"),
                    html.Div(
                        f"{t('incident_type.' + str(item['incident_type']), lang)} · "
                        f"{elapsed_text(item.get('opened_at'), now, lang)} · "
                        f"{t('emergency.tasks_done', lang, done=item.get('tasks_done', 0), total=item.get('tasks_total', 0))}",  # noqa: E501
                        className="em-item-sub",
                    ),
                ],
            )
        )
    return rows


def _severity(value: object, lang: str) -> str:
    if value in ("Extreme", "Severe", "Moderate", "Minor"):
        return t(f"emergency.severity_{value}", lang)
    return str(value or "—")


def cap_list(
    alerts: Sequence[Mapping[str, Any]], opened: Mapping[str, str], *, lang: str, tz: str
) -> list[Any]:
    """Imported CAP alerts in force, each with a button that opens an incident from it (or
    the incident it leads already)."""
    if not alerts:
        return [empty(t("emergency.no_cap", lang))]
    out = []
    for a in alerts:
        ident = str(a["identifier"])
        lead = opened.get(ident)
        action: Any = (
            html.Span(t("emergency.cap_opened", lang, id=lead), className="em-muted")
            if lead
            else act_button(
                t("emergency.cap_open", lang), ids.ACT_CAP, "open", ident, cls="primary small"
            )  # fmt: skip
        )
        marks = [badge(t("exercise.legend", lang), "drill")] if a.get("exercise") else []
        out.append(
            html.Div(
                className="em-cap",
                children=[
                    html.Div(
                        [*marks, html.Span(str(a.get("headline") or ident))],
                        className="em-cap-title",
                    ),  # fmt: skip
                    html.Div(
                        f"{_severity(a.get('severity'), lang)} · "
                        f"{local_time(a.get('sent'), tz, with_date=True)}",
                        className="em-item-sub",
                    ),
                    action,
                ],
            )
        )
    return out


def summary(incident: Mapping[str, Any], *, lang: str, tz: str, now: datetime) -> list[Any]:
    """The selected incident in a few lines: level, type, title, status, time, place."""
    marks = [levelbadge(incident["level"], lang)]
    if incident.get("exercise"):
        marks.append(badge(t("exercise.legend", lang), "drill"))
    state = "open" if incident["status"] == "open" else "closed"
    marks.append(badge(t(f"emergency.status_{state}", lang), f"state-{state}"))
    facts = [
        t("emergency.fact_type", lang, type=t(f"incident_type.{incident['incident_type']}", lang)),
        t("emergency.fact_opened", lang, at=local_time(incident.get("opened_at"), tz,
                                                       with_date=True)),
        t("emergency.fact_elapsed", lang, d=elapsed_text(incident.get("opened_at"), now, lang)),
        t("emergency.fact_place", lang, lon=f"{incident['lon']:.5f}", lat=f"{incident['lat']:.5f}"),
        t(f"emergency.source_{incident.get('source_kind') or 'screen'}", lang),
    ]  # fmt: skip
    return [
        html.Div(
            className="em-sum-top",
            children=[*marks, html.Span(incident["incident_id"], className="em-id")],
        ),  # fmt: skip
        html.Div(incident["title"], className="em-sum-title"),
        html.Div([html.Span(f, className="em-fact") for f in facts], className="em-facts"),
    ]
