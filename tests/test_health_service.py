"""/status's figures and the scheduler's last pass, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.services import health
from db import work
from db.schema import outbox, volunteers


def _volunteer(n: int, **fields: object) -> dict[str, object]:
    return {
        "telegram_id": 7000 + n,
        "status": "active",
        "created_at": clock.now(),
        # Every row names every column: an insert of many rows takes its columns from the first.
        "paused": False,
        "paused_until": None,
        "unreachable_at": None,
        **fields,
    }


def _message(status: str, hours_ago: float) -> dict[str, object]:
    at = clock.now() - timedelta(hours=hours_ago)
    return {
        "chat_id": 1,
        "kind": "notice",
        "payload": {},
        "status": status,
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


async def test_figures_count_what_is_stored(each_engine: AsyncEngine) -> None:
    now = clock.now()
    async with each_engine.begin() as conn:
        await conn.execute(
            insert(volunteers),
            [
                _volunteer(1),
                _volunteer(2),
                _volunteer(3, paused=True),
                # A pause that has run out counts as active again.
                _volunteer(4, paused=True, paused_until=now - timedelta(hours=1)),
                _volunteer(5, paused=True, paused_until=now + timedelta(days=1)),
                _volunteer(6, unreachable_at=now),
                _volunteer(7, paused=True, unreachable_at=now),
                _volunteer(8, status="signing_up"),
                _volunteer(9, status="forgotten", telegram_id=None),
            ],
        )
        await conn.execute(
            insert(outbox),
            [
                _message("pending", 0),
                _message("pending", 48),
                _message("sending", 0),
                _message("failed", 23),
                _message("failed", 25),
                _message("unreachable", 1),
                _message("sent", 1),
            ],
        )
    async with each_engine.connect() as conn:
        figures = await health.figures(conn, now)
    assert (figures.waiting, figures.sending, figures.failed) == (2, 1, 1)
    assert (figures.volunteers.active, figures.volunteers.paused) == (3, 2)
    assert figures.volunteers.unreachable == 2
    assert figures.engine == each_engine.dialect.name
    assert figures.size_bytes > 0
    assert figures.last_pass is None


async def test_the_scheduler_keeps_one_row_for_its_last_pass(each_engine: AsyncEngine) -> None:
    began = clock.now()
    for minutes in (0, 1, 2):
        async with each_engine.begin() as conn:
            at = began + timedelta(minutes=minutes)
            await work.record_pass(conn, at, at + timedelta(seconds=2))
    async with each_engine.connect() as conn:
        assert await work.last_pass(conn) == (
            began + timedelta(minutes=2),
            began + timedelta(minutes=2, seconds=2),
        )
        assert await work.claim_next(conn, began + timedelta(days=1)) is None
