"""Benchmark: /nearest and a 5 km call audience over 100,000 volunteers, on SQLite and PostgreSQL.

    python -m bench.nearest            # or: make bench
    python -m bench.nearest --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

For each engine (PostgreSQL when ``--postgres-url`` or TEST_POSTGRES_URL names a server; a
throwaway database is made on it and dropped afterwards), a fresh migrated database is filled in
bulk with ``--volunteers`` volunteers placed across Great Britain as sign-up would place them (at
the centre of a postcode sector from the packaged table, one in five at a shared location near
one), every one agreed to the privacy notice; ``--shifts`` shifts in the next 14 days, at events
spread the same way (one in four known only by the postcode in its address, the rest with a map
pin), most tied to one of ``--targets`` targets, with people already going to them.

Then, from volunteers picked at random (the same seeded picks on each engine):

(a) the service: ``bot.services.nearest.nearest`` with the volunteer loaded as the handler loads
    them, ``--calls`` times (target p99 <= 50 ms);
(b) the whole of /nearest through the fake Bot API: the real Application on long polling, the
    time from the volunteer sending /nearest until the answer has been sent, ``--calls`` times
    (Telegram's send budget lifted, as the answer is the only message and the pace is not what is
    measured);
(c) how many a 5 km call would reach (``bot.services.calls.live_count``, as /callout shows it)
    for events at random, ``--counts`` times (target p99 <= 200 ms).

Human-readable lines first; the last line is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import math
import os
import platform
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.audience import Audience
from bot.domain.statuses import RsvpStatus
from bot.services import calls, nearest
from bot.settings import Settings
from db import migrate
from db import volunteers as volunteer_rows
from db.engine import create_engine
from db.places import lookup
from db.schema import consents, events, rsvps, shifts, targets, volunteers
from tests.conftest import start_application, stop_application, throwaway_postgres
from tests.fake_telegram import FakeTelegram

FIRST = 3_000_001
TOKEN = "123456:bench"
BATCH = 10_000
JsonDict = dict[str, Any]
ZONE = ZoneInfo("Europe/London")


def _say(line: str) -> None:
    print(line, flush=True)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


def _sectors() -> list[tuple[str, float, float]]:
    """Every sector centre in the packaged table ("SE15 4", latitude, longitude): sectors are
    small where people are many, so a sector picked at random is a fair picture of where
    volunteers live."""
    raw = resources.files(lookup.__package__).joinpath(lookup.PACKAGED_TABLE).read_bytes()
    found = []
    for line in gzip.decompress(raw).decode("ascii").splitlines():
        key, lat, lon = line.split(",")
        if " " in key:
            found.append((key, float(lat), float(lon)))
    return found


async def _bulk(engine: AsyncEngine, table: Any, rows: list[JsonDict]) -> None:
    for start in range(0, len(rows), BATCH):
        async with engine.begin() as conn:
            await conn.execute(insert(table), rows[start : start + BATCH])


async def build(engine: AsyncEngine, sizes: argparse.Namespace, seed: int) -> list[int]:
    """The campaign, in bulk; returns the events' ids."""
    rng = random.Random(seed)
    sectors = _sectors()
    now = clock.now()

    people = []
    for n in range(sizes.volunteers):
        key, lat, lon = rng.choice(sectors)
        shared = rng.random() < 0.2
        people.append(
            {
                "telegram_id": FIRST + n,
                "name": f"Vol{n}",
                "postcode": None if shared else f"{key}AA"[:8],
                "latitude": lat + rng.uniform(-0.01, 0.01) if shared else lat,
                "longitude": lon + rng.uniform(-0.015, 0.015) if shared else lon,
                "location_source": "shared" if shared else "sector",
                "status": "active",
                "editing": False,
                "paused": False,
                "created_at": now,
                "signed_up_at": now,
            }
        )
    await _bulk(engine, volunteers, people)
    async with engine.connect() as conn:
        ids = list(await conn.scalars(select(volunteers.c.id).order_by(volunteers.c.id)))
    version = Settings.model_fields["privacy_notice_version"].default
    await _bulk(
        engine,
        consents,
        [
            {
                "volunteer_id": v,
                "purpose": "volunteering",
                "choice": True,
                "notice_version": version,
                "given_at": now,
            }
            for v in ids
        ],
    )

    await _bulk(
        engine,
        targets,
        [
            {
                "name": f"Target {n}",
                "kind": rng.choice(["seat", "ward", "division"]),
                "priority": rng.randint(1, 3),
                "why": "A marginal worth a push",
                "latitude": (place := rng.choice(sectors))[1],
                "longitude": place[2],
                "location_source": "sector",
                "postcode": f"{place[0]}AA"[:8],
                "helpers_wanted": rng.choice([None, rng.randint(10, 80)]),
                "created_at": now,
                "updated_at": now,
            }
            for n in range(sizes.targets)
        ],
    )
    async with engine.connect() as conn:
        target_ids = list(await conn.scalars(select(targets.c.id)))

    event_count = max(sizes.shifts // 3, 1)
    event_rows = []
    for n in range(event_count):
        key, lat, lon = rng.choice(sectors)
        pinned = rng.random() >= 0.25
        event_rows.append(
            {
                "code": f"b{n:07d}",
                "kind": "canvass",
                "title": f"Doors {n}",
                "area": f"Area {n % 50}",
                "address": f"Meeting point, {key}AA",
                "latitude": lat + rng.uniform(-0.01, 0.01) if pinned else None,
                "longitude": lon + rng.uniform(-0.015, 0.015) if pinned else None,
                "status": "active",
                "created_at": now,
                "target_id": rng.choice(target_ids) if rng.random() < 0.6 else None,
            }
        )
    await _bulk(engine, events, event_rows)
    async with engine.connect() as conn:
        event_ids = list(await conn.scalars(select(events.c.id).order_by(events.c.id)))
    base = now.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    shift_rows = []
    for n in range(sizes.shifts):
        starts = base + timedelta(days=rng.randrange(13), hours=rng.choice([0, 1, 4, 5, 9]))
        shift_rows.append(
            {
                "event_id": event_ids[n % len(event_ids)],
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=3),
                "capacity": rng.randint(5, 30),
                "status": "active",
            }
        )
    await _bulk(engine, shifts, shift_rows)
    async with engine.connect() as conn:
        shift_caps = (await conn.execute(select(shifts.c.id, shifts.c.capacity))).all()
    answers = []
    for shift_id, capacity in shift_caps:
        for volunteer_id in rng.sample(ids, rng.randint(0, capacity)):
            answers.append(
                {
                    "shift_id": shift_id,
                    "volunteer_id": volunteer_id,
                    "status": RsvpStatus.GOING,
                    "responded_at": now,
                }
            )
    await _bulk(engine, rsvps, answers)
    _say(
        f"  built: {len(ids):,} volunteers, {len(target_ids)} targets, {len(event_ids)} events, "
        f"{len(shift_caps):,} shifts, {len(answers):,} going"
    )
    return event_ids


