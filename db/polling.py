"""Queries of polling day: elections and their areas, the committee rooms that belong to one,
pledges, and who a pledge call or a countdown message reaches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.audience import Place
from bot.domain.events import Event, Shift
from bot.domain.places import APPROXIMATE
from bot.domain.polling import COMMITTEE_ROOM, Election
from bot.domain.statuses import EventStatus, RsvpStatus
from db import events as event_rows
from db.callouts import within
from db.places import lookup
from db.schema import (
    election_areas,
    elections,
    events,
    pledges,
    room_offers,
    rsvps,
    shifts,
    volunteers,
)
from db.volunteers import CAN_MESSAGE, may_call


@dataclass(frozen=True)
class Pledge:
    election_id: int
    volunteer_id: int
    parts: tuple[str, ...]
    area: str | None
    pledged_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Pledger:
    """Someone who pledged, as a countdown message needs them."""

    volunteer_id: int
    telegram_id: int
    parts: tuple[str, ...]
    area: str | None
    place: Place


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


async def _with_areas(conn: AsyncConnection, rows: Iterable[Any]) -> list[Election]:
    found = list(rows)
    ids = [row.id for row in found]
    areas: dict[int, list[str]] = {election_id: [] for election_id in ids}
    if ids:
        for row in await conn.execute(
            select(election_areas.c.election_id, election_areas.c.area)
            .where(election_areas.c.election_id.in_(ids))
            .order_by(election_areas.c.area)
        ):
            areas[row.election_id].append(row.area)
    return [
        Election(row.id, row.name, row.day, row.opens, row.closes, tuple(areas[row.id]))
        for row in found
    ]


async def create_election(
    conn: AsyncConnection,
    at: datetime,
    *,
    by: int,
    name: str,
    day: date,
    opens: time,
    closes: time,
    areas: tuple[str, ...],
) -> int:
    election_id = (
        await conn.execute(
            insert(elections)
            .values(
                name=name,
                day=day,
                opens=opens,
                closes=closes,
                created_by=by,
                created_at=at,
                updated_at=at,
            )
            .returning(elections.c.id)
        )
    ).scalar_one()
    await set_areas(conn, election_id, areas)
    return election_id


async def update_election(
    conn: AsyncConnection, at: datetime, election_id: int, **values: object
) -> None:
    await conn.execute(
        update(elections).where(elections.c.id == election_id).values(updated_at=at, **values)
    )


async def set_areas(conn: AsyncConnection, election_id: int, areas: tuple[str, ...]) -> None:
    await conn.execute(delete(election_areas).where(election_areas.c.election_id == election_id))
    await conn.execute(
        insert(election_areas), [{"election_id": election_id, "area": area} for area in areas]
    )


async def by_id(conn: AsyncConnection, election_id: int) -> Election | None:
    found = await _with_areas(
        conn, await conn.execute(select(elections).where(elections.c.id == election_id))
    )
    return found[0] if found else None


async def listed(conn: AsyncConnection, *, from_day: date | None = None) -> list[Election]:
    """Elections soonest first; with ``from_day``, only those on or after it."""
    query = select(elections).order_by(elections.c.day, elections.c.id)
    if from_day is not None:
        query = query.where(elections.c.day >= from_day)
    return await _with_areas(conn, await conn.execute(query))


async def polling_days(conn: AsyncConnection, area: str) -> set[date]:
    """The dates of every election covering ``area``."""
    rows = await conn.scalars(
        select(elections.c.day)
        .join(election_areas, election_areas.c.election_id == elections.c.id)
        .where(func.lower(election_areas.c.area) == area.lower())
    )
    return set(rows)


async def rooms(
    conn: AsyncConnection, election: Election, zone: ZoneInfo
) -> list[tuple[Event, list[Shift]]]:
    """The election's committee rooms: active `committee_room` events in its areas with a shift
    on its date (local), each with its active shifts that day, in title order."""
    start, end = _day_bounds(election.day, zone)
    ids = list(
        await conn.scalars(
            select(events.c.id)
            .distinct()
            .join(shifts, shifts.c.event_id == events.c.id)
            .where(
                events.c.kind == COMMITTEE_ROOM,
                events.c.status == EventStatus.ACTIVE,
                func.lower(events.c.area).in_([a.lower() for a in election.areas]),
                shifts.c.status == EventStatus.ACTIVE,
                shifts.c.starts_at >= start,
                shifts.c.starts_at < end,
            )
        )
    )
    found = []
    for event_id in ids:
        event = await event_rows.by_id(conn, event_id)
        assert event is not None
        day_shifts = [
            s
            for s in await event_rows.shifts_of(conn, event_id)
            if s.status == EventStatus.ACTIVE and start <= s.starts_at < end
        ]
        found.append((event, day_shifts))
    return sorted(found, key=lambda room: (room[0].title.casefold(), room[0].id))


async def places_in(conn: AsyncConnection, areas: Iterable[str]) -> list[tuple[str, Place]]:
    """Where the active events of ``areas`` meet, with each one's area: the places that say which
    of an election's areas a volunteer is in (bot.domain.polling.area_for)."""
    rows = await conn.execute(
        select(events)
        .where(
            events.c.status == EventStatus.ACTIVE,
            func.lower(events.c.area).in_([a.lower() for a in areas]),
        )
        .order_by(events.c.id)
    )
    found = []
    for row in rows:
        event = Event(**row._mapping)
        found.append((event.area, await lookup.meeting_place(conn, event)))
    return found


