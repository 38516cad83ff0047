"""The report's tables, once: the PDF prints them and the XLSX writes them (one sheet each),
so the two never disagree. Cells hold plain values (numbers stay numbers); a column's
``fmt`` says how to show it: ``int``, ``num`` (one decimal), ``pct`` (a percent 0..100, as
the cockpit shows it; the header says ``(%)``),
``text``, ``status`` (a traffic light), ``time`` (a naive UTC datetime shown local)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from app.reports.content import RANKINGS, ReportContent

STATUS_ZH = {"green": "绿", "yellow": "黄", "red": "红", None: "—"}
#: Rows of a ranking printed in the PDF (the XLSX keeps them all).
PDF_RANK_ROWS = 15


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    fmt: str = "text"


@dataclass(frozen=True)
class Table:
    sheet: str  # the XLSX sheet name (<= 31 characters)
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def _plain(value: Any) -> Any:
    """A cell value without numpy or pandas types; NaN, NaT and None become None."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(df: pd.DataFrame, columns: tuple[Column, ...]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(_plain(row[c.key]) for c in columns) for row in df.to_dict("records"))


INDICATOR_COLUMNS = (
    Column("dimension", "维度", "Dimension"),
    Column("id", "编号", "ID"),
    Column("name_zh", "指标", "Indicator"),
    Column("value", "本期值", "Value", "num"),
    Column("unit", "单位", "Unit"),
    Column("target", "目标", "Target", "num"),
    Column("status", "状态", "Status", "status"),
    Column("previous", "上期值", "Previous", "num"),
    Column("change", "变化", "Change", "num"),
    Column("name_en", "英文名", "Name (en)"),
)
RANK_COLUMNS = (
    Column("rank", "名次", "Rank", "int"),
    Column("group_name", "名称", "Name"),
    Column("group_value", "代码", "Code"),
    Column("registered", "立案数", "Registered", "int"),
    Column("on_time_dispatch_rate", "按期派遣率 (%)", "On-time dispatch (%)", "pct"),
    Column("on_time_handling_rate", "按期处置率 (%)", "On-time handling (%)", "pct"),
    Column("closure_rate", "结案率 (%)", "Closure (%)", "pct"),
    Column("rework_rate", "返工率 (%)", "Rework (%)", "pct"),
    Column("overdue_count", "超期数", "Overdue", "int"),
    Column("score", "综合得分", "Score", "num"),
)
CATEGORY_COLUMNS = (
    Column("category_code", "类别代码", "Code"),
    Column("name_zh", "类别", "Category"),
    Column("name_en", "英文名", "Name (en)"),
    Column("cases", "案件数", "Cases", "int"),
)
DAILY_COLUMNS = (
    Column("day", "日期", "Day"),
    Column("reported", "上报数", "Reported", "int"),
    Column("closed", "已结案", "Closed", "int"),
)
INCIDENT_COLUMNS = (
    Column("incident_id", "编号", "ID"),
    Column("level", "级别", "Level"),
    Column("incident_type", "类型", "Type"),
    Column("title", "事件", "Title"),
    Column("status", "状态", "Status"),
    Column("opened_at", "发生时间", "Opened", "time"),
)
NOTABLE_COLUMNS = (
    Column("case_id", "案件编号", "Case"),
    Column("category", "类别", "Category"),
    Column("district", "区县", "District"),
    Column("street", "镇街", "Street"),
    Column("stage", "阶段", "Stage"),
    Column("escalation_level", "督办", "Escalation"),
    Column("overdue_hours", "超期小时", "Overdue h", "num"),
    Column("reported_at", "上报时间", "Reported", "time"),
)


