"""Benchmark: Muster's queries on a campaign's worth of data, on SQLite and PostgreSQL.

    python -m bench.scale           # or: make bench
    python -m bench.scale --volunteers 10000 --events 100 --rsvps 100000   # a quick look
    python -m bench.scale --data /tmp/scale --only export,audience   # build once, time a part

With ``--data DIR`` the built data is kept (a SQLite file in DIR and a PostgreSQL database named
after the sizes and seed, with what was built described in DIR) and later runs with the same sizes
time a fresh copy of it instead of building again, so a change can be timed before and after on
the same data; drop the database and DIR when done. ``--only`` times some parts: any of
``reports``, ``export``, ``roster``, ``sent``, ``audience``, ``enqueue``, ``scheduler``, ``rss``.

Builds, in a temporary SQLite file and in a throwaway PostgreSQL database (on the server named by
``--postgres-url``, by default $BENCH_POSTGRES_URL or $TEST_POSTGRES_URL; skipped without one),
100,000 volunteers, 1,000 events with 2,000 shifts over the past eleven months and the coming
five weeks, and 1,000,000 answers (500 a shift; a few volunteers answer often, most rarely, as in
a real campaign), with check-ins, walk-ins, running late, corrections and doors for the shifts
that are over, and an earlier call for the event called below. Rows go in with ``executemany``
(SQLite) or ``COPY`` (PostgreSQL) in big batches, the rsvps with the totals' triggers off and
counted once afterwards, as migration 0012 does. Nothing is kept afterwards.

Then it times, as the handlers call them (each the median of ``--repeat`` runs, in ms):

* every report command over the last 30 days and over 366 days (all of it): /summary,
  /turnout, /chart, /leaderboard and /export (with the volunteers file an admin gets), target
  <= 100 ms each, export <= 2 s; /roster (every event not ended over a day ago) and the reports
  the scheduler sends (turnout, final, forecast, digest), and the earlier call's chaser and close
  report;
* how many a shift call reaches (``bot.services.calls.live_count``) with each audience filter of
  /callout, target <= 200 ms;
* queueing a call to everyone (``bot.services.calls.send_now``, rolled back), target <= 1 s;
* one scheduler pass (``schedules.work.run_due``): the first after loading plans every shift's
  work; the next is the steady state, target <= 200 ms;
* the bot's memory: ``python -m bot`` started in a subprocess against the fake Bot API and this
  database, its resident set size (VmRSS) after answering an admin's /summary and after /export,
  and its peak over the whole run (VmHWM once /export is sent), target <= 150 MB: the bot must
  stay within it throughout, not only when idle after a light report.

Human-readable lines first; the last line is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.context import MusterContext
from bot.domain import reports
from bot.domain.audience import Audience
from bot.domain.permissions import Access
from bot.domain.planning import Kind
from bot.domain.signup import ACTIVITIES, AVAILABILITY
from bot.services import actors, calls
from bot.services import reports as svc
from bot.services import rsvps as rsvp_service
from bot.services import work as due_work
from bot.settings import Settings
from db import migrate, totals
from db.engine import Database, create_engine, normalise_url
from db.schema import (
    callouts,
    events,
    rsvps,
    shifts,
    volunteers,
)
from db.work import Work
from schedules.work import run_due
from tests.conftest import throwaway_postgres
from tests.fake_telegram import FakeTelegram

TOKEN = "123456:scale"
ADMIN = 7_000_001
ZONE = ZoneInfo("Europe/London")
AREAS = 20
# Where the areas are: London, roughly.
SOUTH, NORTH, WEST, EAST = 51.35, 51.65, -0.45, 0.20
PAST_DAYS, AHEAD_DAYS = 330, 35
TARGETS = {
    "report_ms": 100,
    "export_ms": 2000,
    "audience_ms": 200,
    "enqueue_ms": 1000,
    "scheduler_ms": 200,
    "rss_mb": 150,
}
# What can be timed alone (--only); "reports" includes "export".
PARTS = ("reports", "export", "roster", "sent", "audience", "enqueue", "scheduler", "rss")
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    volunteers: int
    events: int
    rsvps: int

    @property
    def shifts(self) -> int:
        return self.events * 2


@dataclass(frozen=True)
class World:
    at: datetime
    called_event: int
    called_shifts: tuple[int, int]
    past_shift: int


# --- Building the data ---------------------------------------------------------------------------


def _stored(value: object, dialect: str) -> object:
    """A value as the driver takes it in bulk: SQLite gets what SQLAlchemy would have stored."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if dialect == "sqlite":
        if isinstance(value, datetime):
            return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"
        if isinstance(value, bool):
            return int(value)
    return value


