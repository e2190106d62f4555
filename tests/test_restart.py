"""A restart in the middle of what someone is doing: each half-finished flow carries on where
they were, on SQLite and on PostgreSQL, and what they were in the middle of is nowhere once done
or forgotten."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.domain.events import EventDraft, ShiftDraft
from bot.settings import Settings
from db import events
from db.schema import callouts, conversation_state, rsvps, shifts, user_state, volunteers
from db.schema import events as events_table
from tests.conftest import ADMIN_ID, START, start_application, stop_application
from tests.fake_telegram import FakeTelegram
from tests.flows import every_row, sign_up, stored


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test here runs on both databases (PostgreSQL when TEST_POSTGRES_URL is set)."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_database_url")
    return f"sqlite+aiosqlite:///{tmp_path / 'muster.db'}"


class Bot:
    """The application, which a test stops and starts again on the same database."""

    def __init__(
        self,
        fake: FakeTelegram,
        settings: Settings,
        engine: AsyncEngine,
        deep_links: list[DeepLinkHandler],
    ) -> None:
        self._args = (fake, settings, engine, deep_links)
        self.app: Application | None = None

    async def start(self) -> None:
        self.app = await start_application(*self._args)

    async def stop(self) -> None:
        if self.app is not None:
            await stop_application(self.app)
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def bot(
    fake: FakeTelegram, settings: Settings, engine: AsyncEngine, deep_links: list[DeepLinkHandler]
) -> AsyncIterator[Bot]:
    running = Bot(fake, settings, engine, deep_links)
    await running.start()
    yield running
    await running.stop()


async def _saved(engine: AsyncEngine) -> tuple[dict[int, Any], dict[tuple[str, int], int]]:
    """What is kept of people's unfinished business: state by person, question by conversation.
    The buttons last shown (``asked``) are not business left unfinished: they are left out."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(user_state.c.telegram_id, user_state.c.data))).all()
        people = {
            telegram_id: rest
            for telegram_id, data in rows
            if (rest := {k: v for k, v in data.items() if k != "asked"})
        }
        open_ = (
            await conn.execute(
                select(
                    conversation_state.c.name,
                    conversation_state.c.user_id,
                    conversation_state.c.state,
                )
            )
        ).all()
    return people, {(name, user_id): question for name, user_id, question in open_}


async def _event(engine: AsyncEngine, starts_at: Any, hours: int = 3, capacity: int = 5) -> int:
    async with engine.begin() as conn:
        return await events.create_event(
            conn,
            EventDraft(
                "canvass",
                "Saturday canvass",
                "Peckham",
                "Library steps",
                shifts=(ShiftDraft(starts_at, starts_at + timedelta(hours=hours), capacity),),
            ),
            created_by=ADMIN_ID,
            at=clock.now(),
        )


