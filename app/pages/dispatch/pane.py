"""The case pane's content: header, SLA clock, supervision tier, routing, photos and history,
rendered from ``models.case_view.case_view`` (data in, Dash components out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from app.i18n import t
from app.pages.dispatch.logic import TIERS, local_time, sla_class, tier_index, time_left_text
from models.workflow import ACTIONS, stage_label


def _label(view: Mapping[str, Any], lang: str) -> str:
    labels = view.get("stage_label")
    if isinstance(labels, Mapping) and labels.get(lang):
        return str(labels[lang])
    return stage_label(str(view.get("stage") or ""), lang)


def category_name(view: Mapping[str, Any], lang: str) -> str:
    category = view.get("category") or {}
    name = category.get(f"name_{lang}") or category.get("name_zh") or ""
    code = category.get("code") or ""
    return f"{name} ({code})" if name else str(code or "—")


def render_head(view: Mapping[str, Any], *, lang: str) -> list[Any]:
    """Case id, stage, category, exercise mark and who holds it on their to-do list."""
    stage = str(view.get("stage") or "")
    parts: list[Any] = [
        html.Span(str(view.get("id")), className="pane-id", id="dispatch-pane-case-id"),
        html.Span(
            _label(view, lang),
            className=f"stage-badge stage-{stage}",
            id="dispatch-pane-stage",
            **{"data-stage": stage},
        ),  # fmt: skip
        html.Span(category_name(view, lang), className="pane-category"),
    ]
    if view.get("exercise"):
        parts.append(html.Span(t("dispatch.exercise", lang), className="tag exercise"))
    holder = view.get("claimed_by")
    if holder:
        parts.append(html.Span(t("dispatch.claimed_by", lang, user=holder), className="tag mine"))
    return parts


def sla_block(view: Mapping[str, Any], *, lang: str, tz: str) -> html.Div:
    """The SLA clock (time left of the handling limit, or the dispatch deadline before it
    starts) and the supervision tier."""
    sla = view.get("sla")
    if isinstance(sla, Mapping):
        level = sla_class(sla.get("level"))
        used = sla.get("fraction")
        main = time_left_text(sla.get("left_s"), lang)
        limit_h = (sla.get("limit_s") or 0) / 3600
        sub = t("dispatch.sla_of", lang, limit=f"{limit_h:.1f}",
                used=f"{100 * used:.0f}" if isinstance(used, (int, float)) else "—")  # fmt: skip
    else:
        level = "none"
        main = t("dispatch.sla_not_started", lang)
        due = view.get("dispatch_due_at")
        sub = t("dispatch.dispatch_due", lang, at=local_time(due, tz)) if due else ""
    tier = tier_index(view.get("escalation_level"))
    return html.Div(
        className="pane-clock",
        children=[
            html.Div(
                [html.Span(main, className="clock-main"), html.Span(sub, className="clock-sub")],
                className=f"sla-clock sla-{level}",
                id="dispatch-sla-clock",
            ),
            html.Div(
                t("dispatch.tier", lang, tier=t(f"dispatch.tier_{TIERS[tier]}", lang)),
                className=f"tier tier-{tier}",
            ),
        ],
    )


def _facts(view: Mapping[str, Any], *, lang: str, tz: str) -> html.Dl:
    rows = [
        ("dispatch.f_reported", local_time(view.get("reported_at"), tz)),
        (
            "dispatch.f_source",
            t(f"source.{view.get('source')}", lang) if view.get("source") else "—",
        ),
        ("dispatch.f_address", view.get("address") or "—"),
        ("dispatch.f_cell", view.get("cell_code") or "—"),
        ("dispatch.f_unit", view.get("unit_name") or view.get("unit") or "—"),
        ("dispatch.f_due", local_time(view.get("due_at"), tz)),
    ]
    if view.get("duplicate_of"):
        rows.append(("dispatch.f_duplicate_of", str(view["duplicate_of"])))
    if view.get("duplicates"):
        rows.append(("dispatch.f_duplicates", ", ".join(map(str, view["duplicates"]))))
    items: list[Any] = []
    for key, value in rows:
        items += [html.Dt(t(key, lang)), html.Dd(str(value))]
    return html.Dl(items, className="facts")


def routing_block(view: Mapping[str, Any], *, lang: str) -> html.Div:
    """The routing suggestion with its reasons."""
    routing = view.get("routing") if isinstance(view.get("routing"), Mapping) else None
    if routing is None:
        return html.Div(t("dispatch.no_routing", lang), className="routing muted")
    # the reasons in the reader's language (stored as codes; older events: their text)
    reasons = routing.get("reasons_zh" if lang == "zh" else "reasons") or []
    unit = routing.get("unit") or "—"
    name = routing.get("unit_name")
    shown = f"{name}（{unit}）" if name and name != unit else str(unit)
    return html.Div(
        className="routing",
        id="dispatch-routing",
        children=[
            html.Div(
                [
                    html.Span(t("dispatch.suggested", lang), className="routing-label"),
                    html.Strong(shown, id="dispatch-suggested-unit"),
                ]
            ),
            html.Ul([html.Li(str(r)) for r in reasons if isinstance(r, str)], className="reasons"),
        ],
    )


def photos_block(view: Mapping[str, Any], *, lang: str) -> html.Div:
    photos = [p for p in view.get("photos") or [] if isinstance(p, Mapping) and p.get("url")]
    if not photos:
        return html.Div(t("dispatch.no_photos", lang), className="photos muted")
    return html.Div(
        className="photos",
        children=[
            html.A(
                html.Img(src=str(p.get("thumb_url") or p["url"]), alt=str(p.get("kind") or "")),
                href=str(p["url"]),
                target="_blank",
                rel="noopener",
                className="thumb",
            )
            for p in photos
        ],
    )


def _history_line(item: Mapping[str, Any], *, lang: str, tz: str) -> html.Li:
    action = str(item.get("action") or "")
    spec = ACTIONS.get(action)
    name = t(f"dispatch.action_{action}", lang) if spec else action
    to = stage_label(str(item.get("to") or ""), lang)
    data = item.get("data") if isinstance(item.get("data"), Mapping) else {}
    extra = [f"{k}: {v}" for k, v in data.items() if k in ("unit", "reason", "into", "category")]
    if item.get("note"):
        extra.append(str(item["note"]))
    return html.Li(
        className=f"hist hist-{action}",
        children=[
            html.Span(local_time(item.get("at"), tz), className="hist-time"),
            html.Span(f"{name} → {to}", className="hist-what"),
            html.Span(str(item.get("actor") or ""), className="hist-who"),
            html.Div(" · ".join(extra), className="hist-note") if extra else None,
        ],
    )


def history_block(view: Mapping[str, Any], *, lang: str, tz: str) -> html.Ol:
    """The history timeline, newest first."""
    items = [h for h in view.get("history") or [] if isinstance(h, Mapping)]
    return html.Ol(
        [_history_line(h, lang=lang, tz=tz) for h in reversed(items)],
        className="timeline",
        id="dispatch-history",
    )


def render_body(
    view: Mapping[str, Any],
    nearby: Sequence[Mapping[str, Any]],
    *,
    lang: str,
    tz: str,
    cameras: Any = None,
) -> list[Any]:
    """Everything of the pane below the actions but the map (which is mounted apart);
    ``cameras`` the block of cameras nearby (:func:`app.camera_links.cameras_block`)."""
    description = view.get("description") or ""
    return [
        sla_block(view, lang=lang, tz=tz),
        html.P(str(description), className="pane-description"),
        _facts(view, lang=lang, tz=tz),
        html.H4(t("dispatch.routing", lang)),
        routing_block(view, lang=lang),
        html.Div(
            t("dispatch.nearby", lang, n=len(nearby)), className="nearby-note", id="dispatch-nearby"
        ),
        cameras,
        html.H4(t("dispatch.photos", lang)),
        photos_block(view, lang=lang),
        html.H4(t("dispatch.history", lang)),
        history_block(view, lang=lang, tz=tz),
    ]
