"""The real names and codes of Chaozhou's towns and communities (NBS 2023 codes, MIT data)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

#: Committee suffixes, longest first; "village" ones leave a name ending in 村.
_SUFFIXES: tuple[tuple[str, bool], ...] = (
    ("居民委员会", False),
    ("村民委员会", True),
    ("村民委会", True),
    ("居委会", False),
    ("村委会", True),
)


def _read_csv(name: str) -> pd.DataFrame:
    with resources.files("ingest.demo_city").joinpath("data", name).open("rb") as handle:
        return pd.read_csv(handle, dtype=str)


def town_kind(name: str) -> str:
    """Classify a town-level unit by its name: "街道", "镇" or "其他" (forest farms, zones).

    Parameters
    ----------
    name : str
        Full Chinese name, e.g. "桥东街道".

    Returns
    -------
    str
    """
    if name.endswith("街道"):
        return "街道"
    if name.endswith("镇"):
        return "镇"
    return "其他"


def short_community_name(full: str) -> str:
    """Drop the committee suffix: "桥东社区居民委员会" → "桥东社区", "下东村民委员会" → "下东村".

    Parameters
    ----------
    full : str
        The registered name of the community or village committee.

    Returns
    -------
    str
        The place name; names without a committee suffix come back unchanged.
    """
    for suffix, village in _SUFFIXES:
        if full.endswith(suffix) and len(full) > len(suffix):
            base = full[: -len(suffix)]
            if village and not base.endswith("村"):
                base += "村"
            return base
    return full


def is_urban_community(full: str) -> bool:
    """True for a residents' community (社区/居委会), False for a village (村) or farm area.

    Parameters
    ----------
    full : str
        The registered name.

    Returns
    -------
    bool
    """
    return "社区" in full or "居委会" in full or "居民委员会" in full


def load_towns() -> pd.DataFrame:
    """Read the 51 town-level units.

    Returns
    -------
    pandas.DataFrame
        Columns ``street_code`` (9 digits), ``district_code``, ``name_zh``, ``kind``, in
        code order.
    """
    raw = _read_csv("chaozhou_towns.csv")
    frame = pd.DataFrame(
        {
            "street_code": raw["town_code"].astype(str),
            "district_code": raw["district_code"].astype(str),
            "name_zh": raw["town_name"].astype(str),
        }
    )
    frame["kind"] = [town_kind(n) for n in frame["name_zh"]]
    return frame.sort_values("street_code", ignore_index=True)


def load_communities() -> pd.DataFrame:
    """Read the 1,034 communities and villages.

    Returns
    -------
    pandas.DataFrame
        Columns ``community_code`` (12 digits), ``street_code``, ``district_code``,
        ``name_zh`` (short), ``name_full`` (registered committee name), ``urban`` (bool), in
        code order.
    """
    raw = _read_csv("chaozhou_communities.csv")
    full = raw["community_name"].astype(str)
    frame = pd.DataFrame(
        {
            "community_code": raw["community_code"].astype(str),
            "street_code": raw["town_code"].astype(str),
            "district_code": raw["district_code"].astype(str),
            "name_zh": [short_community_name(n) for n in full],
            "name_full": list(full),
            "urban": [is_urban_community(n) for n in full],
        }
    )
    return frame.sort_values("community_code", ignore_index=True)
