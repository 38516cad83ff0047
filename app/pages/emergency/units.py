"""Callbacks of the emergency screen for units: the nearest available units to the selected
incident (candidates with ETA and reasons, the excluded with why), one-click dispatch of a
candidate, and standing an order down.

Dispatch is for the emergency staff and admins, on an incident of their scope: checked here
(the order module trusts its caller), then the order is written with the unit's ETA on the
outbox in one transaction. A refusal (the unit went elsewhere meanwhile, the incident closed)
is shown in words."""

from __future__ import annotations

import logging
from typing import Any

from dash import Input, Output, State, callback, no_update

from app.context import get_context
from app.i18n import t
from app.pages.emergency import ids
from app.pages.emergency.acting import (
    REFUSALS,
    acting_user,
    forbidden,
    may_command,
    message,
    page_language,
    refused,
)
from app.pages.emergency.callbacks import refresh_token
from app.pages.emergency.incident_panels import empty
from app.pages.emergency.logic import act_of, checked_id, checked_kind, checked_need, task_needs
from app.pages.emergency.panels import nearest_list
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.incident_access import audit, require_role, visible_row
from models.emergency.incident_rules import COMMAND_ROLES
from models.emergency.nearest import Ranking, nearest_for
from models.emergency.orders import OrderRefused, cancel_order, issue_order, orders_of
from models.emergency.plan_tasks import incident_tasks
from models.emergency.resources import load_units, sendable_units
from models.store import WriteTx

log = logging.getLogger(__name__)


def _ranking(incident: dict[str, Any], *, kind: str | None, need: str | None) -> Ranking:
    config = get_context().config
    return nearest_for(
        get_context().store,
        float(incident["lon"]),
        float(incident["lat"]),
        now=utcnow(),
        settings=config.settings.emergency,
        metric_crs=config.settings.map.metric_crs,
        kind=kind,
        requires=need,
    )


@callback(
    Output(ids.NEAREST, "children"),
    Input(ids.SELECTED, "data"),
    Input(ids.REFRESH, "data"),
    Input(ids.NEAREST_KIND, "value"),
    Input(ids.NEAREST_NEED, "value"),
)
def show_nearest(selected: object, _refresh: object, kind: object, need: object) -> Any:
    """The nearest available units to the selected incident's point."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return [forbidden(lang)]
    if selected is None:
        return [empty(t("emergency.pick_one", lang))]
    store = get_context().store
    try:
        incident = visible_row(store, actor, checked_id(selected))
        needs = task_needs(incident_tasks(store, incident["incident_id"], now=utcnow()))
        ranking = _ranking(incident, kind=checked_kind(kind), need=checked_need(need, needs))
    except REFUSALS as exc:
        return [refused(exc, lang)]
    can_act = may_command(actor) and incident["status"] == "open"
    return nearest_list(ranking.to_json(lang), lang=lang, can_act=can_act, only=sendable(actor))


def sendable(actor: Actor) -> set[str] | None:
    """The units ``actor`` may order out: a district's command its own district's and the
    city's (as the API rules), the city's command every unit (None)."""
    return sendable_units(get_context().store, actor.scope)


def dispatch_unit(actor: Actor, incident_id: str, unit_id: str) -> str:
    """Order ``unit_id`` to the incident for ``actor`` (role and scope checked here), with its
    ETA from a fresh ranking when it is a candidate; returns the order's id.

    Raises
    ------
    IncidentError
        403 role, 404 the incident outside the actor's scope.
    OrderRefused
        The unit unknown, not mobile, not available; the incident closed.
    """
    require_role(actor, COMMAND_ROLES, "dispatch units")
    store, settings = get_context().store, get_context().config.settings
    incident = visible_row(store, actor, incident_id)
    allowed = sendable_units(store, actor.scope)
    if allowed is not None and unit_id not in allowed:
        raise OrderRefused("other_district", f"{unit_id} is another district's unit")
    units = load_units(store)
    kinds = dict(zip(units["resource_id"].astype(str), units["kind"], strict=True))
    eta = None
    if unit_id in kinds:  # its kind's ranking: the ETA the order carries
        ranking = _ranking(incident, kind=str(kinds[unit_id]), need=None)
        eta = next((c.eta_s for c in ranking.candidates if c.unit == unit_id), None)
    now = utcnow()

    def write(tx: WriteTx) -> str:
        order = issue_order(
            tx, incident_id=incident_id, unit_id=unit_id, actor=actor.username, now=now,
            prefix=settings.mqtt.topic_prefix, eta_s=None if eta is None else round(eta, 1),
        )  # fmt: skip
        audit(tx, "incident.order", actor=actor.username, target=incident_id, at=now,
              detail={"order": order, "unit": unit_id})  # fmt: skip
        return order

    return store.write(write)


@callback(
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.ACT_UNIT, "data"),
    State(ids.SELECTED, "data"),
    prevent_initial_call=True,
)
def order_unit(pressed: object, selected: object) -> Any:
    """One click: a unit is ordered to the scene, or an open order stood down."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return forbidden(lang), no_update
    try:
        act, arg = act_of(pressed, ("send", "cancel"))
        if act == "cancel":
            return _cancel(actor, selected, checked_id(arg), lang)
        unit = checked_id(arg)
        order = dispatch_unit(actor, checked_id(selected), unit)
    except REFUSALS as exc:
        return refused(exc, lang), no_update
    return message(t("emergency.sent", lang, unit=unit, order=order), True), refresh_token()


def _cancel(actor: Actor, selected: object, order: str, lang: str) -> Any:
    """Stand an open order of the selected incident down; its unit is available again."""
    store, prefix = get_context().store, get_context().config.settings.mqtt.topic_prefix
    try:
        require_role(actor, COMMAND_ROLES, "cancel orders")
        incident_id = visible_row(store, actor, checked_id(selected))["incident_id"]
        if order not in {o["order_id"] for o in orders_of(store, incident_id)}:
            raise OrderRefused("unknown_order", f"no order {order} on {incident_id}")
        now = utcnow()

        def write(tx: WriteTx) -> None:
            cancel_order(tx, order, actor=actor.username, now=now, prefix=prefix)
            audit(tx, "incident.order_cancel", actor=actor.username, target=incident_id,
                  at=now, detail={"order": order})  # fmt: skip

        store.write(write)
    except REFUSALS as exc:
        return refused(exc, lang), no_update
    return message(t("emergency.cancelled", lang, order=order), True), refresh_token()
