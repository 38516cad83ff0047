"""The cockpit's charts as Plotly figures in the house colours (dark wall palette): sparklines,
the dimension radar, trend lines, the category distribution and the heat map of cases per
grid cell (plain axes in degrees, no map tiles: nothing is fetched)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from layers.palette import HEX_RAMP

FONT = "Noto Sans CJK SC, Noto Sans SC, sans-serif"
TEXT = "#d8e6ff"
MUTED = "#7f95b8"
LINE = "#1c4a7e"
ACCENT = "#4fc3ff"
STATUS = {"green": "#52c41a", "yellow": "#faad14", "red": "#ff4d4f", "none": ACCENT}
#: Trend lines' colours, one per indicator.
SERIES = ("#4fc3ff", "#52c41a", "#faad14", "#b46eff", "#ff7a45", "#36cfc9")
#: Plotly's config for every cockpit chart: no mode bar, no logo, no link out.
CONFIG = {"displayModeBar": False, "displaylogo": False, "showLink": False, "responsive": True}
STATIC = {**CONFIG, "staticPlot": True}


def _rgb(color: Sequence[int]) -> str:
    return f"rgb({color[0]},{color[1]},{color[2]})"


#: The heat map's scale: the hexagon ramp of the wall (calm teal -> amber -> red).
HEAT_SCALE = [[0.0, _rgb(HEX_RAMP[0][1])], [0.5, _rgb(HEX_RAMP[1][1])], [1.0, _rgb(HEX_RAMP[2][1])]]


def _base(**extra: Any) -> dict[str, Any]:
    return {
        "template": "none",  # no default template: a sparkline's JSON stays small
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "color": TEXT, "size": 12},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "showlegend": False,
        **extra,
    }


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def empty_figure(text: str) -> go.Figure:
    """A figure that says there is nothing to draw."""
    fig = go.Figure()
    fig.update_layout(
        **_base(),
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {"text": text, "showarrow": False, "font": {"color": MUTED, "size": 14},
             "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
        ],
    )  # fmt: skip
    return fig


def sparkline(trend: Sequence[Any], status: str) -> go.Figure:
    """A small line of the last periods' values, no axes; the last point marked."""
    ys = [_finite(v) for v in trend]
    xs = list(range(len(ys)))
    color = STATUS.get(status, ACCENT)
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": color, "width": 1.6},
            connectgaps=True,
            hoverinfo="skip",
        )  # fmt: skip
    )
    last = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None][-1:]
    if last:
        fig.add_trace(
            go.Scatter(
                x=[last[0][0]],
                y=[last[0][1]],
                mode="markers",
                marker={"color": color, "size": 5},
                hoverinfo="skip",
            )  # fmt: skip
        )
    fig.update_layout(
        **_base(margin={"l": 2, "r": 4, "t": 3, "b": 3}),
        xaxis={"visible": False, "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True},
        height=34,
    )
    return fig


def radar(scores: Mapping[str, Any], names: Mapping[str, str], *, empty: str) -> go.Figure:
    """The dimensions' scores (0..100) on a radar; a dimension without a score at 0, marked
    by its name in grey."""
    dims = list(scores)
    if not any(_finite(scores[d]) is not None for d in dims):
        return empty_figure(empty)
    values = [_finite(scores[d]) or 0.0 for d in dims]
    # long names (English) break after their first word, or they reach past the panel
    labels = [
        (n.replace(" ", "<br>", 1) if len(n) > 10 else n) for n in (names.get(d, d) for d in dims)
    ]
    fig = go.Figure(
        go.Scatterpolar(
            r=[*values, values[0]],
            theta=[*labels, labels[0]],
            fill="toself",
            fillcolor="rgba(79,195,255,0.25)",
            line={"color": ACCENT, "width": 2},
            marker={"size": 5, "color": ACCENT},
            hovertemplate="%{theta}: %{r:.0f}<extra></extra>",
        )
    )
    fig.update_layout(
        **_base(margin={"l": 80, "r": 80, "t": 40, "b": 44}),  # room for two-line names
        polar={
            "bgcolor": "rgba(0,0,0,0)",
            "radialaxis": {"range": [0, 100], "showticklabels": False, "gridcolor": LINE,
                           "linecolor": LINE, "tickvals": [25, 50, 75, 100]},
            "angularaxis": {"gridcolor": LINE, "linecolor": LINE,
                            "tickfont": {"size": 12, "color": TEXT}},
        },
    )  # fmt: skip
    return fig


_DATED = re.compile(r"(\d{4})-(.+)")


def axis_labels(labels: Sequence[str]) -> list[str]:
    """Short tick labels of periods: without the year (``11``, ``W45``, ``Q4``, ``11-05``;
    a custom span by its first day), the year on a second line under the first tick and
    where it changes. Short and upright, they fit a narrow chart without being cut."""
    out: list[str] = []
    year = None
    for label in labels:
        text = str(label).split("..", 1)[0]
        match = _DATED.fullmatch(text)
        if match is None:
            out.append(text)
            continue
        out.append(match[2] + (f"<br>{match[1]}" if match[1] != year else ""))
        year = match[1]
    return out


def trend_lines(
    series: Sequence[tuple[str, Sequence[Any], str]], labels: Sequence[str], *, empty: str
) -> go.Figure:
    """A few indicators' trends over the same periods: (name, values, unit) each."""
    if not series:
        return empty_figure(empty)
    fig = go.Figure()
    labels = [str(label) for label in labels]
    for i, (name, values, unit) in enumerate(series):
        fig.add_trace(
            go.Scatter(
                x=list(labels)[-len(values) :],
                y=[_finite(v) for v in values],
                name=f"{name} ({unit})" if unit else name,
                mode="lines+markers",
                line={"color": SERIES[i % len(SERIES)], "width": 2},
                marker={"size": 4},
                connectgaps=True,
            )
        )
    fig.update_layout(
        **_base(margin={"l": 40, "r": 10, "t": 6, "b": 26}, showlegend=True),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0,
                "font": {"size": 11}},
        xaxis={"gridcolor": "rgba(28,74,126,0.45)", "tickfont": {"size": 10, "color": MUTED},
               "type": "category", "tickmode": "array", "tickvals": labels,
               "ticktext": axis_labels(labels), "tickangle": 0, "automargin": True},
        yaxis={"gridcolor": "rgba(28,74,126,0.45)", "tickfont": {"size": 10, "color": MUTED},
               "zeroline": False},
    )  # fmt: skip
    return fig


