"""Case photos kept: who may add one, the files under the photo folder, the rows, the reads.

A photo is processed (:mod:`models.photos`) and its two files are written atomically before
its row is committed; when the commit fails they are removed, so a row never points at a
missing file and a file without a row is only ever a crash's leftover. Rows hold paths
relative to the photo folder, so the folder can move with its database.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pandas as pd

from models.case_builder import DEFAULT_TIMEZONE
from models.case_service import Actor, Refused, visible_case
from models.photo_paths import inside_folder as _inside
from models.photos import PhotoError, ProcessedPhoto, process_photo
from models.security import Scope
from models.store import Store, WriteTx
from models.workflow import TERMINAL_STAGES

#: What a photo documents: ``report`` is the before (上报), ``handled`` the after (处置);
#: ``verify`` is the grid worker's on-site check (核查), ``other`` anything else.
KINDS = ("report", "handled", "verify", "other")
#: Which kinds each role may add (a handler only to its units' cases: its scope says so).
KINDS_BY_ROLE: dict[str, frozenset[str]] = {
    "grid_worker": frozenset({"report", "verify"}),
    "handler": frozenset({"handled"}),
    "dispatcher": frozenset(KINDS),
    "admin": frozenset(KINDS),
}
#: Roles that may add a photo to a closed or voided case (a correction at the center).
LATE_ROLES = frozenset({"dispatcher", "admin"})
#: Photos one case may hold: a bound on what one account can put on the disk.
MAX_PHOTOS_PER_CASE = 40
#: Attachment ids as this module makes them (and as routes accept them).
ATTACHMENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: HTTP-like status of each refusal of :class:`models.photos.PhotoError`.
_PHOTO_STATUS = {"too_big": 413, "unsupported": 415, "not_image": 415}

_COLUMNS = (
    "attachment_id, case_id, kind, media_type, width, height, uploaded_by, uploaded_at, "
    "taken_lon, taken_lat, taken_at, transition_seq"
)


class PhotoLimits(Protocol):
    """The ``photos:`` settings read here (:class:`models.config_sections.PhotoSettings`)."""

    max_bytes: int
    max_edge_px: int
    thumb_px: int


@dataclass
class PhotoRefused(Refused):
    """A photo refused for what it is (413 too big, 415 not an accepted image, 422 damaged or
    a bomb); ``code`` and ``values`` name the reason for the catalog (``photos.error.<code>``)."""


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))  # None, NaN, NaT, pd.NA


def _iso(value: Any) -> str | None:
    if _missing(value) or not hasattr(value, "strftime"):
        return None
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _float(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def _int(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def photo_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as the case view shows it (JSON-friendly; times ISO 8601 UTC)."""
    pid = str(row["attachment_id"])
    return {
        "id": pid,
        "kind": row["kind"],
        "media_type": row["media_type"],
        "width": _int(row.get("width")),
        "height": _int(row.get("height")),
        "url": f"/photos/{pid}",
        "thumb_url": f"/photos/{pid}/thumb",
        "uploaded_by": row.get("uploaded_by"),
        "uploaded_at": _iso(row.get("uploaded_at")),
        "taken_lon": _float(row.get("taken_lon")),
        "taken_lat": _float(row.get("taken_lat")),
        "taken_at": _iso(row.get("taken_at")),
        "transition_seq": _int(row.get("transition_seq")),
    }


def _utc_naive(moment: datetime | None, tz: str) -> datetime | None:
    """The store's time convention (naive UTC); a naive camera time is local to ``tz``."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC).replace(tzinfo=None)


def check_may_add(store: Store, actor: Actor, case_id: str, kind: str) -> dict[str, Any]:
    """The case's key columns when ``actor`` may add a ``kind`` photo to it.

    Raises
    ------
    Refused
        Unknown kind (422), case unknown or outside the scope (404), a role that may not
        add photos or this kind (403), a closed case (409) or one full of photos (422).
    """
    if kind not in KINDS:
        raise Refused(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", 422)
    row = visible_case(store, actor, case_id)
    allowed = KINDS_BY_ROLE.get(actor.role, frozenset())
    if not allowed:
        raise Refused(f"a {actor.role} may not add photos to cases", 403)
    if kind not in allowed:
        raise Refused(
            f"a {actor.role} may add only {', '.join(sorted(allowed))} photos, not {kind}", 403
        )
    if row["stage"] in TERMINAL_STAGES and actor.role not in LATE_ROLES:
        raise Refused(f"case {case_id} is {row['stage']}: no more photos", 409)
    return row


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _existing(store: Store, case_id: str, sha256: str) -> dict[str, Any] | None:
    frame = store.query_df(
        f"SELECT {_COLUMNS} FROM case_attachments WHERE case_id = ? AND sha256 = ? "
        "ORDER BY uploaded_at LIMIT 1",
        [case_id, sha256],
    )
    rows = frame.to_dict("records")
    return rows[0] if rows else None


def _same_picture(kept: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The attachment kept for a picture sent again; a "before" photo is no "after" one."""
    if kept["kind"] != kind:
        raise Refused(
            f"this picture is kept already as the case's {kept['kind']} photo "
            f"({kept['attachment_id']}); a {kind} photo must be another picture",
            409,
        )
    return photo_view(kept)


