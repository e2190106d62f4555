"""Benchmark: RSVP taps through getUpdates, Muster against a bare PTB app, on the fake Bot API.

    python -m bench.rsvp            # or: make bench

Everything runs in this one process, on one event loop: the fake Bot API server, the real Muster
``Application`` (``bot.app.build_application``, long polling as ``python -m bot`` does, a fresh
SQLite database in a temp dir) and, for comparison, a bare PTB ``Application`` whose only handler
answers the query.

Before timing starts each volunteer has the RSVP card of one event (two shifts) in their chat, as
``/start e-<code>`` shows it, and every volunteer taps one shift once. In each event one shift has
room for everyone and the other was already full, and the taps alternate between them, so half
take the "going" path (answer, edit the card, confirmation, venue, .ics document) and half the
"waitlisted" one (answer, edit the card, waitlist place), over any stretch of taps.

For each app:

* throughput: all ``--taps`` queued at once; taps handled a second, from the first update being
  available to getUpdates until every handler has finished (confirmations included). A run that
  cannot finish within ``--window`` seconds is measured over the window: the taps answered by
  then, divided by the window; the rest are dropped from the application's queue unhandled, or,
  once PTB has taken them in to handle side by side (bot.updates), handled before the next run.
* latency: the time from the moment an update is made available to getUpdates until the fake
  server receives the answerCallbackQuery for it. With everything queued at once that is mostly
  time spent waiting in the queue (printed, marked so); the figures that count are taken under a
  steady load below saturation for ``--latency-seconds``, by default the scheduler's period, so
  that each steady run of Muster includes one pass of its scheduler job: evenly spaced taps, for
  Muster as shipped at 80% of the taps a second Telegram's budget allows (SEND_RATE divided by
  the messages each tap causes: the card edit and what it queues in the outbox; target p99 <=
  100 ms), otherwise at half the app's measured throughput (the bare app gets the same load as
  Muster as shipped).

Muster is measured as shipped, and again with its budget (bot/budget.py, which holds every
request naming a chat, i.e. edits and sends but not answers, to SEND_RATE a second overall)
lifted, to show what the code path itself costs. Human-readable lines first; the last
line is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import platform
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler

from bot import clock, keyboards, texts
from bot.app import build_application
from bot.callbacks import Rsvp
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.statuses import RsvpStatus
from bot.settings import Settings
from db import events, migrate
from db import rsvps as answers
from db.engine import create_engine
from db.schema import outbox, rsvps, volunteers
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.flows import agreed_to_notice

TAPS_PER_SHIFT = 100
FULL = 2  # places on the shift in each event that is full before the first tap
LATENCY_POOL = 1_000  # volunteers kept back for each steady-load run
# Muster's steady load: this share of the taps a second Telegram's budget allows.
BUDGET_SHARE = 0.8
JsonDict = dict[str, Any]


def _say(line: str) -> None:
    print(line, flush=True)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


class TimedFake(FakeTelegram):
    """The fake Bot API, noting when each callback query's answer reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.record_requests = False
        self.answered_at: dict[str, float] = {}
        self._pending: set[str] = set()
        self._all_answered = asyncio.Event()

    def expect(self, query_ids: set[str]) -> None:
        self._pending = set(query_ids) - self.answered_at.keys()
        if self._pending:
            self._all_answered.clear()
        else:
            self._all_answered.set()

    async def all_answered(self, within: float) -> bool:
        """Whether every expected query was answered within ``within`` seconds."""
        try:
            async with asyncio.timeout(within):
                await self._all_answered.wait()
        except TimeoutError:
            return False
        return True

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        received = time.perf_counter()
        result = await super()._answer_callback_query(params)
        query_id = str(params.get("callback_query_id"))
        self.answered_at[query_id] = received
        pending = self._pending
        if query_id in pending:
            pending.discard(query_id)
            if not pending:
                self._all_answered.set()
        return result

    async def show(self, chat_id: int, text: str, markup: JsonDict) -> SentMessage:
        """Put a bot message in the chat the way sendMessage does, minus HTTP (set-up only)."""
        await self._send_message(
            {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML, "reply_markup": markup}
        )
        return self.chat(chat_id).last


@dataclass
class Tapper:
    """A volunteer, as the fake knows them, and the RSVP card they were sent."""

    user: FakeUser
    card: SentMessage
    data: str  # the callback data of the shift they press


_query_ids = itertools.count(5_000_000_000_000_000_001)


