"""Background services of a server or worker process: MQTT ingest, the embedded demo
broker when none answers, and the watched drop folder (the composition root starts them)."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from ingest.locate import store_locator
from ingest.mqtt.consumer import MqttIngest
from ingest.mqtt.embedded import EmbeddedBroker, broker_reachable, start_embedded_broker
from ingest.time_window import TimeWindow
from models.clock import utcnow
from models.config import Config, IngestSettings
from models.store import Store

log = logging.getLogger(__name__)


@dataclass
class Background:
    ingest: MqttIngest | None = None
    broker: EmbeddedBroker | None = None
    watcher: threading.Thread | None = None
    simulator: subprocess.Popen | None = None
    rules: threading.Thread | None = None
    supervisor: threading.Thread | None = None
    reports: threading.Thread | None = None
    outbox: threading.Thread | None = None
    command: threading.Thread | None = None
    backups: threading.Thread | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    def health(self) -> dict[str, Any]:
        """The real state of the background services: ``status`` ok or degraded, and why.

        ``mqtt`` holds the ingest counters, ``worker_alive``, ``restarts``, ``queue_depth``
        (received, not yet committed), ``last_commit_at`` and its age, ``last_lag_s``.
        """
        problems: list[str] = []
        out: dict[str, Any] = {"mqtt": None, "embedded_broker": self.broker is not None}
        if self.ingest is not None:
            snap = self.ingest.health()
            problems += snap.pop("problems")
            last = snap.get("last_commit_at")
            snap["last_commit_at"] = last.isoformat() if last else None
            out["mqtt"] = snap
        out["drop_folder"] = self.watcher is not None and self.watcher.is_alive()
        stopping = self.stop_event.is_set()
        for name, thread in (
            ("drop folder watcher", self.watcher),
            ("sensor rules", self.rules),
            ("report schedule", self.reports),
            ("outbox sender", self.outbox),
            ("emergency command", self.command),
            ("backup schedule", self.backups),
        ):
            if thread is not None and not thread.is_alive() and not stopping:
                problems.append(f"the {name} thread is not running")
        out["problems"] = problems
        out["status"] = "degraded" if problems else "ok"
        return out

    def stop(self) -> None:
        self.stop_event.set()
        if self.simulator is not None and self.simulator.poll() is None:
            self.simulator.terminate()
            try:
                self.simulator.wait(10)
            except subprocess.TimeoutExpired:
                self.simulator.kill()
        if self.ingest is not None:
            self.ingest.stop()
        if self.watcher is not None:
            self.watcher.join(10)
        if self.rules is not None:
            self.rules.join(10)
        if self.supervisor is not None:
            self.supervisor.join(10)
        for thread in (self.outbox, self.command):
            if thread is not None:
                thread.join(10)
        if self.reports is not None:
            self.reports.join(30)  # a report being made finishes first
        if self.backups is not None:
            self.backups.join(60)  # a backup being made finishes first
        if self.broker is not None:
            self.broker.stop()


def start_background(
    config: Config,
    store: Store,
    *,
    allow_embedded: bool = False,
    simulate: bool = False,
    scenario: str | None = None,
) -> Background:
    """Start what the config asks for; nothing here blocks on an absent broker.

    ``simulate`` also runs `cityops simulate` as a child process publishing a live day to
    the same broker (the demo's moving picture), with the drill ``scenario`` if given.
    """
    settings = config.settings
    bg = Background()
    mqtt = settings.mqtt
    protocol = mqtt.protocol
    if settings.ingest.mqtt_enabled:
        if (
            allow_embedded
            and mqtt.embedded_fallback
            and not broker_reachable(mqtt.host, mqtt.port)
            and mqtt.host in ("127.0.0.1", "localhost")
        ):
            bg.broker = start_embedded_broker(mqtt.host, mqtt.port, users=_broker_users(config))
            protocol = 4  # amqtt speaks MQTT 3.1.1
        password = config.secrets.mqtt_password
        bg.ingest = MqttIngest(
            store,
            locate=store_locator(store, metric_crs=settings.map.metric_crs),
            host=mqtt.host,
            port=mqtt.port,
            client_id=mqtt.client_id,
            topic_prefix=mqtt.topic_prefix,
            username=mqtt.username,
            password=password.get_secret_value() if password else None,
            shared_group=mqtt.shared_group,
            protocol=protocol,
            qos=mqtt.qos,
            keepalive_s=mqtt.keepalive_s,
            batch_rows=settings.ingest.batch_max_rows,
            batch_ms=settings.ingest.batch_max_ms,
            receive_maximum=settings.ingest.receive_maximum,
            window=TimeWindow.from_settings(settings.ingest),
            case_timezone=settings.calendar.timezone,
            arrival_radius_m=settings.emergency.arrival_radius_m,
        )
        bg.ingest.start()
        log.info(
            "mqtt ingest started",
            extra={
                "broker": f"{mqtt.host}:{mqtt.port}",
                "prefix": mqtt.topic_prefix,
                "shared_group": mqtt.shared_group,
                "protocol": protocol,
            },
        )
    if bg.ingest is not None:
        from ingest.mqtt.outbound import run_outbox

        # orders and warnings go out on the ingest's own connection, after their commit
        bg.outbox = threading.Thread(
            target=run_outbox,
            args=(store, bg.ingest.publish, bg.stop_event),
            name="outbox-sender",
            daemon=True,
        )
        bg.outbox.start()
    bg.command = threading.Thread(
        target=_run_command,
        args=(config, store, bg.stop_event),
        name="emergency-command",
        daemon=True,
    )
    bg.command.start()
    if settings.ingest.mqtt_enabled:
        bg.rules = threading.Thread(
            target=_run_rules,
            args=(store, settings.ingest, bg.stop_event, settings.calendar),
            name="sensor-rules",
            daemon=True,
        )
        bg.rules.start()
    bg.supervisor = threading.Thread(
        target=_run_supervision,
        args=(config, store, bg.stop_event),
        name="supervision",
        daemon=True,
    )
    bg.supervisor.start()
    if settings.reports.enabled:
        from app.reports.schedule import run_schedule

        # daily and monthly reports at their time; failures logged, the thread lives on
        bg.reports = threading.Thread(
            target=run_schedule,
            args=(config, store, bg.stop_event),
            name="report-schedule",
            daemon=True,
        )
        bg.reports.start()
    if settings.storage.backup_at:
        from app.backup_schedule import run_schedule as run_backups

        # the daily backup at storage.backup_at; failures logged and audited, never fatal
        bg.backups = threading.Thread(
            target=run_backups,
            args=(config, store, bg.stop_event),
            name="backup-schedule",
            daemon=True,
        )
        bg.backups.start()
    if simulate:
        command = [sys.executable, "-m", "app.cli"]
        if config.source is not None:
            command += ["--config", str(config.source)]
        command += ["simulate", "--protocol", str(protocol), "--log-every", "60"]
        if scenario:  # a drill the emergency screens respond to (the crews answer orders)
            command += ["--scenario", scenario]
        bg.simulator = subprocess.Popen(command, preexec_fn=_die_with_parent)
        log.info("simulator started", extra={"pid": bg.simulator.pid, "protocol": protocol})
    folder = settings.ingest.drop_folder
    if folder is not None:
        from ingest.files import watch_folder

        path = config.resolve(folder)
        path.mkdir(parents=True, exist_ok=True)
        bg.watcher = threading.Thread(
            target=watch_folder,
            args=(store, path),
            kwargs={
                "poll_s": settings.ingest.poll_s,
                "stop": bg.stop_event,
                "now": utcnow,
                "metric_crs": settings.map.metric_crs,
                "max_bytes": settings.ingest.max_file_mb * 2**20,
                "window": TimeWindow.from_settings(settings.ingest),
            },
            name="drop-folder",
            daemon=True,
        )
        bg.watcher.start()
        log.info("drop folder watched", extra={"folder": str(path)})
    return bg


def _broker_users(config: Config) -> dict[str, str] | None:
    """The ingest and simulator logins the embedded broker admits (None: no credentials set,
    the broker stays open on loopback)."""
    mqtt, secrets = config.settings.mqtt, config.secrets
    users = {}
    for user, password in (
        (mqtt.username, secrets.mqtt_password),
        (mqtt.simulator_username, secrets.simulator_mqtt_password),
    ):
        if user and password:
            users[user] = password.get_secret_value()
    return users or None


def _die_with_parent() -> None:
    """In the child: have Linux send SIGTERM when the server process ends, however it ends."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _run_rules(
    store: Store, ingest: IngestSettings, stop: threading.Event, calendar_settings: object
) -> None:
    """Sensor rules behind ingest: a pass every ``ingest.rules_interval_s``; a failed pass is
    logged and retried at the next tick (its observations are read again: the cursor did
    not move). Timestamps beyond ``ingest.max_clock_skew_s`` are not believed. The rules are
    those in force (models.rules_doc): a version saved on /admin applies from the next pass,
    the open alarms' states kept."""
    from ingest.alarms import AlarmEngine, follow_saved_rules
    from models.calendar_in_force import calendar_in_force

    engine = AlarmEngine(
        store,
        [],
        calendar=calendar_in_force(store, calendar_settings),
        max_clock_skew_s=ingest.max_clock_skew_s,
    )
    while not stop.wait(ingest.rules_interval_s):
        try:
            engine.calendar = calendar_in_force(store, calendar_settings)  # the admin's, now
            follow_saved_rules(engine)  # the rules saved on /admin, now
            result = engine.run_pass(utcnow())
        except Exception:
            log.exception("sensor rules pass failed")
            continue
        if result.raised or result.cleared:
            log.info(
                "sensor rules", extra={"raised": len(result.raised), "cleared": len(result.cleared)}
            )


