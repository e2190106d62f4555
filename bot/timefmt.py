"""Times as volunteers read them: local wall-clock time, e.g. "Sat 14 Mar, 10:00-13:00"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def day(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}"


def day_and_time(moment: datetime, zone: ZoneInfo) -> str:
    return f"{day(moment, zone)}, {moment.astimezone(zone):%H:%M}"


def span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    return f"{day_and_time(start, zone)}-{end.astimezone(zone):%H:%M}"
