"""Queries of surges (bot.services.surge): who may be asked right now, and the surges and asks
themselves.

Finding people is one query over ``volunteers`` narrowed to a box round the room (on the place
index), with the filters of bot.domain.surge as subqueries that do not refer back to the
volunteer, so the database works each out once; the nearest come first by a flat-earth distance
(plain arithmetic, the same on SQLite and PostgreSQL), and the caller measures exactly and ranks.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.audience import Place, bounding_box
from bot.domain.places import APPROXIMATE, APPROXIMATE_ALLOWANCE_KM
from bot.domain.polling import Part
from bot.domain.statuses import EventStatus, RsvpStatus
from bot.domain.surge import AskAnswer, SurgeStatus
from db.schema import (
    events,
    pledges,
    rsvps,
    shifts,
    surge_asks,
    surges,
    volunteer_availability,
    volunteers,
)
from db.volunteers import may_call

# Kilometres in a degree of latitude, and of longitude at the equator.
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LON = 111.32
# More than this many people in the bands fetched is more than any surge asks at once.
FETCH_MAX = 20_000


@dataclass(frozen=True)
class Surge:
    id: int
    election_id: int
    event_id: int
    shift_id: int
    manager_id: int | None
    chat_id: int | None
    message_id: int | None
    wanted: int
    needed_at: datetime
    status: SurgeStatus
    batches: int
    created_at: datetime


def _surge(row: Any) -> Surge:
    m = row._mapping
    return Surge(
        id=m["id"],
        election_id=m["election_id"],
        event_id=m["event_id"],
        shift_id=m["shift_id"],
        manager_id=m["manager_id"],
        chat_id=m["chat_id"],
        message_id=m["message_id"],
        wanted=m["wanted"],
        needed_at=m["needed_at"],
        status=SurgeStatus(m["status"]),
        batches=m["batches"],
        created_at=m["created_at"],
    )


async def create(
    conn: AsyncConnection,
    at: datetime,
    *,
    election_id: int,
    event_id: int,
    shift_id: int,
    manager_id: int | None,
    chat_id: int,
    message_id: int | None,
    wanted: int,
    needed_at: datetime,
) -> int:
    return (
        await conn.execute(
            insert(surges)
            .values(
                election_id=election_id,
                event_id=event_id,
                shift_id=shift_id,
                manager_id=manager_id,
                chat_id=chat_id,
                message_id=message_id,
                wanted=wanted,
                needed_at=needed_at,
                status=SurgeStatus.OPEN,
                batches=0,
                created_at=at,
            )
            .returning(surges.c.id)
        )
    ).scalar_one()


async def by_id(conn: AsyncConnection, surge_id: int, *, lock: bool = False) -> Surge | None:
    """A surge; ``lock``: held for this transaction, so answers to it are counted one at a
    time (SQLite's writer lock does the same)."""
    query = select(surges).where(surges.c.id == surge_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _surge(row) if row is not None else None


async def open_at_room(conn: AsyncConnection, event_id: int) -> Surge | None:
    """The room's surge still asking, if any: one at a time per room."""
    row = (
        await conn.execute(
            select(surges)
            .where(surges.c.event_id == event_id, surges.c.status == SurgeStatus.OPEN)
            .order_by(surges.c.id.desc())
            .limit(1)
        )
    ).first()
    return _surge(row) if row is not None else None


async def set_status(
    conn: AsyncConnection, surge_id: int, status: SurgeStatus, at: datetime
) -> None:
    await conn.execute(
        update(surges)
        .where(surges.c.id == surge_id)
        .values(status=status, ended_at=None if status is SurgeStatus.OPEN else at)
    )


async def count_batch(conn: AsyncConnection, surge_id: int) -> int:
    """Note one more batch asked; returns its number (1 for the first)."""
    await conn.execute(
        update(surges).where(surges.c.id == surge_id).values(batches=surges.c.batches + 1)
    )
    return int(await conn.scalar(select(surges.c.batches).where(surges.c.id == surge_id)) or 0)


@dataclass(frozen=True)
class Found:
    volunteer_id: int
    telegram_id: int
    place: Place


def _flat_km2(latitude: float, longitude: float) -> Any:
    """The squared flat-earth distance in km from a point to each volunteer, in SQL: within a
    surge's reach it differs from the great-circle distance by far less than a band."""
    kx = KM_PER_DEGREE_LON * math.cos(math.radians(latitude))
    dx = (volunteers.c.longitude - longitude) * kx
    dy = (volunteers.c.latitude - latitude) * KM_PER_DEGREE_LAT
    return dx * dx + dy * dy


def _eligible(
    *,
    surge: Surge,
    part: Part | None,
    latitude: float,
    longitude: float,
    reach_km: float,
    day_start: datetime,
    day_end: datetime,
    at: datetime,
    cap: int,
) -> list[Any]:
    south, north, west, east = bounding_box(
        latitude, longitude, reach_km + 2 * APPROXIMATE_ALLOWANCE_KM
    )
    pledged = select(pledges.c.volunteer_id).where(pledges.c.election_id == surge.election_id)
    if part is not None:
        # Parts are stored as a JSON list of their names: the same text on both databases.
        pledged = pledged.where(cast(pledges.c.parts, String).like(f'%"{part.value}"%'))
    free_on_the_day = select(volunteer_availability.c.volunteer_id).where(
        volunteer_availability.c.slot == "polling"
    )
    checked_in_today = (
        select(rsvps.c.volunteer_id)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .where(
            rsvps.c.checked_in_at.is_not(None),
            shifts.c.starts_at >= day_start,
            shifts.c.starts_at < day_end,
        )
    )
    going_then = (
        select(rsvps.c.volunteer_id)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(
            rsvps.c.status == RsvpStatus.GOING,
            shifts.c.status == EventStatus.ACTIVE,
            events.c.status == EventStatus.ACTIVE,
            shifts.c.starts_at <= surge.needed_at,
            shifts.c.ends_at > surge.needed_at,
        )
    )
    asked_here = select(surge_asks.c.volunteer_id).where(surge_asks.c.surge_id == surge.id)
    capped = (
        select(surge_asks.c.volunteer_id)
        .where(surge_asks.c.asked_at >= day_start, surge_asks.c.asked_at < day_end)
        .group_by(surge_asks.c.volunteer_id)
        .having(func.count() >= cap)
    )
    return [
        may_call(at),
        volunteers.c.latitude.between(south, north),
        volunteers.c.longitude.between(west, east),
        or_(volunteers.c.id.in_(pledged), volunteers.c.id.in_(free_on_the_day)),
        volunteers.c.id.not_in(checked_in_today),
        volunteers.c.id.not_in(going_then),
        volunteers.c.id.not_in(asked_here),
        volunteers.c.id.not_in(capped),
    ]


async def candidates(
    conn: AsyncConnection,
    *,
    surge: Surge,
    part: Part | None,
    meeting: Place,
    reach_km: float,
    band_end_km: Any,
    count: int,
    day_start: datetime,
    day_end: datetime,
    at: datetime,
    cap: int,
) -> list[Found]:
    """Those who may be asked now, nearest first, at least the ``count`` nearest and everyone as
    near as the band the ``count``-th nearest is in (``band_end_km`` of their distance), so the
    caller can rank a band by reliability; at most FETCH_MAX."""
    assert meeting.latitude is not None and meeting.longitude is not None
    km2 = _flat_km2(meeting.latitude, meeting.longitude)
    where = _eligible(
        surge=surge,
        part=part,
        latitude=meeting.latitude,
        longitude=meeting.longitude,
        reach_km=reach_km,
        day_start=day_start,
        day_end=day_end,
        at=at,
        cap=cap,
    )
    if count <= 0:
        return []
    nth = await conn.scalar(
        select(km2).where(*where).order_by(km2, volunteers.c.id).limit(1).offset(count - 1)
    )
    query = select(
        volunteers.c.id,
        volunteers.c.telegram_id,
        volunteers.c.latitude,
        volunteers.c.longitude,
        volunteers.c.postcode,
        volunteers.c.location_source,
    ).where(*where)
    if nth is not None:
        # A little over the band's edge: the flat distance and the exact one differ slightly.
        edge = band_end_km(math.sqrt(nth)) * 1.01
        query = query.where(km2 <= edge * edge)
    rows = await conn.execute(query.order_by(km2, volunteers.c.id).limit(FETCH_MAX))
    return [
        Found(
            row.id,
            row.telegram_id,
            Place(row.latitude, row.longitude, row.postcode, row.location_source in APPROXIMATE),
        )
        for row in rows
    ]


async def add_asks(
    conn: AsyncConnection,
    surge_id: int,
    batch: int,
    people: list[tuple[int, float]],
    at: datetime,
) -> dict[int, int]:
    """Note each of ``people`` (volunteer id, km) asked in ``batch``; returns each one's ask id,
    which their buttons carry."""
    if not people:
        return {}
    await conn.execute(
        insert(surge_asks),
        [
            {
                "surge_id": surge_id,
                "volunteer_id": volunteer_id,
                "batch": batch,
                "km": round(km, 2),
                "asked_at": at,
            }
            for volunteer_id, km in people
        ],
    )
    rows = await conn.execute(
        select(surge_asks.c.id, surge_asks.c.volunteer_id).where(
            surge_asks.c.surge_id == surge_id, surge_asks.c.batch == batch
        )
    )
    return {row.volunteer_id: row.id for row in rows}


@dataclass(frozen=True)
class Ask:
    id: int
    surge_id: int
    volunteer_id: int
    km: float
    answer: AskAnswer | None
    redirect_event_id: int | None


async def ask_by_id(conn: AsyncConnection, ask_id: int) -> Ask | None:
    row = (await conn.execute(select(surge_asks).where(surge_asks.c.id == ask_id))).first()
    if row is None:
        return None
    return Ask(
        row.id,
        row.surge_id,
        row.volunteer_id,
        row.km,
        AskAnswer(row.answer) if row.answer else None,
        row.redirect_event_id,
    )


async def answer(
    conn: AsyncConnection,
    ask_id: int,
    said: AskAnswer,
    at: datetime,
    *,
    redirect_event_id: int | None = None,
) -> None:
    await conn.execute(
        update(surge_asks)
        .where(surge_asks.c.id == ask_id)
        .values(answer=said, answered_at=at, redirect_event_id=redirect_event_id)
    )


async def counts(conn: AsyncConnection, surge_id: int) -> tuple[int, Counter[str]]:
    """How many a surge asked, and how many gave each answer."""
    rows = await conn.execute(
        select(surge_asks.c.answer, func.count().label("n"))
        .where(surge_asks.c.surge_id == surge_id)
        .group_by(surge_asks.c.answer)
    )
    found: Counter[str] = Counter()
    asked = 0
    for row in rows:
        asked += row.n
        if row.answer is not None:
            found[row.answer] = row.n
    return asked, found


async def last_asked_at(conn: AsyncConnection, surge_id: int) -> datetime | None:
    return await conn.scalar(
        select(func.max(surge_asks.c.asked_at)).where(surge_asks.c.surge_id == surge_id)
    )


def export_query(volunteer_id: int) -> Any:
    """What /mydata shows of the surges that asked them: the room, when, the distance noted and
    what they said."""
    return (
        select(
            events.c.title.label("room"),
            surge_asks.c.asked_at,
            surge_asks.c.km,
            surge_asks.c.answer,
            surge_asks.c.answered_at,
        )
        .join(surges, surges.c.id == surge_asks.c.surge_id)
        .join(events, events.c.id == surges.c.event_id)
        .where(surge_asks.c.volunteer_id == volunteer_id)
        .order_by(surge_asks.c.id)
    )


async def erase(conn: AsyncConnection, volunteer_id: int) -> None:
    """Forget who a surge asked and what they said; a surge they sent keeps its count but not who
    sent it or where its message is."""
    await conn.execute(surge_asks.delete().where(surge_asks.c.volunteer_id == volunteer_id))
    await conn.execute(
        update(surges)
        .where(surges.c.manager_id == volunteer_id)
        .values(manager_id=None, chat_id=None, message_id=None)
    )
