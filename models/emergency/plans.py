"""Emergency plans (预案) as data: the shipped plans, a city's own, validation, look-up.

A plan covers one or more incident types. Under each level (IV, III, II, I) it lists the
actions that level *adds*: a response at level II runs the actions of IV, III and II (run
cards), so an escalation adds only what a lower level had not. Each action has a phase
(响应启动, 会商研判, ...), a text in Chinese and English, an owner and a due offset in
minutes from the activation; ``requires`` names a resource ``kind:subtype`` the step needs
(``team:flood_control``), for the nearest-unit ranking.

An owner is a department code of the departments table, a member agency of the command
declared in the plans file (``agencies``: the weather bureau, the police ... that handle no
cases), or ``role:<role>`` (``role:emergency``, the duty officer; ``role:leader``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from models.security import ROLES
from models.store import Store
from models.vocabulary import INCIDENT_LEVELS, INCIDENT_TYPES, RESOURCE_KINDS

#: Phases of a response, in the order municipal plans describe them (zh, en).
PHASES: dict[str, tuple[str, str]] = {
    "start": ("响应启动", "Response start"),
    "consult": ("会商研判", "Consultation and assessment"),
    "monitor": ("监测预警", "Monitoring and warning"),
    "command": ("指挥协调", "Command and coordination"),
    "evacuate": ("转移安置", "Evacuation and shelter"),
    "traffic": ("交通管制", "Traffic control"),
    "rescue": ("抢险救援", "Rescue and repair"),
    "medical": ("医疗救护", "Medical care"),
    "environment": ("环境监测", "Environmental monitoring"),
    "security": ("治安维护", "Public order"),
    "supply": ("物资保障", "Supplies and utilities"),
    "inform": ("信息发布", "Public information"),
    "report": ("信息报送", "Reporting upward"),
    "aftermath": ("善后处置", "Recovery"),
    "end": ("响应终止", "Response end"),
}
#: Longest due offset (minutes): a week.
MAX_OFFSET_MIN = 7 * 24 * 60
MAX_TEXT = 300
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{0,31}$")
_REQUIRES = re.compile(r"^([a-z_]+):([a-z][a-z0-9_]{0,39})$")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ACTION_FIELDS = {"phase", "zh", "en", "owner", "due_min", "requires"}
_PLAN_FIELDS = {"id", "types", "name", "levels"}


@dataclass(frozen=True)
class PlanAction:
    """One step of a plan at one level."""

    phase: str
    zh: str
    en: str
    owner: str
    due_min: int
    requires: str | None = None


@dataclass(frozen=True)
class Plan:
    """One plan: its types, names and the actions each level adds."""

    id: str
    types: tuple[str, ...]
    name_zh: str
    name_en: str
    levels: Mapping[str, tuple[PlanAction, ...]]

    def steps_up_to(self, level: str) -> list[tuple[str, int, PlanAction]]:
        """(level, step number from 1, action) of a response at ``level``: the actions of
        the less severe levels first (IV, then III, ...), each level's in its order."""
        order = list(reversed(INCIDENT_LEVELS))
        wanted = order[: order.index(level) + 1]
        return [
            (lv, n, action) for lv in wanted for n, action in enumerate(self.levels.get(lv, ()), 1)
        ]

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class PlanBook:
    """Every plan by id, the plan of each incident type, and the owners' names."""

    plans: Mapping[str, Plan]
    by_type: Mapping[str, Plan]
    owners: Mapping[str, tuple[str, str]]

    def for_type(self, incident_type: str) -> Plan | None:
        return self.by_type.get(incident_type)

    def owner_name(self, owner: str | None, lang: str = "zh") -> str:
        """The owner's name in ``lang`` (its code when unknown)."""
        if owner is None:
            return ""
        zh, en = self.owners.get(owner, (owner, owner))
        return en if lang == "en" and en else zh


def _text(value: Any, what: str, *, han: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is missing")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{what} is longer than {MAX_TEXT} characters")
    if han and not _HAN.search(value):
        raise ValueError(f"{what} must be Chinese")
    return value.strip()


