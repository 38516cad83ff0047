"""Grid-worker reports and 12345 hotline orders: category table, hourly rates, places, texts.

Reports arrive as a Poisson process per simulated minute whose rate follows the working
day (grid workers patrol 07:00-21:00; the hotline answers round the clock, quieter at
night), located in cells weighted toward the urban core, or along its streets for
street-side categories. Everything is drawn from hashed uniforms of (seed, minute).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from ingest.simulator.clock import local_time
from ingest.simulator.randomness import pick, poisson, unit
from ingest.simulator.world import Place, World


@dataclass(frozen=True)
class Category:
    """A 城市管理 category: 4-digit code (major + minor), kind, names, report texts."""

    code: str
    kind: str  # component 部件 / event 事件
    name_zh: str
    name_en: str
    on_street: bool
    texts: tuple[str, ...]


def _c(code: str, kind: str, zh: str, en: str, street: bool, *texts: str) -> Category:
    return Category(code, kind, zh, en, street, texts)


CATEGORIES: tuple[Category, ...] = (
    _c("0101", "component", "井盖", "manhole cover", True,
       "{name}人行道井盖破损，有行人踩空风险", "{name}路面井盖缺失，已临时放置警示物",
       "{name}井盖松动，车辆经过时异响"),
    _c("0102", "component", "雨水箅子", "storm drain grate", True,
       "{name}雨水箅子堵塞，下雨排水不畅", "{name}雨水箅子缺失一块"),
    _c("0104", "component", "交通信号灯", "traffic light", True,
       "{name}路口信号灯不亮", "{name}路口信号灯故障，一直闪黄灯"),
    _c("0105", "component", "路灯", "street lamp", True,
       "{name}路灯不亮，夜间行人不便", "{name}多盏路灯白天常亮", "{name}路灯灯杆倾斜"),
    _c("0106", "component", "垃圾箱", "litter bin", True,
       "{name}果皮箱破损", "{name}垃圾箱缺盖，垃圾外露"),
    _c("0107", "component", "护栏", "guardrail", True,
       "{name}道路护栏被撞变形", "{name}隔离护栏缺失一段"),
    _c("0108", "component", "行道树", "street tree", True,
       "{name}行道树枝叶遮挡交通标志", "{name}行道树枯死，有倒伏隐患"),
    _c("0201", "event", "道路不洁", "road not clean", True,
       "{name}路面有大片油污", "{name}人行道积存泥沙落叶，未及时清扫"),
    _c("0202", "event", "暴露垃圾", "exposed garbage", False,
       "{name}路边有生活垃圾堆放", "{name}绿化带内有暴露垃圾",
       "{name}空地建筑垃圾和生活垃圾混杂堆放"),
    _c("0203", "event", "垃圾满溢", "overflowing bins", False,
       "{name}垃圾桶满溢，周边有异味", "{name}垃圾收集点满溢未清运"),
    _c("0204", "event", "积存渣土", "construction waste", True,
       "{name}路边堆放渣土未覆盖", "{name}工地出入口渣土洒落"),
    _c("0301", "event", "违章搭建", "illegal construction", False,
       "{name}楼顶疑似违章搭建铁皮房", "{name}有居民在公共空地私自搭建棚屋",
       "{name}住户擅自扩建阳台"),
    _c("0302", "event", "占道经营", "road-occupying business", True,
       "{name}流动摊贩占道经营", "{name}水果摊占用人行道", "{name}早点摊占道经营影响通行"),
    _c("0303", "event", "店外经营", "business outside the shop", True,
       "{name}商铺超出门窗外摆卖", "{name}餐饮店在门前人行道摆放桌椅"),
    _c("0304", "event", "乱张贴", "illegal posters", True,
       "{name}电线杆上张贴小广告", "{name}沿街外墙乱涂写、乱张贴"),
    _c("0305", "event", "施工扰民", "construction disturbance", False,
       "{name}工地夜间施工噪声扰民", "{name}装修施工时间过早，影响休息"),
    _c("0401", "event", "积水", "waterlogging", True,
       "{name}路段积水约20厘米，车辆难以通行", "{name}低洼处积水，居民出行不便",
       "{name}人行道积水，排水不畅"),
    _c("0402", "event", "道路破损", "damaged road", True,
       "{name}路面出现坑洼", "{name}人行道地砖松动破损"),
    _c("0403", "event", "树木倒伏", "fallen tree", True,
       "{name}大树倒伏，压住半幅车道", "{name}树枝折断掉落在路中间"),
    _c("0404", "event", "广告牌松动", "loose billboard", True,
       "{name}商铺招牌被风吹松动，有坠落危险", "{name}户外广告牌倾斜"),
    _c("0501", "event", "违法停车", "illegal parking", True,
       "{name}机动车违停占用人行道", "{name}车辆违停堵塞消防通道", "{name}路口有车辆长时间违停"),
    _c("0502", "event", "共享单车乱停放", "misparked shared bikes", True,
       "{name}共享单车乱停乱放，堵塞人行道", "{name}公交站旁共享单车堆积"),
    _c("0503", "event", "交通事故", "traffic accident", True,
       "{name}发生两车轻微刮擦，影响通行", "{name}电动车与小车碰撞，有人受轻伤"),
    _c("0601", "event", "噪声扰民", "noise nuisance", False,
       "{name}广场舞音响声音过大", "{name}商铺高音喇叭招揽生意扰民", "{name}夜宵店深夜喧哗扰民"),
    _c("0602", "event", "餐饮油烟", "cooking fumes", False,
       "{name}餐馆油烟直排，影响楼上住户", "{name}烧烤摊油烟污染"),
    _c("0603", "event", "露天焚烧", "open burning", False,
       "{name}有人露天焚烧垃圾，烟雾较大", "{name}农田焚烧秸秆"),
    _c("0604", "event", "燃气异味", "gas smell", False,
       "{name}楼道内闻到燃气味", "{name}路边燃气管道附近有异味"),
    _c("0801", "event", "台风灾情", "typhoon damage", False,
       "{name}有民房进水", "{name}围墙被风吹倒", "{name}有居民被困，请求转移"),
    _c("0802", "event", "危化品泄漏", "hazardous chemical leak", False,
       "{name}闻到强烈刺鼻气味，眼睛不适", "{name}附近有刺激性气味，多人咳嗽",
       "{name}码头储罐区疑似危化品泄漏，有白色烟雾"),
    _c("0803", "event", "森林火情", "forest fire", False,
       "{name}附近山上起火，烟很大", "{name}山林冒浓烟，火势在蔓延",
       "{name}闻到烧焦味，远处山头有明火"),
)  # fmt: skip
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}

#: Category weights per channel (grid workers see the street; citizens call about nuisances).
GRID_MIX = {"0202": 18, "0201": 14, "0302": 14, "0501": 10, "0304": 9, "0303": 8, "0203": 6,
            "0502": 4, "0101": 3, "0105": 3, "0106": 3, "0402": 3, "0204": 3, "0107": 2,
            "0301": 2, "0108": 2, "0102": 2, "0104": 1, "0401": 1}  # fmt: skip
HOTLINE_MIX = {"0601": 16, "0501": 12, "0305": 10, "0602": 8, "0202": 8, "0301": 7, "0302": 7,
               "0105": 6, "0402": 5, "0101": 4, "0503": 3, "0603": 2, "0604": 2, "0401": 1,
               "0203": 3, "0104": 2}  # fmt: skip
#: Reports per hour by local hour at the weekday peak (grid workers 22/h, hotline 14/h).
GRID_HOURLY = (0, 0, 0, 0, 0, 0, 0.1, 0.4, 1.0, 1.3, 1.3, 1.0, 0.3, 0.4, 1.0, 1.3, 1.2, 0.8,
               0.5, 0.3, 0.2, 0.1, 0, 0)  # fmt: skip
HOTLINE_HOURLY = (0.3, 0.2, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.0, 1.0, 0.9, 0.7, 0.7, 1.0,
                  1.0, 1.0, 0.9, 0.8, 0.8, 0.8, 0.7, 0.5, 0.4)  # fmt: skip
GRID_PEAK_PER_H = 22.0
HOTLINE_PEAK_PER_H = 14.0


@dataclass(frozen=True)
class ReportDraft:
    """A report before it becomes a payload; ``seq`` makes its id unique in its minute."""

    ts: int
    source: str
    category: str
    lon: float
    lat: float
    text: str
    reporter: str
    exercise: bool
    seq: int


def report_rates(t: int, *, rain_mm_h: float = 0.0) -> tuple[float, float]:
    """(grid-worker, hotline) reports per hour at ``t``."""
    lt = local_time(t)
    h = int(lt.hour)
    weekend = lt.weekday >= 5
    grid = GRID_PEAK_PER_H * GRID_HOURLY[h] * (0.5 if weekend else 1.0)
    hotline = HOTLINE_PEAK_PER_H * HOTLINE_HOURLY[h] * (1.1 if weekend else 1.0)
    return grid, hotline * (1.0 + rain_mm_h / 40.0)


def _mix_cumulative(
    mix: dict[str, float], *, rain: float, night: bool
) -> tuple[list[str], list[float]]:
    codes = list(mix)
    weights = []
    for code in codes:
        w = float(mix[code])
        if code == "0401":
            w *= 1.0 + rain / 4.0
        if night and code in ("0601", "0305"):
            w *= 3.0
        weights.append(w)
    return codes, list(accumulate(weights))


def place_text(category: Category, place: Place, u: float) -> str:
    """One of the category's texts, filled with the place's community or road name."""
    template = category.texts[int(u * len(category.texts)) % len(category.texts)]
    return template.format(name=place.name or "辖区内")


def draw_place(world: World, category: Category, u: float) -> Place:
    """A place for a report: along core streets for street-side categories, else a cell."""
    if category.on_street and world.street_places:
        return world.street_places[int(u * len(world.street_places))]
    return world.places[pick(world.place_weights, u)]


def reports_in_minute(
    world: World, minute: int, *, seed: int, rain: float = 0.0
) -> list[ReportDraft]:
    """Everyday reports (exercise false) of one simulated minute, in time order."""
    t0 = minute * 60
    grid_rate, hotline_rate = report_rates(t0, rain_mm_h=rain)
    night = local_time(t0).hour >= 21 or local_time(t0).hour < 6
    out: list[ReportDraft] = []
    seq = 0
    for source, rate, mix, salt in (
        ("grid_worker", grid_rate, GRID_MIX, 100),
        ("hotline", hotline_rate, HOTLINE_MIX, 200),
    ):
        n = poisson(rate / 60.0, unit(seed, minute, salt))
        if not n:
            continue
        codes, cumulative = _mix_cumulative(mix, rain=rain, night=night)
        for j in range(n):
            u = [unit(seed, minute, salt + 10 * (j + 1) + i) for i in range(5)]
            category = CATEGORY_BY_CODE[codes[pick(cumulative, u[0])]]
            place = draw_place(world, category, u[1])
            text = place_text(category, place, u[2])
            if source == "grid_worker":
                text, reporter = "巡查发现：" + text, place.reporter
            else:
                phone = f"1{3 + int(u[4] * 6)}{int(u[4] * 1e9) % 10}****{int(u[3] * 1e4):04d}"
                text, reporter = "市民来电反映：" + text, f"12345热线 {phone}"
            out.append(
                ReportDraft(
                    t0 + int(u[3] * 60),
                    source,
                    category.code,
                    round(place.lon, 6),
                    round(place.lat, 6),
                    text,
                    reporter,
                    False,
                    seq,
                )
            )
            seq += 1
    out.sort(key=lambda r: (r.ts, r.seq))
    return out
