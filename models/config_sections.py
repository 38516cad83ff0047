"""Setting sections with rules of their own: the working calendar and case photos."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class Section(BaseModel):
    """One section of config.yaml: unknown keys are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class CalendarSettings(Section):
    """Working time used by deadlines; holidays come from chinese-calendar plus these."""

    timezone: str = "Asia/Shanghai"
    work_periods: list[str] = ["08:30-12:00", "14:00-17:30"]
    extra_holidays: list[str] = []
    extra_workdays: list[str] = []

    @field_validator("work_periods")
    @classmethod
    def _periods(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one working period is needed")
        for item in value:
            if not _HHMM.match(item):
                raise ValueError(f"{item!r} is not HH:MM-HH:MM")
            start, end = item.split("-")
            if start >= end:
                raise ValueError(f"{item!r} ends before it starts")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a known IANA time zone (e.g. Asia/Shanghai)"
            ) from None
        return value

    @field_validator("extra_holidays", "extra_workdays")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", item):
                raise ValueError(f"{item!r} is not YYYY-MM-DD")
        return value


class PhotoSettings(Section):
    """Case photos: where the files live (relative paths: from the config file), the largest
    upload, and the longest edge of the stored image and of its thumbnail."""

    dir: Path = Path("var/photos")
    max_bytes: int = Field(10 * 2**20, ge=2**10, le=100 * 2**20)
    max_edge_px: int = Field(2048, ge=320, le=8192)
    thumb_px: int = Field(320, ge=64, le=1024)

    @model_validator(mode="after")
    def _thumb_smaller(self) -> PhotoSettings:
        if self.thumb_px > self.max_edge_px:
            raise ValueError(
                f"thumb_px ({self.thumb_px}) must not exceed max_edge_px ({self.max_edge_px})"
            )
        return self


#: The eight dimensions of the city operation indicator system (SPEC §2.7), in screen order.
DIMENSIONS = (
    "生态宜居",
    "城市安全",
    "交通运行",
    "公共服务",
    "市场监管",
    "综合治理",
    "城市管理",
    "生态环境",
)


class CockpitSettings(Section):
    """The leader cockpit: the city score's weight per dimension (CityScore), the composite
    evaluation score's weights of the rankings, and how many periods a trend shows."""

    dimension_weights: dict[str, float] = {d: 1.0 for d in DIMENSIONS}
    ranking_weights: dict[str, float] = {
        "dispatch": 0.2,
        "handling": 0.35,
        "closure": 0.25,
        "rework": 0.1,
        "overdue": 0.1,
    }
    trend_periods: int = Field(12, ge=2, le=60)

    @field_validator("dimension_weights")
    @classmethod
    def _dimensions(cls, value: dict[str, float]) -> dict[str, float]:
        if unknown := sorted(set(value) - set(DIMENSIONS)):
            raise ValueError(f"unknown dimensions {unknown}; known: {', '.join(DIMENSIONS)}")
        for name, weight in value.items():
            if not (weight >= 0 and weight < float("inf")):
                raise ValueError(f"weight of {name} must be finite and non-negative")
        if sum(value.values()) <= 0:
            raise ValueError("dimension weights must sum to more than 0")
        return value


class ReportSettings(Section):
    """Daily and monthly reports (PDF and XLSX): where they are kept and when they are made."""

    dir: Path = Path("var/reports")
    daily_at: str = Field("07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # local time
    monthly_day: int = Field(1, ge=1, le=28)  # the day of the month the last month's is made
    keep_days: int = Field(400, ge=1, le=36_500)  # older report files are removed
    enabled: bool = True  # the schedule inside the server


class ThemeSettings(Section):
    """Theme maps (专题一张图): the shipped themes plus an optional file of a city's own."""

    extra_file: Path | None = None  # YAML, same shape as models/data/themes.yaml
    default: str = "overview"


class EmergencySettings(Section):
    """Emergency command (应急指挥): dispatch acknowledgement, nearest units, cameras, warnings."""

    ack_timeout_s: int = Field(120, ge=10, le=3600)  # unacknowledged: re-sent once, then red
    arrival_radius_m: float = Field(150.0, gt=0, le=5000)  # a unit this near the scene arrived
    position_max_age_s: int = Field(600, ge=30, le=86_400)  # an older position is not trusted
    fallback_speed_kmh: float = Field(30.0, gt=0, le=200)  # straight line, off the network
    snap_max_m: float = Field(500.0, gt=0, le=10_000)  # farther from a road: off the network
    nearest_limit: int = Field(10, ge=1, le=200)  # candidates listed
    camera_radius_m: float = Field(500.0, gt=0, le=20_000)  # cameras listed on a card
    wall_mode_level: Literal["I", "II", "III", "IV"] = "III"  # this level or above: 战时
    cap_sender: str = Field("cityops@chaozhou.example", min_length=3, max_length=200)
    cap_sender_name: str = Field("潮州市应急管理局", min_length=1, max_length=200)
    plans_extra_file: Path | None = None  # YAML, same shape as models/data/plans.yaml
