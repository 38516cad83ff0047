"""The situation report (态势报告) of one incident as a PDF: summary, map, plan tasks, units
and orders, related cases, warnings, timeline — WeasyPrint with the reports' CSS and font,
the map drawn by matplotlib (district outlines, the incident, its units, warning areas)."""

from __future__ import annotations

import math
from datetime import datetime
from html import escape
from typing import Any

import shapely

from app.i18n import t
from app.reports import charts
from app.reports.pdf import _RENDER, CSS, _img, _section, _table
from app.reports.pdf import _local as local_minute
from app.reports.tables import Column, Table
from models.emergency.sitrep import SitrepContent
from models.emergency.timeline_export import timeline_rows

LEVEL_COLOURS = {"I": "#e0282e", "II": "#ff8c00", "III": "#f5c400", "IV": "#2f7cf6"}
STATUS_COLOURS = {
    "available": "#52c41a", "dispatched": "#1677ff", "on_scene": "#e0282e",
    "returning": "#8c5cd8", "out_of_service": "#8c96a3",
}  # fmt: skip
SEVERITY_COLOURS = {"Extreme": "#e0282e", "Severe": "#ff8c00", "Moderate": "#f5c400",
                    "Minor": "#2f7cf6"}  # fmt: skip
SITREP_CSS = """
.head { border-left: 3mm solid #1677ff; padding: 2mm 4mm; margin-bottom: 4mm; }
.head .title { font-size: 18pt; font-weight: 700; color: #0b3a75; }
.head .en { font-size: 9pt; color: #7a8797; }
.facts { font-size: 9.5pt; line-height: 1.7; }
.badge { color: #fff; padding: 0.3mm 2mm; border-radius: 1mm; font-weight: 700; }
.exercise { color: #5b2d8e; font-weight: 700; }
img.map { width: 62%; display: block; margin: 0 auto 4mm; }
"""


def _local(moment: datetime | None, tz: str) -> str:
    return "—" if moment is None else local_minute(moment, tz)


