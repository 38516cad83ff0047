"""Wording of the nearest-units ranking in Chinese and English: why a unit ranks or is left
out (reason codes with their parameters → text), and the names of kinds, subtypes and stock
items a requirement names.

The texts live here rather than in a screen's catalog so that models can render both
languages (the API answers in either); a code without a text shows as the code itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

LANGUAGES = ("zh", "en")

#: Resource kinds (the same words as the catalog's ``resource_kind.*``).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "team": ("救援队伍", "team"),
    "vehicle": ("车辆", "vehicle"),
    "depot": ("物资仓库", "depot"),
    "shelter": ("避难场所", "shelter"),
    "expert": ("专家", "expert"),
}
#: A kind's word after a subtype in Chinese (防汛 + 队伍, 救灾 + 物资库).
KIND_AFTER_SUBTYPE_ZH: dict[str, str] = {
    "team": "队伍", "vehicle": "车辆", "depot": "物资库", "shelter": "避难场所", "expert": "专家",
}  # fmt: skip
#: Subtypes of the demo's resources (and of plan requirements).
SUBTYPE_NAMES: dict[str, tuple[str, str]] = {
    "fire": ("消防", "fire"),
    "rescue": ("抢险救援", "rescue"),
    "medical": ("医疗急救", "medical"),
    "police": ("公安", "police"),
    "utility": ("市政抢修", "utility repair"),
    "flood_control": ("防汛", "flood-control"),
    "hazmat": ("危化品", "hazmat"),
    "forest_fire": ("森林消防", "forest-fire"),
    "shelter": ("避难", "shelter"),
    "relief": ("救灾", "relief"),
    "geology": ("地质灾害", "geological hazards"),
    "meteorology": ("气象", "meteorology"),
    "structural": ("建筑结构", "structural engineering"),
    "public_health": ("公共卫生", "public health"),
}
#: Stock items of the demo's depots.
STOCK_NAMES: dict[str, tuple[str, str]] = {
    "sandbags": ("沙袋", "sandbags"),
    "water_pumps": ("水泵", "water pumps"),
    "life_jackets": ("救生衣", "life jackets"),
    "rubber_boats": ("橡皮艇", "rubber boats"),
    "tarpaulins": ("篷布", "tarpaulins"),
    "absorbent_booms_m": ("吸附围油栏（米）", "absorbent booms (m)"),
    "neutraliser_kg": ("中和剂（千克）", "neutraliser (kg)"),
    "protective_suits": ("防护服", "protective suits"),
    "gas_detectors": ("气体检测仪", "gas detectors"),
    "fire_beaters": ("扑火拍", "fire beaters"),
    "water_bags": ("水袋", "water bags"),
    "blowers": ("风力灭火机", "fire blowers"),
    "chainsaws": ("油锯", "chainsaws"),
    "tents": ("帐篷", "tents"),
    "quilts": ("棉被", "quilts"),
    "bottled_water_cases": ("瓶装水（箱）", "bottled water (cases)"),
    "instant_food_cases": ("方便食品（箱）", "instant food (cases)"),
    "generators": ("发电机", "generators"),
}


def _pick(names: Mapping[str, tuple[str, str]], code: str, lang: str) -> str:
    pair = names.get(code)
    return code if pair is None else pair[0 if lang == "zh" else 1]


def requirement_label(alternatives: tuple[tuple[str | None, str | None], ...], lang: str) -> str:
    """A requirement's name, e.g. ``防汛救援队伍`` / ``flood-control team``; alternatives
    joined by a slash."""
    parts = []
    for kind, tag in alternatives:
        if tag is not None and tag in STOCK_NAMES and kind in (None, "depot"):
            parts.append(_pick(STOCK_NAMES, tag, lang))
            continue
        if not tag or tag == kind:
            parts.append(_pick(KIND_NAMES, kind, lang) if kind else "")
        elif not kind:
            parts.append(_pick(SUBTYPE_NAMES, tag, lang))
        elif lang == "zh":
            parts.append(_pick(SUBTYPE_NAMES, tag, lang) + KIND_AFTER_SUBTYPE_ZH.get(kind, kind))
        else:
            parts.append(f"{_pick(SUBTYPE_NAMES, tag, lang)} {_pick(KIND_NAMES, kind, lang)}")
    return " / ".join(parts)


def distance_text(metres: float, lang: str) -> str:
    """``850 m`` / ``3.2 km`` (``850 米`` / ``3.2 公里``)."""
    if metres < 1000:
        value, unit = f"{metres:.0f}", ("米", "m")
    else:
        value, unit = f"{metres / 1000:.1f}", ("公里", "km")
    return f"{value} {unit[0] if lang == 'zh' else unit[1]}"


def age_text(seconds: float, lang: str) -> str:
    """``45 s`` / ``14 min`` / ``3 h`` (``45 秒`` / ``14 分钟`` / ``3 小时``)."""
    seconds = max(float(seconds), 0.0)
    if seconds < 60:
        value, unit = seconds, ("秒", "s")
    elif seconds < 5400:
        value, unit = seconds / 60, ("分钟", "min")
    elif seconds < 172_800:
        value, unit = seconds / 3600, ("小时", "h")
    else:
        value, unit = seconds / 86_400, ("天", "d")
    return f"{value:.0f} {unit[0] if lang == 'zh' else unit[1]}"


def _count(n: Any) -> str:
    return f"{int(n):,}"


_Text = Callable[[Mapping[str, Any], str], str]


def _two(zh: str, en: str) -> _Text:
    """A text with placeholders filled from the parameters as made by :func:`_values`."""

    def render(params: Mapping[str, Any], lang: str) -> str:
        return (zh if lang == "zh" else en).format(**_values(params, lang))

    return render


def _values(params: Mapping[str, Any], lang: str) -> dict[str, str]:
    out = {key: str(value) for key, value in params.items()}
    for key in ("distance_m", "road_m"):
        if key in params:
            out[key] = distance_text(float(params[key]), lang)
    if "age_s" in params:
        out["age"] = age_text(params["age_s"], lang)
    if "speed_kmh" in params:
        out["speed_kmh"] = f"{float(params['speed_kmh']):g}"
    for key in ("quantity", "free", "capacity", "occupancy"):
        if key in params:
            out[key] = _count(params[key])
    if "item" in params:
        out["item"] = _pick(STOCK_NAMES, str(params["item"]), lang)
    if "status" in params:
        out["status"] = str(params["status"])
    if "district_zh" in params or "district" in params:
        code = str(params.get("district", ""))
        name = params.get("district_zh") if lang == "zh" else params.get("district_en")
        out["district"] = str(name or params.get("district_zh") or code)
    if "alternatives" in params:
        out["requirement"] = requirement_label(params["alternatives"], lang)
    return out


TEXTS: dict[str, _Text] = {
    # ranked
    "available": _two("可用", "available"),
    "road": _two("沿道路 {distance_m}", "on the road network, {distance_m}"),
    "off_road_leg": _two(
        "含离开道路 {distance_m}（按 {speed_kmh} 公里/小时）",
        "incl. {distance_m} off the road at {speed_kmh} km/h",
    ),
    "unit_off_network": _two(
        "距最近道路 {road_m}，按直线 {distance_m}、{speed_kmh} 公里/小时估算",
        "{road_m} from the nearest road: straight line {distance_m} at {speed_kmh} km/h",
    ),
    "scene_off_network": _two(
        "现场距最近道路 {road_m}，按直线 {distance_m}、{speed_kmh} 公里/小时估算",
        "scene {road_m} from the nearest road: straight line {distance_m} at {speed_kmh} km/h",
    ),
    "no_route": _two(
        "无道路可达，按直线 {distance_m}、{speed_kmh} 公里/小时估算",
        "no road route: straight line {distance_m} at {speed_kmh} km/h",
    ),
    "no_network": _two(
        "无路网数据，按直线 {distance_m}、{speed_kmh} 公里/小时估算",
        "no road network: straight line {distance_m} at {speed_kmh} km/h",
    ),
    "position_age": _two("位置 {age}前更新", "position {age} old"),
    "fixed_site": _two("固定地点", "fixed site"),
    "matches": _two("符合需求：{requirement}", "matches {requirement} requirement"),
    "in_stock": _two("库存{item} {quantity}", "{item} in stock: {quantity}"),
    "room": _two("尚可容纳 {free} 人", "room for {free} people"),
    "other_district": _two("跨区支援：{district}", "mutual aid from {district}"),
    # excluded
    "stale_position": _two("位置已 {age}未更新", "position {age} old"),
    "no_position": _two("无有效位置", "no valid position"),
    "out_of_service": _two("停用", "out of service"),
    "dispatched": _two("已调派", "already dispatched"),
    "on_scene": _two("已在现场", "already on scene"),
    "returning": _two("返回中", "returning"),
    "unknown_status": _two("状态未知（{status}）", "unknown status ({status})"),
    "no_capacity": _two(
        "已满（{occupancy}/{capacity}）", "no capacity ({occupancy} of {capacity})"
    ),
    "no_stock": _two("无{item}库存", "no {item} in stock"),
    "wrong_type": _two("类型不符（需要：{requirement}）", "wrong type for {requirement}"),
    # the request itself
    "bad_scene": _two("现场坐标无效：{detail}", "scene coordinates are not valid: {detail}"),
    "unknown_kind": _two("未知的资源类别：{kind}", "unknown resource kind: {kind}"),
}


def render(code: str, params: Mapping[str, Any], lang: str) -> str:
    """The text of reason ``code`` in ``lang`` (``zh``, else English); never raises."""
    text = TEXTS.get(code)
    if text is None:
        return code
    try:
        return text(params, lang)
    except (KeyError, IndexError, ValueError, TypeError):
        return code


class Reason(NamedTuple):
    """Why a unit ranks or is left out: a code and its parameters; :meth:`text` words it.
    (A named tuple: a ranking makes one per unit, and these are cheap to make.)"""

    code: str
    params: Mapping[str, Any] = MappingProxyType({})

    def text(self, lang: str = "zh") -> str:
        return render(self.code, self.params, lang)
