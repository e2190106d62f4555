"""The rules of events and shifts, free of Telegram: kinds, and reading dates, times and capacities
typed by organisers (in the campaign's local time)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.statuses import EventStatus

KINDS: dict[str, str] = {
    "canvass": "Canvass session",
    "campaign_day": "Campaign day",
    "phone_bank": "Phone bank",
    "street_stall": "Street stall",
    "training": "Training",
    "committee_room": "Polling-day committee room",
}

LINK_PREFIX = "e-"


@dataclass(frozen=True)
class Event:
    id: int
    code: str
    kind: str
    title: str
    area: str
    address: str | None
    latitude: float | None
    longitude: float | None
    status: str
    created_by: int | None
    created_at: datetime
    cancelled_at: datetime | None
    reminder_offsets: str | None = None
    min_helpers: int | None = None

    @property
    def link_payload(self) -> str:
        return f"{LINK_PREFIX}{self.code}"

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Shift:
    id: int
    event_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    note: str | None
    status: str
    cancelled_at: datetime | None
    going: int = 0
    waitlisted: int = 0

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.going, 0)

    def open_at(self, at: datetime, event_status: str = EventStatus.ACTIVE) -> bool:
        """Whether volunteers can still answer for it (see :func:`open_for_answers`); callers
        that hold the event pass its status, the rest have already checked it."""
        return open_for_answers(event_status, self.status, self.starts_at, at)


def open_for_answers(
    event_status: str, shift_status: str, starts_at: datetime, at: datetime
) -> bool:
    """The one rule for whether a shift still takes answers: neither it nor its event has been
    cancelled, and it has not started."""
    return (
        event_status == EventStatus.ACTIVE and shift_status == EventStatus.ACTIVE and starts_at > at
    )


TITLE_MAX = 120
AREA_MAX = 64
ADDRESS_MAX = 200
NOTE_MAX = 200
CAPACITY_MAX = 1000


class BadEventInput(ValueError):
    """Input we cannot take; ``reason`` is a short code texts turn into a friendly reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ShiftDraft:
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    capacity: int
    note: str | None = None


@dataclass(frozen=True)
class EventDraft:
    kind: str
    title: str
    area: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    shifts: tuple[ShiftDraft, ...] = field(default_factory=tuple)


def clean_text(raw: str, limit: int, reason: str) -> str:
    """One line of organiser text: spaces folded, no control characters, within ``limit``."""
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in raw.replace("\n", " ")):
        raise BadEventInput(reason)
    text = " ".join(raw.split())
    if not text or len(text) > limit:
        raise BadEventInput(reason)
    return text


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(r"^(?:[a-z]+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)(?:\s+(\d{4}))?$")


def date_parts(raw: str) -> tuple[int, int, int | None] | None:
    """Day, month and year (None when not given) of a day written the British way: "14/3",
    "14/03/2027", "2027-03-14", "Sat 14 Mar", "14 March"; None if it is not a date at all."""
    text = raw.strip().lower()
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
        return day, month, year
    if match := _NUMERIC.match(text):
        year = int(match[3]) if match[3] else None
        return (
            int(match[1]),
            int(match[2]),
            (year + 2000 if year is not None and year < 100 else year),
        )
    if (match := _WORDS.match(text)) and match[2] in _MONTHS:
        return int(match[1]), _MONTHS[match[2]], int(match[3]) if match[3] else None
    return None


def parse_date(raw: str, today: date) -> date:
    """A day for an event. Without a year, the next such day on or after ``today``. Days in the
    past are refused."""
    parts = date_parts(raw)
    if parts is None:
        raise BadEventInput("date")
    day, month, year = parts
    try:
        if year is None:
            found = date(today.year, month, day)
            if found < today:
                found = date(today.year + 1, month, day)
        else:
            found = date(year, month, day)
    except ValueError:
        raise BadEventInput("date") from None
    if found < today:
        raise BadEventInput("date_past")
    return found


_CLOCK = r"(\d{1,2})(?::|\.)?(\d{2})?\s*(am|pm)?"
_SHIFT = re.compile(rf"^{_CLOCK}\s*(?:-|–|to)\s*{_CLOCK}\s+(\d+)(?:\s+(.*))?$", re.IGNORECASE)


def _clock(hours: str, minutes: str | None, half: str | None) -> time:
    hour, minute = int(hours), int(minutes or 0)
    if half:
        if not 1 <= hour <= 12:
            raise BadEventInput("shift")
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise BadEventInput("shift")
    return time(hour, minute)


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Wall-clock time on ``day`` in ``zone`` as UTC. In the spring-forward gap the clocks skip,
    zoneinfo reads the time with the earlier offset, which lands it just after the change."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def parse_shift(raw: str, day: date, zone: ZoneInfo) -> ShiftDraft:
    """ "10:00-13:00 20 bring comfy shoes": start, end, capacity and an optional note."""
    match = _SHIFT.match(raw.strip())
    if not match:
        raise BadEventInput("shift")
    start = _clock(match[1], match[2], match[3])
    end = _clock(match[4], match[5], match[6])
    capacity = int(match[7])
    if not 1 <= capacity <= CAPACITY_MAX:
        raise BadEventInput("capacity")
    starts_at = local_to_utc(day, start, zone)
    # A shift that ends at or before it starts runs past midnight (a late count, say).
    end_day = day + timedelta(days=1) if end <= start else day
    ends_at = local_to_utc(end_day, end, zone)
    if ends_at - starts_at > timedelta(hours=16):
        raise BadEventInput("shift")
    note = clean_text(match[8], NOTE_MAX, "note") if match[8] and match[8].strip() else None
    return ShiftDraft(starts_at=starts_at, ends_at=ends_at, capacity=capacity, note=note)
