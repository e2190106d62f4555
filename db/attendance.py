"""Attendance: who came, who didn't, and what they did. One definition, used by check-in,
rosters, reports, summaries and exports alike.

- on the shift: everyone with an answer for it, whether or not we can message them (blocked the
  bot, forgotten): every report, figure and correction counts them (:func:`people`).
- who we can message: those of them going who are reachable (:func:`reachable_going`); only
  messages to volunteers (reminders, check-in prompts, debriefs) use this.
- came: checked in (by "I'm here", /here or a shared location) unless an organiser marked them a
  no-show, or marked present by an organiser. Walk-ins (no RSVP beforehand) count as came.
- no-show: said going (and kept it) but did not come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.statuses import Attendance, EventStatus, RsvpStatus
from bot.domain.volunteers import can_message
from db.schema import events, rounds, rsvps, shifts, volunteers


def came_in(row: ReadOnlyColumnCollection[str, Any]) -> ColumnElement[bool]:
    """CAME for the rsvps columns of ``row``: the table itself, or a trigger's ``new``/``old``."""
    # Written so that it is never NULL: with a NULL in it, ``~CAME`` would match nobody and every
    # no-show who was never corrected would go uncounted.
    return or_(
        func.coalesce(row.attendance, "") == Attendance.PRESENT,
        and_(row.attendance.is_(None), row.checked_in_at.is_not(None)),
    )


def said_going_in(row: ReadOnlyColumnCollection[str, Any]) -> ColumnElement[bool]:
    """SAID_GOING for the rsvps columns of ``row``."""
    return and_(row.status == RsvpStatus.GOING, row.walk_in.is_(False))


CAME: ColumnElement[bool] = came_in(rsvps.c)
SAID_GOING: ColumnElement[bool] = said_going_in(rsvps.c)
DID_NOT_COME: ColumnElement[bool] = and_(SAID_GOING, ~CAME)


def came(checked_in_at: datetime | None, attendance: str | None) -> bool:
    """The same rule as CAME, for rows already loaded."""
    return attendance == Attendance.PRESENT or (attendance is None and checked_in_at is not None)


async def check_in(
    conn: AsyncConnection, shift_id: int, volunteer_id: int, *, at: datetime
) -> bool:
    """Mark someone here; a walk-in (no RSVP, or one that said maybe or can't) gets a going row.

    Returns True if they were a walk-in. Checking in twice keeps the first time.
    """
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
                status=RsvpStatus.GOING,
                responded_at=at,
                checked_in_at=at,
                walk_in=True,
            )
        )
        return True
    walk_in = row.status != RsvpStatus.GOING
    values: dict[str, object] = {"checked_in_at": row.checked_in_at or at}
    if walk_in:
        values.update(status=RsvpStatus.GOING, waitlist_seq=None, walk_in=True)
    await conn.execute(update(rsvps).where(rsvps.c.id == row.id).values(**values))
    return walk_in


async def running_late(
    conn: AsyncConnection, shift_id: int, volunteer_id: int, *, at: datetime
) -> None:
    await conn.execute(
        update(rsvps)
        .where(rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id)
        .values(running_late_at=at)
    )


async def correct(conn: AsyncConnection, shift_id: int, volunteer_id: int, attendance: str) -> None:
    """An organiser's correction from the roster: present or no-show."""
    if attendance not in (Attendance.PRESENT, Attendance.NO_SHOW):
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


@dataclass(frozen=True)
class OnShift:
    volunteer_id: int
    telegram_id: int | None
    name: str | None
    status: str
    walk_in: bool
    checked_in_at: datetime | None
    running_late_at: datetime | None
    attendance: str | None
    doors: int | None
    unreachable_at: datetime | None

    @property
    def came(self) -> bool:
        return came(self.checked_in_at, self.attendance)

    @property
    def said_going(self) -> bool:
        return self.status == RsvpStatus.GOING and not self.walk_in

    @property
    def running_late(self) -> bool:
        return self.running_late_at is not None

    @property
    def reachable(self) -> bool:
        return can_message(self.telegram_id, self.unreachable_at)


