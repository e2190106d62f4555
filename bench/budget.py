"""Benchmark: Telegram's budget kept while a big shift call goes out and volunteers tap.

    python -m bench.budget            # or: make bench

One process, one event loop: the fake Bot API server and the real Muster ``Application``
(long polling, default settings: SEND_RATE 30, one a second per chat), a fresh SQLite database.
A shift call to ``--recipients`` volunteers is sent as /callout sends it; meanwhile ``--taps-per-s``
other volunteers a second tap a shift on their RSVP card for ``--seconds`` (half going, half
waitlisted, as in bench/rsvp.py). From the fake's own log of requests:

* requests naming a chat (sends and edits, the direct answers included), per sliding second: the
  busiest second (target <= 30);
* per chat, the least gap between two messages that are not a direct answer (sends: the call,
  confirmations, venues, calendar files): target >= 1 s, and how many gaps were shorter;
* tap answer latency (update available to getUpdates -> answerCallbackQuery at the fake):
  p50/p99 (target p99 <= 100 ms);
* a going tap's confirmation (update available -> the first message after it reaching that
  chat): p50/p99 (target p99 <= 3 s);
* how much of the call went out meanwhile.

Human-readable lines first; the last line is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import math
import os
import platform
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.rsvp import TimedFake, _load, _pct, _settings, _sign_up, _start, _stop, pool, run_taps
from bot import clock
from bot.app import build_application
from bot.domain.audience import Audience
from bot.domain.events import EventDraft, ShiftDraft
from bot.services import calls
from db import events, migrate
from db.engine import create_engine
from db.schema import volunteers

ORGANISER = 900_001
FIRST_RECIPIENT = 3_000_001
FIRST_TAPPER = 5_000_001
SENDS = ("sendmessage", "sendvenue", "senddocument")
JsonDict = dict[str, Any]


def _say(line: str) -> None:
    print(line, flush=True)


class LoggedFake(TimedFake):
    """The timed fake, keeping its log of requests (with arrival times) for the figures."""

    def __init__(self) -> None:
        super().__init__()
        self.record_requests = True


async def _launch_call(engine: Any, fake: LoggedFake, recipients: int, zone: Any) -> None:
    """A call to ``recipients`` volunteers of their own, as /callout's "Send now" makes it."""
    fake.user(ORGANISER, first_name="Olga")
    chats = list(range(FIRST_RECIPIENT, FIRST_RECIPIENT + recipients))
    for chat in chats:
        fake.user(chat, first_name=f"Vol{chat}")
    at = clock.now()
    day = at.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=6)
    async with engine.begin() as conn:
        await _sign_up(conn, chats)
        event_id = await events.create_event(
            conn,
            EventDraft(
                kind="canvass",
                title="Polling day knock-up",
                area="Camberwell",
                address="Camberwell Green",
                shifts=(ShiftDraft(day, day + timedelta(hours=3), capacity=recipients),),
            ),
            created_by=ORGANISER,
            at=at,
        )
        (shift,) = await events.shifts_of(conn, event_id)
        # Everyone not in a tapper's pool: the audience filter keeps the tappers out.
        await calls.send_now(
            conn,
            at,
            calls.NewCall(
                event_id,
                (shift.id,),
                Audience(only=frozenset(await _volunteer_ids(conn, chats))),
                None,
                ORGANISER,
                ORGANISER,
            ),
            rsvp_before=timedelta(hours=48),
            zone=zone,
        )


async def _volunteer_ids(conn: Any, chats: list[int]) -> list[int]:
    rows = await conn.execute(
        select(volunteers.c.id).where(volunteers.c.telegram_id.between(min(chats), max(chats)))
    )
    return [row.id for row in rows]


def _busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(
        (bisect.bisect_left(times, start + 1.0) - index for index, start in enumerate(times)),
        default=0,
    )