def add_photo(
    store: Store,
    actor: Actor,
    case_id: str,
    raw: bytes,
    *,
    kind: str,
    at: datetime,
    settings: PhotoLimits,
    photo_dir: Path,
    transition_seq: int | None = None,
    tz: str = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    """Keep a photo with a case, as ``actor``.

    Parameters
    ----------
    raw
        The uploaded bytes (checked by content; the name and client type are not looked at).
    kind
        One of :data:`KINDS`: ``report`` (before), ``handled`` (after), ``verify``, ``other``.
    at
        The upload time (naive UTC, or aware); also names the folder ``<yyyy>/<mm>``.
    settings
        The ``photos:`` settings (``max_bytes``, ``max_edge_px``, ``thumb_px``).
    photo_dir
        The photo folder (``Config.photo_dir``).
    transition_seq
        The case's step the photo documents (a transition of this case), if any.
    tz
        The zone of a camera time written without an offset.

    Returns
    -------
    dict
        The photo as the case view shows it (:func:`photo_view`). The same picture sent
        twice to one case gives the attachment kept the first time, not a copy; sent again
        as another kind (the "before" picture as the "after" one) it is refused (409).

    Raises
    ------
    Refused
        See :func:`check_may_add`; a ``transition_seq`` not of this case (422); the
        picture kept already as another kind (409); a case full of photos (422).
    PhotoRefused
        The upload is too big (413), not an accepted image (415), damaged or a bomb (422).
    """
    check_may_add(store, actor, case_id, kind)
    if transition_seq is not None and not store.query_value(
        "SELECT count(*) FROM case_transitions WHERE case_id = ? AND seq = ?",
        [case_id, transition_seq],
    ):
        raise Refused(f"case {case_id} has no step {transition_seq}", 422)
    try:
        photo = process_photo(
            raw,
            max_bytes=settings.max_bytes,
            max_edge_px=settings.max_edge_px,
            thumb_px=settings.thumb_px,
        )
    except PhotoError as exc:
        raise PhotoRefused(
            str(exc), _PHOTO_STATUS.get(exc.code, 422), [], exc.code, dict(exc.values)
        ) from None
    found = _existing(store, case_id, photo.sha256)
    if found is not None:
        return _same_picture(found, kind)
    uploaded_at = at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)
    attachment_id = secrets.token_hex(12)
    folder = Path(f"{uploaded_at:%Y}") / f"{uploaded_at:%m}"
    image_rel = folder / f"{attachment_id}.jpg"
    thumb_rel = folder / f"{attachment_id}_thumb.jpg"
    row = {
        "attachment_id": attachment_id,
        "case_id": case_id,
        "kind": kind,
        "media_type": photo.media_type,
        "width": photo.width,
        "height": photo.height,
        "uploaded_by": actor.username,
        "uploaded_at": uploaded_at,
        "taken_lon": photo.taken_lon,
        "taken_lat": photo.taken_lat,
        "taken_at": _utc_naive(photo.taken_at, tz),
        "transition_seq": transition_seq,
    }
    (photo_dir / folder).mkdir(parents=True, exist_ok=True)
    written = [photo_dir / image_rel, photo_dir / thumb_rel]
    try:
        _write_atomic(written[0], photo.image)
        _write_atomic(written[1], photo.thumb)
        kept = store.write(lambda tx: _insert(tx, row, photo, image_rel, thumb_rel))
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    if kept is not None:  # the same picture came in meanwhile: keep the first
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        return _same_picture(kept, kind)
    store.audit(
        "case.photo",
        actor=actor.username,
        target=case_id,
        detail=json.dumps(
            {"attachment": attachment_id, "kind": kind, "bytes": len(raw)}, ensure_ascii=False
        ),
        at=uploaded_at,
    )
    return photo_view(row)


