"""Surface-water quality class per GB 3838-2002 basic items (pH, DO, COD, NH3-N, TP).

Inputs use the MQTT metric names of water sections: ``ph`` (dimensionless), ``do``
(dissolved oxygen), ``cod`` (chemical oxygen demand), ``nh3n`` (ammonia nitrogen) and ``tp``
(total phosphorus, as P), all in mg/L. Each parameter gets the best class whose limit it
meets (limits are inclusive: "≤" for pollutants, "≥" for DO), worse than class V (劣V类)
when it meets none; the section's class is the worst of its parameters (单因子评价, the
worst parameter decides).

GB 3838-2002 Table 1 notes: pH is 6–9 for every class, so a pH in range is class I and one
out of range is worse than V; the class I DO limit is "饱和率 90% (或 7.5)", used here as
7.5 mg/L; TP has separate limits for lakes and reservoirs (湖、库).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from numbers import Real
from types import MappingProxyType
from typing import Literal

STANDARD = "GB 3838-2002"

Waterbody = Literal["river", "lake"]

#: The parameters assessed here, by their MQTT metric names.
WATER_PARAMETERS: tuple[str, ...] = ("ph", "do", "cod", "nh3n", "tp")
UNITS: Mapping[str, str] = MappingProxyType(
    {"ph": "", "do": "mg/L", "cod": "mg/L", "nh3n": "mg/L", "tp": "mg/L"}
)


class WaterClass(IntEnum):
    """Surface-water class; a larger value is worse water."""

    I = 1  # noqa: E741 - the standard's own name for the class
    II = 2
    III = 3
    IV = 4
    V = 5
    WORSE_THAN_V = 6

    @property
    def roman(self) -> str:
        """``I`` … ``V``, or ``劣V``."""
        return "劣V" if self is WaterClass.WORSE_THAN_V else self.name

    @property
    def label_zh(self) -> str:
        """``I类`` … ``V类``, or ``劣V类``."""
        return f"{self.roman}类"

    @property
    def label_en(self) -> str:
        """``Class I`` … ``Class V``, or ``Worse than Class V``."""
        return "Worse than Class V" if self is WaterClass.WORSE_THAN_V else f"Class {self.name}"

    @property
    def colour_rgb(self) -> tuple[int, int, int]:
        """The class's map colour (:data:`WATER_CLASS_RGB`)."""
        return WATER_CLASS_RGB[self]


#: Class colours as commonly used on Chinese water-quality maps (GB 3838-2002 itself defines
#: none): the one table the map's points and its legend both use.
WATER_CLASS_RGB: Mapping[WaterClass, tuple[int, int, int]] = MappingProxyType(
    {
        WaterClass.I: (0, 153, 255),
        WaterClass.II: (0, 153, 255),
        WaterClass.III: (0, 200, 83),
        WaterClass.IV: (255, 214, 0),
        WaterClass.V: (255, 140, 0),
        WaterClass.WORSE_THAN_V: (230, 0, 0),
    }
)


_CLASSES = (WaterClass.I, WaterClass.II, WaterClass.III, WaterClass.IV, WaterClass.V)

#: GB 3838-2002 Table 1, classes I–V: upper limits (mg/L) for pollutants.
UPPER_LIMITS: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "cod": (15, 15, 20, 30, 40),
        "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
        "tp": (0.02, 0.1, 0.2, 0.3, 0.4),
        "tp_lake": (0.01, 0.025, 0.05, 0.1, 0.2),
    }
)
#: GB 3838-2002 Table 1, classes I–V: lower limits (mg/L); higher is better.
LOWER_LIMITS: Mapping[str, tuple[float, ...]] = MappingProxyType({"do": (7.5, 6, 5, 3, 2)})
#: GB 3838-2002 Table 1: pH range, the same for classes I–V.
PH_RANGE: tuple[float, float] = (6.0, 9.0)


@dataclass(frozen=True)
class WaterResult:
    """The class of one water sample, the parameter(s) that decided it, and each one's class."""

    water_class: WaterClass
    deciding: tuple[str, ...]
    classes: Mapping[str, WaterClass]
    waterbody: Waterbody


def _value(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name}: value must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name}: value must be finite, got {number!r}")
    if number < 0:
        raise ValueError(f"{name}: value must not be negative, got {number!r}")
    if name == "ph" and number > 14:
        raise ValueError(f"ph: value must be within 0–14, got {number!r}")
    return number


