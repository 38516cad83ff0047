"""The report as a PDF: HTML and CSS rendered by WeasyPrint (the CJK font, from Debian
fonts-noto-cjk through fontconfig, is embedded as a subset; the charts are SVG)."""

from __future__ import annotations

import base64
import threading
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from app.reports import charts
from app.reports.content import ReportContent
from app.reports.tables import PDF_RANK_ROWS, Table, all_tables, show

TITLES = {
    "daily": ("城市运行日报", "Daily city operations report"),
    "monthly": ("城市运行月报", "Monthly city operations report"),
}
#: matplotlib's state and WeasyPrint's font setup are not for two threads at once (the
#: schedule and an API request may both make a report).
_RENDER = threading.Lock()
#: PDF requests admitted at once across all users (one renders, the others wait their turn);
#: beyond them a request is answered 503 with Retry-After at once, so renders queued behind
#: the lock never hold the server's threads (the wall's polls, /health) for long.
PDF_AT_ONCE = 2
PDF_ADMISSION = threading.BoundedSemaphore(PDF_AT_ONCE)
PDF_RETRY_AFTER_S = 5

CSS = """
@page { size: A4; margin: 16mm 14mm 16mm 14mm;
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
    font-size: 8pt; color: #7a8797; }
  @top-right { content: string(doc-title); font-size: 8pt; color: #7a8797; } }
@page :first { @top-right { content: none; } @bottom-center { content: none; } }
html { font-family: "Noto Sans CJK SC", sans-serif; font-size: 9.5pt; color: #1f2d3d; }
h1.doc { string-set: doc-title content(); display: none; }
.cover { page-break-after: always; height: 250mm; display: flex; flex-direction: column;
  justify-content: center; text-align: center; }
.cover .city { font-size: 30pt; font-weight: 700; letter-spacing: 6pt; color: #0b3a75; }
.cover .title { font-size: 24pt; font-weight: 700; margin-top: 10mm; }
.cover .en { font-size: 12pt; color: #7a8797; margin-top: 2mm; }
.cover .period { font-size: 16pt; margin-top: 14mm; }
.cover .meta { font-size: 9pt; color: #7a8797; margin-top: 18mm; line-height: 1.7; }
.tiles { display: flex; flex-wrap: wrap; justify-content: center; margin: 8mm 10mm 0; }
.tile { width: 34mm; margin: 1.5mm; padding: 2.5mm 0; border-radius: 2mm; font-size: 9pt;
  background: #f4f7fb; border-top: 1.2mm solid #d0d7e2; }
.tile b { display: block; font-size: 16pt; color: #1f2d3d; }
.tile.green { border-top-color: #52c41a; } .tile.yellow { border-top-color: #faad14; }
.tile.red { border-top-color: #ff4d4f; }
.cover .synthetic { margin: 6mm auto 0; padding: 2mm 4mm; border: 0.8pt solid #fa8c16;
  color: #ad4e00; font-size: 9pt; border-radius: 1.5mm; }
.cover .cases { font-size: 11pt; margin-top: 6mm; color: #1f2d3d; }
.cover .score { font-size: 40pt; font-weight: 700; color: #1677ff; margin-top: 8mm; }
.cover .score small { display: block; font-size: 10pt; color: #7a8797; font-weight: 400; }
h2 { font-size: 14pt; color: #0b3a75; border-bottom: 1.5pt solid #1677ff; padding-bottom: 1mm;
  margin: 6mm 0 3mm; page-break-after: avoid; }
h2 span.en { font-size: 9pt; color: #7a8797; font-weight: 400; margin-left: 3mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 4mm; font-size: 8pt; }
thead { display: table-header-group; }
th { background: #eaf1fb; color: #0b3a75; font-weight: 700; text-align: left;
  padding: 1.2mm 1.5mm; border-bottom: 0.8pt solid #9fb5d1; }
th .en { display: block; font-weight: 400; font-size: 6.5pt; color: #7a8797; }
td { padding: 1mm 1.5mm; border-bottom: 0.4pt solid #dde4ee; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.s { white-space: nowrap; }
td .sub { display: block; font-size: 6.5pt; color: #7a8797; }
table.narrow { width: 60%; }
tr { page-break-inside: avoid; }
.light { display: inline-block; width: 3.2mm; height: 3.2mm; border-radius: 50%;
  vertical-align: -0.5mm; margin-right: 1mm; }
.light.green { background: #52c41a; } .light.yellow { background: #faad14; }
.light.red { background: #ff4d4f; } .light.none { background: #d0d7e2; }
.chart { width: 100%; margin: 2mm 0 4mm; }
.map { width: 100%; page-break-inside: avoid; }
.empty { color: #7a8797; font-style: italic; margin-bottom: 4mm; }
.weights { font-size: 8pt; color: #7a8797; margin: -1mm 0 3mm; }
"""


def _local(moment: datetime, tz: str) -> str:
    return (
        moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    )


def _period_text(content: ReportContent) -> str:
    label = content.key.period
    if content.key.kind == "daily":
        y, m, d = label.split("-")
        return f"{int(y)}年{int(m)}月{int(d)}日"
    y, m = label.split("-")
    return f"{int(y)}年{int(m)}月"


def _img(svg: str | None, css_class: str = "chart") -> str:
    if svg is None:
        return ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="{css_class}" src="data:image/svg+xml;base64,{data}">'


#: Columns the PDF prints under another one, small (the XLSX keeps them apart).
_UNDER = {"name_zh": ("name_en", "id")}


