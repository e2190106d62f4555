"""Benchmark: a shift call to 10,000 volunteers through the outbox, against the fake Bot API.

    python -m bench.broadcast            # or: make bench

The fake Bot API server runs in this process; what sends runs in a child process of its own, as a
deployment would (so the two do not share one core's event loop):

(a) the whole path (outbox rows in SQLite, the sender, PTB, HTTP) with the budget lifted
    (SEND_RATE=0), timed from the child being told to enqueue the call to the last message
    arriving at the fake server (target >= 3,000 msg/s);
(b) a bare PTB loop in a child process, sending the same messages one await after another, for
    comparison (target: (a) >= 1.0 x (b));
(r) raw aiohttp in a child process: the same messages as ready-made JSON, as many in flight as
    the outbox sends at once, each answer read as JSON and nothing else done: about the most any
    Python sender gets out of the fake server on this machine, which runs in this process and
    may itself be the limit; (a) / (r) says how close the outbox comes to it;
(c) kill -9: the same unpaced call, with the child killed (SIGKILL, no chance to tidy up) at
    ``--kills`` points and started again each time; per kill, the messages lost (never 0
    arrivals) and repeated (arrived again after the restart; target <= 100);
(d) the default pace (SEND_RATE, one a second per chat), in this process, measured over at
    least 30 seconds.

(a), (b) and (r) run in turns, ``--rounds`` times each, and the best of each is reported (the
machine may be busy with other work; the best run is the one least disturbed). Human-readable lines
first; the last line is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr
from sqlalchemy import func, insert, select, update
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.ext import Application

from bot import clock, texts
from bot.app import build_application
from bot.budget import MARGIN
from bot.context import SERVICES
from bot.domain.sending import CALL
from bot.settings import Settings
from db import migrate, outbox
from db.engine import create_engine
from db.schema import callouts, volunteers
from schedules.outbox import CONCURRENCY
from tests.fake_telegram import FakeTelegram
from tests.flows import insert_call

FIRST = 1_000_001
ORGANISER = 900_001
TOKEN = "123456:bench"
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
    """When each message reached the fake server (perf_counter) and to which chat, and a wait
    for the n-th."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.times: list[float] = []
        self.chats: list[int] = []
        self._want = 0
        self._reached = asyncio.Event()
        send = fake._handlers["sendmessage"]

        async def timed(params: dict[str, Any]) -> Any:
            result = await send(params)
            self.times.append(time.perf_counter())
            self.chats.append(result["chat"]["id"])
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


def _settings(base_url: str, file_url: str, database_url: str, **pace: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TOKEN),
        database_url=database_url,
        telegram_api_base_url=base_url,
        telegram_api_base_file_url=file_url,
        **pace,
    )


# --- the child process: what sends ---------------------------------------------------------------


async def _child_outbox(settings: Settings) -> None:
    """The application with its outbox sender, no long polling (nobody talks to the bot). Says
    "ready" once started; "go" enqueues the call to every volunteer; stdin closing stops it."""
    engine = create_engine(settings.database_url)
    application = build_application(settings, engine, migrate_on_start=False)
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    await application.start()
    _say("ready")
    loop = asyncio.get_running_loop()
    try:
        while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            if line == "go":
                await _enqueue_call(application, engine)
    finally:
        await application.stop()
        await application.shutdown()
        await engine.dispose()


async def _enqueue_call(application: Application, engine: Any) -> None:
    """What launching a shift call does (db.callouts.queue): the call row with its message, and
    one outbox row each by one INSERT ... SELECT, one commit."""
    async with engine.connect() as conn:
        recipients = await conn.scalar(select(func.count()).select_from(volunteers))
    progress = await application.bot.send_message(ORGANISER, texts.callout_progress(0, recipients))
    async with engine.begin() as conn:
        call_id = await insert_call(
            conn,
            code="bench",
            organiser=ORGANISER,
            recipients=recipients,
            progress_message_id=progress.message_id,
        )
        await conn.execute(
            update(callouts)
            .where(callouts.c.id == call_id)
            .values(payload={"text": TEXT, "reply_markup": MARKUP})
        )
        await outbox.enqueue_each(
            conn,
            select(volunteers.c.id, volunteers.c.telegram_id).order_by(volunteers.c.id),
            callout_id=call_id,
            kind=CALL,
            at=clock.now(),
        )
    application.bot_data[SERVICES].wake_outbox()


