"""12345 hotline work orders (CSV/XLSX, English or Chinese headers) as reported cases.

Each order is located by its coordinates, or by its community's name (a point inside that
community's polygon); it becomes a case through the one case builder (``models.case_builder``:
id ``C<local date>-<number>``, external id ``hotline:<order_no>``, routed, duplicates offered;
an unknown category is kept and flagged). Cases imported before keep their ``HL-`` ids.
Times without a zone are Beijing time (Asia/Shanghai), as hotline exports are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import shapely

from ingest.files.fields import id_problem, parse_float
from ingest.files.report import BadRow, FileFailure, Plan, Written, never_written
from ingest.files.source import Context, Source
from ingest.files.tabular import Sheet, rename_columns
from ingest.files.times import LOCAL_TZ, parse_time
from ingest.locate import store_locator
from models.case_builder import CaseBatch, NewReport, prepare_cases, write_cases
from models.case_feedback import Rating, parse_satisfaction, record_ratings
from models.store import WriteTx

ALIASES = {
    **dict.fromkeys(("order_no", "order_id", "工单编号", "工单号", "受理编号"), "order_no"),
    **dict.fromkeys(("received_at", "受理时间", "来电时间", "登记时间"), "received_at"),
    **dict.fromkeys(("category", "category_code", "问题分类", "分类编码", "问题类别"), "category"),
    **dict.fromkeys(("description", "问题描述", "诉求内容", "工单内容"), "description"),
    **dict.fromkeys(("lon", "lng", "longitude", "经度"), "lon"),
    **dict.fromkeys(("lat", "latitude", "纬度"), "lat"),
    **dict.fromkeys(("community", "所属社区", "社区", "社区名称"), "community"),
    **dict.fromkeys(("address", "地址", "事发地址", "详细地址"), "address"),
    **dict.fromkeys(("caller", "reporter", "来电人", "反映人"), "caller"),
    # 12345 回访 (follow-up): the caller's rating, in the same export or a later one
    **dict.fromkeys(
        ("satisfaction", "满意度", "回访结果", "满意度评价", "回访满意度"), "satisfaction"
    ),
    **dict.fromkeys(("rated_at", "回访时间"), "rated_at"),
}
REQUIRED = ("order_no", "received_at", "category")
HINT = (
    "A hotline export has 工单编号/order_no, 受理时间/received_at, 问题分类/category and either "
    "经度/lon + 纬度/lat or 所属社区/community (optional: 问题描述, 地址, 来电人, 回访结果 "
    "with 满意/基本满意/不满意, 回访时间)."
)
ACTOR = "hotline-import"
_CATEGORY = re.compile(r"^\d{4,6}$")
_SUFFIXES = ("社区居民委员会", "居民委员会", "村民委员会", "居委会", "村委会")


def _short(name: str) -> str:
    name = re.sub(r"\s+", "", name)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + ("社区" if suffix == "社区居民委员会" else "")
    return name


class _Communities:
    """Community polygons by code and by (short) name, from admin_areas."""

    def __init__(self, rows: list[tuple]):
        self.by_code: dict[str, shapely.Geometry] = {}
        self.by_name: dict[str, list[str]] = {}
        for code, name, wkb in rows:
            self.by_code[code] = shapely.from_wkb(bytes(wkb)) if wkb is not None else None
            for key in {name, _short(name)}:
                self.by_name.setdefault(key, []).append(code)

    def find(self, text: str) -> str | tuple[str, str]:
        """The community code for ``text`` (name or 12-digit code), or (reason, "")."""
        if re.fullmatch(r"\d{12}", text):
            return text if text in self.by_code else (f"unknown community code {text}", "")
        codes = sorted(set(self.by_name.get(text, []) + self.by_name.get(_short(text), [])))
        if not codes:
            return (f"unknown community {text[:40]!r} (not in admin_areas)", "")
        if len(codes) > 1:
            return (
                f"community name {text[:40]!r} is ambiguous ({', '.join(codes[:5])}); "
                "give coordinates or the 12-digit community code",
                "",
            )
        if self.by_code.get(codes[0]) is None:
            return (f"community {text[:40]!r} has no polygon to place the order in", "")
        return codes[0]


def _parse_row(values: dict, ctx: Context, communities: _Communities) -> dict | tuple[str, str]:
    order_no = values["order_no"]
    problem = id_problem(order_no, "order number")
    if problem:
        return problem, "order_no"
    received = (
        None
        if values["received_at"] is None
        else parse_time(values["received_at"], local_tz=ctx.local_tz or LOCAL_TZ)
    )
    if not isinstance(received, datetime):
        return received or "missing received_at", "received_at"
    problem = ctx.window.problem(received, now=ctx.now)  # from the future, or too old
    if problem is not None:
        return problem, "received_at"
    category = values["category"]
    if category is None or not _CATEGORY.match(category):
        return f"category {category!r} is not a 4-6 digit category code", "category"
    description = values.get("description")
    if description is not None and len(description) > 4000:
        return "description longer than 4000 characters", "description"
    try:
        grade = parse_satisfaction(values.get("satisfaction"))
    except ValueError as exc:
        return str(exc), "satisfaction"
    rated_at = None
    if values.get("rated_at") is not None:
        rated_at = parse_time(values["rated_at"], local_tz=ctx.local_tz or LOCAL_TZ)
        if not isinstance(rated_at, datetime):
            return rated_at or "bad rated_at", "rated_at"
        if (problem := ctx.window.problem(rated_at, now=ctx.now)) is not None:
            return problem, "rated_at"
    row = {
        "satisfaction": grade,
        "rated_at": rated_at,
        "order_no": order_no,
        "reported_at": received,
        "category_code": category,
        "description": description,
        "address": values.get("address"),
        "reporter": values.get("caller"),
        "community": None,
    }
    lon_text, lat_text = values.get("lon"), values.get("lat")
    if lon_text is not None or lat_text is not None:
        for column, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
            parsed = parse_float(values.get(column), lo=lo, hi=hi)
            if isinstance(parsed, str):
                return f"{column}: {parsed}", column
            row[column] = parsed
        return row
    if values.get("community") is None:
        return "no coordinates and no community to locate the order", "community"
    found = communities.find(values["community"])
    if isinstance(found, tuple):
        return found[0], "community"
    point = shapely.point_on_surface(communities.by_code[found])
    row.update(lon=float(point.x), lat=float(point.y), community=found)
    return row


def prepare_hotline(sheet: Sheet, source: Source, ctx: Context) -> Plan | FileFailure:
    """Check every order; the plan inserts new cases (orders already imported are skipped)."""
    renamed = rename_columns(sheet, ALIASES)
    if isinstance(renamed, FileFailure):
        return renamed
    cols = renamed.columns
    missing = [c for c in REQUIRED if c not in cols]
    if not (("lon" in cols and "lat" in cols) or "community" in cols):
        missing.append("lon + lat or community")
    if missing:
        return FileFailure(
            f"missing column(s) {', '.join(missing)}; found: {', '.join(cols)}. {HINT}"
        )
    communities = _Communities(
        ctx.store.query_rows(
            "SELECT code, name_zh, geom_wkb FROM admin_areas WHERE level = 'community'"
        )
    )
    bad = list(renamed.bad)
    rows: list[dict] = []
    first_at: dict[str, int] = {}
    records = renamed.table.to_pylist()
    for line, values in zip(renamed.lines.tolist(), records):
        for key in (
            "lon",
            "lat",
            "community",
            "description",
            "address",
            "caller",
            "satisfaction",
            "rated_at",
        ):
            values.setdefault(key, None)
        parsed = _parse_row(values, ctx, communities)
        if isinstance(parsed, tuple):
            bad.append(BadRow(line, parsed[0], column=parsed[1], value=values.get(parsed[1])))
            continue
        if parsed["order_no"] in first_at:
            reason = f"duplicate order number (first at {sheet.line_unit} "
            reason += f"{first_at[parsed['order_no']]})"
            bad.append(BadRow(line, reason, column="order_no", value=parsed["order_no"]))
            continue
        first_at[parsed["order_no"]] = line
        parsed["line"] = line
        rows.append(parsed)
    reports = [
        NewReport(
            category_code=r["category_code"],
            lon=r["lon"],
            lat=r["lat"],
            at=r["reported_at"],
            source="hotline",
            actor=ACTOR,
            role="operator",
            text=r["description"],
            reporter=r["reporter"],
            external_id=f"hotline:{r['order_no']}",
            address=r["address"],
            note=f"imported from {source.name} {sheet.line_unit} {r['line']}",
            area_code=r["community"],
        )
        for r in rows
    ]
    # an order of an unknown or disabled category is kept, routed to the city centre and
    # flagged for re-categorising, like any report from another system
    batch = prepare_cases(
        ctx.store,
        reports,
        locate=store_locator(ctx.store, metric_crs=ctx.metric_crs),
        unknown_category="flag",
        tz=ctx.local_tz or LOCAL_TZ,
    )
    for refusal in batch.refused:  # parsing checks coordinates; the builder is the backstop
        row = rows[refusal.index]
        bad.append(BadRow(row["line"], refusal.reason, column="lon", value=str(row["lon"])))
    for row, report in zip([rows[i] for i in batch.index], batch.reports, strict=True):
        if report.cell_code is None and row["community"] is None:
            bad.append(
                BadRow(
                    row["line"],
                    f"location {row['lon']:.6f}, {row['lat']:.6f} is outside the current grid",
                    column="lon",
                    value=str(row["lon"]),
                )
            )
    bad.sort(key=lambda b: b.line)
    if bad:
        return Plan("hotline", len(records), never_written, bad_rows=bad, line_unit=sheet.line_unit)
    ratings = [
        Rating(f"hotline:{r['order_no']}", r["satisfaction"], r["rated_at"] or ctx.now, ACTOR)
        for r in rows
        if r["satisfaction"] is not None
    ]
    return Plan("hotline", len(records), _writer(batch, ratings), line_unit=sheet.line_unit)


def _writer(batch: CaseBatch, ratings: list[Rating]) -> Callable[[WriteTx], Written]:
    def write(tx: WriteTx) -> Written:
        written = write_cases(tx, batch)
        rated = record_ratings(tx, ratings)  # an order already imported gets its 回访 rating
        return Written(
            written.created, duplicates=len(batch) - written.created, details={"rated": rated}
        )

    return write
