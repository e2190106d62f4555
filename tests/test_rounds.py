"""Knock-up rounds from a committee room, end to end through the fake Bot API and by moving the
clock: check in, Out on a round, Back with the doors tapped or typed, out again; a second Out
and a bad number refused; the debrief per round at the end (a note only, or Back for someone
still out); and a canvass session's check-in with no round buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.rounds import ROUND_DOORS_BUTTONS, Refused, Tally
from bot.settings import Settings
from db import events
from db.schema import rounds, rsvps, volunteers
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import outbox_drained, run_scheduler, sign_up

# Polling day in May: London is on summer time, an hour ahead of UTC.
MONDAY_9 = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)
THURSDAY_10 = datetime(2027, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The pace lifted so the day runs in seconds."""
    return settings.model_copy(update={"send_rate": 0, "send_per_chat_seconds": 0})


async def _event(engine: AsyncEngine, kind: str, title: str) -> str:
    """A 10:00-13:00 session on Thursday; its share link's payload."""
    async with engine.begin() as conn:
        event_id = await events.create_event(
            conn,
            EventDraft(
                kind,
                title,
                "Peckham",
                "12 Rye Lane",
                shifts=(ShiftDraft(THURSDAY_10, THURSDAY_10 + timedelta(hours=3), 20),),
            ),
            created_by=ADMIN_ID,
            at=clock.now(),
        )
        event = await events.by_id(conn, event_id)
    assert event is not None
    return event.link_payload


async def _going(user: FakeUser, payload: str) -> None:
    await user.send(f"/start {payload}")
    await user.press("10:00-13:00", exact=False)


async def _tick(app: Application, engine: AsyncEngine, moment: datetime) -> None:
    clock.set_time(moment)
    await run_scheduler(app, engine)


async def _stored(engine: AsyncEngine, telegram_id: int) -> tuple[list[tuple], int | None, str]:
    """A volunteer's rounds (out, back, doors), their doors and their debrief note."""
    async with engine.connect() as conn:
        answer = (
            await conn.execute(
                select(rsvps.c.id, rsvps.c.doors, rsvps.c.debrief_note)
                .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
                .where(volunteers.c.telegram_id == telegram_id)
            )
        ).one()
        theirs = await conn.execute(
            select(rounds.c.out_at, rounds.c.back_at, rounds.c.doors)
            .where(rounds.c.rsvp_id == answer.id)
            .order_by(rounds.c.id)
        )
        return [tuple(row) for row in theirs], answer.doors, answer.debrief_note


def _at(minutes: int) -> datetime:
    return THURSDAY_10 + timedelta(minutes=minutes)


