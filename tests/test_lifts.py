"""Lifts end to end: the lift question on the going confirmation, a driver suggested to a rider,
both agreeing before anything is shared, a No thanks that shares nothing and tries the next
driver, a cancel that releases the match and tells the other, and the roster's cars and seats."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import texts
from db.schema import lift_matches, lifts, volunteers
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.fake_telegram.models import SentMessage
from tests.flows import new_event, outbox_drained, sign_up

SHIFT = "Sat 28 Nov, 10:00-13:00 · {left} left"
WHERE = "Peckham Saturday doors, Sat 28 Nov, 10:00-13:00"


def _seen(message: SentMessage) -> str:
    """Everything a message ever said, edits included."""
    return " ".join([message.text or "", *(str(old.get("text")) for old in message.edit_history)])


def _everything(user: FakeUser) -> str:
    return " ".join(_seen(message) for message in user.messages)


async def _volunteer(
    fake: FakeTelegram, number: int, name: str, username: str | None, postcode: str = "se15 4qr"
) -> FakeUser:
    person = fake.user(number, first_name=name, username=username)
    await sign_up(person, postcode=postcode)
    return person


async def _going(person: FakeUser, payload: str, engine: AsyncEngine, left: int) -> None:
    await person.send(f"/start {payload}")
    await person.press(SHIFT.format(left=left))
    await outbox_drained(engine)


async def _rows(engine: AsyncEngine) -> tuple[list[tuple], list[tuple]]:
    async with engine.connect() as conn:
        names = dict((await conn.execute(select(volunteers.c.id, volunteers.c.name))).all())
        offered = [
            (names[row.volunteer_id], row.role, row.seats)
            for row in await conn.execute(select(lifts).order_by(lifts.c.id))
        ]
        matched = [
            (names[row.driver_id], names[row.rider_id], row.status)
            for row in await conn.execute(select(lift_matches).order_by(lift_matches.c.id))
        ]
    return offered, matched


async def test_lifts_offered_matched_agreed_declined_and_released(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga)
    await admin.send("/grant @olga organiser Peckham")
    payload = await new_event(olga, shifts=("10:00-13:00 10",))

    # Dan drives from Peckham (SE15 4); Rita, in Brockley (SE4 1), needs a lift.
    dan = await _volunteer(fake, 8101, "Dan", "dan_drives", postcode="se15 4qr")
    rita = await _volunteer(fake, 8102, "Rita", "rita_rides", postcode="se4 1aa")
    await _going(dan, payload, engine, 10)
    confirmation = dan.last
    assert confirmation.file_name == "shift.ics"  # the question rides on the confirmation
    assert confirmation.text.endswith(texts.LIFT_QUESTION)
    assert confirmation.buttons == [
        "I can take 1",
        "I can take 2",
        "I can take 3",
        "I can take 4",
        texts.LIFT_NEED,
        texts.LIFT_NEITHER,
    ]
    await dan.press("I can take 2")
    assert dan.callback_answers[-1]["text"] == texts.lift_noted("driver", 2)
    assert "✅ I can take 2" in dan.last.buttons  # ticked, and he may still change it

    await _going(rita, payload, engine, 9)
    await rita.send("need a lift")  # typed, to the question on her confirmation
    assert rita.last.text == texts.lift_noted("rider", 0)
    await outbox_drained(engine)
    # Each is told of the other by first name and roughly how far away, nothing more.
    assert rita.last.text.startswith("🚗 Dan (about 3 km from you) could give you a lift to ")
    assert WHERE in rita.last.text
    assert dan.last.text.startswith("🚗 Rita (about 3 km from you) needs a lift to ")
    assert rita.last.buttons == [texts.LIFT_AGREE, texts.LIFT_NO_THANKS]
    assert "dan_drives" not in _everything(rita) and "rita_rides" not in _everything(dan)
    assert await _rows(engine) == (
        [("Dan", "driver", 2), ("Rita", "rider", None)],
        [("Dan", "Rita", "suggested")],
    )

    await rita.press(texts.LIFT_AGREE)
    assert "You agreed. I'll tell you as soon as Dan does too." in rita.last.text
    await outbox_drained(engine)
    assert "rita_rides" not in _everything(dan)  # one yes shares nothing
    await dan.press(texts.LIFT_AGREE)
    assert "It's agreed: you're giving Rita a lift to" in dan.last.text
    assert "Rita is @rita_rides on Telegram" in dan.last.text
    await outbox_drained(engine)
    assert "It's agreed: Dan is giving you a lift to" in rita.last.text
    assert "Dan is @dan_drives on Telegram" in rita.last.text
    assert (await _rows(engine))[1] == [("Dan", "Rita", "agreed")]

    # Sam (no username) needs a lift too; Kim offers one from further off.
    sam = await _volunteer(fake, 8103, "Sam", None, postcode="se15 5aa")
    kim = await _volunteer(fake, 8104, "Kim", "kim_k", postcode="se14 5aa")
    await _going(kim, payload, engine, 8)
    await kim.press("I can take 1")
    await _going(sam, payload, engine, 7)
    await sam.press(texts.LIFT_NEED)
    await outbox_drained(engine)
    assert sam.last.text.startswith("🚗 Dan (about 1 km from you)")  # nearest, a seat left
    await sam.press(texts.LIFT_NO_THANKS)
    assert "OK, not this time. I'll look for another driver near you." in sam.last.text
    await outbox_drained(engine)
    # Dan's card says it didn't work out; Sam is offered Kim, the next nearest.
    dan_card = next(m for m in reversed(dan.messages) if m.text.startswith("🚗 Sam"))
    assert "This one didn't work out, sorry." in dan_card.text
    assert dan_card.buttons == []
    assert sam.last.text.startswith("🚗 Kim (about 2 km from you) could give you a lift")
    assert kim.last.text.startswith("🚗 Sam (about 2 km from you) needs a lift")
    # Nothing of either was shared with the other.
    assert "dan_drives" not in _everything(sam)
    assert "Sam has no Telegram username" not in _everything(dan)
    await kim.press(texts.LIFT_AGREE)
    await sam.send("yes")  # typed, to the newest suggestion
    assert "Kim is @kim_k on Telegram" in sam.last.text
    await outbox_drained(engine)
    assert "Sam has no Telegram username, so I can't link you" in kim.last.text
    assert "Why not meet at the meeting point (Rye Lane Library, SE15 4QR)" in kim.last.text
    assert (await _rows(engine))[1] == [
        ("Dan", "Rita", "agreed"),
        ("Dan", "Sam", "declined"),
        ("Kim", "Sam", "agreed"),
    ]

    await olga.send("/roster")
    roster = olga.last.text
    assert "🚗 Cars: 2, free seats: 1 - Dan (takes 2: Rita), Kim (takes 1: Sam)" in roster
    assert "🙋 Need a lift: 2 - Rita (with Dan), Sam (with Kim)" in roster

    # Rita can't come after all: the lift is off, Dan is told kindly, and his seat is free.
    await rita.send("/myshifts")
    await rita.press(texts.CANCEL_SHIFT)
    await outbox_drained(engine)
    assert dan.last.text == (
        f"🚗 Sorry: Rita can't share the lift to {WHERE} after all, so it's off. "
        "Your seat is free again."
    )
    offered, matched = await _rows(engine)
    assert ("Rita", "rider", None) not in offered
    assert matched == [("Dan", "Sam", "declined"), ("Kim", "Sam", "agreed")]
    await olga.send("/roster")
    assert "🚗 Cars: 2, free seats: 2 - Dan (takes 2), Kim (takes 1: Sam)" in olga.last.text

    # /mydata holds his lift and the pairing he was part of, nothing of the other person.
    await dan.send("/mydata")
    mine = json.loads(dan.last.document)
    assert [(row["role"], row["seats"]) for row in mine["lifts"]] == [("driver", 2)]
    assert [(row["you_were"], row["status"]) for row in mine["lift_matches"]] == [
        ("driver", "declined")
    ]
    assert "Sam" not in json.dumps(mine)


async def test_lift_answers_change_from_myshifts_and_refuse_those_not_going(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga)
    await admin.send("/grant @olga organiser Peckham")
    payload = await new_event(olga, shifts=("10:00-13:00 10",))
    dan = await _volunteer(fake, 8101, "Dan", "dan_drives")
    await _going(dan, payload, engine, 10)
    confirmation = dan.last
    await dan.send("7 seats")
    assert dan.last.text == texts.LIFT_SEATS_RANGE
    assert await _rows(engine) == ([], [])
    await dan.send("3 seats")
    assert dan.last.text == texts.lift_noted("driver", 3)
    assert (await _rows(engine))[0] == [("Dan", "driver", 3)]

    await dan.send("/myshifts")
    await dan.press(texts.LIFT_BUTTON)
    assert dan.last.text.endswith("Now: you can take 3.")
    assert "✅ I can take 3" in dan.last.buttons
    await dan.send("no thanks")  # Neither, to the question just shown again
    assert dan.last.text == texts.LIFT_NEITHER_NOTED
    assert (await _rows(engine))[0] == []

    # A button we never offered (another shift, a made-up match) changes nothing.
    await dan.press_data("lf:4.999", confirmation)
    assert dan.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    await dan.press_data("lr:y.1", confirmation)
    assert dan.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    assert await _rows(engine) == ([], [])

    # Once he can't come, the old buttons say so and change nothing.
    await dan.send("/myshifts")
    await dan.press(texts.CANCEL_SHIFT)
    first = confirmation.reply_markup["inline_keyboard"][0][0]["callback_data"]
    await dan.press_data(first, confirmation)
    assert dan.callback_answers[-1]["text"] == texts.LIFT_NOT_GOING
    assert (await _rows(engine))[0] == []
