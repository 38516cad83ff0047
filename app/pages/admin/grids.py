"""Admin tab 'grids' (网格版本): upload a new grid, read its topology report on a map,
confirm it as the new version; the versions with their validity and the diff of two."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from dash import dcc, html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.grids_map import DIFF_KINDS, diff_config, legend
from app.pages.admin.grids_upload import MAX_UPLOAD_BYTES, SUFFIXES
from models.grid_diff import GridDiff
from models.grid_versions import diff_versions, list_versions
from models.store import Store


def upload_limit() -> int:
    """Largest upload in bytes: :data:`MAX_UPLOAD_BYTES`, or less when ``ingest.max_file_mb``
    (the limit of every file load) is lower."""
    limit = get_context().config.settings.ingest.max_file_mb * 2**20
    return int(min(MAX_UPLOAD_BYTES, limit))


def local_text(value: Any, lang: str) -> str:
    """A stored UTC-naive time as local ``YYYY-MM-DD HH:MM`` (empty: ``—``)."""
    if not isinstance(value, datetime) or pd.isna(value):
        return "—"
    zone = ZoneInfo(get_context().config.settings.calendar.timezone)
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _text(value: Any) -> str:
    return "—" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def versions_table(store: Store, lang: str) -> html.Table:
    """Every version, newest first, with its validity, size, source and importer."""
    rows = list_versions(store).to_dict("records")
    head = ["version", "name", "valid_from", "valid_to", "cells", "imported_by"]
    body = []
    for row in rows:
        current = row["valid_to"] is None or pd.isna(row["valid_to"])
        body.append(
            html.Tr(
                [
                    html.Td(str(row["version_id"])),
                    html.Td(_text(row["name"]), title=_text(row["source"])),
                    html.Td(local_text(row["valid_from"], lang)),
                    html.Td(
                        t("admin.grids.current", lang)
                        if current
                        else local_text(row["valid_to"], lang)
                    ),
                    html.Td(f"{int(row['cell_count']):,}"),
                    html.Td(_text(row["imported_by"])),
                ],
                className="current" if current else "",
            )
        )
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"admin.grids.col.{h}", lang)) for h in head])),
            html.Tbody(body),
        ],
        className="table admin-grids-versions",
    )


def version_options(store: Store) -> tuple[list[dict[str, Any]], int | None, int | None]:
    """Dropdown options of the versions and the default pair (previous, latest)."""
    found = [int(v) for v in list_versions(store)["version_id"]]
    options = [{"label": f"v{v}", "value": v} for v in found]
    if not found:
        return options, None, None
    return options, (found[1] if len(found) > 1 else found[0]), found[0]


def diff_counts(diff: GridDiff, older: int, newer: int, lang: str) -> html.Div:
    counts = diff.counts()
    return html.Div(
        [
            html.Span(t("admin.grids.diff_title", lang, older=older, newer=newer)),
            *[
                html.Span(
                    f"{t(f'admin.grids.kind.{k}', lang)} {counts[k]:,}",
                    className=f"count kind-{k}",
                    id=f"admin-grids-count-{k}",
                )
                for k in DIFF_KINDS
            ],
        ],
        className="admin-grids-counts",
    )


def diff_view(store: Store, older: int, newer: int, lang: str) -> tuple[Any, dict[str, Any]]:
    """The counts and the map config of the diff of two stored versions."""
    diff, drawn = diff_versions(store, older, newer)
    return diff_counts(diff, older, newer, lang), diff_config(
        store, drawn, f"diff:{older}:{newer}", lang
    )


def panel(lang: str, query: dict[str, str]) -> Any:
    store = get_context().store
    options, older, newer = version_options(store)
    counts: Any = None
    config = None
    if older is not None and newer is not None:
        counts, config = diff_view(store, older, newer, lang)
    accept = ",".join(SUFFIXES)
    limit = upload_limit()
    mb = max(1, limit // 2**20)
    return html.Div(
        className="admin-grids",
        children=[
            html.H2(t("admin.tab.grids", lang)),
            html.P(t("admin.grids.intro", lang, mb=mb), className="hint"),
            html.Div(
                className="admin-grids-upload-row",
                children=[
                    html.Div(
                        dcc.Upload(
                            id=ids.GRIDS_UPLOAD,
                            children=html.Div(t("admin.grids.drop", lang, mb=mb)),
                            accept=accept,
                            max_size=limit,
                            multiple=False,
                            className="upload-box",
                        ),
                        # the drop zone drops a larger file without a word: assets/admin-grids.js
                        # says why from these
                        className="admin-grids-upload-box",
                        **{
                            "data-max-bytes": str(limit),
                            "data-too-big": t("admin.grids.too_big", lang, mb=mb),
                        },
                    ),
                    html.Label(
                        [
                            t("admin.grids.valid_from", lang),
                            dcc.Input(
                                id=ids.GRIDS_VALID_FROM,
                                type="datetime-local",
                                debounce=True,
                                className="input",
                                style={"width": "210px"},
                            ),
                        ],
                        className="field",
                    ),
                    html.Button(
                        t("admin.grids.confirm", lang),
                        id=ids.GRIDS_CONFIRM,
                        disabled=True,
                        className="btn primary",
                    ),
                    html.Button(
                        t("admin.grids.discard", lang), id=ids.GRIDS_DISCARD, className="btn"
                    ),
                ],
            ),
            dcc.Store(id=ids.GRIDS_STAGED),
            html.Div(
                className="admin-grids-main",
                children=[
                    html.Div(
                        [
                            html.Div(id=ids.GRIDS_MAP, className="admin-grids-map"),
                            html.Div(
                                legend(DIFF_KINDS, lang) if config else [],
                                id=ids.GRIDS_MAP_LEGEND,
                                className="legend",
                            ),
                        ],
                        className="admin-grids-map-wrap",
                    ),
                    html.Div(
                        className="admin-grids-side",
                        children=[
                            dcc.Loading(
                                html.Div(id=ids.GRIDS_REPORT, className="admin-grids-report")
                            ),
                            html.Div(id=ids.GRIDS_MESSAGE),
                            html.H3(t("admin.grids.versions", lang)),
                            html.Div(versions_table(store, lang), id=ids.GRIDS_VERSIONS),
                            html.H3(t("admin.grids.diff", lang)),
                            html.Div(
                                [
                                    dcc.Dropdown(
                                        id=ids.GRIDS_DIFF_FROM,
                                        options=options,
                                        value=older,
                                        clearable=False,
                                    ),
                                    dcc.Dropdown(
                                        id=ids.GRIDS_DIFF_TO,
                                        options=options,
                                        value=newer,
                                        clearable=False,
                                    ),
                                    html.Button(
                                        t("admin.grids.diff_show", lang),
                                        id=ids.GRIDS_DIFF_SHOW,
                                        className="btn",
                                    ),
                                ],
                                className="admin-grids-diff-row",
                            ),
                            html.Div(counts, id=ids.GRIDS_DIFF_RESULT),
                        ],
                    ),
                ],
            ),
            dcc.Store(id=ids.GRIDS_MAP_CONFIG, data=config),
            dcc.Store(id=ids.GRIDS_MAP_MOUNTED),
        ],
    )
