"""The selected incident's working panels as components, from data the callbacks read: its
plan tasks, the nearest units, the status board, its orders, its timeline and the cameras
nearby. No I/O."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from dash import html

from app.i18n import t
from app.pages.emergency import ids
from app.pages.emergency.incident_panels import act_button, badge, empty
from app.pages.emergency.logic import (
    board_rows,
    local_time,
    minutes_text,
    order_state,
)
from models.emergency.timeline_export import describe
from models.vocabulary import RESOURCE_KINDS, UNIT_STATUSES

#: The unit's status an order's state implies (shown beside the order only when it differs:
#: a unit that went out of service on the way, one already back).
IMPLIED_UNIT_STATUS = {
    "sent": "dispatched", "acked": "dispatched", "unacked": "dispatched", "arrived": "on_scene",
}  # fmt: skip


def task_list(
    tasks: Sequence[Mapping[str, Any]], owner_name: Any, *, lang: str, tz: str, can_act: bool
) -> list[Any]:
    """The plan's checklist: due time, owner, overdue in red, a done button per open task."""
    if not tasks:
        return [empty(t("emergency.no_tasks", lang))]
    rows = []
    for task in tasks:
        done = task.get("done_at") is not None
        cls = "em-task" + (" is-done" if done else "") + (" is-overdue" if task["overdue"] else "")
        action = task.get("action_en") if lang == "en" else task.get("action_zh")
        if done:
            status: Any = html.Span(
                t("emergency.task_done_by", lang, by=task.get("done_by") or "",
                  at=local_time(task["done_at"], tz)),
                className="em-muted",
            )  # fmt: skip
        elif can_act:
            status = act_button(t("emergency.task_done", lang), ids.ACT_TASK, "done",
                                int(task["task_no"]), cls="small")  # fmt: skip
        else:
            status = html.Span("")
        due = t("emergency.due_at", lang, at=local_time(task.get("due_at"), tz))
        if task["overdue"]:
            late = max(60, int(task["overdue_s"]))  # past due: at least a minute late
            due = t("emergency.overdue_by", lang, d=minutes_text(late, lang))
        rows.append(
            html.Div(
                className=cls,
                children=[
                    html.Span(
                        f"{task.get('plan_level')}-{task.get('step_no')}", className="em-step"
                    ),
                    html.Div(
                        className="em-task-body",
                        children=[
                            html.Div(action or "", className="em-task-action"),
                            html.Div(
                                f"{owner_name(task.get('owner'), lang)} · {due}",
                                className="em-item-sub",
                            ),  # fmt: skip
                        ],
                    ),
                    status,
                ],
            )
        )
    return rows


def nearest_list(
    ranking: Mapping[str, Any], *, lang: str, can_act: bool, only: Collection[str] | None = None
) -> list[Any]:
    """Candidates with ETA and reasons (a dispatch button each that the reader may send:
    ``only`` those units when given), the excluded with why."""
    if ranking.get("problem"):
        return [empty(str(ranking["problem"]))]
    rows: list[Any] = []
    for n, c in enumerate(ranking.get("candidates", []), start=1):
        button = (
            act_button(
                t("emergency.send", lang), ids.ACT_UNIT, "send", c["unit"], cls="primary small"
            )  # fmt: skip
            if can_act
            and c.get("kind") in ("team", "vehicle")
            and (only is None or str(c["unit"]) in only)
            else html.Span("")
        )
        rows.append(
            html.Div(
                className="em-cand",
                **{"data-unit": str(c["unit"])},
                children=[
                    html.Span(str(n), className="em-rank"),
                    html.Div(
                        className="em-task-body",
                        children=[
                            html.Div(
                                [
                                    html.B(str(c["name"])),
                                    html.Span(
                                        f" {minutes_text(c['eta_s'], lang)}", className="em-eta"
                                    ),
                                ],
                            ),  # fmt: skip
                            html.Div(" · ".join(c.get("reasons", [])), className="em-item-sub"),
                        ],
                    ),
                    button,
                ],
            )
        )
    if not rows:
        rows.append(empty(t("emergency.no_candidates", lang)))
    excluded = ranking.get("excluded", [])
    if excluded:
        rows.append(
            html.Details(
                className="em-excluded",
                children=[
                    html.Summary(t("emergency.excluded_n", lang, n=len(excluded))),
                    *[
                        html.Div(f"{e['name']} — {e['why']}", className="em-item-sub")
                        for e in excluded[:200]
                    ],
                ],
            )
        )
    return rows


