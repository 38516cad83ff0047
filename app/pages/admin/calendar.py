"""Admin tab 'calendar' (工作日历): the year view of a chosen year (working days, weekends,
public holidays and 调休 make-up days from chinese_calendar, the admin's extra holidays and
working days), the daily working hours, the years the package covers; a click on a day or
the two date lists save the admin's days (settings document ``calendar``), in force at once
for new deadlines (models.calendar_in_force)."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfo

from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from models.calendar_in_force import (
    DAY_KINDS,
    FIRST_YEAR,
    LAST_YEAR,
    build_calendar,
    save_calendar,
    saved_extras,
    year_days,
)
from models.clock import utcnow
from models.settings_docs import SettingsDocError
from models.work_calendar import WorkCalendar

_SEPARATORS = re.compile(r"[\s,，;；、]+")
#: At most this many characters in a date list (a year of dates is ~4 KB).
MAX_LIST_CHARS = 8000


@functools.cache
def covered_years() -> tuple[int, ...]:
    """The years chinese_calendar has published holidays for."""
    probe = WorkCalendar()
    return tuple(y for y in range(FIRST_YEAR, LAST_YEAR + 1) if probe.is_covered(y))


def triggered() -> Any:
    """The id of the input that fired the callback (None outside a Dash request)."""
    try:
        return ctx.triggered_id
    except Exception:  # called directly, as the tests do
        return None


def _local_year(tz: str) -> int:
    return utcnow().replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).year


def parse_dates(text: Any, lang: str) -> tuple[list[date], list[str]]:
    """Dates of a list typed by the admin (one a line, or separated by commas or spaces),
    and the problems (each bad entry named)."""
    if text is None:
        return [], []
    if not isinstance(text, str) or len(text) > MAX_LIST_CHARS:
        return [], [t("admin.calendar.bad_list", lang, chars=MAX_LIST_CHARS)]
    days, problems = [], []
    for item in filter(None, _SEPARATORS.split(text.strip())):
        try:
            if len(item) != 10:
                raise ValueError(item)
            day = date.fromisoformat(item)
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ValueError(item)
            days.append(day)
        except ValueError:
            problems.append(t("admin.calendar.bad_date", lang, value=item[:40]))
    return days, problems


def chosen_year(value: Any) -> int | None:
    """The year of the dropdown, or None for anything that is not a year in range."""
    if isinstance(value, bool):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if FIRST_YEAR <= year <= LAST_YEAR and str(value).strip() == str(year) else None


def _base() -> WorkCalendar:
    """The config's calendar without the admin's days (what a click toggles against)."""
    ctx = get_context()
    return build_calendar(ctx.config.settings.calendar, set(), set())


def _hours_text(lang: str) -> str:
    settings = get_context().config.settings.calendar
    hours = _base().day_length.total_seconds() / 3600
    periods = "、".join(p.replace("-", "–") for p in settings.work_periods)
    return t("admin.calendar.hours", lang, periods=periods, tz=settings.timezone,
             hours=f"{hours:g}")  # fmt: skip


def _legend(lang: str) -> html.Div:
    return html.Div(
        className="cal-legend",
        children=[
            html.Span(
                [html.Span(className=f"cal-swatch {kind}"), t(f"admin.calendar.kind.{kind}", lang)]
            )  # fmt: skip
            for kind in DAY_KINDS
        ],
    )


def panel(lang: str, query: dict[str, str]) -> Any:
    year = chosen_year(query.get("year")) or _local_year(
        get_context().config.settings.calendar.timezone
    )
    now_year = _local_year(get_context().config.settings.calendar.timezone)
    years = sorted({*range(now_year - 2, now_year + 3), year})
    return html.Div(
        className="admin-calendar",
        children=[
            html.H2(t("admin.tab.calendar", lang)),
            html.P(t("admin.calendar.intro", lang), className="muted"),
            html.Div(
                className="admin-filters",
                children=[
                    html.Label(
                        [
                            html.Span(t("admin.calendar.year", lang)),
                            dcc.Dropdown(
                                id=ids.CAL_YEAR,
                                options=years,
                                value=year,
                                clearable=False,
                                className="admin-dropdown cal-year",
                            ),
                        ],
                        className="admin-field",
                    ),  # fmt: skip
                    html.P(_hours_text(lang), id=ids.CAL_HOURS, className="cal-hours"),
                ],
            ),
            html.Div(id=ids.CAL_COVERAGE),
            _legend(lang),
            html.P(t("admin.calendar.hint", lang), className="muted"),
            html.Div(id=ids.CAL_MESSAGE),
            html.Div(id=ids.CAL_GRID, className="cal-year-view"),
            html.Div(
                className="cal-lists",
                children=[
                    html.Label(
                        [
                            html.Span(t(f"admin.calendar.{name}", lang)),
                            dcc.Textarea(
                                id=id_, rows=6, maxLength=MAX_LIST_CHARS, className="cal-list"
                            ),
                        ],
                        className="admin-field",
                    )  # fmt: skip
                    for name, id_ in (
                        ("holidays", ids.CAL_HOLIDAYS),
                        ("workdays", ids.CAL_WORKDAYS),
                    )  # fmt: skip
                ]
                + [
                    html.Button(
                        t("admin.calendar.save", lang),
                        id=ids.CAL_SAVE,
                        n_clicks=0,
                        className="primary",
                    )
                ],  # fmt: skip
            ),
            dcc.Store(id=ids.CAL_REFRESH, data=0),
        ],
    )


def _month(month: int, days: list[tuple[date, str, str | None]], lang: str) -> html.Div:
    heads = t("admin.calendar.weekdays", lang).split(",")
    cells: list[Any] = [html.Span(h, className="cal-head") for h in heads]
    cells += [html.Span(className="cal-blank") for _ in range(days[0][0].weekday())]
    for day, kind, name in days:
        label = t(f"admin.calendar.kind.{kind}", lang) + (f" · {name}" if name else "")
        cells.append(
            html.Button(
                str(day.day),
                id={"type": ids.CAL_DAY, "date": day.isoformat()},
                className=f"cal-day {kind}",
                title=f"{day.isoformat()} {label}",
                n_clicks=0,
            )
        )
    return html.Div(
        className="cal-month",
        children=[
            html.Div(t("admin.calendar.month", lang, month=month), className="cal-title"),
            html.Div(cells, className="cal-days"),
        ],  # fmt: skip
    )


def year_view(year: int, lang: str) -> list[html.Div]:
    """The 12 month grids of ``year`` with the admin's saved days marked."""
    holidays, workdays = saved_extras(get_context().store)
    days = year_days(_base(), year, holidays, workdays, lang=lang)
    return [_month(m, [d for d in days if d[0].month == m], lang) for m in range(1, 13)]