def _insert(
    tx: WriteTx, row: dict[str, Any], photo: ProcessedPhoto, image_rel: Path, thumb_rel: Path
) -> dict[str, Any] | None:
    """Insert the row and tell the wall the case changed; or the row kept already."""
    same = tx.fetch(
        f"SELECT {_COLUMNS} FROM case_attachments WHERE case_id = ? AND sha256 = ? LIMIT 1",
        [row["case_id"], photo.sha256],
    )
    if same:
        return dict(zip(_COLUMNS.split(", "), same[0], strict=True))
    count = tx.fetch("SELECT count(*) FROM case_attachments WHERE case_id = ?", [row["case_id"]])
    if count[0][0] >= MAX_PHOTOS_PER_CASE:
        raise Refused(f"case {row['case_id']} has {MAX_PHOTOS_PER_CASE} photos already", 422)
    tx.execute(
        "INSERT INTO case_attachments (attachment_id, case_id, kind, media_type, size_bytes, "
        "path, uploaded_by, uploaded_at, thumb_path, width, height, sha256, taken_lon, "
        "taken_lat, taken_at, transition_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row["attachment_id"],
            row["case_id"],
            row["kind"],
            row["media_type"],
            len(photo.image),
            image_rel.as_posix(),
            row["uploaded_by"],
            row["uploaded_at"],
            thumb_rel.as_posix(),
            row["width"],
            row["height"],
            photo.sha256,
            row["taken_lon"],
            row["taken_lat"],
            row["taken_at"],
            row["transition_seq"],
        ],
    )
    tx.execute(
        "UPDATE cases SET change_seq = nextval('change_seq') WHERE case_id = ?", [row["case_id"]]
    )
    return None


def photo_file(
    store: Store, scope: Scope, attachment_id: str, *, thumb: bool, photo_dir: Path
) -> tuple[Path, str] | None:
    """``(file, media type)`` of a photo of a case within ``scope`` (a unit scope: its units'
    cases), or of its thumbnail; None when unknown, outside the scope, not an image, or its
    file is missing."""
    if not isinstance(attachment_id, str) or not ATTACHMENT_ID_RE.match(attachment_id):
        return None
    where, params = scope.case_filter("c.cell_code", "c.assigned_unit")
    rows = store.query_rows(
        "SELECT a.path, a.thumb_path, a.media_type FROM case_attachments a "
        f"JOIN cases c USING (case_id) WHERE a.attachment_id = ? AND {where}",
        [attachment_id, *params],
    )
    if not rows:
        return None
    path, thumb_path, media_type = rows[0]
    media_type = str(media_type)
    if not media_type.startswith("image/"):
        return None
    if thumb and thumb_path:
        path, media_type = thumb_path, "image/jpeg"  # thumbnails are always JPEG
    found = _inside(photo_dir, str(path)) if path else None
    return (found, media_type) if found is not None and found.is_file() else None


def case_photos(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The photos of a case, oldest first, as the case view shows them (no scope check: the
    caller has checked the case)."""
    frame = store.query_df(
        f"SELECT {_COLUMNS} FROM case_attachments WHERE case_id = ? "
        "ORDER BY uploaded_at, attachment_id",
        [case_id],
    )
    return [photo_view(r) for r in frame.to_dict("records")]


#: Files this module writes: ``<id>.jpg``, ``<id>_thumb.jpg`` and their temporary copies.
_OUR_FILE = re.compile(r"^(?:[A-Za-z0-9_-]{1,64}(?:_thumb)?\.jpg|\..+\.jpg\.[0-9a-f]+\.tmp)$")


def sweep_orphans(
    store: Store, photo_dir: Path, *, now: float, min_age_s: float = 3600
) -> list[Path]:
    """Remove photo files no row names, left by a crash between a file and its row.

    Only files this module writes are looked at, and only once older than ``min_age_s``
    (by modification time against ``now``, seconds since the epoch), so an upload in
    progress keeps its files. Returns the files removed.
    """
    if not photo_dir.is_dir():
        return []
    named = {
        str(p)
        for pair in store.query_rows("SELECT path, thumb_path FROM case_attachments")
        for p in pair
        if p
    }
    removed = []
    for path in sorted(photo_dir.rglob("*")):
        if not path.is_file() or not _OUR_FILE.match(path.name):
            continue
        if path.relative_to(photo_dir).as_posix() in named:
            continue
        try:
            if now - path.stat().st_mtime < min_age_s:
                continue
            path.unlink()
        except OSError:
            continue  # gone meanwhile, or not ours to remove
        removed.append(path)
    return removed
