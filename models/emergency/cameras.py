"""The camera registry (视频监控点位, 调取周边视频): the cameras near a place, nearest first, the
rule for stream links (http, https or rtsp, shown as links, never fetched) and the upsert of
an imported registry."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa

from models.coordinates import degree_box
from models.store import Store, WriteTx

#: Schemes a stream link may have: anything else (javascript:, file:, data:) is refused.
STREAM_SCHEMES = ("http", "https", "rtsp")
URL_MAX = 500
#: Camera classes of public video surveillance (公共安全视频监控): 1 the public-security key
#: points, 2 key places of units and trades, 3 other public and residential areas.
CAMERA_CLASSES: dict[int, tuple[str, str]] = {
    1: ("一类点位（公共安全重点）", "Class 1 (public security key point)"),
    2: ("二类点位（重点单位、行业）", "Class 2 (key units and trades)"),
    3: ("三类点位（社会面）", "Class 3 (other public areas)"),
}
#: Largest radius a query may ask for (m), as ``emergency.camera_radius_m`` allows.
MAX_RADIUS_M = 20_000.0
MAX_NEAR = 200
COLUMNS = (
    "camera_id", "name", "lon", "lat", "camera_class", "stream_url", "owner", "synthetic",
    "imported_at",
)  # fmt: skip
_EARTH_M = 6_371_008.8
_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f]")


def stream_url_problem(url: str) -> str | None:
    """Why ``url`` is not an acceptable stream link, or None when it is: an absolute http,
    https or rtsp URL with a host, no spaces or control characters, at most 500 characters."""
    if len(url) > URL_MAX:
        return f"stream URL is longer than {URL_MAX} characters"
    if _WHITESPACE.search(url):
        return "stream URL must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "stream URL is not a URL"
    if parts.scheme.lower() not in STREAM_SCHEMES:
        return f"stream URL scheme must be one of {', '.join(STREAM_SCHEMES)}"
    if not host:
        return "stream URL needs a host"
    return None


def safe_stream_url(url: Any) -> str | None:
    """The link when it passes :func:`stream_url_problem`; None otherwise (never shown)."""
    return url if isinstance(url, str) and stream_url_problem(url) is None else None


def radius_problem(radius_m: Any) -> str | None:
    if isinstance(radius_m, bool) or not isinstance(radius_m, int | float):
        return "radius must be a number of metres"
    if not (math.isfinite(radius_m) and 0 < radius_m <= MAX_RADIUS_M):
        return f"radius must be more than 0 and at most {MAX_RADIUS_M:g} m"
    return None


def cameras_near(
    store: Store, lon: float, lat: float, *, radius_m: float, limit: int = MAX_NEAR
) -> list[dict[str, Any]]:
    """Cameras within ``radius_m`` of (lon, lat), nearest first, each with ``distance_m``
    (great circle) and its stream link only when it is an acceptable one.

    Raises
    ------
    ValueError
        A radius outside (0, :data:`MAX_RADIUS_M`].
    """
    if problem := radius_problem(radius_m):
        raise ValueError(problem)
    x0, y0, x1, y1 = degree_box(lon, lat, radius_m)
    rows = store.query_rows(
        "WITH c AS (SELECT camera_id, name, lon, lat, camera_class, stream_url, owner, "
        "synthetic, 2 * ? * asin(sqrt(pow(sin(radians(lat - ?) / 2), 2) + cos(radians(?)) * "
        "cos(radians(lat)) * pow(sin(radians(lon - ?) / 2), 2))) AS distance_m FROM cameras "
        "WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?) "
        "SELECT * FROM c WHERE distance_m <= ? ORDER BY distance_m, camera_id LIMIT ?",
        [_EARTH_M, lat, lat, lon, x0, x1, y0, y1, radius_m, int(limit)],
    )
    names = ("camera_id", "name", "lon", "lat", "camera_class", "stream_url", "owner",
             "synthetic", "distance_m")  # fmt: skip
    out = []
    for values in rows:
        item = dict(zip(names, values, strict=True))
        item["stream_url"] = safe_stream_url(item["stream_url"])
        item["distance_m"] = round(float(item["distance_m"]), 1)
        out.append(item)
    return out


def all_cameras(store: Store) -> pd.DataFrame:
    """Every camera (for the wall's layer): ``camera_id, name, lon, lat, camera_class,
    stream_url, owner, synthetic``."""
    return store.query_df(
        "SELECT camera_id, name, lon, lat, camera_class, stream_url, owner, synthetic "
        "FROM cameras ORDER BY camera_id"
    )


def upsert_cameras(tx: WriteTx, batch: pa.Table) -> dict[str, int]:
    """Insert new cameras and update changed ones (then no longer synthetic) inside the
    caller's transaction; ``batch`` has :data:`COLUMNS` but ``synthetic``. Returns the
    counts ``inserted``, ``updated``, ``unchanged``."""
    data = ("name", "lon", "lat", "camera_class", "stream_url", "owner")
    with tx.registered(batch) as b:
        same = " AND ".join(f"c.{col} IS NOT DISTINCT FROM b.{col}" for col in data)
        unchanged = tx.fetch(
            f"SELECT count(*) FROM {b} b JOIN cameras c USING (camera_id) WHERE {same}"
        )[0][0]
        sets = ", ".join(f"{col} = b.{col}" for col in (*data, "imported_at"))
        updated = tx.fetch(
            f"UPDATE cameras c SET {sets}, synthetic = FALSE FROM {b} b "
            f"WHERE c.camera_id = b.camera_id AND NOT ({same}) RETURNING c.camera_id"
        )
        inserted = tx.fetch(
            f"INSERT INTO cameras (camera_id, {', '.join(data)}, imported_at, synthetic) "
            f"SELECT camera_id, {', '.join(data)}, imported_at, FALSE FROM {b} "
            "WHERE camera_id NOT IN (SELECT camera_id FROM cameras) RETURNING camera_id"
        )
    counts = {"inserted": len(inserted), "updated": len(updated), "unchanged": int(unchanged)}
    if sum(counts.values()) != batch.num_rows:
        raise RuntimeError("camera upsert did not account for every row; rolled back")
    return counts