def category_bars(counts: Sequence[tuple[str, int]], *, empty: str) -> go.Figure:
    """Cases per major category, most at the top."""
    if not counts:
        return empty_figure(empty)
    names = [name for name, _ in counts][::-1]
    values = [n for _, n in counts][::-1]
    fig = go.Figure(
        go.Bar(
            x=values, y=names, orientation="h", text=values, textposition="auto",
            marker={"color": ACCENT, "line": {"color": "#9bdcff", "width": 0.5}},
            textfont={"color": "#050b16", "size": 11},
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        **_base(margin={"l": 8, "r": 10, "t": 4, "b": 20}),
        xaxis={"gridcolor": "rgba(28,74,126,0.45)", "tickfont": {"size": 10, "color": MUTED}},
        yaxis={"automargin": True, "tickfont": {"size": 11, "color": TEXT}},
        bargap=0.25,
    )
    return fig


def heat_map(cells: pd.DataFrame, *, label: str, empty: str) -> go.Figure:
    """Cases per grid cell: a square at each cell's centroid, coloured by its count.

    ``cells`` has ``cell_code``, ``centroid_lon``, ``centroid_lat`` and ``cases``.
    """
    if cells.empty:
        return empty_figure(empty)
    frame = cells.sort_values("cases")
    lat = float(frame["centroid_lat"].mean())
    # whole cases: the scale ends on a whole count, the colour bar ticks whole counts
    top = max(math.ceil(float(frame["cases"].quantile(0.98))), 1)
    step = max(1, math.ceil((top - 1) / 5))
    fig = go.Figure(
        go.Scattergl(
            x=frame["centroid_lon"],
            y=frame["centroid_lat"],
            mode="markers",
            text=frame["cell_code"],
            customdata=frame["cases"],
            marker={
                "symbol": "square",
                "size": 5,
                "color": frame["cases"],
                "colorscale": HEAT_SCALE,
                "cmin": 1,
                "cmax": top,
                "colorbar": {"thickness": 8, "len": 0.8, "title": {"text": label, "side": "right"},
                             "tickfont": {"size": 10, "color": MUTED}, "outlinewidth": 0,
                             "tickmode": "linear", "tick0": 0, "dtick": step,
                             "tickformat": "d"},
                "line": {"width": 0},
            },
            hovertemplate="%{text}<br>" + label + ": %{customdata}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        **_base(margin={"l": 4, "r": 4, "t": 4, "b": 4}),
        xaxis={"visible": False},
        # degrees of longitude are shorter than degrees of latitude by cos(latitude)
        yaxis={"visible": False, "scaleanchor": "x",
               "scaleratio": 1 / max(math.cos(math.radians(lat)), 0.1)},
    )  # fmt: skip
    return fig