def tap_update(fake: FakeTelegram, tapper: Tapper) -> JsonDict:
    """The callback_query update a Telegram client makes when the button is pressed (as
    FakeUser.press_data builds it, without queueing it)."""
    query_id = str(next(_query_ids))
    fake.register_callback(query_id, tapper.user)
    return {
        "callback_query": {
            "id": query_id,
            "from": tapper.user.json,
            "message": fake.message_json(tapper.card),
            "chat_instance": str(7_000_000_000_000 + tapper.user.id),
            "data": tapper.data,
        }
    }


@dataclass
class Result:
    offered: int
    requests: dict[str, int]  # Bot API requests made while the taps were handled, by method
    handled: int
    seconds: float  # first update available .. last handler finished (or the window's end)
    complete: bool
    answered: int  # including any answered after the window, before the rest was dropped
    latencies_ms: list[float] = field(default_factory=list)  # of the handled taps
    spans: list[tuple[float, float]] = field(default_factory=list)  # (offered, answered) each
    cpu_seconds: float = 0.0
    offered_times: list[float] = field(default_factory=list)  # of every tap, in tapper order

    @property
    def per_s(self) -> float:
        return self.handled / self.seconds

    def pct(self, p: float) -> float:
        return _pct(self.latencies_ms, p)

    def clear_of(self, runs: list[tuple[str, float, float]]) -> list[float]:
        """Latencies of the taps that were not waiting while a job ran."""
        return [
            latency
            for latency, (offered, answered) in zip(self.latencies_ms, self.spans, strict=True)
            if not any(start < answered and offered < end for _, start, end in runs)
        ]


def _pct(values: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)] if ordered else math.nan


async def _abandon(application: Application, ids: set[str]) -> int:
    """Drop the taps still waiting in the application's queue; returns how many."""
    queue = application.update_queue
    dropped = 0
    while True:
        while not queue.empty():
            update = queue.get_nowait()
            queue.task_done()
            if isinstance(update, Update) and update.callback_query:
                dropped += update.callback_query.id in ids
        await queue.join()  # the tap in hand
        await asyncio.sleep(0.2)  # anything the updater still had in flight
        if queue.empty():
            return dropped


async def run_taps(
    fake: TimedFake,
    application: Application,
    tappers: list[Tapper],
    rate: float | None,
    window: float,
) -> Result:
    """One tap per tapper: all at once (rate None) or ``rate`` a second, evenly spaced."""
    updates = [tap_update(fake, tapper) for tapper in tappers]
    ids = [u["callback_query"]["id"] for u in updates]
    fake.expect(set(ids))
    before = fake.method_counts.copy()
    offered: dict[str, float] = {}
    cpu = time.process_time()
    started = time.perf_counter()
    for n, (query_id, update) in enumerate(zip(ids, updates, strict=True)):
        if rate is not None:
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        offered[query_id] = time.perf_counter()
        fake.enqueue_raw(update)
    first = offered[ids[0]]
    remaining = window - (time.perf_counter() - first)
    complete = await fake.all_answered(within=max(remaining, 1.0))
    if complete:
        # Every update was fetched (all are answered): join() waits for the last handler.
        await application.update_queue.join()
        end = time.perf_counter()
    else:
        end = time.perf_counter()
        dropped = await _abandon(application, set(ids))
        assert sum(i in fake.answered_at for i in ids) + dropped == len(ids)
    done = [i for i in ids if i in fake.answered_at and fake.answered_at[i] <= end]
    requests = fake.method_counts - before
    requests.pop("getUpdates", None)
    return Result(
        offered=len(ids),
        requests=dict(requests),
        handled=len(done),
        seconds=end - first,
        complete=complete,
        answered=sum(i in fake.answered_at for i in ids),
        latencies_ms=[(fake.answered_at[i] - offered[i]) * 1000 for i in done],
        spans=[(offered[i], fake.answered_at[i]) for i in done],
        cpu_seconds=time.process_time() - cpu,
        offered_times=[offered[i] for i in ids],
    )


# --- Setting up --------------------------------------------------------------------------------


def _settings(fake: FakeTelegram, url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(fake.token),
        database_url=url,
        telegram_api_base_url=fake.base_url,
        telegram_api_base_file_url=fake.base_file_url,
    )


async def _events(engine: AsyncEngine, count: int) -> list[int]:
    """``count`` events in the coming weeks, each with a shift that has room for everyone and one
    already taken by FULL volunteers who answered before the benchmark."""
    base = clock.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    ids = []
    async with engine.begin() as conn:
        for n in range(count):
            day = base + timedelta(days=n % 20)
            draft = EventDraft(
                kind="canvass",
                title=f"Saturday doors {n + 1}",
                area="Peckham",
                address="Rye Lane Library, SE15 4QR",
                latitude=51.4693,
                longitude=-0.0692,
                shifts=(
                    ShiftDraft(day, day + timedelta(hours=3), capacity=10 * TAPS_PER_SHIFT),
                    ShiftDraft(day + timedelta(hours=4), day + timedelta(hours=7), capacity=FULL),
                ),
            )
            ids.append(await events.create_event(conn, draft, created_by=None, at=clock.now()))
    return ids


