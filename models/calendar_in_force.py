"""The working calendar in force: the config's calendar plus the administrator's saved extra
holidays and working days (settings document ``calendar``), rebuilt when a new version is
saved, so a change is effective without a restart in every process that reads the store."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date
from typing import Any

from models.settings_docs import current_doc, doc_version, save_doc
from models.store import Store
from models.work_calendar import WorkCalendar

#: The settings document of the admin's calendar overrides.
DOC_NAME = "calendar"
#: Dates the admin may mark: the years a deadline set today could plausibly reach.
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: At most this many dates per list (a year of days; more is a mistake, not a calendar).
MAX_DATES = 366

_cache: dict[tuple, WorkCalendar] = {}
_lock = threading.Lock()


def _dates(values: Any, key: str, problems: list[str]) -> list[date]:
    if not isinstance(values, list):
        problems.append(f"{key} must be a list of dates YYYY-MM-DD")
        return []
    if len(values) > MAX_DATES:
        problems.append(f"{key}: at most {MAX_DATES} dates")
    out: list[date] = []
    for value in values:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None or len(value) != 10:
            problems.append(f"{key}: {value!r} is not a date YYYY-MM-DD")
        elif not FIRST_YEAR <= day.year <= LAST_YEAR:
            problems.append(f"{key}: {value} is outside {FIRST_YEAR}-{LAST_YEAR}")
        else:
            out.append(day)
    return out


def calendar_problems(body: Any) -> list[str]:
    """Why ``body`` is not a calendar document (empty when it is one).

    A document is ``{"extra_holidays": [...], "extra_workdays": [...]}`` of ISO dates; a
    date may not be in both lists."""
    if not isinstance(body, dict):
        return ["the calendar document must be a mapping"]
    problems: list[str] = []
    if unknown := sorted(set(body) - {"extra_holidays", "extra_workdays"}):
        problems.append(f"unknown keys {unknown}")
    holidays = _dates(body.get("extra_holidays", []), "extra_holidays", problems)
    workdays = _dates(body.get("extra_workdays", []), "extra_workdays", problems)
    if both := sorted(set(holidays) & set(workdays)):
        problems.append(
            "a day cannot be both a holiday and a working day: "
            + ", ".join(d.isoformat() for d in both)
        )
    return problems


def calendar_doc(holidays: Iterable[date | str], workdays: Iterable[date | str]) -> dict:
    """A calendar document of these dates: ISO text, sorted, each once."""

    def iso(values: Iterable[date | str]) -> list[str]:
        return sorted({v.isoformat() if isinstance(v, date) else str(v) for v in values})

    return {"extra_holidays": iso(holidays), "extra_workdays": iso(workdays)}


def saved_extras(store: Store) -> tuple[frozenset[date], frozenset[date]]:
    """The admin's saved extra holidays and working days (empty when none was saved)."""
    doc = current_doc(store, DOC_NAME)
    if doc is None or calendar_problems(doc.body):
        return frozenset(), frozenset()
    body = doc.body
    return (
        frozenset(date.fromisoformat(v) for v in body.get("extra_holidays", [])),
        frozenset(date.fromisoformat(v) for v in body.get("extra_workdays", [])),
    )


def save_calendar(
    store: Store,
    holidays: Iterable[date | str],
    workdays: Iterable[date | str],
    *,
    actor: str,
    note: str | None = None,
) -> int:
    """Validate and save the admin's extra days (audited); the version id.

    Raises
    ------
    models.settings_docs.SettingsDocError
        Nothing saved; ``problems`` says why.
    """
    doc = save_doc(
        store, DOC_NAME, calendar_doc(holidays, workdays), actor=actor,
        validate=calendar_problems, note=note,
    )  # fmt: skip
    return doc.doc_id


def build_calendar(
    settings: Any, holidays: Iterable[date], workdays: Iterable[date]
) -> WorkCalendar:
    """The config's calendar (``CalendarSettings``) with the admin's days on top: a day the
    admin marks wins over the config's mark of the same day."""
    holidays, workdays = frozenset(holidays), frozenset(workdays)
    base_holidays = {date.fromisoformat(str(v)) for v in settings.extra_holidays}
    base_workdays = {date.fromisoformat(str(v)) for v in settings.extra_workdays}
    return WorkCalendar(
        settings.work_periods,
        tz=settings.timezone,
        extra_holidays=(base_holidays - workdays) | holidays,
        extra_workdays=(base_workdays - holidays) | workdays,
    )


#: What a day of the year view is: an ordinary working day, a weekend, a public holiday
#: (the package's or the config's), a 调休 make-up working day (a weekend worked), and the
#: admin's own extra holiday or working day.
DAY_KINDS = ("workday", "weekend", "holiday", "makeup", "extra_holiday", "extra_workday")


def day_kind(
    base: WorkCalendar, day: date, holidays: frozenset[date], workdays: frozenset[date]
) -> str:
    """Which of :data:`DAY_KINDS` ``day`` is: the admin's marks first, then ``base`` (the
    config's calendar without the admin's days)."""
    if day in workdays:
        return "extra_workday"
    if day in holidays:
        return "extra_holiday"
    weekend = day.weekday() >= 5
    if base.is_working_day(day):
        return "makeup" if weekend else "workday"
    return "weekend" if weekend and base.holiday_name(day) is None else "holiday"


def year_days(
    base: WorkCalendar,
    year: int,
    holidays: frozenset[date],
    workdays: frozenset[date],
    *,
    lang: str = "zh",
) -> list[tuple[date, str, str | None]]:
    """Every day of ``year``: its date, :func:`day_kind` and public holiday name (or None)."""
    day, out = date(year, 1, 1), []
    while day.year == year:
        out.append((day, day_kind(base, day, holidays, workdays), base.holiday_name(day, lang)))
        day = date.fromordinal(day.toordinal() + 1)
    return out


def calendar_in_force(store: Store, settings: Any) -> WorkCalendar:
    """The working calendar of new deadlines: ``settings`` (``CalendarSettings``) plus the
    saved document, built once per (store, settings, document version).

    Deadlines already stored do not move; the next one computed uses the new calendar."""
    version = doc_version(store, DOC_NAME)
    key = (
        str(getattr(store, "path", id(store))),
        tuple(settings.work_periods),
        settings.timezone,
        tuple(settings.extra_holidays),
        tuple(settings.extra_workdays),
        version,
    )
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    holidays, workdays = saved_extras(store) if version else (frozenset(), frozenset())
    built = build_calendar(settings, holidays, workdays)
    with _lock:
        if len(_cache) > 32:  # old versions are never asked for again
            _cache.clear()
        return _cache.setdefault(key, built)


__all__ = [
    "DAY_KINDS",
    "DOC_NAME",
    "day_kind",
    "year_days",
    "build_calendar",
    "calendar_doc",
    "calendar_in_force",
    "calendar_problems",
    "save_calendar",
    "saved_extras",
]