def _minutes(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return f"{max(0.0, (end - start).total_seconds()) / 60:.0f}"


def sitrep_map(content: SitrepContent) -> str | None:
    """The incident, its area, its units and the published warning areas over the
    districts, framed on what there is to see (at least 5 km around the incident)."""
    inc = content.incident
    if inc.get("lon") is None and content.area is None:
        return None
    fig = charts._figure(6.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    shapes: list[shapely.Geometry] = []
    for severity, geom in content.warning_areas:
        colour = SEVERITY_COLOURS.get(severity, "#fa8c16")
        for poly in getattr(geom, "geoms", [geom]):
            if isinstance(poly, shapely.Polygon):
                x, y = poly.exterior.xy
                ax.fill(x, y, color=colour, alpha=0.18, zorder=2)
                ax.plot(x, y, color=colour, linewidth=1.0, zorder=2)
        shapes.append(geom)
    if content.area is not None:
        for poly in getattr(content.area, "geoms", [content.area]):
            if isinstance(poly, shapely.Polygon):
                x, y = poly.exterior.xy
                ax.fill(x, y, color="#e0282e", alpha=0.15, zorder=3)
        shapes.append(content.area)
    points = []
    if inc.get("lon") is not None:
        points.append((float(inc["lon"]), float(inc["lat"])))
        ax.scatter([inc["lon"]], [inc["lat"]], marker="*", s=220, zorder=6,
                   color=LEVEL_COLOURS.get(inc["level"], "#e0282e"), edgecolors="#1f2d3d",
                   linewidths=0.6, label="事件 incident")  # fmt: skip
    for status, colour in STATUS_COLOURS.items():
        units = [u for u in content.units if u["status"] == status and u["lon"] is not None]
        if units:
            ax.scatter([u["lon"] for u in units], [u["lat"] for u in units], s=28, zorder=5,
                       color=colour, edgecolors="white", linewidths=0.5,
                       label=f"{t(f'resource_status.{status}', 'zh')} {status}")  # fmt: skip
            points += [(u["lon"], u["lat"]) for u in units]
    cases = [c for c in content.cases if c["lon"] is not None]
    if cases:
        ax.scatter([c["lon"] for c in cases], [c["lat"] for c in cases], s=8, zorder=4,
                   color="#08a88a", alpha=0.8, label="相关案件 cases")  # fmt: skip
    if points:
        shapes.append(shapely.MultiPoint(points))
    frame = shapely.GeometryCollection(shapes).bounds
    cx, cy = (frame[0] + frame[2]) / 2, (frame[1] + frame[3]) / 2
    half_y = max((frame[3] - frame[1]) / 2 * 1.15, 0.025)
    half_x = max((frame[2] - frame[0]) / 2 * 1.15, half_y / math.cos(math.radians(cy)))
    for kind, line in content.roads:
        x, y = line.xy if isinstance(line, shapely.LineString) else ([], [])
        major = kind in ("expressway", "arterial", "primary", "trunk", "motorway")
        ax.plot(x, y, color="#b8c4d3", linewidth=1.1 if major else 0.5, zorder=0)
    for name, geom in content.districts:
        for poly in getattr(geom, "geoms", [geom]):
            if isinstance(poly, shapely.Polygon):
                x, y = poly.exterior.xy
                ax.plot(x, y, color="#5b7da6", linewidth=0.8, zorder=1)
        p = geom.representative_point()
        if abs(p.x - cx) < half_x and abs(p.y - cy) < half_y:
            ax.annotate(name, (p.x, p.y), ha="center", fontsize=8, color="#7a8797", zorder=1)
    ax.set_xlim(cx - half_x, cx + half_x)
    ax.set_ylim(cy - half_y, cy + half_y)
    ax.set_aspect(1 / math.cos(math.radians(cy)))
    ax.set_axis_off()
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    fig.tight_layout()
    return charts._svg(fig)


def _owner(content: SitrepContent, code: Any) -> str:
    """A task's owner as its department's name (a role stays as the plan wrote it)."""
    if not code:
        return "—"
    return content.owners.get(str(code), str(code))


def _tables(content: SitrepContent, tz: str) -> dict[str, Table]:
    inc = content.incident
    tasks = Table("tasks", "预案任务", "Plan tasks", (
        Column("no", "序号", "No.", "int"), Column("action", "任务", "Action"),
        Column("owner", "责任单位", "Owner"), Column("due", "时限", "Due"),
        Column("done", "完成", "Done"),
    ), tuple(
        (x.get("task_no"), x.get("action_zh"), _owner(content, x.get("owner")),
         _local(x.get("due_at"), tz),
         _local(x["done_at"], tz) if x.get("done_at") else ("超时 overdue" if x.get("overdue")
                                                             else "—"))
        for x in inc.get("tasks") or []
    ))  # fmt: skip
    orders = Table("orders", "力量调派", "Units and orders", (
        Column("unit", "单位", "Unit"), Column("status", "指令状态", "Order"),
        Column("issued", "下达", "Issued"), Column("ack", "确认(分)", "Ack (min)"),
        Column("arrived", "到场(分)", "Arrived (min)"), Column("now", "当前状态", "Now"),
    ), tuple(
        (f"{o.get('name_zh') or o['unit']} ({o['unit']})", o["status"],
         _local(o["issued_at"], tz), _minutes(o["issued_at"], o["acked_at"]),
         _minutes(o["issued_at"], o["arrived_at"]),
         t(f"resource_status.{o['unit_status']}", "zh") if o.get("unit_status") else "—")
        for o in content.orders
    ))  # fmt: skip
    board = Table("board", "资源状态总览", "Resources by status", (
        Column("kind", "类别", "Kind"),
        *(Column(s, t(f"resource_status.{s}", "zh"), s, "int") for s in STATUS_COLOURS),
    ), tuple(
        (t(f"resource_kind.{kind}", "zh"), *(counts.get(s, 0) for s in STATUS_COLOURS))
        for kind, counts in content.board.items()
    ))  # fmt: skip
    cases = Table("cases", "相关案件", "Related cases", (
        Column("id", "案件号", "Case"), Column("stage", "阶段", "Stage"),
        Column("text", "描述", "Description"), Column("at", "上报", "Reported"),
        Column("d", "距离(米)", "Distance (m)", "int"),
    ), tuple(
        (c["case_id"], c["stage"], (c["description"] or "")[:60], _local(c["reported_at"], tz),
         c["distance_m"])
        for c in content.cases
    ))  # fmt: skip
    warnings = Table("warnings", "预警信息", "Warnings", (
        Column("id", "标识", "Identifier"), Column("type", "类型", "Type"),
        Column("state", "状态", "State"), Column("severity", "级别", "Severity"),
        Column("headline", "标题", "Headline"), Column("published", "发布", "Published"),
    ), tuple(
        (w.identifier, w.msg_type, w.state, w.content.severity, w.content.headline.zh,
         _local(w.published_at, tz))
        for w in content.warnings
    ))  # fmt: skip
    rows = timeline_rows(inc.get("timeline") or [], tz=tz, lang="zh")
    timeline = Table("timeline", "时间线", "Timeline", tuple(
        Column(f"c{i}", h, h) for i, h in enumerate(rows[0][:5])
    ), tuple(tuple(r[:5]) for r in rows[1:]))  # fmt: skip
    return {t_.sheet: t_ for t_ in (tasks, orders, board, cases, warnings, timeline)}


def render_sitrep_html(content: SitrepContent, *, city_zh: str, tz: str) -> str:
    inc = content.incident
    level = str(inc["level"])
    kind = str(inc["incident_type"])
    drill = '<span class="exercise">【演练】EXERCISE</span> ' if inc.get("exercise") else ""
    facts = (
        f'<div class="facts">{drill}'
        f'<span class="badge" style="background:{LEVEL_COLOURS.get(level, "#1677ff")}">'
        f"{escape(t(f'incident_level.{level}', 'zh'))}</span> "
        f"{escape(t(f'incident_type.{kind}', 'zh'))} · "
        f"状态 {escape(str(inc.get('status')))}<br>"
        f"事件编号 Incident：{escape(str(inc['incident_id']))}<br>"
        f"发生/接报 Opened：{_local(inc.get('opened_at'), tz)}"
        f"　结束 Closed：{_local(inc.get('closed_at'), tz)}<br>"
        f"位置 Location：{inc.get('lon') or '—'}, {inc.get('lat') or '—'}<br>"
        f"已派力量 {sum(o['status'] != 'cancelled' for o in content.orders)} 支，到场 "
        f"{sum(o['arrived_at'] is not None for o in content.orders)} 支；预案任务 "
        f"{sum(1 for x in inc.get('tasks') or [] if x.get('done_at'))}/"
        f"{len(inc.get('tasks') or [])} 完成；预警 "
        f"{sum(w.state == 'published' for w in content.warnings)} 条；相关案件 "
        f"{len(content.cases)} 件<br>"
        f"报告时间 Made：{_local(content.made_at, tz)}（{escape(tz)}）</div>"
    )
    head = (
        f'<h1 class="doc">{escape(city_zh)} 突发事件态势报告 {escape(str(inc["incident_id"]))}</h1>'
        f'<div class="head"><div class="title">{escape(str(inc["title"]))}</div>'
        f'<div class="en">{escape(city_zh)} · 突发事件态势报告 Situation report</div></div>'
    )
    tables = _tables(content, tz)
    parts = [head, _section("事件概况", "Summary", facts)]
    parts.append(_section("态势图", "Map", _img(sitrep_map(content), "map")))
    for key in ("tasks", "orders", "board", "warnings", "cases", "timeline"):
        table = tables[key]
        parts.append(_section(table.title_zh, table.title_en, _table(table)))
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(str(inc['title']))}</title><style>{CSS}{SITREP_CSS}</style></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


def render_sitrep_pdf(content: SitrepContent, *, city_zh: str, tz: str) -> bytes:
    """The sitrep as PDF bytes."""
    from PIL import ImageFile
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = False  # see app.reports.pdf.render_pdf
    with _RENDER:
        html = render_sitrep_html(content, city_zh=city_zh, tz=tz)
        return HTML(string=html, base_url=None).write_pdf()


def sitrep_file_name(content: SitrepContent) -> str:
    return f"sitrep-{content.incident['incident_id']}.pdf"
