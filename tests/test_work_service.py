"""Running one piece of due work without Telegram, on SQLite and PostgreSQL: what a call's chaser
and close report queue and to whom, the morning digest per reader, and work that no longer means
anything being skipped with nothing queued. (The per-shift kinds are in tests/test_shift_work.py.)
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock, keyboards, texts
from bot.domain.audience import Audience
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.planning import DIGEST_LATEST, Kind
from bot.domain.statuses import Attendance, OutboxStatus, RsvpStatus, WorkStatus
from bot.services import work as due_work
from bot.settings import Settings
from db import attendance, callouts, events, outbox, rsvps
from db.schema import outbox as outbox_table
from db.schema import roles, volunteers
from db.work import Work
from tests.conftest import ADMIN_ID

SETTINGS = Settings(
    _env_file=None,  # type: ignore[call-arg]
    bot_token=SecretStr("1:test"),
    admin_ids=frozenset({ADMIN_ID}),
)
ORGANISER = 4242  # created the event; has no volunteer row of their own
AMY, BEN, CAL, LEW = 10_001, 10_002, 10_003, 10_004


@pytest.fixture
def db(each_engine: AsyncEngine) -> AsyncEngine:
    """The same test on SQLite and on PostgreSQL (see tests/conftest.py)."""
    return each_engine


async def _volunteer(conn: AsyncConnection, name: str, telegram_id: int, **values: Any) -> int:
    row = {
        "telegram_id": telegram_id,
        "name": name,
        "status": "active",
        "editing": False,
        "paused": False,
        "created_at": clock.now(),
        "signed_up_at": clock.now(),
        **values,
    }
    return (
        await conn.execute(insert(volunteers).values(**row).returning(volunteers.c.id))
    ).scalar_one()


async def _called(engine: AsyncEngine) -> tuple[int, int, dict[str, int]]:
    """A Peckham shift in three days, two places, and a call to Amy, Ben and Cal (delivered) that
    closes a day before: Amy said going, Ben said nothing, Cal has paused since. Lew coordinates
    Lewisham. Returns the call, the shift and the volunteers' ids."""
    start = clock.now() + timedelta(days=3)
    async with engine.begin() as conn:
        people = {
            "amy": await _volunteer(conn, "Amy", AMY),
            "ben": await _volunteer(conn, "Ben", BEN),
            "cal": await _volunteer(conn, "Cal", CAL),
            "lew": await _volunteer(conn, "Lew", LEW),
        }
        await conn.execute(
            insert(roles).values(
                volunteer_id=people["lew"],
                role="coordinator",
                area="Lewisham",
                granted_at=clock.now(),
            )
        )
        event_id = await events.create_event(
            conn,
            EventDraft(
                "canvass",
                "Doors",
                "Peckham",
                shifts=(ShiftDraft(start, start + timedelta(hours=3), 2),),
            ),
            created_by=ORGANISER,
            at=clock.now(),
        )
        (shift,) = await events.shifts_of(conn, event_id)
        call_id = await callouts.create(
            conn,
            event_id=event_id,
            shift_ids=[shift.id],
            filters=Audience(),
            message=None,
            created_by=ORGANISER,
            send_at=clock.now(),
            progress_chat_id=ORGANISER,
            at=clock.now(),
            rsvp_deadline=start - timedelta(days=1),
        )
        await outbox.enqueue(
            conn,
            [
                outbox.Outgoing(telegram_id, people[key], "callout", "Help?", callout_id=call_id)
                for key, telegram_id in (("amy", AMY), ("ben", BEN), ("cal", CAL))
            ],
            at=clock.now(),
        )
        await conn.execute(update(outbox_table).values(status=OutboxStatus.SENT))
        await rsvps.respond(
            conn,
            shift_id=shift.id,
            volunteer_id=people["amy"],
            answer=RsvpStatus.GOING,
            at=clock.now(),
            callout_id=call_id,
        )
        await conn.execute(
            update(volunteers).where(volunteers.c.id == people["cal"]).values(paused=True)
        )
    return call_id, shift.id, people