def _run_supervision(config: Config, store: Store, stop: threading.Event) -> None:
    """Escalate overdue cases every ``supervision.interval_s`` (督办)."""
    from datetime import timedelta

    from models.calendar_in_force import calendar_in_force
    from models.supervision import supervise

    settings = config.settings.supervision
    calendar = calendar_in_force(store, config.settings.calendar)
    tiers = [(t.name, timedelta(hours=t.after_hours)) for t in settings.tiers]
    calendar.unpublished_years(utcnow())  # logs, at start, a year whose 调休 days are unknown
    while not stop.wait(settings.interval_s):
        try:
            calendar = calendar_in_force(store, config.settings.calendar)  # the admin's, now
            raised = supervise(store, now=utcnow(), calendar=calendar, tiers=tiers)
        except Exception:
            log.exception("supervision pass failed")
            continue
        if raised:
            log.info("escalations raised", extra={"count": raised})


def _run_command(
    config: Config, store: Store, stop: threading.Event, *, interval_s: float = 5.0
) -> None:
    """Emergency command's clock: dispatch orders not acknowledged in time are re-sent once,
    then flagged red (``emergency.ack_timeout_s``); a failed pass is logged and retried."""
    from models.emergency.orders import sweep_unacknowledged

    ack_timeout_s = config.settings.emergency.ack_timeout_s
    prefix = config.settings.mqtt.topic_prefix
    while not stop.wait(interval_s):
        try:
            done = store.write(
                lambda tx: sweep_unacknowledged(
                    tx, now=utcnow(), ack_timeout_s=ack_timeout_s, prefix=prefix
                )
            )
        except Exception:
            log.exception("emergency command pass failed")
            continue
        if done["resent"] or done["unacked"]:
            log.info("dispatch orders", extra=done)
