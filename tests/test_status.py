"""/status: an admin sees how the bot is doing, with figures that match the database; organisers
and volunteers are refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from db.schema import outbox, volunteers
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.models import Fault
from tests.flows import every_row, outbox_drained, run_scheduler, sign_up


def _row(status: str, created_hours_ago: float) -> dict[str, object]:
    created = clock.now() - timedelta(hours=created_hours_ago)
    return {
        "chat_id": 1,
        "kind": "notice",
        "payload": {"text": "hello"},
        "status": status,
        "attempts": 0,
        # Waiting rows are due tomorrow, so the running sender leaves them where they are.
        "next_attempt_at": clock.now() + timedelta(days=1),
        "created_at": created,
    }


async def test_admin_sees_figures_that_match_the_database(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    people = {name: fake.user(6000 + n, first_name=name) for n, name in enumerate("ABCDE")}
    for person in people.values():
        await sign_up(person)
    # Telegram says "too many requests" once, while Ada's welcome to her new organiser goes out.
    fake.inject(Fault(method="sendMessage", chat_id=6000, status=429, retry_after=2))
    await admin.send("/grant 6000 organiser")
    await outbox_drained(engine)
    await run_scheduler(app, engine)
    async with engine.begin() as conn:
        await conn.execute(
            update(volunteers).where(volunteers.c.telegram_id == 6001).values(paused=True)
        )
        await conn.execute(
            update(volunteers)
            .where(volunteers.c.telegram_id.in_((6002, 6003)))
            .values(unreachable_at=clock.now())
        )
        await conn.execute(
            insert(outbox),
            [
                _row("pending", 0),
                _row("pending", 30),  # still waiting, however old
                _row("sending", 1),
                _row("failed", 2),
                _row("failed", 25),  # failed before the last 24 hours
            ],
        )
    clock.advance(timedelta(hours=2, minutes=5))

    await admin.send("/status")

    async with engine.connect() as conn:
        pages = await conn.scalar(text("PRAGMA page_count"))
        page_size = await conn.scalar(text("PRAGMA page_size"))
    lines = admin.last.text.splitlines()
    assert lines[0].startswith("Muster ") and lines[0].endswith(", up 2 h 5 min")
    assert lines[1:] == [
        f"Database: sqlite, {pages * page_size / 1024:.0f} KB",
        "Outbox: 2 waiting, 1 sending, 1 failed in the last 24 hours",
        # How long the pass took is real time, which the test does not control.
        "Scheduler: last ran Tue 24 Nov, 09:00, took " + lines[3].rsplit(" took ", 1)[-1],
        "Telegram's last 'too many requests': Tue 24 Nov, 09:00, waited 2 s",
        "Volunteers: 2 active, 1 paused, 2 unreachable",
    ]
    assert re.fullmatch(r"Scheduler: .*, took \d+\.\d s", lines[3])
    await admin.send("/help")
    assert "/status - " in admin.last.text


async def test_status_before_the_scheduler_ran_and_with_no_429(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM scheduled_work"))
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/status")
    assert "Scheduler: has not run yet" in admin.last.text
    assert "Telegram's last 'too many requests': none since it started" in admin.last.text
    assert "Volunteers: 0 active, 0 paused, 0 unreachable" in admin.last.text


@pytest.mark.parametrize("role", ["volunteer", "organiser", "coordinator"])
async def test_everyone_but_admins_is_refused(
    app: Application, fake: FakeTelegram, engine: AsyncEngine, role: str
) -> None:
    vic = fake.user(5001, first_name="Vic", username="vic")
    await sign_up(vic)
    if role != "volunteer":
        await fake.user(ADMIN_ID, first_name="Ada").send(f"/grant @vic {role}")
    await outbox_drained(engine)
    before = await every_row(engine)
    await vic.send("/status")
    assert vic.last.text == texts.not_allowed("admin")
    assert await every_row(engine) == before
    await vic.send("/help")
    assert "/status" not in vic.last.text