async def people(conn: AsyncConnection, shift_id: int) -> list[OnShift]:
    """Who is on a shift: everyone with an answer for it, with their attendance, in name order,
    reachable or not (someone who blocked the bot still came, or didn't)."""
    rows = await conn.execute(
        select(
            rsvps.c.volunteer_id,
            volunteers.c.telegram_id,
            volunteers.c.name,
            rsvps.c.status,
            rsvps.c.walk_in,
            rsvps.c.checked_in_at,
            rsvps.c.running_late_at,
            rsvps.c.attendance,
            rsvps.c.doors,
            volunteers.c.unreachable_at,
        )
        .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
        .where(rsvps.c.shift_id == shift_id)
        .order_by(volunteers.c.name, volunteers.c.id)
    )
    return [OnShift(*row) for row in rows]


async def doors_of_those_who_came(conn: AsyncConnection, shift_ids: list[int]) -> dict[int, int]:
    """Each shift's doors knocked by those who came, as the final report adds them up, for a few
    shifts (a day's): read from an index of the answers, not from everyone on each."""
    if not shift_ids:
        return {}
    rows = await conn.execute(
        select(rsvps.c.shift_id, func.sum(case((CAME, func.coalesce(rsvps.c.doors, 0)), else_=0)))
        .where(rsvps.c.shift_id.in_(shift_ids))
        .group_by(rsvps.c.shift_id)
    )
    return {shift_id: int(doors or 0) for shift_id, doors in rows}


async def reachable_going(conn: AsyncConnection, shift_id: int) -> list[OnShift]:
    """Who on a shift we can message: those going who are reachable. Only for messages to
    them; reports and figures count :func:`people`."""
    return [p for p in await people(conn, shift_id) if p.status == RsvpStatus.GOING and p.reachable]


async def show_rates(
    conn: AsyncConnection, volunteer_ids: list[int] | Select[Any], before: datetime
) -> dict[int, float]:
    """Each volunteer's share of past shifts they said going to and came to (absent: no past).
    ``volunteer_ids``: a few ids, or a select of them (as many as a call reaches: a list that
    long would pass PostgreSQL's limit on bound parameters)."""
    said = func.count().label("said")
    came_count = func.sum(case((CAME, 1), else_=0)).label("came")
    rows = await conn.execute(
        select(rsvps.c.volunteer_id, said, came_count)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .where(rsvps.c.volunteer_id.in_(volunteer_ids), SAID_GOING, shifts.c.ends_at <= before)
        .group_by(rsvps.c.volunteer_id)
    )
    return {row.volunteer_id: (row.came or 0) / row.said for row in rows if row.said}


async def cannot_come(
    conn: AsyncConnection, shift_id: int, volunteer_id: int, *, at: datetime
) -> None:
    """ "Can't come" at the start: not a no-show, since they told us; their place is not offered
    again because the shift has begun."""
    await conn.execute(
        update(rsvps)
        .where(rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id)
        .values(status=RsvpStatus.CANT, waitlist_seq=None, responded_at=at)
    )


async def on_now(conn: AsyncConnection, at: datetime, early: timedelta) -> list[int]:
    """Shifts running now or starting within ``early``: the ones one could be checking in to."""
    rows = await conn.scalars(
        select(shifts.c.id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(
            shifts.c.status == EventStatus.ACTIVE,
            events.c.status == EventStatus.ACTIVE,
            shifts.c.starts_at <= at + early,
            shifts.c.ends_at > at,
        )
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    return list(rows)


async def awaiting_doors(
    conn: AsyncConnection, volunteer_id: int, at: datetime, within: timedelta
) -> int | None:
    """The shift, ended in the last ``within``, that a volunteer came to and has not said how many
    doors they knocked for: where a typed number belongs. Not a shift of knock-up rounds, whose
    doors each round's Back asks for (a number typed while still out on the first is no
    debrief answer)."""
    rows = await conn.execute(
        select(rsvps.c.shift_id, rsvps.c.checked_in_at, rsvps.c.attendance)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .where(
            rsvps.c.volunteer_id == volunteer_id,
            rsvps.c.status == RsvpStatus.GOING,
            rsvps.c.doors.is_(None),
            ~exists().where(rounds.c.rsvp_id == rsvps.c.id),
            shifts.c.ends_at <= at,
            shifts.c.ends_at > at - within,
        )
        .order_by(shifts.c.ends_at.desc())
    )
    return next((row.shift_id for row in rows if came(row.checked_in_at, row.attendance)), None)