async def _run(engine: AsyncEngine, at: datetime, item: Work) -> WorkStatus:
    async with engine.begin() as conn:
        return await due_work.run(conn, at, SETTINGS, item, bot_username="muster_bot")


async def _queued(engine: AsyncEngine) -> list[tuple[int, str, dict[str, Any]]]:
    """(chat, kind, payload) of what the work queued, in order."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox_table.c.chat_id, outbox_table.c.kind, outbox_table.c.payload)
            .where(outbox_table.c.status == OutboxStatus.PENDING)
            .order_by(outbox_table.c.id)
        )
        return [(row.chat_id, row.kind, row.payload) for row in rows]


async def test_the_chaser_goes_only_to_those_a_call_reached_who_can_still_answer(
    db: AsyncEngine,
) -> None:
    call_id, shift_id, _ = await _called(db)
    at = clock.now() + timedelta(days=1)
    assert await _run(db, at, Work(1, Kind.CHASER, None, call_id, "", at)) == WorkStatus.DONE
    async with db.connect() as conn:
        call = await callouts.by_id(conn, call_id)
        event = await events.by_id(conn, call.event_id) if call else None
        shifts = await events.shifts_by_ids(conn, [shift_id])
    assert call is not None and call.rsvp_deadline is not None and event is not None
    # Amy answered and Cal paused: Ben alone is asked again, with the call's buttons.
    assert await _queued(db) == [
        (
            BEN,
            "chaser",
            {
                "text": texts.chaser(event, call.rsvp_deadline, SETTINGS.zone),
                "reply_markup": keyboards.rsvp(shifts, event.id, SETTINGS.zone).to_dict(),
                # A card: edited when Ben's answer or the shift changes.
                "card": {"kind": "event", "event_id": event.id, "shift_ids": [shift_id]},
            },
        )
    ]


async def test_the_close_report_counts_the_answers_for_the_organisers(db: AsyncEngine) -> None:
    call_id, _, _ = await _called(db)
    at = clock.now() + timedelta(days=2)
    assert await _run(db, at, Work(1, Kind.CLOSE, None, call_id, "", at)) == WorkStatus.DONE
    ((chat_id, kind, payload),) = await _queued(db)
    assert (chat_id, kind) == (ORGANISER, "report")
    assert payload["text"].startswith("📊 <b>Answers are in for Doors</b> (no reply: 1)")


async def test_call_work_past_its_time_is_skipped_and_queues_nothing(db: AsyncEngine) -> None:
    call_id, _, _ = await _called(db)
    after_deadline = clock.now() + timedelta(days=2, minutes=1)
    after_start = clock.now() + timedelta(days=3, minutes=1)
    assert (
        await _run(db, after_deadline, Work(1, Kind.CHASER, None, call_id, "", after_deadline))
        == WorkStatus.SKIPPED
    )
    assert (
        await _run(db, after_start, Work(2, Kind.CLOSE, None, call_id, "", after_start))
        == WorkStatus.SKIPPED
    )
    assert await _queued(db) == []


async def test_a_reminder_after_the_start_is_skipped(db: AsyncEngine) -> None:
    _, shift_id, _ = await _called(db)
    at = clock.now() + timedelta(days=3, minutes=1)
    item = Work(1, Kind.REMINDER, shift_id, None, "60m", at)
    assert await _run(db, at, item) == WorkStatus.SKIPPED
    assert await _queued(db) == []


async def test_the_digest_gives_each_reader_their_own_areas(db: AsyncEngine) -> None:
    await _called(db)
    at = clock.now()
    today = at.astimezone(SETTINGS.zone).date()
    item = Work(1, Kind.DIGEST, None, None, today.isoformat(), at)
    assert await _run(db, at, item) == WorkStatus.DONE
    queued = await _queued(db)
    assert [(chat_id, kind) for chat_id, kind, _ in queued] == [
        (LEW, "digest"),
        (ADMIN_ID, "digest"),
    ]
    lewisham, everywhere = (payload["text"] for _, _, payload in queued)
    assert "Nothing planned yet" in lewisham
    assert "Doors: 1 of 2 places filled ⚠️" in everywhere
    assert "Doors" not in lewisham


async def test_the_digest_counts_yesterday_as_the_final_reports_did(db: AsyncEngine) -> None:
    """Yesterday's lines in time order, each reader's areas only, a cancelled event left out, and
    only the doors of those who came: Ben, corrected to a no-show after his debrief, keeps his
    answer but his doors do not count; Cal's as a walk-in do."""
    at = clock.now()
    today = at.astimezone(SETTINGS.zone).date()

    def yesterday(hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=1), time(hour), tzinfo=SETTINGS.zone)

    async with db.begin() as conn:
        amy, ben, cal, lew = [
            await _volunteer(conn, name, telegram_id)
            for name, telegram_id in (("Amy", AMY), ("Ben", BEN), ("Cal", CAL), ("Lew", LEW))
        ]
        await conn.execute(
            insert(roles).values(
                volunteer_id=lew, role="coordinator", area="Lewisham", granted_at=at
            )
        )
        shift_ids = {}
        for title, area, hour in (
            ("Doors", "Peckham", 10),
            ("Leaflets", "lewisham", 9),
            ("Stall", "Peckham", 8),
        ):
            draft = EventDraft(
                "canvass",
                title,
                area,
                shifts=(ShiftDraft(yesterday(hour), yesterday(hour) + timedelta(hours=2), 3),),
            )
            event_id = await events.create_event(conn, draft, created_by=ORGANISER, at=at)
            (shift,) = await events.shifts_of(conn, event_id)
            shift_ids[title] = shift.id
        for shift_id, person in [(shift_ids["Doors"], amy), (shift_ids["Doors"], ben)] + [
            (shift_ids[title], amy) for title in ("Leaflets", "Stall")
        ]:
            answered = yesterday(7)
            await rsvps.respond(
                conn, shift_id=shift_id, volunteer_id=person, answer=RsvpStatus.GOING, at=answered
            )
        doors = shift_ids["Doors"]
        for person, knocked in ((amy, 20), (ben, 7), (cal, 3)):
            await attendance.check_in(conn, doors, person, at=yesterday(10))
            await attendance.debrief(conn, doors, person, doors=knocked)
        await attendance.correct(conn, doors, ben, Attendance.NO_SHOW)
        (stall,) = await events.shifts_by_ids(conn, [shift_ids["Stall"]])
        await events.cancel_event(conn, stall.event_id, at=at)

    item = Work(1, Kind.DIGEST, None, None, today.isoformat(), at)
    assert await _run(db, at, item) == WorkStatus.DONE
    lewisham, everywhere = (payload["text"] for _, _, payload in await _queued(db))
    leaflets = (
        "Leaflets: said going 1, of them came 0, walk-ins 0, running late 0, no-shows 1, 0 doors"
    )
    doors_line = (
        "Doors: said going 2, of them came 1, walk-ins 1, running late 0, no-shows 1, 23 doors"
    )
    assert leaflets in lewisham
    assert "Doors" not in lewisham
    assert everywhere.index(leaflets) < everywhere.index(doors_line)
    assert "Stall" not in everywhere


async def test_a_digest_too_late_in_the_day_is_skipped(db: AsyncEngine) -> None:
    await _called(db)
    due = clock.now()
    item = Work(1, Kind.DIGEST, None, None, due.astimezone(SETTINGS.zone).date().isoformat(), due)
    assert await _run(db, due + DIGEST_LATEST, item) == WorkStatus.SKIPPED
    assert await _queued(db) == []