async def _child_bare(base_url: str, file_url: str, recipients: int) -> None:
    """(b): the simplest idiomatic PTB loop, sequential awaits, same messages, after "go"."""
    markup = InlineKeyboardMarkup.de_json(MARKUP, None)
    async with Bot(TOKEN, base_url=base_url, base_file_url=file_url) as bot:
        _say("ready")
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for chat in range(FIRST, FIRST + recipients):
            await bot.send_message(chat, TEXT, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _child_raw(base_url: str, recipients: int) -> None:
    """(r): raw aiohttp, CONCURRENCY requests in flight, same messages, after "go"."""
    message = {
        "text": TEXT,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": {"is_disabled": True},
        "reply_markup": MARKUP,
    }
    rest = json.dumps(message, ensure_ascii=False).encode()[1:]
    url = f"{base_url}{TOKEN}/sendMessage"
    headers = {"Content-Type": "application/json"}
    chats = iter(range(FIRST, FIRST + recipients))

    async def send(session: aiohttp.ClientSession) -> None:
        for chat in chats:
            body = b'{"chat_id":%d,%b' % (chat, rest)
            async with session.post(url, data=body, headers=headers) as response:
                assert json.loads(await response.read())["ok"]

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        _say("ready")
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.gather(*(send(session) for _ in range(CONCURRENCY)))


class Child:
    """A child process running one of the above."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, *args: str) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.broadcast",
            "--child",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        child = cls(process)
        assert process.stdout is not None
        async with asyncio.timeout(60):
            while (await process.stdout.readline()).strip() != b"ready":
                pass
        return child

    def tell(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        async with asyncio.timeout(60):
            await self.process.wait()

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


# --- the parent: the fake server, and the figures ------------------------------------------------


async def _database(folder: Path, fake: FakeTelegram, recipients: int) -> str:
    url = f"sqlite+aiosqlite:///{folder / 'muster.db'}"
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        chats = list(range(FIRST, FIRST + recipients))
        async with engine.begin() as conn:
            await conn.execute(
                insert(volunteers),
                [{"telegram_id": c, "status": "active", "created_at": clock.now()} for c in chats],
            )
    finally:
        await engine.dispose()
    for chat in chats:
        fake.user(chat)
    fake.user(ORGANISER)
    return url


def _fake() -> FakeTelegram:
    fake = FakeTelegram(token=TOKEN)
    fake.record_requests = False
    return fake


async def bare_loop(recipients: int, kind: str = "bare") -> float:
    """(b), or with ``kind`` "raw" (r), in a child process. Messages/s."""
    async with _fake() as fake:
        for chat in range(FIRST, FIRST + recipients):
            fake.user(chat)
        arrivals = Arrivals(fake)
        child = await Child.start(kind, fake.base_url, fake.base_file_url, str(recipients))
        started = time.perf_counter()
        child.tell("go")
        await arrivals.wait_for(recipients, within=600)
        elapsed = arrivals.times[-1] - started
        await child.stop()
    return recipients / elapsed


async def outbox_call(recipients: int, folder: Path) -> tuple[float, float]:
    """(a), the application in a child process. (messages/s, seconds)."""
    async with _fake() as fake:
        url = await _database(folder, fake, recipients)
        arrivals = Arrivals(fake)
        child = await Child.start("outbox", fake.base_url, fake.base_file_url, url)
        started = time.perf_counter()
        child.tell("go")
        await arrivals.wait_for(recipients + 1, within=600)  # the progress message too
        elapsed = arrivals.times[recipients] - started
        await arrivals.wait_for(recipients + 2, within=30)  # the delivery report
        assert "Delivery report" in (fake.chat(ORGANISER).last.text or "")
        assert all(len(fake.transcript(chat)) == 1 for chat in range(FIRST, FIRST + recipients))
        await child.stop()
    return recipients / elapsed, elapsed


async def killed(recipients: int, kills: int, folder: Path) -> list[tuple[int, int, int]]:
    """(c): per kill, (messages arrived when killed, lost, repeated after the restart). A lost
    message shows only once the call is over, so all are counted against the last kill."""
    results = []
    async with _fake() as fake:
        url = await _database(folder, fake, recipients)
        arrivals = Arrivals(fake)
        child = await Child.start("outbox", fake.base_url, fake.base_file_url, url)
        child.tell("go")
        points = [recipients * (n + 1) // (kills + 1) for n in range(kills)]
        marks = []
        for point in points:
            await arrivals.wait_for(point, within=600)
            await child.kill()
            marks.append(len(arrivals.times))
            child = await Child.start("outbox", fake.base_url, fake.base_file_url, url)
        await arrivals.wait_for(len(arrivals.times) + 1, within=600)
        while "Delivery report" not in (fake.chat(ORGANISER).last.text or ""):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        await child.stop()
        chats = arrivals.chats
        for n, mark in enumerate(marks):
            before = set(chats[:mark])
            end = marks[n + 1] if n + 1 < len(marks) else len(chats)
            # The organiser's chat had the progress message before any kill; the delivery
            # report after the last one is not a repeat.
            repeated = sum(1 for chat in chats[mark:end] if chat in before and chat != ORGANISER)
            results.append((mark, 0, repeated))
        lost = sum(1 for chat in range(FIRST, FIRST + recipients) if not fake.transcript(chat))
        if results:
            mark, _, repeated = results[-1]
            results[-1] = (mark, lost, repeated)  # a loss shows once the call is over
    return results


async def paced(seconds: float, folder: Path) -> tuple[float, int, float]:
    """(d): the default pace, in this process. (messages/s, count, span)."""
    rate = Settings.model_fields["send_rate"].default / (1 + MARGIN)
    recipients = math.ceil(rate * seconds) + 1
    async with _fake() as fake:
        url = await _database(folder, fake, recipients)
        arrivals = Arrivals(fake)
        settings = _settings(fake.base_url, fake.base_file_url, url)
        engine = create_engine(url)
        application = build_application(settings, engine, migrate_on_start=False)
        await application.initialize()
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        try:
            await _enqueue_call(application, engine)
            await arrivals.wait_for(recipients + 1, within=seconds * 2 + 10)
        finally:
            await application.stop()
            await application.shutdown()
            await engine.dispose()
    span = arrivals.times[recipients] - arrivals.times[1]
    return (recipients - 1) / span, recipients, span


async def main(recipients: int, paced_seconds: float, rounds: int, kills: int) -> dict[str, Any]:
    _say(
        f"broadcast benchmark: {recipients:,} recipients, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bares: list[float] = []
        raws: list[float] = []
        rates: list[tuple[float, float]] = []
        for round_ in range(1, rounds + 1):
            bares.append(await bare_loop(recipients))
            _say(f"(b) round {round_}: bare PTB loop (sequential awaits): {bares[-1]:,.0f} msg/s")
            raws.append(await bare_loop(recipients, "raw"))
            _say(f"(r) round {round_}: raw aiohttp, {CONCURRENCY} in flight: {raws[-1]:,.0f} msg/s")
            (folder / f"a{round_}").mkdir()
            rates.append(await outbox_call(recipients, folder / f"a{round_}"))
            _say(
                f"(a) round {round_}: outbox, budget lifted: {rates[-1][0]:,.0f} msg/s "
                f"({recipients:,} in {rates[-1][1]:.2f} s, enqueue to last sent)"
            )
        bare, raw = max(bares), max(raws)
        rate, elapsed = max(rates)
        ratio = rate / bare
        _say(
            f"best: outbox {rate:,.0f} msg/s (target >= 3,000), bare loop {bare:,.0f} msg/s, "
            f"raw aiohttp {raw:,.0f} msg/s"
        )
        _say(f"    ratio outbox / bare loop: {ratio:.2f} (target >= 1.0)")
        _say(f"    ratio outbox / raw aiohttp: {rate / raw:.2f} (what the fake allows a sender)")
        (folder / "c").mkdir()
        kill_results = await killed(recipients, kills, folder / "c")
        for n, (mark, lost, repeated) in enumerate(kill_results, 1):
            _say(f"(c) kill {n} at {mark:,} arrivals: repeated {repeated}, lost {lost}")
        lost = sum(lost for _, lost, _ in kill_results)
        worst = max((repeated for _, _, repeated in kill_results), default=0)
        _say(f"    lost {lost} (target 0), at most {worst} repeated per kill (target <= 100)")
        (folder / "d").mkdir()
        paced_rate, count, span = await paced(paced_seconds, folder / "d")
        target = Settings.model_fields["send_rate"].default
        _say(
            f"(d) outbox, default pace: {paced_rate:.2f} msg/s ({count:,} messages over "
            f"{span:.1f} s; the budget keeps under {target} in any second, with "
            f"{MARGIN:.0%} to spare)"
        )
    return {
        "bench": "broadcast",
        "recipients": recipients,
        "msgs_per_s": round(rate, 1),
        "seconds": round(elapsed, 3),
        "bare_msgs_per_s": round(bare, 1),
        "ratio": round(ratio, 3),
        "raw_msgs_per_s": round(raw, 1),
        "raw_ratio": round(rate / raw, 3),
        "rounds": rounds,
        "all_msgs_per_s": [round(r, 1) for r, _ in rates],
        "all_bare_msgs_per_s": [round(b, 1) for b in bares],
        "all_raw_msgs_per_s": [round(r, 1) for r in raws],
        "kills": len(kill_results),
        "killed_lost": lost,
        "killed_repeated": [repeated for _, _, repeated in kill_results],
        "paced_msgs_per_s": round(paced_rate, 2),
        "paced_messages": count,
        "paced_seconds": round(span, 1),
    }


def cli() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, base_url, file_url, last = sys.argv[2:6]
        if kind == "bare":
            asyncio.run(_child_bare(base_url, file_url, int(last)))
        elif kind == "raw":
            asyncio.run(_child_raw(base_url, int(last)))
        else:
            lifted = {"send_rate": 0, "send_per_chat_seconds": 0, "send_group_per_minute": 0}
            asyncio.run(_child_outbox(_settings(base_url, file_url, last, **lifted)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--paced-seconds", type=float, default=32.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(main(args.recipients, args.paced_seconds, args.rounds, args.kills))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    cli()
