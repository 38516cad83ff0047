"""The `cityops simulate` sub-command: options, validation, and wiring world → stream → sink."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import TextIO

from models.config import Config

log = logging.getLogger("cityops.simulate")

EXIT_USAGE = 2
EXIT_BROKER = 4
#: The drills of ``ingest.simulator.scenarios`` (kept here so building the parser stays light).
SCENARIO_CHOICES = ("typhoon", "chemical_leak", "forest_fire")


def _rate(text: str) -> float | str:
    if text.strip().lower() == "max":
        return "max"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or 'max'") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("rate must be above 0")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _port(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()) or not 1 <= int(text) <= 65_535:
        raise argparse.ArgumentTypeError(f"invalid port {text[:40]!r}: a whole number 1-65535")
    return int(text)


def add_simulate_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` sub-command and its options to ``cityops``'s sub-parsers."""
    p = subparsers.add_parser(
        "simulate",
        help="publish a live day of the demo city over MQTT",
        description="Publish simulated sensors, traffic, reports and unit positions of the "
        "demo city to the MQTT broker of the config (the world comes from demo.seed).",
    )
    p.add_argument(
        "--rate",
        type=_rate,
        metavar="N|max",
        help="messages per second, or 'max' (as fast as acks allow)",
    )
    p.add_argument(
        "--speed",
        type=_positive,
        metavar="X",
        help="simulated seconds per real second (default 1; 3600 = an hour a second)",
    )
    p.add_argument(
        "--start",
        metavar="ISO",
        help="simulated start, e.g. 2026-11-24T07:00 (Asia/Shanghai if no offset; default now)",
    )
    p.add_argument("--duration", type=_positive, metavar="S", help="stop after S real seconds")
    p.add_argument("--count", type=_count, metavar="N", help="stop after N messages")
    p.add_argument("--qos", type=int, choices=(0, 1), default=1, help="MQTT QoS (default 1)")
    p.add_argument(
        "--protocol",
        type=int,
        choices=(4, 5),
        help="MQTT protocol: 5 (v5) or 4 (3.1.1); default mqtt.protocol",
    )
    p.add_argument(
        "--seed",
        type=int,
        help="seed of the signals and reports (default demo.seed); the world "
        "always comes from demo.seed",
    )
    p.add_argument(
        "--scenario", choices=SCENARIO_CHOICES, help="run a drill (reports flagged exercise)"
    )
    p.add_argument(
        "--scenario-start",
        metavar="ISO",
        help="when the drill begins (default 10 simulated minutes after --start)",
    )
    p.add_argument(
        "--traffic",
        choices=("all", "detectors"),
        default="all",
        help="samples for every road segment or only detector segments",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print 'topic payload' lines to stdout instead of publishing",
    )
    p.add_argument("--host", help="broker host (default mqtt.host)")
    p.add_argument("--port", type=_port, help="broker port (default mqtt.port)")
    p.add_argument("--client-id", help="MQTT client id (default cityops-sim-<pid>)")
    p.add_argument(
        "--connect-timeout",
        type=_positive,
        default=30.0,
        metavar="S",
        help="keep retrying the broker this long at start (default 30)",
    )
    p.add_argument(
        "--window",
        type=_count,
        default=10_000,
        help="most unacknowledged QoS 1 messages (default 10000)",
    )
    p.add_argument(
        "--log-every",
        type=_positive,
        default=5.0,
        metavar="S",
        help="seconds between progress log lines (default 5)",
    )


