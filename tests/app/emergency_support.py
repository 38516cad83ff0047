"""Shared setup of the emergency screen's callback tests: the app over a demo copy with two
incidents (one in 湘桥区, one in 饶平县), a district-scoped emergency user, and a helper that
posts a callback request shaped like Dash's (a pressed panel button as its store's value)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from models.config import load_config
from models.store import Store
from tests.app.test_dispatch_callbacks import logged_in_clients
from tests.conftest import SECRET, demo_passwords

#: An emergency user scoped to 湘桥区: the 饶平县 incident is outside their scope.
SCOPED = "xq_emergency"
SCOPED_PASSWORD = "scoped-emergency-pass-1"
INSIDE, OUTSIDE = "445102", "445122"


@dataclass
class World:
    app: Any
    store: Store
    client: Any
    deps: list[dict]
    incidents: dict[str, str]

    def dep(self, output_part: str, via: str | None = None) -> dict:
        """The callback writing ``output_part``, triggered by an input naming ``via``."""
        found = [
            d for d in self.deps
            if output_part in d["output"]
            and (via is None or any(via in str(i["id"]) for i in d["inputs"]))
        ]  # fmt: skip
        assert len(found) == 1, (output_part, via, [d["output"] for d in found])
        return found[0]

    def call(
        self,
        username: str,
        output_part: str,
        values: dict[str, object] | None = None,
        *,
        trigger: str | dict | None = None,
        act: tuple[str, object, object] | None = None,
        via: str | None = None,
    ):
        """POST one callback as ``username``: ``values`` by ``id.property``; ``act`` a pressed
        panel button as (its store, act, argument), written to the store as the page does."""
        values = dict(values or {})
        if act is not None:
            store, name, arg = act
            values[f"{store}.data"] = {"act": name, "arg": arg, "t": 1}
            trigger, via = f"{store}.data", store
        elif via is None and isinstance(trigger, str):
            via = trigger.split(".", 1)[0]
        return self.client(username).post(
            "/_dash-update-component",
            data=json.dumps(body(self.dep(output_part, via), values, trigger=trigger)),
            content_type="application/json",
        )

    def answer(self, username: str, output_part: str, values=None, **kw) -> dict:
        response = self.call(username, output_part, values, **kw)
        assert response.status_code == 200, (username, response.status_code,
                                              response.get_data(as_text=True)[:300])  # fmt: skip
        return response.get_json()["response"]


def _prop_id(id_: str | dict, prop: str) -> str:
    if isinstance(id_, dict):
        return json.dumps(id_, sort_keys=True, separators=(",", ":")) + "." + prop
    return f"{id_}.{prop}"


def body(dep: dict, values: dict[str, object] | None, *, trigger=None) -> dict:
    values = values or {}

    def filled(items: list[dict]) -> list:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = filled(dep["inputs"])
    if trigger is not None:
        changed = [trigger if isinstance(trigger, str) else _prop_id(trigger, "n_clicks")]
    else:
        changed = [f"{i['id']}.{i['property']}" for i in dep["inputs"] if isinstance(i, dict)]
    output = dep["output"]
    if output.startswith(".."):
        outputs: object = [
            {"id": p.split(".", 1)[0], "property": p.split(".", 1)[1].split("@", 1)[0]}
            for p in output.strip(".").split("...")
        ]
    else:
        target, prop = output.split(".", 1)
        outputs = {"id": target, "property": prop.split("@", 1)[0]}
    return {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": filled(dep["state"]),
        "changedPropIds": changed,
    }


def text_of(answer: object) -> str:
    """Every string in a callback's answer (components included), joined."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(answer)
    return " ".join(found)


def place_in(store: Store, district: str) -> tuple[float, float]:
    """A point inside ``district`` (a cell's representative point)."""
    from models.geography import load_cells
    from models.security import Scope

    cells = load_cells(store, scope=Scope("district", (district,)))
    spot = cells.geometry.iloc[len(cells) // 2].representative_point()
    return float(spot.x), float(spot.y)


def build_world(demo_copy) -> tuple[World, Any]:
    """The app over its own demo copy: the scoped user, an incident in each district."""
    from app.server import create_app
    from models.case_service import Actor
    from models.clock import utcnow
    from models.emergency.incidents import open_incident
    from models.security import Scope, parse_scope
    from models.users import add_user

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    add_user(store, SCOPED, SCOPED_PASSWORD, role="emergency",
             scope=parse_scope(f"district:{INSIDE}"))  # fmt: skip
    admin = Actor("admin", "admin", Scope("city"))
    incidents = {}
    for name, district in (("inside", INSIDE), ("outside", OUTSIDE)):
        lon, lat = place_in(store, district)
        incidents[name] = open_incident(
            store, admin, now=utcnow(), incident_type="flood", level="III",
            title=f"测试内涝 {name}", lon=lon, lat=lat, exercise=True,
        )  # fmt: skip
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    client = logged_in_clients(app, {**demo_passwords(folder), SCOPED: SCOPED_PASSWORD})
    deps = client("emergency").get("/_dash-dependencies").get_json()
    deps = [d for d in deps if not d.get("clientside_function") and "emergency-" in d["output"]]
    return World(app, store, client, deps, incidents), folder
