"""`cityops case report` with coordinates that are not a place on Earth, sent through a
running server's control socket: refused with the reason and exit code 1, not 'internal
error in the server' (rc 4) (issue 10, found by the independent tester)."""

import signal

from models.store import Store
from tests.app.test_cli_server import _cli, served  # noqa: F401 (the fixture)


def test_the_server_refuses_bad_coordinates_with_rc_1(served):  # noqa: F811
    folder, config, server = served
    for lon, lat in (("nan", "23.6707"), ("116.6465", "nan"), ("1e400", "inf"), ("200", "95")):
        args = ("--user", "dispatcher", "case", "report", "--category", "0202", "--text", "x")
        done = _cli(config, *args, "--lon", lon, "--lat", lat)
        assert done.returncode == 1, (lon, lat, done.stderr)
        assert "coordinates" in done.stderr and "internal error" not in done.stderr
    assert server.poll() is None
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    with Store(folder / "cityops.duckdb") as store:
        assert store.query_value("SELECT count(*) FROM cases") == 0
