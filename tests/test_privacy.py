"""/mydata and /forget: a volunteer's copy of their data, and its erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.signup import Step
from db import events
from db.schema import rsvps as rsvps_table
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.flows import every_row, outbox_drained, sign_up, stored


async def test_mydata_sends_everything_as_json(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    sam = fake.user(4001, first_name="Sam", username="sam_v")
    await sign_up(sam, share_phone=True, when=("Saturdays", "Sundays"))
    await sam.send("/mydata")
    document = sam.last
    assert document.method == "sendDocument"
    assert document.file_name == "muster-my-data.json"
    assert document.text == texts.MYDATA_CAPTION
    data = json.loads(document.document)
    assert data["volunteer"]["name"] == "Sam"
    assert data["volunteer"]["username"] == "sam_v"
    assert data["volunteer"]["postcode"] == "SE15 4QR"
    assert data["volunteer"]["phone"] == "+447700900123"
    assert data["volunteer"]["telegram_id"] == 4001
    assert sorted(data["availability"]) == ["sat", "sun"]
    assert data["activities"] == ["doors"]
    assert data["consents"][0]["notice_version"] == "2026-11"


async def test_mydata_for_a_stranger(app: Application, fake: FakeTelegram) -> None:
    tia = fake.user(4002, first_name="Tia")
    await tia.send("/mydata")
    assert tia.last.text == texts.MYDATA_NOTHING


async def test_forget_asks_once_then_erases_every_personal_field(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    uma = fake.user(4003, first_name="Umaima", username="uma_x")
    await sign_up(uma, postcode="ZE2 9AD", share_phone=True)
    await uma.send("/profile")
    await admin.send("/grant @uma_x organiser Shetland")
    assert "Umaima is now an organiser" in admin.last.text
    await outbox_drained(engine)  # her notice of it, before she sends anything else

    await uma.send("/forget")
    assert uma.last.text == texts.ASK_FORGET
    await uma.press(texts.FORGET_NO)
    assert uma.last.text == texts.FORGET_CANCELLED
    assert (await stored(engine, 4003)) is not None

    await uma.send("/forget")
    await uma.press(texts.FORGET_YES)
    assert uma.last.text == texts.FORGOTTEN
    assert await stored(engine, 4003) is None

    rows = await every_row(engine)
    flat = json.dumps(rows, default=str)
    for personal in (
        "Umaima",
        "uma_x",
        "+447700900123",
        "447700900123",
        "ZE2 9AD",
        "ZE29AD",
        "4003",
    ):
        assert personal not in flat, personal
    # Anonymous counts survive: one volunteer row, forgotten; consent marked withdrawn.
    (person,) = rows["volunteers"]
    assert person["status"] == "forgotten" and person["forgotten_at"] is not None
    assert rows["consents"][0]["withdrawn_at"] is not None
    assert rows["roles"] == []

    # Buttons from before are dead: the old profile's "Change name" changes nothing.
    await uma.press(texts.CHANGE[Step.NAME])
    assert uma.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    assert await every_row(engine) == rows
    # The bot no longer knows them: /mydata has nothing, and /start is a fresh sign-up.
    await uma.send("/mydata")
    assert uma.last.text == texts.MYDATA_NOTHING
    await uma.send("/start")
    assert uma.buttons() == [texts.CONSENT_YES, texts.CONSENT_NO]


async def test_forget_frees_places_and_erases_reasons(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    start = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        event_id = await events.create_event(
            conn,
            EventDraft(
                "canvass",
                "Doors",
                "Peckham",
                "Rye Lane",
                shifts=(ShiftDraft(start, start + timedelta(hours=3), 1),),
            ),
            created_by=ADMIN_ID,
            at=clock.now(),
        )
        event = await events.by_id(conn, event_id)
    assert event is not None
    vera, walt = fake.user(4101, first_name="Vera"), fake.user(4102, first_name="Walt")
    for person in (vera, walt):
        await sign_up(person)
        await person.send(f"/start {event.link_payload}")
    for person in (vera, walt):
        await person.press("Sat 28 Nov, 10:00-13:00 · 1 left")
    assert walt.callback_answers[-1]["text"].startswith("It's full: you're 1st on the waitlist.")

    await vera.send("/mydata")
    answers = json.loads(vera.last.document)["answers"]
    assert [(a["status"], a["title"]) for a in answers] == [("going", "Doors")]

    clock.set_time(start - timedelta(hours=3))  # late enough to be asked why
    await vera.send("/myshifts")
    await vera.press(texts.CANCEL_SHIFT)
    await vera.send("Family emergency, so sorry")
    await vera.send("/myshifts")
    assert vera.last.text == texts.MYSHIFTS_NONE
    await walt.send("/myshifts")  # Walt was promoted when Vera cancelled
    assert "✅ You're going" in walt.last.text
    await walt.send("/forget")
    await walt.press(texts.FORGET_YES)
    await vera.send("/start " + event.link_payload)
    await vera.press("Sat 28 Nov, 10:00-13:00 · 1 left")  # Walt's place came free
    assert vera.callback_answers[-1]["text"] == "You're going! 🎉"
    # A debrief note is free text too.
    vera_row = await stored(engine, 4101)
    assert vera_row is not None
    async with engine.begin() as conn:
        await conn.execute(
            update(rsvps_table)
            .where(rsvps_table.c.volunteer_id == vera_row.id)
            .values(debrief_note="Met Mrs Jones at number 12")
        )
    await vera.send("/mydata")
    assert "Met Mrs Jones" in vera.last.document.decode()
    await vera.send("/forget")
    await vera.press(texts.FORGET_YES)
    flat = json.dumps(await every_row(engine), default=str)
    assert "Family emergency" not in flat and "Vera" not in flat and "Walt" not in flat
    assert "Mrs Jones" not in flat
