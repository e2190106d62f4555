"""Polling day end to end through the fake Bot API: a coordinator sets up an election, an
organiser sends a pledge call, volunteers pledge by tap and by typing and change their pledge,
/myshifts shows it, organisers see pledges per area and part of the day, and the countdown
messages arrive at the right local times (summer time) with the room, its meeting point and
what to bring, the room offered again, or (far from every room) the rooms to pick from. The
room offers themselves are walked in tests/test_room_offers.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.settings import Settings
from db.schema import (
    audit_log,
    election_areas,
    elections,
    events,
    outbox,
    pledges,
    volunteers,
)
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import new_event, outbox_drained, run_scheduler, sign_up

MEETING = (51.4693, -0.0692)  # Rye Lane, Peckham
ROOM = "Peckham committee room"


async def _people(fake: FakeTelegram, engine: AsyncEngine) -> dict[str, FakeUser]:
    """A coordinator and an organiser of Peckham, an organiser of Lewisham (all living far off,
    so pledge calls do not reach them), three volunteers in Peckham and one in Manchester."""
    admin = fake.user(ADMIN_ID, "Admin")
    people = {
        "cora": fake.user(5101, "Cora", username="cora"),
        "olly": fake.user(5102, "Olly", username="olly"),
        "lou": fake.user(5103, "Lou", username="lou"),
        "vera": fake.user(5201, "Vera"),
        "will": fake.user(5202, "Will"),
        "xan": fake.user(5203, "Xan"),
        "yas": fake.user(5204, "Yas"),
    }
    for name in ("cora", "olly", "lou", "yas"):
        await sign_up(people[name], postcode="M1 1AE")
    for name in ("vera", "will", "xan"):
        await sign_up(people[name])
    await admin.send("/grant @cora coordinator Peckham")
    await admin.send("/grant @olly organiser Peckham")
    await admin.send("/grant @lou organiser Lewisham")
    # Each is told of their role through the outbox: before they act, so that it does not land
    # between what they send and the answer a test then reads.
    await outbox_drained(engine)
    return people


async def _set_up_election(cora: FakeUser) -> None:
    await cora.send("/election")
    assert cora.last.text == texts.ELECTIONS_NONE
    await cora.press(texts.NEW_ELECTION)
    assert cora.last.text == texts.ELECTION_ASK_NAME
    await cora.send("Peckham by-election")
    await cora.send("31/2/2027")
    assert cora.last.text == texts.ELECTION_BAD["day"]
    await cora.send("6/5/2027")
    await cora.press("07:00-22:00")
    await cora.send("Lewisham")  # not hers
    refused = texts.ELECTION_BAD["not_your_area"].format(area="", areas="Peckham")
    assert cora.messages[-2].text == refused
    await cora.send("Peckham")


async def test_polling_day_from_election_to_morning(
    fake: FakeTelegram, app: Application, engine: AsyncEngine
) -> None:
    people = await _people(fake, engine)
    cora, olly, lou = people["cora"], people["olly"], people["lou"]
    vera, will, xan, yas = people["vera"], people["will"], people["xan"], people["yas"]

    # Only coordinators set up elections.
    for refused in (vera, olly, lou):
        await refused.send("/election")
        assert refused.last.text == texts.not_allowed("coordinator")
    await vera.send("/pledgecall")
    assert vera.last.text == texts.not_allowed("organiser")
    await lou.send("/pledgecall")
    assert lou.last.text == texts.PLEDGECALL_NONE

    await _set_up_election(cora)
    assert (cora.last.text or "").startswith("✅ Election set up.")
    assert "Peckham by-election: Thu 6 May 2027, polls 07:00-22:00 · Peckham" in cora.last.text
    async with engine.connect() as conn:
        (election,) = (await conn.execute(select(elections))).all()
        areas = (await conn.execute(select(election_areas.c.area))).scalars().all()
    assert (election.name, election.day, election.opens, election.closes) == (
        "Peckham by-election",
        date(2027, 5, 6),
        time(7, 0),
        time(22, 0),
    )
    assert areas == ["Peckham"]

    # The committee room, as /newevent makes any event.
    payload = await new_event(
        olly,
        kind="Polling-day committee room",
        title=ROOM,
        area="Peckham",
        pin=MEETING,
        address="Rye Lane Library, SE15 4QR",
        day="6/5/2027",
        shifts=("07:00-12:00 8",),
    )

    # The pledge call: a preview with how many it reaches, then sent.
    await olly.send("/pledgecall")
    assert "reaches 3 volunteer(s) in Peckham" in (olly.last.text or "")
    await olly.press(texts.PLEDGECALL_SEND)
    assert olly.last.text == texts.pledgecall_sent(3)
    await outbox_drained(engine)
    for asked in (vera, will, xan):
        assert (asked.last.text or "").startswith("🗳 Can you take polling day off?")
    assert not any("polling day off" in (m.text or "") for m in yas.messages)

    # Vera pledges by tapping, Will by typing.
    await vera.press("Morning")
    await vera.press("Evening")
    assert vera.last.buttons[:3] == ["✅ Morning", "Afternoon", "✅ Evening"]
    # The question becomes the thanks; the room offer that follows may already be below it.
    question = vera.last
    await vera.press(texts.PLEDGE_DONE)
    assert (question.text or "").startswith("🙌 Thank you for pledging: Peckham by-election")
    assert "morning (07:00-12:00), evening (17:00-22:00)" in question.text
    await will.send("all day")
    assert any("all day (07:00-22:00)" in (m.text or "") for m in will.messages[-2:])
    await outbox_drained(engine)  # the room offers that follow, before anyone types again
    await xan.send("sometime maybe")  # not parts of the day: nothing pledged
    async with engine.connect() as conn:
        stored = {
            row.volunteer_id: (list(row.parts), row.area)
            for row in await conn.execute(select(pledges))
        }
        ids = dict((await conn.execute(select(volunteers.c.telegram_id, volunteers.c.id))).all())
    assert stored == {
        ids[5201]: (["morning", "evening"], "Peckham"),
        ids[5202]: (["morning", "afternoon", "evening"], "Peckham"),
    }

    # Vera changes hers with /pledge, typing the answer.
    await vera.send("/pledge")
    assert "You've pledged: morning (07:00-12:00), evening (17:00-22:00)" in (vera.last.text or "")
    await vera.send("morning and afternoon")
    assert any((m.text or "").startswith("✅ Pledge changed") for m in vera.messages[-2:])
    await outbox_drained(engine)
    await vera.send("/myshifts")
    assert any(
        (m.text or "").startswith("🗳 Polling day pledge: Peckham by-election, Thu 6 May 2027: "
                                  "morning (07:00-12:00), afternoon (12:00-17:00)")
        for m in vera.messages[-2:]
    )

    # Vera takes a shift at the room from its link.
    await vera.send(f"/start {payload}")
    await vera.press("8 left", exact=False)

    # What organisers see.
    await olly.send("/pledges")
    view = olly.last.text or ""
    assert "Peckham: morning 2/8 ⚠️ · afternoon 2/0 · evening 1/0" in view
    assert f"{ROOM}: Thu 6 May, 07:00-12:00 1/8" in view
    await lou.send("/pledges")
    assert lou.last.text == texts.PLEDGES_NONE

    # Yas, in Manchester, pledges too: no room is within reach of her to offer.
    await yas.send("/pledge")
    await yas.send("evening")
    assert (yas.last.text or "").startswith("🙌 Thank you for pledging")
    await outbox_drained(engine)

    # The countdown, at local (summer) times.
    await run_scheduler(app, engine)
    clock.set_time(datetime(2027, 4, 29, 16, 59, tzinfo=UTC))
    await run_scheduler(app, engine)
    assert not any("a week away" in (m.text or "") for m in will.messages)
    clock.set_time(datetime(2027, 4, 29, 17, 0, tzinfo=UTC))  # 18:00 BST
    await run_scheduler(app, engine)
    assert (will.last.text or "").startswith("🗳 Polling day is a week away: Thu 6 May 2027.")
    # Will has no room yet: the room is offered again; Yas, with none in reach, gets the list.
    assert "You haven't a committee room yet" in will.last.text
    assert f"{ROOM} needs 7 more from 07:00: can you be there?" in will.last.text
    assert "You haven't a committee room yet" in (yas.last.text or "")
    assert f'{payload}">{ROOM}</a>' in (yas.last.html or "")
    week = next(m for m in vera.messages if "a week away" in (m.text or ""))
    assert f"Your committee room: {ROOM}, Rye Lane Library, SE15 4QR." in (week.text or "")
    assert not any("a week away" in (m.text or "") for m in xan.messages)

    clock.set_time(datetime(2027, 5, 5, 17, 0, tzinfo=UTC))
    await run_scheduler(app, engine)
    eve = next(m for m in vera.messages if "Tomorrow is polling day" in (m.text or ""))
    assert "Your shift: 07:00-12:00." in (eve.text or "")
    assert "Bring: a charged phone" in (eve.text or "")
    assert any(m.venue and m.venue["title"] == ROOM for m in vera.messages)

    clock.set_time(datetime(2027, 5, 6, 5, 0, tzinfo=UTC))  # 06:00 BST, an hour before polls
    await run_scheduler(app, engine)
    # Her shift's "see you soon" pin goes at the same pass: the two may interleave.
    assert any((m.text or "").startswith("🗳 It's polling day!") for m in vera.messages[-3:])
    assert (will.last.text or "").startswith("🗳 It's polling day! Polls open at 07:00")
    async with engine.connect() as conn:
        sent = (
            await conn.execute(select(outbox.c.chat_id).where(outbox.c.kind == "countdown"))
        ).scalars().all()
        actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert sorted(set(sent)) == [5201, 5202, 5204]
    assert {"election_created", "pledge_call"} <= set(actions)


async def test_election_edits_rooms_and_a_restart_half_way(
    fake: FakeTelegram,
    engine: AsyncEngine,
    settings: Settings,
    deep_links: list[DeepLinkHandler],
) -> None:
    app = await start_application(fake, settings, engine, deep_links)
    try:
        people = await _people(fake, engine)
        cora, olly = people["cora"], people["olly"]
        await _set_up_election(cora)
        await new_event(
            olly,
            kind="Polling-day committee room",
            title=ROOM,
            area="Peckham",
            address="Rye Lane Library, SE15 4QR",
            day="6/5/2027",
            shifts=("07:00-12:00 8",),
        )
        await cora.send("/election")
        await cora.press("✏️ Peckham by-election")
        await cora.press("Polling hours")
        # The bot restarts while she is typing.
        await stop_application(app)
        app = await start_application(fake, settings, engine, deep_links)
        await cora.send("7am to 10:30pm")
        assert "polls 07:00-22:30" in (cora.messages[-2].text or "")
        await cora.press("Committee rooms")
        assert "manager: the area organisers · target: none" in (cora.last.text or "")
        await cora.press(texts.ROOM_MANAGER.format(title=ROOM))
        await cora.send("@lou")  # an organiser, but of Lewisham
        assert cora.last.text == texts.ROOM_BAD["not_organiser"].format(who="@lou")
        await cora.send("@olly")
        await cora.press(texts.ROOM_TARGET.format(title=ROOM))
        await cora.send("lots")
        assert cora.last.text == texts.ROOM_BAD["target"]
        await cora.send("10")
        assert "manager: Olly · target: 10 per shift" in (cora.last.text or "")
        await cora.press(texts.ELECTION_DONE)
        await cora.press(texts.ELECTION_DONE)
        assert cora.last.text == texts.ELECTION_CANCELLED
        async with engine.connect() as conn:
            (row,) = (await conn.execute(select(elections.c.closes))).all()
            room = (await conn.execute(select(events.c.manager_id, events.c.min_helpers))).one()
            olly_id = await conn.scalar(
                select(volunteers.c.id).where(volunteers.c.telegram_id == 5102)
            )
        assert row.closes == time(22, 30)
        assert (room.manager_id, room.min_helpers) == (olly_id, 10)
    finally:
        await stop_application(app)
