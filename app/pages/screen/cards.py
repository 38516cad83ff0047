"""The card a click on the wall opens: a case, sensor, road segment, incident, resource or cell."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from dash import dcc, html

from app.camera_links import cameras_block
from app.i18n import t
from app.pages.screen.logic import local_minute
from models.map_state.cards import (
    case_card,
    incident_card,
    open_cases_in_cell,
    resource_card,
    segment_card,
    sensor_card,
)
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import stage_label

CASE_LAYERS = ("case-points",)
SENSOR_LAYERS = ("env-points", "sensor-points", "sensor-alarms")
RESOURCE_LAYERS = ("resources", "shelters")
INCIDENT_LAYERS = ("incidents", "incident-areas")


def _local(moment: Any, tz: str) -> str:
    return "—" if moment is None else local_minute(moment, tz)


def _rows(pairs: list[tuple[str, Any]]) -> html.Table:
    return html.Table(
        [html.Tr([html.Th(k), html.Td("—" if v in (None, "") else str(v))]) for k, v in pairs],
        className="card-table",
    )


def _title(kind: str, text: str) -> html.Div:
    return html.Div(
        [html.Span(kind, className="card-kind"), html.Span(text)], className="card-title"
    )


def _chart(xs: list[Any], ys: list[Any], *, name: str, tz: str) -> dcc.Graph:
    local = [x.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)) for x in xs]
    fig = go.Figure(go.Scatter(x=local, y=ys, mode="lines", line={"color": "#4fc3ff", "width": 2}))
    fig.update_layout(
        template="plotly_dark",
        height=150,
        margin={"l": 36, "r": 8, "t": 20, "b": 24},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        title={"text": name, "font": {"size": 12}},
        font={"size": 10},
    )
    return dcc.Graph(figure=fig, config={"displayModeBar": False}, className="card-chart")


def _not_found(lang: str) -> list[Any]:
    return [html.Div(t("card.not_found", lang), className="muted")]


def _case_card(
    store: Store,
    scope: Scope,
    case_id: str,
    at: datetime,
    lang: str,
    tz: str,
    cal: WorkCalendar,
    radius: float | None = None,
) -> list[Any]:
    card = case_card(store, scope, case_id, at=at, calendar=cal)
    if card is None:
        return _not_found(lang)
    case = card.state
    category = case["category_zh"] if lang == "zh" else case["category_en"] or case["category_zh"]
    stage, source, left_h = case["stage"], case["source"], case["time_left_h"]

    def label(s: str | None) -> str:
        return "—" if s is None else stage_label(s, lang)

    left = "—"
    if left_h is not None:
        left = t("case.left" if left_h >= 0 else "case.overdue", lang, hours=f"{abs(left_h):.1f}")
    unit = " / ".join(x for x in (case["assigned_unit"], card.assignee) if x)
    body: list[Any] = [
        _title(t("card.case", lang), f"{category or ''} · {case['case_id']}"),
        _rows(
            [
                (t("card.stage", lang), label(stage)),
                (t("card.time_left", lang), left),
                (t("card.source", lang), t(f"source.{source}", lang) if source else None),
                (t("card.reported", lang), _local(case["reported_at"], tz)),
                (t("card.address", lang), card.address),
                (t("card.cell", lang), case["cell_code"]),
                (t("card.unit", lang), unit),
                (t("card.due", lang), _local(case["due_at"], tz)),
                (t("card.rework", lang), int(case["rework_count"] or 0)),
            ]
        ),
    ]
    if case["exercise"]:
        body.insert(1, html.Div(t("exercise.label", lang), className="card-exercise"))
    if card.description:
        body.append(html.Div(card.description, className="card-text"))
    body.append(html.Div(t("card.photos", lang, n=len(card.photos)), className="card-sub"))
    body.append(
        html.Div(
            [
                html.A(
                    html.Img(src=f"/photos/{a}/thumb", className="card-photo", alt=a),
                    href=f"/photos/{a}",
                    target="_blank",
                    rel="noopener",
                )
                for a, media, _ in card.photos
                if str(media).startswith("image/")
            ],
            className="card-photos",
        )
    )
    if radius and (block := cameras_block(store, case["lon"], case["lat"], radius_m=radius,
                                          lang=lang)):  # fmt: skip
        body.append(block)
    body.append(html.Div(t("card.history", lang), className="card-sub"))
    body.append(
        html.Ol(
            [
                html.Li(f"{_local(o, tz)} · {label(to)} · {actor}{' · ' + note if note else ''}")
                for o, actor, _f, to, note in card.history
            ],
            className="card-history",
        )
    )
    return body


def _sensor_card(
    store: Store, scope: Scope, sensor_id: str, at: datetime, lang: str, tz: str
) -> list[Any]:
    card = sensor_card(store, scope, sensor_id, at=at)
    if card is None:
        return _not_found(lang)
    sensor, obs = card.sensor, card.readings
    warning, danger = sensor["warning_level"], sensor["danger_level"]
    latest = obs.groupby("metric").tail(1) if len(obs) else obs
    body: list[Any] = [
        _title(t(f"sensor_kind.{sensor['kind']}", lang), sensor["sensor_id"]),
        _rows(
            [
                (t("card.owner", lang), sensor["owner"]),
                (t("card.cell", lang), sensor["cell_code"]),
                (t("card.interval", lang), f"{sensor['interval_s']} s"),
                (t("card.zone", lang), sensor["zone"]),
                (
                    t("card.levels", lang),
                    " / ".join(f"{v:g}" for v in (warning, danger) if v is not None),
                ),
            ]
        ),
        html.Div(t("card.latest", lang), className="card-sub"),
        _rows(
            [
                (m, f"{v:g} · {_local(ts, tz)}")
                for ts, m, v in latest[["ts", "metric", "value"]].itertuples(index=False)
            ]
        )
        if len(latest)
        else html.Div(t("card.no_readings", lang), className="muted"),
    ]
    for rule, opened, value in card.alarms:
        body.insert(
            1,
            html.Div(
                f"{t('feed.alarm', lang)} · {rule} · {value} · {_local(opened, tz)}",
                className="card-alarm",
            ),
        )
    if len(obs):
        metric = obs["metric"].value_counts().index[0]
        series = obs[obs["metric"] == metric]
        body.append(_chart(list(series["ts"]), list(series["value"]), name=metric, tz=tz))
    return body


def _segment_card(store: Store, segment_id: str, at: datetime, lang: str, tz: str) -> list[Any]:
    card = segment_card(store, segment_id, at=at)
    if card is None:
        return _not_found(lang)
    segment, samples = card.segment, card.samples
    free = segment["free_flow_kmh"]
    last = samples.iloc[-1] if len(samples) else None
    body: list[Any] = [
        _title(t("card.segment", lang), f"{segment['name_zh'] or segment['segment_id']}"),
        _rows(
            [
                (t("card.road_class", lang), segment["road_class"]),
                (t("card.free_flow", lang), f"{free:g} km/h"),
                (t("card.length", lang), f"{segment['length_m']:,.0f} m"),
                (t("card.speed", lang), None if last is None else f"{last['speed_kmh']:.0f} km/h"),
                (t("card.flow", lang), None if last is None else f"{last['flow_vph']:.0f} veh/h"),
                (
                    t("card.index", lang),
                    None
                    if last is None or not last["speed_kmh"]
                    else f"{free / last['speed_kmh']:.2f}",
                ),
                (t("card.reported", lang), None if last is None else _local(last["ts"], tz)),
            ]
        ),
    ]
    if len(samples):
        body.append(_chart(list(samples["ts"]), list(samples["speed_kmh"]), name="km/h", tz=tz))
    return body


def _incident_card(
    store: Store, incident_id: str, at: datetime, lang: str, tz: str, radius: float | None = None
) -> list[Any]:
    card = incident_card(store, incident_id, at=at)
    if card is None:
        return _not_found(lang)
    incident, closed = card.incident, card.incident["closed_at"]
    body: list[Any] = [
        _title(t("card.incident", lang), incident["title"]),
        _rows(
            [
                (t("card.type", lang), t(f"incident_type.{incident['incident_type']}", lang)),
                (t("card.level", lang), t(f"incident_level.{incident['level']}", lang)),
                (t("card.status", lang), incident["status"]),
                (t("card.opened", lang), _local(incident["opened_at"], tz)),
                (t("card.closed", lang), _local(closed, tz) if closed else None),
            ]
        ),
        html.Div(t("card.timeline", lang), className="card-sub"),
        html.Ol(
            [html.Li(f"{_local(o, tz)} · {k} · {d or ''}") for o, _a, k, d in card.events],
            className="card-history",
        ),
    ]
    if incident["exercise"]:
        body.insert(1, html.Div(t("exercise.label", lang), className="card-exercise"))
    body.append(html.A(t("war.open", lang), href=f"/emergency?incident={incident_id}"))
    if radius and (block := cameras_block(store, incident["lon"], incident["lat"],
                                          radius_m=radius, lang=lang)):  # fmt: skip
        body.append(block)
    return body


def _resource_card(
    store: Store, scope: Scope, resource_id: str, at: datetime, lang: str, tz: str
) -> list[Any]:
    card = resource_card(store, scope, resource_id, at=at)
    if card is None:
        return _not_found(lang)
    r = card.resource
    name = r["name_zh"] if lang == "zh" else (r["name_en"] or r["name_zh"])
    return [
        _title(t(f"resource_kind.{r['kind']}", lang), name),
        _rows(
            [
                (t("card.subtype", lang), r["subtype"]),
                (t("card.status", lang), t(f"resource_status.{r['status']}", lang)),
                (t("card.capacity", lang), r["capacity"]),
                (t("card.stock", lang), r["stock"]),
                (t("card.position_at", lang), _local(r["position_at"], tz)),
            ]
        ),
        html.Div(t("card.orders", lang), className="card-sub"),
        html.Ol(
            [
                html.Li(f"{_local(i, tz)} · {_local(a, tz) if a else '—'} · {note or ''}")
                for i, a, _r, note in card.orders
            ],
            className="card-history",
        ),
    ]


def _cell_card(
    store: Store, scope: Scope, cell_code: str, at: datetime, lang: str, tz: str, cal: WorkCalendar
) -> list[Any]:
    if not scope.contains_cell(cell_code):  # another area's cell is not there for this user
        return _not_found(lang)
    open_cases = open_cases_in_cell(store, scope, cell_code, at=at, calendar=cal)
    return [
        _title(t("tooltip.cell", lang), cell_code),
        html.Div(t("card.open_in_cell", lang, n=len(open_cases)), className="card-sub"),
        html.Ul(
            [
                html.Li(f"{cid} · {_local(r, tz)}")
                for cid, r in zip(open_cases["case_id"], open_cases["reported_at"])
            ],
            className="card-history",
        ),
    ]


def render_card(
    store: Store,
    scope: Scope,
    *,
    layer: str,
    key: str,
    at: datetime,
    lang: str,
    tz: str,
    calendar: WorkCalendar,
    camera_radius_m: float | None = None,
) -> list[Any]:
    """Children of the card for the clicked object, as it stood at ``at``; a case's and an
    incident's card list the cameras within ``camera_radius_m`` (none when None)."""
    if layer in CASE_LAYERS:
        return _case_card(store, scope, key, at, lang, tz, calendar, camera_radius_m)
    if layer in SENSOR_LAYERS:
        return _sensor_card(store, scope, key, at, lang, tz)
    if layer == "traffic-segments":
        return _segment_card(store, key, at, lang, tz)
    if layer in INCIDENT_LAYERS:
        return _incident_card(store, key, at, lang, tz, camera_radius_m)
    if layer in RESOURCE_LAYERS:
        return _resource_card(store, scope, key, at, lang, tz)
    if layer == "grid-cells":
        return _cell_card(store, scope, key, at, lang, tz, calendar)
    return [html.Div(t("card.zoom_in", lang), className="muted")]
