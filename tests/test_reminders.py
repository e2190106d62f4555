"""Reminders: at the right local time when the clocks change, and per event when an organiser
says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain.events import EventDraft, ShiftDraft, local_to_utc
from bot.settings import Settings
from db import events
from db.schema import scheduled_work
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import run_scheduler, sign_up

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"reminder_offsets": "24h,2h"})


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(date(year, month, day), time(hour, minute), LONDON)


async def _going_to(engine: AsyncEngine, user: FakeUser, starts_at: datetime, title: str) -> None:
    async with engine.begin() as conn:
        event_id = await events.create_event(
            conn,
            EventDraft(
                "canvass",
                title,
                "Peckham",
                "Rye Lane",
                shifts=(ShiftDraft(starts_at, starts_at + timedelta(hours=3), 10),),
            ),
            created_by=ADMIN_ID,
            at=clock.now(),
        )
        event = await events.by_id(conn, event_id)
    assert event is not None
    await user.send(f"/start {event.link_payload}")
    await user.press("10:00-13:00", exact=False)


def reminders(user: FakeUser) -> list[str]:
    return [
        m.text or ""
        for m in user.messages
        if (m.text or "").startswith(("⏰ Reminder", "👋 See you soon"))
    ]


@pytest.mark.parametrize(
    ("change_day", "label"),
    [((2027, 3, 28), "spring forward"), ((2027, 10, 31), "fall back")],
)
async def test_reminders_keep_local_time_when_the_clocks_change(
    app: Application,
    fake: FakeTelegram,
    engine: AsyncEngine,
    change_day: tuple[int, int, int],
    label: str,
) -> None:
    """A 10:00 shift on the day the clocks change: 10:00 the day before, and 08:00 on the day."""
    year, month, day = change_day
    clock.set_time(local(year, month, day - 3, 9))
    zoe = fake.user(7101, first_name="Zoe")
    await sign_up(zoe)
    await _going_to(engine, zoe, local(year, month, day, 10), f"Doors ({label})")
    await run_scheduler(app, engine)  # plans the reminders

    for moment, expected in [
        (local(year, month, day - 1, 9, 59), 0),
        (local(year, month, day - 1, 10, 0), 1),  # "24 hours before": 10:00 the day before
        (local(year, month, day, 7, 59), 1),
        (local(year, month, day, 8, 0), 2),  # "2 hours before": 08:00 on the day
    ]:
        clock.set_time(moment)
        await run_scheduler(app, engine)
        assert len(reminders(zoe)) == expected, (label, moment.astimezone(LONDON))
    assert reminders(zoe)[0].startswith("⏰ Reminder: you're down for")
    assert reminders(zoe)[1].startswith(f"👋 See you soon! Doors ({label}) starts at 10:00.")


async def test_an_organiser_sets_one_events_reminder_times(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    yan = fake.user(7102, first_name="Yan")
    await sign_up(yan)
    start = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    await _going_to(engine, yan, start, "Doors")
    await run_scheduler(app, engine)

    await admin.send("/events")
    await admin.press(texts.EDIT_EVENT)
    await admin.press(texts.EDIT_REMINDERS)
    assert "Now: 24h,2h (the default)" in admin.last.text
    await admin.send("whenever")
    assert admin.last.text.startswith("I couldn't read that.")
    await admin.send("3h, 1d")
    assert admin.last.text.startswith("Saved. ✔")
    await run_scheduler(app, engine)  # the pending reminders follow the event's new times
    async with engine.connect() as conn:
        planned = {
            (row.detail, row.status, row.due_at)
            for row in await conn.execute(
                select(
                    scheduled_work.c.detail, scheduled_work.c.status, scheduled_work.c.due_at
                ).where(scheduled_work.c.kind == "reminder")
            )
        }
    assert planned == {
        ("1440m", "pending", start - timedelta(days=1)),
        ("180m", "pending", start - timedelta(hours=3)),
        ("120m", "dropped", start - timedelta(hours=2)),
    }
    clock.set_time(start - timedelta(hours=3))
    await run_scheduler(app, engine)
    assert reminders(yan)[-1].startswith("👋 See you soon! Doors starts at 10:00.")

    await admin.send("/events")
    await admin.press(texts.EDIT_EVENT)
    await admin.press(texts.EDIT_REMINDERS)
    assert "Now: 1d,3h." in admin.last.text
    await admin.send("default")
    assert admin.last.text.startswith("Saved. ✔")


async def test_a_cancelled_shift_takes_its_pending_work_with_it(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    xia = fake.user(7103, first_name="Xia")
    await sign_up(xia)
    start = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    await _going_to(engine, xia, start, "Doors")
    await run_scheduler(app, engine)

    await admin.send("/events")
    await admin.press("❌ Cancel shift 10:00-13:00")
    await admin.press(texts.CANCEL_SHIFT_YES)
    await run_scheduler(app, engine)
    async with engine.connect() as conn:
        statuses = set(
            (
                await conn.execute(
                    select(scheduled_work.c.kind, scheduled_work.c.status).where(
                        scheduled_work.c.shift_id.is_not(None)
                    )
                )
            ).all()
        )
    assert {status for _, status in statuses} == {"dropped"}
    assert {kind for kind, _ in statuses} >= {"reminder", "checkin", "debrief", "final"}

    # The day comes and goes: nothing is sent for the cancelled shift.
    sent_before = len(xia.messages)
    for moment in (start - timedelta(days=1), start, start + timedelta(hours=4)):
        clock.set_time(moment)
        await run_scheduler(app, engine)
    assert len(xia.messages) == sent_before
