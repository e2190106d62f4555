"""The outbox sender, end to end: rows in the database, the real application sending them through
PTB over HTTP to the fake Bot API server, which misbehaves on cue (429, 403, dropped
connections, 400), and the figures the organiser is shown."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import SERVICES, DeepLinkHandler
from bot.settings import Settings
from db import migrate, outbox, privacy
from db.engine import create_engine
from db.schema import callouts, volunteers
from db.schema import outbox as outbox_table
from tests.conftest import start_application, stop_application
from tests.fake_telegram import FakeTelegram, Fault
from tests.flows import insert_call

pytestmark = pytest.mark.filterwarnings(
    # PTB itself reads RetryAfter.retry_after as an int when it builds the error.
    "ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning"
)

ORGANISER = 800_001
FIRST = 100_001  # volunteers' Telegram ids count up from here


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The pace lifted, so a thousand messages take a second or two, not forty."""
    return settings.model_copy(update={"send_rate": 0, "send_per_chat_seconds": 0})


def default_pace(settings: Settings) -> Settings:
    fields = Settings.model_fields
    return settings.model_copy(
        update={
            name: fields[name].default
            for name in ("send_rate", "send_per_chat_seconds", "outbox_max_attempts")
        }
    )


# --- helpers ----------------------------------------------------------------------------------


@dataclass
class Call:
    id: int
    people: dict[int, int]  # Telegram id -> volunteer id
    progress_message_id: int


async def add_volunteers(
    engine: AsyncEngine, fake: FakeTelegram, telegram_ids: list[int]
) -> dict[int, int]:
    async with engine.begin() as conn:
        await conn.execute(
            insert(volunteers),
            [
                {"telegram_id": tid, "status": "active", "created_at": clock.now()}
                for tid in telegram_ids
            ],
        )
        rows = await conn.execute(
            select(volunteers.c.telegram_id, volunteers.c.id).where(
                volunteers.c.telegram_id.in_(telegram_ids)
            )
        )
        people = {row.telegram_id: row.id for row in rows}
    for tid in telegram_ids:
        fake.user(tid)
    return people


async def launch_call(
    app: Application, fake: FakeTelegram, engine: AsyncEngine, count: int, *, first: int = FIRST
) -> Call:
    """What /callout does: a call row, a progress message to the organiser, one outbox row per
    volunteer, all committed together; then a wake-up for the sender."""
    people = await add_volunteers(engine, fake, list(range(first, first + count)))
    fake.user(ORGANISER)
    progress = await app.bot.send_message(ORGANISER, texts.callout_progress(0, count))
    async with engine.begin() as conn:
        call_id = await insert_call(
            conn,
            code=f"c{first}",
            organiser=ORGANISER,
            recipients=count,
            progress_message_id=progress.message_id,
        )
        await outbox.enqueue(
            conn,
            [
                outbox.Outgoing(
                    chat_id=tid,
                    volunteer_id=vid,
                    kind="callout",
                    text="📣 <b>Saturday canvass</b> needs you. Can you come?",
                    reply_markup={
                        "inline_keyboard": [[{"text": "I'm in", "callback_data": f"r:{vid}"}]]
                    },
                    callout_id=call_id,
                )
                for tid, vid in people.items()
            ],
            at=clock.now(),
        )
    app.bot_data[SERVICES].wake_outbox()
    return Call(call_id, people, progress.message_id)


async def call_status(engine: AsyncEngine, call_id: int) -> str:
    async with engine.connect() as conn:
        return await conn.scalar(select(callouts.c.status).where(callouts.c.id == call_id))


async def statuses(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox_table.c.status, func.count()).group_by(outbox_table.c.status)
        )
        return {status: count for status, count in rows}


def report_of(fake: FakeTelegram) -> str | None:
    found = [m.text for m in fake.transcript(ORGANISER) if "Delivery report" in (m.text or "")]
    assert len(found) <= 1, "the organiser got more than one report"
    return found[0] if found else None


async def drive(
    app: Application, done: Callable[[], Awaitable[bool]], within: float = 20.0
) -> None:
    """Let the sender work until ``done``; meanwhile move the clock on so that backed-off retries
    fall due at once instead of seconds later."""
    deadline = time.monotonic() + within
    while not await done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {within} s; outbox: {await statuses_of(app)}")
        clock.advance(timedelta(seconds=30))
        app.bot_data[SERVICES].wake_outbox()
        await asyncio.sleep(0.05)


