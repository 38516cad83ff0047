"""The admin 'sensors' tab's callbacks called directly: as any other role they change nothing
and answer a refusal; as the admin a sensor edit is checked like a registry file's row (a
moved sensor gets its cell again), a registry file goes through the importer with its bad
rows listed, the rules are saved only when valid (problems with their lines), restored, and
dry-run without writing; bad values are messages, never exceptions."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator

import flask_login
import pytest
from dash import no_update

from app.auth import SessionUser
from app.pages.admin import sensors_registry as reg
from app.pages.admin import sensors_rules as rules_cb
from models.config import load_config
from models.rules_doc import rules_in_force, rules_version, shipped_rules_path
from models.sensors import sensor_row
from models.store import Store
from models.users import get_user
from tests.conftest import SECRET

OTHER_ROLES = ("operator", "dispatcher", "gridworker", "leader", "emergency", "xq_cg")
REFUSED = "只有管理员"


@pytest.fixture(scope="module")
def world(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True

    @contextlib.contextmanager
    def as_user(username: str) -> Iterator[None]:
        with app.server.test_request_context("/_dash-update-component", method="POST"):
            flask_login.login_user(SessionUser(get_user(store, username)))
            yield

    yield store, as_user
    store.close()


def text_of(component: object) -> str:
    from plotly.utils import PlotlyJSONEncoder

    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


def _water(store) -> dict:
    sid = store.query_value(
        "SELECT min(sensor_id) FROM sensors WHERE kind = 'water_level' "
        "AND warning_level IS NOT NULL AND danger_level IS NOT NULL AND cell_code IS NOT NULL"
    )
    return sensor_row(store, sid)


def _form(row: dict, **changes: object) -> list[object]:
    values = {c: reg._cell(row.get(c)) for c in reg._FIELDS} | changes
    return [values[c] for c in reg._FIELDS]


def _upload(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


GOOD_CSV = "sensor_id,kind,lon,lat,interval_s,owner\nNEW-GAS-1,gas,{lon},{lat},60,燃气公司\n"
BAD_CSV = "sensor_id,kind,lon,lat,interval_s\nNEW-X-1,gas,200,30,60\nNEW-X-2,rocket,120,30,60\n"


def test_every_callback_refuses_other_roles_and_changes_nothing(world):
    store, as_user = world
    row = _water(store)
    files = store.query_value("SELECT count(*) FROM ingest_files")
    for username in OTHER_ROLES:
        with as_user(username):
            answers = [
                reg.filter_registry("gas", "", 0),
                reg.save_sensor(1, row["sensor_id"], *_form(row, warning_level="0.01"), 0),
                reg.upload_registry(_upload(GOOD_CSV.format(lon=1, lat=1)), "s.csv", 0),
                rules_cb.save_rules(1, shipped_rules_path().read_text(encoding="utf-8")),
                rules_cb.restore_rules(1, 0),
                rules_cb.run_dry_run(1, shipped_rules_path().read_text(encoding="utf-8")),
            ]
            assert reg.fill_form(row["sensor_id"]) == tuple("" for _ in reg._FIELDS)
        for answer in answers:
            first = answer[0] if isinstance(answer, tuple) else answer
            assert REFUSED in text_of(first), (username, answer)
            if isinstance(answer, tuple):
                assert all(a is no_update or a == "" for a in answer[1:]), answer
    assert sensor_row(store, row["sensor_id"]) == row
    assert rules_version(store) == 0
    assert store.query_value("SELECT count(*) FROM ingest_files") == files


def test_admin_edits_a_sensor_checked_like_a_file_row(world):
    store, as_user = world
    row = _water(store)
    sid = row["sensor_id"]
    with as_user("admin"):
        filled = dict(zip(reg._FIELDS, reg.fill_form(sid), strict=True))
        assert filled["warning_level"] == reg._cell(row["warning_level"])
        for bad, words in (
            ({"warning_level": str(row["danger_level"] + 1)}, "警戒值"),
            ({"lon": "east"}, "经度"),
            ({"lat": "95"}, "纬度"),
            ({"interval_s": "0"}, "上报间隔"),
            ({"interval_s": ""}, "上报间隔"),
        ):
            answer, changed = reg.save_sensor(1, sid, *_form(row, **bad), 3)
            assert "未保存" in text_of(answer) and words in text_of(answer), (bad, answer)
            assert changed is no_update
        answer, _ = reg.save_sensor(1, "NO-SUCH", *_form(row), 3)
        assert "请先选择" in text_of(answer)
        answer, changed = reg.save_sensor(1, sid, *_form(row), 3)
        assert "没有改动" in text_of(answer) and changed is no_update
        lower = round(row["warning_level"] - 0.1, 3)
        answer, changed = reg.save_sensor(1, sid, *_form(row, warning_level=str(lower)), 3)
        assert "已保存" in text_of(answer) and changed == 4
    assert sensor_row(store, sid)["warning_level"] == lower
    store.flush()
    assert store.query_value(
        "SELECT count(*) FROM audit_log WHERE action = 'sensors.edit' AND target = ?", [sid]
    )


def test_a_moved_sensor_is_placed_in_its_new_cell(world):
    store, as_user = world
    row = _water(store)
    other = store.query_rows(
        "SELECT lon, lat, cell_code FROM sensors WHERE cell_code IS NOT NULL AND cell_code <> ? "
        "ORDER BY sensor_id LIMIT 1",
        [row["cell_code"]],
    )[0]
    with as_user("admin"):
        answer, _ = reg.save_sensor(
            1, row["sensor_id"], *_form(row, lon=str(other[0]), lat=str(other[1])), 0
        )
    assert other[2] in text_of(answer)
    assert sensor_row(store, row["sensor_id"])["cell_code"] == other[2]


def test_registry_file_goes_through_the_importer(world):
    store, as_user = world
    lon, lat = store.query_rows("SELECT lon, lat FROM sensors ORDER BY sensor_id LIMIT 1")[0]
    with as_user("admin"):
        report, changed = reg.upload_registry(_upload(BAD_CSV), "bad.csv", 1)
        said = text_of(report)
        assert "未导入" in said and "rocket" in said and changed is no_update
        assert said.count('"type": "Tr"') == 3  # the head and both bad lines
        assert "longitude" in said or "lon" in said
        report, changed = reg.upload_registry(_upload("x"), "registry.exe", 1)
        assert "未导入" in text_of(report) and changed is no_update
        report, changed = reg.upload_registry("not a data url", "s.csv", 1)
        assert "未导入" in text_of(report)
        report, changed = reg.upload_registry(
            _upload(GOOD_CSV.format(lon=lon, lat=lat)), "good.csv", 1
        )
        assert "已导入" in text_of(report) and changed == 2
    assert sensor_row(store, "NEW-GAS-1")["owner"] == "燃气公司"
    assert not store.query_value("SELECT count(*) FROM sensors WHERE sensor_id LIKE 'NEW-X-%'")


def test_rules_are_saved_only_when_valid_and_can_be_restored(world):
    store, as_user = world
    shipped = shipped_rules_path().read_text(encoding="utf-8")
    before = rules_version(store)
    with as_user("admin"):
        for bad, words in (
            ("rules: [\n  - x: 1\n", "YAML 语法错误"),
            (shipped.replace("metric: gas_ppm", "metric: gas_pct", 1), "gas_pct"),
            (shipped.replace("threshold: 50", "threshold: -50", 1), "阈值必须是不小于 0 的数"),
            (shipped.replace("sensor_kind: gas", "sensor_kind: rocket", 1), "rocket"),
            (None, "规则文本为空"),
        ):
            answer = rules_cb.save_rules(1, bad)
            assert "未保存" in text_of(answer[0]) and words in text_of(answer[0]), answer
            assert answer[1:] == (no_update, no_update, no_update)
        # the problem names its line
        answer = rules_cb.save_rules(1, shipped.replace("metric: gas_ppm", "metric: gas_pct", 1))
        assert "第 98 行" in text_of(answer[0])  # the line of the rule
        assert rules_version(store) == before
        edited = shipped.replace("threshold: 50", "threshold: 40", 1)
        message, history, options, text = rules_cb.save_rules(1, edited)
        assert "已保存" in text_of(message) and text is no_update
        version = rules_version(store)
        assert version > before and "admin" in text_of(history)
        assert {o["value"] for o in options} >= {version, 0}
        assert any(r.threshold == 40 for r in rules_in_force(store))
        assert "选择" in text_of(rules_cb.restore_rules(1, None)[0])
        assert "未保存" in text_of(rules_cb.restore_rules(1, 99_999)[0])
        message, _, _, text = rules_cb.restore_rules(1, 0)
        assert "已保存" in text_of(message) and text == shipped
    assert rules_version(store) > version
    assert not any(r.threshold == 40 for r in rules_in_force(store))


def test_dry_run_shows_counts_or_problems_and_writes_nothing(world):
    store, as_user = world
    alarms = store.query_value("SELECT count(*) FROM alarms")
    version = rules_version(store)
    shipped = shipped_rules_path().read_text(encoding="utf-8")
    with as_user("admin"):
        said = text_of(rules_cb.run_dry_run(1, shipped))
        assert "试运行结果" in said and "gas-over-50ppm" in said and "会触发" in said
        said = text_of(rules_cb.run_dry_run(1, "rules: {"))
        assert "未试运行" in said and "YAML" in said
        said = text_of(rules_cb.run_dry_run(1, 42))
        assert "未试运行" in said
    assert store.query_value("SELECT count(*) FROM alarms") == alarms
    assert rules_version(store) == version


def test_a_second_dry_run_is_refused_at_once_while_one_runs(world):
    from models.rule_dry_run import DRY_RUN_LOCK

    store, as_user = world
    shipped = shipped_rules_path().read_text(encoding="utf-8")
    assert DRY_RUN_LOCK.acquire(blocking=False)
    try:
        with as_user("admin"):
            said = text_of(rules_cb.run_dry_run(1, shipped))
        assert "试运行正在进行" in said, said
    finally:
        DRY_RUN_LOCK.release()


def test_rules_tab_speaks_the_page_language(world):
    from tests.models.test_yaml_text import alias_bomb

    store, as_user = world
    shipped = shipped_rules_path().read_text(encoding="utf-8")
    before = rules_version(store)
    with as_user("admin"):
        cases = {
            shipped.replace("metric: gas_ppm", "metric: gas_pct", 1): "没有指标",
            shipped.replace("sensor_kind: gas", "sensor_kind: rocket", 1): "未知的传感器类型",
            shipped.replace("threshold: 50", "threshold: -50", 1): "阈值必须是不小于 0 的数",
            shipped.replace("threshold: 50", "threshold: .inf", 1): "阈值必须是不小于 0 的数",
            shipped.replace(
                "rule_id: water-level-danger", "rule_id: water-level-warning", 1
            ): "规则编号重复",
            "rules:\n  - rule_id: [x\n": "YAML 语法错误",
            alias_bomb(): "锚点或别名",
            "rules: []\n": "没有启用的规则",
        }
        for text, words in cases.items():
            said = text_of(rules_cb.save_rules(1, text)[0])
            assert words in said, (words, said)
            assert "lol" not in said
        said = text_of(rules_cb.save_rules(1, "rules:\n  - rule_id: [x\n")[0])
        assert "第 2 行" in said or "第 3 行" in said, said
        said = text_of(rules_cb.run_dry_run(1, shipped))
        assert '"stale"' not in said and "离线" in said, said
        table, _ = reg.registry_table("air", None, "zh")
        assert "市生态环境局" in text_of(table) and "Ecology" not in text_of(table)
        table, _ = reg.registry_table("air", None, "en")
        assert "Ecology and environment" in text_of(table) and "市生态环境局" not in text_of(table)
    assert rules_version(store) == before