async def _load(
    conn: AsyncConnection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    dialect = conn.dialect.name
    for first in range(0, len(rows), 100_000):
        batch = rows[first : first + 100_000]
        if dialect == "postgresql":
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.copy_records_to_table(
                table,
                records=[tuple(_stored(v, dialect) for v in row) for row in batch],
                columns=list(columns),
            )
        else:
            marks = ", ".join("?" for _ in columns)
            await conn.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(_stored(v, dialect) for v in row) for row in batch],
            )


async def build(engine: AsyncEngine, sizes: Sizes, seed: int) -> World:
    rng = random.Random(seed)
    at = clock.now().replace(second=0, microsecond=0)
    version = Settings.model_fields["privacy_notice_version"].default
    centres = [(rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST)) for _ in range(AREAS)]
    slots, acts = list(AVAILABILITY), list(ACTIVITIES)

    people, agreed, phone_ok, free, likes = [], [], [], [], []
    for v in range(1, sizes.volunteers + 1):
        lat, lon = rng.choice(centres)
        joined = at - timedelta(days=rng.uniform(1, 365))
        people.append(
            (
                v,
                100_000_000 + v,
                f"Volunteer {v}",
                "SE15 4AA",
                lat + rng.gauss(0, 0.05),
                lon + rng.gauss(0, 0.08),
                "sector",
                f"07700 9{v % 100_000:05d}",
                "active",
                False,
                rng.random() < 0.03,
                joined,
                joined,
                at - timedelta(days=rng.uniform(0, 90)),
                at - timedelta(days=1) if rng.random() < 0.02 else None,
                rng.random() < 0.3,
            )
        )
        agreed.append((v, "volunteering", True, version, joined))
        if rng.random() < 0.4:
            phone_ok.append((v, "phone", rng.random() < 0.8, version, joined))
        free += [(v, s) for s in rng.sample(slots, rng.randint(1, 3))]
        likes += [(v, a) for a in rng.sample(acts, rng.randint(1, 3))]

    event_rows, shift_rows, shift_times = [], [], []
    for e in range(1, sizes.events + 1):
        area = rng.randrange(AREAS)
        lat, lon = centres[area]
        # The first event is the one called below: the day after tomorrow, two shifts.
        day = (
            at + timedelta(days=3)
            if e == 1
            else at + timedelta(days=rng.uniform(-PAST_DAYS, AHEAD_DAYS))
        )
        start = day.replace(hour=10, minute=0)
        cancelled = e != 1 and rng.random() < 0.01
        event_rows.append(
            (
                e,
                f"bench{e:010d}",
                "canvass",
                f"Canvass {e} in Ward {area}",
                f"Ward {area}",
                "1 High Street",
                lat + rng.gauss(0, 0.02),
                lon + rng.gauss(0, 0.03),
                "cancelled" if cancelled else "active",
                at - timedelta(days=400),
            )
        )
        for n, (begin, hours) in enumerate(((start, 3), (start + timedelta(hours=4), 3))):
            shift_id = 2 * e - 1 + n
            shift_rows.append((shift_id, e, begin, begin + timedelta(hours=hours), 600, "active"))
            shift_times.append((shift_id, begin, begin + timedelta(hours=hours)))

    # A few volunteers answer often, most rarely: weights falling with a random rank.
    ranks = list(range(1, sizes.volunteers + 1))
    rng.shuffle(ranks)
    cumulative, total = [], 0.0
    for rank in ranks:
        total += rank**-0.8
        cumulative.append(total)
    per_shift = sizes.rsvps // sizes.shifts
    answers = []
    for shift_id, begin, end in shift_times:
        chosen: set[int] = set()
        while len(chosen) < per_shift:
            chosen.update(
                rng.choices(range(1, sizes.volunteers + 1), cum_weights=cumulative, k=per_shift)
            )
        over = end <= at
        for v in list(chosen)[:per_shift]:
            said = rng.random()
            status = "going" if said < 0.72 else "maybe" if said < 0.82 else "cant"
            answered = begin - timedelta(days=rng.uniform(1, 10))
            checked = late = attendance = doors = None
            walk_in = False
            if over:
                if status != "going" and rng.random() < 0.04:
                    status, walk_in = "going", True
                if status == "going":
                    if rng.random() < 0.06:
                        late = begin - timedelta(minutes=5)
                    if walk_in or rng.random() < 0.78:
                        checked = begin + timedelta(minutes=rng.uniform(-10, 20))
                        if rng.random() < 0.8:
                            doors = rng.randint(5, 120)
                    fix = rng.random()
                    if fix < 0.01:
                        attendance = "no_show" if checked else "present"
            answers.append(
                (shift_id, v, status, answered, checked, late, walk_in, attendance, doors)
            )

    called = 1  # the earlier call for the first event, to those not answered
    call_row = (
        called,
        1,
        [1, 2],
        {},
        ADMIN,
        at - timedelta(days=2),
        at - timedelta(days=2),
        at + timedelta(days=1),
        "done",
        sizes.volunteers // 2,
        at - timedelta(days=2),
    )
    sent = [
        (
            called,
            v,
            100_000_000 + v,
            "callout",
            {"text": "Canvass"},
            "sent",
            1,
            at - timedelta(days=2),
            at - timedelta(days=2),
            v,
            at - timedelta(days=2),
        )
        for v in range(1, sizes.volunteers // 2 + 1)
    ]

    async with engine.begin() as conn:
        dialect = conn.dialect
        await _load(
            conn,
            "volunteers",
            (
                "id",
                "telegram_id",
                "name",
                "postcode",
                "latitude",
                "longitude",
                "location_source",
                "phone",
                "status",
                "editing",
                "paused",
                "created_at",
                "signed_up_at",
                "last_contact_at",
                "unreachable_at",
                "on_leaderboard",
            ),
            people,
        )
        consent_columns = ("volunteer_id", "purpose", "choice", "notice_version", "given_at")
        await _load(conn, "consents", consent_columns, agreed + phone_ok)
        await _load(conn, "volunteer_availability", ("volunteer_id", "slot"), free)
        await _load(conn, "volunteer_activities", ("volunteer_id", "activity"), likes)
        await _load(
            conn,
            "events",
            (
                "id",
                "code",
                "kind",
                "title",
                "area",
                "address",
                "latitude",
                "longitude",
                "status",
                "created_at",
            ),
            event_rows,
        )
        await _load(
            conn,
            "shifts",
            ("id", "event_id", "starts_at", "ends_at", "capacity", "status"),
            shift_rows,
        )
        for statement in totals.drop_triggers(dialect):
            await conn.exec_driver_sql(statement)
        await _load(
            conn,
            "rsvps",
            (
                "shift_id",
                "volunteer_id",
                "status",
                "responded_at",
                "checked_in_at",
                "running_late_at",
                "walk_in",
                "attendance",
                "doors",
            ),
            answers,
        )
        for statement in totals.recount():
            await conn.execute(statement)
        for statement in totals.create_triggers(dialect):
            await conn.exec_driver_sql(statement)
        await _load(
            conn,
            "callouts",
            (
                "id",
                "event_id",
                "shift_ids",
                "audience",
                "created_by",
                "created_at",
                "send_at",
                "rsvp_deadline",
                "status",
                "recipients",
                "finished_at",
            ),
            [call_row],
        )
        await _load(
            conn,
            "outbox",
            (
                "callout_id",
                "volunteer_id",
                "chat_id",
                "kind",
                "payload",
                "status",
                "attempts",
                "next_attempt_at",
                "sent_at",
                "message_id",
                "created_at",
            ),
            sent,
        )
        if dialect.name == "postgresql":
            for table in (volunteers, events, shifts, callouts):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        # What autovacuum would have done by now on a live server.
        async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))
    past = max((s for s in shift_times if s[2] <= at), key=lambda s: s[2])[0]
    return World(at, 1, (1, 2), past)


