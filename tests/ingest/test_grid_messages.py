"""A grid file's failure names the file as uploaded and a short reason: never the server's
staging path nor pages of GDAL text, and numbers are compact (the tester saw the
/vsizip/ path and a 1e308 coordinate printed as a 300-digit integer)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from ingest.files.grids import read_grid
from ingest.files.report import FileFailure
from ingest.files.source import open_source


def _failure(path: Path) -> str:
    source = open_source(path)
    assert not isinstance(source, str), source
    out = read_grid(source)
    assert isinstance(out, FileFailure), out
    return out.reason


def test_a_junk_shapefile_in_a_zip_names_the_zip_not_the_staging_path(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("a.shp", b"\x00junk" * 40)
    deep = tmp_path / "staging" / "grids" / "tok123"
    deep.mkdir(parents=True)
    path = deep / "gridbomb.zip"
    path.write_bytes(buf.getvalue())
    reason = _failure(path)
    assert "gridbomb.zip" in reason
    assert str(tmp_path) not in reason and "/vsi" not in reason and "staging" not in reason
    assert len(reason) <= 200, reason


def test_a_huge_coordinate_is_printed_compactly(tmp_path: Path) -> None:
    ring = [[0, 0], [1e308, 0], [1e308, 1], [0, 1], [0, 0]]
    feature = {"type": "Feature", "properties": {"cell_code": "445102001001001"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    path = tmp_path / "huge.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    reason = _failure(path)
    assert "1e+308" in reason and "000000000000" not in reason, reason
    assert len(reason) <= 300, reason
