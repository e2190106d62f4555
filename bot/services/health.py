"""What /status shows an admin about the bot's health, read from the database in one go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.statuses import OutboxStatus
from db import health, work
from db.health import Volunteers

# Failed messages are counted over this long: older ones have been seen to already.
RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class Figures:
    engine: str
    size_bytes: int
    waiting: int
    sending: int
    failed: int
    last_pass: tuple[datetime, datetime] | None
    volunteers: Volunteers


async def figures(conn: AsyncConnection, at: datetime) -> Figures:
    counts = await health.outbox_counts(conn, at - RECENT)
    return Figures(
        engine=conn.dialect.name,
        size_bytes=await health.database_size(conn),
        waiting=counts[OutboxStatus.PENDING],
        sending=counts[OutboxStatus.SENDING],
        failed=counts[OutboxStatus.FAILED],
        last_pass=await work.last_pass(conn),
        volunteers=await health.volunteer_counts(conn, at),
    )