def status_board(board: Mapping[str, Mapping[str, int]], *, lang: str) -> html.Table:
    """Counts of resources by kind (rows) and status (columns)."""
    head = html.Tr(
        [html.Th(""), *[html.Th(t(f"resource_status.{s}", lang)) for s in UNIT_STATUSES]]
    )
    body = [
        html.Tr(
            [
                html.Th(t(f"resource_kind.{kind}", lang)),
                *[
                    html.Td(str(n), className="zero" if n == 0 else f"n-{s}")
                    for s, n in zip(UNIT_STATUSES, counts, strict=True)
                ],
            ]
        )  # fmt: skip
        for kind, counts in board_rows(board, RESOURCE_KINDS, UNIT_STATUSES)
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="em-board")


def order_table(orders: Sequence[Mapping[str, Any]], *, lang: str, tz: str, can_act: bool) -> Any:
    """The incident's orders: unit, state, order/ack/arrival times; unacknowledged in red."""
    if not orders:
        return empty(t("emergency.no_orders", lang))
    columns = ("unit", "state", "issued", "acked", "arrived", "eta")
    head = html.Tr([*[html.Th(t(f"emergency.col_{c}", lang)) for c in columns], html.Th("")])
    rows = []
    for o in orders:
        key, cls = order_state(o)
        name = (o.get("name_en") if lang == "en" else None) or o.get("name_zh") or o["unit"]
        unit_status = o.get("unit_status")
        state = t(key, lang)
        implied = IMPLIED_UNIT_STATUS.get(str(o.get("status")))
        if unit_status and o.get("status") != "cancelled" and unit_status != implied:
            state += f" · {t(f'resource_status.{unit_status}', lang)}"
        cancel: Any = ""
        if can_act and o.get("status") in ("sent", "acked", "unacked"):
            cancel = act_button(t("emergency.cancel_order", lang), ids.ACT_UNIT, "cancel",
                                o["order_id"], cls="small danger")  # fmt: skip
        rows.append(
            html.Tr(
                className=cls,
                **{"data-order": str(o["order_id"]), "data-status": str(o.get("status"))},
                children=[
                    html.Td(str(name), className="em-unit-name"),
                    html.Td(state, className="em-order-state"),
                    html.Td(local_time(o.get("issued_at"), tz)),
                    html.Td(local_time(o.get("acked_at"), tz)),
                    html.Td(local_time(o.get("arrived_at"), tz)),
                    html.Td(minutes_text(o.get("eta_s"), lang), className="em-nowrap"),
                    html.Td(cancel),
                ],
            )
        )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="em-orders-table")


def timeline_list(entries: Sequence[Mapping[str, Any]], *, lang: str, tz: str) -> list[Any]:
    """The timeline, newest first: time, who, what happened."""
    if not entries:
        return [empty(t("emergency.no_timeline", lang))]
    out = []
    for e in reversed(entries):
        what = describe(str(e["kind"]), e.get("detail") or {}, lang)
        out.append(
            html.Div(
                className=f"em-event ev-{e['kind']}",
                children=[
                    html.Span(local_time(e.get("at"), tz), className="em-ev-time"),
                    html.Span(str(e.get("actor") or ""), className="em-ev-who"),
                    html.Span(what, className="em-ev-what"),
                ],
            )
        )
    return out


def camera_list(cameras: Sequence[Mapping[str, Any]], *, lang: str) -> list[Any]:
    """Cameras nearby, nearest first: their stream links open in a new tab, never here."""
    if not cameras:
        return [empty(t("emergency.no_cameras", lang))]
    out = []
    for c in cameras:
        name = str(c.get("name") or c["camera_id"])
        link: Any = (
            html.A(
                t("emergency.camera_open", lang),
                href=c["stream_url"],
                target="_blank",
                rel="noopener noreferrer",
                className="em-link",
            )  # fmt: skip
            if c.get("stream_url")
            else html.Span(t("emergency.camera_no_link", lang), className="em-muted")
        )
        marks = [badge(t("emergency.synthetic", lang), "drill")] if c.get("synthetic") else []
        out.append(
            html.Div(
                className="em-camera",
                children=[
                    html.Div([html.B(name), *marks]),
                    html.Div(
                        t(
                            "emergency.camera_line",
                            lang,
                            cls=c.get("camera_class") or "—",
                            m=round(float(c["distance_m"])),
                            owner=c.get("owner") or "—",
                        ),
                        className="em-item-sub",
                    ),  # fmt: skip
                    link,
                ],
            )
        )
    return out
