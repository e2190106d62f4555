"""Benchmark: a polling-day surge to 2,000 people among 100,000 volunteers.

    python -m bench.surge            # or: make bench

One committee room in the middle of 100,000 volunteers spread ±45 km round it (SQLite): a
share pledged for the morning or free on polling day, some checked in today or going to another
room's shift now, a history of shifts said going to and came to (reliability). A surge for 667
helpers asks 3 x 667 = 2,001 in its first batch:

(a) candidates chosen (db.surges.candidates, the distances and reliability, the ranking of
    bot.domain.surge): best of ``--repeat`` runs (target <= 200 ms);
(b) with PAID_BROADCAST on and the default budget, the application in a child process (as a
    deployment runs it) starts the surge (choosing, the asks and their outbox rows, one commit)
    and sends; timed from telling it "go" to the last "Can you come now?" reaching the fake Bot
    API in this process (target <= 5 s); the map pins that follow each are timed too.

Human-readable lines first; the last line is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import clock
from bot.app import build_application
from bot.context import SERVICES
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access
from bot.domain.statuses import VolunteerStatus
from bot.domain.volunteers import Purpose
from bot.services import surge as surges
from bot.settings import Settings
from db import events, migrate
from db import polling as polls
from db import surges as found_surges
from db import volunteers as volunteer_rows
from db.engine import create_engine
from db.schema import consents, pledges, rsvps, volunteer_availability, volunteers
from tests.fake_telegram import FakeTelegram

TOKEN = "123456:bench"
FIRST = 2_000_001
MANAGER = 900_001
ZONE = ZoneInfo("Europe/London")
DAY = date(2027, 5, 6)
# 10:00 BST on polling day: the morning.
AT = datetime(2027, 5, 6, 9, 0, tzinfo=UTC)
ROOM = (51.4693, -0.0692)
SPREAD_DEGREES = 0.4


def _say(line: str) -> None:
    print(line, flush=True)


def _settings(base_url: str, file_url: str, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TOKEN),
        database_url=database_url,
        telegram_api_base_url=base_url,
        telegram_api_base_file_url=file_url,
        paid_broadcast=True,
    )


async def _build(conn: AsyncConnection, volunteers_count: int, seed: int) -> int:
    """The room, its election, the volunteers and what they did; returns the manager's id."""
    rng = random.Random(seed)
    made_at = AT - timedelta(days=30)
    election_id = await polls.create_election(
        conn,
        made_at,
        by=MANAGER,
        name="By-election",
        day=DAY,
        opens=clock_time(7),
        closes=clock_time(22),
        areas=("Peckham",),
    )

    def at(hour: int, day: date = DAY) -> datetime:
        return datetime.combine(day, clock_time(hour), ZONE).astimezone(UTC)

    async def event(title: str, day: date, capacity: int, kind: str = "canvass") -> int:
        event_id = await events.create_event(
            conn,
            EventDraft(
                kind=kind,
                title=title,
                area="Peckham",
                address=f"{title}, SE15",
                latitude=ROOM[0] + (0.05 if title != "Peckham room" else 0.0),
                longitude=ROOM[1],
                shifts=(ShiftDraft(at(7, day), at(13, day), capacity),),
            ),
            created_by=MANAGER,
            at=made_at,
        )
        (shift,) = await events.shifts_of(conn, event_id)
        return shift.id

    await event("Peckham room", DAY, 2_000, kind="committee_room")
    other_shift = await event("Nunhead room", DAY, 5_000)
    past_shift = await event("Last month", DAY - timedelta(days=28), 100_000)

    manager_id = (
        await conn.execute(
            insert(volunteers)
            .values(
                telegram_id=MANAGER,
                name="Manager",
                status=VolunteerStatus.ACTIVE,
                created_at=made_at,
                latitude=ROOM[0],
                longitude=ROOM[1],
                location_source="shared",
            )
            .returning(volunteers.c.id)
        )
    ).scalar_one()
    rows = []
    for n in range(volunteers_count):
        rows.append(
            {
                "id": manager_id + 1 + n,
                "telegram_id": FIRST + n,
                "name": f"V{n}",
                "status": VolunteerStatus.ACTIVE,
                "created_at": made_at,
                "latitude": ROOM[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
                "longitude": ROOM[1] + rng.uniform(-SPREAD_DEGREES * 1.6, SPREAD_DEGREES * 1.6),
                "location_source": "shared",
            }
        )
    ids = [row["id"] for row in rows]
    version = Settings.model_fields["privacy_notice_version"].default
    for start in range(0, len(rows), 5_000):
        chunk = rows[start : start + 5_000]
        await conn.execute(insert(volunteers), chunk)
        await conn.execute(
            insert(consents),
            [
                {
                    "volunteer_id": row["id"],
                    "purpose": Purpose.VOLUNTEERING,
                    "choice": True,
                    "notice_version": version,
                    "given_at": made_at,
                }
                for row in chunk
            ],
        )
    parts = [["morning"], ["morning", "afternoon"], ["evening"], ["afternoon"]]
    pledged = [i for i in ids if rng.random() < 0.4]
    await conn.execute(
        insert(pledges),
        [
            {
                "election_id": election_id,
                "volunteer_id": i,
                "parts": rng.choice(parts),
                "pledged_at": made_at,
                "updated_at": made_at,
            }
            for i in pledged
        ],
    )
    await conn.execute(
        insert(volunteer_availability),
        [{"volunteer_id": i, "slot": "polling"} for i in ids if rng.random() < 0.15],
    )
    # Reliability: a past shift that a third said going to, most of whom came.
    await conn.execute(
        insert(rsvps),
        [
            {
                "shift_id": past_shift,
                "volunteer_id": i,
                "status": "going",
                "responded_at": made_at,
                "checked_in_at": made_at if rng.random() < 0.7 else None,
            }
            for i in ids
            if rng.random() < 0.33
        ],
    )
    # Today: some already checked in at the other room, some going to it now.
    today = rng.sample(ids, min(2_000, len(ids)))
    await conn.execute(
        insert(rsvps),
        [
            {
                "shift_id": other_shift,
                "volunteer_id": i,
                "status": "going",
                "responded_at": made_at,
                "checked_in_at": AT if n % 2 else None,
            }
            for n, i in enumerate(today)
        ],
    )
    return manager_id


async def choose_time(url: str, wanted: int, repeat: int) -> tuple[float, int]:
    """(a): seconds to choose the first batch, best of ``repeat``, and how many were chosen."""
    engine = create_engine(url)
    settings = Settings(_env_file=None, bot_token=SecretStr(TOKEN))  # type: ignore[call-arg]
    try:
        async with engine.connect() as conn:
            access = Access(MANAGER, True)
            (room,) = await surges.rooms_for(conn, AT, access, None, ZONE)
            surge_id = await found_surges.create(
                conn,
                AT,
                election_id=room.election.id,
                event_id=room.event.id,
                shift_id=room.shifts[0].id,
                manager_id=None,
                chat_id=MANAGER,
                message_id=None,
                wanted=wanted,
                needed_at=AT,
            )
            surge = await found_surges.by_id(conn, surge_id)
            assert surge is not None
            times = []
            chosen = []
            for _ in range(repeat):
                started = time.perf_counter()
                chosen = await surges.choose(conn, AT, surge, room, settings)
                times.append(time.perf_counter() - started)
            await conn.rollback()  # the surge was only a yardstick
    finally:
        await engine.dispose()
    return min(times), len(chosen)


# --- the child process: the application, which starts the surge and sends ----------------------


async def _child(settings: Settings, wanted: int) -> None:
    clock.set_time(AT)
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
                await _start_surge(application, engine, settings, wanted)
    finally:
        await application.stop()
        await application.shutdown()
        await engine.dispose()


async def _start_surge(application: Any, engine: Any, settings: Settings, wanted: int) -> None:
    """What the manager's "Now" does: their message becomes the count; the surge starts."""
    shown = await application.bot.send_message(MANAGER, "🚨")
    async with engine.begin() as conn:
        manager = await volunteer_rows.by_id(conn, await _manager_id(conn))
        assert manager is not None
        (room,) = await surges.rooms_for(conn, clock.now(), Access(MANAGER, True), None, ZONE)
        started = await surges.start(
            conn,
            clock.now(),
            access=Access(MANAGER, True),
            manager=manager,
            event_id=room.event.id,
            wanted=wanted,
            minutes=0,
            chat_id=MANAGER,
            message_id=shown.message_id,
            settings=settings,
        )
        assert not isinstance(started, str), started
    application.bot_data[SERVICES].wake_outbox()


async def _manager_id(conn: AsyncConnection) -> int:
    found = await volunteer_rows.by_telegram_id(conn, MANAGER)
    assert found is not None
    return found.id


class Arrivals:
    """When each "Can you come now?" and each map pin reached the fake server."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.asks: list[float] = []
        self.pins: list[float] = []
        self.paid = 0
        self._want: tuple[list[float], int] = (self.asks, 0)
        self._reached = asyncio.Event()
        for method, into in (("sendmessage", self.asks), ("sendvenue", self.pins)):
            self._wrap(fake, method, into)

    def _wrap(self, fake: FakeTelegram, method: str, into: list[float]) -> None:
        send = fake._handlers[method]

        async def timed(params: dict[str, Any]) -> Any:
            result = await send(params)
            if int(params["chat_id"]) >= FIRST:
                into.append(time.perf_counter())
                self.paid += str(params.get("allow_paid_broadcast")).lower() == "true"
                found, want = self._want
                if found is into and len(into) >= want:
                    self._reached.set()
            return result

        fake._handlers[method] = timed

    async def wait_for(self, into: list[float], count: int, within: float) -> None:
        self._want = (into, count)
        if len(into) < count:
            self._reached.clear()
            async with asyncio.timeout(within):
                await self._reached.wait()


async def send_time(
    url: str, volunteers_count: int, wanted: int, asked: int
) -> tuple[float, float, int, int]:
    """(b): (seconds to the last of the ``asked`` asks, to the last pin, asks, paid messages)."""
    fake = FakeTelegram(token=TOKEN)
    fake.record_requests = False
    async with fake:
        for chat in range(FIRST, FIRST + volunteers_count):
            fake.user(chat)
        fake.user(MANAGER)
        arrivals = Arrivals(fake)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.surge",
            "--child",
            fake.base_url,
            fake.base_file_url,
            url,
            str(wanted),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None and process.stdout is not None
        async with asyncio.timeout(120):
            while (await process.stdout.readline()).strip() != b"ready":
                pass
        began = time.perf_counter()
        process.stdin.write(b"go\n")
        await arrivals.wait_for(arrivals.asks, asked, within=120)
        await arrivals.wait_for(arrivals.pins, asked, within=120)
        process.stdin.close()
        async with asyncio.timeout(60):
            await process.wait()
    return arrivals.asks[-1] - began, arrivals.pins[-1] - began, len(arrivals.asks), arrivals.paid


async def main(volunteers_count: int, wanted: int, repeat: int) -> dict[str, Any]:
    _say(
        f"surge benchmark: {volunteers_count:,} volunteers, {wanted} wanted "
        f"({3 * wanted:,} asked), Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    clock.set_time(AT)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'muster.db'}"
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
            async with engine.begin() as conn:
                await _build(conn, volunteers_count, seed=12)
        finally:
            await engine.dispose()
        chose, chosen = await choose_time(url, wanted, repeat)
        _say(f"(a) {chosen:,} candidates chosen in {chose * 1000:.0f} ms (target <= 200 ms)")
        to_asks, to_pins, asks, paid = await send_time(url, volunteers_count, wanted, chosen)
        _say(
            f'(b) paid broadcast: {asks:,} "Can you come now?" out in {to_asks:.2f} s '
            f"(target <= 5 s), their map pins by {to_pins:.2f} s; {paid:,} sent paid"
        )
    return {
        "bench": "surge",
        "volunteers": volunteers_count,
        "wanted": wanted,
        "chosen": chosen,
        "choose_ms": round(chose * 1000, 1),
        "asks_sent": asks,
        "asks_seconds": round(to_asks, 3),
        "pins_seconds": round(to_pins, 3),
        "paid_messages": paid,
    }


def cli() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        base_url, file_url, url, wanted = sys.argv[2:6]
        asyncio.run(_child(_settings(base_url, file_url, url), int(wanted)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--wanted", type=int, default=667)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(main(args.volunteers, args.wanted, args.repeat))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    cli()
