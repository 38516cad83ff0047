"""The incident API (issue 13): incidents, their actions and timeline, cameras nearby.

:data:`ROUTES` lists this package's endpoints for :mod:`app.api`; the nearest-unit ranking
(``/incidents/<incident_id>/nearest``) and dispatch orders (``/incidents/<incident_id>/orders``)
join it here as modules of their own, with their paths in :mod:`app.api.incidents.docs`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.api.incidents import actions, command, views

ROUTES: tuple[tuple[str, tuple[str, ...], Callable[..., Any]], ...] = (
    ("/incidents", ("GET",), views.incidents_list),
    ("/incidents", ("POST",), views.incident_create),
    ("/incidents/<incident_id>", ("GET",), views.incident_get),
    ("/incidents/<incident_id>/actions", ("POST",), actions.incident_action),
    ("/incidents/<incident_id>/timeline.csv", ("GET",), views.incident_timeline_csv),
    ("/incidents/<incident_id>/nearest", ("GET",), command.incident_nearest),
    ("/incidents/<incident_id>/orders", ("GET",), command.incident_orders),
    ("/incidents/<incident_id>/orders", ("POST",), command.order_create),
    ("/incidents/<incident_id>/orders/<order_id>/cancel", ("POST",), command.order_cancel),
    ("/incidents/<incident_id>/sitrep.pdf", ("GET",), command.incident_sitrep),
    ("/cameras", ("GET",), views.cameras_list),
)
