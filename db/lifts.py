"""Lifts: who going to a shift can drive others or needs a lift, and the drivers suggested to
riders. The rules are bot.domain.lifts; changes to one shift's lifts are made holding its row
lock (db.events.lock_shift), as answers are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.audience import Place
from bot.domain.lifts import ACTIVE, Lift, LiftRole, MatchStatus, RosterLifts
from bot.domain.places import APPROXIMATE
from bot.domain.statuses import RsvpStatus
from db.schema import events, lift_matches, lifts, rsvps, shifts, volunteers


@dataclass(frozen=True)
class Person:
    """Someone going to a shift who answered the lift question, as matching sees them."""

    volunteer_id: int
    role: LiftRole
    seats: int
    place: Place
    reachable: bool


@dataclass(frozen=True)
class Match:
    id: int
    shift_id: int
    driver_id: int
    rider_id: int
    status: MatchStatus
    driver_agreed: bool
    rider_agreed: bool

    def other(self, volunteer_id: int) -> int:
        return self.rider_id if volunteer_id == self.driver_id else self.driver_id

    def agreed_by(self, volunteer_id: int) -> bool:
        return self.driver_agreed if volunteer_id == self.driver_id else self.rider_agreed


def _match(row: Any) -> Match:
    return Match(
        row.id,
        row.shift_id,
        row.driver_id,
        row.rider_id,
        MatchStatus(row.status),
        row.driver_agreed_at is not None,
        row.rider_agreed_at is not None,
    )


async def answer_of(conn: AsyncConnection, shift_id: int, volunteer_id: int) -> Lift:
    row = (
        await conn.execute(
            select(lifts.c.role, lifts.c.seats).where(
                lifts.c.shift_id == shift_id, lifts.c.volunteer_id == volunteer_id
            )
        )
    ).first()
    if row is None:
        return Lift(None)
    return Lift(LiftRole(row.role), row.seats or 0)


async def set_answer(
    conn: AsyncConnection, shift_id: int, volunteer_id: int, lift: Lift, *, at: datetime
) -> None:
    """Record their answer; "neither" removes it. Changing seats keeps their place in the queue,
    becoming a rider after being a driver starts it again."""
    where = (lifts.c.shift_id == shift_id, lifts.c.volunteer_id == volunteer_id)
    previous = await answer_of(conn, shift_id, volunteer_id)
    if lift.role is None:
        await conn.execute(delete(lifts).where(*where))
        return
    values: dict[str, Any] = {"role": lift.role, "seats": lift.seats or None}
    if previous.role is None:
        await conn.execute(
            insert(lifts).values(
                shift_id=shift_id, volunteer_id=volunteer_id, asked_at=at, **values
            )
        )
        return
    if previous.role != lift.role:
        values["asked_at"] = at
    await conn.execute(update(lifts).where(*where).values(**values))


async def people(conn: AsyncConnection, shift_id: int) -> list[Person]:
    """Drivers and riders of a shift who are still going, in the order they answered."""
    rows = await conn.execute(
        select(
            lifts.c.volunteer_id,
            lifts.c.role,
            lifts.c.seats,
            volunteers.c.latitude,
            volunteers.c.longitude,
            volunteers.c.postcode,
            volunteers.c.location_source,
            volunteers.c.telegram_id,
            volunteers.c.unreachable_at,
        )
        .join(volunteers, volunteers.c.id == lifts.c.volunteer_id)
        .join(
            rsvps,
            (rsvps.c.shift_id == lifts.c.shift_id) & (rsvps.c.volunteer_id == lifts.c.volunteer_id),
        )
        .where(lifts.c.shift_id == shift_id, rsvps.c.status == RsvpStatus.GOING)
        .order_by(lifts.c.asked_at, lifts.c.id)
    )
    return [
        Person(
            row.volunteer_id,
            LiftRole(row.role),
            row.seats or 0,
            Place(row.latitude, row.longitude, row.postcode, row.location_source in APPROXIMATE),
            row.telegram_id is not None and row.unreachable_at is None,
        )
        for row in rows
    ]


async def matches_of(conn: AsyncConnection, shift_id: int) -> list[Match]:
    """Every match of a shift, declined ones included, oldest first."""
    rows = await conn.execute(
        select(lift_matches).where(lift_matches.c.shift_id == shift_id).order_by(lift_matches.c.id)
    )
    return [_match(row) for row in rows]


async def active_for(
    conn: AsyncConnection, volunteer_id: int, shift_id: int | None = None
) -> list[Match]:
    """Their suggested and agreed matches (for one shift, or all), oldest first."""
    query = select(lift_matches).where(
        or_(lift_matches.c.driver_id == volunteer_id, lift_matches.c.rider_id == volunteer_id),
        lift_matches.c.status.in_(ACTIVE),
    )
    if shift_id is not None:
        query = query.where(lift_matches.c.shift_id == shift_id)
    return [_match(row) for row in await conn.execute(query.order_by(lift_matches.c.id))]


async def match_by_id(conn: AsyncConnection, match_id: int) -> Match | None:
    row = (await conn.execute(select(lift_matches).where(lift_matches.c.id == match_id))).first()
    return _match(row) if row else None


async def add_match(
    conn: AsyncConnection, shift_id: int, driver_id: int, rider_id: int, *, at: datetime
) -> int:
    return (
        await conn.execute(
            insert(lift_matches)
            .values(
                shift_id=shift_id,
                driver_id=driver_id,
                rider_id=rider_id,
                status=MatchStatus.SUGGESTED,
                created_at=at,
            )
            .returning(lift_matches.c.id)
        )
    ).scalar_one()


async def agree(conn: AsyncConnection, match: Match, volunteer_id: int, *, at: datetime) -> bool:
    """They agreed; True when that makes both."""
    column = "driver_agreed_at" if volunteer_id == match.driver_id else "rider_agreed_at"
    both = match.agreed_by(match.other(volunteer_id))
    values: dict[str, Any] = {column: at}
    if both:
        values["status"] = MatchStatus.AGREED
    await conn.execute(update(lift_matches).where(lift_matches.c.id == match.id).values(**values))
    return both


async def decline(conn: AsyncConnection, match_id: int) -> None:
    await conn.execute(
        update(lift_matches)
        .where(lift_matches.c.id == match_id)
        .values(status=MatchStatus.DECLINED, driver_agreed_at=None, rider_agreed_at=None)
    )


async def release(conn: AsyncConnection, match_ids: Iterable[int]) -> None:
    ids = list(match_ids)
    if ids:
        await conn.execute(delete(lift_matches).where(lift_matches.c.id.in_(ids)))


async def roster(conn: AsyncConnection, shift_ids: list[int]) -> dict[int, RosterLifts]:
    """Lifts of the people still going, by shift (shifts with none are absent)."""
    found: dict[int, RosterLifts] = {}
    for shift_id in shift_ids:
        going = await people(conn, shift_id)
        if not going:
            continue
        names = dict(
            (
                await conn.execute(
                    select(volunteers.c.id, volunteers.c.name).where(
                        volunteers.c.id.in_([p.volunteer_id for p in going])
                    )
                )
            ).all()
        )
        agreed = [m for m in await matches_of(conn, shift_id) if m.status == MatchStatus.AGREED]
        drivers = [
            (
                names.get(p.volunteer_id),
                p.seats,
                [names.get(m.rider_id) for m in agreed if m.driver_id == p.volunteer_id],
            )
            for p in going
            if p.role is LiftRole.DRIVER
        ]
        riders = [
            (
                names.get(p.volunteer_id),
                next(
                    (names.get(m.driver_id) for m in agreed if m.rider_id == p.volunteer_id), None
                ),
            )
            for p in going
            if p.role is LiftRole.RIDER
        ]
        found[shift_id] = RosterLifts(drivers, riders)
    return found


async def export(conn: AsyncConnection, volunteer_id: int) -> dict[str, Any]:
    """For /mydata: their lift answers, and the matches they were part of (their side only)."""

    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    answers = await conn.execute(
        select(lifts.c.role, lifts.c.seats, lifts.c.asked_at, shifts.c.starts_at, events.c.title)
        .join(shifts, shifts.c.id == lifts.c.shift_id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(lifts.c.volunteer_id == volunteer_id)
        .order_by(shifts.c.starts_at)
    )
    matched = await conn.execute(
        select(
            lift_matches.c.driver_id,
            lift_matches.c.status,
            lift_matches.c.created_at,
            lift_matches.c.driver_agreed_at,
            lift_matches.c.rider_agreed_at,
            shifts.c.starts_at,
            events.c.title,
        )
        .join(shifts, shifts.c.id == lift_matches.c.shift_id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(
            or_(lift_matches.c.driver_id == volunteer_id, lift_matches.c.rider_id == volunteer_id)
        )
        .order_by(lift_matches.c.id)
    )
    return {
        "lifts": [{key: plain(value) for key, value in row._mapping.items()} for row in answers],
        "lift_matches": [
            {
                "you_were": "driver" if row.driver_id == volunteer_id else "rider",
                "status": row.status,
                "suggested_at": plain(row.created_at),
                "you_agreed_at": plain(
                    row.driver_agreed_at if row.driver_id == volunteer_id else row.rider_agreed_at
                ),
                "shift_starts_at": plain(row.starts_at),
                "event": row.title,
            }
            for row in matched
        ],
    }


async def erase(conn: AsyncConnection, volunteer_id: int) -> None:
    """/forget: their answers, and every match they were part of."""
    await conn.execute(delete(lifts).where(lifts.c.volunteer_id == volunteer_id))
    await conn.execute(
        delete(lift_matches).where(
            or_(lift_matches.c.driver_id == volunteer_id, lift_matches.c.rider_id == volunteer_id)
        )
    )


async def delete_ended(conn: AsyncConnection, before: datetime) -> int:
    """Retention: lifts and matches of shifts that ended before ``before``; returns how many
    rows went."""
    ended = select(shifts.c.id).where(shifts.c.ends_at < before)
    gone = await conn.execute(delete(lift_matches).where(lift_matches.c.shift_id.in_(ended)))
    more = await conn.execute(delete(lifts).where(lifts.c.shift_id.in_(ended)))
    return (gone.rowcount or 0) + (more.rowcount or 0)
