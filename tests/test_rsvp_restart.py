"""The bot goes down between an answer's commit and its follow-ups going out: after the restart
the promotion notice (the calendar file, its caption the news and the meeting point) still
arrives, once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from bot.context import DeepLinkHandler
from bot.settings import Settings
from db import migrate
from db.engine import create_engine
from db.schema import outbox
from tests.conftest import ADMIN_ID, start_application, stop_application, throwaway_postgres
from tests.fake_telegram import FakeTelegram, Fault
from tests.flows import new_event, outbox_drained, sign_up, until

FOLLOW_UPS = ("sendMessage", "sendVenue", "sendDocument")


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_engine(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[tuple[AsyncEngine, str]]:
    async with contextlib.AsyncExitStack() as stack:
        url = database_url
        if request.param == "postgresql":
            url = await stack.enter_async_context(
                throwaway_postgres(request.getfixturevalue("postgres_url"))
            )
        engine = create_engine(url)
        stack.push_async_callback(engine.dispose)
        await migrate.upgrade(engine)
        yield engine, url


async def _unsent_to(engine: AsyncEngine, chat_id: int) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.kind)
            .where(outbox.c.chat_id == chat_id, outbox.c.status.in_(("pending", "sending")))
            .order_by(outbox.c.id)
        )
        return list(rows.scalars())


async def test_follow_ups_of_a_tap_survive_a_restart(
    fake: FakeTelegram,
    settings: Settings,
    any_engine: tuple[AsyncEngine, str],
    deep_links: list[DeepLinkHandler],
) -> None:
    engine, url = any_engine
    settings = settings.model_copy(update={"database_url": url})
    app = await start_application(fake, settings, engine, deep_links)
    stopped = False
    try:
        admin = fake.user(ADMIN_ID, first_name="Ada")
        olga = fake.user(8001, first_name="Olga", username="olga")
        await sign_up(olga)
        await admin.send("/grant @olga organiser Peckham")
        payload = await new_event(olga, pin=(51.4693, -0.0692), shifts=("10:00-13:00 1",))
        amy, ben = fake.user(8100, first_name="Amy"), fake.user(8101, first_name="Ben")
        for person in (amy, ben):
            await sign_up(person)
            await person.send(f"/start {payload}")
        for person in (amy, ben):
            await person.press("Sat 28 Nov, 10:00-13:00 · 1 left")
        await outbox_drained(engine)
        assert "⏳ You're 1st on the waitlist" in ben.last.text  # his card, edited
        seen_by_ben = len(ben.messages)

        # Ben's messages are refused from now on: the bot cannot get them out before it stops.
        fault = fake.inject(
            Fault(method=FOLLOW_UPS, chat_id=ben.id, status=429, retry_after=3600, times=None)
        )
        await amy.send("/myshifts")
        await amy.press(texts.CANCEL_SHIFT)
        assert amy.last.text == texts.CANCELLED_YOURS  # the direct answer is not held up
        # The sender has tried the first of them and been told to wait.
        await until(
            lambda: any(int(call["chat_id"]) == ben.id for call in fake.calls("sendDocument"))
        )
        assert await _unsent_to(engine, ben.id) == [
            "rsvp_calendar",
            "card_edit",  # the card he tapped: no longer "1st on the waitlist"
        ]
        await stop_application(app)
        stopped = True
    finally:
        if not stopped:
            await stop_application(app)
    assert len(ben.messages) == seen_by_ben  # nothing reached him before the stop
    assert fault.times is None  # still refusing, to the end
    fake.clear_faults()

    app = await start_application(fake, settings, engine, deep_links)
    try:
        await outbox_drained(engine)
    finally:
        await stop_application(app)
    arrived = ben.messages[seen_by_ben:]
    assert [message.method for message in arrived] == ["sendDocument"]
    (calendar,) = arrived
    assert calendar.file_name == "shift.ics"
    assert calendar.document is not None and b"DTSTART:20261128T100000Z" in calendar.document
    assert calendar.text.startswith("Good news! A place came free, so you're going: Sat 28 Nov")
    assert b"GEO:51.469300;-0.069200" in calendar.document
    assert await _unsent_to(engine, ben.id) == []