# --- Timing --------------------------------------------------------------------------------------


async def _ms(work: Callable[[], Awaitable[object]], repeat: int) -> float:
    took = []
    for _ in range(repeat):
        began = time.perf_counter()
        await work()
        took.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(took), 1)


def _settings(database_url: str, **more: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TOKEN),
        database_url=database_url,
        admin_ids=frozenset({ADMIN}),
        **more,
    )


async def _report_times(
    db: Database,
    at: datetime,
    request: reports.Request,
    admin: Access,
    repeat: int,
    parts: frozenset[str],
) -> dict[str, float]:
    """Each report command's service call, as its handler makes it (an admin asking)."""

    async def reading(report: Callable[[AsyncConnection], Awaitable[object]]) -> None:
        async with db.connect() as conn:
            await report(conn)

    async def exporting() -> None:
        async with db.begin() as conn:
            found = await svc.export(conn, at, ZONE, request, admin)
        if isinstance(found, svc.Export) and found.people is not None:
            found.people.file.close()

    timed = {
        "summary": lambda: reading(lambda c: svc.summary(c, at, ZONE, request, None)),
        "turnout": lambda: reading(
            lambda c: svc.turnout(c, at, ZONE, request, None, period_given=True)
        ),
        "chart": lambda: reading(lambda c: svc.chart(c, at, ZONE, request, None)),
        "leaderboard": lambda: reading(lambda c: svc.leaderboard(c, at, ZONE, request, None)),
        "export": exporting,
    }
    if "reports" not in parts:
        timed = {name: work for name, work in timed.items() if name in parts}
    return {name: await _ms(work, repeat) for name, work in timed.items()}


