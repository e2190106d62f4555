"""Cards that tell the truth, end to end: every card a volunteer holds for a shift (a shift call,
an event opened from its link, a /myshifts line) is edited through the outbox when their answer
changes for any reason: moving up from the waitlist, a cancelled or moved shift. An edit Telegram
refuses is recorded and never tried again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from db.schema import cards, outbox, rsvps
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.flows import new_event, outbox_drained, run_scheduler, sign_up, until


async def _organiser(fake: FakeTelegram) -> FakeUser:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga, when=("Sundays",))
    await admin.send("/grant @olga organiser Peckham")
    return olga


def _call_card_or_none(user: FakeUser) -> SentMessage | None:
    return next((m for m in user.messages if (m.text or "").startswith("📣")), None)


def _call_card(user: FakeUser) -> SentMessage:
    return next(m for m in user.messages if (m.text or "").startswith("📣"))


async def test_the_promoted_volunteers_call_card_says_they_are_going(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    await new_event(olga, shifts=("10:00-13:00 1",))
    amy, cat = fake.user(8101, first_name="Amy"), fake.user(8102, first_name="Cat")
    dan = fake.user(8103, first_name="Dan")
    for person in (amy, cat, dan):
        await sign_up(person)
    await olga.send("/callout")
    await olga.press("Sat 28 Nov · Peckham Saturday doors")
    await olga.press(texts.NEXT)
    await olga.press("Free at that time")  # Saturdays: Amy and Cat, not Olga
    await olga.press(texts.NEXT)
    await olga.press(texts.SKIP)
    await olga.press(texts.SEND_NOW)
    await until(lambda: any((m.text or "").startswith("📣") for m in cat.messages))
    await outbox_drained(engine)

    await amy.press("Sat 28 Nov, 10:00-13:00 · 1 left")
    await cat.press("Sat 28 Nov, 10:00-13:00 · 1 left")  # her card is older: still says 1
    await dan.press("Sat 28 Nov, 10:00-13:00 · 1 left")
    await outbox_drained(engine)
    assert "⏳ You're 2nd on the waitlist" in _call_card(dan).text
    card = _call_card(cat)
    assert "⏳ You're 1st on the waitlist: Sat 28 Nov, 10:00-13:00" in card.text
    assert card.buttons[0] == "⏳ Sat 28 Nov, 10:00-13:00 · full"

    # Amy drops out from /myshifts: Cat moves up, and the call card in her chat says so.
    await amy.send("/myshifts")
    line = amy.last
    await amy.press(texts.CANCEL_SHIFT)
    await outbox_drained(engine)
    # One message tells her: the calendar file, its caption the news.
    assert cat.last.text.startswith("Good news! A place came free")
    assert cat.last.file_name == "shift.ics"
    card = _call_card(cat)
    assert "✅ You're going: Sat 28 Nov, 10:00-13:00" in card.text
    assert "on the waitlist" not in card.text
    assert card.buttons == ["✅ Sat 28 Nov, 10:00-13:00 · full", texts.CANT_MAKE_IT]
    # Amy's call card and her /myshifts line say she can't make it, with nothing left to tap
    # but the call's buttons (the shift is full now: she is offered the waitlist).
    assert "❌ You can't make it: Sat 28 Nov, 10:00-13:00" in _call_card(amy).text
    assert _call_card(amy).buttons[0] == "Sat 28 Nov, 10:00-13:00 · full, join waitlist"
    assert "❌ You can't make it" in line.text and line.buttons == []
    # Dan, behind Cat in the queue, is first in it now, and his card says so.
    assert "⏳ You're 1st on the waitlist: Sat 28 Nov, 10:00-13:00" in _call_card(dan).text

    async with engine.connect() as conn:
        edits = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.status, outbox.c.message_id).where(
                    outbox.c.kind == "card_edit"
                )
            )
        ).all()
        held = (await conn.execute(select(cards.c.chat_id, cards.c.kind))).all()
        answers = dict((await conn.execute(select(rsvps.c.volunteer_id, rsvps.c.status))).all())
    assert (cat.id, "sent", None) in edits and (amy.id, "sent", None) in edits
    assert (amy.id, "myshift") in held
    assert sorted(answers.values()) == ["cant", "going", "waitlisted"]


async def test_a_moved_then_cancelled_shift_edits_the_card_from_the_share_link(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await new_event(olga, shifts=("10:00-13:00 5", "14:00-17:00 5"))
    ben, dot = fake.user(8201, first_name="Ben"), fake.user(8202, first_name="Dot")
    for person in (ben, dot):
        await sign_up(person)
        await person.send(f"/start {payload}")
        await person.press("Sat 28 Nov, 10:00-13:00 · ", exact=False)
    card = next(m for m in ben.messages if (m.text or "").startswith("📅"))
    assert "✅ You're going: Sat 28 Nov, 10:00-13:00" in card.text
    # Dot deletes the card from her chat: its edits are refused, recorded, and not retried.
    dot_card = next(m for m in dot.messages if (m.text or "").startswith("📅"))
    dot_card.deleted = True

    await olga.send("/events")
    await olga.press(texts.EDIT_EVENT)
    await olga.press("🕙 10:00-13:00 · 5 places")
    await olga.send("10:30-13:30")
    await outbox_drained(engine)
    assert "✅ You're going: Sat 28 Nov, 10:30-13:30" in card.text
    assert card.buttons[0] == "✅ Sat 28 Nov, 10:30-13:30 · 3 left"

    await olga.send("/events")
    await olga.press("❌ Cancel shift 10:30-13:30")
    await olga.press(texts.CANCEL_SHIFT_YES)
    await outbox_drained(engine)
    assert "❌ Cancelled: Sat 28 Nov, 10:30-13:30" in card.text
    assert "You're going" not in card.text
    assert card.buttons == ["Sat 28 Nov, 14:00-17:00 · 5 left", texts.CANT_MAKE_IT]

    async with engine.connect() as conn:
        refused = (
            await conn.execute(
                select(outbox.c.status, outbox.c.attempts, outbox.c.last_error).where(
                    outbox.c.kind == "card_edit", outbox.c.chat_id == dot.id
                )
            )
        ).all()
    assert refused == [("failed", 1, "BadRequest"), ("failed", 1, "BadRequest")]


async def test_the_see_you_soon_reminder_follows_a_moved_then_cancelled_shift(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await new_event(olga, shifts=("10:00-13:00 5",))
    await run_scheduler(app, engine)  # plans the shift's reminders
    amy = fake.user(8301, first_name="Amy")
    await sign_up(amy)
    await amy.send(f"/start {payload}")
    await amy.press("Sat 28 Nov, 10:00-13:00 · ", exact=False)
    clock.set_time(datetime(2026, 11, 28, 8, 0, tzinfo=UTC))  # two hours before
    await run_scheduler(app, engine)
    soon = next(m for m in amy.messages if (m.text or "").startswith("👋 See you soon!"))
    assert "starts at 10:00" in soon.text

    await olga.send("/events")
    await olga.press(texts.EDIT_EVENT)
    await olga.press("🕙 10:00-13:00 · 5 places")
    await olga.send("10:30-13:30")
    await outbox_drained(engine)
    assert "starts at 10:30" in soon.text and "starts at 10:00" not in soon.text

    await olga.send("/events")
    await olga.press("❌ Cancel shift 10:30-13:30")
    await olga.press(texts.CANCEL_SHIFT_YES)
    await outbox_drained(engine)
    assert "❌ Cancelled: Sat 28 Nov, 10:30-13:30" in soon.text


async def test_cards_of_those_who_said_cant_maybe_or_nothing_lose_a_cancelled_shift(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    await new_event(olga, shifts=("10:00-13:00 5", "14:00-17:00 5"))
    names = ("Amy", "Cat", "Dan", "Eve")
    people = [fake.user(8401 + n, first_name=name) for n, name in enumerate(names)]
    for person in people:
        await sign_up(person)
    amy, cat, dan, _eve = people
    await olga.send("/callout")
    await olga.press("Sat 28 Nov · Peckham Saturday doors")
    await olga.press(texts.NEXT)
    await olga.press("Free at that time")  # Saturdays: not Olga
    await olga.press(texts.NEXT)
    await olga.press(texts.SKIP)
    await olga.press(texts.SEND_NOW)
    await until(lambda: all(_call_card_or_none(p) for p in people))
    await outbox_drained(engine)
    await amy.press("Sat 28 Nov, 10:00-13:00 · 5 left")
    await cat.press(texts.CANT_MAKE_IT)
    await dan.send("maybe")
    await outbox_drained(engine)

    await olga.send("/events")
    await olga.press("❌ Cancel shift 10:00-13:00")
    await olga.press(texts.CANCEL_SHIFT_YES)
    await outbox_drained(engine)
    for person in people:
        card = _call_card(person)
        assert "❌ Cancelled: Sat 28 Nov, 10:00-13:00" in card.text, person.first_name
        assert not any("10:00-13:00" in label for label in card.buttons), person.first_name
        assert any("14:00-17:00" in label for label in card.buttons), person.first_name
    # Only those who had answered going or maybe are told in a message of its own.
    told = [
        p.first_name
        for p in people
        if any((m.text or "").startswith("❌ Shift cancelled:") for m in p.messages)
    ]
    assert told == ["Amy", "Dan"]
