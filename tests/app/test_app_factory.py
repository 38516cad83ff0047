"""The app factory builds complete apps however often it is called: the pages' callbacks
(registered once per process with ``dash.callback``) belong to every app it builds."""

from app.server import create_app
from models.config import load_config
from models.store import Store
from tests.app.test_security_standing import _client
from tests.conftest import SECRET, demo_passwords


def _outputs(app, passwords) -> set[str]:
    deps = _client(app, "admin", passwords).get("/_dash-dependencies").get_json()
    return {d["output"] for d in deps}


def test_a_second_app_in_one_process_answers_the_page_callbacks(demo_app, demo_copy):
    first, passwords, _ = demo_app
    assert any("screen-card-body" in o for o in _outputs(first, passwords))  # first set up
    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    try:
        second = create_app(config, store)
        second.server.config["TESTING"] = True
        outputs = _outputs(second, demo_passwords(folder))
        assert any("screen-card-body" in o for o in outputs)
        assert outputs == _outputs(first, passwords)
    finally:
        store.close()
