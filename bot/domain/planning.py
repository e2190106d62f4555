"""What scheduled work a shift or a shift call gets, when it falls due, and whether work that
fell due while the bot was down still means something. Plain rules, no database."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Kind(StrEnum):
    REMINDER = "reminder"
    CHECKIN = "checkin"
    TURNOUT = "turnout"
    DEBRIEF = "debrief"
    FINAL = "final"
    FORECAST = "forecast"
    CHASER = "chaser"
    CLOSE = "close"
    DIGEST = "digest"
    RETENTION = "retention"
    COUNTDOWN = "countdown"
    POLLS_CLOSED = "polls_closed"
    BOARD = "board"  # a live polling-day board's next edit (bot.services.board)
    SURGE = "surge"  # a surge's next batch, if it is still short (detail: the surge's id)


# Reminders this far ahead or more ask "Still coming?"; nearer ones bring the meeting point.
ASK_STILL_COMING_FROM = timedelta(hours=12)
TURNOUT_AFTER_START = timedelta(minutes=30)
FINAL_AFTER_END = timedelta(minutes=30)
FORECAST_BEFORE = timedelta(hours=48)
# How long after a shift debriefs and final reports are still worth sending.
AFTERWARDS_FOR = timedelta(hours=24)
# A morning digest that comes later than this is not worth sending that day.
DIGEST_LATEST = timedelta(hours=10)

_OFFSET = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class BadOffsets(ValueError):
    pass


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """ "24h,2h" -> (24 hours, 2 hours), largest first. Units: d, h, m."""
    found = set()
    for part in text.split(","):
        if not part.strip():
            continue
        match = _OFFSET.match(part.lower())
        if not match or int(match[1]) == 0:
            raise BadOffsets(part.strip())
        found.add(timedelta(**{_UNITS[match[2]]: int(match[1])}))
    if not found:
        raise BadOffsets(text)
    return tuple(sorted(found, reverse=True))


def offsets_text(offsets: tuple[timedelta, ...]) -> str:
    """(24 hours, 90 minutes) -> "24h,90m": the way organisers type them."""
    parts = []
    for offset in offsets:
        minutes = int(offset.total_seconds() // 60)
        if minutes % (24 * 60) == 0:
            parts.append(f"{minutes // (24 * 60)}d")
        elif minutes % 60 == 0:
            parts.append(f"{minutes // 60}h")
        else:
            parts.append(f"{minutes}m")
    return ",".join(parts)


def offset_code(offset: timedelta) -> str:
    return f"{int(offset.total_seconds() // 60)}m"


def before(moment: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    """``offset`` before ``moment`` on the wall clock: "2 hours before a 10:00 shift" is 08:00 and
    "24 hours before" is 10:00 the day before, on the days the clocks change too."""
    local = moment.astimezone(zone).replace(tzinfo=None) - offset
    return local.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Planned:
    kind: Kind
    detail: str
    due_at: datetime


def shift_work(
    starts_at: datetime, ends_at: datetime, offsets: tuple[timedelta, ...], zone: ZoneInfo
) -> list[Planned]:
    work = [Planned(Kind.REMINDER, offset_code(o), before(starts_at, o, zone)) for o in offsets]
    work += [
        Planned(Kind.FORECAST, "", before(starts_at, FORECAST_BEFORE, zone)),
        Planned(Kind.CHECKIN, "", starts_at),
        Planned(Kind.TURNOUT, "", starts_at + TURNOUT_AFTER_START),
        Planned(Kind.DEBRIEF, "", ends_at),
        Planned(Kind.FINAL, "", ends_at + FINAL_AFTER_END),
    ]
    return work


def callout_work(deadline: datetime, chase_before: timedelta) -> list[Planned]:
    return [
        Planned(Kind.CHASER, "", deadline - chase_before),
        Planned(Kind.CLOSE, "", deadline),
    ]


def still_meaningful(
    kind: Kind, at: datetime, *, starts_at: datetime, ends_at: datetime, deadline: datetime | None
) -> bool:
    """Whether work that is due (perhaps long ago, if the bot was down) is still worth doing."""
    if kind in (Kind.REMINDER, Kind.FORECAST):
        return at < starts_at
    if kind in (Kind.CHECKIN, Kind.TURNOUT):
        return at < ends_at
    if kind in (Kind.DEBRIEF, Kind.FINAL):
        return at < ends_at + AFTERWARDS_FOR
    if kind is Kind.CHASER:
        return deadline is not None and at < deadline
    if kind is Kind.DIGEST:
        return at < starts_at + DIGEST_LATEST
    if kind is Kind.RETENTION:
        return True  # late is still worth doing: it only ever waits longer than the rule says
    return at < starts_at  # the close report helps only before the shift


def expected_turnout(show_rates: Iterable[float]) -> float:
    """How many of those going are likely to come: the sum of their show rates, unrounded but
    for float noise, so that rates such as ten times 0.1 make a whole person and not a hair
    less. A forecast is short whenever this is below the number needed, by however little."""
    return round(math.fsum(show_rates), 6)


def default_deadline(
    first_start: datetime, sent_at: datetime, before_start: timedelta
) -> datetime | None:
    """The RSVP deadline a call gets: ``before_start`` ahead of its first shift, if that is still
    to come when the call goes out."""
    deadline = first_start - before_start
    return deadline if deadline > sent_at else None


def can_send_at(send_at: datetime, at: datetime, starts: Iterable[datetime]) -> bool:
    """Whether a call may be scheduled for ``send_at``: still to come, and before the first of
    its shifts starts (a call with no shift left to answer for may not be scheduled at all)."""
    starts = list(starts)
    return bool(starts) and at < send_at < min(starts)


def digest_due(at: datetime, digest_time: time, zone: ZoneInfo) -> tuple[date, datetime]:
    """Today's local date and when today's digest is due."""
    today = at.astimezone(zone).date()
    return today, datetime.combine(today, digest_time, tzinfo=zone).astimezone(UTC)


# The daily retention work (bot.services.retention) runs at this local time, when all is quiet.
RETENTION_TIME = time(3, 0)


def retention_due(at: datetime, zone: ZoneInfo) -> tuple[date, datetime]:
    """Today's local date and when today's retention work is due."""
    return digest_due(at, RETENTION_TIME, zone)


# Polling-day countdown messages to those who pledged (bot.services.polling): a week before and
# the day before at this local time, and on the morning at 07:00 or an hour before polls open,
# whichever is earlier.
COUNTDOWN_TIME = time(18, 0)
MORNING_LATEST = time(7, 0)
BEFORE_POLLS = timedelta(hours=1)


class Countdown(StrEnum):
    WEEK = "week"
    EVE = "eve"
    MORNING = "morning"


def countdown_work(day: date, opens: time, zone: ZoneInfo) -> list[Planned]:
    """When an election's countdown messages go (as UTC), each told apart by ``detail``."""
    opening = datetime.combine(day, opens)
    morning = min(datetime.combine(day, MORNING_LATEST), opening - BEFORE_POLLS)
    local = {
        Countdown.WEEK: datetime.combine(day - timedelta(days=7), COUNTDOWN_TIME),
        Countdown.EVE: datetime.combine(day - timedelta(days=1), COUNTDOWN_TIME),
        Countdown.MORNING: morning,
    }
    return [
        Planned(Kind.COUNTDOWN, which.value, moment.replace(tzinfo=zone).astimezone(UTC))
        for which, moment in local.items()
    ]