async def measure(
    engine: AsyncEngine,
    url: str,
    world: World,
    repeat: int,
    leave_out: frozenset[str],
    parts: frozenset[str] = frozenset(PARTS),
) -> JsonDict:
    db = Database(engine)
    at = world.at
    today = at.astimezone(ZONE).date()
    async with db.connect() as conn:
        admin = await actors.access(conn, frozenset({ADMIN}), ADMIN)
    figures: JsonDict = {"reports": {}, "audience": {}}

    for label, typed in (("30 days", "30d"), ("all", "366d")):
        if parts.isdisjoint({"reports", "export"}):
            break
        request = reports.parse_request(typed, today)
        figures["reports"][label] = await _report_times(db, at, request, admin, repeat, parts)
        print(f"  reports over {label}: {figures['reports'][label]}", flush=True)

    async def roster() -> None:
        async with db.connect() as conn:
            await rsvp_service.roster(conn, at, None)

    settings = _settings(url)
    past = world.past_shift
    async with db.connect() as conn:
        (ended,) = (
            await conn.execute(
                select(shifts.c.starts_at, shifts.c.ends_at).where(shifts.c.id == past)
            )
        ).all()
        first_call = await conn.scalar(select(shifts.c.starts_at).where(shifts.c.id == 1))
        call = (
            await conn.execute(
                select(callouts.c.id, callouts.c.rsvp_deadline).where(
                    callouts.c.event_id == world.called_event
                )
            )
        ).one()
    assert first_call is not None
    sent_reports = {
        "turnout report": (Kind.TURNOUT, past, "", ended.starts_at + timedelta(minutes=30)),
        "final report": (Kind.FINAL, past, "", ended.ends_at + timedelta(minutes=30)),
        "forecast": (Kind.FORECAST, 1, "", first_call - timedelta(hours=48)),
        "digest": (Kind.DIGEST, None, today.isoformat(), at),
        # The earlier call's nudge to those who have not answered, and its report at the deadline.
        "chaser": (Kind.CHASER, None, "", at, call.id),
        "close report": (Kind.CLOSE, None, "", call.rsvp_deadline, call.id),
    }

    def scheduled(
        kind: Kind, shift_id: int | None, detail: str, when: datetime, call_id: int | None = None
    ):
        async def run() -> None:
            async with engine.connect() as conn, conn.begin() as tx:
                await due_work.run(
                    conn,
                    when,
                    settings,
                    Work(0, kind, shift_id, call_id, detail, when),
                    bot_username="muster_bot",
                )
                await tx.rollback()

        return run

    if "roster" in parts:
        figures["reports"]["roster"] = await _ms(roster, repeat)
    if "sent" in parts:
        for name, item in sent_reports.items():
            figures["reports"][name] = await _ms(scheduled(*item), repeat)
    shown = {k: figures["reports"][k] for k in ("roster", *sent_reports) if k in figures["reports"]}
    if shown:
        print(f"  roster and sent reports: {shown}", flush=True)

    filters = {
        "everyone": Audience(),
        **{f"within {km} km": Audience(within_km=km) for km in (2, 5, 10, 25)},
        "free then": Audience(fits_availability=True),
        "likes doors": Audience(activities=frozenset({"doors"})),
        "came to the area": Audience(came_to_area=True),
        "didn't answer": Audience(not_answered_earlier=True),
        "5 km, free, doors": Audience(
            within_km=5, fits_availability=True, activities=frozenset({"doors"})
        ),
    }
    reached: dict[str, int] = {}
    for name, chosen in filters.items():
        if name in leave_out or "audience" not in parts:
            continue

        async def count(chosen: Audience = chosen, name: str = name) -> None:
            async with db.connect() as conn:
                found = await calls.live_count(
                    conn,
                    at,
                    event_id=world.called_event,
                    shift_ids=world.called_shifts,
                    filters=chosen,
                    zone=ZONE,
                )
            reached[name] = found.reaches or 0

        figures["audience"][name] = await _ms(count, repeat)
    figures["reached"] = reached
    if "audience" in parts:
        print(f"  audience counts: {figures['audience']}", flush=True)
        print(f"  (reaching: {reached})", flush=True)

    queued: list[int] = []

    async def enqueue() -> None:
        async with engine.connect() as conn, conn.begin() as tx:
            queued.append(
                await calls.send_now(
                    conn,
                    at,
                    calls.NewCall(
                        world.called_event, world.called_shifts, Audience(), None, ADMIN, ADMIN
                    ),
                    rsvp_before=timedelta(hours=48),
                    zone=ZONE,
                )
            )
            await tx.rollback()

    if "enqueue" in parts:
        figures["enqueue_ms"] = await _ms(enqueue, 1)
        figures["enqueued"] = queued[-1]
        print(f"  enqueue a call to {queued[-1]:,}: {figures['enqueue_ms']} ms", flush=True)

    # What schedules.work.run_due reads of the application's context, and no more.
    context = cast(
        MusterContext,
        SimpleNamespace(
            settings=settings,
            db=db,
            wake_outbox=lambda: None,
            bot=SimpleNamespace(username="muster_bot"),
        ),
    )
    if "scheduler" in parts:
        figures["scheduler_first_ms"] = await _ms(lambda: run_due(context), 1)
        figures["scheduler_ms"] = await _ms(lambda: run_due(context), repeat)
        print(
            f"  scheduler pass: first {figures['scheduler_first_ms']} ms, "
            f"then {figures['scheduler_ms']} ms",
            flush=True,
        )
    if "rss" in parts:
        figures["rss"] = await bot_memory(url)
        after = ", ".join(
            f"after /{command} {found['rss_mb']} MB" for command, found in figures["rss"].items()
        )
        print(
            f"  bot RSS: {after}; peak {_peak_mb(figures['rss'])} MB "
            f"(target {TARGETS['rss_mb']} MB)",
            flush=True,
        )
    return figures


