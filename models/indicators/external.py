"""Indicators a city gets from elsewhere (经济运行 from the statistics bureau: GDP growth,
retail sales, industrial output): checking imported rows, storing them (``indicator_values``)
and the measure ``external.value`` that shows them like any other indicator.

Reading the CSV/XLSX file is ingest's (``ingest.files.indicator_values.import_external``);
this module judges each row and writes them all in one transaction.

An external value belongs to one period label of the indicator's frequency (a monthly
figure to ``2026-11``, a quarterly one to ``2026-Q3``) and one scope code: the city's adcode
or a district's. The measure returns the stored value of exactly the asked period: a monthly
indicator asked for a quarter has no value unless a quarter value was imported (figures are
not summed or averaged here: growth rates do not add up). A scope that is neither the whole
city nor exactly one district has no external values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from models.indicators.measure_kit import with_params
from models.indicators.periods import DEFAULT_TZ, parse_period
from models.security import Scope
from models.store import Store, WriteTx

if TYPE_CHECKING:
    from models.indicators.periods import Period
    from models.indicators.registry import Indicator

MEASURE_KEY = "external.value"
#: An indicator's declared frequency -> the period kind its values are stored under.
FREQUENCY_KINDS: dict[str, str] = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}
#: Columns of an import file; ``synthetic`` and ``source`` may be left out.
REQUIRED_COLUMNS = ("indicator_id", "period", "scope_code", "value")
OPTIONAL_COLUMNS = ("synthetic", "source")
#: Header aliases (after ``normalize_header``): Chinese statistics-style names.
ALIASES: dict[str, str] = {
    "indicator": "indicator_id",
    "指标编码": "indicator_id",
    "指标代码": "indicator_id",
    "期别": "period",
    "时期": "period",
    "统计期": "period",
    "scope": "scope_code",
    "区划代码": "scope_code",
    "地区代码": "scope_code",
    "数值": "value",
    "值": "value",
    "模拟数据": "synthetic",
    "来源": "source",
}
_FIRST_OF_MONTH = re.compile(r"\d{4}-\d{2}-01")
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否", ""}


@dataclass(frozen=True)
class ValueRow:
    """One checked row, ready to store."""

    line: int
    indicator_id: str
    period: str  # the canonical label of parse_period
    scope_code: str
    value: float
    synthetic: bool
    source: str | None


@dataclass(frozen=True)
class RowProblem:
    """Why one row was refused (``line``: the file's line or sheet row)."""

    line: int
    reason: str
    column: str | None = None
    value: str | None = None


def external_indicators(indicators: Iterable[Indicator]) -> dict[str, Indicator]:
    """The indicators whose values are imported, by id."""
    return {ind.id: ind for ind in indicators if ind.measure == MEASURE_KEY}


def scope_codes(store: Store) -> set[str]:
    """Codes an external value may belong to: the city's and its districts'."""
    rows = store.query_rows("SELECT code FROM admin_areas WHERE level IN ('city', 'district')")
    return {str(r[0]) for r in rows}


def _flag(text: str | None) -> bool | None:
    word = (text or "").strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


def _month_cell(text: str, ind: Indicator | None) -> str:
    """A spreadsheet turns a typed ``2026-11`` into the date 1 November 2026: for a monthly
    indicator, the first day of a month (with or without a midnight time) is that month."""
    day = text.removesuffix(" 00:00:00").removesuffix("T00:00:00")
    if ind is not None and ind.frequency == "monthly" and _FIRST_OF_MONTH.fullmatch(day):
        return day[:7]
    return text


#: The widest plausible imported figure, and of a figure in percent (a growth rate cannot
#: fall below -100 %): beyond them a row is a typing or export error, not a statistic.
MAX_MAGNITUDE = 1e9
PERCENT_RANGE = (-100.0, 10_000.0)


def _value_problem(value: float, ind: Indicator | None) -> str | None:
    if not math.isfinite(value):
        return "not a finite number"
    if abs(value) > MAX_MAGNITUDE:
        return f"out of range: larger than {MAX_MAGNITUDE:g} in magnitude"
    if ind is not None and ind.unit == "%" and not PERCENT_RANGE[0] <= value <= PERCENT_RANGE[1]:
        return f"out of range for a percentage ({PERCENT_RANGE[0]:g} to {PERCENT_RANGE[1]:g})"
    return None


def check_rows(
    records: Sequence[tuple[int, Mapping[str, str | None]]],
    *,
    indicators: Mapping[str, Indicator],
    codes: set[str],
    tz: str = DEFAULT_TZ,
    now: datetime | None = None,
) -> tuple[list[ValueRow], list[RowProblem]]:
    """Judge every record ``(line, {column: text})``; returns the good rows and every problem.

    A row is good when its ``indicator_id`` is a known external indicator, its ``period``
    parses (``parse_period``) to the kind of the indicator's frequency, its ``scope_code``
    is in ``codes``, its ``value`` is a finite number within :data:`MAX_MAGNITUDE` (within
    :data:`PERCENT_RANGE` for a percentage) and ``synthetic`` (when given) is a yes/no word;
    with ``now`` (naive UTC), a period not over by then is refused (figures are published
    after their period); a key (indicator, period, scope) given twice in the file is
    refused at its second line.
    """
    rows: list[ValueRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, record in records:
        found: list[RowProblem] = []
        ident = (record.get("indicator_id") or "").strip()
        ind = indicators.get(ident)
        if ind is None:
            known = ", ".join(sorted(indicators)) or "none declared"
            found.append(RowProblem(line, f"not an external indicator (known: {known})",
                                    "indicator_id", ident))  # fmt: skip
        text = (record.get("period") or "").strip()
        label = None
        try:
            period = parse_period(_month_cell(text, ind), tz)
            label = period.label
            want = FREQUENCY_KINDS.get(ind.frequency) if ind is not None else None
            if ind is not None and period.kind != want:
                found.append(RowProblem(
                    line, f"{ident} is {ind.frequency}: its periods are of kind {want}, "
                    f"not {period.kind}", "period", text))  # fmt: skip
            elif now is not None and period.end > now:
                found.append(RowProblem(line, f"the period {period.label} is not over yet",
                                        "period", text))  # fmt: skip
        except ValueError as exc:
            found.append(RowProblem(line, f"not a period: {exc}", "period", text))
        code = (record.get("scope_code") or "").strip()
        if code not in codes:
            found.append(RowProblem(line, "not the city's or a district's code", "scope_code",
                                    code))  # fmt: skip
        raw = (record.get("value") or "").strip()
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            value = math.nan
        if (problem := _value_problem(value, ind)) is not None:
            found.append(RowProblem(line, problem, "value", raw[:40]))
        synthetic = _flag(record.get("synthetic"))
        if synthetic is None:
            found.append(RowProblem(line, "not yes/no (true/false, 1/0, 是/否)", "synthetic",
                                    record.get("synthetic")))  # fmt: skip
        if not found and label is not None:
            key = (ident, label, code)
            if key in seen:
                found.append(RowProblem(line, f"the same indicator, period and scope as line "
                                        f"{seen[key]}", "period", text))  # fmt: skip
            else:
                seen[key] = line
        if found:
            problems += found
            continue
        source = (record.get("source") or "").strip() or None
        rows.append(ValueRow(line, ident, str(label), code, value, bool(synthetic), source))
    return rows, problems


def write_values(
    tx: WriteTx, rows: Sequence[ValueRow], *, source: str, actor: str | None, now: datetime
) -> dict[str, int]:
    """Store ``rows`` inside the caller's transaction; a stored value of the same
    (indicator, period, scope) is replaced (a revised figure). Returns ``loaded`` and
    ``replaced`` counts."""
    if not rows:
        return {"loaded": 0, "replaced": 0}
    keys = [[r.indicator_id, r.period, r.scope_code] for r in rows]
    replaced = tx.fetch(
        "SELECT count(*) FROM indicator_values WHERE list_contains(?, "
        "[indicator_id, period, scope_code])",
        [keys],
    )[0][0]
    tx.execute(
        "DELETE FROM indicator_values WHERE list_contains(?, [indicator_id, period, scope_code])",
        [keys],
    )
    for r in rows:
        tx.execute(
            "INSERT INTO indicator_values (indicator_id, period, scope_code, value, source, "
            "imported_at, imported_by, synthetic) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [r.indicator_id, r.period, r.scope_code, r.value, r.source or source, now, actor,
             r.synthetic],
        )  # fmt: skip
    return {"loaded": len(rows), "replaced": int(replaced)}


def scope_code_of(store: Store, scope: Scope) -> str | None:
    """The code external values are stored under for ``scope``: the city's adcode, or the
    district's code of a one-district scope; None for any other scope."""
    if scope.kind == "city":
        return store.query_value("SELECT min(code) FROM admin_areas WHERE level = 'city'")
    if scope.kind == "district" and len(scope.codes) == 1:
        return scope.codes[0]
    return None


def external_value(
    store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
) -> list[float | None]:
    """The imported value of ``ind`` for each period (exactly that period's label) and the
    scope's code; None where none was imported (see the module docstring)."""
    del now  # an imported figure is as published
    code = scope_code_of(store, scope)
    if code is None or not periods:
        return [None] * len(periods)
    rows = store.query_rows(
        "SELECT period, value FROM indicator_values WHERE indicator_id = ? AND scope_code = ? "
        "AND list_contains(?, period)",
        [ind.id, code, [p.label for p in periods]],
    )
    found = dict(rows)
    return [found.get(p.label) for p in periods]


MEASURES: dict[str, Any] = {MEASURE_KEY: with_params(external_value)}
