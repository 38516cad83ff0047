"""The dispatch console's action forms: the bulk bar under the filters and the actions box of
the case pane (every action's button and fields; the pane's class shows the allowed ones)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from app.i18n import t
from app.pages.dispatch import ids
from models.workflow import VOID_REASONS


def bulk_bar(lang: str) -> html.Div:
    return html.Div(
        id=ids.BULK_BAR,
        className="dispatch-bulk empty",
        children=[
            html.Span(t("dispatch.bulk_none", lang), id=ids.BULK_COUNT, className="bulk-count"),
            html.Button(t("dispatch.bulk_accept", lang), id=ids.BULK_BUTTONS["accept"], n_clicks=0),
            html.Button(
                t("dispatch.bulk_register", lang), id=ids.BULK_BUTTONS["register"], n_clicks=0
            ),  # fmt: skip
            html.Button(
                t("dispatch.bulk_dispatch", lang),
                id=ids.BULK_BUTTONS["dispatch"],
                n_clicks=0,
                className="primary",
            ),  # fmt: skip
            dcc.Dropdown(
                id=ids.BULK_VOID_REASON,
                className="bulk-reason",
                clearable=False,
                value=VOID_REASONS[0],
                options=_void_options(lang),
            ),  # fmt: skip
            html.Button(
                t("dispatch.bulk_void", lang),
                id=ids.BULK_BUTTONS["void"],
                n_clicks=0,
                className="danger",
            ),  # fmt: skip
            dcc.Dropdown(
                id=ids.BULK_MERGE_INTO,
                className="bulk-into",
                options=[],
                placeholder=t("dispatch.bulk_merge_into", lang),
            ),  # fmt: skip
            html.Button(t("dispatch.bulk_merge", lang), id=ids.BULK_BUTTONS["merge"], n_clicks=0),
            html.Div(id=ids.BULK_RESULT, className="bulk-result"),
        ],
    )


def _void_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"dispatch.void_{r}", lang), "value": r} for r in VOID_REASONS]


def _button(action: str, lang: str, cls: str = "") -> html.Button:
    key = f"dispatch.btn_{action}"
    return html.Button(t(key, lang), id=ids.ACTION_BUTTONS[action], n_clicks=0,
                       className=f"act act-{action.replace('_', '-')} {cls}")  # fmt: skip


def _group(action: str, children: list[Any]) -> html.Div:
    return html.Div(children, className=f"grp grp-{action.replace('_', '-')}")


def actions_box(lang: str, options: dict[str, list[dict[str, Any]]]) -> html.Div:
    """Every action's button and fields; the pane's class shows those the case allows."""
    one_click = [_button(a, lang, "primary" if a in ("dispatch", "close") else "")
                 for a in ("accept", "register", "dispatch", "approve_extension", "close",
                           "verify_ok")]  # fmt: skip
    note_row = html.Div(
        className="note-row",
        children=[
            dcc.Dropdown(
                id=ids.CANNED,
                options=[],
                placeholder=t("dispatch.canned", lang),
                className="canned",
            ),  # fmt: skip
            dcc.Textarea(
                id=ids.NOTE, placeholder=t("dispatch.note", lang), maxLength=500, className="note"
            ),  # fmt: skip
        ],
    )
    forms = [
        _group("dispatch_override", [
            dcc.Dropdown(id=ids.UNIT, options=options["units"],
                         placeholder=t("dispatch.unit", lang)),
            dcc.Input(id=ids.OVERRIDE_REASON, placeholder=t("dispatch.override_reason", lang),
                      maxLength=200),
            _button("dispatch_override", lang),
        ]),
        _group("void", [
            dcc.Dropdown(id=ids.VOID_REASON, options=_void_options(lang),
                         placeholder=t("dispatch.void_reason", lang)),
            _button("void", lang, "danger"),
        ]),
        _group("merge", [
            dcc.Dropdown(id=ids.MERGE_INTO, options=[], placeholder=t("dispatch.merge_pick", lang)),
            dcc.Input(id=ids.MERGE_TYPED, placeholder=t("dispatch.merge_typed", lang),
                      maxLength=64),
            _button("merge", lang),
        ]),
        _group("recategorise", [
            dcc.Dropdown(id=ids.CATEGORY, options=options["categories"],
                         placeholder=t("dispatch.category", lang)),
            dcc.Input(id=ids.RECAT_REASON, placeholder=t("dispatch.recat_reason", lang),
                      maxLength=200),
            _button("recategorise", lang),
        ]),
        _group("deny_extension", [
            dcc.Input(id=ids.DENY_REASON, placeholder=t("dispatch.deny_reason", lang),
                      maxLength=200),
            _button("deny_extension", lang),
        ]),
        _group("supervise", [_button("supervise", lang, "warn")]),
        _group("verify_fail", [_button("verify_fail", lang, "danger")]),
    ]  # fmt: skip
    return html.Div(
        id=ids.ACTIONS_BOX,
        className="dispatch-actions",
        children=[
            html.Div(one_click, className="one-click"),
            note_row,
            html.Div(forms, className="forms"),
        ],
    )
