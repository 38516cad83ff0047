"""Reading rejected input kept for inspection (the dead-letter table)."""

from __future__ import annotations

import pandas as pd

from models.store import Store

#: bytes of a payload read for its preview: never the whole (up to 64 KiB) payload
PREVIEW_BYTES = 480


def list_dead_letters(store: Store, *, limit: int = 50, channel: str | None = None) -> pd.DataFrame:
    """The newest unresolved dead letters, with a printable preview of each payload (a slice).

    Only the first :data:`PREVIEW_BYTES` of a payload are read; ``payload_size`` and
    ``payload_sha256`` describe the whole payload as received (null for rows stored before
    they were recorded).
    """
    where, params = "resolved_at IS NULL", []
    if channel:
        where += " AND channel = ?"
        params.append(channel)
    df = store.query_df(
        "SELECT dead_letter_id, received_at, channel, topic, reason, "
        f"array_slice(payload, 1, {PREVIEW_BYTES}) AS head, "
        "coalesce(payload_size, octet_length(payload)) AS payload_size, payload_sha256 "
        f"FROM dead_letters WHERE {where} ORDER BY dead_letter_id DESC LIMIT ?",
        [*params, limit],
    )
    df["preview"] = [_preview(p) for p in df.pop("head")]
    return df


def _preview(payload: object, width: int = 120) -> str:
    if payload is None:
        return ""
    raw = bytes(payload)  # type: ignore[arg-type]
    # the head may end inside a UTF-8 sequence: drop the broken tail rather than escape it
    text = raw.decode("utf-8", errors="ignore" if len(raw) >= PREVIEW_BYTES else "backslashreplace")
    return text if len(text) <= width else text[: width - 1] + "…"
