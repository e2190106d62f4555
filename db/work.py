"""Scheduled work rows: planning them from shifts and calls as they are now, and claiming the
ones that are due. See bot.planning for the rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.planning import (
    AFTERWARDS_FOR,
    BadOffsets,
    Kind,
    Planned,
    callout_work,
    parse_offsets,
    shift_work,
)
from db.schema import callouts, events, scheduled_work, shifts

PENDING = "pending"
DONE = "done"
SKIPPED = "skipped"
DROPPED = "dropped"


@dataclass(frozen=True)
class Work:
    id: int
    kind: Kind
    shift_id: int | None
    callout_id: int | None
    detail: str
    due_at: datetime


async def _sync(
    conn: AsyncConnection, about: str, subject_id: int, wanted: Iterable[Planned], at: datetime
) -> None:
    """Make the pending work about one shift or call (``about`` is "shift_id" or "callout_id")
    match ``wanted``: add what is new, move what moved, drop what is no longer wanted. Work
    already done or skipped is left as it was."""
    key = scheduled_work.c[about] == subject_id
    existing = {
        (row.kind, row.detail): row
        for row in await conn.execute(
            select(
                scheduled_work.c.id,
                scheduled_work.c.kind,
                scheduled_work.c.detail,
                scheduled_work.c.due_at,
                scheduled_work.c.status,
            ).where(key)
        )
    }
    wanted_keys = set()
    for plan in wanted:
        wanted_keys.add((plan.kind.value, plan.detail))
        row = existing.get((plan.kind.value, plan.detail))
        if row is None:
            # Work planned after its time (an event set up at short notice) is not sent late.
            status = PENDING if plan.due_at > at else SKIPPED
            await conn.execute(
                insert(scheduled_work).values(
                    kind=plan.kind.value,
                    detail=plan.detail,
                    due_at=plan.due_at,
                    status=status,
                    done_at=None if status == PENDING else at,
                    **{about: subject_id},
                )
            )
        elif row.status == PENDING and row.due_at != plan.due_at:
            await conn.execute(
                update(scheduled_work)
                .where(scheduled_work.c.id == row.id)
                .values(due_at=plan.due_at)
            )
    gone = [row.id for k, row in existing.items() if k not in wanted_keys and row.status == PENDING]
    if gone:
        await conn.execute(
            update(scheduled_work)
            .where(scheduled_work.c.id.in_(gone))
            .values(status=DROPPED, done_at=at)
        )


async def reconcile(
    conn: AsyncConnection,
    *,
    at: datetime,
    zone: ZoneInfo,
    default_offsets: tuple[timedelta, ...],
    chase_before: timedelta,
) -> None:
    """Plan the work of every shift and call that is not long over, from how they are now. Any
    way a shift is created, moved or cancelled, its work follows on the next pass."""
    rows = await conn.execute(
        select(
            shifts.c.id,
            shifts.c.starts_at,
            shifts.c.ends_at,
            shifts.c.status,
            events.c.status.label("event_status"),
            events.c.reminder_offsets,
        )
        .join(events, events.c.id == shifts.c.event_id)
        .where(shifts.c.ends_at > at - AFTERWARDS_FOR)
    )
    for row in rows.all():
        wanted: list[Planned] = []
        if row.status == "active" and row.event_status == "active":
            try:
                offsets = (
                    parse_offsets(row.reminder_offsets) if row.reminder_offsets else default_offsets
                )
            except BadOffsets:
                offsets = default_offsets
            wanted = shift_work(row.starts_at, row.ends_at, offsets, zone)
        await _sync(conn, "shift_id", row.id, wanted, at)

    calls = await conn.execute(
        select(callouts.c.id, callouts.c.rsvp_deadline, callouts.c.status).where(
            callouts.c.rsvp_deadline.is_not(None), callouts.c.rsvp_deadline > at - AFTERWARDS_FOR
        )
    )
    for call in calls.all():
        wanted = (
            [] if call.status == "cancelled" else callout_work(call.rsvp_deadline, chase_before)
        )
        await _sync(conn, "callout_id", call.id, wanted, at)


async def claim_next(conn: AsyncConnection, at: datetime) -> Work | None:
    """The oldest due piece of work, locked for this transaction (others skip past it)."""
    row = (
        await conn.execute(
            select(scheduled_work)
            .where(scheduled_work.c.status == PENDING, scheduled_work.c.due_at <= at)
            .order_by(scheduled_work.c.due_at, scheduled_work.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    if row is None:
        return None
    return Work(row.id, Kind(row.kind), row.shift_id, row.callout_id, row.detail, row.due_at)


async def finish(conn: AsyncConnection, work_id: int, status: str, at: datetime) -> None:
    await conn.execute(
        update(scheduled_work)
        .where(scheduled_work.c.id == work_id)
        .values(status=status, done_at=at)
    )


async def ensure_digest(conn: AsyncConnection, day: date, due_at: datetime) -> None:
    """One digest row a day (rows about no shift or call are told apart by the day)."""
    exists = await conn.scalar(
        select(scheduled_work.c.id).where(
            scheduled_work.c.kind == Kind.DIGEST.value, scheduled_work.c.detail == day.isoformat()
        )
    )
    if exists is None:
        await conn.execute(
            insert(scheduled_work).values(
                kind=Kind.DIGEST.value, detail=day.isoformat(), due_at=due_at, status=PENDING
            )
        )
