"""Events and RSVPs end to end: /newevent, share links, taps, the waitlist, /myshifts, /roster."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from db import events
from db.schema import audit_log, rsvps, shifts
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, new_event, outbox_drained, sign_up, stored


async def _organiser(fake: FakeTelegram, area: str = "Peckham") -> FakeUser:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga)
    await admin.send(f"/grant @olga organiser {area}")
    return olga


async def _create_event(olga: FakeUser) -> str:
    return await new_event(olga, shifts=("10:00-13:00 2 bring comfy shoes", "14:00-17:00 5"))


async def test_newevent_with_back_bad_input_preview_and_cancel(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    await olga.send("/newevent")
    assert olga.buttons()[:2] == ["Canvass session", "Campaign day"]
    await olga.press("Phone bank")
    await olga.press(texts.BACK)  # back to the kind
    assert olga.last.text == texts.NEW_KIND
    await olga.press("Canvass session")
    await olga.send("x" * 121)
    assert olga.last.text == texts.NEW_EVENT_BAD["title"]
    await olga.send("Peckham doors")
    assert olga.buttons() == ["Peckham", texts.BACK, texts.CANCEL]  # her own areas only
    await olga.send("Lewisham")
    assert olga.last.text == texts.NOT_YOUR_AREA
    await olga.press("Peckham")
    await olga.share_location(51.4693, -0.0692)
    assert olga.last.text == texts.NEW_ADDRESS
    await olga.press(texts.SKIP)
    await olga.send("31/02")
    assert olga.last.text == texts.NEW_EVENT_BAD["date"]
    await olga.send("1/11/2026")
    assert olga.last.text == texts.NEW_EVENT_BAD["date_past"]
    await olga.send("28/11")
    await olga.send("10 till 1")
    assert olga.last.text.startswith("I couldn't read that shift")
    await olga.send("10:00-13:00 0")
    assert olga.last.text == texts.NEW_EVENT_BAD["capacity"]
    await olga.send("10:00-13:00 12")
    assert olga.messages[-2].text == "Added Sat 28 Nov, 10:00-13:00, 12 places."
    await olga.press(texts.DONE)
    preview = olga.messages[-2]
    assert "Canvass session: Peckham doors" in preview.text
    assert "Sat 28 Nov, 10:00-13:00 · 12 of 12 places left" in preview.text
    await olga.press("Sat 28 Nov, 10:00-13:00 · 12 left")  # the preview's buttons are inert
    assert olga.callback_answers[-1]["text"] == texts.PREVIEW_ONLY
    before = await every_row(engine)
    assert before["user_state"] and before["conversation_state"]  # the draft, until it ends
    await olga.press(texts.CANCEL)
    assert olga.last.text == texts.NEW_CANCELLED
    # Nothing was created, and the draft is gone.
    assert await every_row(engine) == before | {"user_state": [], "conversation_state": []}
    await olga.send("/cancel")
    assert olga.last.text == texts.NOTHING_TO_CANCEL


async def test_volunteers_cannot_create_events(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    vic = fake.user(8002, first_name="Vic")
    await sign_up(vic)
    before = await every_row(engine)
    for command in ("/newevent", "/roster"):
        await vic.send(command)
        assert vic.last.text == texts.not_allowed("organiser")
    await vic.send("Peckham doors")  # no conversation was started
    assert vic.last.text == texts.UNKNOWN_TEXT
    assert await every_row(engine) == before


async def test_share_link_rsvp_waitlist_promotion_and_roster(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await _create_event(olga)
    async with engine.connect() as conn:
        ((event, event_shifts),) = await events.upcoming(conn, areas=None, at=clock.now())
        log = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert "create_event" in log
    morning, _afternoon = event_shifts
    # Saturday 28 November 10:00 in London is 10:00 UTC (no summer time).
    assert morning.starts_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert (event.address, event.area, event.kind) == (
        "Rye Lane Library, SE15 4QR",
        "Peckham",
        "canvass",
    )

    amy, ben, cat = (
        fake.user(8100 + n, first_name=name) for n, name in enumerate(["Amy", "Ben", "Cat"])
    )
    for person in (amy, ben, cat):
        await sign_up(person)
        await person.send(f"/start {payload}")
        assert "Peckham Saturday doors" in person.last.text
    await amy.press("Sat 28 Nov, 10:00-13:00 · 2 left")
    assert amy.callback_answers[-1]["text"] == "You're going! 🎉"
    await outbox_drained(engine)
    # One message confirms it: the calendar file, with the details as its caption.
    calendar = amy.last
    assert calendar.file_name == "shift.ics"
    assert b"DTSTART:20261128T100000Z" in calendar.document
    assert calendar.text.startswith("You're going! 🎉 Sat 28 Nov, 10:00-13:00")
    # The tapped message now shows her answer and one place fewer.
    card = amy.messages[-2]
    assert "✅ You're going: Sat 28 Nov, 10:00-13:00" in card.text
    assert card.buttons[0] == "✅ Sat 28 Nov, 10:00-13:00 · 1 left"
    await amy.press("✅ Sat 28 Nov, 10:00-13:00 · 1 left")
    assert amy.callback_answers[-1]["text"] == texts.ALREADY_GOING

    await ben.press("Sat 28 Nov, 10:00-13:00 · 2 left")  # his card is older: still says 2
    await cat.press("Sat 28 Nov, 10:00-13:00 · 2 left")
    assert cat.callback_answers[-1]["text"] == (
        "It's full: you're 1st on the waitlist. I'll tell you straight away if a place frees up."
    )
    await outbox_drained(engine)
    # The answer and the card say it all: no message of its own against Telegram's budget.
    assert "⏳ You're 1st on the waitlist: Sat 28 Nov, 10:00-13:00" in cat.last.text
    assert cat.last.edited

    # Amy drops out on Friday evening, close to the start: Cat is promoted at once, the
    # organiser is told, and Amy is asked why.
    clock.set_time(datetime(2026, 11, 27, 19, 0, tzinfo=UTC))
    await amy.send("/myshifts")
    assert "✅ You're going: Sat 28 Nov, 10:00-13:00" in amy.last.text
    await amy.press(texts.CANCEL_SHIFT)
    assert amy.last.text == texts.ASK_REASON
    await outbox_drained(engine)
    assert cat.last.text.startswith("Good news! A place came free")
    assert cat.last.file_name == "shift.ics"
    assert olga.last.text.startswith("⚠️ Amy can't make it to Sat 28 Nov, 10:00-13:00")
    await amy.send("My train is cancelled")
    assert amy.last.text == texts.REASON_THANKS
    await outbox_drained(engine)
    assert olga.last.text == "Amy said why: My train is cancelled"

    await olga.send("/roster")
    # A heading for the event, then one message per shift.
    roster = olga.messages[-2].text
    assert olga.messages[-3].text == "Peckham Saturday doors (Peckham)"
    assert roster.startswith("Sat 28 Nov, 10:00-13:00 (2 places)")
    assert "Said going: 2 - Ben, Cat" in roster
    assert "Can't: 1 - Amy" in roster
    async with engine.connect() as conn:
        stored_rsvps = (await conn.execute(select(rsvps.c.status, rsvps.c.cancel_reason))).all()
        capacity = (
            await conn.execute(select(shifts.c.capacity).where(shifts.c.id == morning.id))
        ).scalar()
    assert sorted(stored_rsvps) == [
        ("cant", "My train is cancelled"),
        ("going", None),
        ("going", None),
    ]
    assert capacity == 2
    amy_row = await stored(engine, 8100)
    assert amy_row is not None and amy_row.name == "Amy"


async def test_a_newcomer_from_a_share_link_signs_up_then_lands_on_the_event(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await _create_event(olga)
    nell = fake.user(8200, first_name="Nell")
    await nell.send(f"/start {payload}")
    assert nell.buttons() == [texts.CONSENT_YES, texts.CONSENT_NO]  # sign-up comes first
    await nell.press(texts.CONSENT_YES)
    await nell.press("Use “Nell”")
    await nell.send("SE15 4QR")
    await nell.press("Saturdays")
    await nell.press(texts.DONE)
    await nell.press("Anything")
    await nell.press(texts.DONE)
    await nell.press(texts.SKIP)
    assert "You're signed up" in nell.messages[-2].text
    assert "Peckham Saturday doors" in nell.last.text  # and then the event, ready to answer
    await nell.press("Sat 28 Nov, 14:00-17:00 · 5 left")
    assert nell.callback_answers[-1]["text"] == "You're going! 🎉"


async def test_a_typed_yes_to_a_full_shift_is_told_its_waitlist_place_in_reply(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await new_event(olga, pin=(51.4693, -0.0692), shifts=("10:00-13:00 1",))
    amy, dot = fake.user(8110, first_name="Amy"), fake.user(8111, first_name="Dot")
    for person in (amy, dot):
        await sign_up(person)
        await person.send(f"/start {payload}")
    await amy.send("count me in")
    await outbox_drained(engine)
    # Going: one message, the calendar file, its caption the meeting point with a map link.
    assert amy.last.file_name == "shift.ics"
    assert "Meet at Rye Lane Library, SE15 4QR (map)." in amy.last.text
    await dot.send("count me in")
    # The card she typed to may be far up the chat: the reply says where she is, at once.
    assert dot.last.text == texts.waitlisted(1)
    await outbox_drained(engine)
    assert dot.last.text == texts.waitlisted(1)  # and nothing more follows
    assert "⏳ You're 1st on the waitlist: Sat 28 Nov, 10:00-13:00" in dot.messages[-2].text
