"""/surge end to end through the fake Bot API, on polling day with the clock moved: a surge
where more accept than are needed (the extra sent to the other room still short, with its
distance), one where too few accept (a second batch ten minutes on), the manager's one message
edited with the count, Stop, the daily cap, and /surge refused to a volunteer and to an
organiser of another area."""

from __future__ import annotations

import bisect
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.settings import Settings
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.fake_telegram.models import SentMessage
from tests.flows import (
    committee_room,
    going_where,
    new_election,
    outbox_drained,
    run_scheduler,
    sign_up,
    surge_asked,
    until,
)

PECKHAM = "Peckham committee room"
BRIXTON = "Brixton committee room"


async def _asked_now(user: FakeUser, room: str) -> None:
    await until(
        lambda: any(f"{room} urgently needs helpers" in (m.text or "") for m in user.messages)
    )


def _ask(user: FakeUser, room: str) -> SentMessage:
    return next(
        m for m in reversed(user.messages) if f"{room} urgently needs helpers" in (m.text or "")
    )


async def test_surges_ask_the_nearest_free_people_in_batches_until_enough_come(
    fake: FakeTelegram, app: Application, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, "Admin")
    cora, olly = fake.user(6101, "Cora", username="cora"), fake.user(6102, "Olly", username="olly")
    bea = fake.user(6103, "Bea", username="bea")
    people = [fake.user(6200 + n, f"Vol{n}") for n in range(1, 7)]
    for organiser in (cora, olly, bea):
        await sign_up(organiser, postcode="M1 1AE")
    for person in people[:5]:
        await sign_up(person)  # SE15 4
    await sign_up(people[5], when=("Polling day",))  # free on polling day, no pledge
    for area in ("Peckham", "Brixton"):
        await admin.send(f"/grant @cora coordinator {area}")
        await admin.send(f"/grant @olly organiser {area}")
    await admin.send("/grant @bea organiser Lewisham")
    await new_election(cora)
    await committee_room(olly, "Peckham", "07:00-12:00 10")
    await committee_room(olly, "Brixton", "07:00-12:00 3")
    for person in people[:5]:
        await person.send("/pledge")
        await person.send("morning")
    await outbox_drained(engine)
    # The room offers that follow a pledge are left unanswered.

    # Polling day, 09:00 BST.
    clock.set_time(datetime(2027, 5, 6, 8, 0, tzinfo=UTC))
    await run_scheduler(app, engine)

    # A volunteer, and an organiser of another area, may not surge.
    await people[0].send("/surge")
    assert people[0].last.text == texts.not_allowed("organiser")
    await bea.send("/surge")
    assert bea.last.text == texts.SURGE_NO_ROOMS

    # Olly, an organiser of Peckham, wants 1 helper now: three are asked, nearest first.
    await olly.send("/surge")
    assert olly.last.text == texts.SURGE_PICK_ROOM
    assert olly.buttons(olly.last) == [BRIXTON, PECKHAM]
    await olly.send("peckham committee room")  # typed, as a tap
    await olly.send("none")  # not a number: what to type or tap, nothing changes
    assert "type" in (olly.last.text or "").lower()
    await olly.send("0")
    assert olly.last.text == texts.SURGE_BAD_WANTED
    await olly.send("1")
    assert "How soon do you need them?" in (olly.last.text or "")
    count = olly.last
    await olly.press("Now")
    assert f"Surge for {PECKHAM}: 1 wanted now" in (count.text or "")
    assert olly.buttons(count) == [texts.SURGE_STOP]
    await outbox_drained(engine)
    first_three = people[:3]
    assert await surge_asked(engine) == [6201, 6202, 6203]
    asks = {}
    for person in first_three:
        await _asked_now(person, PECKHAM)
        asks[person.id] = ask = _ask(person, PECKHAM)
        assert "Can you come now?" in (ask.text or "")
        assert "Rye Lane Library, SE15 4QR · about 1 km from you" in (ask.text or "")
        assert person.buttons(ask) == [texts.SURGE_YES, texts.SURGE_CANT]
        assert any(m.venue and m.venue["title"] == PECKHAM for m in person.messages)
    assert not any("urgently" in (m.text or "") for m in people[3].messages)

    # The first yes is confirmed; the second, typed, is sent to Brixton, still short, with how
    # far it is, and takes it; the third can't. The manager's message counts them.
    await people[0].press(texts.SURGE_YES)
    assert f"✅ {PECKHAM}: thank you!" in (asks[6201].text or "")
    await people[1].send("yes")
    redirect = asks[6202]
    assert f"{PECKHAM} has all the helpers it asked for" in (redirect.text or "")
    assert f"{BRIXTON}, about 3 km from you, is still short" in (redirect.text or "")
    assert people[1].buttons(redirect) == [texts.SURGE_GO, texts.SURGE_NO_THANKS]
    await people[1].press(texts.SURGE_GO)
    assert f"✅ {BRIXTON}: thank you!" in (redirect.text or "")
    await people[2].press(texts.SURGE_CANT)
    assert asks[6203].text == texts.SURGE_CANT_THANKS
    await outbox_drained(engine)
    await until(lambda: "✅ 1 of 1 coming · ❌ 1 can't" in (count.text or ""))
    assert count.edited and not olly.buttons(count)  # filled: no Stop
    assert await going_where(engine) == {6201: [PECKHAM], 6202: [BRIXTON]}

    # Cora, a coordinator, wants 1 at Brixton: three asked (not those going somewhere now).
    await cora.send("/surge")
    await cora.press(BRIXTON)
    await cora.press("1")
    brixton_count = cora.last
    await cora.press("Now")
    await outbox_drained(engine)
    assert await surge_asked(engine) == [6201, 6202, 6203, 6203, 6204, 6205]
    await people[2].press(texts.SURGE_CANT)
    # Ten minutes on, nobody has said yes: the next batch asks the one left, who comes.
    clock.set_time(datetime(2027, 5, 6, 8, 10, tzinfo=UTC))
    await run_scheduler(app, engine)
    await _asked_now(people[5], BRIXTON)
    assert (await surge_asked(engine))[-1] == 6206
    late_ask = _ask(people[5], BRIXTON)
    await people[5].press(texts.SURGE_YES)
    assert f"✅ {BRIXTON}: thank you!" in (late_ask.text or "")
    await outbox_drained(engine)
    await until(lambda: "✅ 1 of 1 coming · ❌ 1 can't" in (brixton_count.text or ""))
    assert "Asked so far: 4." in (brixton_count.text or "")

    # A third surge at Peckham: Vol3 has been asked twice today, the cap, and is not asked
    # again; Olly stops it, and a later yes is thanked and told not to come.
    await olly.send("/surge")
    await olly.press(PECKHAM)
    await olly.press("2")
    third = olly.last
    await olly.press("Now")
    await outbox_drained(engine)
    assert (await surge_asked(engine))[-2:] == [6204, 6205]
    assert (await surge_asked(engine)).count(6203) == 2
    await olly.press(texts.SURGE_STOP)
    assert "Stopped" in (third.text or "") and not olly.buttons(third)
    stopped_ask = _ask(people[3], PECKHAM)
    await people[3].press(texts.SURGE_YES)
    assert f"{PECKHAM} has stopped asking: no need to come now" in (stopped_ask.text or "")
    assert 6204 not in await going_where(engine)


