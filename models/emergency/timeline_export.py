"""An incident's timeline as text a person reads: one line per entry (local time, kind, who,
what happened) and the CSV export (UTF-8 with a byte-order mark, so Excel opens Chinese)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.case_service import Actor
from models.emergency.incident_access import require_role, visible_row
from models.emergency.incident_rules import READ_ROLES
from models.emergency.timeline import timeline
from models.store import Store

#: Built-in names of the timeline's kinds (zh, en); a caller's catalog may override them.
KIND_NAMES: dict[str, tuple[str, str]] = {
    "opened": ("事件开启", "Opened"),
    "level": ("级别调整", "Level changed"),
    "plan": ("预案启动", "Plan activated"),
    "task_done": ("任务完成", "Task done"),
    "order": ("调度指令", "Dispatch order"),
    "resent": ("指令重发", "Order re-sent"),
    "unacked": ("指令未确认", "Order unacknowledged"),
    "ack": ("指令确认", "Order acknowledged"),
    "arrived": ("到达现场", "Arrived"),
    "status": ("状态变化", "Status"),
    "warning": ("预警信息", "Warning"),
    "note": ("备注", "Note"),
    "camera": ("视频调阅", "Camera"),
    "closed": ("事件关闭", "Closed"),
    "reopened": ("事件重开", "Reopened"),
}
HEADERS = {
    "zh": ("序号", "时间", "类型", "操作人", "内容", "详情"),
    "en": ("No.", "Time", "Kind", "Actor", "What happened", "Detail"),
}
#: Cells starting with these are read as formulas by spreadsheets: quoted with ' first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def readable_timeline(store: Store, actor: Actor, incident_id: str) -> list[dict[str, Any]]:
    """The incident's timeline when the actor may read it (403 role, 404 not in scope)."""
    require_role(actor, READ_ROLES, "read incidents")
    visible_row(store, actor, incident_id)
    return timeline(store, incident_id)


def _pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _action(detail: Mapping[str, Any], lang: str) -> str:
    return str(detail.get("action_en" if lang == "en" else "action_zh") or "")


def describe(kind: str, detail: Mapping[str, Any], lang: str = "zh") -> str:
    """One line saying what an entry records, from its kind and detail."""
    d = detail
    if kind == "opened":
        return f"{d.get('type', '')} {d.get('level', '')} · {d.get('title', '')}".strip()
    if kind == "level":
        return f"{d.get('from')} → {d.get('to')}" + (f" · {d['note']}" if d.get("note") else "")
    if kind == "plan":
        name = d.get("name_en" if lang == "en" else "name_zh") or d.get("plan_id", "")
        n = len(d.get("tasks") or [])
        return _pick(lang, f"{name} {d.get('level')}级响应，新增任务 {n} 项",
                     f"{name}, level {d.get('level')} response, {n} tasks added")  # fmt: skip
    if kind == "task_done":
        text = f"#{d.get('task_no')} {_action(d, lang)}"
        return text + (f" · {d['note']}" if d.get("note") else "")
    if kind in ("note", "closed", "reopened"):
        return str(d.get("text") or d.get("note") or "")
    return "; ".join(f"{k}={v}" for k, v in d.items() if v is not None)


def _local(at: datetime | None, tz: str) -> str:
    if at is None:
        return ""
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def spreadsheet_safe(cell: Any) -> str:
    """``cell`` as text a spreadsheet shows and never runs: text starting like a formula
    (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'`` (the one neutraliser of every
    CSV and XLSX export)."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def timeline_rows(
    entries: Iterable[Mapping[str, Any]],
    *,
    tz: str,
    lang: str = "zh",
    kind_labels: Mapping[str, str] | None = None,
) -> list[tuple[str, ...]]:
    """The export's rows (header first): number, local time, kind, actor, what happened,
    the detail as JSON."""
    lang = "en" if lang == "en" else "zh"
    labels = {k: _pick(lang, zh, en) for k, (zh, en) in KIND_NAMES.items()}
    labels.update(kind_labels or {})
    rows = [HEADERS[lang]]
    for e in entries:
        detail = e.get("detail") or {}
        rows.append(
            (
                str(e.get("seq", "")),
                _local(e.get("at"), tz),
                labels.get(e["kind"], e["kind"]),
                spreadsheet_safe(e.get("actor") or ""),
                spreadsheet_safe(describe(e["kind"], detail, lang)),
                spreadsheet_safe(
                    json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
                ),
            )
        )
    return rows


def timeline_csv(
    entries: Iterable[Mapping[str, Any]],
    *,
    tz: str,
    lang: str = "zh",
    kind_labels: Mapping[str, str] | None = None,
) -> bytes:
    """The timeline as CSV bytes: UTF-8 with a BOM, CRLF line ends (what Excel expects);
    cells that a spreadsheet would run as a formula are prefixed with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(timeline_rows(entries, tz=tz, lang=lang, kind_labels=kind_labels))
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
