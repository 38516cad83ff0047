"""What a drill says: exercise reports, 【演练】 announcements and an upstream CAP 1.2 alert.

Every report of a drill carries ``"exercise": true`` and a text starting with 【演练】, and
so does every sensor reading the drill shaped (``ingest.simulator.stream``); the
announcements (start, peak, end) and the CAP alert (``<status>Exercise</status>``) tell
the screens that a drill is running.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from xml.sax.saxutils import escape

from ingest.simulator.clock import iso_local
from ingest.simulator.randomness import pick, poisson, unit
from ingest.simulator.reports import CATEGORY_BY_CODE, ReportDraft, place_text
from ingest.simulator.scenarios import Scenario
from ingest.simulator.world import Place, World

EXERCISE_MARK = "【演练】"
#: Reports per hour at the drill's peak, and (category, weight, where) of each.
PEAK_REPORTS_PER_H = {"typhoon": 80.0, "chemical_leak": 30.0, "forest_fire": 20.0}
DRILL_MIX = {
    "typhoon": (("0401", 40, "old_city"), ("0403", 22, "street"), ("0101", 8, "old_city_street"),
                ("0404", 10, "street"), ("0105", 6, "street"), ("0801", 14, "core")),
    "chemical_leak": (("0802", 100, "plume"),),
    "forest_fire": (("0803", 100, "fire"),),
}  # fmt: skip
_MAIN_CATEGORY = {"typhoon": "0801", "chemical_leak": "0802", "forest_fire": "0803"}
_STORY = {
    "typhoon": "模拟台风“演练一号”在潮州沿海登陆，市区出现暴雨到大暴雨，古城区多处内涝点积水，"
    "韩江水位上涨，部分路段树木倒伏、交通缓行。",
    "chemical_leak": "潮州港码头一危化品储罐发生泄漏，港区及下风向二氧化硫、氮氧化物浓度升高，"
    "请下风向群众关闭门窗，港区周边道路临时管制。",
    "forest_fire": "北部山区凤凰山一带发生森林火灾，北部空气质量站PM2.5、一氧化碳浓度上升，"
    "请山区村民注意避让，扑火队伍集结。",
}
_CAP = {
    "typhoon": ("Met", "台风", "潮州市气象台", "cz-meteo@cityops.example", "Severe",
                "【演练】潮州市气象台发布台风橙色预警信号和暴雨红色预警信号",
                "停止集会、停课、停业（除特殊行业）；远离低洼易涝区域，古城区居民注意防范内涝。",
                30.0),
    "chemical_leak": ("CBRNE", "危险化学品泄漏", "潮州市应急管理局", "cz-yjj@cityops.example",
                      "Severe", "【演练】潮州港危险化学品泄漏事件预警",
                      "港区周边及下风向群众关闭门窗，听从指挥有序撤离。", 8.0),
    "forest_fire": ("Fire", "森林火灾", "潮州市森林防灭火指挥部", "cz-slfh@cityops.example",
                    "Severe", "【演练】北部山区森林火灾预警",
                    "进山人员立即撤离，严禁野外用火，注意烟雾。", 12.0),
}  # fmt: skip


@dataclass(frozen=True)
class DrillPlaces:
    """Where a drill's reports come from, chosen once per drill."""

    pools: dict[str, tuple[Place, ...]]
    plume_weights: tuple[float, ...]  # cumulative, over pools["plume"]


def drill_places(world: World, scenario: Scenario) -> DrillPlaces:
    """Place pools of a drill: old city, core streets, downwind of the port, near the fire."""
    old = tuple(p for p in world.street_places + world.places if p.old_city)
    pools: dict[str, tuple[Place, ...]] = {
        "old_city": old,
        "old_city_street": tuple(p for p in world.street_places if p.old_city) or old,
        "street": world.street_places,
        "core": tuple(p for p in world.places if p.core),
    }
    weights: tuple[float, ...] = ()
    if scenario.kind == "chemical_leak":
        near = world.places_within(scenario.lon, scenario.lat, 15_000.0)
        pools["plume"] = near
        weights = tuple(accumulate(scenario.plume_at(p.lon, p.lat) + 1e-3 for p in near))
    if scenario.kind == "forest_fire":
        pools["fire"] = world.places_within(
            scenario.lon, scenario.lat, 8_000.0, mountain_only=True
        ) or world.places_within(scenario.lon, scenario.lat, 15_000.0)
    return DrillPlaces(pools, weights)


