"""Environment maths against Chinese national standards: AQI (HJ 633-2012), surface-water
class (GB 3838-2002) and environmental noise limits (GB 3096-2008). Pure functions only."""

from models.environment.aqi import (
    AQI_LEVELS,
    BREAKPOINTS,
    IAQI_LEVELS,
    POLLUTANTS,
    AqiLevel,
    AqiResult,
    aqi,
    aqi_level,
    iaqi,
)
from models.environment.noise import (
    CHINA_STANDARD_TIME,
    NOISE_LIMITS,
    LmaxResult,
    NoiseResult,
    assess_lmax,
    assess_noise,
    noise_limit,
    noise_period,
    noise_zone,
)
from models.environment.water import (
    WATER_PARAMETERS,
    WaterClass,
    WaterResult,
    as_water_class,
    exceeding_parameters,
    meets_target,
    parameter_class,
    water_class,
)

__all__ = [
    "AQI_LEVELS",
    "BREAKPOINTS",
    "CHINA_STANDARD_TIME",
    "IAQI_LEVELS",
    "NOISE_LIMITS",
    "POLLUTANTS",
    "WATER_PARAMETERS",
    "AqiLevel",
    "AqiResult",
    "LmaxResult",
    "NoiseResult",
    "WaterClass",
    "WaterResult",
    "aqi",
    "aqi_level",
    "as_water_class",
    "assess_lmax",
    "assess_noise",
    "exceeding_parameters",
    "iaqi",
    "meets_target",
    "noise_limit",
    "noise_period",
    "noise_zone",
    "parameter_class",
    "water_class",
]
