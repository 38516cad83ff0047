"""The camera layer (视频监控点位): small points coloured by class, with the stream link in
the record (a link to open, never fetched); simulated cameras say so in their tooltip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from layers.legend import LegendItem, flag, labels_for, number, pick, text
from layers.spec import LayerSpec, clickable_points
from models.emergency.cameras import CAMERA_CLASSES, safe_stream_url

CAMERA_LAYER_ID = "cameras"
#: Class colours: cool hues no alarm, level or status colour uses.
CLASS_RGB: dict[int, tuple[int, int, int]] = {
    1: (0, 210, 230),
    2: (90, 140, 255),
    3: (160, 185, 205),
}
UNKNOWN_RGB = (140, 150, 165)
RADIUS_M = {1: 30.0, 2: 30.0, 3: 20.0}
POINT_ALPHA = 220
_WORDS: dict[str, tuple[str, str]] = {
    "owner": ("权属", "Owner"),
    "link": ("视频", "Video"),
    "no_link": ("无视频链接", "No video link"),
    "synthetic": ("模拟点位（演示数据）", "Simulated camera (demo data)"),
}


def _class(value: Any) -> int | None:
    n = number(value)
    return int(n) if n is not None and n in (1.0, 2.0, 3.0) else None


def build_camera_layer(
    cameras: pd.DataFrame,
    *,
    lang: str = "zh",
    class_labels: Mapping[int, str] | None = None,
    word_labels: Mapping[str, str] | None = None,
) -> LayerSpec:
    """Build the ``cameras`` layer.

    Parameters
    ----------
    cameras
        ``camera_id, name, lon, lat, camera_class (1/2/3), stream_url, owner, synthetic``
        (as :func:`models.emergency.cameras.all_cameras` reads them); rows without a finite
        place are left out.
    lang
        ``"zh"`` or ``"en"`` for the built-in labels.
    class_labels, word_labels
        Display texts from the app's catalog (class number -> text; ``owner``, ``link``,
        ``no_link``, ``synthetic``); built-in ones where missing.

    Returns
    -------
    LayerSpec
        A ScatterplotLayer keyed by ``id``; each record has ``id``, ``title``, ``lines``,
        ``camera_class``, ``url`` (the stream link when it is http, https or rtsp, else
        None), ``synthetic``, ``position``, ``radius`` (m) and ``color`` (RGBA).
    """
    classes = labels_for(lang, CAMERA_CLASSES, class_labels)
    words = labels_for(lang, _WORDS, word_labels)
    records = []
    for row in cameras.to_dict("records"):
        lon, lat = number(row.get("lon")), number(row.get("lat"))
        if lon is None or lat is None:
            continue
        klass = _class(row.get("camera_class"))
        url = safe_stream_url(row.get("stream_url"))
        lines = [classes.get(klass, "?") if klass else "?"]
        if owner := text(row.get("owner")):
            lines.append(f"{words['owner']} {owner}")
        lines.append(f"{words['link']} {url}" if url else words["no_link"])
        synthetic = flag(row.get("synthetic"))
        if synthetic:
            lines.append(words["synthetic"])
        camera_id = str(row["camera_id"])
        records.append(
            {
                "id": camera_id,
                "title": text(row.get("name")) or camera_id,
                "lines": lines,
                "camera_class": klass,
                "url": url,
                "synthetic": synthetic,
                "position": [round(lon, 6), round(lat, 6)],
                "radius": RADIUS_M.get(klass or 3, 20.0),
                "color": [*CLASS_RGB.get(klass or 0, UNKNOWN_RGB), POINT_ALPHA],
            }
        )
    return clickable_points(CAMERA_LAYER_ID, records, min_px=2, max_px=12)


def camera_legend(lang: str = "zh") -> list[LegendItem]:
    """The three camera classes in their colours."""
    return [LegendItem(pick(lang, zh, en), CLASS_RGB[k]) for k, (zh, en) in CAMERA_CLASSES.items()]
