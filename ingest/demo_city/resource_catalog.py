"""What the demo's emergency services are and where they are based (towns, fields, names)."""

from __future__ import annotations

CN_NUMERALS = "一二三四五六七八九十"
DISTRICT_NAMES = {
    "445102": ("湘桥区", "Xiangqiao"),
    "445103": ("潮安区", "Chao'an"),
    "445122": ("饶平县", "Raoping"),
}


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Towns (9-digit codes) where each service is based.
# 桥东 城西 凤新 意溪 枫溪 庵埠 浮洋 彩塘 凤凰 黄冈 钱东 三饶 柘林
FIRE_TOWNS = _codes(
    "445102007 445102008 445102009 445102100 445103121 445103110 445103104 445103108 "
    "445103117 445122100 445122117 445122107 445122122"
)
# 桥东 城西 枫溪 庵埠 黄冈 钱东 三饶
MEDICAL_TOWNS = _codes("445102007 445102008 445103121 445103110 445122100 445122117 445122107")
# 太平 庵埠 黄冈 意溪
RESCUE_TOWNS = _codes("445102010 445103110 445122100 445102100")
# the northern mountains: 凤凰 赤凤 文祠 红山林场 上饶 饶洋 建饶
FOREST_TOWNS = _codes("445103117 445103120 445103116 445102400 445122102 445122103 445122106")
# 桥东 太平 枫溪 庵埠 彩塘 黄冈 汫洲 三饶
POLICE_TOWNS = _codes(
    "445102007 445102010 445103121 445103110 445103108 445122100 445122123 445122107"
)
# the five 街道, then towns across the three districts
SHELTER_TOWNS = _codes(
    "445102007 445102008 445102009 445102010 445102011 445102100 445102111 445102112 "
    "445103121 445103110 445103104 445103108 445103105 445103100 445103114 445103117 "
    "445122100 445122117 445122123 445122124 445122107 445122110 445122122 445122120 "
    "445122114"
)
SHELTER_PLACES = (
    ("中学", "Middle School"),
    ("中心小学", "Central Primary School"),
    ("体育馆", "Sports Hall"),
)
EXPERT_FIELDS = (
    ("flood_control", "防汛抢险", "Flood control"),
    ("hazmat", "危险化学品", "Hazardous chemicals"),
    ("geology", "地质灾害", "Geological hazards"),
    ("medical", "紧急医学救援", "Emergency medicine"),
    ("forest_fire", "森林防灭火", "Forest fire"),
    ("meteorology", "气象", "Meteorology"),
    ("structural", "建筑结构", "Structural engineering"),
    ("public_health", "公共卫生", "Public health"),
)
