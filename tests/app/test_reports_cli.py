"""`cityops report daily|monthly [--period]` as a checked user (report roles; a district
user's own district), and `cityops indicators import` for admins only."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from models.config import load_config
from tests.app.reports_support import pdf_text


@pytest.fixture(scope="module")
def folder(demo_copy) -> Path:
    return demo_copy()


def _run(folder: Path, user: str, *args: str) -> int:
    return main(["--config", str(folder / "config.yaml"), "--user", user, *args])


def test_a_leader_makes_a_daily_report(folder, capsys):
    assert _run(folder, "leader", "report", "daily", "--period", "2026-11-20") == 0
    out = capsys.readouterr().out.split()
    root = load_config(folder / "config.yaml").report_dir
    pdf, xlsx = root / "daily" / "daily-2026-11-20.pdf", root / "daily" / "daily-2026-11-20.xlsx"
    assert str(pdf) in out and str(xlsx) in out
    text = pdf_text(pdf)
    assert "潮州市" in text and "2026年11月20日" in text and "本期无" in text  # no cases that day
    made = pdf.stat().st_mtime_ns
    assert _run(folder, "leader", "report", "daily", "--period", "2026-11-20") == 0
    assert pdf.stat().st_mtime_ns == made  # not made again
    assert _run(folder, "admin", "report", "daily", "--period", "2026-11-20", "--force") == 0
    assert pdf.stat().st_mtime_ns != made


def test_a_district_operator_gets_the_district_report_only(folder, capsys):
    assert _run(folder, "xq_operator", "report", "monthly", "--period", "2026-10") == 0
    root = load_config(folder / "config.yaml").report_dir
    assert (root / "monthly" / "monthly-2026-10-445102.pdf").is_file()
    assert _run(folder, "xq_operator", "report", "monthly", "--period", "2026-10",
                "--district", "445122") == 1  # fmt: skip
    assert "outside the scope" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("user", "args", "message"),
    [
        ("dispatcher", ("report", "daily"), "needs the role"),
        ("gridworker", ("report", "monthly"), "needs the role"),
        ("street_operator", ("report", "daily"), "city or one district"),
        ("leader", ("report", "daily", "--period", "2026-02-30"), "not a date"),
        ("leader", ("report", "monthly", "--period", "2099-01"), "not over"),
        ("leader", ("report", "monthly", "--period", "../x"), "YYYY-MM"),
        ("leader", ("indicators", "import", "x.csv"), "needs the role admin"),
        ("leader", ("report", "daily", "--district", "999999"), "no district"),
    ],
)
def test_refusals(folder, capsys, user, args, message):
    assert _run(folder, user, *args) == 1
    assert message in capsys.readouterr().err


def test_admin_imports_the_demo_external_indicators(folder, capsys):
    from ingest.files.indicator_values import DEMO_FILE

    assert _run(folder, "admin", "indicators", "import", str(DEMO_FILE)) == 0
    assert capsys.readouterr().out.strip()  # the load report