async def statuses_of(app: Application) -> dict[str, int]:
    return await statuses(app.bot_data[SERVICES].db.engine)


def finished(fake: FakeTelegram) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return report_of(fake) is not None

    return check


def record_arrivals(fake: FakeTelegram) -> list[tuple[float, int]]:
    """(monotonic time, chat id) of every message the fake accepted, as it accepted it."""
    arrivals: list[tuple[float, int]] = []
    send = fake._handlers["sendmessage"]

    async def recording(params: dict[str, Any]) -> Any:
        result = await send(params)
        arrivals.append((time.monotonic(), result["chat"]["id"]))
        return result

    fake._handlers["sendmessage"] = recording
    return arrivals


# --- a big call through every kind of trouble -------------------------------------------------


async def check_big_call(app: Application, fake: FakeTelegram, engine: AsyncEngine) -> None:
    count = 1_000
    ids = list(range(FIRST, FIRST + count))
    blocked = ids[100:120]
    dropped = ids[300:310]
    fake.record_requests = False
    for tid in blocked:
        fake.block(tid)
    for tid in dropped:
        fake.inject(Fault(method="sendMessage", chat_id=tid, drop=True, times=1))
    fake.inject(Fault(method="sendMessage", chat_id=ids[600], status=429, retry_after=1, times=1))
    arrivals = record_arrivals(fake)

    call = await launch_call(app, fake, engine, count)
    await drive(app, finished(fake))

    for tid in ids:
        got = len(fake.transcript(tid))
        assert got == (0 if tid in blocked else 1), f"chat {tid} got {got} message(s)"
    # Everyone stopped for the 429's second: a gap of about that between two sends.
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(arrivals)]
    assert max(gaps) >= 0.9

    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(outbox_table).where(outbox_table.c.callout_id == call.id))
        ).all()
        unreachable_people = set(
            await conn.scalars(
                select(volunteers.c.telegram_id).where(volunteers.c.unreachable_at.is_not(None))
            )
        )
        call_row = (await conn.execute(select(callouts).where(callouts.c.id == call.id))).one()
    by_chat = {row.chat_id: row for row in rows}
    assert len(rows) == count
    for tid in blocked:
        assert by_chat[tid].status == "unreachable"
        assert by_chat[tid].last_error == "Forbidden"
    for tid in dropped:
        assert by_chat[tid].status == "sent" and by_chat[tid].attempts == 2
    assert by_chat[ids[600]].status == "sent" and by_chat[ids[600]].attempts == 1  # 429: no try
    sent = [row for row in rows if row.status == "sent"]
    assert len(sent) == count - len(blocked)
    # The stored message ids are the ones the volunteers got, with the text and the buttons.
    for row in sent[:50]:
        (message,) = fake.transcript(row.chat_id)
        assert message.message_id == row.message_id
        assert message.text == "📣 Saturday canvass needs you. Can you come?"
        assert message.buttons == ["I'm in"]
    assert all(row.sent_at is not None for row in sent)
    assert unreachable_people == set(blocked)
    assert call_row.status == "done" and call_row.finished_at is not None

    progress = fake.chat(ORGANISER).messages[0]
    assert progress.message_id == call.progress_message_id
    assert progress.text == texts.callout_progress(980, 1_000, finished=True)
    assert "980 of 1,000 sent" in progress.text
    report = report_of(fake)
    assert report is not None
    assert "Delivered: 980" in report
    assert "Couldn't reach: 20" in report
    assert "Failed: 0" in report
    assert "Saturday canvass" in report


