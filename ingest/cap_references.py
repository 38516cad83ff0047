"""Who may update or cancel a CAP alert: only its own sender (pure rules on <references>)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: message types that act on earlier alerts through <references>
FOLLOW_UPS = ("Update", "Cancel")


@dataclass(frozen=True)
class Reference:
    """One ``sender,identifier,sent`` triple of a CAP ``<references>`` element."""

    sender: str
    identifier: str
    sent: str


def parse_references(text: str | None) -> tuple[Reference, ...]:
    """The triples of a ``<references>`` value (space-separated); malformed items are skipped.

    Parameters
    ----------
    text
        The element's text, or None.

    Returns
    -------
    tuple of Reference
        In document order.
    """
    out = []
    for item in (text or "").split():
        parts = item.split(",")
        if len(parts) == 3 and all(parts):
            out.append(Reference(*parts))
    return tuple(out)


def foreign_reference(sender: str, msg_type: str, references: str | None) -> str | None:
    """Why an Update/Cancel that names another sender's alert is refused, or None.

    Parameters
    ----------
    sender, msg_type, references
        The follow-up's ``<sender>``, ``<msgType>`` and ``<references>``.

    Returns
    -------
    str or None
        The reason, naming the first foreign reference.
    """
    if msg_type not in FOLLOW_UPS:
        return None
    for ref in parse_references(references):
        if ref.sender != sender:
            return (
                f"{msg_type} from {sender} references {ref.identifier} of sender {ref.sender}: "
                "only an alert's own sender may update or cancel it"
            )
    return None


def stolen_reference(
    sender: str, msg_type: str, references: str | None, known: Mapping[str, str | None]
) -> str | None:
    """Why an Update/Cancel referencing a stored alert of another sender is refused, or None.

    Parameters
    ----------
    sender, msg_type, references
        The follow-up's ``<sender>``, ``<msgType>`` and ``<references>``.
    known
        Sender of each referenced identifier already stored (absent: not stored).

    Returns
    -------
    str or None
        The reason, naming the alert and its real sender.
    """
    if msg_type not in FOLLOW_UPS:
        return None
    for ref in parse_references(references):
        if ref.identifier in known and known[ref.identifier] != sender:
            return (
                f"{msg_type} from {sender} references {ref.identifier}, sent by "
                f"{known[ref.identifier]}: only an alert's own sender may update or cancel it"
            )
    return None


def referenced_identifiers(msg_type: str, references: str | None) -> tuple[str, ...]:
    """Identifiers an Update/Cancel acts on (none for other message types)."""
    if msg_type not in FOLLOW_UPS:
        return ()
    return tuple(ref.identifier for ref in parse_references(references))
