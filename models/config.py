"""Settings: read config.yaml, overlay CITYOPS_* environment variables, validate once."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from models.config_sections import (
    CalendarSettings,
    CockpitSettings,
    EmergencySettings,
    PhotoSettings,
    ReportSettings,
    ThemeSettings,
)
from models.config_sections import Section as _Section
from models.vocabulary import REPORT_SOURCES

ENV_PREFIX = "CITYOPS_"
#: Environment variables that carry secrets; they never come from the YAML file.
SECRET_ENV = {
    "secret_key": "CITYOPS_SECRET_KEY",
    "mqtt_password": "CITYOPS_MQTT_PASSWORD",
    "simulator_mqtt_password": "CITYOPS_SIMULATOR_MQTT_PASSWORD",
    "open311_api_keys": "CITYOPS_OPEN311_API_KEYS",
}
#: Environment variables with a meaning of their own (not a config key).
#: CITYOPS_USER names the user a CLI command acts as (app/cli_parser.py), not a setting.
NON_KEY_ENV = {"CITYOPS_CONFIG", "CITYOPS_USER", *SECRET_ENV.values()}


class CitySettings(_Section):
    """The city this installation serves."""

    name_zh: str = "潮州市"
    name_en: str = "Chaozhou"
    adcode: str = Field("445100", pattern=r"^\d{6}$")


class StorageSettings(_Section):
    """Where the DuckDB file and backups live (relative paths: from the config file)."""

    path: Path = Path("var/cityops.duckdb")
    backup_dir: Path = Path("var/backups")
    #: Scheduled backups kept in ``backup_dir`` (older ones are deleted after a new one).
    backup_keep: int = Field(14, ge=1, le=3650)
    #: Local time (``calendar.timezone``) of the daily backup, HH:MM; empty: no schedule.
    backup_at: str = Field("02:30", pattern=r"^(([01]\d|2[0-3]):[0-5]\d)?$")


class MqttSettings(_Section):
    """The broker connection; the password comes from CITYOPS_MQTT_PASSWORD (the simulator's
    from CITYOPS_SIMULATOR_MQTT_PASSWORD)."""

    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    topic_prefix: str = Field("cityops/v1", pattern=r"^[^#+]+[^/#+]$")
    client_id: str = "cityops-ingest"
    username: str | None = None
    simulator_username: str | None = None
    shared_group: str | None = None
    embedded_fallback: bool = True
    keepalive_s: int = Field(30, ge=5, le=3600)
    protocol: Literal[5, 4] = 5
    qos: Literal[0, 1] = 1


class IngestSettings(_Section):
    """Batching of MQTT ingest and the watched drop folder for files."""

    mqtt_enabled: bool = True
    batch_max_rows: int = Field(2000, ge=1, le=100_000)
    batch_max_ms: int = Field(100, ge=1, le=60_000)
    receive_maximum: int = Field(20000, ge=1, le=65535)
    drop_folder: Path | None = None
    poll_s: float = Field(2.0, gt=0, le=3600)
    max_file_mb: int = Field(512, ge=1, le=100_000)
    rules_interval_s: float = Field(5.0, gt=0, le=3600)
    #: a message time further ahead of the server clock is refused (dead letter / bad row)
    max_clock_skew_s: float = Field(300, ge=0, le=86_400)
    #: a message time older than this is refused (files of historic observations excepted)
    max_age_days: float = Field(30, gt=0, le=36_500)


class ViewSettings(_Section):
    """Initial camera of the one map."""

    longitude: float = Field(116.78, ge=-180, le=180)
    latitude: float = Field(23.83, ge=-90, le=90)
    zoom: float = Field(9.1, ge=0, le=22)
    pitch: float = Field(0, ge=0, le=85)
    bearing: float = 0


class MapSettings(_Section):
    """Coordinate systems and the optional tile source of the one map."""

    storage_crs: Literal["EPSG:4326"] = "EPSG:4326"
    metric_crs: str = Field("EPSG:32650", pattern=r"^EPSG:\d{4,5}$")
    initial_view: ViewSettings = ViewSettings()
    tile_url: str | None = Field(None, pattern=r"^(https?://|/).*\{z\}.*\{x\}.*\{y\}")
    points_zoom: float = Field(12.0, ge=0, le=22)
    hex_above_cases: int = Field(3000, ge=0)


class RefreshSettings(_Section):
    """How often screens poll for new data."""

    live_ms: int = Field(1000, ge=200, le=60_000)
    kpi_s: int = Field(30, ge=1, le=3600)


class EscalationTier(_Section):
    """One tier of 督办: raised once a case is this many working hours past its deadline."""

    name: str = Field(pattern=r"^[a-z_]{2,32}$")
    after_hours: float = Field(ge=0, le=10_000)


class SupervisionSettings(_Section):
    """Escalation of overdue cases (督办)."""

    interval_s: float = Field(60, gt=0, le=86_400)
    tiers: list[EscalationTier] = [
        EscalationTier(name="unit_head", after_hours=0),
        EscalationTier(name="department", after_hours=7),
        EscalationTier(name="leader", after_hours=21),
    ]

    @field_validator("tiers")
    @classmethod
    def _ordered(cls, value: list[EscalationTier]) -> list[EscalationTier]:
        names = [t.name for t in value]
        if len(set(names)) != len(names):
            raise ValueError("tier names must differ")
        hours = [t.after_hours for t in value]
        if hours != sorted(hours):
            raise ValueError("tiers must be in order of after_hours")
        return value


class UiSettings(_Section):
    """Language of the screens."""

    language: Literal["zh", "en"] = "zh"


class ServerSettings(_Section):
    """The WSGI server (waitress, one process, threads)."""

    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65535)
    threads: int = Field(8, ge=1, le=64)
    # the address the public reaches the server at (links of the CAP feed); never taken
    # from a request's Host header. None: http://<host>:<port>/
    public_url: str | None = Field(None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?/$")

    def base_url(self) -> str:
        """:attr:`public_url`, or ``http://host:port/``."""
        return self.public_url or f"http://{self.host}:{self.port}/"


