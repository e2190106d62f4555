"""A shift's scheduled work, its reports and the forecast.

Who is on a shift (everyone with an answer, reachable or not) against who we can message (those
going who are reachable): every report, figure and correction counts the first; only messages to
volunteers use the second. A volunteer who blocked the bot still came, or didn't.

The scheduled work is run here without Telegram, on a real database (SQLite, and PostgreSQL when
TEST_POSTGRES_URL is set); the same story end to end through the fake Bot API is at the bottom.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram.ext import Application

from bot import clock, keyboards, texts
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.planning import Kind, expected_turnout
from bot.domain.statuses import Attendance, RsvpStatus
from bot.services.work import FOR_SHIFTS
from bot.settings import Settings
from db import attendance, events, privacy, rsvps, work
from db.outbox import Outgoing
from db.schema import outbox, volunteers
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.flows import new_event, outbox_drained, run_scheduler, sign_up

SETTINGS = Settings(_env_file=None, bot_token=SecretStr("1:test"))  # type: ignore[call-arg]
ORGANISER = 4242


@pytest.fixture
def db(each_engine: AsyncEngine) -> AsyncEngine:
    """The same test on SQLite and on PostgreSQL (see tests/conftest.py)."""
    return each_engine


async def _volunteer(conn: AsyncConnection, name: str, telegram_id: int) -> int:
    return (
        await conn.execute(
            insert(volunteers)
            .values(
                telegram_id=telegram_id,
                name=name,
                status="active",
                editing=False,
                paused=False,
                created_at=clock.now(),
            )
            .returning(volunteers.c.id)
        )
    ).scalar_one()


async def _blocked_the_bot(conn: AsyncConnection, volunteer_id: int) -> None:
    """What the outbox sender records when Telegram answers 403 for someone."""
    await conn.execute(
        update(volunteers).where(volunteers.c.id == volunteer_id).values(unreachable_at=clock.now())
    )


async def _shift(conn: AsyncConnection, capacity: int) -> events.Shift:
    start = clock.now() + timedelta(days=3)
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), capacity),),
    )
    event_id = await events.create_event(conn, draft, created_by=ORGANISER, at=clock.now())
    (shift,) = await events.shifts_of(conn, event_id)
    return shift


async def _run(conn: AsyncConnection, kind: Kind, shift: events.Shift) -> list[Outgoing]:
    """One piece of a shift's scheduled work, as the scheduler runs it: the messages it queues."""
    event = await events.by_id(conn, shift.event_id)
    assert event is not None
    item = work.Work(0, kind, shift.id, None, "", clock.now())
    return await FOR_SHIFTS[kind](conn, SETTINGS, item, shift, event)


async def test_everyone_with_an_answer_is_on_the_shift_and_only_the_reachable_get_messages(
    db: AsyncEngine,
) -> None:
    async with db.begin() as conn:
        shift = await _shift(conn, capacity=6)
        amy, ben, cat, dan = [
            await _volunteer(conn, name, 7000 + n)
            for n, name in enumerate(["Amy", "Ben", "Cat", "Dan"])
        ]
        for person in (amy, ben, cat):
            await rsvps.respond(
                conn,
                shift_id=shift.id,
                volunteer_id=person,
                answer=RsvpStatus.GOING,
                at=clock.now(),
            )
        await rsvps.respond(
            conn, shift_id=shift.id, volunteer_id=dan, answer=RsvpStatus.MAYBE, at=clock.now()
        )
        await _blocked_the_bot(conn, ben)
        await privacy.erase(
            conn, cat, at=clock.now()
        )  # forgotten: anonymous, but her answer still counts

    async with db.connect() as conn:
        on_shift = await attendance.people(conn, shift.id)
        to_message = await attendance.reachable_going(conn, shift.id)
    by_id = {p.volunteer_id: p for p in on_shift}
    assert set(by_id) == {amy, ben, cat, dan}
    assert [by_id[p].status for p in (amy, ben, cat, dan)] == [
        RsvpStatus.GOING,
        RsvpStatus.GOING,
        RsvpStatus.GOING,
        RsvpStatus.MAYBE,
    ]
    assert {p for p, person in by_id.items() if person.reachable} == {amy, dan}
    assert by_id[cat].name is None and by_id[cat].telegram_id is None
    assert [p.volunteer_id for p in to_message] == [amy]