async def test_a_surge_at_telegrams_pace_sends_each_person_a_message_a_second_at_most(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    """The asks and their map pins go in the one budget: within the rate, and one chat's two
    messages at least a second apart (each pin waits for its own question's second to pass)."""
    pace = {"send_rate": 10, "send_per_chat_seconds": 1.0}
    app = await start_application(fake, settings.model_copy(update=pace), engine, deep_links)
    try:
        admin = fake.user(ADMIN_ID, "Admin")
        olly = fake.user(6102, "Olly", username="olly")
        people = [fake.user(6200 + n, f"Vol{n}") for n in range(1, 5)]
        await sign_up(olly, postcode="M1 1AE")
        for person in people:
            await sign_up(person, when=("Polling day",))
        await admin.send("/grant @olly coordinator Peckham")
        await new_election(olly, areas="Peckham")
        await committee_room(olly, "Peckham", "07:00-12:00 10")
        clock.set_time(datetime(2027, 5, 6, 8, 0, tzinfo=UTC))
        began = len(fake.timeline())
        await olly.send("/surge")
        await olly.press(PECKHAM)  # asked for even when there is only one
        await olly.press("2")  # six asked: more than the four there are, so all four
        await olly.press("Now")
        await outbox_drained(engine)
        for person in people:
            await until(lambda p=person: any(m.venue for m in p.messages), within=10)
    finally:
        await stop_application(app)

    timeline = fake.timeline()[began:]
    asked = {p.id for p in people}
    sent = [
        (at, method, int(params["chat_id"]))
        for at, method, params in timeline
        if int(params.get("chat_id", 0)) in asked
    ]
    assert len(sent) == 2 * len(people)
    for person in people:
        ask, pin = [(at, method) for at, method, chat in sent if chat == person.id]
        assert (ask[1], pin[1]) == ("sendMessage", "sendVenue")
        assert pin[0] - ask[0] >= 1.0
    # Within the rate in every sliding second, counting all the bot sent meanwhile.
    naming = sorted(at for at, _, params in timeline if params.get("chat_id") is not None)
    busiest = max(
        bisect.bisect_left(naming, start + 1.0) - index for index, start in enumerate(naming)
    )
    assert busiest <= pace["send_rate"]
