"""One Telegram budget for the bot's token (bot/budget.py): the application's replies and the
outbox share it, sends go in lanes, a 429 pauses all of it, and a crash repeats little.

The end-to-end checks read the fake Bot API's own log of requests, with a small limit so that
they run in seconds; they check what reached Telegram, not how fast the bot was.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.budget import Budget, BudgetRateLimiter
from bot.context import SERVICES, DeepLinkHandler
from bot.domain.audience import Audience
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.sending import Lane, lane_of
from bot.services import calls
from bot.settings import Settings
from db import events
from db.schema import outbox, rsvps, volunteers
from schedules.outbox import FLUSH_SIZE
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram, Fault
from tests.flows import agreed_to_notice, outbox_drained, until

pytestmark = pytest.mark.filterwarnings(
    # PTB itself reads RetryAfter.retry_after as an int when it builds the error.
    "ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning"
)

RATE = 10  # a small budget, so the call below is long enough to tap during it
FIRST = 30_000
SAT_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/London")
# Methods whose request names a chat: what Telegram's per-second and per-chat limits count.
FOLLOW_UPS = ("sendmessage", "sendvenue", "senddocument")


# --- the budget on its own ----------------------------------------------------------------------


async def test_when_the_budget_is_short_sends_go_lane_by_lane() -> None:
    budget = Budget(rate=2, per_chat=0)
    order: list[Lane] = []

    async def send(chat: int, lane: Lane) -> None:
        async with budget.slot(chat, lane):
            order.append(lane)

    # Two quick sends use up this second; everything after them waits, and then goes best
    # lane first whatever the order it asked in.
    await send(1, Lane.BULK)
    await send(2, Lane.BULK)
    waiting = [
        asyncio.create_task(send(10 + n, lane))
        for n, lane in enumerate(
            [Lane.BULK, Lane.REMINDER, Lane.URGENT, Lane.FOLLOW_UP, Lane.ANSWER, Lane.BULK]
        )
    ]
    await asyncio.gather(*waiting)
    assert order == [
        Lane.BULK,
        Lane.BULK,
        Lane.ANSWER,
        Lane.FOLLOW_UP,
        Lane.URGENT,
        Lane.REMINDER,
        Lane.BULK,
        Lane.BULK,
    ]


async def test_one_chat_waits_its_gap_but_others_and_direct_answers_do_not() -> None:
    budget = Budget(rate=0, per_chat=30)  # a gap no test waits for
    async with budget.slot(1, Lane.BULK):
        pass
    again = asyncio.create_task(budget.turn(1, Lane.FOLLOW_UP))
    await budget.turn(2, Lane.BULK)  # another chat: at once
    budget.done(2)
    await budget.turn(1, Lane.ANSWER)  # the direct answer to them: at once
    budget.done(1)
    await asyncio.sleep(0.05)
    assert not again.done(), "a second message to one chat went without its gap"
    again.cancel()


async def test_the_second_counts_from_when_telegram_answered_not_when_the_request_started() -> None:
    # Telegram counts a request when it arrives, which may be as late as its answer: the request
    # `rate` places on may start only a second after that answer, so a slow request cannot put
    # one too many into a second at Telegram's end.
    budget = Budget(rate=2, per_chat=0)
    loop = asyncio.get_running_loop()
    await budget.turn(1, Lane.BULK)
    await budget.turn(2, Lane.BULK)
    third = asyncio.create_task(budget.turn(3, Lane.BULK))
    await asyncio.sleep(1.2)  # a second after the first started: still in flight
    assert not third.done(), "went while the request two places before was unanswered"
    budget.done(1)
    answered = loop.time()
    await third
    assert loop.time() - answered >= 1.0
    budget.done(2)
    budget.done(3)


async def test_a_429_holds_up_everything_even_direct_answers() -> None:
    budget = Budget(rate=0, per_chat=0)
    budget.pause(0.3)
    answer = asyncio.create_task(budget.turn(None, Lane.ANSWER))  # e.g. answerCallbackQuery
    bulk = asyncio.create_task(budget.turn(5, Lane.BULK))
    await asyncio.sleep(0.05)
    assert budget.paused() and not answer.done() and not bulk.done()
    await asyncio.gather(answer, bulk)  # and both go once the pause is over
    assert not budget.paused()


def test_lanes_come_from_what_a_message_is() -> None:
    assert lane_of("rsvp_calendar") == Lane.FOLLOW_UP
    assert lane_of("organiser_alert") == Lane.FOLLOW_UP
    assert lane_of("urgent_call") == Lane.URGENT
    assert lane_of("reminder") == Lane.REMINDER
    assert lane_of("callout") == Lane.BULK


# --- end to end: a call while people tap ------------------------------------------------------


async def _call_with_volunteers(
    app: Application, fake: FakeTelegram, engine: AsyncEngine, count: int
) -> None:
    """``count`` signed-up volunteers, an event with room for all, and a call to everyone sent
    as /callout sends it."""
    fake.user(ADMIN_ID, first_name="Ada")
    for n in range(count):
        fake.user(FIRST + n, first_name=f"Vol {n}")
    at = clock.now()
    async with engine.begin() as conn:
        ids = await conn.scalars(
            insert(volunteers).returning(volunteers.c.id),
            [
                {
                    "telegram_id": FIRST + n,
                    "name": f"Vol {n}",
                    "status": "active",
                    "editing": False,
                    "created_at": at,
                }
                for n in range(count)
            ],
        )
        await agreed_to_notice(conn, list(ids))
        event_id = await events.create_event(
            conn,
            EventDraft(
                kind="canvass",
                title="Peckham Saturday doors",
                area="Peckham",
                address="Rye Lane Library, SE15 4QR",
                shifts=(ShiftDraft(SAT_10, SAT_10 + timedelta(hours=3), count),),
            ),
            created_by=ADMIN_ID,
            at=at,
        )
        (shift,) = await events.shifts_of(conn, event_id)
        await calls.send_now(
            conn,
            at,
            calls.NewCall(event_id, (shift.id,), Audience(), None, ADMIN_ID, ADMIN_ID),
            rsvp_before=timedelta(hours=48),
            zone=ZONE,
        )
    app.bot_data[SERVICES].wake_outbox()


def _chat_of(params: dict[str, Any]) -> int | None:
    chat = params.get("chat_id")
    return int(chat) if chat is not None else None


async def test_a_call_while_people_tap_keeps_telegrams_limits_and_answers_come_first(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    count, tappers = 50, 6
    budget = {"send_rate": RATE, "send_per_chat_seconds": 1.0, "send_group_per_minute": 20}
    app = await start_application(fake, settings.model_copy(update=budget), engine, deep_links)
    try:
        await _call_with_volunteers(app, fake, engine, count)
        tapped = []
        for n in range(tappers):  # the first few tap "I'm in" as soon as the call reaches them
            user = fake.user(FIRST + n)
            await until(lambda user=user: bool(user.messages), within=20)
            await user.press("10:00-13:00", exact=False)
            tapped.append(user)
        await until(lambda: "Delivery report" in (fake.chat(ADMIN_ID).last.text or ""), 30)
        await outbox_drained(engine)
    finally:
        await stop_application(app)

    timeline = fake.timeline()
    naming = sorted(at for at, _, params in timeline if _chat_of(params) is not None)
    busiest = max(
        bisect.bisect_left(naming, start + 1.0) - index for index, start in enumerate(naming)
    )
    assert busiest <= RATE, f"{busiest} requests naming a chat in one second"
    sends: dict[int, list[float]] = defaultdict(list)
    for at, method, params in timeline:
        chat = _chat_of(params)
        if method.lower() in FOLLOW_UPS and chat is not None and chat >= FIRST:
            sends[chat].append(at)
    for chat, times in sends.items():
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(gap >= 1.0 for gap in gaps), f"chat {chat} got messages {gaps} s apart"

    # What followed each tap went ahead of the rest of the call.
    call_arrivals = [
        at
        for at, method, params in timeline
        if method.lower() == "sendmessage" and (_chat_of(params) or 0) >= FIRST + tappers
    ]
    for user in tapped:
        confirmation = [
            at
            for at, method, params in timeline
            if method.lower() in FOLLOW_UPS and _chat_of(params) == user.id
        ][1]  # the first is the call itself
        assert confirmation < max(call_arrivals)
        assert "You're going" in (user.messages[0].text or "")
    async with engine.connect() as conn:
        going = await conn.scalar(
            select(func.count()).select_from(rsvps).where(rsvps.c.status == "going")
        )
        statuses = set((await conn.execute(select(outbox.c.status))).scalars())
    assert going == tappers
    assert statuses == {"sent"}
    assert all(len(fake.transcript(FIRST + n)) == 1 for n in range(tappers, count))


async def test_a_429_pauses_the_outbox_and_the_applications_replies_alike(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    count = 40
    budget = {"send_rate": RATE, "send_per_chat_seconds": 1.0}
    app = await start_application(fake, settings.model_copy(update=budget), engine, deep_links)
    try:
        slow_down = fake.inject(
            Fault(method="sendMessage", chat_id=FIRST + 5, status=429, retry_after=2, times=1)
        )
        await _call_with_volunteers(app, fake, engine, count)
        await until(lambda: slow_down.times == 0, within=20)
        asked = len(fake.requests)
        await fake.user(ADMIN_ID).send("/help")  # a direct answer, asked during the pause
        await until(lambda: "Delivery report" in (fake.chat(ADMIN_ID).last.text or ""), 30)
    finally:
        await stop_application(app)

    timeline = fake.timeline()
    refused = next(
        at
        for at, method, params in timeline
        if method.lower() == "sendmessage" and _chat_of(params) == FIRST + 5
    )
    # Sends already on their way when the 429 came back may still arrive; after that, nothing
    # naming a chat until the pause is over, the reply to /help included.
    quiet = [
        (method, params)
        for at, method, params in timeline
        if refused + 0.3 < at < refused + 1.9 and _chat_of(params) is not None
    ]
    assert quiet == []
    (help_reply,) = [
        at
        for at, method, params in timeline[asked:]
        if method.lower() == "sendmessage" and _chat_of(params) == ADMIN_ID
    ][:1]
    assert help_reply >= refused + 1.9
    assert len(fake.transcript(FIRST + 5)) == 1  # sent again after the pause, once


async def test_a_crash_at_any_moment_would_repeat_at_most_flush_size_messages(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    """The sender never has more than FLUSH_SIZE messages out that are not marked sent: those
    are all a crash could send twice. Checked throughout an unpaced call of 1,500."""
    count = 1_500
    fake.record_requests = False
    app = await start_application(fake, settings, engine, deep_links)
    worst = 0
    try:
        await _call_with_volunteers(app, fake, engine, count)
        while True:
            arrived = fake.sent_count  # read first: it only grows while we look at the table
            async with engine.connect() as conn:
                marked = await conn.scalar(
                    select(func.count())
                    .select_from(outbox)
                    .where(outbox.c.status == "sent", outbox.c.kind == "callout")
                )
            # The organiser's progress message is one of the arrivals, and marked apart.
            worst = max(worst, arrived - 1 - marked)
            if marked == count:
                break
            await asyncio.sleep(0.005)
    finally:
        await stop_application(app)
    assert 0 < worst <= FLUSH_SIZE
    assert all(len(fake.transcript(FIRST + n)) == 1 for n in range(count))
    assert texts.callout_progress(count, count, finished=True) in [
        m.text for m in fake.chat(ADMIN_ID).messages
    ]


async def test_a_tap_waiting_out_a_429_holds_no_database_connection(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    """The pool is small (15): a tap that kept its connection while its answer waits for the
    budget would, on a busy day, leave fewer for everything else."""
    app = await start_application(fake, settings, engine, deep_links)
    try:
        await _call_with_volunteers(app, fake, engine, 2)
        await outbox_drained(engine)
        async with engine.begin() as conn:  # one of them is refused: not signed up any more
            await conn.execute(
                update(volunteers)
                .where(volunteers.c.telegram_id == FIRST + 1)
                .values(status="signing_up")
            )
        limiter = app.bot.rate_limiter
        assert isinstance(limiter, BudgetRateLimiter)
        budget = limiter.budget
        for tapper in (FIRST, FIRST + 1):
            fake.inject(Fault(method="answerCallbackQuery", status=429, retry_after=3, times=1))
            await fake.user(tapper).press("10:00-13:00", exact=False, wait=False)
            # Its answer (or refusal) waits out the pause, its transaction over: the pool has
            # every connection back (the outbox may be reading, now and then) while it waits.
            await until(lambda: budget.paused() and budget.waiting() >= 1)
            await until(lambda: engine.sync_engine.pool.checkedout() == 0, within=2)
            assert budget.paused()
            await until(lambda: budget.waiting() == 0, within=10)
        await until(lambda: len(fake.callback_answers) >= 2)
    finally:
        await stop_application(app)
    async with engine.connect() as conn:
        going = await conn.scalar(
            select(func.count()).select_from(rsvps).where(rsvps.c.status == "going")
        )
    assert going == 1
    refused = [a.get("text") for a in fake.callback_answers.values()]
    assert texts.NOT_SIGNED_UP in refused
