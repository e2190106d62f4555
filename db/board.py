"""Live polling-day boards (bot.services.board): the stored message each one edits, and the
figures of a committee room's shifts it shows, read from RSVPs, check-ins and knock-up rounds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.board import Ended, OnShift
from bot.domain.statuses import OutboxStatus, RsvpStatus
from db.attendance import came
from db.schema import boards, outbox, rounds, rsvps


@dataclass(frozen=True)
class Board:
    id: int
    election_id: int
    chat_id: int
    message_id: int
    started_by: int
    whole: bool
    stopped_at: datetime | None
    shown: str | None
    last_edit_id: int | None


def _board(row: Any) -> Board:
    return Board(**{name: row._mapping[name] for name in Board.__dataclass_fields__})


async def create(
    conn: AsyncConnection,
    at: datetime,
    *,
    election_id: int,
    chat_id: int,
    message_id: int,
    started_by: int,
    whole: bool,
    shown: str,
) -> int:
    return (
        await conn.execute(
            insert(boards)
            .values(
                election_id=election_id,
                chat_id=chat_id,
                message_id=message_id,
                started_by=started_by,
                whole=whole,
                started_at=at,
                shown=shown,
            )
            .returning(boards.c.id)
        )
    ).scalar_one()


async def by_id(conn: AsyncConnection, board_id: int) -> Board | None:
    row = (await conn.execute(select(boards).where(boards.c.id == board_id))).first()
    return _board(row) if row else None


async def on_message(conn: AsyncConnection, chat_id: int, message_id: int) -> Board | None:
    row = (
        await conn.execute(
            select(boards).where(boards.c.chat_id == chat_id, boards.c.message_id == message_id)
        )
    ).first()
    return _board(row) if row else None


async def live_in(conn: AsyncConnection, chat_id: int) -> list[int]:
    """The boards still being edited in a chat."""
    return list(
        await conn.scalars(
            select(boards.c.id).where(boards.c.chat_id == chat_id, boards.c.stopped_at.is_(None))
        )
    )


async def stop(conn: AsyncConnection, board_id: int, at: datetime, ended: Ended) -> bool:
    """Stop a board; False if it had already stopped (a double tap, a race with the refresh)."""
    result = await conn.execute(
        update(boards)
        .where(boards.c.id == board_id, boards.c.stopped_at.is_(None))
        .values(stopped_at=at, ended=ended.value)
    )
    return result.rowcount == 1


async def shown(
    conn: AsyncConnection, board_id: int, fingerprint: str, edit_id: int | None
) -> None:
    await conn.execute(
        update(boards)
        .where(boards.c.id == board_id)
        .values(shown=fingerprint, last_edit_id=edit_id)
    )


async def latest_edit(conn: AsyncConnection, chat_id: int, kind: str) -> int | None:
    """The outbox row of the newest message of ``kind`` queued for a chat (just queued, in the
    caller's transaction)."""
    return await conn.scalar(
        select(func.max(outbox.c.id)).where(outbox.c.chat_id == chat_id, outbox.c.kind == kind)
    )


async def drop_edit(conn: AsyncConnection, edit_id: int) -> None:
    """An edit not yet sent that must not go (its board was stopped, and says so already)."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == edit_id, outbox.c.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error="stopped")
    )


@dataclass(frozen=True)
class EditState:
    open: bool  # still to be sent
    gone: bool  # Telegram refused it: the message was deleted, or the bot is out of the chat


async def edit_state(conn: AsyncConnection, edit_id: int) -> EditState:
    row = (
        await conn.execute(
            select(outbox.c.status, outbox.c.last_error).where(outbox.c.id == edit_id)
        )
    ).first()
    if row is None:
        return EditState(False, False)
    status = OutboxStatus(row.status)
    # A 400 (message to edit not found) fails the row; a 403 (kicked, blocked) or a chat that is
    # no more makes it unreachable. A network error that outlasted every retry is neither.
    gone = status == OutboxStatus.UNREACHABLE or (
        status == OutboxStatus.FAILED and row.last_error == "BadRequest"
    )
    return EditState(status in (OutboxStatus.PENDING, OutboxStatus.SENDING), gone)


async def on_shifts(conn: AsyncConnection, shift_ids: Iterable[int], at: datetime) -> list[OnShift]:
    """Everyone who said going to (or walked in to) ``shift_ids``, with their check-in, rounds
    and doors as of ``at``."""
    shift_ids = sorted(set(shift_ids))
    if not shift_ids:
        return []
    people = (
        await conn.execute(
            select(
                rsvps.c.id,
                rsvps.c.shift_id,
                rsvps.c.status,
                rsvps.c.checked_in_at,
                rsvps.c.attendance,
                rsvps.c.doors,
            ).where(rsvps.c.shift_id.in_(shift_ids), rsvps.c.status == RsvpStatus.GOING)
        )
    ).all()
    out: set[int] = set()
    back: dict[int, int] = {}
    if people:
        for chunk_start in range(0, len(people), 1000):
            ids = [row.id for row in people[chunk_start : chunk_start + 1000]]
            for row in await conn.execute(
                select(rounds.c.rsvp_id, rounds.c.back_at).where(
                    rounds.c.rsvp_id.in_(ids), rounds.c.out_at <= at
                )
            ):
                if row.back_at is None or row.back_at > at:
                    out.add(row.rsvp_id)
                else:
                    back[row.rsvp_id] = back.get(row.rsvp_id, 0) + 1
    return [
        OnShift(
            shift_id=row.shift_id,
            came=came(row.checked_in_at, row.attendance),
            out=row.id in out,
            rounds_back=back.get(row.id, 0),
            doors=row.doors or 0,
        )
        for row in people
    ]
