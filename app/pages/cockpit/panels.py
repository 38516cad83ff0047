"""The cockpit's panels as Dash components: the score and dimension tiles, the indicator tiles
(value, target, light, sparkline, change), the ranking table with its weights, the drill-down
head, the compact case card and the reports list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from app.i18n import t
from app.pages.cockpit import charts, ids
from app.pages.cockpit.logic import (
    by_dimension,
    change_view,
    dimension_name,
    format_value,
    indicator_name,
    score_text,
    status_class,
    weight_rows,
)


def score_block(city: Mapping[str, Any], lang: str, scope_kind: str = "city") -> list[Any]:
    """The score, big, and the score of each dimension as small tiles. The score is the
    city's for a city scope, else the area's (a district leader's: 区域运行指数)."""
    dims = city.get("dimensions") or {}
    label = "cockpit.city_score" if scope_kind == "city" else "cockpit.area_score"
    tiles = [
        html.Div(
            className="ck-dim",
            children=[
                html.Div(score_text(value), className="ck-dim-score"),
                html.Div(dimension_name(dim, lang), className="ck-dim-name"),
            ],
        )
        for dim, value in dims.items()
    ]
    return [
        html.Div(
            className="ck-city",
            children=[
                html.Div(
                    score_text(city.get("score")),
                    id="cockpit-city-score",
                    className="ck-city-score",
                ),  # fmt: skip
                html.Div(t(label, lang), className="ck-city-label"),
                html.Div(t("cockpit.score_hint", lang), className="ck-hint"),
            ],
        ),
        html.Div(tiles, className="ck-dims"),
    ]


def indicator_tile(r: Mapping[str, Any], lang: str) -> html.Div:
    """One indicator: name, light, value with unit, target, sparkline and change."""
    status = status_class(r.get("status"))
    change = change_view(r.get("change"), r.get("direction"))
    target = r.get("target")
    target_text = (
        t("cockpit.target", lang, target=format_value(target, r.get("unit"), lang))
        if target is not None
        else t("cockpit.no_target", lang)
    )
    drillable = bool(r.get("case_based"))
    ident = str(r.get("id"))
    return html.Div(
        id={"type": ids.IND, "id": ident},
        n_clicks=0,
        className=f"ck-ind {'drill' if drillable else ''}",
        title=t("cockpit.drillable", lang) if drillable else str(r.get("source_dept") or ""),
        **{"data-indicator": ident, "data-value": str(r.get("value"))},
        children=[
            html.Div(
                className="ck-ind-top",
                children=[
                    html.Span(
                        className=f"ck-light {status}", title=t(f"cockpit.status_{status}", lang)
                    ),  # fmt: skip
                    html.Span(indicator_name(r, lang), className="ck-ind-name"),
                ],
            ),
            html.Div(
                className="ck-ind-mid",
                children=[
                    html.Span(
                        format_value(r.get("value"), r.get("unit"), lang), className="ck-ind-value"
                    ),  # fmt: skip
                    dcc.Graph(
                        figure=charts.sparkline(r.get("trend") or [], status),
                        config=charts.STATIC,
                        className="ck-spark",
                    ),
                ],
            ),
            html.Div(
                className="ck-ind-foot",
                children=[
                    html.Span(target_text, className="ck-target"),
                    html.Span(
                        f"{change.arrow} {change.text}",
                        className=f"ck-change {change.css}",
                        title=t("cockpit.vs_previous", lang),
                    ),
                ],
            ),
        ],
    )


def indicator_panel(results: Sequence[Mapping[str, Any]], lang: str) -> list[Any]:
    """Each dimension's indicators, in the screen's order."""
    if not results:
        return [html.Div(t("cockpit.no_indicators", lang), className="muted")]
    return [
        html.Section(
            className="ck-dimension",
            children=[
                html.H4(dimension_name(dim, lang), className="ck-dim-title"),
                html.Div([indicator_tile(r, lang) for r in rows], className="ck-ind-grid"),
            ],
        )
        for dim, rows in by_dimension(results)
    ]


def _figure_cell(by: str, row: Mapping[str, Any], figure: str) -> html.Td:
    return html.Td(
        html.Button(
            str(row[figure]),
            id={"type": ids.RANK_FIG, "by": by, "value": row["value"], "figure": figure},
            n_clicks=0,
            className="ck-fig",
        ),
        className="num",
    )


def ranking_table(by: str, rows: Sequence[Mapping[str, Any]], lang: str) -> Any:
    """The ranking, best first; the counts are buttons that drill into their cases."""
    if not rows:
        return html.Div(t("cockpit.no_ranking", lang), className="muted")
    cols = ("rank", "name", "score", "registered", "overdue", "on_time", "closure")
    head = html.Tr([html.Th(t(f"cockpit.col_{c}", lang)) for c in cols])
    body = [
        html.Tr(
            [
                html.Td(str(r["rank"]), className="num"),
                html.Td(r["name"], className="ck-rank-name", title=r["value"]),
                html.Td(r["score"], className="num ck-rank-score"),
                _figure_cell(by, r, "registered"),
                _figure_cell(by, r, "overdue_count"),
                html.Td(r["on_time"], className="num"),
                html.Td(r["closure"], className="num"),
            ]
        )
        for r in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="table ck-ranking")


def weights_block(weights: Mapping[str, float], lang: str) -> list[Any]:
    """The composite score's weights, each with its share as a bar."""
    return [
        html.Div(t("cockpit.weights", lang), className="ck-sub"),
        *[
            html.Div(
                className="ck-weight",
                children=[
                    html.Span(t(f"cockpit.w_{name}", lang), className="ck-weight-name"),
                    html.Span(
                        html.Span(className="ck-weight-fill", style={"width": f"{share:.0f}%"}),
                        className="ck-weight-bar",
                    ),
                    html.Span(f"{weight:g}", className="ck-weight-value num"),
                ],
            )
            for name, weight, share in weight_rows(weights)
        ],
    ]


def drill_head(title: str, n: int, numerator: int | None, capped: bool, lang: str) -> list[Any]:
    """The drill-down's heading: which figure, how many cases (the list's length)."""
    count = (
        t("cockpit.drill_rate", lang, n=n, k=numerator)
        if numerator is not None
        else t("cockpit.drill_count", lang, n=n)
    )
    parts: list[Any] = [
        html.Span(title, className="ck-drill-title"),
        html.Span(
            count, id="cockpit-drill-count", className="ck-drill-count", **{"data-n": str(n)}
        ),  # fmt: skip
    ]
    if capped:
        parts.append(html.Span(t("cockpit.drill_capped", lang, n=f"{n:,}"), className="muted"))
    return parts


def case_card(card: Mapping[str, Any], lang: str) -> list[Any]:
    """The compact card of one case (from ``models.case_view``)."""
    rows = [
        ("card_category", card["category"]),
        ("card_stage", card["stage"]),
        ("card_place", card["place"]),
        ("card_unit", card["unit"]),
        ("card_reported", card["reported"]),
    ]
    table = html.Table(
        [html.Tr([html.Th(t(f"cockpit.{k}", lang)), html.Td(v)]) for k, v in rows]
        + [
            html.Tr(
                [
                    html.Th(t("cockpit.card_sla", lang)),
                    html.Td(card["sla"], className=f"sla-{card['sla_level']}"),
                ]
            )
        ],
        className="card-table",
    )
    history = html.Ol(
        [
            html.Li(
                " · ".join(p for p in (h["at"], h["action"], h["to"], h["actor"], h["note"]) if p)
            )
            for h in card["history"]
        ],
        className="card-history",
    )
    return [
        html.Div(card["id"], id="cockpit-card-id", className="card-title"),
        table,
        html.Div(card["description"], className="card-text") if card["description"] else None,
        html.Div(t("cockpit.card_history", lang), className="card-sub"),
        history,
    ]


def reports_list(links: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], lang: str) -> Any:
    """The reports made so far, newest first, each with its download links; or an empty
    state."""
    if not links:
        return html.Div(t("cockpit.no_reports", lang), className="muted ck-no-reports")
    items = [
        html.Li(
            [
                html.Span(t(f"cockpit.report_{kind}", lang, period=period)),
                *[html.A(fmt.upper(), href=url, className=f"ck-dl {fmt}") for fmt, url in files],
            ]
        )
        for kind, period, files in links
    ]
    return html.Ul(items, className="ck-reports")
