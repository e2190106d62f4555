"""Polling day's knock-up rounds, free of Telegram and SQL: who may go "Out on a round", what
"Back" closes, which doors answers count, and the running total a helper is shown.

A round belongs to one answer for a committee room's shift (its rsvp). It is open (out) until
they come back; its doors are said once, after it is closed, and are then added to the shift's
doors (so every report that counts doors counts rounds). A round still open when the shift ends
stays open until they tap Back: they are out knocking, and the doors they bring back count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.polling import COMMITTEE_ROOM

# More doors than anyone knocks on in one round: a typo, not an answer.
ROUND_DOORS_MAX = 1000
# The doors question's buttons; any other number may be typed.
ROUND_DOORS_BUTTONS = (0, 10, 20, 30, 50)

# "25", "25 doors", "about 25", "~25": a number of doors, typed.
_DOORS = re.compile(r"(?:about|around|roughly|~)?\s*([0-9]{1,6})\s*\+?\s*(?:doors?)?", re.I)


@dataclass(frozen=True)
class Round:
    """One trip out from the committee room: out since ``out_at``, back at ``back_at`` (None:
    still out), with the doors said for it (None: not said yet)."""

    id: int
    rsvp_id: int
    volunteer_id: int
    shift_id: int
    out_at: datetime
    back_at: datetime | None
    doors: int | None

    @property
    def out(self) -> bool:
        return self.back_at is None


class Refused(StrEnum):
    """Why a tap on Out, Back or a number of doors changed nothing."""

    NOT_A_ROOM = "not_a_room"  # the shift is not a committee room's
    NOT_HERE = "not_here"  # they have not checked in to it
    OVER = "over"  # the shift has ended or was cancelled: no new round
    ALREADY_OUT = "already_out"
    NOT_OUT = "not_out"  # Back, with no round open
    UNKNOWN = "unknown"  # not their round, or no such round (a stale or forged button)
    STILL_OUT = "still_out"  # doors for a round not closed yet
    ALREADY_SAID = "already_said"  # doors for a round already said
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class Standing:
    """Where someone stands on a shift, as the rules need it."""

    committee_room: bool
    came: bool
    on: bool  # the shift is active and has not ended
    out: bool  # a round of theirs is open


def is_committee_room(kind: str) -> bool:
    return kind == COMMITTEE_ROOM


def may_go_out(standing: Standing) -> Refused | None:
    """None when they may start a round; else why not."""
    if not standing.committee_room:
        return Refused.NOT_A_ROOM
    if not standing.came:
        return Refused.NOT_HERE
    if standing.out:
        return Refused.ALREADY_OUT
    if not standing.on:
        return Refused.OVER
    return None


def may_come_back(standing: Standing) -> Refused | None:
    """None when a round is open to close. Coming back is allowed after the shift ended or was
    cancelled: the round they are on is theirs to finish."""
    return None if standing.out else Refused.NOT_OUT


def may_say_doors(found: Round | None, volunteer_id: int, doors: int) -> Refused | None:
    """None when ``doors`` may be kept as round ``found``'s doors, said by ``volunteer_id``."""
    if found is None or found.volunteer_id != volunteer_id:
        return Refused.UNKNOWN
    if found.out:
        return Refused.STILL_OUT
    if found.doors is not None:
        return Refused.ALREADY_SAID
    if not 0 <= doors <= ROUND_DOORS_MAX:
        return Refused.TOO_MANY
    return None


def typed_doors(text: str) -> int | None:
    """The number of doors in typed words ("25", "25 doors", "about 25"), or None."""
    match = _DOORS.fullmatch(text.strip())
    return int(match[1]) if match else None


@dataclass(frozen=True)
class Tally:
    """Rounds come back from and the doors said for them: "3 rounds, 87 doors so far"."""

    rounds: int
    doors: int


def tally(rounds: Iterable[Round]) -> Tally:
    done = [r for r in rounds if not r.out]
    return Tally(len(done), sum(r.doors or 0 for r in done))
