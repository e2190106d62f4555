"""RSVP rules that need no database: reading an answer from words, which shifts an answer
covers, when dropping out counts as late, and waitlist places in words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.statuses import RsvpStatus

# Checked in this order: "not sure" is a maybe before it is a no, "can't" a no before "can".
_MAYBE = re.compile(
    r"\b(maybe|might|possibly|perhaps|not sure|unsure|probably|hopefully|tbc|depends)\b"
)
_NO = re.compile(
    r"(\bno\b|\bnope\b|\bnah\b|can'?t|cannot|can not|\bunable\b|won'?t|\bnot able\b|"
    r"\bbusy\b|\bsorry\b|\bnot (coming|going|free|available)\b|^n$)"
)
_YES = re.compile(
    r"(\byes\b|\byeah\b|\byep\b|\byup\b|\bsure\b|\bok\b|\bokay\b|i'?m in\b|count me in|"
    r"\bgoing\b|\bi'?ll be there\b|\bsee you\b|\bdefinitely\b|\babsolutely\b|\bin\b!*$|^y$|👍)"
)


def read_answer(text: str) -> str | None:
    """'yes', "I'm in", 'count me in' -> going; 'maybe' -> maybe; 'no', "can't" -> cant."""
    words = " ".join(text.lower().replace("’", "'").split())
    if not words or len(words) > 80:
        return None
    if _MAYBE.search(words):
        return RsvpStatus.MAYBE
    if _NO.search(words):
        return RsvpStatus.CANT
    if _YES.search(words):
        return RsvpStatus.GOING
    return None


def ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@dataclass(frozen=True)
class Promotion:
    """Someone moved from the waitlist to going because a place came free."""

    shift_id: int
    volunteer_id: int
    telegram_id: int | None


@dataclass(frozen=True)
class Outcome:
    shift_id: int
    status: str
    previous: str | None
    position: int | None = None  # place on the waitlist, from 1
    promoted: tuple[Promotion, ...] = ()

    @property
    def changed(self) -> bool:
        return self.status != self.previous

    @property
    def moves_queue(self) -> bool:
        """Whether those behind on the waitlist move up: someone left it, or a freed place went
        to its front."""
        return self.changed and (self.previous == RsvpStatus.WAITLISTED or bool(self.promoted))


class ShiftClosed(Exception):
    """The shift was cancelled, its event was cancelled, or it has started."""


def shifts_to_answer(
    answer: str, shift_ids: Iterable[int], answered: Mapping[int, str]
) -> list[int]:
    """The shifts an answer covers. A maybe covers only the shifts not answered yet: it never
    undoes a "going" (nor a "can't")."""
    if answer != RsvpStatus.MAYBE:
        return list(shift_ids)
    return [shift_id for shift_id in shift_ids if shift_id not in answered]


def is_late_cancel(outcome: Outcome, starts_at: datetime, at: datetime, window: timedelta) -> bool:
    """Dropping out of a shift one was going to, within ``window`` of its start."""
    dropped = outcome.previous == RsvpStatus.GOING and outcome.status != RsvpStatus.GOING
    return dropped and starts_at - at <= window
