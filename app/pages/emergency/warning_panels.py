"""The warning composer (预警发布) of the emergency screen: its fields, the reach preview, and
the incident's warnings with their state (draft → approved → published) and the steps the
reader may take. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from app.i18n import t
from app.pages.emergency import ids
from app.pages.emergency.incident_panels import act_button
from app.pages.emergency.logic import HOURS, RADIUS_KM, local_time
from models.emergency.warning_content import CERTAINTIES, EVENTS, SEVERITIES, URGENCIES

#: The steps a warning's row offers, in order (the server checks each again).
STEPS = ("approve", "publish")


def _field(label_key: str, lang: str, control: Any, cls: str = "") -> html.Label:
    return html.Label([html.Span(t(label_key, lang)), control], className=f"em-field {cls}")


def _pair(key: str, zh_id: str, en_id: str, lang: str, *, rows: int, max_len: int) -> html.Div:
    def area(id_: str, hint: str) -> Any:
        if rows == 1:
            return dcc.Input(id=id_, type="text", maxLength=max_len, placeholder=hint,
                             className="em-input")  # fmt: skip
        return dcc.Textarea(id=id_, rows=rows, maxLength=max_len, placeholder=hint,
                            className="em-input")  # fmt: skip

    return html.Div(
        className="em-pair",
        children=[
            html.Div(t(key, lang), className="em-pair-title"),
            area(zh_id, t("emergency.w_zh", lang)),
            area(en_id, t("emergency.w_en", lang)),
        ],
    )


def composer(lang: str, district_options: list[dict[str, str]]) -> list[Any]:
    """The composer's fields (filled from the selected incident by a callback)."""

    def choice(id_: str, values: Sequence[str], label: Any, value: str) -> dcc.Dropdown:
        return dcc.Dropdown(
            id=id_,
            options=[{"label": label(v), "value": v} for v in values],
            value=value,
            clearable=False,
            className="em-dd",
        )

    event_label = (lambda v: EVENTS[v][1]) if lang == "zh" else (lambda v: EVENTS[v][2])
    return [
        html.Div(
            className="em-grid2",
            children=[
                _field(
                    "emergency.w_event",
                    lang,
                    choice(ids.W_EVENT, tuple(EVENTS), event_label, "flood"),
                ),
                _field(
                    "emergency.w_severity",
                    lang,
                    choice(
                        ids.W_SEVERITY,
                        SEVERITIES,
                        lambda v: t(f"emergency.severity_{v}", lang),
                        "Moderate",
                    ),
                ),
                _field(
                    "emergency.w_urgency",
                    lang,
                    choice(
                        ids.W_URGENCY,
                        URGENCIES,
                        lambda v: t(f"emergency.urgency_{v}", lang),
                        "Immediate",
                    ),
                ),
                _field(
                    "emergency.w_certainty",
                    lang,
                    choice(
                        ids.W_CERTAINTY,
                        CERTAINTIES,
                        lambda v: t(f"emergency.certainty_{v}", lang),
                        "Likely",
                    ),
                ),
            ],
        ),  # fmt: skip
        _pair(
            "emergency.w_headline", ids.W_HEADLINE_ZH, ids.W_HEADLINE_EN, lang, rows=1, max_len=200
        ),
        _pair("emergency.w_description", ids.W_DESC_ZH, ids.W_DESC_EN, lang, rows=2, max_len=4000),
        _pair(
            "emergency.w_instruction", ids.W_INSTR_ZH, ids.W_INSTR_EN, lang, rows=2, max_len=2000
        ),  # fmt: skip
        html.Div(
            className="em-grid2",
            children=[
                _field(
                    "emergency.w_area",
                    lang,
                    dcc.RadioItems(
                        id=ids.W_AREA_MODE,
                        options=[
                            {"label": t("emergency.w_area_circle", lang), "value": "circle"},
                            {"label": t("emergency.w_area_codes", lang), "value": "codes"},
                        ],
                        value="circle",
                        inline=True,
                        className="em-radio",
                    ),
                ),
                _field(
                    "emergency.w_radius",
                    lang,
                    dcc.Input(
                        id=ids.W_RADIUS,
                        type="number",
                        value=3,
                        min=RADIUS_KM[0],
                        max=RADIUS_KM[1],
                        step=0.1,
                        className="em-input",
                    ),  # fmt: skip
                ),
            ],
        ),
        _field(
            "emergency.w_codes",
            lang,
            dcc.Dropdown(
                id=ids.W_CODES,
                options=district_options,
                multi=True,
                value=[],
                placeholder=t("emergency.w_codes_hint", lang),
                className="em-dd",
            ),
        ),  # fmt: skip
        html.Div(
            className="em-row",
            children=[
                _field(
                    "emergency.w_hours",
                    lang,
                    dcc.Input(
                        id=ids.W_HOURS,
                        type="number",
                        value=12,
                        min=HOURS[0],
                        max=HOURS[1],
                        step=1,
                        className="em-input em-narrow",
                    ),
                ),  # fmt: skip
                html.Button(t("emergency.w_preview", lang), id=ids.W_PREVIEW, n_clicks=0),
                html.Button(
                    t("emergency.w_draft", lang), id=ids.W_DRAFT, n_clicks=0, className="primary"
                ),  # fmt: skip
            ],
        ),
        html.Div(id=ids.W_REACH, className="em-reach"),
    ]


