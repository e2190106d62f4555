"""Who a shift call reaches: the organiser's filters, and the rules behind each one."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.places import APPROXIMATE_ALLOWANCE_KM, district
from bot.domain.signup import ACTIVITIES

EARTH_RADIUS_KM = 6371.0088
DISTANCES_KM = (2, 5, 10, 25)
# Shifts starting at or after this local hour on a weekday count as an evening.
EVENING_FROM = 17


@dataclass(frozen=True)
class Audience:
    """Filters, all optional, all combined: no filter at all means everyone."""

    within_km: float | None = None
    fits_availability: bool = False
    activities: frozenset[str] = field(default_factory=frozenset)
    came_to_area: bool = False
    not_answered_earlier: bool = False
    # No "going" on any shift the weekend of the call's shifts (weekend_of).
    free_that_weekend: bool = False
    # Chosen people only (a top-up call to the best standby volunteers).
    only: frozenset[int] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        return {
            "within_km": self.within_km,
            "fits_availability": self.fits_availability,
            "activities": sorted(self.activities),
            "came_to_area": self.came_to_area,
            "not_answered_earlier": self.not_answered_earlier,
            "free_that_weekend": self.free_that_weekend,
            "only": sorted(self.only),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            within_km=data.get("within_km"),
            fits_availability=bool(data.get("fits_availability")),
            activities=frozenset(a for a in data.get("activities", ()) if a in ACTIVITIES),
            came_to_area=bool(data.get("came_to_area")),
            not_answered_earlier=bool(data.get("not_answered_earlier")),
            free_that_weekend=bool(data.get("free_that_weekend")),
            only=frozenset(int(v) for v in data.get("only", ())),
        )


def slots_for(
    starts_at: datetime, kind: str, zone: ZoneInfo, polling_days: Collection[date]
) -> set[str]:
    """The availability answers (bot.signup.AVAILABILITY codes) a shift falls in.

    ``polling_days``: the dates of the elections covering the shift's area. Only a committee
    room on one of them is polling day; a committee room on any other day (a rehearsal, a
    by-election not set up yet) falls in the weekday or weekend its date says."""
    local = starts_at.astimezone(zone)
    if kind == "committee_room" and local.date() in polling_days:
        return {"polling"}
    if local.weekday() == 5:
        return {"sat"}
    if local.weekday() == 6:
        return {"sun"}
    return {"wkeve"} if local.hour >= EVENING_FROM else {"wkday"}


def weekend_of(starts_at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The weekend a shift belongs to, from Saturday 00:00 to Monday 00:00 local time: its own
    for a shift on a Saturday or Sunday, the coming one for a weekday shift."""
    day = starts_at.astimezone(zone).date()
    # Monday is 0: a Saturday is 5 days on, a Sunday's Saturday the day before.
    saturday = day + timedelta(days=5 - day.weekday() if day.weekday() < 6 else -1)
    return (
        datetime.combine(saturday, time(), zone),
        datetime.combine(saturday + timedelta(days=2), time(), zone),
    )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): plenty accurate over a campaign's few kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def bounding_box(
    latitude: float, longitude: float, km: float
) -> tuple[float, float, float, float]:
    """Latitudes and longitudes (least, most) of a box holding every point within ``km`` of a
    point, for a database to narrow a search before ``distance_km`` decides."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    # A degree of longitude is shortest at the box's edge furthest from the equator.
    widest = math.cos(math.radians(min(abs(latitude) + dlat, 89.0)))
    dlon = math.degrees(km / (EARTH_RADIUS_KM * widest))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


@dataclass(frozen=True)
class Place:
    latitude: float | None
    longitude: float | None
    postcode: str | None
    # On the map only as the centre of a postcode sector or district (bot.domain.places).
    approximate: bool = False

    @property
    def on_map(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def allowance_km(self) -> float:
        return APPROXIMATE_ALLOWANCE_KM if self.approximate else 0.0


def gap_km(one: Place, other: Place) -> float | None:
    """How far apart two places are at the least: the distance between them, less the allowance
    for each one known only roughly. None unless both are on the map."""
    if not (one.on_map and other.on_map):
        return None
    away = distance_km(one.latitude, one.longitude, other.latitude, other.longitude)  # type: ignore[arg-type]
    return away - one.allowance_km - other.allowance_km


def near(person: Place, meeting: Place, within_km: float) -> bool:
    """Whether someone is within reach of the meeting point.

    By distance where both are on the map (a typed postcode is, at its sector's centre, with
    APPROXIMATE_ALLOWANCE_KM added to the radius). Otherwise (Northern Ireland, which the packaged
    postcode table does not cover, or a postcode it does not know) a typed postcode counts as near
    when it is in the meeting point's district. ``db.callouts`` applies the same rule in SQL, so
    that the database counts and queues a call; tests hold the two together.
    """
    gap = gap_km(person, meeting)
    if gap is not None:
        return gap <= within_km
    mine, theirs = district(person.postcode), district(meeting.postcode)
    return mine is not None and mine == theirs


# Standby volunteers this close count as equally near; reliability decides between them.
NEAR_BAND_KM = 2.0
UNKNOWN_DISTANCE_KM = 50.0


@dataclass(frozen=True)
class Standby:
    volunteer_id: int
    place: Place
    show_rate: float | None  # None: no past shifts


def best_standby(
    candidates: Iterable[Standby], meeting: Place, newcomer_rate: float, count: int
) -> list[int]:
    """The ``count`` best people to ask for a top-up: nearest first (in 2 km bands), then the most
    reliable (past show rate; newcomers get ``newcomer_rate``)."""

    def how_far(person: Standby) -> float:
        # The best guess of the distance, centre to centre: taking the allowance off here would
        # rank someone known only by their postcode sector ahead of someone nearer who shared
        # their location.
        if person.place.on_map and meeting.on_map:
            return distance_km(
                person.place.latitude,
                person.place.longitude,  # type: ignore[arg-type]
                meeting.latitude,  # type: ignore[arg-type]
                meeting.longitude,  # type: ignore[arg-type]
            )
        same = district(person.place.postcode) and district(person.place.postcode) == district(
            meeting.postcode
        )
        return NEAR_BAND_KM / 2 if same else UNKNOWN_DISTANCE_KM

    def rank(person: Standby) -> tuple[int, float, int]:
        rate = person.show_rate if person.show_rate is not None else newcomer_rate
        return (int(how_far(person) // NEAR_BAND_KM), -rate, person.volunteer_id)

    return [person.volunteer_id for person in sorted(candidates, key=rank)[:count]]


# Not asked again for a top-up within this long of their last call or nudge.
TOP_UP_RESTS = timedelta(days=3)


def top_up_size(needed: int, going: int) -> int:
    """How many to ask for a top-up: twice the places to fill, since not everyone will say yes,
    and never nobody."""
    return max(2 * (needed - going), 1)
