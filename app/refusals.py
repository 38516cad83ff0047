"""What a person is told when the server refuses: a coded refusal in their language."""

from __future__ import annotations

from typing import Any

from app.i18n import catalog, t
from models.attachments import PhotoRefused
from models.case_service import Refused
from models.workflow import ACTIONS, stage_label

#: The heading of a refusal without a code, by its status.
_BY_STATUS = {403: "refusal.status_403", 404: "refusal.status_404", 409: "refusal.status_409"}


def _action_name(action: Any, lang: str) -> str:
    spec = ACTIONS.get(action) if isinstance(action, str) else None
    if spec is None:
        return str(action)
    return spec.label_zh if lang == "zh" else spec.name.replace("_", " ")


def refusal_text(exc: Refused, lang: str) -> str:
    """The refusal in ``lang``: a photo's reason (``photos.error.<code>``), a case action's
    (``refusal.<code>``, stage and action names in the reader's words), else a heading by
    the status followed by the server's words."""
    if isinstance(exc, PhotoRefused) and exc.code:
        return t(f"photos.error.{exc.code}", lang, **exc.values)
    key = f"refusal.{exc.code}"
    if exc.code and key in catalog(lang):
        values = dict(exc.values)
        if "stage" in values:
            values["stage"] = stage_label(str(values["stage"]), lang)
        if "action" in values:
            values["action"] = _action_name(values["action"], lang)
        return t(key, lang, **values)
    return f"{t(_BY_STATUS.get(exc.status, 'refusal.status_422'), lang)}: {exc.message}"
