"""Surges: a committee room's urgent call for helpers right now (issue 12, "on the day").

A room manager says how many they need and how soon; the best people right now are asked in
batches, a batch at a time, until enough say yes, the manager stops it, or nobody is left. These
are the rules; bot.services.surge runs them and db.surges finds the people.

Who is asked (db.surges applies the filters in SQL, :func:`best` the order):
  - pledged for the election for the part of the day the helpers are wanted, or available on
    polling day; on the map, within /nearest's reach of the room;
  - not checked in anywhere today, not going to another room's shift running then;
  - never asked before in this surge, and asked by fewer than the daily cap of surges today;
  - nearest first (in /nearest's standby bands, bot.domain.audience.NEAR_BAND_KM), then the
    most reliable (their share of shifts said going to and came to; newcomers count as the
    NEWCOMER_SHOW_RATE setting), then nearest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar

from bot.domain.audience import NEAR_BAND_KM
from bot.domain.events import Shift
from bot.domain.nearest import REACH_KM
from bot.domain.polling import PARTS, Part, part_span

# If fewer than wanted have said yes this long after a batch was asked, the next is asked.
NEXT_BATCH_AFTER = timedelta(minutes=10)
# Each batch asks this many times the helpers still wanted: not everyone can come at once.
BATCH_FACTOR = 3
WANTED_MAX = 50
# "How soon": minutes from now the helpers are wanted, as offered on the buttons.
SOON_MINUTES = (0, 30, 60)
# How far a surge looks: as far as /nearest does.
SURGE_REACH_KM = REACH_KM


class SurgeStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"  # as many said yes as were wanted
    STOPPED = "stopped"  # the manager stopped it
    EXHAUSTED = "exhausted"  # nobody left to ask (those asked may still say yes)


# Those asked may still say yes and be confirmed, and the manager may stop it.
ASKING = frozenset({SurgeStatus.OPEN, SurgeStatus.EXHAUSTED})


class AskAnswer(StrEnum):
    YES = "yes"  # confirmed: going to the room's shift
    CANT = "cant"
    LATE = "late"  # said yes once it had filled or stopped
    MOVED = "moved"  # took the other room a late yes was sent to


class AfterYes(StrEnum):
    """What a yes comes to."""

    CONFIRM = "confirm"
    REDIRECT = "redirect"  # it has filled: the nearest other room still short, if any
    STOPPED = "stopped"  # the manager stopped it: thanked, nothing else


def after_yes(status: SurgeStatus, confirmed: int, wanted: int) -> AfterYes:
    """The first ``wanted`` to say yes are confirmed; later ones are sent elsewhere, or thanked
    once the manager has stopped the surge."""
    if status is SurgeStatus.STOPPED:
        return AfterYes.STOPPED
    if status in ASKING and confirmed < wanted:
        return AfterYes.CONFIRM
    return AfterYes.REDIRECT


def batch_size(wanted: int, confirmed: int) -> int:
    """How many to ask next: BATCH_FACTOR times the helpers still wanted (none once filled)."""
    return max(wanted - confirmed, 0) * BATCH_FACTOR


class BadSurgeInput(ValueError):
    pass


_NUMBER = re.compile(r"^\s*(\d{1,4})\s*(?:people|helpers|more)?\s*$", re.IGNORECASE)


def parse_wanted(text: str) -> int:
    """ "5", "5 helpers" -> 5; anything else, none or more than WANTED_MAX: BadSurgeInput."""
    match = _NUMBER.match(text)
    if match is None:
        raise BadSurgeInput(text)
    number = int(match[1])
    if not 1 <= number <= WANTED_MAX:
        raise BadSurgeInput(text)
    return number


def part_at(moment: time, opens: time, closes: time) -> Part | None:
    """The part of polling day ``moment`` (local) falls in; None outside the polling hours."""
    for part in PARTS:
        begin, end = part_span(part, opens, closes)
        if begin <= moment < end:
            return part
    return None


def shift_for(shifts: Iterable[Shift], needed_at: datetime) -> Shift | None:
    """The room's shift someone who comes is going to: the one running at ``needed_at``, else the
    next to start after it; None when the room has no shift left."""
    active = sorted(shifts, key=lambda s: (s.starts_at, s.id))
    running = [s for s in active if s.starts_at <= needed_at < s.ends_at]
    if running:
        return running[-1]
    return next((s for s in active if s.starts_at > needed_at), None)


@dataclass(frozen=True)
class Person:
    """Someone who could be asked: how far they are from the room (best guess) and how reliably
    they came to the shifts they said going to (None: no past shifts)."""

    volunteer_id: int
    km: float
    show_rate: float | None


def best(people: Iterable[Person], count: int, newcomer_rate: float) -> list[Person]:
    """The ``count`` best to ask: nearest first in NEAR_BAND_KM bands, then the most reliable,
    then the nearest."""

    def rank(person: Person) -> tuple[int, float, float, int]:
        rate = person.show_rate if person.show_rate is not None else newcomer_rate
        return (int(person.km // NEAR_BAND_KM), -rate, person.km, person.volunteer_id)

    return sorted(people, key=rank)[:count]


def band_end_km(km: float) -> float:
    """Where the band of someone ``km`` away ends: everyone nearer than this is weighed with
    them (so the database fetches whole bands)."""
    return (int(km // NEAR_BAND_KM) + 1) * NEAR_BAND_KM


T = TypeVar("T")


def nearest_short(rooms: Sequence[tuple[T, float, int]]) -> tuple[T, float] | None:
    """Of other rooms (each with its distance in km and the helpers it still wants), the nearest
    within reach that is still short, for a yes that came after the surge filled."""
    short = [(room, km) for room, km, wanted in rooms if wanted > 0 and km <= SURGE_REACH_KM]
    if not short:
        return None
    return min(short, key=lambda found: found[1])
