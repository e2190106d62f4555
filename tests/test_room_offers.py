"""Room offers end to end through the fake Bot API: once a volunteer pledges, the committee room
that needs them most near them is offered (Yes / Another room / Not sure yet), by tap and by
typing; Yes is an RSVP with its confirmation, Another room the next best, Not sure yet nothing
until the countdown offers again, a week before polling day at 18:00."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.flows import (
    committee_room,
    going_where,
    new_election,
    outbox_drained,
    room_offered,
    run_scheduler,
    sign_up,
)

PECKHAM = "Peckham committee room"
BRIXTON = "Brixton committee room"


async def test_pledges_are_offered_rooms_and_the_countdown_asks_again(
    fake: FakeTelegram, app: Application, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, "Admin")
    cora, olly = fake.user(6101, "Cora", username="cora"), fake.user(6102, "Olly", username="olly")
    vera, will, xan = fake.user(6201, "Vera"), fake.user(6202, "Will"), fake.user(6203, "Xan")
    for organiser in (cora, olly):
        await sign_up(organiser, postcode="M1 1AE")
    for volunteer in (vera, will, xan):
        await sign_up(volunteer)  # SE15 4
    for area in ("Peckham", "Brixton"):
        await admin.send(f"/grant @cora coordinator {area}")
        await admin.send(f"/grant @olly organiser {area}")
    await new_election(cora)
    # Peckham, round the corner, wants 6; Brixton, 4 km off, 3.
    await committee_room(olly, "Peckham", "07:00-12:00 6")
    brixton = await committee_room(olly, "Brixton", "07:00-12:00 3")

    # Vera pledges by tapping: Peckham is offered, and she taps Yes.
    await vera.send("/pledge")
    await vera.press("Morning")
    question = vera.last
    await vera.press(texts.PLEDGE_DONE)
    assert (question.text or "").startswith("🙌 Thank you for pledging")
    await outbox_drained(engine)
    await room_offered(vera, PECKHAM)
    offer = vera.last
    assert f"{PECKHAM} needs 6 more from 07:00: can you be there?" in (offer.text or "")
    assert "Thu 6 May: 07:00-12:00 · Rye Lane Library, SE15 4QR" in (offer.text or "")
    await vera.press(texts.OFFER_YES)
    assert offer.edited and f"✅ {PECKHAM}: thank you!" in (offer.text or "")
    assert "Thu 6 May, 07:00-12:00: you're going" in (offer.text or "")
    assert not vera.buttons(offer)
    await outbox_drained(engine)
    # The confirmation any RSVP brings: the calendar file, its caption the meeting point (with
    # a map link) and the lift question; no map pin as well, which the "See you soon!" brings.
    assert any(m.method == "sendDocument" and PECKHAM in (m.text or "") for m in vera.messages)
    assert not any(m.venue for m in vera.messages)
    assert await going_where(engine) == {6201: [PECKHAM]}

    # Will pledges by typing, and asks for another room by typing too, then says yes.
    await will.send("/pledge")
    await will.send("morning")
    await outbox_drained(engine)
    await room_offered(will, PECKHAM)
    assert f"{PECKHAM} needs 5 more from 07:00" in (will.last.text or "")
    first = will.last
    await will.send("another room")
    assert f"{BRIXTON} needs 3 more from 07:00: can you be there?" in (first.text or "")
    await will.send("another room")
    assert first.text == texts.OFFER_NONE_LEFT  # never the same room twice
    assert not will.buttons(first)
    await will.send("/pledge")
    await will.send("morning")  # the same pledge again: a new chain, Peckham first again
    await outbox_drained(engine)
    await room_offered(will, PECKHAM)
    second = will.last
    await will.press(texts.OFFER_ANOTHER)
    assert f"{BRIXTON} needs 3 more" in (second.text or "")
    await will.send("yes")
    assert f"✅ {BRIXTON}: thank you!" in (second.text or "")
    assert await going_where(engine) == {6201: [PECKHAM], 6202: [BRIXTON]}

    # Xan pledges twice before answering: the first offer's buttons have lapsed.
    await xan.send("/pledge")
    await xan.send("all day")
    await outbox_drained(engine)
    await room_offered(xan, PECKHAM)
    lapsed = xan.last
    await xan.send("/pledge")
    await xan.send("all day")
    await outbox_drained(engine)
    await room_offered(xan, PECKHAM)
    assert xan.last is not lapsed
    (yes, *_), *_ = (lapsed.reply_markup or {})["inline_keyboard"]
    await xan.press_data(yes["callback_data"], lapsed)
    assert xan.callback_answers[-1]["text"] == texts.OFFER_LAPSED
    # Not sure yet: nothing is stored, and the countdown asks again.
    await xan.press(texts.OFFER_NOT_SURE)
    assert xan.last.text == texts.OFFER_LATER
    assert 6203 not in await going_where(engine)
    # He looks at Brixton's card from its link, and leaves it.
    await xan.send(f"/start {brixton}")
    assert BRIXTON in (xan.last.text or "")

    await run_scheduler(app, engine)
    clock.set_time(datetime(2027, 4, 29, 17, 0, tzinfo=UTC))  # 18:00 BST, a week before
    await run_scheduler(app, engine)
    week = xan.last
    assert (week.text or "").startswith("🗳 Polling day is a week away")
    assert f"You haven't a committee room yet.\n🏠 {PECKHAM} needs 5 more from 07:00" in (
        week.text or ""
    )
    assert xan.buttons(week) == [texts.OFFER_YES, texts.OFFER_ANOTHER, texts.OFFER_NOT_SURE]
    # Those with a room get it, not an offer.
    assert f"Your committee room: {BRIXTON}" in (will.last.text or "")
    assert not will.buttons(will.last)
    # "yes" answers the offer, the newest question, not the older card.
    await xan.send("yes")
    assert f"✅ {PECKHAM}: thank you!" in (week.text or "")
    await outbox_drained(engine)
    assert await going_where(engine) == {6201: [PECKHAM], 6202: [BRIXTON], 6203: [PECKHAM]}
