"""A volunteer read twice in one update is read once (db.engine.kept), and never from before a
write the update made: the contact note, then the handler, both load them."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.services import actors
from db import volunteers
from db.engine import Database, reads_kept

TELEGRAM_ID = 91_001


async def _signed_up(db: Database) -> None:
    async with db.begin() as conn:
        person = await volunteers.start_signup(
            conn,
            telegram_id=TELEGRAM_ID,
            username=None,
            notice_version="v1",
            start_payload=None,
            at=clock.now(),
        )
        await volunteers.update_fields(conn, person.id, name="Before")


def _statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _seen(*args: Any) -> None:
        seen.append(args[2])

    return seen


async def _name(db: Database) -> str | None:
    async with db.connect() as conn:
        found = await actors.load_volunteer(conn, TELEGRAM_ID, None)
    assert found is not None
    return found.name


async def test_a_second_read_is_the_first_until_the_update_writes(
    each_engine: AsyncEngine,
) -> None:
    db = Database(each_engine)
    await _signed_up(db)
    seen = _statements(each_engine)
    with reads_kept():
        assert await _name(db) == "Before"
        read = len(seen)
        assert await _name(db) == "Before"
        assert len(seen) == read  # not read again

        async with db.begin() as conn:
            found = await volunteers.by_telegram_id(conn, TELEGRAM_ID)
            assert found is not None
            await volunteers.update_fields(conn, found.id, name="After")
        assert await _name(db) == "After"

        # What the update wrote, it may say it wrote (note_contact does): read from there.
        actors.remember(found)
        read = len(seen)
        assert await _name(db) == "Before"
        assert len(seen) == read


async def test_nothing_is_kept_outside_an_update_or_by_work_it_started(
    each_engine: AsyncEngine,
) -> None:
    db = Database(each_engine)
    await _signed_up(db)
    seen = _statements(each_engine)
    await _name(db)
    read = len(seen)
    await _name(db)
    assert len(seen) > read  # outside an update: read every time

    with reads_kept():
        # Work begun from the update runs in its own task (bot.context.in_background): what
        # it reads may be older than what the update writes meanwhile, so it keeps nothing.
        await asyncio.create_task(_name(db))
        read = len(seen)
        await _name(db)
        assert len(seen) > read
