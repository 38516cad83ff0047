"""The enumerated values of the domain that inputs carry and screens label: report sources,
sensor kinds, unit statuses, resource kinds, incident types and levels, alarm levels."""

from __future__ import annotations

#: Where a case comes from (SPEC §2.3); the MQTT report payload accepts exactly these.
REPORT_SOURCES: tuple[str, ...] = (
    "grid_worker", "hotline", "iot", "video_ai", "open311", "higher_level", "public",
)  # fmt: skip
#: Sensor kinds of the registry and of the observation topics (SPEC §2.4).
SENSOR_KINDS: tuple[str, ...] = (
    "air", "water_quality", "noise", "water_level", "manhole", "streetlamp", "smoke", "gas",
    "traffic",
)  # fmt: skip
#: Statuses of mobile units and resources (SPEC §2.6), as their position payload carries.
UNIT_STATUSES: tuple[str, ...] = (
    "available", "dispatched", "on_scene", "returning", "out_of_service",
)  # fmt: skip
#: Kinds of emergency resources (the resources table's check).
RESOURCE_KINDS: tuple[str, ...] = ("team", "vehicle", "depot", "shelter", "expert")
#: Incident types (SPEC §2.6).
INCIDENT_TYPES: tuple[str, ...] = (
    "flood", "typhoon", "fire", "hazardous_chemicals", "geological", "forest_fire",
    "public_health", "public_security",
)  # fmt: skip
#: Incident levels I–IV (特别重大/重大/较大/一般).
INCIDENT_LEVELS: tuple[str, ...] = ("I", "II", "III", "IV")
#: Alarm levels a sensor rule raises.
ALARM_LEVELS: tuple[str, ...] = ("warning", "danger")

#: Catalog prefix → the values that need a label under it (``<prefix>.<value>``) in every
#: message catalog; a test walks this, so a new value without its label fails there.
LABELLED: dict[str, tuple[str, ...]] = {
    "source": REPORT_SOURCES,
    "sensor_kind": SENSOR_KINDS,
    "resource_status": UNIT_STATUSES,
    "resource_kind": RESOURCE_KINDS,
    "incident_type": INCIDENT_TYPES,
    "incident_level": INCIDENT_LEVELS,
    "alarm_level": ALARM_LEVELS,
}