async def test_reports_count_whoever_blocked_the_bot_and_messages_skip_them(
    db: AsyncEngine,
) -> None:
    """Amy and Ben say going, Ben blocks the bot: the check-in prompt goes to Amy alone, and
    the turnout report still expects Ben ("1 of 2 here", not "1 of 1")."""
    async with db.begin() as conn:
        shift = await _shift(conn, capacity=6)
        amy, ben = await _volunteer(conn, "Amy", 7001), await _volunteer(conn, "Ben", 7002)
        for person in (amy, ben):
            await rsvps.respond(
                conn,
                shift_id=shift.id,
                volunteer_id=person,
                answer=RsvpStatus.GOING,
                at=clock.now(),
            )
        await _blocked_the_bot(conn, ben)

    clock.set_time(shift.starts_at)
    async with db.begin() as conn:
        prompts = await _run(conn, Kind.CHECKIN, shift)
        await attendance.check_in(conn, shift.id, amy, at=clock.now())
    assert [(m.chat_id, m.volunteer_id, m.kind) for m in prompts] == [(7001, amy, "checkin")]

    clock.set_time(shift.starts_at + timedelta(minutes=30))
    async with db.begin() as conn:
        (turnout,) = await _run(conn, Kind.TURNOUT, shift)
    assert turnout.chat_id == ORGANISER
    assert ": Said going 2, of them came 1, walk-ins 0, running late 0, not here yet 1." in (
        turnout.text
    )
    assert "Not here yet: Ben" in turnout.text

    # The organiser corrects Ben, who was there after all; the final report counts him.
    async with db.begin() as conn:
        await attendance.correct(conn, shift.id, ben, Attendance.PRESENT)
    clock.set_time(shift.ends_at)
    async with db.begin() as conn:
        debriefs = await _run(conn, Kind.DEBRIEF, shift)
    assert [m.chat_id for m in debriefs] == [7001]  # Ben came, but cannot be asked
    clock.set_time(shift.ends_at + timedelta(minutes=30))
    async with db.begin() as conn:
        (final,) = await _run(conn, Kind.FINAL, shift)
    assert "Said going 2, of them came 2, walk-ins 0, running late 0, no-shows 0. Doors" in (
        final.text
    )
    assert final.text.endswith("No-shows: none")


async def test_the_forecast_expects_whoever_blocked_the_bot_too(db: AsyncEngine) -> None:
    """Amy and Ben came to every past shift and are going to the next, which needs two: not
    short, even though Ben can no longer be messaged. Had he cancelled, it would be."""
    async with db.begin() as conn:
        past = await _shift(conn, capacity=2)
        amy, ben = await _volunteer(conn, "Amy", 7001), await _volunteer(conn, "Ben", 7002)
        for person in (amy, ben):
            await rsvps.respond(
                conn, shift_id=past.id, volunteer_id=person, answer=RsvpStatus.GOING, at=clock.now()
            )
    clock.set_time(past.starts_at)
    async with db.begin() as conn:
        for person in (amy, ben):
            await attendance.check_in(conn, past.id, person, at=clock.now())
    clock.set_time(past.ends_at + timedelta(days=1))
    async with db.begin() as conn:
        shift = await _shift(conn, capacity=2)
        for person in (amy, ben):
            await rsvps.respond(
                conn,
                shift_id=shift.id,
                volunteer_id=person,
                answer=RsvpStatus.GOING,
                at=clock.now(),
            )
        await _blocked_the_bot(conn, ben)

    clock.set_time(shift.starts_at - timedelta(hours=48))
    async with db.begin() as conn:
        assert await _run(conn, Kind.FORECAST, shift) == []
        await rsvps.respond(
            conn, shift_id=shift.id, volunteer_id=ben, answer=RsvpStatus.CANT, at=clock.now()
        )
        (warning,) = await _run(conn, Kind.FORECAST, shift)
    assert "may be short: 1 expected of the 2 needed" in warning.text


# --- The staffing forecast ------------------------------------------------------------------------

EVENT = events.Event(
    1,
    "code",
    "canvass",
    "Doors",
    "Peckham",
    None,
    None,
    None,
    "active",
    None,
    datetime(2026, 11, 24, tzinfo=UTC),
    None,
)
SHIFT = events.Shift(
    1,
    1,
    datetime(2026, 11, 28, 10, tzinfo=UTC),
    datetime(2026, 11, 28, 13, tzinfo=UTC),
    6,
    None,
    "active",
    None,
)


def test_expected_turnout_is_unrounded_but_for_float_noise() -> None:
    assert expected_turnout([0.7]) == 0.7
    assert expected_turnout([0.7, 0.7]) == 1.4
    assert sum([0.1] * 10) < 1 and expected_turnout([0.1] * 10) == 1  # a whole person
    assert expected_turnout([]) == 0


