"""/nearest: the upcoming sessions where a volunteer is most needed, from a place (theirs, or one
given for this search only), ranked by bot.domain.nearest; and, when nothing is within reach,
the nearest targets anyway. It only reads: a place given for one search is never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.audience import Place, distance_km
from bot.domain.nearest import (
    DAYS_AHEAD,
    REACH_KM,
    SHOWN,
    Candidate,
    Weighed,
    rank,
    within_reach,
)
from bot.domain.places import APPROXIMATE
from bot.domain.targets import Target
from bot.domain.volunteers import Volunteer
from db import nearest as queries
from db.nearest import Nearby, Session
from db.places import lookup

TARGETS_SHOWN = 3


@dataclass(frozen=True)
class Suggestion:
    session: Session
    weighed: Weighed


@dataclass(frozen=True)
class FarTarget:
    """A target shown when no session is within reach: how far it is, roughly or not."""

    target: Target
    km: float
    approximate: bool


@dataclass(frozen=True)
class Found:
    suggestions: list[Suggestion]
    # Only when no session is within reach: the nearest targets.
    targets: list[FarTarget]


def place_of(volunteer: Volunteer) -> Place | None:
    """Where a volunteer is on the map, as stored; None when nowhere (a Northern Ireland
    postcode, which the packaged table lacks)."""
    if volunteer.latitude is None or volunteer.longitude is None:
        return None
    return Place(
        volunteer.latitude,
        volunteer.longitude,
        volunteer.postcode,
        volunteer.location_source in APPROXIMATE,
    )


async def place_of_postcode(conn: AsyncConnection, postcode: str) -> Place | None:
    """A postcode typed for one search, placed as sign-up would place it; None when it is not on
    the map."""
    found = await lookup.locate(conn, postcode)
    if found is None:
        return None
    return Place(found.latitude, found.longitude, postcode, found.approximate)


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day, from midnight to midnight (23 or 25 hours when the clocks change)."""
    return (
        datetime.combine(day, time(), zone),
        datetime.combine(day + timedelta(days=1), time(), zone),
    )


async def nearest(
    conn: AsyncConnection,
    at: datetime,
    *,
    origin: Place,
    volunteer_id: int | None,
    zone: ZoneInfo,
    days: int = DAYS_AHEAD,
) -> Found:
    """Up to SHOWN sessions in the next ``days`` within REACH_KM of ``origin``, best first; the
    shifts ``volunteer_id`` already answered are left out."""
    assert origin.latitude is not None and origin.longitude is not None
    until = at + timedelta(days=days)
    around = await queries.sessions_around(
        conn,
        latitude=origin.latitude,
        longitude=origin.longitude,
        reach_km=REACH_KM,
        at=at,
        until=until,
        volunteer_id=volunteer_id,
    )
    measured: list[tuple[Nearby, float, float]] = []
    for nearby in around:
        km = distance_km(
            origin.latitude,
            origin.longitude,
            nearby.meeting.latitude,  # type: ignore[arg-type]
            nearby.meeting.longitude,  # type: ignore[arg-type]
        )
        allowance = origin.allowance_km + nearby.meeting.allowance_km
        if within_reach(km, allowance):
            measured.append((nearby, km, allowance))
    if not measured:
        return Found([], await _nearest_targets(conn, origin))

    # Helpers booked per target and local day, over the days these sessions fall on.
    first, last = at.astimezone(zone).date(), until.astimezone(zone).date()
    local_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    helpers = await queries.booked(
        conn,
        {n.target_id for n, _, _ in measured if n.target_id is not None},
        [_day_bounds(day, zone) for day in local_days],
    )
    index = {day: n for n, day in enumerate(local_days)}

    def candidate(nearby: Nearby, km: float, allowance: float) -> Candidate:
        day = nearby.starts_at.astimezone(zone).date()
        return Candidate(
            capacity=nearby.capacity,
            going=nearby.going,
            priority=nearby.priority,
            target_kind=nearby.target_kind,
            wanted=nearby.helpers_wanted,
            booked=helpers.get((nearby.target_id, index[day]), 0)
            if nearby.target_id is not None
            else 0,
            km=km,
            allowance_km=allowance,
        )

    ranked = rank((nearby, candidate(nearby, km, allowance)) for nearby, km, allowance in measured)
    shown = ranked[:SHOWN]
    full = {s.shift.id: s for s in await queries.sessions(conn, [n for n, _ in shown])}
    return Found(
        [
            Suggestion(full[nearby.shift_id], weighed)
            for nearby, weighed in shown
            if nearby.shift_id in full
        ],
        [],
    )


async def _nearest_targets(conn: AsyncConnection, origin: Place) -> list[FarTarget]:
    found = []
    for target in await queries.all_targets(conn):
        km = distance_km(
            origin.latitude,  # type: ignore[arg-type]
            origin.longitude,  # type: ignore[arg-type]
            target.place.latitude,  # type: ignore[arg-type]
            target.place.longitude,  # type: ignore[arg-type]
        )
        found.append(FarTarget(target, km, origin.approximate or target.place.approximate))
    found.sort(key=lambda far: (far.km, far.target.priority, far.target.id))
    return found[:TARGETS_SHOWN]
