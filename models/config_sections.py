"""Setting sections with rules of their own: the working calendar and case photos."""

from __future__ import annotations

import re
from pathlib import Path
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
