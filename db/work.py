"""Scheduled work rows: planning them from shifts and calls as they are now, and claiming the
ones that are due. See bot.planning for the rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.planning import (
    AFTERWARDS_FOR,
    BadOffsets,
    Kind,
    Planned,
    callout_work,
    countdown_detail,
    countdown_work,
    parse_offsets,
    polls_closed_work,
    read_countdown_detail,
    shift_work,
)
from bot.domain.statuses import EventStatus, WorkStatus
from db.schema import callouts, elections, events, scheduled_work, shifts


@dataclass(frozen=True)
class Work:
    id: int
    kind: Kind
    shift_id: int | None
    callout_id: int | None
    detail: str
    due_at: datetime


@dataclass
class Changes:
    """What planning found to do: rows to add, pending rows to move, pending rows to drop."""

    add: list[dict[str, object]]
    move: list[tuple[int, datetime]]
    drop: list[int]

    def __bool__(self) -> bool:
        return bool(self.add or self.move or self.drop)


def _diff(
    changes: Changes,
    about: str,
    subject_id: int,
    wanted: Iterable[Planned],
    existing: dict[tuple[str, str], Any],
    at: datetime,
) -> None:
    """Add what is new, move what moved, drop what is no longer wanted, for one shift, call or
    election (``about`` is "shift_id", "callout_id" or "election": an election's work names it
    in its detail). Work done or skipped is left as it was."""
    wanted_keys = set()
    for plan in wanted:
        wanted_keys.add((plan.kind.value, plan.detail))
        row = existing.get((plan.kind.value, plan.detail))
        if row is None:
            # Work planned after its time (an event set up at short notice) is not sent late.
            late = plan.due_at <= at
            changes.add.append(
                {
                    "kind": plan.kind.value,
                    "detail": plan.detail,
                    "due_at": plan.due_at,
                    "status": WorkStatus.SKIPPED if late else WorkStatus.PENDING,
                    "done_at": at if late else None,
                    "shift_id": subject_id if about == "shift_id" else None,
                    "callout_id": subject_id if about == "callout_id" else None,
                }
            )
        elif row.status == WorkStatus.PENDING and row.due_at != plan.due_at:
            changes.move.append((row.id, plan.due_at))
    changes.drop += [
        row.id
        for key, row in existing.items()
        if key not in wanted_keys and row.status == WorkStatus.PENDING
    ]


async def _existing(
    conn: AsyncConnection, about: str, ids: list[int]
) -> dict[int, dict[tuple[str, str], Any]]:
    found: dict[int, dict[tuple[str, str], Any]] = {subject: {} for subject in ids}
    if ids:
        column = scheduled_work.c[about]
        rows = await conn.execute(
            select(
                column.label("subject"),
                scheduled_work.c.id,
                scheduled_work.c.kind,
                scheduled_work.c.detail,
                scheduled_work.c.due_at,
                scheduled_work.c.status,
            ).where(column.in_(ids))
        )
        for row in rows:
            found[row.subject][(row.kind, row.detail)] = row
    return found


async def plan(
    conn: AsyncConnection,
    *,
    at: datetime,
    zone: ZoneInfo,
    default_offsets: tuple[timedelta, ...],
    chase_before: timedelta,
) -> Changes:
    """Work out, by reading only, how the planned work of every shift and call that is not long
    over must change to match them as they are now. Any way a shift is created, moved or
    cancelled, its work follows on the next pass."""
    changes = Changes([], [], [])
    shift_rows = (
        await conn.execute(
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
    ).all()
    existing = await _existing(conn, "shift_id", [row.id for row in shift_rows])
    for row in shift_rows:
        wanted: list[Planned] = []
        if row.status == EventStatus.ACTIVE and row.event_status == EventStatus.ACTIVE:
            try:
                offsets = (
                    parse_offsets(row.reminder_offsets) if row.reminder_offsets else default_offsets
                )
            except BadOffsets:
                offsets = default_offsets
            wanted = shift_work(row.starts_at, row.ends_at, offsets, zone)
        _diff(changes, "shift_id", row.id, wanted, existing[row.id], at)

    calls = (
        await conn.execute(
            select(callouts.c.id, callouts.c.rsvp_deadline, callouts.c.status).where(
                callouts.c.rsvp_deadline.is_not(None),
                callouts.c.rsvp_deadline > at - AFTERWARDS_FOR,
            )
        )
    ).all()
    existing = await _existing(conn, "callout_id", [call.id for call in calls])
    for call in calls:
        wanted = callout_work(call.rsvp_deadline, chase_before)
        _diff(changes, "callout_id", call.id, wanted, existing[call.id], at)
    await _plan_elections(conn, changes, at, zone)
    return changes


async def _plan_elections(
    conn: AsyncConnection, changes: Changes, at: datetime, zone: ZoneInfo
) -> None:
    """The countdown messages and the close-of-polls report of every election not yet past,
    moved when its date or hours change."""
    rows = (
        await conn.execute(
            select(elections.c.id, elections.c.day, elections.c.opens, elections.c.closes).where(
                elections.c.day >= (at - timedelta(days=1)).date()
            )
        )
    ).all()
    if not rows:
        return
    found: dict[int, dict[tuple[str, str], Any]] = {row.id: {} for row in rows}
    for work_row in await conn.execute(
        select(
            scheduled_work.c.id,
            scheduled_work.c.kind,
            scheduled_work.c.detail,
            scheduled_work.c.due_at,
            scheduled_work.c.status,
        ).where(scheduled_work.c.kind.in_([Kind.COUNTDOWN.value, Kind.POLLS_CLOSED.value]))
    ):
        election_id, _ = read_countdown_detail(work_row.detail)
        if election_id in found:
            found[election_id][(work_row.kind, work_row.detail)] = work_row
    for row in rows:
        wanted = [
            Planned(plan.kind, countdown_detail(row.id, plan.detail), plan.due_at)
            for plan in [
                *countdown_work(row.day, row.opens, zone),
                polls_closed_work(row.day, row.closes, zone),
            ]
        ]
        _diff(changes, "election", row.id, wanted, found[row.id], at)


async def apply(conn: AsyncConnection, changes: Changes, at: datetime) -> None:
    """Write what plan() found, briefly, in a writing transaction."""
    if changes.add:
        await conn.execute(insert(scheduled_work), changes.add)
    if changes.move:
        # One statement for every move: many shifts moved at once move all their work, and a
        # statement each held the write lock for 780 ms on SQLite (480 on PostgreSQL) for 1,392.
        await conn.execute(
            update(scheduled_work)
            .where(
                scheduled_work.c.id == bindparam("work_id"),
                scheduled_work.c.status == WorkStatus.PENDING,
            )
            .values(due_at=bindparam("moved_to")),
            [{"work_id": work_id, "moved_to": due_at} for work_id, due_at in changes.move],
        )
    if changes.drop:
        await conn.execute(
            update(scheduled_work)
            .where(
                scheduled_work.c.id.in_(changes.drop), scheduled_work.c.status == WorkStatus.PENDING
            )
            .values(status=WorkStatus.DROPPED, done_at=at)
        )


async def claim_next(conn: AsyncConnection, at: datetime) -> Work | None:
    """The oldest due piece of work, locked for this transaction (others skip past it)."""
    row = (
        await conn.execute(
            select(scheduled_work)
            .where(scheduled_work.c.status == WorkStatus.PENDING, scheduled_work.c.due_at <= at)
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


async def ensure_daily(conn: AsyncConnection, kind: Kind, day: date, due_at: datetime) -> None:
    """One row a day of a daily kind (the digest, retention), told apart by the day: rows about
    no shift or call."""
    exists = await conn.scalar(
        select(scheduled_work.c.id).where(
            scheduled_work.c.kind == kind.value, scheduled_work.c.detail == day.isoformat()
        )
    )
    if exists is None:
        await conn.execute(
            insert(scheduled_work).values(
                kind=kind.value,
                detail=day.isoformat(),
                due_at=due_at,
                status=WorkStatus.PENDING,
            )
        )


async def schedule(conn: AsyncConnection, kind: Kind, detail: str, due_at: datetime) -> None:
    """One more piece of work about no shift or call (a board's next edit), due at ``due_at``;
    ``detail`` tells it apart and names what it is about."""
    await conn.execute(
        insert(scheduled_work).values(
            kind=kind.value, detail=detail, due_at=due_at, status=WorkStatus.PENDING
        )
    )


# The scheduler's own row: when its last pass began (due_at) and ended (done_at). It is never
# pending, so nothing claims it; `muster check` and /status read it.
SCHEDULER_PASS = "scheduler_pass"


async def record_pass(conn: AsyncConnection, began: datetime, ended: datetime) -> None:
    """Keep when the scheduler's latest pass began and ended, in its one row."""
    values = {"due_at": began, "done_at": ended, "status": WorkStatus.DONE}
    found = await conn.scalar(
        select(scheduled_work.c.id).where(scheduled_work.c.kind == SCHEDULER_PASS)
    )
    if found is None:
        await conn.execute(insert(scheduled_work).values(kind=SCHEDULER_PASS, detail="", **values))
    else:
        await conn.execute(
            update(scheduled_work).where(scheduled_work.c.id == found).values(**values)
        )


async def last_pass(conn: AsyncConnection) -> tuple[datetime, datetime] | None:
    """When the scheduler's latest pass began and ended (None: it has never run)."""
    row = (
        await conn.execute(
            select(scheduled_work.c.due_at, scheduled_work.c.done_at).where(
                scheduled_work.c.kind == SCHEDULER_PASS
            )
        )
    ).first()
    if row is None or row.done_at is None:
        return None
    return row.due_at, row.done_at
