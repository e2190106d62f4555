"""RSVP rules: answering for a shift, capacity and the waitlist.

Every change to a shift's answers happens while holding that shift's row lock (``FOR UPDATE`` on
PostgreSQL; on SQLite every transaction starts with ``BEGIN IMMEDIATE``), so two people tapping
for the last place at the same moment cannot both get it, and the waitlist order is the order in
which taps were handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.events import open_for_answers, open_for_joining
from bot.domain.rsvp import Outcome, Promotion, ShiftClosed
from bot.domain.statuses import ANSWERS, INTERESTED, EventStatus, RsvpStatus
from bot.domain.volunteers import Purpose
from db.attendance import CAME
from db.schema import events, rsvps, shifts, volunteers
from db.volunteers import latest_choice


async def _lock_open_shift(
    conn: AsyncConnection, shift_id: int, at: datetime, *, joining: bool = False
) -> int:
    """Lock the shift row for this transaction; return its capacity if it still takes answers
    (``joining``: a surge's helper, who may join it until it ends)."""
    row = (
        await conn.execute(
            select(
                shifts.c.capacity,
                shifts.c.status,
                shifts.c.starts_at,
                events.c.status,
                shifts.c.ends_at,
            )
            .join(events, events.c.id == shifts.c.event_id)
            .where(shifts.c.id == shift_id)
            .with_for_update(of=shifts)
        )
    ).first()
    if row is None:
        raise ShiftClosed(shift_id)
    if joining:
        if not open_for_joining(row[3], row[1], row[4], at):
            raise ShiftClosed(shift_id)
    elif not open_for_answers(row[3], row[1], row[2], at):
        raise ShiftClosed(shift_id)
    return int(row[0])


async def _count(conn: AsyncConnection, shift_id: int, status: str) -> int:
    return int(
        await conn.scalar(
            select(func.count()).where(rsvps.c.shift_id == shift_id, rsvps.c.status == status)
        )
        or 0
    )


async def position(conn: AsyncConnection, shift_id: int, volunteer_id: int) -> int | None:
    mine = await conn.scalar(
        select(rsvps.c.waitlist_seq).where(
            rsvps.c.shift_id == shift_id,
            rsvps.c.volunteer_id == volunteer_id,
            rsvps.c.status == RsvpStatus.WAITLISTED,
        )
    )
    if mine is None:
        return None
    ahead = await conn.scalar(
        select(func.count()).where(
            rsvps.c.shift_id == shift_id,
            rsvps.c.status == RsvpStatus.WAITLISTED,
            rsvps.c.waitlist_seq < mine,
        )
    )
    return int(ahead or 0) + 1


async def promote(
    conn: AsyncConnection, shift_id: int, capacity: int, *, at: datetime
) -> tuple[Promotion, ...]:
    """Fill free places from the front of the waitlist (after a cancel, or more places).

    The caller must hold the shift's lock (see respond), or be changing the shift row itself."""
    free = capacity - await _count(conn, shift_id, RsvpStatus.GOING)
    if free <= 0:
        return ()
    rows = (
        await conn.execute(
            select(rsvps.c.id, rsvps.c.volunteer_id, volunteers.c.telegram_id)
            .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
            .where(rsvps.c.shift_id == shift_id, rsvps.c.status == RsvpStatus.WAITLISTED)
            .order_by(rsvps.c.waitlist_seq)
            .limit(free)
        )
    ).all()
    if rows:
        await conn.execute(
            update(rsvps)
            .where(rsvps.c.id.in_([row.id for row in rows]))
            .values(status=RsvpStatus.GOING, waitlist_seq=None, responded_at=at)
        )
    return tuple(Promotion(shift_id, row.volunteer_id, row.telegram_id) for row in rows)


async def respond(
    conn: AsyncConnection,
    *,
    shift_id: int,
    volunteer_id: int,
    answer: str,
    at: datetime,
    callout_id: int | None = None,
    joining: bool = False,
) -> Outcome:
    """Record ``answer`` (going, maybe or cant) for one shift (``joining``: a surge's helper, to
    a shift that may be under way).

    Going becomes waitlisted when the shift is full, except for a surge's helper: the room's
    manager called them in now, and places booked by people who have not come are no reason to
    turn them away. Saying going again keeps one's place. Leaving "going" frees a place, which
    goes to the first on the waitlist. Raises ShiftClosed.
    """
    if answer not in ANSWERS:
        raise ValueError(answer)
    capacity = await _lock_open_shift(conn, shift_id, at, joining=joining)
    current = (
        await conn.execute(
            select(rsvps.c.id, rsvps.c.status).where(
                rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id
            )
        )
    ).first()
    previous = current.status if current else None

    if answer == RsvpStatus.GOING and previous in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        return Outcome(shift_id, previous, previous, await position(conn, shift_id, volunteer_id))
    status, seq = answer, None
    if (
        answer == RsvpStatus.GOING
        and not joining
        and await _count(conn, shift_id, RsvpStatus.GOING) >= capacity
    ):
        status = RsvpStatus.WAITLISTED
        seq = (
            int(
                await conn.scalar(
                    select(func.coalesce(func.max(rsvps.c.waitlist_seq), 0)).where(
                        rsvps.c.shift_id == shift_id
                    )
                )
                or 0
            )
            + 1
        )
    values: dict[str, object] = {"status": status, "waitlist_seq": seq, "responded_at": at}
    if answer != RsvpStatus.CANT:
        values["cancel_reason"] = None  # a reason for not coming stands only while they can't
    if callout_id is not None:
        values["callout_id"] = callout_id
    if current is None:
        await conn.execute(
            insert(rsvps).values(shift_id=shift_id, volunteer_id=volunteer_id, **values)
        )
    else:
        await conn.execute(update(rsvps).where(rsvps.c.id == current.id).values(**values))

    promoted = (
        await promote(conn, shift_id, capacity, at=at) if previous == RsvpStatus.GOING else ()
    )
    where = (
        await position(conn, shift_id, volunteer_id) if status == RsvpStatus.WAITLISTED else None
    )
    return Outcome(shift_id, status, previous, where, promoted)


async def waiting(conn: AsyncConnection, shift_id: int) -> list[int]:
    """Who is on a shift's waitlist, in queue order (volunteer ids)."""
    return list(
        await conn.scalars(
            select(rsvps.c.volunteer_id)
            .where(rsvps.c.shift_id == shift_id, rsvps.c.status == RsvpStatus.WAITLISTED)
            .order_by(rsvps.c.waitlist_seq)
        )
    )


async def set_reason(conn: AsyncConnection, shift_id: int, volunteer_id: int, reason: str) -> None:
    await conn.execute(
        update(rsvps)
        .where(rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id)
        .values(cancel_reason=reason)
    )


async def answers_of(
    conn: AsyncConnection, volunteer_id: int, shift_ids: list[int]
) -> dict[int, str]:
    rows = await conn.execute(
        select(rsvps.c.shift_id, rsvps.c.status).where(
            rsvps.c.volunteer_id == volunteer_id, rsvps.c.shift_id.in_(shift_ids)
        )
    )
    return {shift_id: status for shift_id, status in rows}


@dataclass(frozen=True)
class MyShift:
    shift_id: int
    event_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    position: int | None


async def upcoming_for(conn: AsyncConnection, volunteer_id: int, at: datetime) -> list[MyShift]:
    """A volunteer's shifts that have not ended and that they hold or wait for, or might come to."""
    rows = (
        await conn.execute(
            select(
                rsvps.c.shift_id,
                shifts.c.event_id,
                rsvps.c.status,
                shifts.c.starts_at,
                shifts.c.ends_at,
            )
            .join(shifts, shifts.c.id == rsvps.c.shift_id)
            .join(events, events.c.id == shifts.c.event_id)
            .where(
                rsvps.c.volunteer_id == volunteer_id,
                rsvps.c.status.in_(INTERESTED),
                shifts.c.status == EventStatus.ACTIVE,
                events.c.status == EventStatus.ACTIVE,
                shifts.c.ends_at > at,
            )
            .order_by(shifts.c.starts_at, shifts.c.id)
        )
    ).all()
    return [
        MyShift(
            row.shift_id,
            row.event_id,
            row.status,
            row.starts_at,
            row.ends_at,
            await position(conn, row.shift_id, volunteer_id)
            if row.status == RsvpStatus.WAITLISTED
            else None,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class RosterLine:
    shift_id: int
    status: str
    name: str | None
    phone: str | None
    position: int | None
    walk_in: bool = False
    came: bool = False
    running_late: bool = False

    @property
    def said_going(self) -> bool:
        return self.status == RsvpStatus.GOING and not self.walk_in


async def roster(conn: AsyncConnection, shift_ids: list[int]) -> list[RosterLine]:
    """Everyone with an answer for ``shift_ids``, by shift, the waitlist in its order, then by
    name. Who came and who is running late come from SQL as flags, and rows are unpacked rather
    than read by name: a page of the roster is thousands of rows, and reading each column by name
    and turning both times into datetimes took as long as the query."""
    rows = await conn.execute(
        select(
            rsvps.c.shift_id,
            rsvps.c.status,
            volunteers.c.name,
            # Only of those who said organisers may phone them.
            case((latest_choice(Purpose.PHONE), volunteers.c.phone), else_=None).label("phone"),
            rsvps.c.walk_in,
            CAME.label("came"),
            rsvps.c.running_late_at.is_not(None).label("running_late"),
        )
        .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
        .where(rsvps.c.shift_id.in_(shift_ids))
        .order_by(rsvps.c.shift_id, rsvps.c.waitlist_seq, volunteers.c.name)
    )
    lines: list[RosterLine] = []
    waiting: dict[int, int] = {}
    for shift_id, status, name, phone, walk_in, came_, late in rows:
        where = None
        if status == RsvpStatus.WAITLISTED:
            where = waiting[shift_id] = waiting.get(shift_id, 0) + 1
        lines.append(
            RosterLine(shift_id, status, name, phone, where, bool(walk_in), bool(came_), bool(late))
        )
    return lines


async def answers_by_status(conn: AsyncConnection, shift_id: int) -> dict[str, int]:
    """How many answers a shift has of each status (statuses nobody gave are absent)."""
    rows = await conn.execute(
        select(rsvps.c.status, func.count())
        .where(rsvps.c.shift_id == shift_id)
        .group_by(rsvps.c.status)
    )
    return {status: n for status, n in rows}