async def main(recipients: int, taps_per_s: float, seconds: float) -> JsonDict:
    _say(
        f"budget benchmark: a call to {recipients:,} at the default pace while {taps_per_s:g} "
        f"taps/s arrive for {seconds:g} s; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {_load()}"
    )
    taps = math.ceil(taps_per_s * seconds)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'muster.db'}"
        async with LoggedFake() as fake:
            settings = _settings(fake, url)
            engine = create_engine(url)
            try:
                await migrate.upgrade(engine)
                began = time.perf_counter()
                tappers = await pool(fake, settings, engine, FIRST_TAPPER, taps)
                application = build_application(settings, engine, migrate_on_start=False)
                await _start(application)
                try:
                    await _launch_call(engine, fake, recipients, settings.zone)
                    _say(f"set-up: {time.perf_counter() - began:.1f} s")
                    fake.requests.clear()
                    fake.request_times.clear()
                    application.bot_data["services"].wake_outbox()
                    await asyncio.sleep(2.0)  # the call under way before the first tap
                    tapped_at = time.perf_counter()
                    result = await run_taps(fake, application, tappers, taps_per_s, seconds + 30)
                    await asyncio.sleep(5.0)  # the last taps' confirmations
                finally:
                    await _stop(application)
            finally:
                await engine.dispose()
            timeline = fake.timeline()
    # The fake logs time.monotonic(), the taps time.perf_counter(): put both on one clock.
    skew = time.perf_counter() - time.monotonic()
    timeline = [(at + skew, method, params) for at, method, params in timeline]
    naming = [at for at, _, params in timeline if params.get("chat_id") is not None]
    busiest = _busiest_second(naming)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for at, method, params in timeline:
        if method.lower() in SENDS and params.get("chat_id") is not None:
            by_chat[int(params["chat_id"])].append(at)
    gaps = [b - a for times in by_chat.values() for a, b in itertools.pairwise(times)]
    short = sum(gap < 1.0 for gap in gaps)
    going = {tapper.user.id for n, tapper in enumerate(tappers) if n % 2 == 0}
    offered = {tapper.user.id: at for tapper, at in zip(tappers, result.offered_times, strict=True)}
    confirmations = [
        (by_chat[chat][0] - offered[chat]) * 1000
        for chat in going
        if chat in offered and by_chat.get(chat)
    ]
    call_sent = sum(1 for chat in by_chat if chat >= FIRST_RECIPIENT and chat < FIRST_TAPPER)
    _say(
        f"requests naming a chat: {len(naming):,}; busiest sliding second {busiest} (target <= 30)"
    )
    _say(
        f"per chat, gaps between sends: {len(gaps):,}, least {min(gaps, default=math.nan):.3f} s, "
        f"{short} under 1 s (target 0)"
    )
    _say(
        f"tap answers ({result.handled:,} of {result.offered:,}): p50 {result.pct(50):.1f} ms, "
        f"p99 {result.pct(99):.1f} ms (target <= 100)"
    )
    _say(
        f"going taps' confirmations ({len(confirmations):,} of {len(going):,}): "
        f"p50 {_pct(confirmations, 50):,.0f} ms, p99 {_pct(confirmations, 99):,.0f} ms "
        "(target <= 3,000)"
    )
    _say(
        f"the call meanwhile: {call_sent:,} of {recipients:,} sent in "
        f"{time.perf_counter() - tapped_at + 2:.0f} s"
    )
    _say(f"load average at the end {_load()}")
    return {
        "bench": "budget",
        "recipients": recipients,
        "taps_per_s": taps_per_s,
        "seconds": seconds,
        "busiest_second": busiest,
        "chat_gaps": len(gaps),
        "least_chat_gap_s": round(min(gaps, default=math.nan), 3),
        "chat_gaps_under_1s": short,
        "taps": result.offered,
        "taps_answered": result.handled,
        "answer_p50_ms": round(result.pct(50), 1),
        "answer_p99_ms": round(result.pct(99), 1),
        "confirmations": len(confirmations),
        "confirmation_p50_ms": round(_pct(confirmations, 50)),
        "confirmation_p99_ms": round(_pct(confirmations, 99)),
        "call_sent": call_sent,
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--taps-per-s", type=float, default=15.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    result = asyncio.run(main(args.recipients, args.taps_per_s, args.seconds))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    cli()