async def _timed(runs: int, step: Callable[[int], Awaitable[None]]) -> list[float]:
    """Milliseconds for each of ``runs`` calls to ``step``, after a few unmeasured warm-ups."""
    for n in range(3):
        await step(n)
    times = []
    for n in range(runs):
        began = time.perf_counter()
        await step(n)
        times.append((time.perf_counter() - began) * 1000)
    return times


def _figures(name: str, times: list[float], target: float | None) -> JsonDict:
    p50, p99 = _pct(times, 50), _pct(times, 99)
    verdict = "" if target is None else (" (ok)" if p99 <= target else f" (over {target:g} ms)")
    _say(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(times):.1f} ms{verdict}")
    return {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "max_ms": round(max(times), 2)}


async def measure(
    engine: AsyncEngine, url: str, sizes: argparse.Namespace, event_ids: list[int], seed: int
) -> JsonDict:
    rng = random.Random(seed + 1)
    picks = [FIRST + rng.randrange(sizes.volunteers) for _ in range(sizes.calls + 3)]
    at = clock.now()
    shown: list[int] = []

    async def service(n: int) -> None:
        async with engine.connect() as conn:
            volunteer = await volunteer_rows.by_telegram_id(conn, picks[n])
            assert volunteer is not None
            origin = nearest.place_of(volunteer)
            assert origin is not None
            found = await nearest.nearest(
                conn, at, origin=origin, volunteer_id=volunteer.id, zone=ZONE
            )
        shown.append(len(found.suggestions))

    service_times = await _timed(sizes.calls, service)
    result: JsonDict = {
        "service": _figures("/nearest, the service", service_times, 50),
        "sessions_shown_mean": round(sum(shown) / len(shown), 2),
    }
    _say(
        f"    sessions shown a call: {result['sessions_shown_mean']} on average; nothing near "
        f"for {sum(1 for s in shown if not s)} of {len(shown)}"
    )

    async with FakeTelegram(token=TOKEN) as fake:
        fake.record_requests = False
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=SecretStr(fake.token),
            database_url=url,
            telegram_api_base_url=fake.base_url,
            telegram_api_base_file_url=fake.base_file_url,
            schedule_poll_seconds=24 * 3600,
            send_rate=0,
            send_per_chat_seconds=0,
            send_group_per_minute=0,
        )
        application = await start_application(fake, settings, engine, [])
        try:
            users = [fake.user(telegram_id) for telegram_id in picks]

            async def whole(n: int) -> None:
                await users[n].send("/nearest")
                answer = users[n].last.text or ""
                assert answer.startswith(("Where you're needed", "Nothing in the next")), answer

            handler_times = await _timed(sizes.calls, whole)
        finally:
            await stop_application(application)
    result["handler"] = _figures("/nearest, the whole handler through the fake", handler_times, 50)

    async def count(n: int) -> None:
        async with engine.connect() as conn:
            calling = await calls.event_to_call(conn, at, event_ids[n % len(event_ids)])
            await calls.live_count(
                conn,
                at,
                event_id=calling.event.id,
                shift_ids=[s.id for s in calling.shifts],
                filters=Audience(within_km=5),
                zone=ZONE,
            )

    rng.shuffle(event_ids)
    count_times = await _timed(sizes.counts, count)
    result["audience_5km"] = _figures("5 km audience count", count_times, 200)
    return result


