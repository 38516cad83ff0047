"""The one-map screen's data, limited to each user's scope (on the demo database)."""

from datetime import datetime, timedelta

from app.pages.screen.logic import local_day_start, screen_deck, screen_kpis
from layers.grid import GRID_LAYER_ID
from models.config import Settings
from models.security import parse_scope

NOW = datetime(2026, 11, 24, 4, 0)  # 12:00 in Chaozhou


def test_kpis_add_up_across_districts(demo_app):
    _app, _pw, store = demo_app
    city = screen_kpis(store, parse_scope("city"), now=NOW)
    parts = [
        screen_kpis(store, parse_scope(f"district:{d}"), now=NOW)
        for d in ("445102", "445103", "445122")
    ]
    assert 9000 <= city["cells"] <= 12000
    for key in ("cells", "communities", "streets", "sensors"):
        assert sum(p[key] for p in parts) == city[key], key
    assert city["communities"] == 1034 and city["streets"] == 51
    assert city["open_cases"] == 0  # no case engine yet: nothing invented


def test_deck_holds_only_the_scope_and_fits_it(demo_app):
    _app, _pw, store = demo_app
    cells = [
        r[0]
        for r in store.query_rows(
            "SELECT cell_code FROM grid_cells WHERE street_code = '445102008' LIMIT 5"
        )
    ]
    scope = parse_scope("cells:" + ",".join(cells))
    deck = screen_deck(store, scope, lang="zh", settings=Settings())
    grid = next(layer for layer in deck["layers"] if layer["id"] == GRID_LAYER_ID)
    assert sorted({r["cell_code"] for r in grid["data"]}) == sorted(cells)
    assert deck["initialViewState"]["zoom"] > 13  # zoomed onto five small cells
    city = screen_deck(store, parse_scope("city"), lang="en", settings=Settings())
    city_grid = next(layer for layer in city["layers"] if layer["id"] == GRID_LAYER_ID)
    assert (
        len({r["cell_code"] for r in city_grid["data"]})
        == screen_kpis(store, parse_scope("city"), now=NOW)["cells"]
    )
    assert "(not set" in " ".join(r["body"] for r in city_grid["data"])  # 属地兜底 shown


def test_every_cell_has_an_answering_body(demo_app):
    _app, _pw, store = demo_app
    deck = screen_deck(store, parse_scope("district:445102"), lang="zh", settings=Settings())
    grid = next(layer for layer in deck["layers"] if layer["id"] == GRID_LAYER_ID)
    assert all(r["body"] for r in grid["data"])
    assert all(r["cell_code"].startswith("445102") for r in grid["data"])


def test_local_day_starts_at_chaozhou_midnight():
    assert local_day_start(datetime(2026, 11, 24, 4, 0), "Asia/Shanghai") == datetime(
        2026, 11, 23, 16
    )
    assert local_day_start(datetime(2026, 11, 23, 15, 59), "Asia/Shanghai") == datetime(
        2026, 11, 22, 16
    )


def test_live_kpis_count_todays_reports_and_fresh_sensors(demo_copy):
    from models.store import Store

    folder = demo_copy()
    with Store(folder / "cityops.duckdb") as store:
        base = screen_kpis(store, parse_scope("city"), now=NOW)
        assert base["sensors_online"] == 0 and base["reports_today"] == 0
        # AIR-001 (hourly) heard 5 min ago: online; NOISE-001 (every 300 s) 16 min ago: stale
        for sensor, age in (("AIR-001", 5), ("NOISE-001", 16)):
            store.write(
                lambda tx, a=(sensor, age): tx.execute(
                    "UPDATE sensors SET last_seen = ? WHERE sensor_id = ?",
                    [NOW - timedelta(minutes=a[1]), a[0]],
                )
            )
        cell = store.query_value("SELECT min(cell_code) FROM grid_cells")
        rows = [
            ("C1", "x1", NOW - timedelta(hours=1), False),  # today, counts
            ("C2", "x2", NOW - timedelta(hours=13), False),  # yesterday local time
            ("C3", "x3", NOW - timedelta(hours=2), True),
        ]  # exercise: never counted
        for case_id, ext, at, exercise in rows:
            store.write(
                lambda tx, a=(case_id, ext, at, exercise): tx.execute(
                    "INSERT INTO cases (case_id, external_id, source, reported_at, cell_code, "
                    "exercise, stage) VALUES (?, ?, 'grid_worker', ?, ?, ?, 'reported')",
                    [a[0], a[1], a[2], cell, a[3]],
                )
            )
        got = screen_kpis(store, parse_scope("city"), now=NOW)
        assert got["sensors_online"] == 1
        assert got["reports_today"] == 1 and got["open_cases"] == 2
