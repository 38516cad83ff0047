"""The cockpit's Plotly figures: drawn from the data they are given, a plain 'no data' figure
when there is none, the house colours, and never a map tile (no mapbox, no geo)."""

from __future__ import annotations

import json

import pandas as pd

from app.pages.cockpit import charts


def _no_tiles(fig) -> None:
    plain = fig.to_plotly_json()
    plain["layout"].pop("template", None)  # plotly's defaults name every kind of plot
    text = json.dumps(plain, default=str)
    assert "mapbox" not in text and '"geo"' not in text and "http" not in text


def test_sparkline_skips_missing_values_and_marks_the_last():
    fig = charts.sparkline([None, 1.0, float("nan"), 3.0, None], "red")
    line, last = fig.data
    assert list(line.y) == [None, 1.0, None, 3.0, None]
    assert list(last.x) == [3] and last.marker.color == charts.STATUS["red"]
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert len(charts.sparkline([None, None], "none").data) == 1


def test_radar_closes_its_shape_and_breaks_long_names():
    fig = charts.radar({"城市安全": 80.0, "交通运行": None}, {"城市安全": "Urban safety"},
                       empty="none")  # fmt: skip
    (trace,) = fig.data
    assert list(trace.r) == [80.0, 0.0, 80.0]
    assert trace.theta[0] == "Urban<br>safety" and trace.theta[1] == "交通运行"
    empty = charts.radar({"城市安全": None}, {}, empty="无数据")
    assert not empty.data and empty.layout.annotations[0].text == "无数据"


def test_trend_lines_category_bars_and_heat_map():
    trends = charts.trend_lines([("结案率", [None, 90.0, 95.0], "%")], ["a", "b", "c"], empty="-")
    assert trends.data[0].name == "结案率 (%)" and list(trends.data[0].x) == ["a", "b", "c"]
    bars = charts.category_bars([("市容环境", 30), ("公用设施", 10)], empty="-")
    assert list(bars.data[0].y) == ["公用设施", "市容环境"]  # most at the top
    cells = pd.DataFrame(
        {"cell_code": ["a", "b"], "centroid_lon": [116.6, 116.7], "centroid_lat": [23.6, 23.7],
         "cases": [1, 7]}
    )  # fmt: skip
    heat = charts.heat_map(cells, label="案件数", empty="-")
    assert list(heat.data[0].customdata) == [1, 7] and heat.data[0].marker.cmax >= 1
    assert heat.layout.yaxis.scaleratio > 1  # degrees of longitude are shorter
    for fig in (trends, bars, heat, charts.heat_map(cells.iloc[0:0], label="x", empty="无")):
        _no_tiles(fig)


def test_trend_labels_are_short_and_upright():
    months = ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert charts.axis_labels(months) == ["12<br>2025", "01<br>2026", "02", "03"]
    assert charts.axis_labels(["2026-W44", "2026-W45"]) == ["W44<br>2026", "W45"]
    assert charts.axis_labels(["2026-11-30", "2026-12-01"]) == ["11-30<br>2026", "12-01"]
    assert charts.axis_labels(["2025", "2026"]) == ["2025", "2026"]
    assert charts.axis_labels(["2026-11-01..2026-11-15"]) == ["11-01<br>2026"]
    labels = [f"2026-{m:02d}" for m in range(1, 13)]
    fig = charts.trend_lines([("结案率", [90.0] * 12, "%")], labels, empty="-")
    assert list(fig.data[0].x) == labels  # the data keep the full label (hover)
    axis = fig.layout.xaxis
    assert axis.tickangle == 0 and axis.automargin is True
    assert list(axis.tickvals) == labels and list(axis.ticktext) == charts.axis_labels(labels)
    assert max(len(line) for text in axis.ticktext for line in text.split("<br>")) <= 5


def test_the_heat_maps_colour_bar_counts_whole_cases():
    cells = pd.DataFrame(
        {"cell_code": list("abcd"), "centroid_lon": [116.6] * 4, "centroid_lat": [23.6] * 4,
         "cases": [1, 2, 2, 3]}
    )  # fmt: skip
    marker = charts.heat_map(cells, label="案件数", empty="-").data[0].marker
    assert float(marker.cmax).is_integer()
    bar = marker.colorbar
    assert bar.tickformat == "d" and bar.dtick >= 1 and float(bar.dtick).is_integer()
    big = cells.assign(cases=[1, 40, 80, 200])
    bar = charts.heat_map(big, label="案件数", empty="-").data[0].marker.colorbar
    assert float(bar.dtick).is_integer() and bar.dtick > 1