@pytest.mark.parametrize(
    ("expected", "needed", "said"),
    [
        (0.7, 1, "less than 1 expected of the 1 needed"),
        (0.05, 1, "less than 1 expected of the 1 needed"),
        (1.4, 6, "1.4 expected of the 6 needed"),
        (5.96, 6, "5.9 expected of the 6 needed"),  # not 6.0: that would be enough
        (3.0, 6, "3 expected of the 6 needed"),
        (0.0, 6, "0 expected of the 6 needed"),
        (19.9, 20, "19 expected of the 20 needed"),
        (12.0, 20, "12 expected of the 20 needed"),
    ],
)
def test_the_forecast_never_rounds_what_is_expected_up(
    expected: float, needed: int, said: str
) -> None:
    text = texts.forecast_warning(SHIFT, EVENT, SETTINGS.zone, expected, needed)
    assert f"may be short: {said}, from past turnout." in text


async def test_one_newcomer_for_one_place_is_short_and_the_warning_says_so(
    db: AsyncEngine,
) -> None:
    """0.7 expected of the 1 needed: a warning with the top-up button, which does not claim that
    about 1 is expected."""
    async with db.begin() as conn:
        shift = await _shift(conn, capacity=1)
        amy = await _volunteer(conn, "Amy", 7001)
        await rsvps.respond(
            conn, shift_id=shift.id, volunteer_id=amy, answer=RsvpStatus.GOING, at=clock.now()
        )
    clock.set_time(shift.starts_at - timedelta(hours=48))
    async with db.begin() as conn:
        (warning,) = await _run(conn, Kind.FORECAST, shift)
    assert warning.chat_id == ORGANISER
    assert "may be short: less than 1 expected of the 1 needed" in warning.text
    assert warning.reply_markup == keyboards.top_up(shift.id).to_dict()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # November in London: GMT


async def test_a_volunteer_who_blocked_the_bot_is_still_counted_and_can_be_corrected(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    """End to end: Amy and Ben say going to Saturday's shift; Ben blocks the bot, which the
    day-before reminder finds out. He gets no more messages, but the turnout report misses him,
    Olga corrects him to present from /roster, and the final report and digest count him."""
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(9001, first_name="Olga", username="olga")
    amy, ben = fake.user(9101, first_name="Amy"), fake.user(9102, first_name="Ben")
    await sign_up(olga, postcode="N1 9GU", when=("Sundays",))
    await admin.send("/grant @olga organiser Peckham")
    for person in (amy, ben):
        await sign_up(person)
    link = await new_event(olga)  # Sat 28 Nov, 10:00-13:00
    for person in (amy, ben):
        await person.send(f"/start {link}")
        await person.press("Sat 28 Nov, 10:00-13:00", exact=False)
        await outbox_drained(engine)
        assert person.last.text.startswith("You're going!")
    await run_scheduler(app, engine)  # plans the shift's work

    fake.block(ben.id)
    clock.set_time(_at(27, 10, 1))  # the day-before reminder: Telegram answers 403 for Ben
    await run_scheduler(app, engine)
    assert amy.last.text.startswith("⏰ Reminder")
    async with engine.connect() as conn:
        unreachable = await conn.scalar(
            select(volunteers.c.unreachable_at).where(volunteers.c.telegram_id == ben.id)
        )
    assert unreachable is not None

    clock.set_time(_at(28, 10, 0))  # the check-in prompt goes to Amy only
    await run_scheduler(app, engine)
    await amy.press(texts.IM_HERE)
    assert amy.last.text == texts.CHECKED_IN
    async with engine.connect() as conn:
        prompted = list(
            await conn.scalars(select(outbox.c.chat_id).where(outbox.c.kind == "checkin"))
        )
    assert prompted == [amy.id]

    clock.set_time(_at(28, 10, 30))
    await run_scheduler(app, engine)
    turnout = olga.last.text
    assert turnout.startswith(
        "📋 Sat 28 Nov, 10:00 Peckham Saturday doors: Said going 2, of them came 1,"
    )
    assert "Not here yet: Ben" in turnout

    # Ben was there after all: Olga corrects him from /roster.
    await olga.send("/roster")
    await olga.press(texts.CORRECT_ATTENDANCE)
    assert olga.buttons() == ["✅ Amy", "❌ Ben"]
    await olga.press("❌ Ben")
    assert olga.buttons() == ["✅ Amy", "✅ Ben"]

    clock.set_time(_at(28, 13, 30))  # debriefs (Amy's only) and then the final report
    await run_scheduler(app, engine)
    assert "Said going 2, of them came 2, walk-ins 0, running late 0, no-shows 0." in (
        olga.last.text
    )
    async with engine.connect() as conn:
        asked = list(await conn.scalars(select(outbox.c.chat_id).where(outbox.c.kind == "debrief")))
    assert asked == [amy.id]

    clock.set_time(_at(29, 8, 0))
    await run_scheduler(app, engine)
    assert (
        "Sat 28 Nov, 10:00 Peckham Saturday doors: said going 2, of them came 2, walk-ins 0, "
        "running late 0, no-shows 0, 0 doors"
    ) in admin.last.text
