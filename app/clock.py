"""The wall clock of the app, in one place (logic takes time as a parameter)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC as a naive datetime, the store's convention."""
    return datetime.now(UTC).replace(tzinfo=None)