# --- The bot's memory ----------------------------------------------------------------------------


def _rss_mb(pid: int) -> tuple[float, float]:
    """Resident set size now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


async def bot_memory(url: str) -> JsonDict:
    """Start ``python -m bot`` on this database against the fake Bot API; its RSS after an
    admin's /summary over everything, and after /export."""
    found: JsonDict = {}
    async with FakeTelegram(token=TOKEN) as fake:
        admin = fake.user(ADMIN, "Ada")
        with tempfile.TemporaryDirectory() as home:
            env = {
                **os.environ,
                "MUSTER_HOME": home,
                "BOT_TOKEN": TOKEN,
                "DATABASE_URL": url,
                "ADMIN_IDS": str(ADMIN),
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "TELEGRAM_API_BASE_FILE_URL": fake.base_file_url,
                "LOG_LEVEL": "WARNING",
            }
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                for command in ("/summary 366d", "/export 366d"):
                    before = len(fake.transcript(ADMIN))
                    await admin.send(command)
                    deadline = time.monotonic() + 120
                    while len(fake.transcript(ADMIN)) <= before + (command == "/export 366d"):
                        if time.monotonic() > deadline or child.returncode is not None:
                            raise RuntimeError(f"the bot did not answer {command}")
                        await asyncio.sleep(0.1)
                    await asyncio.sleep(0.5)
                    now, peak = _rss_mb(child.pid)
                    found[command.split()[0][1:]] = {"rss_mb": now, "peak_mb": peak}
            finally:
                child.terminate()
                await child.wait()
    return found


