"""A whole polling day in one walk through the fake Bot API, moving the clock as the day goes: a
coordinator sets up the election and a room's manager and target; an organiser sends the pledge
call; volunteers pledge by tap and by typing; room offers are accepted, passed to another room
and put off; the countdown arrives at local (summer) times; on the day people check in, go out
on rounds and come back with their doors; one surge has more yeses than it wants (the extra is
sent to the other room still short) and one too few (a second batch goes ten minutes on); a
board in a private chat and one in the room's group are edited as people arrive; and at 22:00
the close-of-polls report adds up to what happened. The parts are walked in more detail in
test_polling, test_room_offers, test_rounds, test_surge, test_board and test_closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain.rounds import Tally
from db.schema import pledges
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.fake_telegram.models import SentMessage
from tests.flows import (
    committee_room,
    going_where,
    new_election,
    outbox_drained,
    room_offered,
    run_scheduler,
    sign_up,
    surge_asked,
    until,
)

PECKHAM = "Peckham committee room"
BRIXTON = "Brixton committee room"
GROUP = -100_515


def _bst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A London summer time, in UTC."""
    return datetime(2027, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


async def _at(app: Application, engine: AsyncEngine, moment: datetime) -> None:
    """The clock moved on, and what the scheduler does on its own by then done."""
    clock.set_time(moment)
    await run_scheduler(app, engine)


def _surge_ask(user: FakeUser, room: str) -> SentMessage:
    return next(
        m for m in reversed(user.messages) if f"{room} urgently needs helpers" in (m.text or "")
    )


def _shown(messages: list[SentMessage], message_id: int) -> str:
    """What a message the bot sent says now, after any edits."""
    return next(m for m in messages if m.message_id == message_id).text or ""


async def test_a_whole_polling_day(
    fake: FakeTelegram, app: Application, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, "Admin")
    cora = fake.user(5501, "Cora", username="cora")  # coordinator of both areas
    olly = fake.user(5502, "Olly", username="olly")  # organiser of both, Peckham's manager
    bea = fake.user(5503, "Bea", username="bea")  # organiser of Lewisham only
    for person in (cora, olly, bea):
        await sign_up(person, postcode="M1 1AE")  # far off: no call or surge reaches them
    # Nine volunteers in Peckham; P1 is 5601, P9 5609.
    p = {n: fake.user(5600 + n, f"P{n}") for n in range(1, 10)}
    for n in range(1, 10):
        await sign_up(p[n])
    for area in ("Peckham", "Brixton"):
        await admin.send(f"/grant @cora coordinator {area}")
        await admin.send(f"/grant @olly organiser {area}")
    await admin.send("/grant @bea organiser Lewisham")
    await outbox_drained(engine)  # each told of their role before they act

    # Only those who may are let in: /election is a coordinator's; /surge and /board a
    # manager's or an organiser's of the room's area.
    for refused in (p[1], olly, bea):
        await refused.send("/election")
        assert refused.last.text == texts.not_allowed("coordinator")
    await p[1].send("/surge")
    assert p[1].last.text == texts.not_allowed("organiser")
    await p[1].send("/board")
    assert p[1].last.text == texts.not_allowed("organiser")

    # --- The election, its rooms, a manager and a target -----------------------------------
    await new_election(cora, name="Peckham and Brixton by-election")
    await committee_room(olly, "Peckham", "07:00-12:00 6", "17:00-22:00 6")
    await committee_room(olly, "Brixton", "07:00-12:00 3")
    await cora.send("/election")
    await cora.press("✏️ Peckham and Brixton by-election")
    await cora.press("Committee rooms")
    await cora.press(texts.ROOM_MANAGER.format(title=PECKHAM))
    await cora.send("@olly")
    await cora.press(texts.ROOM_TARGET.format(title=PECKHAM))
    await cora.send("5")
    assert "manager: Olly · target: 5 per shift" in (cora.last.text or "")
    await cora.press(texts.ELECTION_DONE)
    await cora.press(texts.ELECTION_DONE)
    # Bea organises another area: no room of this election is hers to surge or watch.
    await bea.send("/surge")
    assert bea.last.text == texts.SURGE_NO_ROOMS
    await bea.send("/board")
    assert bea.last.text == texts.BOARD_NONE

    # --- The pledge call, and pledges by tap and by typing --------------------------------
    await olly.send("/pledgecall")
    assert "reaches 9 volunteer(s)" in (olly.last.text or "")
    await olly.press(texts.PLEDGECALL_SEND)
    assert olly.last.text == texts.pledgecall_sent(9)
    await outbox_drained(engine)
    for n in range(1, 10):
        assert (p[n].last.text or "").startswith("🗳 Can you take polling day off?")

    # P1 pledges the morning by tapping, and says yes to the room offered.
    await p[1].press("Morning")
    await p[1].press(texts.PLEDGE_DONE)
    await outbox_drained(engine)
    offer = await room_offered(p[1], PECKHAM)
    assert f"{PECKHAM} needs 5 more from 07:00: can you be there?" in (offer.text or "")
    await p[1].press(texts.OFFER_YES)
    assert f"✅ {PECKHAM}: thank you!" in (offer.text or "")

    # P2 types a morning, asks for another room, and takes Brixton.
    await p[2].send("morning")
    await outbox_drained(engine)
    offer = await room_offered(p[2], PECKHAM)
    await p[2].press(texts.OFFER_ANOTHER)
    assert f"{BRIXTON} needs 3 more from 07:00" in (offer.text or "")
    await p[2].send("yes")
    assert f"✅ {BRIXTON}: thank you!" in (offer.text or "")

    # P3 gives all day but is not sure yet; the others pledge and leave their offers.
    await p[3].send("all day")
    await outbox_drained(engine)
    await room_offered(p[3], PECKHAM)
    await p[3].press(texts.OFFER_NOT_SURE)
    assert p[3].last.text == texts.OFFER_LATER
    for n, parts in ((4, "morning"), (5, "morning"), (6, "all day"), (7, "evening")):
        await p[n].send(parts)
    await p[8].press("Morning")
    await p[8].press(texts.PLEDGE_DONE)
    await p[9].send("morning")
    await outbox_drained(engine)
    async with engine.connect() as conn:
        assert await conn.scalar(select(pledges.c.id).where(pledges.c.area != "Peckham")) is None
        assert len((await conn.execute(select(pledges))).all()) == 9
    assert await going_where(engine) == {5601: [PECKHAM], 5602: [BRIXTON]}

    # --- The countdown, at local times ------------------------------------------------------
    await _at(app, engine, _bst(4, 29, 17, 59))
    assert not any("a week away" in (m.text or "") for m in p[3].messages)
    await _at(app, engine, _bst(4, 29, 18))
    week = p[3].last
    assert (week.text or "").startswith("🗳 Polling day is a week away: Thu 6 May 2027.")
    # All day: both of Peckham's shifts, 4 more for the morning (P1 is going) and 5 for the
    # evening.
    assert f"You haven't a committee room yet.\n🏠 {PECKHAM} needs 9 more from 07:00" in (
        week.text or ""
    )
    assert "Thu 6 May: 07:00-12:00, 17:00-22:00 · Rye Lane Library, SE15 4QR" in (week.text or "")
    assert p[3].buttons(week) == [texts.OFFER_YES, texts.OFFER_ANOTHER, texts.OFFER_NOT_SURE]
    assert any(
        f"Your committee room: {PECKHAM}, Rye Lane Library, SE15 4QR." in (m.text or "")
        for m in p[1].messages
    )
    await _at(app, engine, _bst(5, 5, 18))
    eve = next(m for m in p[1].messages if "Tomorrow is polling day" in (m.text or ""))
    assert "Your shift: 07:00-12:00." in (eve.text or "")
    assert "Bring: a charged phone" in (eve.text or "")
    await _at(app, engine, _bst(5, 6, 6))
    assert any((m.text or "").startswith("🗳 It's polling day!") for m in p[3].messages[-2:])

    # --- Polls open: boards, check-ins, rounds ---------------------------------------------
    await _at(app, engine, _bst(5, 6, 7))
    await cora.send("/board")
    private = cora.last
    assert (private.text or "").index(PECKHAM) < (private.text or "").index(BRIXTON)
    assert "In 0 of 5 · out on rounds 0 · back 0 · not arrived 1" in (private.text or "")
    group = fake.group(GROUP, title=PECKHAM)
    await group.send(p[1], "/board")
    assert group.last.text == texts.BOARD_GROUP_REFUSED
    await group.send(olly, "/board")
    posted = group.last
    assert f"⚠️ {PECKHAM}: 5 short" in (posted.text or "")
    assert posted.buttons == [texts.BOARD_STOP]

    # P1 taps the check-in prompt; P2 checks in at Brixton by command.
    await p[1].press(texts.IM_HERE)
    assert p[1].last.text == texts.ROOM_CHECKED_IN
    await p[2].send("/here")
    await _at(app, engine, _bst(5, 6, 7, 2))
    assert f"⚠️ {PECKHAM}: 4 short\nIn 1 of 5 · out on rounds 0 · back 0\n" in _shown(
        cora.messages, private.message_id
    )
    assert f"⚠️ {BRIXTON}: 2 short\nIn 1 of 3" in _shown(cora.messages, private.message_id)
    in_group = _shown(group.messages, posted.message_id)
    assert "In 1 of 5 · out on rounds 0 · back 0" in in_group
    assert not any(name in in_group for name in ("P1", "P2", "Olly", "Cora"))

    # A round: out at 07:10, back at 08:00 with 20 doors.
    clock.set_time(_bst(5, 6, 7, 10))
    await p[1].press(texts.OUT_ON_ROUND)
    assert p[1].last.text == texts.round_out(1)
    await _at(app, engine, _bst(5, 6, 7, 12))
    assert "In 1 of 5 · out on rounds 1 · back 0" in _shown(group.messages, posted.message_id)
    clock.set_time(_bst(5, 6, 8))
    await p[1].press(texts.BACK_FROM_ROUND)
    await p[1].press("20")
    assert p[1].last.text == texts.round_noted(Tally(1, 20))
    await _at(app, engine, _bst(5, 6, 8, 2))
    assert "In 1 of 5 · out on rounds 0 · back 1" in _shown(group.messages, posted.message_id)
    assert "doors 20" in _shown(group.messages, posted.message_id)

    # --- A surge with more yeses than wanted ------------------------------------------------
    # 09:00: Olly wants one more at Peckham now. Three are asked: the nearest, most reliable,
    # who are free then (pledged the morning or all day), not P1 (there) nor P2 (at Brixton)
    # nor P7 (evenings only).
    await _at(app, engine, _bst(5, 6, 9))
    await olly.send("/surge")
    await olly.press(PECKHAM)
    await olly.press("1")
    count = olly.last
    await olly.press("Now")
    await outbox_drained(engine)
    assert await surge_asked(engine) == [5603, 5604, 5605]
    ask = _surge_ask(p[3], PECKHAM)
    assert "Rye Lane Library, SE15 4QR · about 1 km from you" in (ask.text or "")
    await p[3].press(texts.SURGE_YES)
    assert f"✅ {PECKHAM}: thank you!" in (ask.text or "")
    # P4's yes comes second: Brixton, still short, is offered with its distance.
    redirect = _surge_ask(p[4], PECKHAM)
    await p[4].send("yes")
    assert f"{BRIXTON}, about 3 km from you, is still short" in (redirect.text or "")
    await p[4].press(texts.SURGE_GO)
    assert f"✅ {BRIXTON}: thank you!" in (redirect.text or "")
    await p[5].press(texts.SURGE_CANT)
    await outbox_drained(engine)
    await until(lambda: "✅ 1 of 1 coming · ❌ 1 can't" in (count.text or ""))
    assert await going_where(engine) == {
        5601: [PECKHAM],
        5602: [BRIXTON],
        5603: [PECKHAM],
        5604: [BRIXTON],
    }

    # --- A surge with too few: the next batch ten minutes on -------------------------------
    clock.set_time(_bst(5, 6, 9, 5))
    await cora.send("/surge")
    await cora.press(BRIXTON)
    await cora.press("1")
    brixton_count = cora.last
    await cora.press("Now")
    await outbox_drained(engine)
    assert (await surge_asked(engine))[3:] == [5605, 5606, 5608]
    await p[5].press(texts.SURGE_CANT)
    await _at(app, engine, _bst(5, 6, 9, 14))
    assert len(await surge_asked(engine)) == 6
    await _at(app, engine, _bst(5, 6, 9, 15))
    assert (await surge_asked(engine))[6:] == [5609]
    await until(lambda: any("urgently needs helpers" in (m.text or "") for m in p[9].messages))
    late = _surge_ask(p[9], BRIXTON)
    await p[9].press(texts.SURGE_YES)
    assert f"✅ {BRIXTON}: thank you!" in (late.text or "")
    await outbox_drained(engine)
    await until(lambda: "✅ 1 of 1 coming · ❌ 1 can't" in (brixton_count.text or ""))
    assert "Asked so far: 4." in (brixton_count.text or "")

    # P3, surged, arrives at 09:20: both boards say so at the next turn.
    clock.set_time(_bst(5, 6, 9, 20))
    await p[3].send("/here")
    await _at(app, engine, _bst(5, 6, 9, 22))
    board = _shown(cora.messages, private.message_id)
    assert f"⚠️ {PECKHAM}: 3 short\nIn 2 of 5 · out on rounds 0 · back 1\n" in board
    assert "Next shift 17:00: 0 expected · doors 20" in board
    assert f"⚠️ {BRIXTON}: 2 short\nIn 1 of 3 · out on rounds 0 · back 0 · not arrived 2" in board
    assert "In 2 of 5" in _shown(group.messages, posted.message_id)

    # --- 22:00: the polls close -------------------------------------------------------------
    await _at(app, engine, _bst(5, 6, 21, 59))
    assert not any("Close of polls" in (m.text or "") for m in cora.messages)
    await _at(app, engine, _bst(5, 6, 22))
    reports = [m.text or "" for m in cora.messages if "Close of polls" in (m.text or "")]
    assert len(reports) == 1
    (report,) = reports
    assert (
        # Morning: P1-P6, P8, P9; afternoon: P3, P6; evening: P3, P6, P7. P1-P3 came.
        "Pledged: 9 (morning 8, afternoon 2, evening 3); 3 of them came\n"
        "Came: 3 (said going 5)\n"
        # P1 and P2 07:00-12:00, P3 09:20-12:00.
        "Hours given: 12.7 h\n"
        "Knock-up rounds: 1\n"
        "Doors knocked: 20"
    ) in report
    assert (
        f"• {PECKHAM} (Peckham): said going 2 · came 2 · 7.7 h given · 1 round · 20 doors"
    ) in report
    assert (
        f"• {BRIXTON} (Brixton): said going 3 · came 1 · 5.0 h given · 0 rounds · 0 doors"
    ) in report
    assert cora.last.photo is not None and cora.last.photo.startswith(b"\x89PNG")
    assert any("Close of polls" in (m.text or "") for m in olly.messages)
    assert not any("Close of polls" in (m.text or "") for m in bea.messages)
    # The boards' last edit says the polls have closed.
    assert "Polls closed." in _shown(cora.messages, private.message_id)
    assert "Polls closed." in _shown(group.messages, posted.message_id)
