"""Benchmark: a shift call to 10,000 volunteers through the outbox, against the fake Bot API.

    python -m bench.broadcast            # or: make bench

(a) the whole path (outbox rows in SQLite, the sender, PTB, HTTP) with the pace lifted, timed
    from the enqueue transaction to the last message arriving at the fake server;
(b) a bare PTB loop sending the same messages to the same kind of fake server, one await after
    another, for comparison (the outbox should reach at least 0.8 of it);
(c) the default pace (25 a second, 1 s per chat), measured over at least 30 seconds.

The fake server runs in this process, on this event loop, so both (a) and (b) share one core
with it. (a) and (b) run in turns, ``--rounds`` times each, and the best of each is reported (the
machine may be busy with other work; the best run is the one least disturbed). Human-readable
lines first; the last line is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import insert, select
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.ext import Application

from bot import clock, texts
from bot.app import build_application
from bot.context import SERVICES
from bot.settings import Settings
from db import migrate, outbox
from db.engine import create_engine
from db.schema import volunteers
from tests.fake_telegram import FakeTelegram
from tests.flows import insert_call

FIRST = 1_000_001
ORGANISER = 900_001
TEXT = (
    "📣 <b>Canvass: Saturday in Peckham</b>\n"
    "📍 Peckham · Rye Lane, by the library\n"
    "🕙 Sat 28 Nov, 10:00–13:00 · 12 of 20 places left\n\n"
    "Can you come? Tap below."
)
MARKUP: dict[str, Any] = {
    "inline_keyboard": [
        [
            {"text": "✅ I'm in", "callback_data": "r:1:g"},
            {"text": "🤔 Maybe", "callback_data": "r:1:m"},
            {"text": "❌ Can't", "callback_data": "r:1:c"},
        ]
    ]
}


def _say(line: str) -> None:
    print(line, flush=True)


class Arrivals:
    """When each message reached the fake server (perf_counter), and a wait for the n-th."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.times: list[float] = []
        self._want = 0
        self._reached = asyncio.Event()
        send = fake._handlers["sendmessage"]

        async def timed(params: dict[str, Any]) -> Any:
            result = await send(params)
            self.times.append(time.perf_counter())
            if len(self.times) == self._want:
                self._reached.set()
            return result

        fake._handlers["sendmessage"] = timed

    async def wait_for(self, count: int, within: float) -> None:
        self._want = count
        if len(self.times) < count:
            self._reached.clear()
            async with asyncio.timeout(within):
                await self._reached.wait()


async def bare_loop(recipients: int) -> float:
    """(b): the simplest idiomatic PTB loop, sequential awaits, same messages. Messages/s."""
    async with FakeTelegram() as fake:
        fake.record_requests = False
        chats = range(FIRST, FIRST + recipients)
        for chat in chats:
            fake.user(chat)
        markup = InlineKeyboardMarkup.de_json(MARKUP, None)
        async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
            started = time.perf_counter()
            for chat in chats:
                await bot.send_message(chat, TEXT, parse_mode=ParseMode.HTML, reply_markup=markup)
            elapsed = time.perf_counter() - started
        assert fake.sent_count == recipients
    return recipients / elapsed


async def _start(fake: FakeTelegram, folder: Path, **pace: float) -> tuple[Application, Any]:
    url = f"sqlite+aiosqlite:///{folder / 'muster.db'}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(fake.token),
        database_url=url,
        telegram_api_base_url=fake.base_url,
        telegram_api_base_file_url=fake.base_file_url,
        **pace,
    )
    engine = create_engine(url)
    await migrate.upgrade(engine)
    application = build_application(settings, engine, migrate_on_start=False)
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    await application.start()  # no long polling: nobody is talking to the bot
    return application, engine


async def _stop(application: Application, engine: Any) -> None:
    await application.stop()
    await application.shutdown()
    await engine.dispose()


async def _volunteers(engine: Any, fake: FakeTelegram, recipients: int) -> list[tuple[int, int]]:
    chats = list(range(FIRST, FIRST + recipients))
    for chat in chats:
        fake.user(chat)
    async with engine.begin() as conn:
        await conn.execute(
            insert(volunteers),
            [{"telegram_id": c, "status": "active", "created_at": clock.now()} for c in chats],
        )
        rows = await conn.execute(select(volunteers.c.telegram_id, volunteers.c.id))
        return [(row.telegram_id, row.id) for row in rows]


