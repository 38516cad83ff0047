"""Numeric options of the CLI refuse values <= 0 and absurd ones with argparse's message and
exit 2 (the tester's `--limit -1` printed "internal error in the server" and exited 4)."""

from __future__ import annotations

import pytest

from app.cli_parser import build_parser

BAD = ("-1", "0", "10000000000", "abc", "１０")


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    "argv",
    [
        ["deadletters", "--limit"],
        ["case", "list", "--limit"],
        ["serve", "--port"],
        ["worker", "--status-every"],
    ],  # fmt: skip
)
def test_a_bad_number_is_a_usage_error(argv: list[str], value: str, capsys) -> None:
    if argv[0] == "serve" and value == "0":
        return  # port 0: a free port chosen by the system (tests serve on it)
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([*argv, value])
    assert stop.value.code == 2
    assert "invalid" in capsys.readouterr().err


def test_sane_numbers_pass() -> None:
    args = build_parser().parse_args(["deadletters", "--limit", "5"])
    assert args.limit == 5
    args = build_parser().parse_args(["case", "list", "--limit", "200"])
    assert args.limit == 200
    assert build_parser().parse_args(["serve", "--port", "0"]).port == 0


@pytest.mark.parametrize("value", ("-1", "0", "70000", "１８８３"))
def test_simulate_refuses_a_bad_port(value: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["simulate", "--port", value])
    assert stop.value.code == 2
