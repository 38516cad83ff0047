"""The one-map screen's data, limited to each user's scope (on the demo database)."""

from app.pages.screen.logic import screen_deck, screen_kpis
from layers.grid import GRID_LAYER_ID
from models.config import Settings
from models.security import parse_scope


def test_kpis_add_up_across_districts(demo_app):
    _app, _pw, store = demo_app
    city = screen_kpis(store, parse_scope("city"))
    parts = [
        screen_kpis(store, parse_scope(f"district:{d}")) for d in ("445102", "445103", "445122")
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
        == screen_kpis(store, parse_scope("city"))["cells"]
    )
    assert "(not set" in " ".join(r["body"] for r in city_grid["data"])  # 属地兜底 shown


def test_every_cell_has_an_answering_body(demo_app):
    _app, _pw, store = demo_app
    deck = screen_deck(store, parse_scope("district:445102"), lang="zh", settings=Settings())
    grid = next(layer for layer in deck["layers"] if layer["id"] == GRID_LAYER_ID)
    assert all(r["body"] for r in grid["data"])
    assert all(r["cell_code"].startswith("445102") for r in grid["data"])
