"""Queries about events and their shifts."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.events import Event, EventDraft, Shift
from bot.domain.statuses import INTERESTED, EventStatus, RsvpStatus
from db.schema import events, rsvps, shifts, targets, volunteers
from db.volunteers import CAN_MESSAGE


def new_code() -> str:
    # 48 bits of randomness in 8 URL-safe characters: unguessable, short enough to type.
    return secrets.token_urlsafe(6)


async def create_event(
    conn: AsyncConnection,
    draft: EventDraft,
    *,
    created_by: int | None,
    at: datetime,
    target_id: int | None = None,
) -> int:
    event_id = (
        await conn.execute(
            insert(events)
            .values(
                code=new_code(),
                kind=draft.kind,
                title=draft.title,
                area=draft.area,
                address=draft.address,
                latitude=draft.latitude,
                longitude=draft.longitude,
                status=EventStatus.ACTIVE,
                created_by=created_by,
                created_at=at,
                target_id=target_id,
            )
            .returning(events.c.id)
        )
    ).scalar_one()
    if draft.shifts:
        await conn.execute(
            insert(shifts),
            [
                {
                    "event_id": event_id,
                    "starts_at": shift.starts_at,
                    "ends_at": shift.ends_at,
                    "capacity": shift.capacity,
                    "note": shift.note,
                    "status": EventStatus.ACTIVE,
                }
                for shift in draft.shifts
            ],
        )
    return event_id


def _event(row: object) -> Event:
    return Event(**row._mapping)  # type: ignore[attr-defined]


def _events() -> Select[Any]:
    """Events as organisers see them: with the name of the target each works for."""
    return select(events, targets.c.name.label("target_name")).select_from(
        events.outerjoin(targets, targets.c.id == events.c.target_id)
    )


async def by_id(conn: AsyncConnection, event_id: int) -> Event | None:
    row = (await conn.execute(_events().where(events.c.id == event_id))).first()
    return _event(row) if row else None


async def by_code(conn: AsyncConnection, code: str) -> Event | None:
    row = (await conn.execute(_events().where(events.c.code == code))).first()
    return _event(row) if row else None


def _in_areas(areas: Iterable[str] | None) -> ColumnElement[bool]:
    """A condition limiting events to ``areas`` (None: every area), matched in any case."""
    if areas is None:
        return true()
    return func.lower(events.c.area).in_([area.lower() for area in areas])


_COUNTS = (
    func.coalesce(func.sum(case((rsvps.c.status == RsvpStatus.GOING, 1), else_=0)), 0).label(
        "going"
    ),
    func.coalesce(func.sum(case((rsvps.c.status == RsvpStatus.WAITLISTED, 1), else_=0)), 0).label(
        "waitlisted"
    ),
)


async def shifts_of(
    conn: AsyncConnection, event_id: int, *, include_cancelled: bool = False
) -> list[Shift]:
    """An event's shifts in time order, with how many are going and waiting for each."""
    query = (
        select(shifts, *_COUNTS)
        .select_from(shifts.outerjoin(rsvps, rsvps.c.shift_id == shifts.c.id))
        .where(shifts.c.event_id == event_id)
        .group_by(shifts.c.id)
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    if not include_cancelled:
        query = query.where(shifts.c.status == EventStatus.ACTIVE)
    return [Shift(**row._mapping) for row in await conn.execute(query)]


async def shifts_by_ids(conn: AsyncConnection, shift_ids: Iterable[int]) -> list[Shift]:
    ids = list(shift_ids)
    query = (
        select(shifts, *_COUNTS)
        .select_from(shifts.outerjoin(rsvps, rsvps.c.shift_id == shifts.c.id))
        .where(shifts.c.id.in_(ids))
        .group_by(shifts.c.id)
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    return [Shift(**row._mapping) for row in await conn.execute(query)]


# A shift's event alongside the shift's own columns, in one row.
_EVENT_COLUMNS = [column.label(f"of_event_{column.name}") for column in events.c]


def _shift_and_event(row: Any) -> tuple[Shift, Event]:
    values = row._mapping
    shift = Shift(**{key: values[key] for key in (*shifts.c.keys(), "going", "waitlisted")})
    event = Event(**{column.name: values[f"of_event_{column.name}"] for column in events.c})
    return shift, event


async def shift_with_event(conn: AsyncConnection, shift_id: int) -> tuple[Shift, Event] | None:
    """A shift (with its counts) and its event in one round trip: a tap needs both, often more
    than once."""
    row = (
        await conn.execute(
            select(shifts, *_COUNTS, *_EVENT_COLUMNS)
            .select_from(
                shifts.join(events, events.c.id == shifts.c.event_id).outerjoin(
                    rsvps, rsvps.c.shift_id == shifts.c.id
                )
            )
            .where(shifts.c.id == shift_id)
            .group_by(shifts.c.id, events.c.id)
        )
    ).first()
    return None if row is None else _shift_and_event(row)


async def starting_between(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[tuple[Shift, Event]]:
    """Live shifts (active, of an active event) starting in [start, end), in time order, each
    with its counts and its event, in every area: one query for what the morning digest shows
    each of its readers, who see their own areas of it."""
    rows = await conn.execute(
        select(shifts, *_COUNTS, *_EVENT_COLUMNS)
        .select_from(
            shifts.join(events, events.c.id == shifts.c.event_id).outerjoin(
                rsvps, rsvps.c.shift_id == shifts.c.id
            )
        )
        .where(
            shifts.c.status == EventStatus.ACTIVE,
            events.c.status == EventStatus.ACTIVE,
            shifts.c.starts_at >= start,
            shifts.c.starts_at < end,
        )
        .group_by(shifts.c.id, events.c.id)
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    return [_shift_and_event(row) for row in rows]


def _upcoming(areas: Iterable[str] | None, at: datetime) -> Select[Any]:
    """Active events with a shift still to end, soonest first, within ``areas``."""
    upcoming_ids = (
        select(shifts.c.event_id, func.min(shifts.c.starts_at).label("first"))
        .where(shifts.c.status == EventStatus.ACTIVE, shifts.c.ends_at > at)
        .group_by(shifts.c.event_id)
        .subquery()
    )
    return (
        _events()
        .join(upcoming_ids, upcoming_ids.c.event_id == events.c.id)
        .where(events.c.status == EventStatus.ACTIVE, _in_areas(areas))
        .order_by(upcoming_ids.c.first, events.c.id)
    )


async def upcoming(
    conn: AsyncConnection,
    *,
    areas: Iterable[str] | None,
    at: datetime,
    offset: int = 0,
    limit: int | None = None,
) -> list[tuple[Event, list[Shift]]]:
    """Active events with a shift still to end, soonest first, within ``areas``, with their
    shifts: all of them, or ``limit`` from ``offset`` on."""
    rows = await conn.execute(_upcoming(areas, at).offset(offset).limit(limit))
    found = [_event(row) for row in rows]
    return [(event, await shifts_of(conn, event.id)) for event in found]


async def count_upcoming(
    conn: AsyncConnection, *, areas: Iterable[str] | None, at: datetime
) -> int:
    """How many :func:`upcoming` holds."""
    return int(
        await conn.scalar(select(func.count()).select_from(_upcoming(areas, at).subquery())) or 0
    )


async def cancel_event(conn: AsyncConnection, event_id: int, *, at: datetime) -> None:
    await conn.execute(
        update(events)
        .where(events.c.id == event_id)
        .values(status=EventStatus.CANCELLED, cancelled_at=at)
    )
    await conn.execute(
        update(shifts)
        .where(shifts.c.event_id == event_id, shifts.c.status == EventStatus.ACTIVE)
        .values(status=EventStatus.CANCELLED, cancelled_at=at)
    )


async def cancel_shift(conn: AsyncConnection, shift_id: int, *, at: datetime) -> None:
    await conn.execute(
        update(shifts)
        .where(shifts.c.id == shift_id)
        .values(status=EventStatus.CANCELLED, cancelled_at=at)
    )


async def update_event(conn: AsyncConnection, event_id: int, **values: object) -> None:
    await conn.execute(update(events).where(events.c.id == event_id).values(**values))


async def update_shift(conn: AsyncConnection, shift_id: int, **values: object) -> None:
    await conn.execute(update(shifts).where(shifts.c.id == shift_id).values(**values))


# --- For organisers' edits and cancellations ---------------------------------------------------

# Answers whose holders hear about changes: they have, want or might take a place.
TOLD_OF_CHANGES = INTERESTED


async def people_to_tell(
    conn: AsyncConnection,
    *,
    event_id: int | None = None,
    shift_id: int | None = None,
    at: datetime,
) -> list[tuple[int, int]]:
    """(volunteer id, Telegram id), once each, of everyone going, maybe or waitlisted for one shift
    or for an event's active shifts still to end, who can still be reached (not forgotten, not
    blocked the bot)."""
    query = (
        select(volunteers.c.id, volunteers.c.telegram_id)
        .distinct()
        .join(rsvps, rsvps.c.volunteer_id == volunteers.c.id)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .where(
            rsvps.c.status.in_(TOLD_OF_CHANGES),
            CAN_MESSAGE,
        )
        .order_by(volunteers.c.id)
    )
    if shift_id is not None:
        query = query.where(shifts.c.id == shift_id)
    else:
        query = query.where(
            shifts.c.event_id == event_id,
            shifts.c.status == EventStatus.ACTIVE,
            shifts.c.ends_at > at,
        )
    return [(row.id, row.telegram_id) for row in await conn.execute(query)]


async def lock_shift(conn: AsyncConnection, shift_id: int) -> None:
    """Hold the shift's row until the transaction ends, as RSVPs do, so that its places and
    answers cannot change underneath an edit (SQLite's BEGIN IMMEDIATE already serialises)."""
    await conn.execute(select(shifts.c.id).where(shifts.c.id == shift_id).with_for_update())