async def test_rounds_out_and_back_from_a_committee_room(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    clock.set_time(MONDAY_9)
    amy = fake.user(7201, first_name="Amy")
    cat = fake.user(7202, first_name="Cat")
    ben = fake.user(7203, first_name="Ben")
    for person in (amy, cat, ben):
        await sign_up(person)
    room = await _event(engine, "committee_room", "Peckham committee room")
    canvass = await _event(engine, "canvass", "Nunhead doors")
    await _going(amy, room)
    await _going(cat, room)
    await _going(ben, canvass)
    await run_scheduler(app, engine)  # plans the day's work

    # 10:00: the check-in prompt. At the committee room, checking in offers a round.
    await _tick(app, engine, THURSDAY_10)
    await amy.press(texts.IM_HERE)
    assert amy.last.text == texts.ROOM_CHECKED_IN
    assert amy.buttons() == [texts.OUT_ON_ROUND]
    await cat.send("/here")
    assert cat.last.text == texts.ROOM_CHECKED_IN and cat.buttons() == [texts.OUT_ON_ROUND]
    # A canvass session keeps today's check-in: no round buttons.
    await ben.press(texts.IM_HERE)
    assert ben.last.text == texts.CHECKED_IN and ben.last.buttons == []

    # Out by tap: the check-in's button goes, Back is offered.
    checked_in = amy.last
    await amy.press(texts.OUT_ON_ROUND)
    assert amy.last.text == texts.round_out(1)
    assert amy.buttons() == [texts.BACK_FROM_ROUND]
    assert checked_in.buttons == []
    # A second Out while out (typed) is refused, and Back is still the question.
    await amy.send("out")
    assert amy.last.text == texts.ROUND_REFUSED[Refused.ALREADY_OUT]
    (first,), doors, _ = await _stored(engine, amy.id)
    assert first[1] is None and doors is None  # out: no back_at yet

    # 10:45: back by tap; the doors by tap.
    clock.set_time(_at(45))
    await amy.press(texts.BACK_FROM_ROUND)
    assert amy.last.text == texts.ROUND_DOORS_QUESTION
    assert amy.buttons() == [str(n) for n in ROUND_DOORS_BUTTONS]
    # Bad answers: a short reply, nothing changed, the question still open.
    await amy.send("lots")
    assert amy.last.text == texts.ROUND_DOORS_NUMBER
    await amy.send("5000")
    assert amy.last.text == texts.ROUND_REFUSED[Refused.TOO_MANY]
    (first,), doors, _ = await _stored(engine, amy.id)
    assert first[1] == _at(45) and first[2] is None and doors is None
    await amy.press("20")
    assert amy.last.text == texts.round_noted(Tally(1, 20))
    assert amy.buttons() == [texts.OUT_ON_ROUND]

    # Out again, back and the doors, all typed.
    clock.set_time(_at(50))
    await amy.send("out")
    assert amy.last.text == texts.round_out(2)
    clock.set_time(_at(100))
    await amy.send("back")
    assert amy.last.text == texts.ROUND_DOORS_QUESTION
    await amy.send("17 doors")
    assert amy.last.text == texts.round_noted(Tally(2, 37))
    assert "2 rounds, 37 doors so far" in amy.last.text
    # "Back" when not out is told so.
    await amy.send("back")
    assert amy.last.text == texts.ROUND_REFUSED[Refused.NOT_OUT]

    # Cat goes out at 12:30 and is still out when the session ends.
    clock.set_time(_at(150))
    await cat.press(texts.OUT_ON_ROUND)
    assert cat.last.text == texts.round_out(1)

    assert await _stored(engine, amy.id) == (
        [(_at(0), _at(45), 20), (_at(50), _at(100), 17)],
        37,
        None,
    )

    # 13:00: the debrief, per round. Amy's rounds counted her doors: only a note is asked.
    await _tick(app, engine, _at(180))
    assert amy.last.text == (
        "Thanks for helping at Peckham committee room! 🙏 2 rounds, 37 doors. Anything to report?"
    )
    assert amy.buttons() == [texts.ADD_NOTE, texts.NOTHING_TO_REPORT]
    await amy.press(texts.ADD_NOTE)
    assert amy.last.text == texts.DEBRIEF_NOTE
    await amy.send("Three houses asked for a lift to the polls")
    assert amy.last.text == texts.DEBRIEF_THANKS
    # Ben's canvass session asks for its doors as before.
    assert ben.last.text.endswith("How many doors did you knock?")
    # Cat is told Back asks for her doors; her round stays open until she is back.
    assert cat.last.text == (
        "Peckham committee room has finished, and you're still out on a round. Tap “Back” when "
        "you return, to say how many doors you knocked."
    )
    assert cat.buttons() == [texts.BACK_FROM_ROUND]
    (cats,), _, _ = await _stored(engine, cat.id)
    assert cats[1] is None

    # 13:20: Cat is back (typed, to the debrief), says her doors, and has nothing to report.
    clock.set_time(_at(200))
    await cat.send("back")
    assert cat.last.text == texts.ROUND_DOORS_QUESTION
    await cat.send("30")
    assert cat.last.text == texts.round_noted_after(Tally(1, 30))
    assert cat.buttons() == [texts.ADD_NOTE, texts.NOTHING_TO_REPORT]
    await cat.send("nothing to report")
    assert cat.last.text == texts.DEBRIEF_THANKS

    await outbox_drained(engine)
    assert await _stored(engine, amy.id) == (
        [(_at(0), _at(45), 20), (_at(50), _at(100), 17)],
        37,
        "Three houses asked for a lift to the polls",
    )
    assert await _stored(engine, cat.id) == ([(_at(150), _at(200), 30)], 30, None)