def parameter_class(parameter: str, value: float, *, waterbody: Waterbody = "river") -> WaterClass:
    """Class of a single parameter against GB 3838-2002 Table 1.

    Parameters
    ----------
    parameter
        ``ph``, ``do``, ``cod``, ``nh3n`` or ``tp``.
    value
        pH (dimensionless) or concentration in mg/L.
    waterbody
        ``"river"`` or ``"lake"`` (lakes and reservoirs); only TP limits differ.

    Raises
    ------
    ValueError
        Unknown parameter or waterbody, or a negative, NaN or non-numeric value (pH > 14 too).
    """
    if waterbody not in ("river", "lake"):
        raise ValueError(f"waterbody must be 'river' or 'lake', got {waterbody!r}")
    if parameter not in WATER_PARAMETERS:
        raise ValueError(
            f"unknown parameter {parameter!r}; expected one of {', '.join(WATER_PARAMETERS)}"
        )
    v = _value(parameter, value)
    if parameter == "ph":
        low, high = PH_RANGE
        return WaterClass.I if low <= v <= high else WaterClass.WORSE_THAN_V
    if parameter in LOWER_LIMITS:
        meets = [v >= limit for limit in LOWER_LIMITS[parameter]]
    else:
        key = "tp_lake" if parameter == "tp" and waterbody == "lake" else parameter
        meets = [v <= limit for limit in UPPER_LIMITS[key]]
    return next((c for c, ok in zip(_CLASSES, meets) if ok), WaterClass.WORSE_THAN_V)


def water_class(values: Mapping[str, float], *, waterbody: Waterbody = "river") -> WaterResult:
    """Class of a water sample: the worst class among its parameters (GB 3838-2002).

    Parameters
    ----------
    values
        Metric name → value for any non-empty subset of ``ph``, ``do``, ``cod``, ``nh3n``,
        ``tp`` (pH dimensionless, the others mg/L).
    waterbody
        ``"river"`` or ``"lake"`` (lakes and reservoirs use the stricter TP limits).

    Returns
    -------
    WaterResult
        The class, the parameter(s) at that class (in input order), and each class.

    Raises
    ------
    ValueError
        Empty input, an unknown key or waterbody, or a bad value.
    """
    if not values:
        raise ValueError("no water parameters given")
    unknown = sorted(str(k) for k in values if k not in WATER_PARAMETERS)
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(unknown)}; expected some of "
            f"{', '.join(WATER_PARAMETERS)}"
        )
    classes = {k: parameter_class(k, v, waterbody=waterbody) for k, v in values.items()}
    worst = max(classes.values())
    return WaterResult(
        water_class=worst,
        deciding=tuple(k for k, c in classes.items() if c == worst),
        classes=MappingProxyType(classes),
        waterbody=waterbody,
    )


def as_water_class(target: WaterClass | int | str) -> WaterClass:
    """``target`` as a WaterClass: a WaterClass, 1–6, or ``"III"`` / ``"III类"`` / ``"劣V类"``.

    Raises
    ------
    ValueError
        Anything else.
    """
    if isinstance(target, WaterClass):
        return target
    if isinstance(target, int) and not isinstance(target, bool):
        try:
            return WaterClass(target)
        except ValueError:
            raise ValueError(f"water class must be 1–6, got {target!r}") from None
    if isinstance(target, str):
        text = target.strip().removesuffix("类").replace("Ⅰ", "I").replace("Ⅱ", "II")
        text = text.replace("Ⅲ", "III").replace("Ⅳ", "IV").replace("Ⅴ", "V").upper()
        for c in WaterClass:
            if text == c.roman:
                return c
    raise ValueError(f"not a water class: {target!r}; expected I–V, 劣V or 1–6")


def meets_target(result: WaterResult, target_class: WaterClass | int | str) -> bool:
    """Whether the sample is at ``target_class`` or better (达到目标水质)."""
    return result.water_class <= as_water_class(target_class)


def exceeding_parameters(
    result: WaterResult, target_class: WaterClass | int | str
) -> tuple[str, ...]:
    """The parameters worse than ``target_class`` (超标项目), in input order."""
    target = as_water_class(target_class)
    return tuple(k for k, c in result.classes.items() if c > target)
