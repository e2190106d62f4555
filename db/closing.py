"""The queries behind the polling-day report (bot.domain.closing): an election's committee-room
shifts with their figures (one shift_totals row each, and a count of their knock-up rounds), the
people who came to them, its pledges, and who the report goes to.

Who came is db.attendance's CAME; doors are rsvps.doors as shift_totals keeps them (a round's
doors are added there when its helper comes back).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.closing import Came, RoomShiftTotals
from bot.domain.polling import COMMITTEE_ROOM, Election
from bot.domain.statuses import EventStatus
from db import roles
from db.attendance import CAME
from db.schema import events, pledges, rounds, rsvps, shift_totals, shifts


def _room_shifts(election: Election, start: datetime, end: datetime) -> Select:
    """Ids of the election's committee-room shifts: live, in its areas, starting on its day."""
    return (
        select(shifts.c.id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(
            events.c.kind == COMMITTEE_ROOM,
            events.c.status == EventStatus.ACTIVE,
            shifts.c.status == EventStatus.ACTIVE,
            func.lower(events.c.area).in_([a.lower() for a in election.areas]),
            shifts.c.starts_at >= start,
            shifts.c.starts_at < end,
        )
    )


async def room_shifts(
    conn: AsyncConnection, election: Election, start: datetime, end: datetime
) -> list[RoomShiftTotals]:
    """Each of the election's room shifts (``start``/``end``: its day in UTC) with its figures."""
    round_count = (
        select(func.count(rounds.c.id))
        .join(rsvps, rsvps.c.id == rounds.c.rsvp_id)
        .where(rsvps.c.shift_id == shifts.c.id)
        .scalar_subquery()
    )
    rows = await conn.execute(
        select(
            shifts.c.id,
            shifts.c.event_id,
            events.c.title,
            events.c.area,
            shifts.c.starts_at,
            shifts.c.ends_at,
            func.coalesce(shift_totals.c.going, 0).label("going"),
            func.coalesce(shift_totals.c.came, 0).label("came"),
            func.coalesce(shift_totals.c.doors, 0).label("doors"),
            round_count.label("rounds"),
        )
        .select_from(
            shifts.join(events, events.c.id == shifts.c.event_id).outerjoin(
                shift_totals, shift_totals.c.shift_id == shifts.c.id
            )
        )
        .where(shifts.c.id.in_(_room_shifts(election, start, end)))
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    return [
        RoomShiftTotals(
            row.id,
            row.event_id,
            row.title,
            row.area,
            row.starts_at,
            row.ends_at,
            int(row.going),
            int(row.came),
            int(row.doors),
            int(row.rounds or 0),
        )
        for row in rows
    ]


async def came(conn: AsyncConnection, election: Election, shift_ids: list[int]) -> list[Came]:
    """Everyone who came to ``shift_ids`` (the election's room shifts), and whether they had
    pledged for it."""
    if not shift_ids:
        return []
    pledged = (
        select(pledges.c.id)
        .where(pledges.c.election_id == election.id, pledges.c.volunteer_id == rsvps.c.volunteer_id)
        .exists()
    )
    rows = await conn.execute(
        select(
            rsvps.c.shift_id, rsvps.c.volunteer_id, rsvps.c.checked_in_at, pledged.label("pledged")
        )
        .where(rsvps.c.shift_id.in_(shift_ids), CAME)
        .order_by(rsvps.c.id)
    )
    return [
        Came(row.shift_id, row.volunteer_id, row.checked_in_at, bool(row.pledged)) for row in rows
    ]


async def pledged(conn: AsyncConnection, election_id: int) -> list[tuple[str | None, list[str]]]:
    """Each pledge's area and parts of the day (nothing else about who made it)."""
    rows = await conn.execute(
        select(pledges.c.area, pledges.c.parts).where(pledges.c.election_id == election_id)
    )
    return [(row.area, list(row.parts)) for row in rows]


def people_of(
    election: Election, start: datetime, end: datetime, areas: Iterable[str] | None
) -> Select:
    """Ids of the election's people within ``areas`` (None: all of its areas): who pledged for
    it (placed in those areas) and who answered for one of its room shifts there."""
    lowered = [a.lower() for a in (areas if areas is not None else election.areas)]
    pledgers = select(pledges.c.volunteer_id).where(pledges.c.election_id == election.id)
    if areas is not None:
        pledgers = pledgers.where(func.lower(pledges.c.area).in_(lowered))
    answered = select(rsvps.c.volunteer_id).where(
        rsvps.c.shift_id.in_(
            _room_shifts(election, start, end).where(func.lower(events.c.area).in_(lowered))
        )
    )
    return pledgers.union(answered)


async def readers(conn: AsyncConnection, election: Election) -> list[int]:
    """Telegram ids of the organisers and coordinators of the election's areas (and of every
    area)."""
    found: set[int] = set()
    for area in election.areas:
        found.update(await roles.organisers_of(conn, area, None))
    return sorted(found)
