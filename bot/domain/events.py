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
    # The target (the targets table) this event works for, if any, and its name.
    target_id: int | None = None
    # A committee room's manager (a volunteer id); None: its area's organisers.
    manager_id: int | None = None
    target_name: str | None = None

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


def open_for_joining(
    event_status: str, shift_status: str, ends_at: datetime, at: datetime
) -> bool:
    """A surge's helper (bot.services.surge) joins a shift already under way: it takes them
    until it ends, unless it or its event has been cancelled."""
    return (
        event_status == EventStatus.ACTIVE and shift_status == EventStatus.ACTIVE and ends_at > at
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
    # The target it works for, by name as stored (the CSV's target column); None: the target
    # its area names, if any.
    target: str | None = None


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
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
# Any of "/", ".", "-" or spaces between the parts: "14/3/27", "14-3-2027", "14.3.27", "14 3 27".
_SEP = r"\s*[/.\-]\s*|\s+"
_NUMERIC = re.compile(rf"^(\d{{1,2}})(?:{_SEP})(\d{{1,2}})(?:(?:{_SEP})(\d{{2}}|\d{{4}}))?$")
_ISO = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
_WORDS = re.compile(
    rf"^(\d{{1,2}})(?:st|nd|rd|th)?(?:{_SEP})([a-z]+)\.?(?:(?:{_SEP})(\d{{2}}|\d{{4}}))?$"
)
# "March 14", "Mar 14th 2027": month first, as some people write it.
_MONTH_FIRST = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{2}|\d{4}))?$")
_LEADING_WORD = re.compile(r"^([a-z]+)\.?,?\s+(?=\d)")


@dataclass(frozen=True)
class DateParts:
    """A day as written: day, month, year (None when not given) and weekday (0 is Monday; None
    when not given)."""

    day: int
    month: int
    year: int | None
    weekday: int | None = None


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    return int(raw) + 2000 if len(raw) == 2 else int(raw)


def date_parts(raw: str) -> DateParts | None:
    """A day written the British way, with any separator: "14/3", "14-03-2027", "14.3.27",
    "2027-03-14", "Sat 14 Mar", "14 March 27", "Saturday, 14th March". None if it is not a date,
    or starts with a word that is not a weekday ("banana 14 Mar")."""
    text = " ".join(raw.strip().lower().split())
    weekday = None
    if (lead := _LEADING_WORD.match(text)) and lead[1] not in _MONTHS:
        if lead[1] not in _WEEKDAYS:
            return None
        weekday = _WEEKDAYS[lead[1]]
        text = text[lead.end() :]
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
        return DateParts(day, month, year, weekday)
    if match := _NUMERIC.match(text):
        return DateParts(int(match[1]), int(match[2]), _year(match[3]), weekday)
    if (match := _WORDS.match(text)) and match[2] in _MONTHS:
        return DateParts(int(match[1]), _MONTHS[match[2]], _year(match[3]), weekday)
    if (match := _MONTH_FIRST.match(text)) and match[1] in _MONTHS:
        return DateParts(int(match[2]), _MONTHS[match[1]], _year(match[3]), weekday)
    return None


class WrongWeekday(BadEventInput):
    """The weekday typed does not fall on the date typed: ``readings`` are the date as written
    and the nearest day with that weekday, for the person to choose between."""

    def __init__(self, written: date, weekday: int, today: date) -> None:
        super().__init__("weekday")
        self.written = written
        self.weekday = weekday
        ahead = (weekday - written.weekday()) % 7
        behind = written + timedelta(days=ahead - 7)
        # The nearer of the two days with that weekday, unless it has already gone.
        closer = behind if 7 - ahead < ahead else written + timedelta(days=ahead)
        self.nearest = closer if closer >= today else written + timedelta(days=ahead)


def parse_date(raw: str, today: date) -> date:
    """A day for an event, in the campaign's local calendar: "today", "tomorrow", a weekday
    ("Saturday": the next one after today) or a date (see :func:`date_parts`). Without a
    year, the next such day on or after ``today``. Days in the past are refused
    ("date_past"); a weekday that does not match the date raises :class:`WrongWeekday`."""
    text = " ".join(raw.strip().lower().rstrip(".!").split())
    if text == "today":
        return today
    if text == "tomorrow":
        return today + timedelta(days=1)
    if (named := text.removeprefix("next ").removeprefix("this ")) in _WEEKDAYS:
        return today + timedelta(days=(_WEEKDAYS[named] - today.weekday() - 1) % 7 + 1)
    parts = date_parts(text)
    if parts is None:
        raise BadEventInput("date")
    try:
        if parts.year is None:
            found = date(today.year, parts.month, parts.day)
            if found < today:
                found = date(today.year + 1, parts.month, parts.day)
        else:
            found = date(parts.year, parts.month, parts.day)
    except ValueError:
        raise BadEventInput("date") from None
    if found < today:
        raise BadEventInput("date_past")
    if parts.weekday is not None and parts.weekday != found.weekday():
        raise WrongWeekday(found, parts.weekday, today)
    return found


