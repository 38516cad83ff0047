"""A composed warning as a CAP 1.2 alert: two ``<info>`` blocks (zh-CN, en-US), the area as
published, ``<references>`` of an Update or Cancel; pure (the XML by :mod:`ingest.cap_write`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ingest.cap import CapAlertRecord, CapArea, CapInfo
from ingest.cap_write import to_cap_xml
from models.emergency.warning_content import COLOURS, EVENTS, Lang, WarningContent

#: ``<eventCode>`` scheme of our event codes (CityOps' own list, see docs/cap.md).
EVENT_CODE_SCHEME = "CityOps"
#: ``<parameter>`` carrying the Chinese warning level (colour), per language.
LEVEL_PARAMETER = {"zh": "预警级别", "en": "warningLevel"}
EXERCISE_NOTE = "演练信息，非真实预警 / Exercise: not a real warning"
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}


@dataclass(frozen=True)
class Envelope:
    """What the alert carries besides the content: who sends it, when, which alerts it
    refers to ((sender, identifier, sent) oldest first), the area as published."""

    identifier: str
    sender: str
    sender_name: Lang
    sent: datetime  # aware, in the city's zone
    msg_type: str
    polygons: tuple[str, ...]
    circles: tuple[str, ...]
    geocodes: tuple[tuple[str, str], ...]
    area_description: Lang
    references: tuple[tuple[str, str, datetime], ...] = ()


def cap_time(at: datetime) -> str:
    """A CAP date-time: ``2026-11-24T08:00:00+08:00`` (aware ``at``; no fraction, no Z)."""
    if at.tzinfo is None:
        raise ValueError("a CAP time needs its zone")
    return at.replace(microsecond=0).isoformat()


def _in_zone(at: datetime | None, zone: datetime) -> datetime | None:
    """A naive UTC time in the zone of ``zone`` (aware), without fraction."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC).astimezone(zone.tzinfo).replace(microsecond=0)


def _info(content: WarningContent, env: Envelope, lang: str) -> CapInfo:
    def pick(value: Lang | None) -> str | None:
        return None if value is None else getattr(value, lang)

    _category, event_zh, event_en = EVENTS[content.event]
    _colour, colour_zh, colour_en = COLOURS[content.severity]
    area = CapArea(
        area_desc=getattr(env.area_description, lang),
        polygons=env.polygons,
        circles=env.circles,
        geocodes=env.geocodes,
    )
    return CapInfo(
        language=LANGUAGES[lang],
        category=(content.category,),
        event=event_zh if lang == "zh" else event_en,
        response_type=content.response_types,
        urgency=content.urgency,
        severity=content.severity,
        certainty=content.certainty,
        event_codes=((EVENT_CODE_SCHEME, content.event),),
        onset=_in_zone(content.onset, env.sent),
        expires=_in_zone(content.expires, env.sent),
        sender_name=getattr(env.sender_name, lang),
        headline=pick(content.headline),
        description=pick(content.description),
        instruction=pick(content.instruction),
        parameters=((LEVEL_PARAMETER[lang], colour_zh if lang == "zh" else colour_en),),
        areas=(area,),
    )


def warning_record(content: WarningContent, env: Envelope) -> CapAlertRecord:
    """The CAP alert of a warning (``area_wkb`` left unset: the parser fills it)."""
    if env.sent.tzinfo is None:
        raise ValueError("sent needs its zone")
    references = " ".join(
        f"{sender},{identifier},{cap_time(_in_zone(sent, env.sent))}"  # type: ignore[arg-type]
        for sender, identifier, sent in env.references
    )
    return CapAlertRecord(
        identifier=env.identifier,
        sender=env.sender,
        sent=env.sent.replace(microsecond=0),
        status=content.status,
        msg_type=env.msg_type,
        scope="Public",
        note=EXERCISE_NOTE if content.exercise else None,
        references=references or None,
        incidents=content.incident_id,
        infos=(_info(content, env, "zh"), _info(content, env, "en")),
    )


def warning_xml(content: WarningContent, env: Envelope) -> str:
    """The CAP 1.2 XML of a warning (checked by :func:`models.cap_schema.cap_schema_problems`)."""
    return to_cap_xml(warning_record(content, env))