# --- Running it ----------------------------------------------------------------------------------


async def _build_into(name: str, url: str, sizes: Sizes, seed: int) -> tuple[World, float]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        began = time.perf_counter()
        world = await build(engine, sizes, seed)
        built = round(time.perf_counter() - began, 1)
        async with engine.connect() as conn:
            counted = await conn.scalar(select(func.count()).select_from(rsvps))
        print(f"{name}: built {counted:,} answers in {built} s", flush=True)
        return world, built
    finally:
        await engine.dispose()


def _described(world: World) -> str:
    return json.dumps({**world.__dict__, "at": world.at.isoformat()})


def _world(described: str) -> World:
    found = json.loads(described)
    return World(
        datetime.fromisoformat(found["at"]),
        found["called_event"],
        tuple(found["called_shifts"]),  # type: ignore[arg-type]
        found["past_shift"],
    )


async def run_on(
    name: str, url: str, world: World, built: float | None, args: argparse.Namespace
) -> JsonDict:
    engine = create_engine(url)
    try:
        # Kept data built before a migration was added gets it here.
        await migrate.upgrade(engine)
        left_out = frozenset(args.leave_out)
        parts = frozenset(args.only.split(",")) if args.only else frozenset(PARTS)
        measured = await measure(engine, url, world, args.repeat, left_out, parts)
        return {"built_s": built, **measured}
    finally:
        await engine.dispose()


async def _on_sqlite(sizes: Sizes, args: argparse.Namespace) -> JsonDict:
    with tempfile.TemporaryDirectory() as folder:
        working = Path(folder) / "muster.db"
        url = f"sqlite+aiosqlite:///{working}"
        if args.data is None:
            world, built = await _build_into("SQLite", url, sizes, args.seed)
            return await run_on("SQLite", url, world, built, args)
        kept = args.data / f"sqlite-{_key(sizes, args.seed)}.db"
        described = kept.with_suffix(".json")
        built = None
        if not described.exists():
            kept.unlink(missing_ok=True)
            world, built = await _build_into(
                "SQLite", f"sqlite+aiosqlite:///{kept}", sizes, args.seed
            )
            described.write_text(_described(world))
        else:
            print(f"SQLite: a copy of {kept}", flush=True)
        _copy_sqlite(kept, working)
        return await run_on("SQLite", url, _world(described.read_text()), built, args)


def _copy_sqlite(kept: Path, working: Path) -> None:
    # The file and its write-ahead log, if the last to close it did not fold that in.
    for suffix in ("", "-wal"):
        if Path(f"{kept}{suffix}").exists():
            shutil.copyfile(f"{kept}{suffix}", f"{working}{suffix}")