class SecuritySettings(_Section):
    """Log-in throttling and session lifetime."""

    login_max_failures: int = Field(5, ge=1, le=100)
    login_window_s: int = Field(300, ge=10, le=86400)
    session_hours: float = Field(12, gt=0, le=720)
    min_password_length: int = Field(10, ge=8, le=128)


class Open311Settings(_Section):
    """What the public Open311 API publishes and how hard anonymous clients may use it."""

    public_sources: list[str] = ["open311", "public"]  # sources whose cases are published
    coordinate_decimals: int = Field(3, ge=0, le=5)  # 3: about 100 m
    max_page_size: int = Field(200, ge=1, le=1000)
    max_days: int = Field(90, ge=1, le=366)
    rate_per_minute: float = Field(60, gt=0, le=60_000)  # per client address
    burst: int = Field(20, ge=1, le=10_000)
    max_concurrent: int = Field(2, ge=1, le=64)  # public requests at once, all clients

    @field_validator("public_sources")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        if unknown := sorted(set(value) - set(REPORT_SOURCES)):
            raise ValueError(f"unknown sources {unknown}; known: {', '.join(REPORT_SOURCES)}")
        return value


class DemoSettings(_Section):
    """The generated demo city."""

    seed: int = 20261124
    create_users: bool = True
    history_days: int = Field(90, ge=0, le=3650)
    readings_days: int = Field(0, ge=0, le=400)  # past sensor readings and traffic samples


