"""What RSVP messages show and what is read around an answer, without Telegram, on a real
database (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set): the card, the event's share
link, taps on a card and the call it was sent in, answers in words, /myshifts and /roster."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.domain.audience import Audience
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.statuses import OutboxStatus, RsvpStatus
from bot.domain.volunteers import Purpose, Volunteer
from bot.services import rsvps as answering
from db import callouts, events, volunteers
from db.schema import outbox
from db.schema import rsvps as rsvps_table
from db.schema import volunteers as volunteers_table

ZONE = ZoneInfo("Europe/London")
LATE = timedelta(hours=24)
ORGANISER = 7_000
RULES = {"zone": ZONE, "late_cancel": LATE}


async def _person(conn: AsyncConnection, name: str, telegram_id: int) -> Volunteer:
    await conn.execute(
        insert(volunteers_table).values(
            telegram_id=telegram_id,
            name=name,
            phone=f"07700 900{telegram_id % 1000:03d}",
            status="active",
            editing=False,
            paused=False,
            created_at=clock.now(),
        )
    )
    person = await volunteers.by_telegram_id(conn, telegram_id)
    assert person is not None
    # They shared the number at sign-up: organisers may phone them.
    await volunteers.record_consent(conn, person.id, Purpose.PHONE, True, "v1", at=clock.now())
    return person


async def _event(
    conn: AsyncConnection, *capacities: int, starts_in: timedelta = timedelta(days=2)
) -> tuple[int, str, list[int]]:
    """An event with one shift per capacity, four hours apart: (id, code, shift ids)."""
    start = clock.now() + starts_in
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        shifts=tuple(
            ShiftDraft(start + timedelta(hours=4 * n), start + timedelta(hours=4 * n + 3), places)
            for n, places in enumerate(capacities)
        ),
    )
    event_id = await events.create_event(conn, draft, created_by=ORGANISER, at=clock.now())
    event = await events.by_id(conn, event_id)
    assert event is not None
    return event_id, event.code, [s.id for s in await events.shifts_of(conn, event_id)]


async def _call_delivered(
    conn: AsyncConnection, event_id: int, shift_ids: list[int], to: Volunteer, message_id: int
) -> int:
    """A shift call, as the outbox leaves it once delivered to ``to`` as ``message_id``."""
    call_id = await callouts.create(
        conn,
        event_id=event_id,
        shift_ids=shift_ids,
        filters=Audience(),
        message="Bring an umbrella",
        created_by=ORGANISER,
        send_at=clock.now(),
        progress_chat_id=ORGANISER,
        at=clock.now(),
    )
    await conn.execute(
        insert(outbox).values(
            callout_id=call_id,
            volunteer_id=to.id,
            chat_id=to.telegram_id,
            kind="callout",
            payload={"text": "call"},
            status=OutboxStatus.SENT,
            attempts=1,
            next_attempt_at=clock.now(),
            sent_at=clock.now(),
            message_id=message_id,
            created_at=clock.now(),
        )
    )
    return call_id


async def test_the_share_link_card_shows_open_shifts_and_ones_answers(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        ben = await _person(conn, "Ben", 10_002)
        _event_id, code, (first, second) = await _event(conn, 1, 3)
        await answering.answer(
            conn,
            at=clock.now(),
            volunteer=ben,
            shift_ids=[first],
            answer="going",
            callout_id=None,
            **RULES,
        )
        await answering.answer(
            conn,
            at=clock.now(),
            volunteer=amy,
            shift_ids=[first],
            answer="going",
            callout_id=None,
            **RULES,
        )
    async with each_engine.connect() as conn:
        assert (
            await answering.event_card(conn, clock.now(), telegram_id=10_001, code="nope") is None
        )
        assert await answering.event_card(conn, clock.now(), telegram_id=99, code=code) is None
        card = await answering.event_card(conn, clock.now(), telegram_id=10_001, code=code)
        assert card is not None
        assert [s.id for s in card.shifts] == [first, second]
        assert card.answers == {first: RsvpStatus.WAITLISTED}
        assert card.positions == {first: 1}
        assert (card.from_call, card.organiser_line) == (False, None)
        # Once the first shift has started only the second is offered; once both have, none.
        first_started = clock.now() + timedelta(days=2, minutes=1)
        card = await answering.event_card(conn, first_started, telegram_id=10_001, code=code)
        assert card is not None
        assert ([s.id for s in card.shifts], card.answers, card.positions) == ([second], {}, {})
        all_started = clock.now() + timedelta(days=2, hours=5)
        assert await answering.event_card(conn, all_started, telegram_id=10_001, code=code) is None


async def test_a_tap_on_a_call_counts_for_the_call_and_shows_it(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        event_id, _code, (first, second) = await _event(conn, 2, 2)
        call_id = await _call_delivered(conn, event_id, [first, second], amy, message_id=55)
    card_on = {"chat_id": 10_001, "message_id": 55, "card_shift_ids": [first, second]}
    async with each_engine.begin() as conn:
        tapped = await answering.tap_going(
            conn, clock.now(), volunteer=amy, shift_id=second, **card_on, **RULES
        )
        assert tapped is not None
        assert [(o.shift_id, o.status) for o in tapped.answered.outcomes] == [
            (second, RsvpStatus.GOING)
        ]
        assert tapped.card.from_call and tapped.card.organiser_line == "Bring an umbrella"
        assert tapped.card.answers == {second: RsvpStatus.GOING}
        assert (
            await answering.tap_going(
                conn, clock.now(), volunteer=amy, shift_id=second + 99, **card_on, **RULES
            )
            is None
        )
    async with each_engine.begin() as conn:
        cant = await answering.tap_cant(
            conn, clock.now(), volunteer=amy, event_id=event_id, **card_on, **RULES
        )
        assert cant is not None
        assert cant.card.answers == {first: RsvpStatus.CANT, second: RsvpStatus.CANT}
        assert (
            await answering.tap_cant(
                conn, clock.now(), volunteer=amy, event_id=event_id + 99, **card_on, **RULES
            )
            is None
        )
    # The answers count towards the call.
    async with each_engine.connect() as conn:
        counted = await conn.scalars(
            select(rsvps_table.c.callout_id).where(rsvps_table.c.volunteer_id == amy.id)
        )
        assert list(counted) == [call_id, call_id]


async def test_answers_in_words_go_to_the_call_replied_to_or_the_newest(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        words = {"volunteer": amy, "chat_id": 10_001, "reply_to_message_id": None, **RULES}
        # Never sent a call: "yes" is not an answer.
        assert await answering.answer_in_words(conn, clock.now(), said="going", **words) is None
        event_id, _code, (first, second) = await _event(conn, 2, 2)
        await _call_delivered(conn, event_id, [first, second], amy, message_id=55)
        one_shift, _code, (only,) = await _event(conn, 2)
        await _call_delivered(conn, one_shift, [only], amy, message_id=66)
    async with each_engine.begin() as conn:
        # A reply to the two-shift call saying going: which shift? Nothing is recorded.
        which = await answering.answer_in_words(
            conn, clock.now(), said="going", **dict(words, reply_to_message_id=55)
        )
        assert which is not None and which.answered is None
        assert which.call_message_id == 55 and which.card.answers == {}
        # Not a reply: the newest call, which has one shift.
        worded = await answering.answer_in_words(conn, clock.now(), said="going", **words)
        assert worded is not None and worded.answered is not None
        assert worded.call_message_id == 66
        assert worded.card.answers == {only: RsvpStatus.GOING}
        # "Can't" to the two-shift call covers both of its shifts.
        cant = await answering.answer_in_words(
            conn, clock.now(), said="cant", **dict(words, reply_to_message_id=55)
        )
        assert cant is not None and cant.answered is not None
        assert cant.card.answers == {first: RsvpStatus.CANT, second: RsvpStatus.CANT}


async def test_my_shifts_and_the_roster(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        ben = await _person(conn, "Ben", 10_002)
        _event_id, _code, (soon,) = await _event(conn, 1, starts_in=timedelta(hours=1))
        for person in (ben, amy):
            await answering.answer(
                conn,
                at=clock.now(),
                volunteer=person,
                shift_ids=[soon],
                answer="going",
                callout_id=None,
                **RULES,
            )
    async with each_engine.connect() as conn:
        (mine,) = await answering.my_shifts(conn, clock.now(), amy)
        assert (mine.shift.id, mine.event.title, mine.status, mine.position) == (
            soon,
            "Doors",
            RsvpStatus.WAITLISTED,
            1,
        )
        card = await answering.shift_card(conn, clock.now(), volunteer=amy, shift_id=soon)
        assert card is not None and [s.id for s in card.shifts] == [soon]
        assert (
            await answering.shift_card(conn, clock.now(), volunteer=amy, shift_id=soon + 9) is None
        )
        ((event, (line,)),) = (
            await answering.roster(conn, clock.now(), frozenset({"peckham"}))
        ).events
        assert event.title == "Doors" and line.shift.id == soon
        assert line.groups == {
            RsvpStatus.GOING: [("Ben", "07700 900002")],
            RsvpStatus.WAITLISTED: [("Amy", "07700 900001")],
        }
        assert not line.correctable
        # Amy says organisers may no longer phone her: her number leaves the roster.
        await volunteers.record_consent(conn, amy.id, Purpose.PHONE, False, "v1", at=clock.now())
        ((_, (line,)),) = (await answering.roster(conn, clock.now(), None)).events
        assert line.groups[RsvpStatus.WAITLISTED] == [("Amy", None)]
        assert (await answering.roster(conn, clock.now(), frozenset({"Lewisham"}))).events == []
        # Started: it can be corrected, and stays on the roster for a day after it ends.
        started = clock.now() + timedelta(hours=2)
        ((_same, (line,)),) = (await answering.roster(conn, started, None)).events
        assert line.correctable
        assert await answering.my_shifts(conn, clock.now() + timedelta(hours=5), amy) == []
        assert (await answering.roster(conn, clock.now() + timedelta(hours=20), None)).events != []
        assert (await answering.roster(conn, clock.now() + timedelta(hours=29), None)).events == []