async def place_of(conn: AsyncConnection, volunteer_id: int) -> Place | None:
    row = (
        await conn.execute(
            select(
                volunteers.c.latitude,
                volunteers.c.longitude,
                volunteers.c.postcode,
                volunteers.c.location_source,
            ).where(volunteers.c.id == volunteer_id)
        )
    ).first()
    if row is None:
        return None
    return Place(row.latitude, row.longitude, row.postcode, row.location_source in APPROXIMATE)


@dataclass(frozen=True)
class Candidate:
    volunteer_id: int
    telegram_id: int
    place: Place
    came_before: bool


async def call_candidates(
    conn: AsyncConnection,
    at: datetime,
    *,
    election_id: int,
    areas: tuple[str, ...],
    near: list[Place],
    within_km: float,
) -> list[Candidate]:
    """Who a pledge call could reach, before the rule decides: those a call may go to who have
    not pledged for this election and either came to a shift in ``areas`` before or may be
    within ``within_km`` of one of the ``near`` places (narrowed in SQL as shift calls are)."""
    lowered = [a.lower() for a in areas]
    came = (
        select(rsvps.c.id)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(
            rsvps.c.volunteer_id == volunteers.c.id,
            rsvps.c.status == RsvpStatus.GOING,
            shifts.c.ends_at <= at,
            func.lower(events.c.area).in_(lowered),
        )
        .exists()
    )
    pledged = (
        select(pledges.c.id)
        .where(pledges.c.volunteer_id == volunteers.c.id, pledges.c.election_id == election_id)
        .exists()
    )
    rows = await conn.execute(
        select(
            volunteers.c.id,
            volunteers.c.telegram_id,
            volunteers.c.latitude,
            volunteers.c.longitude,
            volunteers.c.postcode,
            volunteers.c.location_source,
            came.label("came_before"),
        )
        .where(
            may_call(at),
            ~pledged,
            or_(came, *(within(place, within_km) for place in near)),
        )
        .order_by(volunteers.c.id)
    )
    return [
        Candidate(
            row.id,
            row.telegram_id,
            Place(row.latitude, row.longitude, row.postcode, row.location_source in APPROXIMATE),
            bool(row.came_before),
        )
        for row in rows
    ]


def _pledge(row: Any) -> Pledge:
    return Pledge(
        row.election_id,
        row.volunteer_id,
        tuple(row.parts),
        row.area,
        row.pledged_at,
        row.updated_at,
    )


async def pledge_of(conn: AsyncConnection, election_id: int, volunteer_id: int) -> Pledge | None:
    row = (
        await conn.execute(
            select(pledges).where(
                pledges.c.election_id == election_id, pledges.c.volunteer_id == volunteer_id
            )
        )
    ).first()
    return _pledge(row) if row else None


async def save_pledge(
    conn: AsyncConnection,
    at: datetime,
    *,
    election_id: int,
    volunteer_id: int,
    parts: list[str],
    area: str | None,
) -> None:
    """A new pledge, or a change to the parts of one (where it was placed stays)."""
    done = await conn.execute(
        update(pledges)
        .where(pledges.c.election_id == election_id, pledges.c.volunteer_id == volunteer_id)
        .values(parts=parts, updated_at=at)
    )
    if done.rowcount == 0:
        await conn.execute(
            insert(pledges).values(
                election_id=election_id,
                volunteer_id=volunteer_id,
                parts=parts,
                area=area,
                pledged_at=at,
                updated_at=at,
            )
        )


async def withdraw(conn: AsyncConnection, election_id: int, volunteer_id: int) -> bool:
    done = await conn.execute(
        delete(pledges).where(
            pledges.c.election_id == election_id, pledges.c.volunteer_id == volunteer_id
        )
    )
    return done.rowcount > 0