def parse_action(item: Any, *, where: str, owners: Mapping[str, Any]) -> PlanAction:
    """One action from its YAML mapping; ValueError naming ``where`` and the problem."""
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: an action must be a mapping")
    if extra := sorted(set(map(str, item)) - _ACTION_FIELDS):
        raise ValueError(f"{where}: unknown fields {extra}")
    phase = item.get("phase")
    if phase not in PHASES:
        raise ValueError(f"{where}: phase {phase!r} is not one of {', '.join(PHASES)}")
    owner = item.get("owner")
    if not isinstance(owner, str) or owner not in owners:
        raise ValueError(
            f"{where}: owner {owner!r} is not a known department, agency or role:<role>"
        )
    due = item.get("due_min")
    if isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= MAX_OFFSET_MIN:
        raise ValueError(f"{where}: due_min must be whole minutes from 0 to {MAX_OFFSET_MIN}")
    requires = item.get("requires")
    if requires is not None:
        match = _REQUIRES.match(requires) if isinstance(requires, str) else None
        if match is None or match.group(1) not in RESOURCE_KINDS:
            raise ValueError(
                f"{where}: requires {requires!r} is not kind:subtype with kind one of "
                f"{', '.join(RESOURCE_KINDS)}"
            )
    return PlanAction(
        phase=phase,
        zh=_text(item.get("zh"), f"{where}: zh", han=True),
        en=_text(item.get("en"), f"{where}: en"),
        owner=owner,
        due_min=due,
        requires=requires,
    )


def parse_plan(item: Any, *, owners: Mapping[str, Any]) -> Plan:
    """One plan from its YAML mapping, every level present with at least one action."""
    if not isinstance(item, Mapping):
        raise ValueError("a plan must be a mapping")
    plan_id = item.get("id")
    if not isinstance(plan_id, str) or not _ID.match(plan_id):
        raise ValueError(f"a plan id must be lower_snake_case: {plan_id!r}"[:120])
    if extra := sorted(set(map(str, item)) - _PLAN_FIELDS):
        raise ValueError(f"plan {plan_id!r}: unknown fields {extra}")
    types = item.get("types")
    if not isinstance(types, list) or not types:
        raise ValueError(f"plan {plan_id!r}: types must list incident types")
    for kind in types:
        if kind not in INCIDENT_TYPES:
            raise ValueError(
                f"plan {plan_id!r}: type {kind!r} is not one of {', '.join(INCIDENT_TYPES)}"
            )
    name = item.get("name")
    if not isinstance(name, Mapping):
        raise ValueError(f"plan {plan_id!r}: name needs zh and en")
    levels = item.get("levels")
    if not isinstance(levels, Mapping):
        raise ValueError(f"plan {plan_id!r}: levels must map IV, III, II, I to actions")
    if unknown := sorted(set(map(str, levels)) - set(INCIDENT_LEVELS)):
        raise ValueError(f"plan {plan_id!r}: unknown levels {unknown}")
    parsed: dict[str, tuple[PlanAction, ...]] = {}
    for level in INCIDENT_LEVELS:
        actions = levels.get(level)
        if not isinstance(actions, list) or not actions:
            raise ValueError(f"plan {plan_id!r}: level {level} needs at least one action")
        parsed[level] = tuple(
            parse_action(a, where=f"plan {plan_id!r} level {level} action {n}", owners=owners)
            for n, a in enumerate(actions, 1)
        )
    return Plan(
        id=plan_id,
        types=tuple(types),
        name_zh=_text(name.get("zh"), f"plan {plan_id!r}: name.zh", han=True),
        name_en=_text(name.get("en"), f"plan {plan_id!r}: name.en"),
        levels=parsed,
    )


