"""The report's ranking tables, pure: rates in percent (what the cockpit shows) with the unit
in the header, and a group not rated (no score: nothing due yet) has no rank."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from app.reports.tables import ranking_tables, show


def test_rates_are_percent_with_the_unit_in_the_header_and_the_unrated_have_no_rank():
    frame = pd.DataFrame(
        [
            {"group_value": "CG-445102", "group_name": "湘桥区城管执法局", "registered": 10,
             "on_time_dispatch_rate": 1.0, "on_time_handling_rate": 0.8275,
             "closure_rate": 0.5, "rework_rate": 0.0, "overdue_count": 2, "score": 82.5},
            {"group_value": "SW-445102", "group_name": "湘桥区水务局", "registered": 1,
             "on_time_dispatch_rate": 1.0, "on_time_handling_rate": None,
             "closure_rate": None, "rework_rate": None, "overdue_count": 0, "score": None},
        ]
    )  # fmt: skip
    (table,) = ranking_tables(SimpleNamespace(rankings={"department": frame}))
    keys = [c.key for c in table.columns]
    column = table.columns[keys.index("on_time_handling_rate")]
    assert column.zh.endswith("(%)") and column.en.endswith("(%)")
    first, second = (dict(zip(keys, row, strict=True)) for row in table.rows)
    assert first["on_time_handling_rate"] == 82.75 and first["rank"] == 1
    assert isinstance(first["rank"], int)
    assert show(first["on_time_handling_rate"], column.fmt) == "82.8%"
    assert second["rank"] is None and second["score"] is None
    assert second["on_time_handling_rate"] is None