async def _sign_up(conn: AsyncConnection, telegram_ids: list[int]) -> dict[int, int]:
    """Volunteer rows as sign-up leaves them; {telegram id: volunteer id}."""
    await conn.execute(
        insert(volunteers),
        [
            {
                "telegram_id": telegram_id,
                "name": f"Vol{telegram_id}",
                "status": "active",
                "created_at": clock.now(),
                "signed_up_at": clock.now(),
            }
            for telegram_id in telegram_ids
        ],
    )
    rows = await conn.execute(
        select(volunteers.c.telegram_id, volunteers.c.id).where(
            volunteers.c.telegram_id.between(min(telegram_ids), max(telegram_ids))
        )
    )
    ids = {row.telegram_id: row.id for row in rows}
    await agreed_to_notice(conn, list(ids.values()))
    return ids


async def pool(
    fake: TimedFake, settings: Settings, engine: AsyncEngine, first_id: int, count: int
) -> list[Tapper]:
    """``count`` signed-up volunteers, each with the RSVP card of an event of their own pool in
    their chat and the shift they will press: half press the shift with room (going), half the
    full one (waitlisted), in turn, so the mix is the same over any stretch of taps."""
    people = [fake.user(first_id + n, first_name=f"Vol{first_id + n}") for n in range(count)]
    event_ids = await _events(engine, math.ceil(count / (2 * TAPS_PER_SHIFT)))
    earlier = list(range(first_id + count, first_id + count + FULL * len(event_ids)))
    zone = settings.zone
    cards: list[tuple[str, JsonDict, list[str]]] = []
    async with engine.begin() as conn:
        await _sign_up(conn, [person.id for person in people])
        ids = iter((await _sign_up(conn, earlier)).values())
        for event_id in event_ids:
            full = (await events.shifts_of(conn, event_id))[1]
            for _ in range(FULL):
                await answers.respond(
                    conn,
                    shift_id=full.id,
                    volunteer_id=next(ids),
                    answer=RsvpStatus.GOING,
                    at=clock.now(),
                )
            event = await events.by_id(conn, event_id)
            assert event is not None
            shown = await events.shifts_of(conn, event_id)
            cards.append(
                (
                    texts.rsvp_card(texts.EVENT_INTRO, event, shown, zone),
                    keyboards.rsvp(shown, event.id, zone).to_dict(),
                    [Rsvp(shift.id).pack() for shift in shown],
                )
            )
    tappers = []
    for n, person in enumerate(people):
        text, markup, presses = cards[(n // 2) % len(cards)]
        card = await fake.show(person.id, text, markup)
        tappers.append(Tapper(person, card, presses[n % 2]))
    return tappers


# --- The applications ---------------------------------------------------------------------------


def muster_app(settings: Settings, engine: AsyncEngine, *, lifted: bool) -> Application:
    if lifted:  # the budget without limits: same retries on 429, no pacing
        settings = settings.model_copy(
            update={"send_rate": 0, "send_per_chat_seconds": 0, "send_group_per_minute": 0}
        )
    return build_application(settings, engine, migrate_on_start=False)


def bare_app(fake: FakeTelegram) -> Application:
    async def answer(update: Update, _context: Any) -> None:
        assert update.callback_query
        await update.callback_query.answer()

    application = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    application.add_handler(CallbackQueryHandler(answer))
    return application


async def _start(application: Application) -> None:
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    assert application.updater is not None
    # As `python -m bot` polls (run_polling's defaults).
    await application.updater.start_polling(
        poll_interval=0, timeout=timedelta(seconds=10), allowed_updates=Update.ALL_TYPES
    )
    await application.start()


async def _stop(application: Application) -> None:
    assert application.updater is not None
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


@dataclass
class Measured:
    burst: Result
    steady: Result
    rate: float
    job_runs: list[tuple[str, float, float]]  # (job name, start, end) during the steady run

    @property
    def p99_clear(self) -> float:
        return _pct(self.steady.clear_of(self.job_runs), 99)


def _time_jobs(application: Application) -> list[tuple[str, float, float]]:
    """Note when each of the application's JobQueue jobs runs (Muster's scheduler, every
    SCHEDULE_POLL_SECONDS): taps that arrive meanwhile wait for its transactions."""
    runs: list[tuple[str, float, float]] = []
    if application.job_queue is None:
        return runs
    for job in application.job_queue.jobs():
        callback, name = job.callback, job.name or "job"

        async def timed(context: Any, callback: Any = callback, name: str = name) -> Any:
            start = time.perf_counter()
            try:
                return await callback(context)
            finally:
                runs.append((name, start, time.perf_counter()))

        job.callback = timed
    return runs


async def measure(
    name: str,
    fake: TimedFake,
    application: Application,
    burst_taps: list[Tapper],
    steady_taps: list[Tapper],
    *,
    window: float,
    latency_seconds: float,
    rate: float | None = None,
    budget: tuple[AsyncEngine, float] | None = None,
) -> Measured:
    """``budget``: the database and SEND_RATE, for a steady load at BUDGET_SHARE of the taps a
    second the budget allows (otherwise ``rate``, or half the measured throughput)."""
    await _start(application)
    runs = _time_jobs(application)
    try:
        queued = await _queued(budget[0]) if budget else 0
        burst = await run_taps(fake, application, burst_taps, None, window)
        how = (
            f"all {burst.handled:,} in {burst.seconds:.2f} s"
            if burst.complete
            else f"{burst.handled:,} of {burst.offered:,} answered in a {burst.seconds:.1f} s "
            "window, the rest dropped or finished before the next run"
        )
        _say(
            f"  {name}, {burst.offered:,} taps queued at once: {burst.per_s:,.1f} taps/s ({how}; "
            f"CPU {burst.cpu_seconds:.1f} s)"
        )
        answered = burst.answered or 1
        per_tap = ", ".join(
            f"{m} {n / answered:.2f}"
            for m, n in sorted(burst.requests.items())
            if n / answered > 0.005
        )
        total = sum(burst.requests.values()) / answered
        _say(f"    Bot API requests a tap: {total:.2f} ({per_tap})")
        _say(
            f"    latency with all queued (mostly queueing, not the figure that counts): "
            f"p50 {burst.pct(50):,.0f} ms, p99 {burst.pct(99):,.0f} ms"
        )
        offered = rate if rate is not None else round(burst.per_s / 2, 1)
        if budget is not None and budget[1] > 0:
            # Each tap's messages that count against the budget: the card edit, and what it
            # queued in the outbox (the taps' answers name no chat).
            per_tap = (
                burst.requests.get("editMessageText", 0) + await _queued(budget[0]) - queued
            ) / answered
            offered = round(BUDGET_SHARE * budget[1] / per_tap, 1)
            _say(
                f"    messages a tap: {per_tap:.2f}, so the budget ({budget[1]:g}/s) allows "
                f"{budget[1] / per_tap:.1f} taps/s; steady load at {BUDGET_SHARE:.0%} of that"
            )
        count = min(len(steady_taps), max(math.ceil(offered * latency_seconds), 1))
        runs.clear()
        steady = await run_taps(fake, application, steady_taps[:count], offered, 600.0)
        during = [run for run in runs if run[1] < steady.spans[-1][1]]
        measured = Measured(burst, steady, offered, during)
        _say(
            f"  {name}, steady load of {offered:,.1f} taps/s ({steady.handled:,} taps): "
            f"latency p50 {steady.pct(50):.1f} ms, p90 {steady.pct(90):.1f} ms, "
            f"p99 {steady.pct(99):.1f} ms, max {max(steady.latencies_ms):.1f} ms"
        )
        if during:
            jobs = ", ".join(f"{job} {(end - start) * 1000:,.0f} ms" for job, start, end in during)
            met = steady.handled - len(steady.clear_of(during))
            _say(
                f"    job runs meanwhile: {jobs}; {met} taps waited on one; p99 of the others "
                f"{measured.p99_clear:.1f} ms"
            )
    finally:
        await _stop(application)
    return measured


async def _queued(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(outbox)) or 0)


async def _stored(engine: AsyncEngine) -> Counter[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(rsvps.c.status, func.count()).group_by(rsvps.c.status))
        return Counter({status: int(n) for status, n in rows})


async def main(taps: int, window: float, latency_seconds: float, lifted: bool) -> JsonDict:
    _say(
        f"RSVP tap benchmark: {taps:,} taps, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {_load()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'muster.db'}"
        async with TimedFake() as fake:
            settings = _settings(fake, url)
            engine = create_engine(url)
            try:
                await migrate.upgrade(engine)
                began = time.perf_counter()
                ids = itertools.count(2_000_001, 2 * max(taps, LATENCY_POOL))
                shipped_taps = await pool(fake, settings, engine, next(ids), taps)
                shipped_steady = await pool(fake, settings, engine, next(ids), LATENCY_POOL)
                lifted_taps = await pool(fake, settings, engine, next(ids), taps) if lifted else []
                lifted_steady = (
                    await pool(fake, settings, engine, next(ids), LATENCY_POOL) if lifted else []
                )
                earlier = await _stored(engine)
                _say(
                    f"set-up: {len(fake.users):,} volunteers with an RSVP card each, "
                    f"{time.perf_counter() - began:.1f} s"
                )
                shipped = await measure(
                    "Muster as shipped",
                    fake,
                    muster_app(settings, engine, lifted=False),
                    shipped_taps,
                    shipped_steady,
                    window=window,
                    latency_seconds=latency_seconds,
                    budget=(engine, settings.send_rate),
                )
                handled = shipped.burst.answered + shipped.steady.answered
                unlimited = None
                if lifted:
                    unlimited = await measure(
                        "Muster, rate limiter lifted",
                        fake,
                        muster_app(settings, engine, lifted=True),
                        lifted_taps,
                        lifted_steady,
                        window=window,
                        latency_seconds=latency_seconds,
                    )
                    handled += unlimited.burst.answered + unlimited.steady.answered
                stored = await _stored(engine) - earlier
                assert stored.total() == handled, (stored, handled)
                _say(f"  answers stored by Muster's taps: {dict(stored)}")
                bare = await measure(
                    "bare PTB",
                    fake,
                    bare_app(fake),
                    shipped_taps,
                    shipped_steady,
                    window=window,
                    latency_seconds=latency_seconds,
                    rate=shipped.rate,
                )
            finally:
                await engine.dispose()
    ratio = shipped.burst.per_s / bare.burst.per_s
    _say(f"  ratio Muster / bare: {ratio:.3f} (target >= 0.7)")
    _say(
        f"  Muster p99 at a steady {shipped.rate:.1f} taps/s: {shipped.steady.pct(99):.1f} ms "
        "(target < 100)"
    )
    result: JsonDict = {
        "bench": "rsvp",
        "taps": taps,
        "taps_per_s": round(shipped.burst.per_s, 1),
        "taps_handled": shipped.burst.handled,
        "seconds": round(shipped.burst.seconds, 2),
        "bare_taps_per_s": round(bare.burst.per_s, 1),
        "ratio": round(ratio, 3),
        "latency_load": "steady",
        "offered_taps_per_s": shipped.rate,
        "latency_taps": shipped.steady.handled,
        "p50_ms": round(shipped.steady.pct(50), 1),
        "p99_ms": round(shipped.steady.pct(99), 1),
        "p99_ms_clear_of_jobs": round(shipped.p99_clear, 1),
        "job_runs_ms": [round((end - start) * 1000) for _, start, end in shipped.job_runs],
        "bare_p50_ms": round(bare.steady.pct(50), 1),
        "bare_p99_ms": round(bare.steady.pct(99), 1),
        "requests_per_tap": round(
            sum(shipped.burst.requests.values()) / max(shipped.burst.answered, 1), 2
        ),
        "all_queued_p50_ms": round(shipped.burst.pct(50), 1),
        "all_queued_p99_ms": round(shipped.burst.pct(99), 1),
        "stored": dict(stored),
    }
    if unlimited is not None:
        lifted_ratio = unlimited.burst.per_s / bare.burst.per_s
        _say(f"  ratio Muster with the limiter lifted / bare: {lifted_ratio:.3f}")
        result |= {
            "lifted_taps_per_s": round(unlimited.burst.per_s, 1),
            "lifted_taps_handled": unlimited.burst.handled,
            "lifted_ratio": round(lifted_ratio, 3),
            "lifted_offered_taps_per_s": unlimited.rate,
            "lifted_p50_ms": round(unlimited.steady.pct(50), 1),
            "lifted_p99_ms": round(unlimited.steady.pct(99), 1),
            "lifted_p99_ms_clear_of_jobs": round(unlimited.p99_clear, 1),
        }
    _say(f"load average at the end {_load()}")
    return result


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taps", type=int, default=5_000, help="taps queued at once")
    parser.add_argument(
        "--window", type=float, default=25.0, help="longest a throughput run may take, seconds"
    )
    parser.add_argument(
        "--latency-seconds",
        type=float,
        default=Settings.model_fields["schedule_poll_seconds"].default,
        help="length of each steady-load run (default: the scheduler's period)",
    )
    parser.add_argument(
        "--no-lifted", action="store_true", help="skip Muster with its rate limiter lifted"
    )
    args = parser.parse_args()
    result = asyncio.run(main(args.taps, args.window, args.latency_seconds, not args.no_lifted))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    cli()