MAX_SHIFT = timedelta(hours=16)
# An overnight shift longer than this may be a slip for an afternoon end ("10-1"): asked about.
CLEARLY_OVERNIGHT = timedelta(hours=12)

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


_TIME_OF_DAY = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


def read_time(raw: str) -> time:
    """A time of day on its own: "18:00", "18.00", "6pm", "6:30pm". A bare "6" could be morning or
    evening, so it is refused ("time")."""
    match = _TIME_OF_DAY.match(raw.strip())
    if not match or not (match[2] or match[3]):
        raise BadEventInput("time")
    try:
        return _clock(match[1], match[2], match[3])
    except BadEventInput:
        raise BadEventInput("time") from None


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Wall-clock time on ``day`` in ``zone`` as UTC. In the spring-forward gap the clocks skip,
    zoneinfo reads the time with the earlier offset, which lands it just after the change."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


class AmbiguousShift(BadEventInput):
    """An end before the start that makes a long overnight shift ("10-1": 10:00 to 01:00, 15
    hours) may have meant the afternoon: ``readings`` are the (start, end) pairs it could be,
    the same-day one first when there is one."""

    def __init__(
        self,
        readings: tuple[tuple[datetime, datetime], ...],
        capacity: int = 0,
        note: str | None = None,
    ) -> None:
        super().__init__("ambiguous")
        self.readings = readings
        self.capacity = capacity
        self.note = note

    def drafts(self) -> list[ShiftDraft]:
        """Each reading as the shift it would make (for a line that gave places and a note)."""
        return [ShiftDraft(start, end, self.capacity, self.note) for start, end in self.readings]


def shift_times(
    day: date, start: time, end: time, zone: ZoneInfo, *, next_day: bool = False
) -> tuple[datetime, datetime]:
    """The one rule for a shift's start and end (UTC) from local times on ``day``.

    An end at or before the start is on the next day. Such a shift lasting more than
    :data:`CLEARLY_OVERNIGHT` is never taken silently: it raises :class:`AmbiguousShift` unless
    ``next_day`` says the person meant it. Over :data:`MAX_SHIFT` is refused ("too_long")."""
    starts_at = local_to_utc(day, start, zone)
    overnight = next_day or end <= start
    ends_at = local_to_utc(day + timedelta(days=1) if overnight else day, end, zone)
    if ends_at - starts_at > MAX_SHIFT:
        raise BadEventInput("too_long")
    if overnight and not next_day and ends_at - starts_at > CLEARLY_OVERNIGHT:
        readings = []
        if end.hour < 12 and time(end.hour + 12, end.minute) > start:
            readings.append((starts_at, local_to_utc(day, time(end.hour + 12, end.minute), zone)))
        readings.append((starts_at, ends_at))
        raise AmbiguousShift(tuple(readings))
    return starts_at, ends_at


def parse_shift(raw: str, day: date, zone: ZoneInfo) -> ShiftDraft:
    """ "10:00-13:00 20 bring comfy shoes": start, end, capacity and an optional note. Raises
    BadEventInput ("shift", "capacity", "too_long", "note") or :class:`AmbiguousShift`, whose
    :meth:`AmbiguousShift.drafts` are the shifts it could mean."""
    match = _SHIFT.match(raw.strip())
    if not match:
        raise BadEventInput("shift")
    start = _clock(match[1], match[2], match[3])
    end = _clock(match[4], match[5], match[6])
    capacity = int(match[7])
    if not 1 <= capacity <= CAPACITY_MAX:
        raise BadEventInput("capacity")
    note = clean_text(match[8], NOTE_MAX, "note") if match[8] and match[8].strip() else None
    # "10am-1am" says which day the end is on; "10-1" does not.
    said_next_day = end <= start and bool(match[6])
    try:
        starts_at, ends_at = shift_times(day, start, end, zone, next_day=said_next_day)
    except AmbiguousShift as unsure:
        raise AmbiguousShift(unsure.readings, capacity, note) from None
    except BadEventInput as bad:
        # "8-1": an end typed as a bare hour may be the afternoon, though the night is too long.
        afternoon = time(end.hour + 12, end.minute) if end.hour < 12 else None
        if bad.reason != "too_long" or match[5] or match[6] or not afternoon or afternoon <= start:
            raise
        reading = (local_to_utc(day, start, zone), local_to_utc(day, afternoon, zone))
        raise AmbiguousShift((reading,), capacity, note) from None
    return ShiftDraft(starts_at=starts_at, ends_at=ends_at, capacity=capacity, note=note)