@contextlib.asynccontextmanager
async def _database(engine_name: str, folder: Path, postgres_url: str | None) -> AsyncIterator[str]:
    if engine_name == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'muster.db'}"
        return
    assert postgres_url is not None
    async with throwaway_postgres(postgres_url) as url:
        yield url


async def main(sizes: argparse.Namespace) -> JsonDict:
    _say(
        f"/nearest benchmark: {sizes.volunteers:,} volunteers, {sizes.shifts:,} shifts, "
        f"{sizes.calls} calls, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {_load()}"
    )
    postgres_url = sizes.postgres_url or os.environ.get("TEST_POSTGRES_URL")
    engines = ["sqlite", "postgresql"] if postgres_url else ["sqlite"]
    if not postgres_url:
        _say("PostgreSQL: skipped (give --postgres-url or set TEST_POSTGRES_URL)")
    result: JsonDict = {
        "benchmark": "nearest",
        "volunteers": sizes.volunteers,
        "shifts": sizes.shifts,
        "calls": sizes.calls,
        "load_average": _load(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in engines:
            _say(f"{name}:")
            async with _database(name, Path(tmp), postgres_url) as url:
                engine = create_engine(url)
                try:
                    await migrate.upgrade(engine)
                    began = time.perf_counter()
                    event_ids = await build(engine, sizes, seed=sizes.seed)
                    if name == "postgresql":
                        # What autovacuum does soon after a load this size; without statistics
                        # the planner guesses, badly, for every table just filled.
                        async with engine.connect() as conn:
                            await conn.execute(text("COMMIT"))
                            await conn.execute(text("ANALYZE"))
                    _say(f"  set-up: {time.perf_counter() - began:.1f} s")
                    result[name] = await measure(engine, url, sizes, event_ids, sizes.seed)
                finally:
                    await engine.dispose()
    targets_met = all(
        result[name]["service"]["p99_ms"] <= 50
        and result[name]["handler"]["p99_ms"] <= 50
        and result[name]["audience_5km"]["p99_ms"] <= 200
        for name in engines
    )
    result["targets_met"] = targets_met
    _say(f"targets (p99: /nearest <= 50 ms, 5 km count <= 200 ms) met: {targets_met}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--shifts", type=int, default=2_000)
    parser.add_argument("--targets", type=int, default=150)
    parser.add_argument("--calls", type=int, default=200, help="/nearest calls measured")
    parser.add_argument("--counts", type=int, default=50, help="5 km audience counts measured")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres-url", default=None)
    result = asyncio.run(main(parser.parse_args()))
    print(json.dumps(result), flush=True)
