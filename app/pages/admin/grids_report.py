"""The topology report of an uploaded grid as shown before confirming: counts, whether it
may be confirmed, what bodies and grid workers the cells keep from the version in force, the
problems with their cell codes and the warnings."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from app.i18n import t
from app.pages.admin.acting import message
from app.pages.admin.grids_upload import MAX_LISTED, TopologyReport

COUNTED = ("features", "bad_code", "duplicate", "invalid", "overlap", "data", "gaps", "warnings")
#: The carry-over's counts (models.grid_carryover details) shown, in order.
DUTY_COUNTS = (
    "cells_kept_body",
    "cells_kept_workers",
    "new_cells_without_body",
    "new_cells_without_workers",
)
#: Where the admin fills in what a new cell lacks.
DUTIES_TAB = "/admin?tab=duties"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def duties_view(
    duties: dict[str, Any], lang: str, *, prefix: str = "admin-grids-report"
) -> html.Div | None:
    """What the new version's cells keep from the version in force and which new cells have
    no responsible body or grid workers (with the way to the 权责清单); None when unknown.
    ``prefix`` starts the ids (the report before confirming, the message after)."""
    if not duties:
        return None
    counts = {k: _count(duties.get(k)) for k in DUTY_COUNTS}
    spans = [
        html.Span(
            f"{t(f'admin.grids.count.{k}', lang)} {counts[k]:,}",
            className="count" + (" warn" if k.startswith("new_") and counts[k] else ""),
            id=f"{prefix}-{k.replace('_', '-')}",
        )
        for k in DUTY_COUNTS
    ]
    parts: list[Any] = [html.Div(spans, className="admin-grids-counts")]
    previous = duties.get("duties_from_version")
    if isinstance(previous, int):
        parts.append(html.P(t("admin.grids.duties_kept", lang, version=previous), className="hint"))
    missing_body = counts["new_cells_without_body"]
    missing_workers = counts["new_cells_without_workers"]
    if missing_body or missing_workers:
        text = t("admin.grids.duties_missing", lang, body=missing_body, workers=missing_workers)
        parts.append(
            html.P(
                [text, " ", dcc.Link(t("admin.grids.duties_link", lang), href=DUTIES_TAB)],
                className="hint warn",
            )
        )
    return html.Div(parts, className="admin-grids-duties", id=f"{prefix}-duties")


def report_view(report: TopologyReport, filename: str, lang: str) -> html.Div:
    """The report of ``filename``; a file that could not be read at all says why."""
    title = html.H3(t("admin.grids.report_title", lang, name=filename))
    if report.failure is not None:
        return html.Div(
            [title, message(t("admin.grids.unreadable", lang, reason=report.failure), False)],
            id="admin-grids-report-body",
        )
    counts = report.counts()
    summary = html.Div(
        [
            html.Span(
                f"{t(f'admin.grids.count.{k}', lang)} {counts.get(k, 0):,}",
                className="count"
                + (" bad" if k not in ("features", "warnings", "gaps") and counts.get(k) else ""),
                id=f"admin-grids-report-{k.replace('_', '-')}",
            )
            for k in COUNTED
        ],
        className="admin-grids-counts",
    )
    if report.duplicate_of is not None:
        verdict = message(t("admin.grids.duplicate", lang, file=report.duplicate_of), False)
    elif report.problems:
        verdict = message(t("admin.grids.blocked", lang, n=len(report.problems)), False)
    else:
        verdict = message(t("admin.grids.may_confirm", lang, n=report.features), True)
    parts: list[object] = [title, summary, verdict]
    duties = duties_view(report.duties, lang)
    if duties is not None:
        parts.append(duties)
    if report.problems:
        rows = [
            html.Tr(
                [
                    html.Td(t(f"admin.grids.problem.{p.kind}", lang)),
                    html.Td(p.code or "—", className="code"),
                    html.Td(str(p.feature)),
                    html.Td(p.detail),
                ]
            )
            for p in report.problems[:MAX_LISTED]
        ]
        head = [t(f"admin.grids.col.{c}", lang) for c in ("problem", "cell", "feature", "detail")]
        parts.append(
            html.Table(
                [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
                className="table admin-grids-problems",
                id="admin-grids-problems",
            )
        )
        if len(report.problems) > MAX_LISTED:
            more = len(report.problems) - MAX_LISTED
            parts.append(html.P(t("admin.grids.more", lang, n=more), className="hint"))
    if report.warnings:
        parts.append(html.H4(t("admin.grids.warnings", lang)))
        parts.append(html.Ul([html.Li(w) for w in report.warnings[:MAX_LISTED]]))
    return html.Div(parts, id="admin-grids-report-body")
