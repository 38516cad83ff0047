"""The caller's satisfaction with a handled case (12345 回访): the words hotline systems
export, and recording a rating on a case already in CityOps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.store import WriteTx

#: The three grades 12345 follow-ups use; 满意率 counts satisfied and basic over rated.
GRADES = ("satisfied", "basic", "unsatisfied")

#: Words of hotline exports (zh and en) -> grade.
SATISFACTION_WORDS: dict[str, str] = {
    **dict.fromkeys(("满意", "非常满意", "satisfied", "very satisfied"), "satisfied"),
    **dict.fromkeys(("基本满意", "比较满意", "basic", "basically satisfied"), "basic"),
    **dict.fromkeys(
        ("不满意", "非常不满意", "unsatisfied", "dissatisfied", "not satisfied"), "unsatisfied"
    ),
}


def parse_satisfaction(text: str | None) -> str | None:
    """The grade of a follow-up word; None for an empty cell.

    Raises
    ------
    ValueError
        A word that is none of 满意 / 基本满意 / 不满意 (or their English).
    """
    if text is None or not str(text).strip():
        return None
    grade = SATISFACTION_WORDS.get(str(text).strip().lower())
    if grade is None:
        raise ValueError(
            f"satisfaction {str(text)[:40]!r} is not one of 满意, 基本满意, 不满意 "
            "(satisfied, basic, unsatisfied)"
        )
    return grade


@dataclass(frozen=True)
class Rating:
    external_id: str  # the case's external id, e.g. hotline:<order number>
    grade: str  # one of GRADES
    rated_at: datetime  # naive UTC
    actor: str


def record_ratings(tx: WriteTx, ratings: Sequence[Rating]) -> int:
    """Set each rated case's satisfaction (a later rating replaces an earlier one) and add a
    ``satisfaction`` event to its history; returns the cases rated. Unknown ids are skipped
    (the caller checks them first)."""
    done = 0
    for r in ratings:
        if r.grade not in GRADES:
            raise ValueError(f"unknown grade {r.grade!r}")
        found = tx.fetch("SELECT case_id FROM cases WHERE external_id = ?", [r.external_id])
        if not found:
            continue
        case_id = found[0][0]
        tx.execute(
            "UPDATE cases SET satisfaction = ?, rated_at = ?, "
            "change_seq = nextval('change_seq') WHERE case_id = ?",
            [r.grade, r.rated_at, case_id],
        )
        tx.execute(
            "INSERT INTO case_events (case_id, seq, occurred_at, actor, kind, detail) "
            "SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, 'satisfaction', ? "
            "FROM case_events WHERE case_id = ?",
            [case_id, r.rated_at, r.actor, r.grade, case_id],
        )
        done += 1
    return done
