"""Attendance: who came, who didn't, and what they did. One definition, used by check-in,
rosters, reports, summaries and exports alike.

- came: checked in (by "I'm here", /here or a shared location) unless an organiser marked them a
  no-show, or marked present by an organiser. Walk-ins (no RSVP beforehand) count as came.
- no-show: said going (and kept it) but did not come.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot import clock
from db.rsvps import GOING
from db.schema import rsvps

PRESENT = "present"
NO_SHOW = "no_show"

CAME: ColumnElement[bool] = or_(
    rsvps.c.attendance == PRESENT,
    and_(rsvps.c.attendance.is_(None), rsvps.c.checked_in_at.is_not(None)),
)
SAID_GOING: ColumnElement[bool] = and_(rsvps.c.status == GOING, rsvps.c.walk_in.is_(False))
DID_NOT_COME: ColumnElement[bool] = and_(SAID_GOING, ~CAME)


def came(checked_in_at: datetime | None, attendance: str | None) -> bool:
    """The same rule as CAME, for rows already loaded."""
    return attendance == PRESENT or (attendance is None and checked_in_at is not None)


async def check_in(conn: AsyncConnection, shift_id: int, volunteer_id: int) -> bool:
    """Mark someone here; a walk-in (no RSVP, or one that said maybe or can't) gets a going row.

    Returns True if they were a walk-in. Checking in twice keeps the first time.
    """
    at = clock.now()
    row = (
        await conn.execute(
            select(rsvps.c.id, rsvps.c.status, rsvps.c.checked_in_at).where(
                rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id
            )
        )
    ).first()
    if row is None:
        await conn.execute(
            rsvps.insert().values(
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                status=GOING,
                responded_at=at,
                checked_in_at=at,
                walk_in=True,
            )
        )
        return True
    walk_in = row.status != GOING
    values: dict[str, object] = {"checked_in_at": row.checked_in_at or at}
    if walk_in:
        values.update(status=GOING, waitlist_seq=None, walk_in=True)
    await conn.execute(update(rsvps).where(rsvps.c.id == row.id).values(**values))
    return walk_in


async def running_late(conn: AsyncConnection, shift_id: int, volunteer_id: int) -> None:
    await conn.execute(
        update(rsvps)
        .where(rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id)
        .values(running_late_at=clock.now())
    )


async def correct(conn: AsyncConnection, shift_id: int, volunteer_id: int, attendance: str) -> None:
    """An organiser's correction from the roster: present or no-show."""
    if attendance not in (PRESENT, NO_SHOW):
        raise ValueError(attendance)
    await conn.execute(
        update(rsvps)
        .where(rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id)
        .values(attendance=attendance)
    )


async def debrief(
    conn: AsyncConnection,
    shift_id: int,
    volunteer_id: int,
    *,
    doors: int | None = None,
    note: str | None = None,
) -> None:
    values: dict[str, object] = {}
    if doors is not None:
        values["doors"] = doors
    if note is not None:
        values["debrief_note"] = note
    if values:
        await conn.execute(
            update(rsvps)
            .where(rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id)
            .values(**values)
        )