def coverage(year: int, lang: str) -> list[Any]:
    years = covered_years()
    span = f"{years[0]}–{years[-1]}" if years else "—"
    out: list[Any] = [html.P(t("admin.calendar.coverage", lang, years=span), className="muted")]
    if year not in years:
        out.append(html.P(t("admin.calendar.uncovered", lang, year=year), className="notice",
                          role="alert"))  # fmt: skip
    return out


@callback(
    Output(ids.CAL_GRID, "children"),
    Output(ids.CAL_COVERAGE, "children"),
    Output(ids.CAL_HOLIDAYS, "value"),
    Output(ids.CAL_WORKDAYS, "value"),
    Input(ids.CAL_YEAR, "value"),
    Input(ids.CAL_REFRESH, "data"),
)
def render(year_value: Any, _refresh: Any) -> tuple[Any, Any, Any, Any]:
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang), [], "", ""
    year = chosen_year(year_value)
    if year is None:
        return message(t("admin.calendar.bad_year", lang), False), [], no_update, no_update
    holidays, workdays = saved_extras(get_context().store)
    return (
        year_view(year, lang),
        coverage(year, lang),
        "\n".join(sorted(d.isoformat() for d in holidays)),
        "\n".join(sorted(d.isoformat() for d in workdays)),
    )


