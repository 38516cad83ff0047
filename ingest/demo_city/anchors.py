"""Fixed reference points of the demo city: approximate town seats, the urban core, landmarks.

Town positions are rough (about a kilometre) and only steer the generated zones; the
landmarks marked real are real places at approximate positions.
"""

from __future__ import annotations

from typing import Final

#: Metric CRS for all distance/area work (UTM zone 50N).
UTM50N: Final = "EPSG:32650"
WGS84: Final = "EPSG:4326"

#: Centre of the urban core, the old city (潮州古城) by the Han River.
CORE_CENTRE: Final = (116.645, 23.670)
#: Radius (m) of the urban core in which 湘桥区's 街道 are laid out.
STREET_CORE_RADIUS_M: Final = 3400.0
#: Bounding box of the old city polygon (lon/lat).
OLD_CITY_BOX: Final = (116.640, 23.662, 116.652, 23.675)

#: Approximate seat of each town-level unit (lon, lat), by 9-digit code.
TOWN_ANCHORS: Final[dict[str, tuple[float, float]]] = {
    # 湘桥区: 街道 around the old city, towns outside
    "445102007": (116.662, 23.668),  # 桥东街道, east bank
    "445102008": (116.624, 23.672),  # 城西街道
    "445102009": (116.634, 23.690),  # 凤新街道
    "445102010": (116.645, 23.668),  # 太平街道, the old city
    "445102011": (116.634, 23.658),  # 西新街道
    "445102100": (116.668, 23.712),  # 意溪镇
    "445102111": (116.712, 23.698),  # 磷溪镇
    "445102112": (116.712, 23.640),  # 铁铺镇
    "445102113": (116.775, 23.650),  # 官塘镇
    "445102400": (116.770, 23.735),  # 红山林场
    "445102401": (116.668, 23.630),  # 开发区
    "445102402": (116.592, 23.700),  # 凤泉湖高新区
    # 潮安区: 枫溪 next to the core, the delta plain to the south, mountains to the north
    "445103100": (116.552, 23.652),  # 古巷镇
    "445103101": (116.505, 23.695),  # 登塘镇
    "445103103": (116.583, 23.607),  # 凤塘镇
    "445103104": (116.605, 23.566),  # 浮洋镇
    "445103105": (116.640, 23.548),  # 龙湖镇
    "445103106": (116.575, 23.520),  # 金石镇
    "445103107": (116.615, 23.515),  # 沙溪镇
    "445103108": (116.640, 23.490),  # 彩塘镇
    "445103109": (116.680, 23.515),  # 东凤镇
    "445103110": (116.680, 23.455),  # 庵埠镇, district seat
    "445103114": (116.685, 23.605),  # 江东镇, between the river branches
    "445103115": (116.690, 23.785),  # 归湖镇
    "445103116": (116.520, 23.810),  # 文祠镇
    "445103117": (116.640, 23.930),  # 凤凰镇, 凤凰山
    "445103120": (116.590, 23.870),  # 赤凤镇
    "445103121": (116.590, 23.645),  # 枫溪镇 (枫溪区), west of the core
    "445103400": (116.420, 23.715),  # 万峰林场
    "445103450": (116.615, 23.462),  # 广东潮安经济开发区
    # 饶平县: mountains in the north, towns along the coast in the south
    "445122100": (116.995, 23.668),  # 黄冈镇, county seat
    "445122102": (116.840, 24.165),  # 上饶镇
    "445122103": (116.790, 24.070),  # 饶洋镇
    "445122104": (116.870, 24.040),  # 新丰镇
    "445122106": (116.945, 24.140),  # 建饶镇
    "445122107": (116.880, 23.955),  # 三饶镇
    "445122108": (116.970, 23.935),  # 新塘镇
    "445122109": (116.800, 23.880),  # 汤溪镇
    "445122110": (116.920, 23.865),  # 浮滨镇
    "445122112": (116.840, 23.785),  # 浮山镇
    "445122113": (117.030, 23.830),  # 东山镇
    "445122114": (116.970, 23.760),  # 新圩镇
    "445122116": (116.960, 23.705),  # 樟溪镇
    "445122117": (116.860, 23.645),  # 钱东镇
    "445122118": (116.895, 23.705),  # 高堂镇
    "445122119": (116.920, 23.645),  # 联饶镇
    "445122120": (117.055, 23.640),  # 所城镇
    "445122121": (117.110, 23.650),  # 大埕镇
    "445122122": (117.010, 23.605),  # 柘林镇
    "445122123": (116.825, 23.605),  # 汫洲镇
    "445122124": (116.880, 23.585),  # 海山镇
}

#: Real places at approximate positions: (name_zh, name_en, kind, lon, lat).
REAL_POINTS: Final[tuple[tuple[str, str, str, float, float], ...]] = (
    ("广济桥", "Guangji Bridge", "bridge", 116.6508, 23.6667),
    ("牌坊街", "Paifang Street", "street", 116.6455, 23.6690),
    ("潮汕站", "Chaoshan HSR Station", "station", 116.584, 23.541),
    ("潮州港", "Port of Chaozhou", "port", 116.990, 23.580),
)

#: Port area (lon, lat) where hazmat resources and the chemical-leak drill sit.
PORT: Final = (116.990, 23.580)
#: Chaoshan high-speed rail station (lon, lat).
HSR_STATION: Final = (116.584, 23.541)
