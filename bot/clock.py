"""The one clock the whole application reads.

Everything that asks "what time is it?" calls :func:`now`, so tests can set and advance time and a
week of reminders can run in a second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def set_time(moment: datetime) -> None:
    """Freeze the clock at ``moment`` (tests only)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware datetime")
    _frozen = moment.astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Move the clock forward, frozen or not (tests only)."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


def reset() -> None:
    """Back to real time."""
    global _frozen, _offset
    _frozen = None
    _offset = timedelta(0)