def _table(table: Table, css_class: str = "") -> str:
    if not table.rows:
        return '<p class="empty">本期无 / none this period</p>'
    keys = [c.key for c in table.columns]
    hidden = {k for main, under in _UNDER.items() if main in keys for k in under}
    shown = [(i, c) for i, c in enumerate(table.columns) if c.key not in hidden]
    head = "".join(
        f'<th>{escape(c.zh)}<span class="en">{escape(c.en)}</span></th>' for _, c in shown
    )
    body = []
    for row in table.rows:
        cells = []
        for i, col in shown:
            value = row[i]
            text = escape(show(value, col.fmt))
            if col.fmt == "status":
                text = f'<span class="light {escape(value or "none")}"></span>{text}'
            for extra in _UNDER.get(col.key, ()):
                if extra in keys and row[keys.index(extra)]:
                    text += f'<span class="sub">{escape(str(row[keys.index(extra)]))}</span>'
            css = {"int": "n", "num": "n", "pct": "n", "status": "s"}.get(col.fmt)
            cells.append(f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="{css_class}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _section(zh: str, en: str, inner: str) -> str:
    return f'<h2>{escape(zh)}<span class="en">{escape(en)}</span></h2>{inner}'


SYNTHETIC = {
    "geography": ("演示城市（模拟地理与案件）", "a demo city"),
    "statistics": ("模拟统计数据", "synthetic statistics"),
}


def _synthetic_note(content: ReportContent) -> str:
    """A plain mark on the cover when the figures rest on made-up data."""
    if not content.synthetic:
        return ""
    zh = "、".join(SYNTHETIC[p][0] for p in content.synthetic)
    en = ", ".join(SYNTHETIC[p][1] for p in content.synthetic)
    return f'<div class="synthetic">含模拟数据：{escape(zh)} · synthetic data: {escape(en)}</div>'


def _band(score: float | None) -> str:
    """A dimension score's band on the cover (the lights' colours)."""
    if score is None:
        return "none"
    return "green" if score >= 90 else "yellow" if score >= 75 else "red"


def _cover(content: ReportContent) -> str:
    zh, en = TITLES[content.key.kind]
    score = content.score.get("score")
    score_html = (
        f'<div class="score">{score:.1f}<small>城市运行综合得分 City score</small></div>'
        if score is not None else ""
    )  # fmt: skip
    area = content.area_zh if content.key.district else ""
    tiles = "".join(
        f'<div class="tile {_band(value)}"><b>{"—" if value is None else f"{value:.0f}"}</b>'
        f"{escape(dim)}</div>"
        for dim, value in (content.score.get("dimensions") or {}).items()
    )
    cases = int(content.categories["cases"].sum()) if not content.categories.empty else 0
    return (
        f'<h1 class="doc">{escape(content.area_zh)} {escape(zh)} {escape(content.key.period)}</h1>'
        '<section class="cover">'
        f'<div class="city">{escape(content.city_zh)}</div>'
        f'<div class="en">{escape(content.city_en)}</div>'
        f'<div class="title">{escape(area)}{escape(zh)}</div><div class="en">{escape(en)}</div>'
        f'<div class="period">{_period_text(content)}<br><small>{escape(content.key.period)}'
        "</small></div>"
        f"{score_html}"
        f'<div class="tiles">{tiles}</div>'
        f'<div class="cases">本期上报案件 {cases:,d} 件 · cases reported this period</div>'
        '<div class="meta">'
        f"统计区间 Period：{_local(content.period.start, content.tz)} 至 "
        f"{_local(content.period.end, content.tz)}（{escape(content.tz)}）<br>"
        f"生成时间 Made：{_local(content.made_at, content.tz)}<br>"
        "数据来源：CityOps 城市运行管理服务平台（离线生成）</div>"
        f"{_synthetic_note(content)}</section>"
    )


def render_html(content: ReportContent) -> str:
    """The report's HTML (charts inline as SVG data)."""
    tables = all_tables(content, rank_limit=PDF_RANK_ROWS)
    by_sheet = {t.sheet: t for t in tables}
    weights = "，".join(f"{k} {v:g}" for k, v in content.weights.items())
    parts = [_cover(content)]
    score, indicators, *rest = tables
    parts.append(_section("城市运行得分", "City score", _table(score, "narrow")))
    parts.append(_section("指标一览", "Indicators (traffic lights against targets)",
                          _table(indicators)))  # fmt: skip
    trend = _img(charts.trend_chart(content)) or '<p class="empty">—</p>'
    parts.append(_section("关键指标趋势", "Trends of key indicators", trend))
    if content.key.kind == "monthly":
        parts.append(_section("每日案件", "Cases per day", _img(charts.daily_chart(content))))
    parts.append(
        _section("案件类别分布", "Cases by category", _img(charts.category_chart(content)))
    )
    parts.append(_section("案件分布图", "Map of the period's cases",
                          _img(charts.case_map(content), "map")))  # fmt: skip
    for table in rest:
        if table.columns[0].key == "rank":
            note = f'<p class="weights">综合得分权重 Score weights：{escape(weights)}</p>'
            parts.append(_section(table.title_zh, table.title_en, note + _table(table)))
    for sheet in ("突发事件 Incidents", "重点案件 Notable", "类别 Categories"):
        table = by_sheet[sheet]
        parts.append(_section(table.title_zh, table.title_en, _table(table)))
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(content.area_zh)} {escape(TITLES[content.key.kind][0])} "
        f"{escape(content.key.period)}</title><style>{CSS}</style></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


def render_pdf(content: ReportContent) -> bytes:
    """The report as PDF bytes."""
    from PIL import ImageFile
    from weasyprint import HTML

    # WeasyPrint's import turns Pillow's global LOAD_TRUNCATED_IMAGES on; our reports hold no
    # bitmaps of unknown origin, and case photos must never be read half (models/photos.py)
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    with _RENDER:
        html = render_html(content)
        return HTML(string=html, base_url=None).write_pdf()
