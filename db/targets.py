"""Queries about target seats, wards and divisions, and the events tied to them.

Names match in any case, as areas do (``lower`` on both sides), so "battersea" in a later file or
an event's area finds the target stored as "Battersea".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.statuses import EventStatus, RsvpStatus
from bot.domain.targets import Session, Target, TargetDraft
from db import events as db_events
from db.schema import events, rsvps, shifts, targets


def _values(draft: TargetDraft) -> dict[str, object]:
    return {
        "name": draft.name,
        "kind": draft.kind,
        "priority": draft.priority,
        "why": draft.why,
        "postcode": draft.postcode,
        "latitude": draft.latitude,
        "longitude": draft.longitude,
        "location_source": draft.location_source,
        "helpers_wanted": draft.helpers_wanted,
    }


async def every(conn: AsyncConnection) -> list[Target]:
    """Every target, the most wanted first, then by name."""
    rows = await conn.execute(
        select(targets).order_by(targets.c.priority, func.lower(targets.c.name), targets.c.id)
    )
    return [Target(**row._mapping) for row in rows]


async def add(conn: AsyncConnection, draft: TargetDraft, *, by: int, at: datetime) -> int:
    return (
        await conn.execute(
            insert(targets)
            .values(**_values(draft), created_by=by, created_at=at, updated_at=at)
            .returning(targets.c.id)
        )
    ).scalar_one()


async def change(
    conn: AsyncConnection, target_id: int, draft: TargetDraft, *, at: datetime
) -> None:
    await conn.execute(
        update(targets).where(targets.c.id == target_id).values(**_values(draft), updated_at=at)
    )


async def id_named(conn: AsyncConnection, name: str) -> int | None:
    """The target called ``name``, in any case."""
    return await conn.scalar(select(targets.c.id).where(func.lower(targets.c.name) == name.lower()))


async def tie_events_in_area(conn: AsyncConnection, target_id: int, name: str) -> int:
    """Tie to the target every event not yet tied to one whose area is its name; how many."""
    done = await conn.execute(
        update(events)
        .where(events.c.target_id.is_(None), func.lower(events.c.area) == name.lower())
        .values(target_id=target_id)
    )
    return done.rowcount


async def sessions(
    conn: AsyncConnection, target_ids: Iterable[int], *, since: datetime, until: datetime
) -> list[tuple[int, Session]]:
    """The live shifts of live events tied to these targets that have not ended by ``since``
    and start before ``until``, each with its target and who said going."""
    found = (
        await conn.execute(
            select(shifts.c.id, events.c.title, events.c.target_id)
            .join(events, events.c.id == shifts.c.event_id)
            .where(
                events.c.target_id.in_(list(target_ids)),
                events.c.status == EventStatus.ACTIVE,
                shifts.c.status == EventStatus.ACTIVE,
                shifts.c.ends_at > since,
                shifts.c.starts_at < until,
            )
        )
    ).all()
    if not found:
        return []
    shift_ids = [row.id for row in found]
    going: dict[int, set[int]] = {shift_id: set() for shift_id in shift_ids}
    for row in await conn.execute(
        select(rsvps.c.shift_id, rsvps.c.volunteer_id).where(
            rsvps.c.shift_id.in_(shift_ids), rsvps.c.status == RsvpStatus.GOING
        )
    ):
        going[row.shift_id].add(row.volunteer_id)
    by_id = {shift.id: shift for shift in await db_events.shifts_by_ids(conn, shift_ids)}
    return [
        (row.target_id, Session(row.title, by_id[row.id], frozenset(going[row.id])))
        for row in found
    ]
