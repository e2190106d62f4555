"""/nearest end to end: ranked by need against distance with a reason on every line, from a
stored typed postcode or from a place given for this search only (never stored), the nearest
targets when nothing is within reach, and one tap from a suggestion to its RSVP card."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from db.schema import callouts, cards, events, outbox, targets
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, new_event, outbox_drained, sign_up, stored

# Map pins of the meeting points, and the sector centres they are measured from.
PECKHAM_STALL = (51.4700, -0.0690)  # 0.4 km from the centre of SE15 4
QUEENS_ROAD = (51.4740, -0.0570)  # 1.3 km
LEWISHAM = (51.4594, -0.0019)  # 4.8 km
BATTERSEA = (51.4682, -0.1566)  # 6.0 km
YORK = (53.9611, -1.0803)
PECKHAM_SHARED = (51.4690, -0.0700)  # where a volunteer stands when they share a location


async def _target(
    engine: AsyncEngine,
    name: str,
    priority: int,
    why: str,
    at: tuple[float, float],
    *,
    wanted: int | None = None,
    events_titled: tuple[str, ...] = (),
) -> None:
    async with engine.begin() as conn:
        target_id = (
            await conn.execute(
                insert(targets)
                .values(
                    name=name,
                    kind="seat",
                    priority=priority,
                    why=why,
                    latitude=at[0],
                    longitude=at[1],
                    location_source="shared",
                    helpers_wanted=wanted,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
                .returning(targets.c.id)
            )
        ).scalar_one()
        if events_titled:
            await conn.execute(
                update(events).where(events.c.title.in_(events_titled)).values(target_id=target_id)
            )


async def _campaign(fake: FakeTelegram, engine: AsyncEngine) -> FakeUser:
    """An organiser (from Ealing, far from it all) with five Saturday sessions: four around
    Peckham, one of them already full, and one in York; three targets."""
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga, postcode="W5 5DB")
    await fake.user(ADMIN_ID, first_name="Ada").send("/grant @olga organiser Peckham")
    await new_event(olga, title="Peckham stall", pin=PECKHAM_STALL, shifts=("10:00-13:00 6",))
    full = await new_event(
        olga, title="Queens Road doors", pin=QUEENS_ROAD, shifts=("10:00-13:00 1",)
    )
    await new_event(olga, title="Lewisham doors", pin=LEWISHAM, shifts=("11:00-14:00 10",))
    await new_event(olga, title="Battersea doors", pin=BATTERSEA, shifts=("10:00-13:00 12",))
    await new_event(olga, title="York doors", pin=YORK, shifts=("10:00-13:00 12",))
    await _target(
        engine,
        "Battersea",
        1,
        "Held by 200 votes",
        BATTERSEA,
        wanted=20,
        events_titled=("Battersea doors",),
    )
    await _target(
        engine, "Lewisham East", 3, "A ward to hold", LEWISHAM, events_titled=("Lewisham doors",)
    )
    await _target(engine, "York Central", 2, "A long shot worth a push", YORK)
    # The organiser takes the one place at Queens Road.
    await olga.send(f"/start {full}")
    await olga.press("Sat 28 Nov, 10:00-13:00 · 1 left")
    return olga


async def test_nearest_from_a_stored_postcode_ranks_need_against_distance(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _campaign(fake, engine)
    dee = fake.user(6001, first_name="Dee")
    await sign_up(dee, postcode="se15 4qr")

    await dee.send("/nearest")
    answer = dee.last
    assert answer.text.splitlines() == [
        "Where you're needed (next 14 days, within 25 km; most needed and nearest first)",
        "",
        "1. Battersea doors · target seat, priority 1, 20 more helpers wanted that day · "
        "Sat 28 Nov, 10:00, 12 places left · about 6 km",
        "2. Peckham stall · Sat 28 Nov, 10:00, 6 places left · about 1 km",
        "3. Lewisham doors · target seat, priority 3 · Sat 28 Nov, 11:00, 10 places left · "
        "about 5 km",
        "4. Queens Road doors · Sat 28 Nov, 10:00, full: waitlist only · about 1 km",
        "",
        texts.NEAREST_TAP,
    ]
    assert answer.buttons == [
        "1. Battersea doors · Sat 28 Nov, 10:00",
        "2. Peckham stall · Sat 28 Nov, 10:00",
        "3. Lewisham doors · Sat 28 Nov, 11:00",
        "4. Queens Road doors · Sat 28 Nov, 10:00",
    ]

    # A tap opens the session's RSVP card, as its share link would; one more says going.
    await dee.press("1. Battersea doors · Sat 28 Nov, 10:00")
    card = dee.last
    assert "Battersea doors" in card.text
    await dee.press("Sat 28 Nov, 10:00-13:00 · 12 left")
    assert dee.callback_answers[-1]["text"] == "You're going! 🎉"
    async with engine.connect() as conn:
        assert (
            await conn.scalar(select(cards.c.kind).where(cards.c.message_id == card.message_id))
        ) == "event"

    # Asked again, the session she is going to is no longer suggested, and Battersea's helpers
    # that day count her.
    await dee.send("/nearest")
    assert "Battersea doors" not in dee.last.text
    assert dee.last.text.splitlines()[2].startswith("1. Peckham stall")

    # Nothing of this changed where she is on the map.
    dee_now = await stored(engine, 6001)
    assert dee_now is not None and dee_now.postcode == "SE15 4QR"


async def test_nearest_is_in_help_and_refuses_someone_not_signed_up(
    app: Application, fake: FakeTelegram
) -> None:
    stranger = fake.user(6100, first_name="Sam")
    await stranger.send("/nearest")
    assert stranger.last.text == texts.NOT_SIGNED_UP
    await sign_up(stranger)
    await stranger.send("/help")
    assert "/nearest - Where you're needed" in stranger.last.text
    assert "nearest" in [c["command"] for c in fake.commands({"type": "all_private_chats"})]


async def test_a_place_given_for_one_search_is_used_and_never_stored(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _campaign(fake, engine)
    # A Belfast postcode is not on the packaged map: /nearest has nowhere to look from.
    bea = fake.user(6002, first_name="Bea", location=PECKHAM_SHARED)
    await sign_up(bea, postcode="BT1 5GS")
    before = await every_row(engine)

    await bea.send("/nearest")
    assert bea.last.text == texts.NEAREST_ASK_PLACE
    assert bea.reply_buttons() == [texts.SHARE_LOCATION_ONCE]
    await bea.press(texts.SHARE_LOCATION_ONCE)
    assert bea.messages[-2].text == texts.NEAREST_LOOKING
    lines = bea.last.text.splitlines()
    assert lines[2] == (
        "1. Battersea doors · target seat, priority 1, 20 more helpers wanted that day · "
        "Sat 28 Nov, 10:00, 12 places left · 6 km"
    )
    assert lines[3] == "2. Peckham stall · Sat 28 Nov, 10:00, 6 places left · under 1 km"

    # A postcode typed in answer works too: one not on the map is asked again.
    await bea.send("/nearest")
    await bea.send("ZZ1 1ZZ")
    assert bea.last.text == texts.nearest_postcode_unknown("ZZ1 1ZZ")
    await bea.send("se15 4qr")
    assert bea.last.text.splitlines()[2].startswith("1. Battersea doors")
    assert bea.last.text.splitlines()[2].endswith("about 6 km")

    # Shared and typed places were used for those answers only: not a row anywhere changed,
    # and a location shared afterwards is a check-in attempt again, not a search.
    assert await every_row(engine) == before
    bea_now = await stored(engine, 6002)
    assert bea_now is not None
    assert (bea_now.postcode, bea_now.latitude, bea_now.longitude) == ("BT1 5GS", None, None)
    await bea.share_location(*PECKHAM_SHARED)
    assert bea.last.text == texts.NOTHING_TO_CHECK_IN


async def test_a_postcode_after_the_command_is_searched_from_and_never_stored(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _campaign(fake, engine)
    # Lee lives in Leeds, far from it all; Bea in Belfast, which the packaged map lacks.
    lee = fake.user(6003, first_name="Lee")
    await sign_up(lee, postcode="LS1 4AP")
    bea = fake.user(6002, first_name="Bea")
    await sign_up(bea, postcode="BT1 5GS")
    before = await every_row(engine)

    await lee.send("/nearest se15 4qr")
    assert lee.messages[-2].text == texts.NEAREST_LOOKING
    lines = lee.last.text.splitlines()
    assert lines[2] == (
        "1. Battersea doors · target seat, priority 1, 20 more helpers wanted that day · "
        "Sat 28 Nov, 10:00, 12 places left · about 6 km"
    )
    assert lines[3] == "2. Peckham stall · Sat 28 Nov, 10:00, 6 places left · about 1 km"
    assert lee.last.buttons[0] == "1. Battersea doors · Sat 28 Nov, 10:00"

    # Words that are not a postcode, and a postcode not on the map: a reply saying what to do,
    # and no question put (a postcode typed next is not taken as an answer).
    await lee.send("/nearest Peckham please")
    assert lee.last.text == texts.NEAREST_USAGE
    await lee.send("/nearest ZZ1 1ZZ")
    assert lee.last.text == texts.nearest_argument_unknown("ZZ1 1ZZ")
    assert not app.user_data[lee.id].looking_from

    # Asked where to look from, the command with a postcode answers it as typing one would.
    await bea.send("/nearest")
    assert bea.last.text == texts.NEAREST_ASK_PLACE
    assert bea.reply_buttons() == [texts.SHARE_LOCATION_ONCE]
    await bea.send("/nearest SE15 4QR")
    assert bea.messages[-2].text == texts.NEAREST_LOOKING
    assert bea.reply_buttons() == []
    assert bea.last.text.splitlines()[2].startswith("1. Battersea doors")
    assert not app.user_data[bea.id].looking_from

    # Used for those answers only: not a row anywhere changed.
    assert await every_row(engine) == before
    lee_now, bea_now = await stored(engine, 6003), await stored(engine, 6002)
    assert lee_now is not None and lee_now.postcode == "LS1 4AP"
    assert bea_now is not None
    assert (bea_now.postcode, bea_now.latitude, bea_now.longitude) == ("BT1 5GS", None, None)


async def test_nothing_near_says_so_and_shows_the_nearest_targets(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _campaign(fake, engine)
    # In Leeds: York is 36 km away, beyond the 25 km /nearest looks.
    lee = fake.user(6003, first_name="Lee")
    await sign_up(lee, postcode="LS1 4AP")
    await lee.send("/nearest")
    assert lee.last.text.splitlines() == [
        "Nothing in the next 14 days within 25 km of you, sorry.",
        "",
        "The nearest targets:",
        "• York Central (target seat, priority 2) · about 36 km: A long shot worth a push",
        "• Battersea (target seat, priority 1) · about 275 km: Held by 200 votes",
        "• Lewisham East (target seat, priority 3) · about 280 km: A ward to hold",
        "",
        "I'll message you when there's a session near you.",
    ]
    assert lee.last.buttons == []


async def test_a_call_to_people_near_with_no_session_that_weekend(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga, postcode="W5 5DB")  # Ealing: 14 km away
    await fake.user(ADMIN_ID, first_name="Ada").send("/grant @olga organiser Peckham")
    await new_event(olga, title="Saturday doors", pin=PECKHAM_STALL)
    sunday = await new_event(olga, title="Sunday stall", pin=PECKHAM_STALL, day="Sun 29 Nov")
    later = await new_event(olga, title="Next Saturday", pin=PECKHAM_STALL, day="Sat 5 Dec")
    amy, ben, cat, dan = (
        fake.user(6200 + n, first_name=name) for n, name in enumerate(["Amy", "Ben", "Cat", "Dan"])
    )
    for person in (amy, ben, cat):
        await sign_up(person, postcode="se15 4qr")
    await sign_up(dan, postcode="w5 5db")
    # Amy is going on Sunday: that weekend she is busy. Ben is going the weekend after.
    await amy.send(f"/start {sunday}")
    await amy.press("Sun 29 Nov, 10:00-13:00 · 6 left")
    await ben.send(f"/start {later}")
    await ben.press("Sat 5 Dec, 10:00-13:00 · 6 left")

    await olga.send("/callout")
    await olga.press("Sat 28 Nov · Saturday doors")
    await olga.press(texts.NEXT)
    await olga.press("📍 Near the meeting point: off")  # -> 2 km
    await olga.press("📍 Near the meeting point: 2 km")  # -> 5 km
    assert "This call would reach <b>3</b> volunteers" in olga.last.html
    await olga.press("No session that weekend")
    assert "within 5 km of the meeting point; have no session that weekend" in olga.last.text
    assert "This call would reach <b>2</b> volunteers" in olga.last.html
    await olga.press(texts.NEXT)
    await olga.press(texts.SKIP)
    await olga.press(texts.SEND_NOW)
    await outbox_drained(engine)
    async with engine.connect() as conn:
        called = (
            await conn.scalars(select(outbox.c.chat_id).where(outbox.c.kind == "callout"))
        ).all()
    assert sorted(called) == [ben.id, cat.id]
    async with engine.connect() as conn:
        (audience,) = (await conn.scalars(select(callouts.c.audience))).all()
    assert audience["free_that_weekend"] is True
    assert audience["within_km"] == 5
