"""The wall clock in one place: now in UTC, as the store keeps time."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC as a naive datetime, the store's convention."""
    return datetime.now(UTC).replace(tzinfo=None)
