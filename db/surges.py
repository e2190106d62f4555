"""Queries of surges (bot.services.surge): who may be asked right now, and the surges and asks
themselves.

Finding people is one query over ``volunteers`` narrowed to a box round the room (on the place
index), with the filters of bot.domain.surge looked up per person on indexes; the caller asks in
growing rings, measures exactly and ranks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, insert, or_, select, update
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


def _eligible(
    *,
    surge: Surge,
    part: Part | None,
    day_start: datetime,
    day_end: datetime,
    at: datetime,
    cap: int,
) -> list[Any]:
    """bot.domain.surge's filters, each looked up per volunteer on an index: only those in the
    box round the room are looked at, a few thousand of a hundred thousand."""
    person = volunteers.c.id
    pledged = exists().where(
        pledges.c.volunteer_id == person, pledges.c.election_id == surge.election_id
    )
    if part is not None:
        # Parts are stored as a JSON list of their names: the same text on both databases.
        pledged = pledged.where(cast(pledges.c.parts, String).like(f'%"{part.value}"%'))
    free_on_the_day = exists().where(
        volunteer_availability.c.volunteer_id == person,
        volunteer_availability.c.slot == "polling",
    )
    checked_in_today = exists().where(
        rsvps.c.volunteer_id == person,
        rsvps.c.checked_in_at.is_not(None),
        shifts.c.id == rsvps.c.shift_id,
        shifts.c.starts_at >= day_start,
        shifts.c.starts_at < day_end,
    )
    going_then = exists().where(
        rsvps.c.volunteer_id == person,
        rsvps.c.status == RsvpStatus.GOING,
        shifts.c.id == rsvps.c.shift_id,
        shifts.c.status == EventStatus.ACTIVE,
        shifts.c.starts_at <= surge.needed_at,
        shifts.c.ends_at > surge.needed_at,
        events.c.id == shifts.c.event_id,
        events.c.status == EventStatus.ACTIVE,
    )
    asked_here = exists().where(
        surge_asks.c.volunteer_id == person, surge_asks.c.surge_id == surge.id
    )
    asked_today = (
        select(func.count())
        .where(
            surge_asks.c.volunteer_id == person,
            surge_asks.c.asked_at >= day_start,
            surge_asks.c.asked_at < day_end,
        )
        .scalar_subquery()
    )
    # The database tries these in this order: the pledge first, which most fail.
    return [
        or_(pledged, free_on_the_day),
        ~checked_in_today,
        ~going_then,
        ~asked_here,
        asked_today < cap,
        may_call(at, each=True),
    ]


async def candidates(
    conn: AsyncConnection,
    *,
    surge: Surge,
    part: Part | None,
    meeting: Place,
    within_km: float,
    beyond_km: float | None = None,
    day_start: datetime,
    day_end: datetime,
    at: datetime,
    cap: int,
) -> list[Found]:
    """Those who may be asked now whose place may be within ``within_km`` of the meeting point
    (a box round it, with the allowance for places known only roughly), leaving out the box of
    ``beyond_km`` (a ring looked in already), in no order: the caller measures. Looked for in
    growing rings (bot.services.surge.choose), so that the box stays small where people are
    many."""
    assert meeting.latitude is not None and meeting.longitude is not None
    south, north, west, east = bounding_box(
        meeting.latitude, meeting.longitude, within_km + 2 * APPROXIMATE_ALLOWANCE_KM
    )
    outside = []
    if beyond_km is not None:
        # Read from the place index itself: the ring looked in already costs no more than that.
        inner = bounding_box(
            meeting.latitude, meeting.longitude, beyond_km + 2 * APPROXIMATE_ALLOWANCE_KM
        )
        outside.append(
            ~and_(
                volunteers.c.latitude.between(inner[0], inner[1]),
                volunteers.c.longitude.between(inner[2], inner[3]),
            )
        )
    rows = await conn.execute(
        select(
            volunteers.c.id,
            volunteers.c.telegram_id,
            volunteers.c.latitude,
            volunteers.c.longitude,
            volunteers.c.postcode,
            volunteers.c.location_source,
        ).where(
            volunteers.c.latitude.between(south, north),
            volunteers.c.longitude.between(west, east),
            *outside,
            *_eligible(
                surge=surge, part=part, day_start=day_start, day_end=day_end, at=at, cap=cap
            ),
        )
    )
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
