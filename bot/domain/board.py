"""The live polling-day board, free of Telegram and SQL: what one committee room's line says
(helpers in now, out on rounds, back, expected next, not arrived, doors) worked out from its
shifts and the people on them, and the order of the rooms (short of helpers first)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Ended(StrEnum):
    """Why a board stopped being edited."""

    STOP = "stop"  # someone tapped Stop (or typed it)
    CLOSED = "closed"  # polls closed: the last edit says so
    GONE = "gone"  # the message was deleted, or the bot left the group
    REPLACED = "replaced"  # a newer board in the same chat took over


@dataclass(frozen=True)
class RoomShift:
    id: int
    starts_at: datetime
    ends_at: datetime
    wanted: int  # helpers wanted: the room's target, else the shift's places


@dataclass(frozen=True)
class OnShift:
    """One person going to (or walked in to) one of a room's shifts, as the board counts them."""

    shift_id: int
    came: bool  # checked in (or marked present)
    out: bool  # out on a round now
    rounds_back: int  # rounds they have come back from
    doors: int  # doors knocked so far (each round's are added as they come back)


@dataclass(frozen=True)
class RoomLine:
    room_id: int
    title: str
    here: int  # checked in on a shift not yet over, in the room or out on a round
    out: int  # of those, out on a round now
    back: int  # of those in the room, who have been out and come back
    wanted: int  # helpers wanted now (0: no shift on now)
    not_arrived: int  # said going to a shift on now, not checked in
    next_starts: datetime | None  # the next shift to start, if any today
    expected: int  # said going to that next shift
    doors: int

    @property
    def short(self) -> int:
        """How many more helpers the room wants now."""
        return max(self.wanted - self.here, 0)


def wanted(min_helpers: int | None, capacity: int) -> int:
    """The helpers a room's shift wants: the room's target per shift, else the shift's places."""
    return min_helpers or capacity


def room_line(
    room_id: int,
    title: str,
    shifts: Iterable[RoomShift],
    people: Iterable[OnShift],
    at: datetime,
) -> RoomLine:
    """One room's figures at ``at``. A helper counts as in from check-in (which may be a little
    early) until their shift ends; a shift is on from its start to its end."""
    shifts = list(shifts)
    people = list(people)
    by_id = {shift.id: shift for shift in shifts}
    on = {shift.id for shift in shifts if shift.starts_at <= at < shift.ends_at}
    upcoming = sorted(
        (shift for shift in shifts if shift.starts_at > at), key=lambda s: (s.starts_at, s.id)
    )
    next_shift = upcoming[0] if upcoming else None
    present = [
        p for p in people if p.came and p.shift_id in by_id and at < by_id[p.shift_id].ends_at
    ]
    # One person on two overlapping shifts of a room is still one pair of hands: counted per
    # answer, as the check-in records them.
    return RoomLine(
        room_id=room_id,
        title=title,
        here=len(present),
        out=sum(p.out for p in present),
        back=sum(1 for p in present if not p.out and p.rounds_back > 0),
        wanted=max((by_id[s].wanted for s in on), default=0),
        not_arrived=sum(1 for p in people if p.shift_id in on and not p.came),
        next_starts=next_shift.starts_at if next_shift else None,
        expected=sum(1 for p in people if next_shift and p.shift_id == next_shift.id),
        doors=sum(p.doors for p in people),
    )


def ordered(lines: Iterable[RoomLine]) -> list[RoomLine]:
    """Rooms short of helpers first, the shortest first; then by name."""
    return sorted(lines, key=lambda line: (-line.short, line.title.casefold(), line.room_id))


def fingerprint(text: str) -> str:
    """What a board shows, short: an edit to the same text is not sent (Telegram refuses it)."""
    return hashlib.sha256(text.encode()).hexdigest()


def next_turn(at: datetime, every_minutes: int, closes_at: datetime) -> datetime:
    """When a live board is next brought up to date: every few minutes, and at the close of polls
    itself, so that its last edit says the polls have closed as they do, not minutes later."""
    return min(at + timedelta(minutes=every_minutes), closes_at)