async def pledges_of(
    conn: AsyncConnection, volunteer_id: int, *, from_day: date | None = None
) -> list[tuple[Election, Pledge]]:
    """A volunteer's pledges with their elections, soonest first (``from_day``: on or after)."""
    query = (
        select(pledges)
        .join(elections, elections.c.id == pledges.c.election_id)
        .where(pledges.c.volunteer_id == volunteer_id)
        .order_by(elections.c.day, elections.c.id)
    )
    if from_day is not None:
        query = query.where(elections.c.day >= from_day)
    found = []
    for row in (await conn.execute(query)).all():
        election = await by_id(conn, row.election_id)
        assert election is not None
        found.append((election, _pledge(row)))
    return found


async def pledges_for(conn: AsyncConnection, election_id: int) -> list[Pledge]:
    rows = await conn.execute(
        select(pledges).where(pledges.c.election_id == election_id).order_by(pledges.c.id)
    )
    return [_pledge(row) for row in rows]


async def reachable_pledgers(conn: AsyncConnection, election_id: int) -> list[Pledger]:
    """Those who pledged for an election whom the bot can message (paused or not: they asked)."""
    rows = await conn.execute(
        select(
            volunteers.c.id,
            volunteers.c.telegram_id,
            pledges.c.parts,
            pledges.c.area,
            volunteers.c.latitude,
            volunteers.c.longitude,
            volunteers.c.postcode,
            volunteers.c.location_source,
        )
        .join(pledges, pledges.c.volunteer_id == volunteers.c.id)
        .where(pledges.c.election_id == election_id, CAN_MESSAGE)
        .order_by(volunteers.c.id)
    )
    return [
        Pledger(
            row.id,
            row.telegram_id,
            tuple(row.parts),
            row.area,
            Place(row.latitude, row.longitude, row.postcode, row.location_source in APPROXIMATE),
        )
        for row in rows
    ]


async def going_to(conn: AsyncConnection, shift_ids: list[int]) -> dict[int, list[int]]:
    """Who is going to which of ``shift_ids`` (an election's committee-room shifts): each
    volunteer's shifts, soonest first."""
    found: dict[int, list[int]] = {}
    if not shift_ids:
        return found
    rows = await conn.execute(
        select(rsvps.c.volunteer_id, rsvps.c.shift_id)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .where(rsvps.c.shift_id.in_(shift_ids), rsvps.c.status == RsvpStatus.GOING)
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    for row in rows:
        found.setdefault(row.volunteer_id, []).append(row.shift_id)
    return found


async def answered(
    conn: AsyncConnection, shift_ids: list[int], volunteer_id: int | None = None
) -> dict[int, set[int]]:
    """Which of ``shift_ids`` (an election's committee-room shifts) each volunteer (or only
    ``volunteer_id``) has answered, whatever the answer."""
    found: dict[int, set[int]] = {}
    if not shift_ids:
        return found
    query = select(rsvps.c.volunteer_id, rsvps.c.shift_id).where(rsvps.c.shift_id.in_(shift_ids))
    if volunteer_id is not None:
        query = query.where(rsvps.c.volunteer_id == volunteer_id)
    for row in await conn.execute(query):
        found.setdefault(row.volunteer_id, set()).add(row.shift_id)
    return found


async def set_manager(conn: AsyncConnection, event_id: int, volunteer_id: int | None) -> None:
    await conn.execute(
        update(events).where(events.c.id == event_id).values(manager_id=volunteer_id)
    )


async def by_day_and_area(
    conn: AsyncConnection, day: date, area: str, *, other_than: int | None = None
) -> list[int]:
    """Elections on ``day`` covering ``area`` (another with the same day and area is refused)."""
    query = (
        select(elections.c.id)
        .join(election_areas, election_areas.c.election_id == elections.c.id)
        .where(elections.c.day == day, func.lower(election_areas.c.area) == area.lower())
    )
    if other_than is not None:
        query = query.where(elections.c.id != other_than)
    return list(await conn.scalars(query))



async def forget_pledges_before(conn: AsyncConnection, day: date) -> int:
    """Delete the pledges for elections held before ``day`` (and the rooms offered for them);
    returns how many."""
    await conn.execute(
        delete(room_offers).where(
            room_offers.c.election_id.in_(select(elections.c.id).where(elections.c.day < day))
        )
    )
    done = await conn.execute(
        delete(pledges).where(
            pledges.c.election_id.in_(select(elections.c.id).where(elections.c.day < day))
        )
    )
    return done.rowcount or 0
