"""The wall says when ingest is not healthy (issue 9, defect 9): a dead or stalled writer,
or a lost broker, is a red banner on the live wall, with the last commit's age and lag."""

import threading
from datetime import datetime

from app.runtime import Background
from models.security import parse_scope

AT = datetime(2026, 11, 24, 4, 0)


def _page(demo_app):
    """The page module registers itself with Dash: import it once the app exists."""
    from app.pages.screen import layout

    return layout


def _degraded() -> dict:
    done = threading.Thread(target=lambda: None, name="sensor-rules")
    done.start()
    done.join()
    return Background(rules=done).health()


def test_degraded_ingest_is_a_banner_on_the_live_wall(demo_app):
    render_banners = _page(demo_app).render_banners
    banners = render_banners({"ingest": _degraded()}, None, "zh", "Asia/Shanghai")
    text = str(banners)
    assert "screen-banner-ingest" in text and "数据接入异常" in text
    assert "sensor rules" in text
    english = str(render_banners({"ingest": _degraded()}, None, "en", "Asia/Shanghai"))
    assert "Data intake degraded" in english


def test_lag_and_last_commit_age_are_shown(demo_app):
    render_banners = _page(demo_app).render_banners
    health = {
        "status": "degraded",
        "problems": ["mqtt ingest stalled: 12 message(s) waiting 75 s"],
        "mqtt": {"last_commit_age_s": 75.2, "last_lag_s": 80.0},
    }
    text = str(render_banners({"ingest": health}, None, "zh", "Asia/Shanghai"))
    assert "75" in text and "80" in text


def test_healthy_ingest_and_replay_show_no_banner(demo_app):
    render_banners = _page(demo_app).render_banners
    ok = Background().health()
    assert render_banners({"ingest": ok}, None, "zh", "Asia/Shanghai") == []
    replayed = render_banners({"ingest": _degraded()}, AT, "zh", "Asia/Shanghai")
    assert "screen-banner-ingest" not in str(replayed)


def test_the_kpi_strip_carries_the_real_ingest_state(demo_app):
    app, _, _ = demo_app
    from app.context import get_context

    current_kpis = _page(demo_app).current_kpis

    with app.server.app_context():
        ctx = get_context()
        before = ctx.background
        ctx.background = Background(rules=_stopped_thread())
        try:
            values = current_kpis(parse_scope("city"))
            assert values["ingest"]["status"] == "degraded"
            assert "ingest" not in current_kpis(parse_scope("city"), AT)  # replay: no live state
        finally:
            ctx.background = before


def _stopped_thread() -> threading.Thread:
    done = threading.Thread(target=lambda: None)
    done.start()
    done.join()
    return done