def countdown_detail(election_id: int, which: str) -> str:
    """An election's countdown work is told apart by its id and which message it is."""
    return f"e{election_id}.{which}"


def read_countdown_detail(detail: str) -> tuple[int, str]:
    """(election id, which message) back from :func:`countdown_detail`."""
    election_id, _, which = detail.removeprefix("e").partition(".")
    return int(election_id), which


def countdown_meaningful(
    which: str, at: datetime, *, due_at: datetime, closes_at: datetime
) -> bool:
    """A countdown message that fell due while the bot was down goes only while it is still
    true: the week's and the eve's before polling day's morning would follow, the morning's
    while the polls are open."""
    if which == Countdown.MORNING:
        return at < closes_at
    return at < due_at + timedelta(hours=12)


# The polling-day report goes at the close of polls; one that fell due while the bot was down
# still goes within this long after (it says what happened), not later.
POLLS_CLOSED_LATE_BY = timedelta(hours=24)


def polls_closed_work(day: date, closes: time, zone: ZoneInfo) -> Planned:
    """When an election's polling-day report goes (as UTC): its close of polls, local time."""
    moment = datetime.combine(day, closes).replace(tzinfo=zone).astimezone(UTC)
    return Planned(Kind.POLLS_CLOSED, "close", moment)


def polls_closed_meaningful(at: datetime, due_at: datetime) -> bool:
    return at < due_at + POLLS_CLOSED_LATE_BY
