"""Which cards a volunteer holds and how each is brought up to date, without Telegram, on SQLite
and PostgreSQL: a delivered shift call found from the outbox, a share-link card and a /myshifts
line from the cards table; the card just tapped left to its handler; erasure forgetting them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import cards
from bot.services import rsvps as answering
from db import cards as held_cards
from db import events, privacy, volunteers
from db.schema import callouts, outbox, shifts
from db.schema import cards as cards_table
from db.schema import volunteers as volunteers_table

ZONE = ZoneInfo("Europe/London")


async def _world(db: AsyncEngine) -> tuple[list[Volunteer], int, int]:
    """Amy and Ben; an event with one place; a call to both, delivered as messages 500 and 501."""
    start = clock.now() + timedelta(days=3)
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        address="Rye Lane Library",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), 1),),
    )
    people = []
    async with db.begin() as conn:
        for n, name in enumerate(("Amy", "Ben")):
            await conn.execute(
                insert(volunteers_table).values(
                    telegram_id=20_000 + n,
                    name=name,
                    status="active",
                    editing=False,
                    paused=False,
                    created_at=clock.now(),
                )
            )
            person = await volunteers.by_telegram_id(conn, 20_000 + n)
            assert person is not None
            people.append(person)
        event_id = await events.create_event(conn, draft, created_by=1, at=clock.now())
        (shift,) = await events.shifts_of(conn, event_id)
        call_id = (
            await conn.execute(
                insert(callouts)
                .values(
                    event_id=event_id,
                    shift_ids=[shift.id],
                    audience={},
                    created_at=clock.now(),
                    send_at=clock.now(),
                    status="done",
                )
                .returning(callouts.c.id)
            )
        ).scalar_one()
        for n, person in enumerate(people):
            await conn.execute(
                insert(outbox).values(
                    callout_id=call_id,
                    volunteer_id=person.id,
                    chat_id=person.telegram_id,
                    kind="callout",
                    payload={"text": "📣"},
                    status="sent",
                    attempts=1,
                    message_id=500 + n,
                    next_attempt_at=clock.now(),
                    created_at=clock.now(),
                )
            )
    return people, event_id, shift.id


async def _edits(db: AsyncEngine) -> list[tuple[int, int, str]]:
    async with db.begin() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.payload)
                .where(outbox.c.kind == "card_edit")
                .order_by(outbox.c.id)
            )
        ).all()
        await conn.execute(outbox.delete().where(outbox.c.kind != "callout"))
    return [(chat, payload["edit_of"], payload["text"]) for chat, payload in rows]


async def _tap(
    db: AsyncEngine, person: Volunteer, shift_id: int, answer: str, message: int
) -> None:
    async with db.begin() as conn:
        await answering.answer(
            conn,
            at=clock.now(),
            volunteer=person,
            shift_ids=[shift_id],
            answer=answer,
            callout_id=None,
            zone=ZONE,
            late_cancel=timedelta(hours=24),
            card_at=(person.telegram_id, message) if message else None,
        )


async def test_a_promotion_edits_the_call_card_of_the_one_who_moved_up(
    each_engine: AsyncEngine,
) -> None:
    db = each_engine
    (amy, ben), _event_id, shift_id = await _world(db)
    await _tap(db, amy, shift_id, RsvpStatus.GOING, 500)
    # The card Amy tapped is her handler's to edit: nothing queued for it.
    assert await _edits(db) == []
    await _tap(db, ben, shift_id, RsvpStatus.GOING, 501)
    assert await _edits(db) == []
    # Amy drops out from /myshifts (no card tapped): her call card, and Ben's, are edited.
    await _tap(db, amy, shift_id, RsvpStatus.CANT, 0)
    edits = await _edits(db)
    assert [(chat, message) for chat, message, _ in edits] == [
        (ben.telegram_id, 501),
        (amy.telegram_id, 500),
    ]
    assert "✅ You're going" in edits[0][2] and "waitlist" not in edits[0][2].split("\n\n")[-1]
    assert "❌ You can't make it" in edits[1][2]


async def test_cards_sent_as_answers_are_found_and_forgotten_with_the_volunteer(
    each_engine: AsyncEngine,
) -> None:
    db = each_engine
    (amy, _ben), event_id, shift_id = await _world(db)
    async with db.begin() as conn:
        for message, kind in ((600, cards.EVENT), (601, cards.MYSHIFT)):
            await cards.remember(
                conn,
                clock.now(),
                volunteer_id=amy.id,
                chat_id=amy.telegram_id,
                message_id=message,
                kind=kind,
                event_id=event_id,
                shift_ids=[shift_id],
            )
        found = await held_cards.held(conn, event_id, [amy.id])
        assert [(h.kind, h.message_id) for h in found] == [
            ("event", 600),
            ("myshift", 601),
            ("call", 500),
        ]
        # The shift is cancelled: every card says so, and offers nothing to tap.
        await conn.execute(update(shifts).values(status="cancelled"))
        assert (
            await cards.refresh(
                conn, clock.now(), event_id=event_id, volunteer_ids=[amy.id], zone=ZONE
            )
            == 3
        )
        queued = (
            (await conn.execute(select(outbox.c.payload).where(outbox.c.kind == "card_edit")))
            .scalars()
            .all()
        )
        assert all("❌ Cancelled" in p["text"] and p["reply_markup"] is None for p in queued)
        await privacy.erase(conn, amy.id, at=clock.now())
        assert (await conn.execute(select(cards_table))).all() == []
