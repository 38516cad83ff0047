"""Reading rejected input kept for inspection (the dead-letter table)."""

from __future__ import annotations

import pandas as pd

from models.store import Store


def list_dead_letters(store: Store, *, limit: int = 50, channel: str | None = None) -> pd.DataFrame:
    """The newest unresolved dead letters, with a printable preview of each payload."""
    where, params = "resolved_at IS NULL", []
    if channel:
        where += " AND channel = ?"
        params.append(channel)
    df = store.query_df(
        "SELECT dead_letter_id, received_at, channel, topic, reason, payload FROM dead_letters "
        f"WHERE {where} ORDER BY dead_letter_id DESC LIMIT ?",
        [*params, limit],
    )
    df["preview"] = [_preview(p) for p in df.pop("payload")]
    return df


def _preview(payload: object, width: int = 120) -> str:
    if payload is None:
        return ""
    raw = bytes(payload)  # type: ignore[arg-type]
    text = raw.decode("utf-8", errors="backslashreplace")
    return text if len(text) <= width else text[: width - 1] + "…"