async def _enqueue_call(
    application: Application, engine: Any, people: list[tuple[int, int]], progress_id: int | None
) -> int:
    """What launching a shift call does: the call row and one outbox row each, one commit."""
    async with engine.begin() as conn:
        call_id = await insert_call(
            conn,
            code="bench",
            organiser=ORGANISER,
            recipients=len(people),
            progress_message_id=progress_id,
        )
        await outbox.enqueue(
            conn,
            (
                outbox.Outgoing(chat, volunteer, "callout", TEXT, MARKUP, callout_id=call_id)
                for chat, volunteer in people
            ),
            at=clock.now(),
        )
    application.bot_data[SERVICES].wake_outbox()
    return call_id


async def outbox_call(recipients: int, folder: Path) -> tuple[float, float]:
    """(a): the whole path with the pace lifted. (messages/s, seconds)."""
    async with FakeTelegram() as fake:
        fake.record_requests = False
        application, engine = await _start(fake, folder, outbox_rate=0, outbox_per_chat_seconds=0)
        try:
            people = await _volunteers(engine, fake, recipients)
            fake.user(ORGANISER)
            progress = await application.bot.send_message(
                ORGANISER, texts.callout_progress(0, recipients)
            )
            arrivals = Arrivals(fake)
            started = time.perf_counter()
            await _enqueue_call(application, engine, people, progress.message_id)
            await arrivals.wait_for(recipients, within=600)
            elapsed = arrivals.times[recipients - 1] - started
            await arrivals.wait_for(recipients + 1, within=30)  # the delivery report
            assert "Delivery report" in (fake.chat(ORGANISER).last.text or "")
            assert all(len(fake.transcript(chat)) == 1 for chat, _ in people)
        finally:
            await _stop(application, engine)
    return recipients / elapsed, elapsed


async def paced(seconds: float, folder: Path) -> tuple[float, int, float]:
    """(c): the default pace. (messages/s between the first and last arrival, count, span)."""
    rate = Settings.model_fields["outbox_rate"].default
    recipients = math.ceil(rate * seconds) + 1
    async with FakeTelegram() as fake:
        fake.record_requests = False
        arrivals = Arrivals(fake)
        application, engine = await _start(fake, folder)  # the default pace
        try:
            people = await _volunteers(engine, fake, recipients)
            await _enqueue_call(application, engine, people, None)
            await arrivals.wait_for(recipients, within=seconds * 2 + 10)
        finally:
            await _stop(application, engine)
    span = arrivals.times[recipients - 1] - arrivals.times[0]
    return (recipients - 1) / span, recipients, span


async def main(recipients: int, paced_seconds: float, rounds: int) -> dict[str, Any]:
    _say(f"broadcast benchmark: {recipients:,} recipients, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bares: list[float] = []
        rates: list[tuple[float, float]] = []
        for round_ in range(1, rounds + 1):
            bares.append(await bare_loop(recipients))
            _say(f"(b) round {round_}: bare PTB loop (sequential awaits): {bares[-1]:,.0f} msg/s")
            (folder / f"a{round_}").mkdir()
            rates.append(await outbox_call(recipients, folder / f"a{round_}"))
            _say(
                f"(a) round {round_}: outbox, pace lifted: {rates[-1][0]:,.0f} msg/s "
                f"({recipients:,} in {rates[-1][1]:.2f} s, enqueue to last sent)"
            )
        bare = max(bares)
        rate, elapsed = max(rates)
        _say(f"best: outbox {rate:,.0f} msg/s, bare loop {bare:,.0f} msg/s")
        ratio = rate / bare
        _say(f"    ratio outbox / bare loop: {ratio:.2f} (target >= 0.8)")
        (folder / "c").mkdir()
        paced_rate, count, span = await paced(paced_seconds, folder / "c")
        _say(
            f"(c) outbox, default pace: {paced_rate:.2f} msg/s "
            f"({count:,} messages over {span:.1f} s; target 25 within 5%)"
        )
    return {
        "bench": "broadcast",
        "recipients": recipients,
        "msgs_per_s": round(rate, 1),
        "seconds": round(elapsed, 3),
        "bare_msgs_per_s": round(bare, 1),
        "ratio": round(ratio, 3),
        "rounds": rounds,
        "all_msgs_per_s": [round(r, 1) for r, _ in rates],
        "all_bare_msgs_per_s": [round(b, 1) for b in bares],
        "paced_msgs_per_s": round(paced_rate, 2),
        "paced_messages": count,
        "paced_seconds": round(span, 1),
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--paced-seconds", type=float, default=32.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(main(args.recipients, args.paced_seconds, args.rounds))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    cli()