class LoggingSettings(_Section):
    """Structured (JSON lines) logs on stderr."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    """Every non-secret setting of CityOps."""

    city: CitySettings = CitySettings()
    storage: StorageSettings = StorageSettings()
    mqtt: MqttSettings = MqttSettings()
    ingest: IngestSettings = IngestSettings()
    map: MapSettings = MapSettings()
    refresh: RefreshSettings = RefreshSettings()
    calendar: CalendarSettings = CalendarSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    ui: UiSettings = UiSettings()
    server: ServerSettings = ServerSettings()
    security: SecuritySettings = SecuritySettings()
    open311: Open311Settings = Open311Settings()
    photos: PhotoSettings = PhotoSettings()
    cockpit: CockpitSettings = CockpitSettings()
    reports: ReportSettings = ReportSettings()
    themes: ThemeSettings = ThemeSettings()
    emergency: EmergencySettings = EmergencySettings()
    demo: DemoSettings = DemoSettings()
    logging: LoggingSettings = LoggingSettings()


class Secrets(BaseModel):
    """Secrets, read from the environment only."""

    model_config = ConfigDict(frozen=True)

    secret_key: SecretStr | None = None
    mqtt_password: SecretStr | None = None
    simulator_mqtt_password: SecretStr | None = None
    open311_api_keys: SecretStr | None = None  # comma-separated keys of Open311 clients


class Config(BaseModel):
    """Validated settings, secrets and where the settings came from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: Settings
    secrets: Secrets
    source: Path | None
    base_dir: Path

    def resolve(self, path: Path) -> Path:
        """Return ``path`` made absolute against the config file's folder."""
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    @property
    def database_path(self) -> Path:
        return self.resolve(self.settings.storage.path)

    @property
    def photo_dir(self) -> Path:
        return self.resolve(self.settings.photos.dir)

    @property
    def report_dir(self) -> Path:
        return self.resolve(self.settings.reports.dir)


class ConfigError(Exception):
    """Raised with every problem found in the configuration, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def setting_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """List every dotted setting key (``mqtt.port``, ``map.initial_view.zoom`` ...)."""
    keys: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(setting_keys(annotation, f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def env_name(key: str) -> str:
    """Environment variable that overrides a dotted key: ``mqtt.port`` → ``CITYOPS_MQTT__PORT``."""
    return ENV_PREFIX + key.replace(".", "__").upper()


def _env_overrides(environ: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    known = {env_name(k): k for k in setting_keys()}
    tree: dict[str, Any] = {}
    for var, raw in sorted(environ.items()):
        if not var.startswith(ENV_PREFIX) or var in NON_KEY_ENV:
            continue
        key = known.get(var)
        if key is None:
            problems.append(f"{var}: unknown environment setting")
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _secret_keys_in(tree: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            dotted = f"{path}{key}"
            if re.search(r"(password|secret|token|api_keys?)$", str(key), re.I):
                found.append(dotted)
            found.extend(_secret_keys_in(value, dotted + "."))
    return found


def load_config(
    path: Path | str | None = None, *, environ: Mapping[str, str] | None = None
) -> Config:
    """Load and validate the configuration.

    Parameters
    ----------
    path
        The YAML file; ``None`` means ``$CITYOPS_CONFIG`` or ``./config.yaml`` if present,
        else built-in defaults.
    environ
        Environment to read overrides and secrets from (default ``os.environ``).

    Raises
    ------
    ConfigError
        Listing every problem at once: unknown keys, wrong types, missing values.
    """
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    if path is None:
        path = environ.get("CITYOPS_CONFIG") or (
            "config.yaml" if Path("config.yaml").exists() else None
        )
    source = Path(path).resolve() if path is not None else None
    raw: Any = {}
    if source is not None:
        try:
            raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError([f"{source}: file not found"]) from None
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError([f"{source}: not valid YAML: {exc}"]) from None
        if not isinstance(raw, dict):
            raise ConfigError([f"{source}: the top level must be a mapping of sections"])
    for key in _secret_keys_in(raw):
        problems.append(
            f"{key}: secrets are read only from the environment, remove it from the file"
        )
    merged = _merge(raw, _env_overrides(environ, problems))
    settings = None
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            problems.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
    if problems or settings is None:
        raise ConfigError(problems)
    secrets = Secrets(**{k: environ.get(v) or None for k, v in SECRET_ENV.items()})
    base_dir = source.parent if source is not None else Path.cwd()
    return Config(settings=settings, secrets=secrets, source=source, base_dir=base_dir)


def redacted_dump(config: Config) -> dict[str, Any]:
    """The effective settings plus secrets shown only as set / not set."""
    out: dict[str, Any] = config.settings.model_dump(mode="json")
    out["storage"]["resolved_path"] = str(config.database_path)
    out["photos"]["resolved_dir"] = str(config.photo_dir)
    out["secrets"] = {
        SECRET_ENV[name]: ("***" if getattr(config.secrets, name) else None) for name in SECRET_ENV
    }
    out["source"] = str(config.source) if config.source else None
    return out
