"""Demo case arrivals: when, where, from which source and of what category reports come in.

All random draws of the demo history happen here, in one fixed order, so a seed gives the
same reports and the same per-case uniforms (which :mod:`ingest.demo_city.case_paths`
turns into each case's walk through the workflow).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ingest.simulator.reports import (
    CATEGORY_BY_CODE,
    GRID_HOURLY,
    GRID_MIX,
    HOTLINE_HOURLY,
    HOTLINE_MIX,
)
from models.case_builder import NewReport
from models.work_calendar import WorkCalendar

#: Reports per local day at a working-day peak, by source (before the hourly profile).
GRID_PER_DAY = 200.0
HOTLINE_PER_DAY = 150.0
IOT_PER_DAY = 18.0
PUBLIC_PER_DAY = 12.0
IOT_MIX = {"0401": 5, "0101": 4, "0203": 4, "0601": 3, "0604": 1, "0105": 2}
PUBLIC_MIX = {"0202": 4, "0501": 4, "0302": 3, "0105": 3, "0402": 3, "0601": 2, "0502": 2}
#: Cell weights by size class: the urban core reports most.
CLASS_WEIGHT = {"urban": 8.0, "plain": 2.5, "rural": 0.5, "mountain": 0.15}
UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST; only for drawing local hours
P_EXERCISE = 0.01
OPERATORS = tuple(f"op{i:02d}" for i in range(1, 7))
#: Uniform draws per case (columns of :attr:`Arrivals.draws`).
DRAWS_PER_CASE = 25


@dataclass(frozen=True)
class Arrivals:
    """The drawn reports, oldest first, with what each case's later walk needs.

    ``draws`` holds one row of :data:`DRAWS_PER_CASE` uniforms per report; ``workers`` the
    grid worker of each report's cell (who reports and verifies there).
    """

    reports: list[NewReport]
    draws: np.ndarray
    workers: list[str]


def _mix_probs(mix: Mapping[str, float], enabled: set[str]) -> tuple[list[str], np.ndarray]:
    codes = [c for c in mix if c in enabled]
    if not codes:
        codes = sorted(enabled)
        weights = np.ones(len(codes))
    else:
        weights = np.array([float(mix[c]) for c in codes])
    return codes, weights / weights.sum()


def _draw_times(
    rng: np.random.Generator,
    start: datetime,
    days: int,
    per_day: float,
    hourly: tuple[float, ...],
    calendar: WorkCalendar,
    weekend_factor: float,
) -> np.ndarray:
    """Report instants (naive UTC, epoch seconds) over ``days`` local days."""
    profile = np.asarray(hourly, float)
    profile = profile / profile.sum()
    local0 = (start + UTC_OFFSET).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for k in range(days + 1):
        day = local0 + timedelta(days=k)
        factor = 1.0 if calendar.is_working_day(day.date()) else weekend_factor
        n = rng.poisson(per_day * factor)
        hours = rng.choice(24, size=n, p=profile)
        secs = hours * 3600 + rng.integers(0, 3600, size=n)
        base = (day - UTC_OFFSET - datetime(1970, 1, 1)).total_seconds()
        out.append(base + secs)
    return np.concatenate(out) if out else np.empty(0)


def draw_arrivals(
    cells: pd.DataFrame,
    *,
    rng: np.random.Generator,
    start: datetime,
    end: datetime,
    days: int,
    enabled: set[str],
    calendar: WorkCalendar,
) -> Arrivals:
    """Draw the reports of ``[start, end)`` from four sources over the grid's cells.

    Parameters
    ----------
    cells
        The current grid's cells: ``version_id``, ``cell_code``, ``size_class``,
        ``grid_workers``, centroid and bounds (``centroid_lon`` … ``max_lat``), ``community``.
    rng
        The one random generator of the history; drawn from in a fixed order.
    start, end
        The history's span (naive UTC); ``days`` local days are drawn, then cut to it.
    enabled
        Category codes that may be reported.
    calendar
        Working days get the full rate, other days a per-source factor.

    Returns
    -------
    Arrivals
        Reports in time order (ties by source and category), each with its cell.
    """
    sources = [
        ("grid_worker", GRID_PER_DAY, GRID_HOURLY, GRID_MIX, 0.5),
        ("hotline", HOTLINE_PER_DAY, HOTLINE_HOURLY, HOTLINE_MIX, 1.1),
        ("iot", IOT_PER_DAY, (1.0,) * 24, IOT_MIX, 1.0),
        ("open311", PUBLIC_PER_DAY, HOTLINE_HOURLY, PUBLIC_MIX, 1.2),
    ]
    parts = []
    for name, per_day, hourly, mix, weekend in sources:
        ts = _draw_times(rng, start, days, per_day, hourly, calendar, weekend)
        codes, probs = _mix_probs(mix, enabled)
        cat = np.asarray(codes, dtype=object)[rng.choice(len(codes), size=len(ts), p=probs)]
        parts.append(pd.DataFrame({"ts": ts, "source": name, "category_code": cat}))
    frame = pd.concat(parts, ignore_index=True)
    t0 = (start - datetime(1970, 1, 1)).total_seconds()
    t1 = (end - datetime(1970, 1, 1)).total_seconds()
    frame = frame[(frame["ts"] >= t0) & (frame["ts"] < t1)]
    frame = frame.sort_values(["ts", "source", "category_code"], kind="stable")
    frame = frame.reset_index(drop=True)
    n = len(frame)

    weights = cells["size_class"].map(CLASS_WEIGHT).fillna(0.5).to_numpy(float)
    idx = rng.choice(len(cells), size=n, p=weights / weights.sum())
    c = cells.iloc[idx].reset_index(drop=True)
    jitter = rng.uniform(-0.25, 0.25, size=(n, 2))
    lon = c["centroid_lon"].to_numpy() + jitter[:, 0] * (c["max_lon"] - c["min_lon"]).to_numpy()
    lat = c["centroid_lat"].to_numpy() + jitter[:, 1] * (c["max_lat"] - c["min_lat"]).to_numpy()
    versions = c["version_id"].astype(int).tolist()
    cell_codes = c["cell_code"].tolist()

    u = rng.random((n, DRAWS_PER_CASE))  # every per-case draw comes from this block
    reported = pd.to_datetime(frame["ts"], unit="s").dt.floor("s").dt.to_pydatetime()
    src = frame["source"].tolist()
    catl = frame["category_code"].tolist()
    workers_col = c["grid_workers"].tolist()
    community = c["community"].fillna("辖区内").tolist()

    reports: list[NewReport] = []
    cell_workers: list[str] = []
    for i in range(n):
        r = u[i]
        workers = list(workers_col[i]) if workers_col[i] is not None else []
        worker = workers[int(r[0] * len(workers))] if workers else f"GW{cell_codes[i][:12]}-01"
        cell_workers.append(worker)
        cat_info = CATEGORY_BY_CODE.get(catl[i])
        text = ""
        if cat_info is not None:
            text = cat_info.texts[int(r[2] * len(cat_info.texts))].format(name=community[i])
        s = src[i]
        if s == "grid_worker":
            reporter, role, text = worker, "grid_worker", "巡查发现：" + text
        elif s == "hotline":
            reporter, role = OPERATORS[int(r[2] * len(OPERATORS))], "operator"
            text = "市民来电反映：" + text
        elif s == "iot":
            reporter, role, text = "iot-gateway", "operator", "物联感知告警：" + text
        else:
            reporter, role = OPERATORS[int(r[2] * len(OPERATORS))], "operator"
        reports.append(
            NewReport(
                category_code=catl[i],
                lon=float(lon[i]),
                lat=float(lat[i]),
                at=reported[i],
                source=s,
                actor=reporter,
                role=role,
                text=text,
                reporter=reporter,
                external_id=f"hist:{i + 1}",
                exercise=bool(r[24] < P_EXERCISE),
                cell_code=cell_codes[i],
                grid_version=versions[i],
            )
        )
    return Arrivals(reports=reports, draws=u, workers=cell_workers)
