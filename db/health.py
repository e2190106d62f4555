"""Figures about the bot's own health, for /status: the outbox, volunteers, the database's size."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.statuses import OutboxStatus, VolunteerStatus
from db.schema import outbox, volunteers
from db.volunteers import CAN_MESSAGE, may_call


@dataclass(frozen=True)
class Volunteers:
    active: int
    paused: int
    unreachable: int


async def outbox_counts(conn: AsyncConnection, since: datetime) -> Counter[str]:
    """Rows by status: all still waiting or being sent, and the rest queued since ``since``."""
    rows = await conn.execute(
        select(outbox.c.status, func.count())
        .where(
            outbox.c.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
            | (outbox.c.created_at >= since)
        )
        .group_by(outbox.c.status)
    )
    return Counter({status: count for status, count in rows})


async def volunteer_counts(conn: AsyncConnection, at: datetime) -> Volunteers:
    """Signed-up volunteers: those a shift call may go to now (db.volunteers.may_call), those
    who paused calls, and those who cannot be messaged (they blocked the bot)."""
    signed_up = volunteers.c.status == VolunteerStatus.ACTIVE
    row = (
        await conn.execute(
            select(
                func.count().filter(may_call(at)),
                func.count().filter(signed_up & CAN_MESSAGE & ~may_call(at)),
                func.count().filter(signed_up & ~CAN_MESSAGE),
            )
        )
    ).one()
    return Volunteers(active=row[0], paused=row[1], unreachable=row[2])


async def database_size(conn: AsyncConnection) -> int:
    """Bytes the database takes (SQLite: its pages, the write-ahead log aside)."""
    if conn.dialect.name == "sqlite":
        pages = await conn.scalar(text("PRAGMA page_count"))
        page_size = await conn.scalar(text("PRAGMA page_size"))
        return int(pages or 0) * int(page_size or 0)
    return int(await conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
