"""Lifts to a shift: who can drive others and who needs a lift, and which driver to suggest to
which rider.

The rule (also in the README): riders are served in the order they asked. Each is offered the
nearest driver going to the same shift who still has a free seat, who lives within
``LIFT_REACH_KM`` of them (with the allowance for a place known only by its postcode sector, as
every distance rule has), and whom they have not turned down before (or who has not turned them
down). Distance is measured centre to centre between their places. Someone with no place on the
map (a Northern Ireland postcode, which the packaged table does not cover) is paired only with
someone in the same postcode district, and after every pair whose distance is known; anyone else
without a place is not paired at all, since nothing says the lift would help.

A suggestion holds the driver's seat until either person says no. Nothing about either person but
their first name and roughly how far apart they are is shown before both agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.audience import Place, distance_km, near

# The most seats a driver can offer with one tap (a car's back seats and the front one).
MAX_SEATS = 4
# How far apart a driver and a rider may live to be suggested to each other.
LIFT_REACH_KM = 10.0


class LiftRole(StrEnum):
    DRIVER = "driver"
    RIDER = "rider"


class MatchStatus(StrEnum):
    """A suggested pair: suggested -> agreed (both said yes) | declined (either said no, kept so
    the pair is never suggested again). A match released because someone stopped going is
    deleted."""

    SUGGESTED = "suggested"
    AGREED = "agreed"
    DECLINED = "declined"


ACTIVE = (MatchStatus.SUGGESTED, MatchStatus.AGREED)

# What the lift question's buttons carry: a number of seats, "need" a lift, or "none" (neither).
NEED = "need"
NEITHER = "none"
CHOICES = (*(str(n) for n in range(1, MAX_SEATS + 1)), NEED, NEITHER)


@dataclass(frozen=True)
class Lift:
    """A volunteer's answer to "can you drive others, or do you need a lift?" for one shift;
    ``role`` None is neither."""

    role: LiftRole | None
    seats: int = 0

    @classmethod
    def from_code(cls, code: str) -> Lift:
        if code == NEED:
            return cls(LiftRole.RIDER)
        if code == NEITHER:
            return cls(None)
        seats = int(code)
        if not 1 <= seats <= MAX_SEATS:
            raise ValueError(code)
        return cls(LiftRole.DRIVER, seats)

    @property
    def code(self) -> str:
        if self.role is LiftRole.DRIVER:
            return str(self.seats)
        return NEED if self.role is LiftRole.RIDER else NEITHER


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4}
_SEATS = re.compile(
    r"^(?:i )?(?:(?:can|could) )?(?:take|drive|give a lift to|fit|have|got)?\s*"
    r"(?P<n>[0-9]+|one|two|three|four)\s*"
    r"(?:seats?|places?|spaces?|people|persons?|passengers?|others?|more)?"
    r"(?: free| spare)?(?: in my car)?$"
)


def seats_said(words: str) -> int | None:
    """A number of seats in words already folded (bot.domain.answers.fold): "2", "2 seats", "I
    can take 3", "two places"; any number, so one out of range can be answered as such. None if
    the words are not that."""
    match = _SEATS.fullmatch(words.strip())
    if match is None:
        return None
    raw = match["n"]
    return _NUMBERS[raw] if raw in _NUMBERS else int(raw)


def read_seats(words: str) -> int | None:
    """Seats offered in words, if 1 to ``MAX_SEATS``."""
    seats = seats_said(words)
    return seats if seats is not None and 1 <= seats <= MAX_SEATS else None


def first_name(name: str | None) -> str:
    """The part of a name shown to the other person before and after a lift is agreed."""
    words = (name or "").split()
    return words[0] if words else "A volunteer"


def apart_km(one: Place, other: Place) -> float | None:
    """How far apart two people live, centre to centre; None unless both are on the map."""
    if not (one.on_map and other.on_map):
        return None
    return distance_km(one.latitude, one.longitude, other.latitude, other.longitude)  # type: ignore[arg-type]


def about_km(km: float) -> int:
    """A distance as it is shown: whole kilometres, never "0", and no finer than the places are
    known."""
    return max(1, round(km))


@dataclass(frozen=True)
class Driver:
    volunteer_id: int
    place: Place
    free_seats: int


@dataclass(frozen=True)
class Rider:
    volunteer_id: int
    place: Place


@dataclass(frozen=True)
class Suggestion:
    driver_id: int
    rider_id: int
    km: float | None  # None: both in one postcode district, neither on the map


def within_reach(rider: Place, driver: Place) -> bool:
    return near(rider, driver, LIFT_REACH_KM)


def suggest(
    drivers: Sequence[Driver],
    riders: Iterable[Rider],
    ruled_out: Iterable[tuple[int, int]],
) -> list[Suggestion]:
    """Suggestions for ``riders`` (those without a driver, in the order they asked) among
    ``drivers`` and their free seats, never a (driver, rider) pair in ``ruled_out``."""
    seats = {driver.volunteer_id: driver.free_seats for driver in drivers}
    barred = set(ruled_out)
    made: list[Suggestion] = []
    for rider in riders:
        options = [
            (apart_km(rider.place, driver.place), driver)
            for driver in drivers
            if seats[driver.volunteer_id] > 0
            and driver.volunteer_id != rider.volunteer_id
            and (driver.volunteer_id, rider.volunteer_id) not in barred
            and within_reach(rider.place, driver.place)
        ]
        if not options:
            continue
        km, driver = min(options, key=lambda o: (o[0] is None, o[0] or 0.0, o[1].volunteer_id))
        seats[driver.volunteer_id] -= 1
        made.append(Suggestion(driver.volunteer_id, rider.volunteer_id, km))
    return made


def over_seats(taken: Sequence[int], seats: int) -> list[int]:
    """Which of a driver's matches (``taken``, oldest first) go when they now offer ``seats``:
    the newest ones beyond the seats."""
    return list(taken[seats:])


@dataclass(frozen=True)
class RosterLifts:
    """One shift's lifts as its organisers see them: each driver's name, seats and the riders
    they agreed to take; each rider's name and the driver they agreed on, if any."""

    drivers: list[tuple[str | None, int, list[str | None]]]
    riders: list[tuple[str | None, str | None]]

    @property
    def free_seats(self) -> int:
        return sum(max(seats - len(taking), 0) for _name, seats, taking in self.drivers)