def run_simulate(args: argparse.Namespace, config: Config, *, out: TextIO | None = None) -> int:
    """Run ``cityops simulate`` with parsed ``args``; return the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        From the parser of :func:`add_simulate_parser`.
    config : Config
        Broker, topic prefix and demo seed come from here.
    out : TextIO, optional
        Where ``--dry-run`` writes (default stdout).
    """
    from ingest.mqtt.publisher import Publisher, PublisherError
    from ingest.simulator.clock import iso_local, parse_start
    from ingest.simulator.responder import Responder
    from ingest.simulator.runner import DryRunSink, Pacing, PublisherSink, Sink, run_stream
    from ingest.simulator.scenarios import make_scenario
    from ingest.simulator.stream import simulate_messages
    from ingest.simulator.world import build_world

    try:
        start = parse_start(args.start) if args.start else int(time.time())
        drill_start = parse_start(args.scenario_start) if args.scenario_start else start + 600
    except ValueError as exc:
        print(f"cityops simulate: --start/--scenario-start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.rate == "max":  # as fast as the broker acknowledges
        pacing = Pacing(speed=None, rate=None)
    elif args.rate is None:  # the simulated clock paces
        pacing = Pacing(speed=args.speed or 1.0, rate=None)
    else:  # --rate N: steady N/s, capped by the simulated clock only if --speed is given
        pacing = Pacing(speed=args.speed, rate=args.rate)
    demo_seed = config.settings.demo.seed
    seed = demo_seed if args.seed is None else args.seed
    mqtt = config.settings.mqtt

    sink: Sink
    if args.dry_run:
        sink = DryRunSink(out or sys.stdout)
    else:
        # the simulator logs in as its own broker user when one is configured (the broker's
        # ACL lets it publish the inbound topics only); else as mqtt.username
        username, password = mqtt.username, config.secrets.mqtt_password
        if mqtt.simulator_username:
            username = mqtt.simulator_username
            password = config.secrets.simulator_mqtt_password
        try:
            publisher = Publisher(
                args.host or mqtt.host,
                args.port or mqtt.port,
                client_id=args.client_id or f"cityops-sim-{os.getpid()}",
                username=username,
                password=password.get_secret_value() if password else None,
                qos=args.qos,
                max_inflight_window=args.window,
                keepalive_s=mqtt.keepalive_s,
                connect_timeout_s=args.connect_timeout,
                protocol=args.protocol or mqtt.protocol,
            )
        except (PublisherError, ValueError) as exc:
            print(f"cityops simulate: {exc}", file=sys.stderr)
            return EXIT_BROKER
        sink = PublisherSink(publisher)
    try:
        began = time.perf_counter()
        world = build_world(seed=demo_seed)
        scenario = make_scenario(args.scenario, drill_start, world) if args.scenario else None
        if scenario is not None and scenario.end <= start:
            log.warning(
                "the drill ends before the simulated start: nothing of it will play",
                extra={"scenario_end": iso_local(scenario.end), "sim_start": iso_local(start)},
            )
        log.info(
            "simulate starting",
            extra={
                "world_s": round(time.perf_counter() - began, 2),
                "sensors": len(world.sensors),
                "segments": len(world.segments),
                "units": len(world.units),
                "sim_start": iso_local(start),
                "speed": pacing.speed,
                "rate": pacing.rate,
                "scenario": args.scenario,
                "scenario_start": iso_local(drill_start) if scenario else None,
                "dry_run": args.dry_run,
            },
        )
        responder = Responder(list(world.units))
        if isinstance(sink, PublisherSink):  # the crews read their orders on the same login
            sink.publisher.subscribe(f"{mqtt.topic_prefix}/dispatch/+", responder.receive)
        messages = simulate_messages(
            world,
            start=start,
            seed=seed,
            scenario=scenario,
            prefix=mqtt.topic_prefix,
            traffic=args.traffic,
            responder=responder,
        )
        stats = run_stream(
            messages,
            sink,
            pacing=pacing,
            duration_s=args.duration,
            count=args.count,
            sim_start=start,
            log_every_s=args.log_every,
        )
    except KeyboardInterrupt:
        sink.flush(10.0)
        return 0
    except PublisherError as exc:
        print(f"cityops simulate: {exc}", file=sys.stderr)
        return EXIT_BROKER
    finally:
        sink.close()
    return 0 if stats.flushed else EXIT_BROKER
