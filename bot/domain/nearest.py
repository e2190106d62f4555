"""Where a volunteer is needed: the one rule that weighs a session's need against its distance.

It is plain values in, a score and the reasons out, so that /nearest, polling day's room offers
(bot.services.offers), and later surges, rank by the same rule. The README states it for
volunteers ("How /nearest chooses"); keep the two in step.

need = room x own x target x day
  room:   the share of the session's places still free (a full session needs nobody: 0)
  own:    when the session itself says how many helpers it wants (a committee room's target per
          shift): as ``day`` below, over the session's own helpers going; 1 when it does not say
  target: 3 for a priority-1 target, 2 for priority 2, 1.5 for priority 3, 1 for no target
  day:    when the target said how many helpers it wants that day: 1 + the share still missing
          while it is short (up to 2), 0.5 once it has them all, 0.1 once it has half as many again
score = need / (1 + km / HALF_WEIGHT_KM)

Highest score first; equal scores nearest first. Since the score never grows with distance and
never shrinks with need, a session further away never comes above a nearer one that needs
people as much or more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

# A session this far away counts half as much as one on the doorstep (a third at twice this).
HALF_WEIGHT_KM = 5.0
# How far /nearest looks for sessions (the widest shift-call radius), and how many it shows.
REACH_KM = 25.0
SHOWN = 5
DAYS_AHEAD = 14

PRIORITY_WEIGHT = {1: 3.0, 2: 2.0, 3: 1.5}
NO_TARGET_WEIGHT = 1.0
# A target with all the helpers it wants that day, and with half as many again ("well above").
MET_WEIGHT = 0.5
WELL_ABOVE = 1.5
WELL_ABOVE_WEIGHT = 0.1


@dataclass(frozen=True)
class Candidate:
    """A session as the rule sees it."""

    capacity: int
    going: int
    # The target the session works for, if any: its priority (1 most wanted) and kind.
    priority: int | None = None
    target_kind: str | None = None
    # Helpers the target wants that day (None: not said) and how many have said going.
    wanted: int | None = None
    booked: int = 0
    # Helpers the session itself wants (a committee room's target per shift, summed over the
    # shifts weighed together); None: it did not say.
    wanted_here: int | None = None
    # Best guess of the distance, centre to centre, and how far off it may be (a place known
    # only by its postcode sector, either end).
    km: float = 0.0
    allowance_km: float = 0.0

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.going, 0)

    @property
    def still_wanted(self) -> int:
        """Helpers the session still wants: up to its own target where it has one, else its
        places; never more than the places left."""
        wanted = self.wanted_here if self.wanted_here is not None else self.capacity
        return min(max(wanted - self.going, 0), self.places_left)


class DayNeed(StrEnum):
    """How a target is doing for helpers on the session's day."""

    UNKNOWN = "unknown"  # it did not say how many it wants
    SHORT = "short"
    MET = "met"
    WELL_ABOVE = "well_above"


@dataclass(frozen=True)
class Why:
    """What the score stands on, for the line a volunteer reads (bot.texts.nearest_why)."""

    places_left: int
    full: bool
    priority: int | None
    target_kind: str | None
    day: DayNeed
    helpers_short: int  # helpers the target still wants that day (0 unless SHORT)
    km: float
    approximate: bool


@dataclass(frozen=True)
class Weighed:
    score: float
    need: float
    why: Why


def day_need(wanted: int | None, booked: int) -> tuple[DayNeed, float]:
    """How a target is doing for helpers that day (or a session for its own target), and the
    factor it puts on the need."""
    if wanted is None or wanted <= 0:
        return DayNeed.UNKNOWN, 1.0
    if booked >= WELL_ABOVE * wanted:
        return DayNeed.WELL_ABOVE, WELL_ABOVE_WEIGHT
    if booked >= wanted:
        return DayNeed.MET, MET_WEIGHT
    return DayNeed.SHORT, 1.0 + (wanted - booked) / wanted


def need(candidate: Candidate) -> float:
    """How much a session needs people, distance aside: 0 when it is full."""
    if candidate.capacity <= 0:
        return 0.0
    room = candidate.places_left / candidate.capacity
    target = (
        PRIORITY_WEIGHT.get(candidate.priority, NO_TARGET_WEIGHT)
        if candidate.priority is not None
        else NO_TARGET_WEIGHT
    )
    _, own = day_need(candidate.wanted_here, candidate.going)
    _, day = day_need(candidate.wanted, candidate.booked)
    return room * own * target * day


def weigh(candidate: Candidate) -> Weighed:
    """The session's score (need against distance) and why."""
    needed = need(candidate)
    km = max(candidate.km, 0.0)
    day, _ = day_need(candidate.wanted, candidate.booked)
    return Weighed(
        score=needed / (1.0 + km / HALF_WEIGHT_KM),
        need=needed,
        why=Why(
            places_left=candidate.places_left,
            full=candidate.places_left == 0,
            priority=candidate.priority,
            target_kind=candidate.target_kind,
            day=day,
            helpers_short=(
                (candidate.wanted or 0) - candidate.booked if day == DayNeed.SHORT else 0
            ),
            km=km,
            approximate=candidate.allowance_km > 0,
        ),
    )


def within_reach(km: float, allowance_km: float, reach_km: float = REACH_KM) -> bool:
    """Whether a place ``km`` away (best guess), maybe ``allowance_km`` out, could be within
    ``reach_km``."""
    return km - allowance_km <= reach_km


T = TypeVar("T")


def rank(items: Iterable[tuple[T, Candidate]]) -> list[tuple[T, Weighed]]:
    """Best first: highest score, then nearest, then the order given (soonest, say)."""
    weighed = [(item, weigh(candidate), order) for order, (item, candidate) in enumerate(items)]
    weighed.sort(key=lambda found: (-found[1].score, found[1].why.km, found[2]))
    return [(item, w) for item, w, _ in weighed]