async def test_a_thousand_message_call_gets_through_429_403_and_dropped_connections(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await check_big_call(app, fake, engine)


async def test_a_thousand_message_call_on_postgres(
    fake: FakeTelegram,
    settings: Settings,
    postgres_database_url: str,
    deep_links: list[DeepLinkHandler],
) -> None:
    engine = create_engine(postgres_database_url)
    try:
        await migrate.upgrade(engine)
        pg_settings = settings.model_copy(update={"database_url": postgres_database_url})
        application = await start_application(fake, pg_settings, engine, deep_links)
        try:
            await check_big_call(application, fake, engine)
        finally:
            await stop_application(application)
    finally:
        await engine.dispose()


async def test_progress_message_is_edited_as_the_call_goes_out(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    paced = settings.model_copy(update={"send_rate": 100})
    app = await start_application(fake, paced, engine, deep_links)
    try:
        await launch_call(app, fake, engine, 450)  # about 4.5 s at 100 a second
        await drive(app, finished(fake), within=15)
    finally:
        await stop_application(app)
    progress = fake.chat(ORGANISER).messages[0]
    shown = [state["text"] for state in progress.edit_history] + [progress.text]
    assert shown[0] == texts.callout_progress(0, 450)
    assert shown[-1] == texts.callout_progress(450, 450, finished=True)
    middle = shown[1:-1]
    assert middle, "no progress was shown while sending"
    assert len(middle) <= 4  # every ~2 s, not every message
    assert all(" of 450 sent" in text for text in middle)
    assert "Everyone got it" in (report_of(fake) or "")


async def test_default_pace_is_kept(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    app = await start_application(fake, default_pace(settings), engine, deep_links)
    try:
        people = await add_volunteers(engine, fake, list(range(FIRST, FIRST + 12)))
        arrivals = record_arrivals(fake)
        twice = FIRST  # two messages to one chat, then one each to eleven others
        async with engine.begin() as conn:
            await outbox.enqueue(
                conn,
                [
                    outbox.Outgoing(twice, people[twice], "event_changed", "Time changed"),
                    outbox.Outgoing(twice, people[twice], "event_changed", "Place changed"),
                    *(
                        outbox.Outgoing(tid, vid, "event_changed", "Time changed")
                        for tid, vid in people.items()
                        if tid != twice
                    ),
                ],
                at=clock.now(),
            )
        app.bot_data[SERVICES].wake_outbox()

        async def all_sent() -> bool:
            return len(arrivals) == 13

        deadline = time.monotonic() + 10
        while not await all_sent():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    finally:
        await stop_application(app)
    to_twice = [at for at, chat in arrivals if chat == twice]
    assert len(to_twice) == 2 and to_twice[1] - to_twice[0] >= 1.0
    # Per the fake's own timestamps too (whole seconds).
    first, second = fake.transcript(twice)
    assert second.date - first.date >= 1
    # No faster than SEND_RATE (30) a second overall: 13 sends span at least 12 gaps.
    times = [at for at, _ in arrivals]
    assert times[-1] - times[0] >= 12 / 30 * 0.95
    # ... yet the other chats were not held up behind the one that had to wait.
    assert max(at for at, chat in arrivals if chat != twice) < to_twice[1]


# --- restarts ---------------------------------------------------------------------------------


async def test_restart_mid_call_misses_nobody_and_repeats_at_most_the_in_flight(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    count = 600
    paced = settings.model_copy(update={"send_rate": 300})  # two seconds for the whole call
    fake.record_requests = False
    first = await start_application(fake, paced, engine, deep_links)
    call = await launch_call(first, fake, engine, count)
    deadline = time.monotonic() + 10
    while fake.sent_count < 1 + count // 3:  # the progress message, then a third of the call
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    in_flight = (await statuses(engine)).get("sending", 0)
    await stop_application(first)
    after_stop = await statuses(engine)
    sent_before = after_stop.get("sent", 0)
    assert 0 < sent_before < count, "the stop should come mid-call"
    # A graceful stop marks what it sent and hands every other claimed row back.
    assert after_stop.get("sending", 0) == 0
    assert sent_before + after_stop.get("pending", 0) == count

    second = await start_application(fake, paced, engine, deep_links)
    try:
        await drive(second, finished(fake))
    finally:
        await stop_application(second)

    got = {tid: len(fake.transcript(tid)) for tid in call.people}
    assert all(n >= 1 for n in got.values()), "someone was missed"
    repeats = sum(n - 1 for n in got.values())
    assert repeats <= in_flight and repeats <= 20
    assert await call_status(engine, call.id) == "done"
    assert (await statuses(engine)).get("sent") == count + 1  # and the report


async def test_rows_left_sending_by_a_crash_go_back_to_pending_on_start(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    people = await add_volunteers(engine, fake, [FIRST, FIRST + 1, FIRST + 2])
    async with engine.begin() as conn:
        await outbox.enqueue(
            conn,
            [outbox.Outgoing(tid, vid, "notice", "Hello") for tid, vid in people.items()],
            at=clock.now(),
        )
        # A sender claimed two of them and then the process died.
        await conn.execute(
            update(outbox_table)
            .where(outbox_table.c.chat_id != FIRST + 2)
            .values(status="sending", claimed_at=clock.now())
        )
    async with engine.begin() as conn:
        assert await outbox.recover(conn) == 2
        assert await outbox.recover(conn) == 0
        rows = (await conn.execute(select(outbox_table))).all()
        assert {row.status for row in rows} == {"pending"}
        assert all(row.claimed_at is None for row in rows)
        # Crash again, then start the application: it recovers them itself and sends them.
        await conn.execute(update(outbox_table).values(status="sending", claimed_at=clock.now()))

    app = await start_application(fake, settings, engine, deep_links)
    try:

        async def all_sent() -> bool:
            return (await statuses(engine)) == {"sent": 3}

        await drive(app, all_sent, within=5)
    finally:
        await stop_application(app)
    assert [len(fake.transcript(tid)) for tid in people] == [1, 1, 1]


# --- errors -----------------------------------------------------------------------------------


async def test_network_errors_then_failed_and_a_400_fails_at_once(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    three_tries = settings.model_copy(update={"outbox_max_attempts": 3})
    flaky, refused, fine, gone = FIRST, FIRST + 1, FIRST + 2, FIRST + 3
    people = await add_volunteers(engine, fake, [flaky, refused, fine])
    async with engine.begin() as conn:
        await conn.execute(
            insert(volunteers).values(telegram_id=gone, status="active", created_at=clock.now())
        )  # a chat the fake has never heard of
        people[gone] = await conn.scalar(
            select(volunteers.c.id).where(volunteers.c.telegram_id == gone)
        )
        await outbox.enqueue(
            conn,
            [outbox.Outgoing(tid, vid, "notice", "Hello") for tid, vid in people.items()],
            at=clock.now(),
        )
    fake.inject(Fault(method="sendMessage", chat_id=flaky, drop=True, times=None))
    fake.inject(Fault(method="sendMessage", chat_id=refused, status=400, times=None))

    app = await start_application(fake, three_tries, engine, deep_links)
    try:

        async def settled() -> bool:
            now = await statuses(engine)  # once: a row may move between two looks
            return "pending" not in now and "sending" not in now

        await drive(app, settled, within=10)
    finally:
        await stop_application(app)

    async with engine.connect() as conn:
        rows = {row.chat_id: row for row in await conn.execute(select(outbox_table))}
        unreachable_at = dict(
            (
                await conn.execute(select(volunteers.c.telegram_id, volunteers.c.unreachable_at))
            ).all()
        )
    assert (rows[flaky].status, rows[flaky].attempts, rows[flaky].last_error) == (
        "failed",
        3,
        "NetworkError",
    )
    assert rows[flaky].sent_at is None and rows[flaky].message_id is None
    assert (rows[refused].status, rows[refused].attempts, rows[refused].last_error) == (
        "failed",
        1,
        "BadRequest",
    )
    assert (rows[gone].status, rows[gone].last_error) == ("unreachable", "BadRequest")
    assert rows[fine].status == "sent" and len(fake.transcript(fine)) == 1
    assert fake.transcript(flaky) == [] and fake.transcript(refused) == []
    # Only the chat that is gone is kept out of later calls; failures may be passing trouble.
    assert unreachable_at[gone] is not None
    assert unreachable_at[flaky] is None and unreachable_at[refused] is None


async def test_forgetting_a_volunteer_clears_their_outbox_rows_and_stops_sends(
    fake: FakeTelegram, engine: AsyncEngine
) -> None:
    people = await add_volunteers(engine, fake, [FIRST, FIRST + 1])
    async with engine.begin() as conn:
        await outbox.enqueue(
            conn,
            [outbox.Outgoing(tid, vid, "notice", "Hi <b>Alice</b>") for tid, vid in people.items()],
            at=clock.now(),
        )
        await privacy.erase(conn, people[FIRST], at=clock.now())
        rows = {row.volunteer_id: row for row in await conn.execute(select(outbox_table))}
    forgotten, kept = rows[people[FIRST]], rows[people[FIRST + 1]]
    assert forgotten.chat_id is None and forgotten.payload == {}
    assert kept.chat_id == FIRST + 1 and kept.payload["text"] == "Hi <b>Alice</b>"


async def test_a_forgotten_volunteers_waiting_message_is_never_sent(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    people = await add_volunteers(engine, fake, [FIRST, FIRST + 1])
    async with engine.begin() as conn:
        await outbox.enqueue(
            conn,
            [outbox.Outgoing(tid, vid, "notice", "Hello") for tid, vid in people.items()],
            at=clock.now(),
        )
        await privacy.erase(conn, people[FIRST], at=clock.now())
    app.bot_data[SERVICES].wake_outbox()

    async def settled() -> bool:
        return await statuses(engine) == {"sent": 1, "unreachable": 1}

    await drive(app, settled, within=5)
    assert fake.transcript(FIRST) == [] and len(fake.transcript(FIRST + 1)) == 1


async def test_a_call_finished_by_a_sender_that_crashed_is_reported_at_the_next_start(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    first = await start_application(fake, settings, engine, deep_links)
    try:
        call = await launch_call(first, fake, engine, 5)
        await drive(first, finished(fake), within=5)
    finally:
        await stop_application(first)
    # Rewind to the moment after the last row was marked, before the call was: a crash there.
    async with engine.begin() as conn:
        await conn.execute(
            update(callouts).where(callouts.c.id == call.id).values(status="sending")
        )
        await conn.execute(
            update(outbox_table).where(outbox_table.c.callout_id.is_(None)).values(status="failed")
        )
    reports_before = len(fake.transcript(ORGANISER))

    second = await start_application(fake, settings, engine, deep_links)
    try:

        async def reported() -> bool:
            return len(fake.transcript(ORGANISER)) > reports_before

        await drive(second, reported, within=5)
    finally:
        await stop_application(second)
    assert await call_status(engine, call.id) == "done"
    assert "Delivered: 5" in fake.chat(ORGANISER).last.text
    assert all(len(fake.transcript(tid)) == 1 for tid in call.people)


async def test_card_edits_refused_by_telegram_are_recorded_once_and_never_retried(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    """An edit of a card that already says this ("not modified") counts as done; one of a message
    that is gone fails at once, with the error's name, and is not tried again."""
    people = await add_volunteers(engine, fake, [FIRST])
    card = texts.CALL_INTRO
    async with engine.begin() as conn:
        await outbox.enqueue(
            conn, [outbox.Outgoing(FIRST, people[FIRST], "callout", card)], at=clock.now()
        )

    app = await start_application(fake, settings, engine, deep_links)
    try:

        async def settled() -> bool:
            found = await statuses(engine)
            return "pending" not in found and "sending" not in found

        await drive(app, settled, within=10)
        (sent,) = fake.transcript(FIRST)
        async with engine.begin() as conn:
            await outbox.enqueue(
                conn,
                [
                    outbox.Outgoing(
                        FIRST, people[FIRST], "card_edit", card, edit_of=sent.message_id
                    ),
                    outbox.Outgoing(FIRST, people[FIRST], "card_edit", "New", edit_of=99_999),
                ],
                at=clock.now(),
            )
        app.bot_data[SERVICES].wake_outbox()
        await drive(app, settled, within=10)
    finally:
        await stop_application(app)

    async with engine.connect() as conn:
        edits = (
            await conn.execute(
                select(
                    outbox_table.c.status,
                    outbox_table.c.attempts,
                    outbox_table.c.last_error,
                    outbox_table.c.message_id,
                )
                .where(outbox_table.c.kind == "card_edit")
                .order_by(outbox_table.c.id)
            )
        ).all()
        unreachable = await conn.scalar(
            select(volunteers.c.unreachable_at).where(volunteers.c.telegram_id == FIRST)
        )
    assert edits == [("sent", 1, None, None), ("failed", 1, "BadRequest", None)]
    assert unreachable is None
    assert fake.transcript(FIRST)[0].text == "📣 Can you help?"