async def test_newevent_carries_on_after_a_restart(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/newevent")
    await admin.press("Canvass session")
    await admin.send("Peckham Saturday doors")
    await admin.send("Peckham")
    await admin.send("Rye Lane Library, SE15 4QR")
    assert admin.last.text == texts.NEW_DATE
    people, open_ = await _saved(engine)
    assert people[ADMIN_ID]["new_event"]["title"] == "Peckham Saturday doors"
    assert list(open_) == [("newevent", ADMIN_ID)]

    await bot.restart()
    await admin.send("Sat 28 Nov")
    assert (admin.last.text or "").startswith("Now a shift:")
    await admin.send("10:00-13:00 6")
    await admin.press(texts.BACK)  # takes that shift away again, as before a restart
    await bot.restart()
    await admin.send("10:00-14:00 8")
    await admin.press(texts.DONE)
    await admin.press(texts.CREATE)
    assert (admin.last.text or "").startswith("✅ Created Peckham Saturday doors with 1 shift(s).")

    async with engine.connect() as conn:
        (event,) = (await conn.execute(select(events_table))).all()
        (shift,) = (await conn.execute(select(shifts))).all()
    assert (event.kind, event.title, event.area, event.address) == (
        "canvass",
        "Peckham Saturday doors",
        "Peckham",
        "Rye Lane Library, SE15 4QR",
    )
    assert (shift.starts_at, shift.capacity) == (START.replace(day=28, hour=10), 8)
    assert shift.ends_at - shift.starts_at == timedelta(hours=4)
    assert await _saved(engine) == ({}, {})


async def test_an_event_edit_waits_for_its_answer_through_a_restart(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await _event(engine, START.replace(day=28, hour=10))
    await admin.send("/events")
    card = admin.last
    await admin.press(texts.EDIT_EVENT)
    await admin.press("🕙 10:00-13:00 · 5 places", exact=False)
    assert (admin.last.text or "").startswith("The shift is Sat 28 Nov, 10:00-13:00")

    await bot.restart()
    await admin.send("11:00-15:00 7")
    assert (admin.last.text or "").startswith("Saved. ✔")
    assert card.buttons == []  # the card the edit started from, found again after the restart
    async with engine.connect() as conn:
        (shift,) = (await conn.execute(select(shifts))).all()
    assert (shift.starts_at, shift.ends_at, shift.capacity) == (
        START.replace(day=28, hour=11),
        START.replace(day=28, hour=15),
        7,
    )

    fresh = admin.last
    await admin.press(texts.EDIT_EVENT)
    await admin.press(texts.EDIT_PLACE)
    assert admin.last.text == texts.ASK_NEW_PLACE
    await bot.restart()
    await admin.send("Rye Lane, by the bus stop")
    assert (admin.last.text or "").startswith("Saved. ✔")
    assert fresh.buttons == []
    async with engine.connect() as conn:
        assert await conn.scalar(select(events_table.c.address)) == "Rye Lane, by the bus stop"
    assert await _saved(engine) == ({}, {})


async def test_a_late_cancel_reason_is_taken_after_a_restart(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    event_id = await _event(engine, clock.now() + timedelta(hours=3))
    async with engine.connect() as conn:
        event = await events.by_id(conn, event_id)
    assert event is not None
    vera = fake.user(4101, first_name="Vera")
    await sign_up(vera)
    await vera.send(f"/start {event.link_payload}")
    await vera.press("12:00-15:00", exact=False)
    await vera.send("/myshifts")
    await vera.press(texts.CANCEL_SHIFT)
    assert vera.last.text == texts.ASK_REASON

    await bot.restart()
    await vera.send("The buses are on strike")
    assert vera.last.text == texts.REASON_THANKS
    async with engine.connect() as conn:
        row = (await conn.execute(select(rsvps.c.status, rsvps.c.cancel_reason))).one()
    assert tuple(row) == ("cant", "The buses are on strike")
    assert await _saved(engine) == ({}, {})
    await vera.send("Hello?")  # the reason was taken once: this is ordinary text again
    assert vera.last.text == texts.UNKNOWN_TEXT


async def test_a_debrief_note_is_taken_after_a_restart(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _event(engine, clock.now() - timedelta(hours=4))  # ended an hour ago
    amy = fake.user(4201, first_name="Amy")
    await sign_up(amy)
    amy_row = await stored(engine, 4201)
    assert amy_row is not None
    async with engine.begin() as conn:
        shift_id = await conn.scalar(select(shifts.c.id))
        await conn.execute(
            insert(rsvps).values(
                shift_id=shift_id,
                volunteer_id=amy_row.id,
                status="going",
                responded_at=clock.now() - timedelta(days=1),
                checked_in_at=clock.now() - timedelta(hours=4),
            )
        )
    await amy.send("30")
    assert amy.last.text == texts.DEBRIEF_NOTE

    await bot.restart()
    await amy.send("Lots of interest in the new bus route")
    assert amy.last.text == texts.DEBRIEF_THANKS
    async with engine.connect() as conn:
        row = (await conn.execute(select(rsvps.c.doors, rsvps.c.debrief_note))).one()
    assert tuple(row) == (30, "Lots of interest in the new bus route")
    assert await _saved(engine) == ({}, {})


async def test_callout_carries_on_after_a_restart(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    event_id = await _event(engine, START.replace(day=28, hour=10), capacity=10)
    sat, sun = fake.user(4301, first_name="Sal"), fake.user(4302, first_name="Sunny")
    await sign_up(sat, when=("Saturdays",))
    await sign_up(sun, when=("Sundays",))
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/callout")
    await admin.press("Sat 28 Nov · Saturday canvass")
    await bot.restart()
    await admin.press(texts.NEXT)
    assert "This call would reach 2 volunteers" in (admin.last.text or "")
    await admin.press("Free at that time")
    assert "This call would reach 1 volunteer" in (admin.last.text or "")
    await admin.press(texts.NEXT)
    assert admin.last.text == texts.CALLOUT_LINE

    await bot.restart()
    await admin.send("Tea and biscuits after!")
    assert (admin.last.text or "").startswith("Ready to send to 1 volunteer")
    await admin.press(texts.SEND_NOW)
    async with engine.connect() as conn:
        call = (await conn.execute(select(callouts))).one()
    assert (call.event_id, call.message, call.recipients) == (
        event_id,
        "Tea and biscuits after!",
        1,
    )
    assert call.audience["fits_availability"] is True
    assert await _saved(engine) == ({}, {})


async def test_forget_half_way_leaves_nothing_and_ends_the_flow(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await sign_up(admin)  # an admin who volunteers too, and so can be forgotten
    await admin.send("/newevent")
    await admin.press("Canvass session")
    await admin.send("Secret Street canvass")
    await admin.send("/mydata")  # what they are in the middle of is theirs to see too
    assert json.loads(admin.last.document)["in_progress"]["new_event"]["title"] == (
        "Secret Street canvass"
    )
    await admin.send("/forget")
    await admin.press(texts.FORGET_YES)
    assert admin.last.text == texts.FORGOTTEN
    flat = str(await every_row(engine))
    assert "Secret Street" not in flat and str(ADMIN_ID) not in flat
    await bot.restart()
    await admin.send("Peckham")  # the answer the forgotten draft was waiting for
    assert admin.last.text == texts.NOT_SIGNED_UP
    assert await _saved(engine) == ({}, {})


async def test_forget_without_a_restart_ends_the_flow_too(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await sign_up(admin)
    await admin.send("/newevent")
    await admin.press("Canvass session")
    await admin.send("/forget")
    await admin.press(texts.FORGET_YES)
    await admin.send("Secret Street canvass")  # the conversation in memory has no draft now
    assert admin.last.text == texts.NEW_DRAFT_GONE
    await admin.send("Peckham")
    assert admin.last.text == texts.NOT_SIGNED_UP
    assert await _saved(engine) == ({}, {})
    async with engine.connect() as conn:
        assert await conn.scalar(select(volunteers.c.name)) is None


async def test_state_this_version_cannot_read_is_dropped_and_the_bot_starts(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await bot.stop()
    async with engine.begin() as conn:
        await conn.execute(
            insert(user_state).values(telegram_id=4401, data={"new_event": {"title": "x"}})
        )
        await conn.execute(
            insert(user_state).values(telegram_id=4402, data={"late_cancel_shift_id": 5})
        )
    await bot.start()
    people, _ = await _saved(engine)
    assert people == {4402: {"late_cancel_shift_id": 5}}  # the readable one is kept
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/help")
    assert admin.last.text


async def test_an_rsvp_tap_writes_no_state(
    bot: Bot, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    """The busiest update, a tap on a card, leaves nobody in the middle of anything and shows
    no new question: no state is written for it, so it costs the database nothing extra."""
    event_id = await _event(engine, START.replace(day=28, hour=10))
    async with engine.connect() as conn:
        event = await events.by_id(conn, event_id)
    assert event is not None
    written: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "_state" in statement and not statement.lstrip().upper().startswith("SELECT"):
            written.append(statement)

    ben = fake.user(4501, first_name="Ben")
    await sign_up(ben)
    await ben.send(f"/start {event.link_payload}")
    sqlalchemy_event.listen(engine.sync_engine, "before_cursor_execute", spy)
    try:
        await ben.press("10:00-13:00", exact=False)
    finally:
        sqlalchemy_event.remove(engine.sync_engine, "before_cursor_execute", spy)
    assert written == []
    # The spy does see writes when there are some: a new question with buttons is kept, so that
    # typed words answer it after a restart.
    sqlalchemy_event.listen(engine.sync_engine, "before_cursor_execute", spy)
    try:
        await ben.send("/myshifts")
    finally:
        sqlalchemy_event.remove(engine.sync_engine, "before_cursor_execute", spy)
    assert written
