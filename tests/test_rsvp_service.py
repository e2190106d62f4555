"""Answering an RSVP without Telegram: what the answer stores, and exactly which messages it
queues in the outbox, to whom, in which order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock, texts
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import rsvps as answering
from db import events, rsvps, volunteers
from db.schema import outbox
from db.schema import volunteers as volunteers_table

ZONE = ZoneInfo("Europe/London")
LATE = timedelta(hours=24)
ORGANISER = 7_000  # created the event; has no volunteer row of their own


async def _people(engine: AsyncEngine, *names: str) -> list[Volunteer]:
    found = []
    async with engine.begin() as conn:
        for n, name in enumerate(names):
            await conn.execute(
                insert(volunteers_table).values(
                    telegram_id=10_000 + n,
                    name=name,
                    status="active",
                    editing=False,
                    paused=False,
                    created_at=clock.now(),
                )
            )
            person = await volunteers.by_telegram_id(conn, 10_000 + n)
            assert person is not None
            found.append(person)
    return found


async def _shifts(
    engine: AsyncEngine, *capacities: int, starts_in: timedelta = timedelta(days=3), pin: bool
) -> list[int]:
    start = clock.now() + starts_in
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        address="Rye Lane Library",
        latitude=51.47 if pin else None,
        longitude=-0.07 if pin else None,
        shifts=tuple(
            ShiftDraft(start + timedelta(hours=4 * n), start + timedelta(hours=4 * n + 3), places)
            for n, places in enumerate(capacities)
        ),
    )
    async with engine.begin() as conn:
        event_id = await events.create_event(conn, draft, created_by=ORGANISER, at=clock.now())
        return [shift.id for shift in await events.shifts_of(conn, event_id)]


async def _answer(
    engine: AsyncEngine, person: Volunteer, shift_ids: list[int], answer: str
) -> answering.Answered:
    async with engine.begin() as conn:
        return await answering.answer(
            conn,
            at=clock.now(),
            volunteer=person,
            shift_ids=shift_ids,
            answer=answer,
            callout_id=None,
            zone=ZONE,
            late_cancel=LATE,
        )


async def _queued(engine: AsyncEngine) -> list[tuple[int, str, dict[str, Any]]]:
    """(chat, kind, payload) of every row, in the order the sender takes them; then empties the
    outbox, so each step of a test sees only what it queued."""
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.kind, outbox.c.payload, outbox.c.status).order_by(
                    outbox.c.next_attempt_at, outbox.c.id
                )
            )
        ).all()
        await conn.execute(outbox.delete())
    assert {row.status for row in rows} <= {"pending"}
    return [(row.chat_id, row.kind, row.payload) for row in rows]


async def test_going_queues_one_message_the_calendar_file_with_the_map(
    engine: AsyncEngine,
) -> None:
    (amy,) = await _people(engine, "Amy")
    (shift_id,) = await _shifts(engine, 2, pin=True)
    answered = await _answer(engine, amy, [shift_id], RsvpStatus.GOING)
    assert [(o.status, o.previous) for o in answered.outcomes] == [(RsvpStatus.GOING, None)]
    assert answered.late_shift_id is None
    # One message against Telegram's budget, not a map pin as well: the caption links the map.
    (calendar,) = await _queued(engine)
    assert calendar[:2] == (amy.telegram_id, "rsvp_calendar")
    assert calendar[2]["document"]["filename"] == "shift.ics"
    assert "BEGIN:VCALENDAR" in calendar[2]["document"]["text"]
    assert f"UID:shift-{shift_id}@muster" in calendar[2]["document"]["text"]
    assert "GEO:51.47" in calendar[2]["document"]["text"]
    assert calendar[2]["text"].startswith("You're going! 🎉")
    assert (
        'Meet at Rye Lane Library (<a href="https://www.openstreetmap.org/?mlat=51.47000&amp;'
        'mlon=-0.07000#map=17/51.47000/-0.07000">map</a>).'
    ) in calendar[2]["text"]
    # Going again changes nothing and sends nothing.
    again = await _answer(engine, amy, [shift_id], RsvpStatus.GOING)
    assert not again.outcomes[0].changed
    assert await _queued(engine) == []


async def test_without_a_pin_only_the_calendar_file(engine: AsyncEngine) -> None:
    (amy,) = await _people(engine, "Amy")
    (shift_id,) = await _shifts(engine, 2, pin=False)
    await _answer(engine, amy, [shift_id], RsvpStatus.GOING)
    assert [kind for _, kind, _ in await _queued(engine)] == ["rsvp_calendar"]


async def test_a_full_shift_queues_nothing_for_a_waitlist_place(engine: AsyncEngine) -> None:
    amy, ben, cat = await _people(engine, "Amy", "Ben", "Cat")
    (shift_id,) = await _shifts(engine, 1, pin=False)
    await _answer(engine, amy, [shift_id], RsvpStatus.GOING)
    await _queued(engine)
    await _answer(engine, ben, [shift_id], RsvpStatus.GOING)
    answered = await _answer(engine, cat, [shift_id], RsvpStatus.GOING)
    assert (answered.outcomes[0].status, answered.outcomes[0].position) == (
        RsvpStatus.WAITLISTED,
        2,
    )
    # The direct answer says it (the tap's pop-up and card, the reply to typed words).
    assert await _queued(engine) == []


async def test_an_early_cancel_promotes_the_next_in_line_without_alerting(
    engine: AsyncEngine,
) -> None:
    amy, ben = await _people(engine, "Amy", "Ben")
    (shift_id,) = await _shifts(engine, 1, pin=True)
    await _answer(engine, amy, [shift_id], RsvpStatus.GOING)
    await _answer(engine, ben, [shift_id], RsvpStatus.GOING)
    await _queued(engine)
    answered = await _answer(engine, amy, [shift_id], RsvpStatus.CANT)
    assert answered.late_shift_id is None  # three days ahead: not late
    assert [p.volunteer_id for p in answered.outcomes[0].promoted] == [ben.id]
    queued = await _queued(engine)
    # One message: the calendar file, its caption the news.
    assert [(chat, kind) for chat, kind, _ in queued] == [(ben.telegram_id, "rsvp_calendar")]
    assert queued[0][2]["text"].startswith("Good news! A place came free")
    assert queued[0][2]["document"]["filename"] == "shift.ics"


async def test_a_late_cancel_promotes_and_alerts_the_organisers(engine: AsyncEngine) -> None:
    amy, ben = await _people(engine, "Amy", "Ben")
    (shift_id,) = await _shifts(engine, 1, starts_in=timedelta(hours=5), pin=False)
    await _answer(engine, amy, [shift_id], RsvpStatus.GOING)
    await _answer(engine, ben, [shift_id], RsvpStatus.GOING)
    await _queued(engine)
    answered = await _answer(engine, amy, [shift_id], RsvpStatus.CANT)
    assert answered.late_shift_id == shift_id
    queued = await _queued(engine)
    assert [(chat, kind) for chat, kind, _ in queued] == [
        (ben.telegram_id, "rsvp_calendar"),
        (ORGANISER, "organiser_alert"),
    ]
    # Read after the promotion: the place has been filled again.
    assert queued[1][2]["text"].startswith("⚠️ Amy can't make it to ")
    assert queued[1][2]["text"].endswith("0 places now free.")
    # And the reason she gives later goes the same way.
    async with engine.begin() as conn:
        await answering.give_reason(
            conn, at=clock.now(), volunteer=amy, shift_id=shift_id, reason="Train cancelled"
        )
    assert await _queued(engine) == [
        (
            ORGANISER,
            "organiser_alert",
            {
                "text": texts.late_reason_for_organiser("Amy", "Train cancelled"),
                "reply_markup": None,
                "about": amy.id,
            },
        )
    ]


async def test_a_maybe_never_undoes_a_going(engine: AsyncEngine) -> None:
    (amy,) = await _people(engine, "Amy")
    morning, afternoon = await _shifts(engine, 5, 5, pin=False)
    await _answer(engine, amy, [morning], RsvpStatus.GOING)
    await _queued(engine)
    answered = await _answer(engine, amy, [morning, afternoon], RsvpStatus.MAYBE)
    assert [(o.shift_id, o.status) for o in answered.outcomes] == [(afternoon, RsvpStatus.MAYBE)]
    assert await _queued(engine) == []
    # With every shift answered, a maybe covers nothing at all.
    again = await _answer(engine, amy, [morning, afternoon], RsvpStatus.MAYBE)
    assert again.outcomes == ()
    async with engine.connect() as conn:
        assert await rsvps.answers_of(conn, amy.id, [morning, afternoon]) == {
            morning: RsvpStatus.GOING,
            afternoon: RsvpStatus.MAYBE,
        }


async def test_a_closed_shift_is_passed_over(engine: AsyncEngine) -> None:
    (amy,) = await _people(engine, "Amy")
    (shift_id,) = await _shifts(engine, 2, starts_in=timedelta(hours=1), pin=False)
    clock.advance(timedelta(hours=2))  # it has started
    answered = await _answer(engine, amy, [shift_id], RsvpStatus.GOING)
    assert answered.outcomes == ()
    assert await _queued(engine) == []