def reach_text(reach: Mapping[str, Any], lang: str) -> html.Div:
    """The reach preview: cells and the population estimate."""
    population = reach.get("population")
    people = (
        t("emergency.w_people", lang, n=f"{int(population):,}")
        if population is not None
        else t("emergency.w_people_unknown", lang)
    )
    missing = reach.get("cells_without_population") or 0
    parts = [t("emergency.w_cells", lang, n=reach.get("cell_count", 0)), people]
    if missing:
        parts.append(t("emergency.w_cells_unknown", lang, n=missing))
    return html.Div(" · ".join(parts), className="em-reach-line")


def warning_rows(
    warnings: Sequence[Mapping[str, Any]], *, lang: str, tz: str, user: str
) -> list[Any]:
    """The incident's warnings: headline, colour, state, who drafted and approved, and the
    steps the reader may take (an author is told a second person approves)."""
    if not warnings:
        return [html.Div(t("emergency.w_none", lang), className="em-empty")]
    out = []
    for w in warnings:
        content = w.get("content") or {}
        headline = (content.get("headline") or {}).get("en" if lang == "en" else "zh", w["id"])
        state = str(w.get("state"))
        who = [t("emergency.w_drafted_by", lang, by=w.get("drafted_by") or "—")]
        if w.get("approved_by"):
            who.append(t("emergency.w_approved_by", lang, by=w["approved_by"]))
        if w.get("published_at"):
            who.append(t("emergency.w_published_at", lang,
                         at=local_time(_utc(w["published_at"]), tz)))  # fmt: skip
        allowed = w.get("allowed_actions") or []
        buttons: list[Any] = [
            act_button(
                t(f"emergency.w_{step}", lang),
                ids.ACT_WARNING,
                step,
                w["id"],
                cls="primary small" if step == "publish" else "small",
            )  # fmt: skip
            for step in STEPS
            if step in allowed
        ]
        if state == "draft" and user in (w.get("editors") or []):
            buttons.append(html.Span(t("emergency.w_needs_other", lang), className="em-muted"))
        if w.get("xml_url"):
            buttons.append(html.A("CAP XML", href=w["xml_url"], target="_blank",
                                  rel="noopener noreferrer", className="em-link"))  # fmt: skip
        colour = str(w.get("colour") or "")
        out.append(
            html.Div(
                className=f"em-warning w-{colour}",
                **{"data-id": str(w["id"]), "data-state": state},
                children=[
                    html.Div(
                        [
                            html.Span(
                                t(f"emergency.w_state_{state}", lang),
                                className=f"em-badge w-state-{state}",
                            ),
                            html.Span(str(headline), className="em-w-headline"),
                        ],
                    ),  # fmt: skip
                    html.Div(" · ".join(who), className="em-item-sub"),
                    html.Div(buttons, className="em-row"),
                ],
            )
        )
    return out


def _utc(value: object) -> Any:
    """An ISO text with ``Z`` (as the service gives it) as naive UTC, for local_time."""
    from datetime import datetime

    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", ""))
        except ValueError:
            return None
    return value