def _saved(lang: str, holidays: Any, workdays: Any) -> html.Div:
    return message(t("admin.calendar.saved", lang, holidays=len(holidays),
                     workdays=len(workdays)), True)  # fmt: skip


def _save(user: str, holidays: Any, workdays: Any, note: str, lang: str) -> html.Div | None:
    """Save; the refusal as a message (None when saved)."""
    try:
        save_calendar(get_context().store, holidays, workdays, actor=user, note=note)
    except SettingsDocError as exc:
        return message(t("admin.calendar.refused", lang, reason="; ".join(exc.problems)), False)
    return None


@callback(
    Output(ids.CAL_MESSAGE, "children"),
    Output(ids.CAL_REFRESH, "data"),
    Input({"type": ids.CAL_DAY, "date": ALL}, "n_clicks"),
    Input(ids.CAL_SAVE, "n_clicks"),
    State(ids.CAL_HOLIDAYS, "value"),
    State(ids.CAL_WORKDAYS, "value"),
    State(ids.CAL_REFRESH, "data"),
    prevent_initial_call=True,
)
def change_days(
    day_clicks: Any,
    save_clicks: Any,
    holidays_text: Any,
    workdays_text: Any,
    refresh: Any,
    *,
    toggled: Any = None,
) -> tuple[Any, Any]:
    """A click on a day toggles it (``toggled``: its date, given by tests calling directly);
    the save button saves the two lists as typed."""
    lang = page_language()
    user = acting_admin()
    if user is None:
        return forbidden(lang), no_update
    trigger = toggled if toggled is not None else triggered()
    bump = (refresh if isinstance(refresh, int) else 0) + 1
    if isinstance(trigger, dict) and trigger.get("type") == ids.CAL_DAY:
        if not any(isinstance(n, int) and n > 0 for n in day_clicks or []) and toggled is None:
            return no_update, no_update  # the grid was drawn again, nothing clicked
        trigger = trigger.get("date")
    if isinstance(trigger, str) and trigger != ids.CAL_SAVE:
        return _toggle(user.user.username, trigger, lang, bump)
    if trigger != ids.CAL_SAVE and not save_clicks:
        return no_update, no_update
    holidays, bad_h = parse_dates(holidays_text, lang)
    workdays, bad_w = parse_dates(workdays_text, lang)
    if both := sorted(set(holidays) & set(workdays)):
        bad_h.append(t("admin.calendar.both", lang, dates="、".join(map(str, both[:10]))))
    if bad_h or bad_w:
        return message(" ".join(bad_h + bad_w), False), no_update
    refused = _save(user.user.username, holidays, workdays, "date lists", lang)
    return refused or _saved(lang, set(holidays), set(workdays)), bump


def _toggle(user: str, iso: str, lang: str, bump: int) -> tuple[Any, Any]:
    try:
        day = date.fromisoformat(iso) if len(iso) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return message(t("admin.calendar.bad_date", lang, value=iso[:40]), False), no_update
    holidays, workdays = (set(s) for s in saved_extras(get_context().store))
    if day in workdays:
        workdays.discard(day)
    elif day in holidays:
        holidays.discard(day)
    elif _base().is_working_day(day):
        holidays.add(day)
    else:
        workdays.add(day)
    refused = _save(user, holidays, workdays, f"toggle {iso}", lang)
    if refused is not None:
        return refused, no_update
    kind = ("extra_holiday" if day in holidays else "extra_workday" if day in workdays
            else "restored")  # fmt: skip
    text = t("admin.calendar.toggled", lang, date=iso, kind=t(f"admin.calendar.kind.{kind}", lang))
    return message(text, True), bump
