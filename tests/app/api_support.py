"""Shared setup of the case API tests: an app over a private demo copy, users, tokens, cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.config import load_config
from models.store import Store
from tests.app.test_auth import _csrf
from tests.conftest import SECRET, demo_passwords

#: A district-scoped dispatcher made for the tests: 饶平县, where the seeded cases are not.
OTHER_DISPATCHER = "rp_dispatcher"
OTHER_DISTRICT = "445122"
ROLES = {
    "operator": "operator",
    "dispatcher": "dispatcher",
    "gridworker": "grid_worker",
    "leader": "leader",
    "emergency": "emergency",
    "admin": "admin",
    "xq_cg": "handler",
    "street_handler": "handler",
    OTHER_DISPATCHER: "dispatcher",
}


@dataclass
class ApiWorld:
    app: Any
    store: Store
    folder: Path
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    spots: dict[str, tuple[float, float]] = field(default_factory=dict)

    def bearer(self, username: str):
        """A test client that sends ``username``'s bearer token."""
        client = self.app.server.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens[username]}"
        return client

    def session(self, username: str):
        """A test client logged in as ``username`` (writes carry the CSRF header)."""
        client = self.app.server.test_client()
        response = client.post(
            "/login",
            data={
                "username": username,
                "password": self.passwords[username],
                "csrf": _csrf(client),
            },
        )
        assert response.status_code == 302, username
        client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
        return client


def build_world(demo_copy) -> ApiWorld:
    """The app over its own demo copy, with a token per demo user, the district dispatcher
    of :data:`OTHER_DISTRICT`, and points inside the grid worker's cells and outside."""
    from app.server import create_app
    from models.api_tokens import create_token
    from models.geography import load_cells
    from models.security import parse_scope
    from models.users import add_user, get_user

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    passwords = demo_passwords(folder)
    add_user(
        store,
        OTHER_DISPATCHER,
        "other-dispatcher-pw-123",
        role="dispatcher",
        scope=parse_scope(f"district:{OTHER_DISTRICT}"),
        actor="admin",
    )
    passwords[OTHER_DISPATCHER] = "other-dispatcher-pw-123"
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    roomy_write_limit(app)  # the tests make many cases with one token
    world = ApiWorld(app, store, folder, passwords)
    now = datetime.now(UTC).replace(tzinfo=None)
    for username in ROLES:
        world.tokens[username] = create_token(
            store, username, label="tests", created_by="admin", at=now
        )[1]
    worker = get_user(store, "gridworker")
    assert worker is not None
    cells = load_cells(store, scope=worker.scope)
    inside = cells.geometry.iloc[0].representative_point()
    world.spots["worker"] = (inside.x, inside.y)
    other = load_cells(store, scope=parse_scope(f"district:{OTHER_DISTRICT}"))
    far = other.geometry.iloc[0].representative_point()
    world.spots["other_district"] = (far.x, far.y)
    # a point in 湘桥区 outside the grid worker's cells (its district, another street)
    xq = load_cells(store, scope=parse_scope("district:445102"))
    rest = xq[~xq["cell_code"].isin(set(cells["cell_code"]))]
    spot = rest.geometry.iloc[len(rest) // 2].representative_point()
    world.spots["xiangqiao"] = (spot.x, spot.y)
    return world


def roomy_write_limit(app) -> None:
    """A bound on creating writes no test module reaches (the real one is tested apart)."""
    from app.api.limits import set_write_limit

    set_write_limit(app.server, burst=100_000, per_minute=100_000)


def public_report(world: ApiWorld, where: str, *, category: str = "0201", text: str = "") -> str:
    """A case of the public channel (as Open311's POST makes one: the case API may not name
    a public source)."""
    from ingest.locate import store_locator
    from models.cases import report_case

    lon, lat = world.spots[where]
    config = load_config(world.folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    locate = store_locator(world.store, metric_crs=config.settings.map.metric_crs)
    made = report_case(
        world.store, category_code=category, lon=lon, lat=lat,
        at=datetime.now(UTC).replace(tzinfo=None), source="public", actor="public",
        role="operator", locate=locate,
        text=text, tz=config.settings.calendar.timezone, public=True,
    )  # fmt: skip
    return made.case_id


def report(world: ApiWorld, where: str, *, category: str = "0201", text: str = "api-test") -> str:
    """A new case at one of the world's spots, reported by the admin's token."""
    lon, lat = world.spots[where]
    response = world.bearer("admin").post(
        "/api/v1/cases", json={"category": category, "lon": lon, "lat": lat, "text": text}
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def result_photo(client, case_id: str) -> None:
    """Post a photo of the result (kind handled): a handler reports handled with one."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 160, 60)).save(out, "JPEG")
    data = {"photo": (io.BytesIO(out.getvalue()), "after.jpg", "image/jpeg"), "kind": "handled"}
    response = client.post(
        f"/api/v1/cases/{case_id}/photos", data=data, content_type="multipart/form-data"
    )
    assert response.status_code in (200, 201), response.get_json()
