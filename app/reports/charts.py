"""The report's charts as SVG text, drawn offline by matplotlib (Agg) with the Debian
"Noto Sans CJK SC" font: indicator trends, cases per day, categories, and the map of the
period's cases (district and street outlines, case points by stage; no tiles)."""

from __future__ import annotations

import functools
import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

from app.reports.content import ReportContent
from layers.cases import stage_group
from models.indicators.periods import last_periods

FONT_FAMILY = "Noto Sans CJK SC"
INK = "#1f2d3d"
MUTED = "#7a8797"
ACCENT = "#1677ff"
#: Case points by stage group (the wall's groups, darker for paper), closed cases grey.
STAGE_COLOURS = {
    "awaiting": ("#1677ff", "待受理/立案 awaiting"),
    "handling": ("#08a88a", "处置中 handling"),
    "verifying": ("#7cb305", "待核查 verifying"),
    "closed": ("#8c96a3", "已结案 closed"),
    "other": ("#fa8c16", "其他 other"),
}
STATUS_COLOURS = {"green": "#52c41a", "yellow": "#faad14", "red": "#ff4d4f"}


class FontMissing(RuntimeError):
    """The CJK font is not installed (Debian package fonts-noto-cjk)."""


@functools.cache
def cjk_font() -> str:
    """The file of "Noto Sans CJK SC", found by matplotlib's font manager (never a
    fallback that would draw boxes for Chinese)."""
    path = font_manager.findfont(
        font_manager.FontProperties(family=FONT_FAMILY), fallback_to_default=False
    )
    if "CJK" not in path:
        raise FontMissing(f"{FONT_FAMILY} not found (install fonts-noto-cjk); got {path}")
    return path


def _figure(width_in: float, height_in: float) -> Figure:
    cjk_font()
    plt.rcParams.update(
        {
            "font.family": FONT_FAMILY,
            "font.size": 9,
            "axes.edgecolor": MUTED,
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
            "svg.fonttype": "path",  # glyphs as outlines: the SVG needs no font to show
            "axes.unicode_minus": False,
        }
    )
    return Figure(figsize=(width_in, height_in))


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight", dpi=150)
    return out.getvalue()


def _key_indicators(indicators: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Indicators with a trend of at least two values, red first, then yellow, then green."""
    order = {"red": 0, "yellow": 1, "green": 2, None: 3}
    usable = [
        i for i in indicators
        if sum(v is not None for v in (i.get("trend") or [])) >= 2
    ]  # fmt: skip
    usable.sort(key=lambda i: order.get(i.get("status"), 3))
    return usable[:n]


def trend_chart(content: ReportContent, n: int = 6) -> str | None:
    """Small multiples of the key indicators' trends (the last periods, this one last)."""
    chosen = _key_indicators(content.indicators, n)
    if not chosen:
        return None
    cols = 3
    rows = math.ceil(len(chosen) / cols)
    n_trend = max(len(i["trend"]) for i in chosen)
    labels = [p.label for p in last_periods(content.period, n_trend)]
    fig = _figure(7.2, 1.9 * rows)
    for i, ind in enumerate(chosen):
        ax = fig.add_subplot(rows, cols, i + 1)
        trend = ind["trend"]
        xs = [x for x, v in enumerate(trend) if v is not None]
        ys = [v for v in trend if v is not None]
        colour = STATUS_COLOURS.get(ind.get("status"), ACCENT)
        ax.plot(xs, ys, color=ACCENT, linewidth=1.4)
        ax.plot(xs[-1:], ys[-1:], "o", color=colour, markersize=6)
        if ind.get("target") is not None:
            ax.axhline(ind["target"], color=MUTED, linestyle="--", linewidth=0.8)
        ax.set_title(f"{ind['name_zh']}（{ind.get('unit') or ''}）", fontsize=8.5, color=INK)
        ax.set_xticks([0, len(trend) - 1], [labels[-len(trend)], labels[-1]] if labels else [])
        ax.tick_params(labelsize=6.5)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


def daily_chart(content: ReportContent) -> str | None:
    """Cases reported per local day, and of those closed (a monthly report's picture)."""
    df = content.daily
    if df.empty or len(df) < 2:
        return None
    fig = _figure(7.2, 2.2)
    ax = fig.add_subplot(1, 1, 1)
    days = [str(d)[5:10] for d in df["day"]]
    ax.bar(days, df["reported"], color=ACCENT, label="上报 reported")
    ax.bar(days, df["closed"], color="#52c41a", width=0.5, label="已结案 closed")
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncols=2)
    ax.tick_params(axis="x", labelsize=6, rotation=90)
    ax.set_ylabel("件 cases")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


def category_chart(content: ReportContent, n: int = 12) -> str | None:
    """The period's cases by category: the ``n`` largest, the rest as 其他."""
    df = content.categories
    if df.empty:
        return None
    top = df.head(n)
    labels = [f"{zh} {en}" for zh, en in zip(top["name_zh"], top["name_en"], strict=True)]
    values = [int(v) for v in top["cases"]]
    rest, kinds = int(df["cases"].iloc[n:].sum()), len(df) - len(top)
    fig = _figure(7.2, 0.28 * len(labels) + 0.8)
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(labels[::-1], values[::-1], color=ACCENT)
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:,d}", va="center", fontsize=7, color=INK)
    total = int(df["cases"].sum())
    note = f"共 {total:,d} 件 total" + (f"；其余 {kinds} 类 {rest:,d} 件 others" if rest else "")
    ax.set_xlabel(f"件 cases（{note}）")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


def case_map(content: ReportContent) -> str | None:
    """District and street outlines with the period's cases as points by stage group."""
    districts, streets = content.districts, content.streets
    if districts.empty:
        return None
    fig = _figure(7.2, 6.0)
    ax = fig.add_subplot(1, 1, 1)
    if not streets.empty:
        streets.boundary.plot(ax=ax, color="#c9d3df", linewidth=0.3)
    districts.plot(ax=ax, facecolor="#f4f7fb", edgecolor="none", zorder=0)
    districts.boundary.plot(ax=ax, color="#5b7da6", linewidth=0.9)
    for _, row in districts.iterrows():
        point = row.geometry.representative_point()
        ax.annotate(row["name_zh"], (point.x, point.y), ha="center", fontsize=9, color=INK,
                    alpha=0.85, zorder=5)  # fmt: skip
    cases = content.cases
    if not cases.empty:
        groups = stage_group(cases["stage"]).where(cases["stage"] != "closed", "closed")
        size = 5 if len(cases) < 2000 else 2.5
        # closed cases first, small and pale; open ones over them
        for group in ("closed", *(g for g in STAGE_COLOURS if g != "closed")):
            colour, label = STAGE_COLOURS[group]
            picked = cases[groups == group]
            if picked.empty:
                continue
            closed = group == "closed"
            ax.scatter(picked["lon"], picked["lat"], s=size / 2.5 if closed else size,
                       color=colour, alpha=0.35 if closed else 0.95, linewidths=0,
                       label=f"{label} ({len(picked):,d})", rasterized=True,
                       zorder=3 if closed else 4)  # fmt: skip
        ax.legend(fontsize=7.5, frameon=False, loc="lower right", markerscale=3)
    minx, miny, maxx, maxy = districts.total_bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    ax.set_axis_off()
    fig.tight_layout()
    return _svg(fig)