def local_time(value: datetime | None, tz: str) -> datetime | None:
    """A naive UTC time as naive local time (what a spreadsheet cell shows)."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _localised(df: pd.DataFrame, columns: tuple[Column, ...], tz: str) -> pd.DataFrame:
    out = df.copy()
    for c in columns:
        if c.fmt == "time" and c.key in out:
            out[c.key] = [local_time(_plain(v), tz) for v in out[c.key]]
    return out


def indicator_table(content: ReportContent) -> Table:
    df = pd.DataFrame(content.indicators, columns=[c.key for c in INDICATOR_COLUMNS])
    return Table(
        "指标 Indicators", "指标一览", "Indicators", INDICATOR_COLUMNS, _rows(df, INDICATOR_COLUMNS)
    )


def score_table(content: ReportContent) -> Table:
    columns = (Column("dimension", "维度", "Dimension"), Column("score", "得分", "Score", "num"))
    dims = content.score.get("dimensions") or {}
    rows = (("城市综合 City score", _plain(content.score.get("score"))),) + tuple(
        (dim, _plain(value)) for dim, value in dims.items()
    )
    return Table("得分 Score", "城市运行得分", "City score", columns, rows)


def ranking_tables(content: ReportContent, *, limit: int | None = None) -> list[Table]:
    out = []
    for by, zh, en in RANKINGS:
        if by not in content.rankings:
            continue
        df = content.rankings[by].copy()
        for c in RANK_COLUMNS:  # evaluate's 0..1 fractions, in percent as on the screen
            if c.fmt == "pct":
                df[c.key] = pd.to_numeric(df[c.key], errors="coerce").astype(float) * 100
        # best first; a group not rated (no score: nothing due yet) comes last, unranked
        rated = pd.to_numeric(df["score"], errors="coerce").notna().tolist()
        ranks = [i + 1 if ok else None for i, ok in enumerate(rated)]
        df.insert(0, "rank", pd.Series(ranks, index=df.index, dtype=object))
        if limit is not None:
            df = df.head(limit)
        out.append(Table(f"{zh} {en}"[:31], zh, en, RANK_COLUMNS, _rows(df, RANK_COLUMNS)))
    return out


def other_tables(content: ReportContent) -> list[Table]:
    daily = content.daily.copy()
    daily["day"] = [str(_plain(d))[:10] for d in daily["day"]]
    notable = _localised(content.notable, NOTABLE_COLUMNS, content.tz)
    incidents = _localised(content.incidents, INCIDENT_COLUMNS, content.tz)
    return [
        Table("类别 Categories", "案件类别分布", "Cases by category", CATEGORY_COLUMNS,
              _rows(content.categories, CATEGORY_COLUMNS)),
        Table("每日 Daily", "每日案件", "Cases per day", DAILY_COLUMNS,
              _rows(daily, DAILY_COLUMNS)),
        Table("突发事件 Incidents", "突发事件", "Incidents", INCIDENT_COLUMNS,
              _rows(incidents, INCIDENT_COLUMNS)),
        Table("重点案件 Notable", "督办与超期案件", "Escalated and overdue cases",
              NOTABLE_COLUMNS, _rows(notable, NOTABLE_COLUMNS)),
    ]  # fmt: skip


def all_tables(content: ReportContent, *, rank_limit: int | None = None) -> list[Table]:
    """Every table of the report, in report order."""
    return [
        score_table(content),
        indicator_table(content),
        *ranking_tables(content, limit=rank_limit),
        *other_tables(content),
    ]


def show(value: Any, fmt: str) -> str:
    """A cell as the PDF prints it."""
    if value is None:
        return "—"
    if fmt == "pct":
        return f"{value:.1f}%"
    if fmt == "num":
        if not isinstance(value, int | float):
            return str(value)
        if float(value).is_integer() and abs(value) >= 10:
            return f"{value:,.0f}"  # a count: no decimals
        return f"{value:,.1f}".replace("-0.0", "0.0")
    if fmt == "int":
        return f"{int(value):,d}"
    if fmt == "status":
        return STATUS_ZH.get(value, str(value))
    if fmt == "time" and isinstance(value, datetime):
        return value.strftime("%m-%d %H:%M")
    return str(value)