async def _on_postgresql(sizes: Sizes, args: argparse.Namespace) -> JsonDict:
    if args.data is None:
        async with throwaway_postgres(args.postgres_url) as url:
            world, built = await _build_into("PostgreSQL", url, sizes, args.seed)
            return await run_on("PostgreSQL", url, world, built, args)
    kept = f"muster_scale_{_key(sizes, args.seed)}"
    described = args.data / f"{kept}.json"
    built = None
    if not described.exists():
        admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{kept}"'))
                await conn.execute(text(f'CREATE DATABASE "{kept}"'))
        finally:
            await admin.dispose()
        url = (
            make_url(normalise_url(args.postgres_url))
            .set(database=kept)
            .render_as_string(hide_password=False)
        )
        world, built = await _build_into("PostgreSQL", url, sizes, args.seed)
        described.write_text(_described(world))
    else:
        print(f"PostgreSQL: a copy of the database {kept}", flush=True)
    async with throwaway_postgres(args.postgres_url, template=kept) as url:
        return await run_on("PostgreSQL", url, _world(described.read_text()), built, args)


def _key(sizes: Sizes, seed: int) -> str:
    return f"{sizes.volunteers}_{sizes.events}_{sizes.rsvps}_{seed}"


def _peak_mb(memory: JsonDict) -> float:
    """The bot's peak RSS over the run: VmHWM only rises, so the last reading's, /export's."""
    return max(found["peak_mb"] for found in memory.values())


def _verdicts(results: JsonDict) -> list[str]:
    """Each figure over its target, in words."""
    misses = []
    for engine, found in results.items():
        for period in ("30 days", "all"):
            for name, ms in found["reports"].get(period, {}).items():
                limit = TARGETS["export_ms" if name == "export" else "report_ms"]
                if ms > limit:
                    misses.append(f"{engine} {name} over {period}: {ms} ms > {limit}")
        for name, ms in found["audience"].items():
            if ms > TARGETS["audience_ms"]:
                misses.append(f"{engine} audience '{name}': {ms} ms > {TARGETS['audience_ms']}")
        if found.get("enqueue_ms", 0) > TARGETS["enqueue_ms"]:
            misses.append(f"{engine} enqueue: {found['enqueue_ms']} ms")
        for which, key in (("first", "scheduler_first_ms"), ("steady", "scheduler_ms")):
            if found.get(key, 0) > TARGETS["scheduler_ms"]:
                misses.append(f"{engine} scheduler pass, {which}: {found[key]} ms")
        if "rss" in found and _peak_mb(found["rss"]) > TARGETS["rss_mb"]:
            misses.append(f"{engine} bot peak RSS: {_peak_mb(found['rss'])} MB")
    return misses


async def main(args: argparse.Namespace) -> JsonDict:
    sizes = Sizes(args.volunteers, args.events, args.rsvps)
    results: JsonDict = {}
    if args.data is not None:
        args.data.mkdir(parents=True, exist_ok=True)
    if "sqlite" in args.engines:
        results["sqlite"] = await _on_sqlite(sizes, args)
    if "postgresql" in args.engines:
        if not args.postgres_url:
            print("PostgreSQL: skipped (no --postgres-url or TEST_POSTGRES_URL)", flush=True)
        else:
            results["postgresql"] = await _on_postgresql(sizes, args)
    misses = _verdicts(results)
    print("over target: " + ("; ".join(misses) if misses else "nothing"), flush=True)
    return {
        "benchmark": "scale",
        "sizes": {**sizes.__dict__, "shifts": sizes.shifts},
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load": os.getloadavg()[0],
        },
        "targets": TARGETS,
        "results": results,
        "over_target": misses,
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--rsvps", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--leave-out",
        action="append",
        default=[],
        metavar="FILTER",
        help='an audience filter not to time, by its name here (e.g. "didn\'t answer")',
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="keep the built data here and time a copy of it on later runs (see above)",
    )
    parser.add_argument(
        "--only", help=f"time only these parts, comma-separated: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL"),
    )
    return parser.parse_args()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(_arguments()))))
