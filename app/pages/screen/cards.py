"""The card a click on the wall opens: a case, sensor, road segment, incident, resource or cell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from dash import dcc, html

from app.i18n import t
from app.pages.screen.logic import local_minute
from models.map_state.cases import scope_districts
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar, working_time_between
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


def _case_card(
    store: Store, scope: Scope, case_id: str, at: datetime, lang: str, tz: str, cal: WorkCalendar
) -> list[Any]:
    where, params = scope.sql_filter("c.cell_code")
    name = "k.name_zh" if lang == "zh" else "coalesce(k.name_en, k.name_zh)"
    rows = store.query_rows(
        f"SELECT c.case_id, {name}, c.source, c.reported_at, c.address, c.description, "
        "c.cell_code, c.assigned_unit, c.assignee, c.due_at, c.exercise, c.rework_count "
        "FROM cases c LEFT JOIN categories k ON k.category_code = c.category_code "
        f"WHERE c.case_id = ? AND {where}",
        [case_id, *params],
    )
    if not rows:
        return [html.Div(t("card.not_found", lang), className="muted")]
    cid, category, source, reported, address, text, cell, unit, assignee, due, exercise, rework = (
        rows[0]
    )
    history = store.query_rows(
        "SELECT occurred_at, actor, from_stage, to_stage, note FROM case_transitions "
        "WHERE case_id = ? AND occurred_at <= ? ORDER BY seq",
        [case_id, at],
    )
    stage = history[-1][3] if history else None

    def label(s: str | None) -> str:
        return "—" if s is None else stage_label(s, lang)

    left = "—"
    if due is not None and stage not in ("closed", "void"):
        remaining = (
            working_time_between(cal, at, due) if due > at else -working_time_between(cal, due, at)
        )
        hours = remaining / timedelta(hours=1)
        left = t("case.left" if hours >= 0 else "case.overdue", lang, hours=f"{abs(hours):.1f}")
    photos = store.query_rows(
        "SELECT attachment_id, media_type, uploaded_at FROM case_attachments WHERE case_id = ? "
        "AND uploaded_at <= ? ORDER BY uploaded_at",
        [case_id, at],
    )
    body: list[Any] = [
        _title(t("card.case", lang), f"{category or ''} · {cid}"),
        _rows(
            [
                (t("card.stage", lang), label(stage)),
                (t("card.time_left", lang), left),
                (t("card.source", lang), t(f"source.{source}", lang) if source else None),
                (t("card.reported", lang), _local(reported, tz)),
                (t("card.address", lang), address),
                (t("card.cell", lang), cell),
                (t("card.unit", lang), " / ".join(x for x in (unit, assignee) if x)),
                (t("card.due", lang), _local(due, tz)),
                (t("card.rework", lang), rework),
            ]
        ),
    ]
    if exercise:
        body.insert(1, html.Div(t("exercise.label", lang), className="card-exercise"))
    if text:
        body.append(html.Div(text, className="card-text"))
    body.append(html.Div(t("card.photos", lang, n=len(photos)), className="card-sub"))
    body.append(
        html.Div(
            [
                html.Img(src=f"/screen/api/attachment/{a}", className="card-photo", alt=a)
                for a, media, _ in photos
                if str(media).startswith("image/")
            ],
            className="card-photos",
        )
    )
    body.append(html.Div(t("card.history", lang), className="card-sub"))
    body.append(
        html.Ol(
            [
                html.Li(f"{_local(o, tz)} · {label(to)} · {actor}{' · ' + note if note else ''}")
                for o, actor, _f, to, note in history
            ],
            className="card-history",
        )
    )
    return body


def _sensor_card(
    store: Store, scope: Scope, sensor_id: str, at: datetime, lang: str, tz: str
) -> list[Any]:
    where, params = scope.sql_filter("cell_code")
    rows = store.query_rows(
        "SELECT sensor_id, kind, owner, cell_code, interval_s, zone, warning_level, danger_level "
        f"FROM sensors WHERE sensor_id = ? AND {where}",
        [sensor_id, *params],
    )
    if not rows:
        return [html.Div(t("card.not_found", lang), className="muted")]
    sid, kind, owner, cell, interval, zone, warning, danger = rows[0]
    window = max(timedelta(hours=24), timedelta(seconds=int(interval) * 48))
    obs = store.query_df(
        "SELECT ts, metric, value FROM observations WHERE sensor_id = ? AND ts > ? AND ts <= ? "
        "ORDER BY ts",
        [sensor_id, at - window, at],
    )
    latest = obs.groupby("metric").tail(1) if len(obs) else obs
    alarms = store.query_rows(
        "SELECT rule_id, opened_at, value FROM alarms WHERE sensor_id = ? AND opened_at <= ? "
        "AND (cleared_at IS NULL OR cleared_at > ?) ORDER BY opened_at DESC",
        [sensor_id, at, at],
    )
    body: list[Any] = [
        _title(t(f"sensor_kind.{kind}", lang), sid),
        _rows(
            [
                (t("card.owner", lang), owner),
                (t("card.cell", lang), cell),
                (t("card.interval", lang), f"{interval} s"),
                (t("card.zone", lang), zone),
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
    for rule, opened, value in alarms:
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
    rows = store.query_rows(
        "SELECT segment_id, name_zh, road_class, free_flow_kmh, length_m FROM road_segments "
        "WHERE segment_id = ?",
        [segment_id],
    )
    if not rows:
        return [html.Div(t("card.not_found", lang), className="muted")]
    sid, name, road_class, free, length = rows[0]
    samples = store.query_df(
        "SELECT ts, speed_kmh, flow_vph FROM traffic_samples WHERE segment_id = ? AND ts > ? "
        "AND ts <= ? ORDER BY ts",
        [segment_id, at - timedelta(hours=3), at],
    )
    last = samples.iloc[-1] if len(samples) else None
    body: list[Any] = [
        _title(t("card.segment", lang), f"{name or sid}"),
        _rows(
            [
                (t("card.road_class", lang), road_class),
                (t("card.free_flow", lang), f"{free:g} km/h"),
                (t("card.length", lang), f"{length:,.0f} m"),
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


def _incident_card(store: Store, incident_id: str, at: datetime, lang: str, tz: str) -> list[Any]:
    rows = store.query_rows(
        "SELECT incident_id, incident_type, level, title, status, exercise, opened_at, closed_at "
        "FROM incidents WHERE incident_id = ?",
        [incident_id],
    )
    if not rows:
        return [html.Div(t("card.not_found", lang), className="muted")]
    iid, kind, level, title, status, exercise, opened, closed = rows[0]
    events = store.query_rows(
        "SELECT occurred_at, actor, kind, detail FROM incident_events WHERE incident_id = ? "
        "AND occurred_at <= ? ORDER BY seq",
        [incident_id, at],
    )
    body: list[Any] = [
        _title(t("card.incident", lang), title),
        _rows(
            [
                (t("card.type", lang), kind),
                (t("card.level", lang), level),
                (t("card.status", lang), status),
                (t("card.opened", lang), _local(opened, tz)),
                (t("card.closed", lang), _local(closed, tz) if closed else None),
            ]
        ),
        html.Div(t("card.timeline", lang), className="card-sub"),
        html.Ol(
            [html.Li(f"{_local(o, tz)} · {k} · {d or ''}") for o, _a, k, d in events],
            className="card-history",
        ),
    ]
    if exercise:
        body.insert(1, html.Div(t("exercise.label", lang), className="card-exercise"))
    return body


def _resource_card(
    store: Store, scope: Scope, resource_id: str, at: datetime, lang: str, tz: str
) -> list[Any]:
    # as the resources layer: a district's own units and the city-wide ones (no district)
    districts = scope_districts(scope) or []
    where = "TRUE"
    if districts:
        where = f"(district_code IS NULL OR district_code IN ({', '.join('?' for _ in districts)}))"
    rows = store.query_rows(
        "SELECT resource_id, kind, subtype, name_zh, name_en, status, capacity, stock, position_at "
        f"FROM resources WHERE resource_id = ? AND {where}",
        [resource_id, *districts],
    )
    if not rows:
        return [html.Div(t("card.not_found", lang), className="muted")]
    rid, kind, subtype, name_zh, name_en, status, capacity, stock, position_at = rows[0]
    last = store.query_rows(
        "SELECT ts, status FROM unit_positions WHERE unit_id = ? AND ts <= ? "
        "ORDER BY ts DESC LIMIT 1",
        [resource_id, at],
    )
    if last:
        position_at, status = last[0][0], last[0][1] or status
    orders = store.query_rows(
        "SELECT issued_at, acked_at, arrived_at, note FROM dispatch_orders WHERE resource_id = ? "
        "AND issued_at <= ? ORDER BY issued_at DESC LIMIT 5",
        [resource_id, at],
    )
    return [
        _title(t(f"resource_kind.{kind}", lang), name_zh if lang == "zh" else (name_en or name_zh)),
        _rows(
            [
                (t("card.subtype", lang), subtype),
                (t("card.status", lang), t(f"resource_status.{status}", lang)),
                (t("card.capacity", lang), capacity),
                (t("card.stock", lang), stock),
                (t("card.position_at", lang), _local(position_at, tz)),
            ]
        ),
        html.Div(t("card.orders", lang), className="card-sub"),
        html.Ol(
            [
                html.Li(f"{_local(i, tz)} · {_local(a, tz) if a else '—'} · {note or ''}")
                for i, a, _r, note in orders
            ],
            className="card-history",
        ),
    ]


def _cell_card(
    store: Store, scope: Scope, cell_code: str, at: datetime, lang: str, tz: str
) -> list[Any]:
    where, params = scope.sql_filter("cell_code")
    open_cases = store.query_rows(
        "SELECT case_id, reported_at FROM cases WHERE cell_code = ? AND reported_at <= ? "
        "AND (closed_at IS NULL OR closed_at > ?) AND stage <> 'void' AND NOT exercise "
        f"AND {where} ORDER BY reported_at DESC LIMIT 10",
        [cell_code, at, at, *params],
    )
    return [
        _title(t("tooltip.cell", lang), cell_code),
        html.Div(t("card.open_in_cell", lang, n=len(open_cases)), className="card-sub"),
        html.Ul(
            [html.Li(f"{cid} · {_local(r, tz)}") for cid, r in open_cases], className="card-history"
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
) -> list[Any]:
    """Children of the card for the clicked object, as it stood at ``at``."""
    if layer in CASE_LAYERS:
        return _case_card(store, scope, key, at, lang, tz, calendar)
    if layer in SENSOR_LAYERS:
        return _sensor_card(store, scope, key, at, lang, tz)
    if layer == "traffic-segments":
        return _segment_card(store, key, at, lang, tz)
    if layer in INCIDENT_LAYERS:
        return _incident_card(store, key, at, lang, tz)
    if layer in RESOURCE_LAYERS:
        return _resource_card(store, scope, key, at, lang, tz)
    if layer == "grid-cells":
        return _cell_card(store, scope, key, at, lang, tz)
    return [html.Div(t("card.zoom_in", lang), className="muted")]
