"""The case API's photo upload: multipart, its size bounded before the body is read."""

from __future__ import annotations

import flask
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.errors import ApiError, actor, refused
from app.api.limits import take_write
from app.context import get_context
from models.attachments import KINDS, add_photo
from models.case_service import Refused
from models.clock import utcnow

#: Room for the multipart framing and the small fields beside the picture.
FORM_OVERHEAD = 64 * 1024
#: The kind a photo is taken as when the request names none, by role.
DEFAULT_KIND = {"grid_worker": "report", "handler": "handled"}


def add_case_photo(case_id: str) -> tuple[flask.Response, int]:
    """POST /api/v1/cases/{id}/photos: fields ``photo`` (the image), ``kind`` (report,
    handled, verify, other; default by role) and ``transition_seq`` (optional)."""
    who = actor()
    take_write(who.username)  # a photo is a write that makes something: the user's bucket
    ctx = get_context()
    settings = ctx.config.settings.photos
    request = flask.request
    bound = settings.max_bytes + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > bound:
        raise ApiError(413, f"a photo may be at most {settings.max_bytes} bytes")
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "send the photo as multipart/form-data (field 'photo')")
    request.max_content_length = bound  # a chunked body is cut off at the bound too
    request.max_form_memory_size = FORM_OVERHEAD
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise ApiError(413, f"a photo may be at most {settings.max_bytes} bytes") from None
    if unknown := sorted(set(form) - {"kind", "transition_seq"} | set(files) - {"photo"}):
        raise ApiError(422, f"unknown fields: {', '.join(unknown)[:300]}")
    upload = files.get("photo")
    if upload is None:
        raise ApiError(422, "the image goes in the multipart field 'photo'")
    kind = form.get("kind") or DEFAULT_KIND.get(who.role, "other")
    if kind not in KINDS:
        raise ApiError(422, f"kind must be one of {', '.join(KINDS)}")
    seq_text = form.get("transition_seq", "").strip()
    if seq_text and not ((seq_text.isascii() and seq_text.isdigit()) and len(seq_text) <= 9):
        raise ApiError(422, "transition_seq must be a whole number")
    raw = upload.stream.read(settings.max_bytes + 1)
    if len(raw) > settings.max_bytes:
        raise ApiError(413, f"a photo may be at most {settings.max_bytes} bytes")
    try:
        photo = add_photo(
            ctx.store,
            who,
            case_id,
            raw,
            kind=kind,
            at=utcnow(),
            settings=settings,
            photo_dir=ctx.config.photo_dir,
            transition_seq=int(seq_text) if seq_text else None,
            tz=ctx.config.settings.calendar.timezone,
        )
    except Refused as exc:
        raise refused(exc) from None
    return flask.jsonify(photo), 201