def announcements(scenario: Scenario) -> list[ReportDraft]:
    """Start, peak and end notices of a drill, from the higher level (exercise true)."""
    category = _MAIN_CATEGORY[scenario.kind]
    peak = scenario.start + scenario.onset_s
    notes = (
        (
            scenario.start,
            f"{scenario.name_zh}开始。{_STORY[scenario.kind]}本次为演练，"
            "相关告警与案件均按演练处理。",
        ),
        (peak, f"{scenario.name_zh}进入高峰阶段，请各单位按预案处置。"),
        (scenario.end, f"{scenario.name_zh}结束，各单位恢复常态。"),
    )
    return [
        ReportDraft(
            ts,
            "higher_level",
            category,
            round(scenario.lon, 6),
            round(scenario.lat, 6),
            EXERCISE_MARK + text,
            "市应急管理局（演练导调）",
            True,
            900 + i,
        )
        for i, (ts, text) in enumerate(notes)
    ]


def drill_reports_in_minute(
    places: DrillPlaces, scenario: Scenario, minute: int, *, seed: int
) -> list[ReportDraft]:
    """Reports the drill causes in one simulated minute (exercise true), in time order."""
    t0 = minute * 60
    env = scenario.envelope(t0 + 30)
    out = [a for a in announcements(scenario) if t0 <= a.ts < t0 + 60]
    n = poisson(PEAK_REPORTS_PER_H[scenario.kind] * env / 60.0, unit(seed, minute, 300))
    mix = DRILL_MIX[scenario.kind]
    cumulative = list(accumulate(w for _, w, _ in mix))
    for j in range(n):
        u = [unit(seed, minute, 310 + 10 * j + i) for i in range(5)]
        code, _, where = mix[pick(cumulative, u[0])]
        pool = places.pools.get(where) or places.pools["core"]
        if where == "plume":
            place = pool[pick(places.plume_weights, u[1])]
        else:
            place = pool[int(u[1] * len(pool))]
        text = place_text(CATEGORY_BY_CODE[code], place, u[2])
        if u[4] < 0.5:
            source, text, reporter = "hotline", "市民来电反映：" + text, "12345热线"
        elif u[4] < 0.85:
            source, text, reporter = "grid_worker", "巡查发现：" + text, place.reporter
        else:
            source, reporter = "public", "市民随手拍"
        out.append(
            ReportDraft(
                t0 + int(u[3] * 60),
                source,
                code,
                round(place.lon, 6),
                round(place.lat, 6),
                EXERCISE_MARK + text,
                reporter,
                True,
                100 + j,
            )
        )
    out.sort(key=lambda r: (r.ts, r.seq))
    return out


def cap_alert(scenario: Scenario, identifier: str) -> tuple[int, str]:
    """(epoch second, CAP 1.2 XML) of the upstream warning a drill's authority issues."""
    category, event, sender_name, sender, severity, headline, instruction, radius_km = _CAP[
        scenario.kind
    ]
    sent = scenario.start + 120
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{escape(identifier)}</identifier>
  <sender>{escape(sender)}</sender>
  <sent>{iso_local(sent)}</sent>
  <status>Exercise</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <note>{EXERCISE_MARK}{escape(scenario.name_zh)}</note>
  <info>
    <language>zh-CN</language>
    <category>{category}</category>
    <event>{escape(event)}</event>
    <urgency>Immediate</urgency>
    <severity>{severity}</severity>
    <certainty>Likely</certainty>
    <effective>{iso_local(sent)}</effective>
    <expires>{iso_local(scenario.end)}</expires>
    <senderName>{escape(sender_name)}</senderName>
    <headline>{escape(headline)}</headline>
    <description>{escape(_STORY[scenario.kind])}</description>
    <instruction>{escape(instruction)}</instruction>
    <area>
      <areaDesc>{escape(scenario.name_zh)}影响区域</areaDesc>
      <circle>{scenario.lat:.4f},{scenario.lon:.4f} {radius_km:.1f}</circle>
    </area>
  </info>
</alert>
"""
    return sent, xml