def _agencies(data: Mapping[str, Any], source: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    items = data.get("agencies") or []
    if not isinstance(items, list):
        raise ValueError(f"{source}: agencies must be a list")
    for item in items:
        code = item.get("code") if isinstance(item, Mapping) else None
        if not isinstance(code, str) or not _CODE.match(code):
            raise ValueError(f"{source}: an agency code must be upper case: {item!r}"[:160])
        if code in out:
            raise ValueError(f"{source}: agency {code} listed twice")
        out[code] = (
            _text(item.get("zh"), f"{source}: agency {code} zh", han=True),
            _text(item.get("en"), f"{source}: agency {code} en"),
        )
    return out


def parse_plans(
    data: Any, *, departments: Mapping[str, tuple[str, str]], source: str
) -> tuple[list[Plan], dict[str, tuple[str, str]]]:
    """The plans and agencies of one file's content; a type covered twice is an error."""
    if not isinstance(data, Mapping) or not isinstance(data.get("plans"), list):
        raise ValueError(f"{source}: expected a mapping with a list under 'plans'")
    agencies = _agencies(data, source)
    if clash := sorted(set(agencies) & set(departments)):
        raise ValueError(f"{source}: agencies {clash} are departments already")
    owners = {**departments, **agencies, **role_owners()}
    plans = [parse_plan(item, owners=owners) for item in data["plans"]]
    seen: dict[str, str] = {}
    for plan in plans:
        for kind in plan.types:
            if kind in seen:
                raise ValueError(f"{source}: type {kind} has two plans ({seen[kind]}, {plan.id})")
            seen[kind] = plan.id
    ids = [p.id for p in plans]
    if twice := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"{source}: plans defined twice: {', '.join(twice)}")
    return plans, agencies


def role_owners() -> dict[str, tuple[str, str]]:
    """``role:<role>`` owners and their names."""
    names = {
        "emergency": ("应急值班员", "Emergency duty officer"),
        "leader": ("指挥长", "Commander"),
        "operator": ("城运中心值班员", "Operations centre duty officer"),
        "dispatcher": ("分拨中心", "Dispatch centre"),
        "admin": ("系统管理员", "Administrator"),
        "grid_worker": ("网格员", "Grid workers"),
        "handler": ("处置单位", "Handling units"),
    }
    return {f"role:{role}": names.get(role, (role, role)) for role in ROLES}


def shipped_path() -> Path:
    return Path(str(resources.files("models") / "data" / "plans.yaml"))


def shipped_departments() -> dict[str, tuple[str, str]]:
    """Department code -> (zh, en) of the shipped departments.csv."""
    path = Path(str(resources.files("models") / "data" / "departments.csv"))
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["dept_code"]: (r["name_zh"], r["name_en"] or "") for r in csv.DictReader(fh)}


def store_departments(store: Store) -> dict[str, tuple[str, str]]:
    """Department code -> (zh, en) of the departments table (a city's own included)."""
    rows = store.query_rows("SELECT dept_code, name_zh, name_en FROM departments")
    return {code: (zh, en or "") for code, zh, en in rows}


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the plans file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from None


def load_plans(
    *,
    extra_file: Path | None = None,
    path: Path | None = None,
    departments: Mapping[str, tuple[str, str]] | None = None,
) -> PlanBook:
    """The shipped plans, then a city's own from ``extra_file`` (same shape): a plan of the
    city's covering a type replaces the shipped plan for that type. Every incident type must
    end with a plan.

    Parameters
    ----------
    departments
        Known department codes -> (zh, en); default the shipped departments.csv (pass
        :func:`store_departments` to accept a city's own departments).

    Raises
    ------
    ValueError
        A file unreadable or not YAML, or a plan that breaks the rules (named).
    """
    known = dict(shipped_departments() if departments is None else departments)
    source = path or shipped_path()
    plans, agencies = parse_plans(_read(source), departments=known, source=str(source))
    by_id = {plan.id: plan for plan in plans}
    by_type = {kind: plan for plan in plans for kind in plan.types}
    if extra_file is not None:
        extra, more = parse_plans(_read(extra_file), departments=known, source=str(extra_file))
        agencies.update(more)
        for plan in extra:  # a city's plan replaces the shipped one of its id and its types
            old = by_id.get(plan.id)
            for kind in old.types if old else ():
                if by_type.get(kind) is old:
                    del by_type[kind]
            by_id[plan.id] = plan
            by_type.update(dict.fromkeys(plan.types, plan))
    if missing := [kind for kind in INCIDENT_TYPES if kind not in by_type]:
        raise ValueError(f"no plan for incident types {', '.join(missing)}")
    used = {plan.id: plan for plan in by_type.values()}
    return PlanBook(plans=used, by_type=by_type, owners={**known, **agencies, **role_owners()})
