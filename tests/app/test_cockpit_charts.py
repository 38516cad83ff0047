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
