"""Times as volunteers read them: local wall-clock time, e.g. "Sat 14 Mar, 10:00-13:00"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def day(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}"


def day_and_time(moment: datetime, zone: ZoneInfo) -> str:
    return f"{day(moment, zone)}, {moment.astimezone(zone):%H:%M}"


def until(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """A shift's end time, "01:00 (next day)" when it is on a later day than its start."""
    local = end.astimezone(zone)
    later = local.date() > start.astimezone(zone).date()
    return f"{local:%H:%M}{' (next day)' if later else ''}"


def span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """ "Sat 14 Mar, 22:00-01:00 (next day)": a shift, saying so when it crosses midnight."""
    return f"{day_and_time(start, zone)}-{until(start, end, zone)}"
