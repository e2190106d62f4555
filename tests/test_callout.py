"""Shift calls: /callout end to end, and each audience filter reaching exactly the right people."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.domain.audience import Audience
from bot.domain.events import EventDraft, ShiftDraft
from bot.services import calls
from bot.settings import Settings
from db import events
from db import outbox as queued
from db.schema import (
    audit_log,
    callouts,
    consents,
    outbox,
    rsvps,
    volunteer_activities,
    volunteer_availability,
    volunteers,
)
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram
from tests.flows import outbox_drained, run_scheduler, sign_up, until

MEETING = (51.4693, -0.0692)  # Rye Lane, Peckham
SAT_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
PEOPLE = 50
BASE_ID = 20_000
# Where each volunteer is, by i % 5: a map pin about 1 km, 4 km or 20 km from the meeting point,
# or a typed postcode in the meeting point's district (SE15) or elsewhere (N1).
PLACES = [
    {"latitude": 51.4783, "longitude": -0.0692, "postcode": None},
    {"latitude": 51.5053, "longitude": -0.0692, "postcode": None},
    {"latitude": 51.6493, "longitude": -0.0692, "postcode": None},
    {"latitude": None, "longitude": None, "postcode": "SE15 3AB"},
    {"latitude": None, "longitude": None, "postcode": "N1 9GU"},
]
ZONE = ZoneInfo("Europe/London")
PAUSED, UNREACHABLE, HALF_SIGNED_UP = 7, 11, 13
CAME_HERE, CAME_ELSEWHERE = {20, 21}, {22}


def _activity(i: int) -> str:
    return ["doors", "phones", "anything"][i % 3]


def _slot(i: int) -> str:
    return "sat" if i % 2 == 0 else "wkeve"


async def _world(engine: AsyncEngine, fake: FakeTelegram | None = None) -> tuple[int, list[int]]:
    """The event and 50 volunteers, plus past events for "came to this area before". With
    ``fake``, the volunteers are Telegram users there too, so calls reach them."""
    for i in range(PEOPLE if fake else 0):
        assert fake is not None
        fake.user(BASE_ID + i, first_name=f"Vol {i}")
    at = clock.now()
    async with engine.begin() as conn:
        rows = []
        for i in range(PEOPLE):
            rows.append(
                {
                    "telegram_id": BASE_ID + i,
                    "name": f"Vol {i}",
                    "status": "signing_up" if i == HALF_SIGNED_UP else "active",
                    "editing": False,
                    "paused": i == PAUSED,
                    "unreachable_at": at if i == UNREACHABLE else None,
                    "created_at": at,
                    **PLACES[i % 5],
                }
            )
        ids = list(
            (await conn.execute(insert(volunteers).returning(volunteers.c.id), rows)).scalars()
        )
        ids.sort()
        # Each agreed to the privacy notice the bot shows.
        await conn.execute(
            insert(consents),
            [
                {
                    "volunteer_id": v,
                    "purpose": "volunteering",
                    "notice_version": "2026-11",
                    "given_at": at,
                }
                for v in ids
            ],
        )
        await conn.execute(
            insert(volunteer_availability),
            [{"volunteer_id": v, "slot": _slot(i)} for i, v in enumerate(ids)],
        )
        await conn.execute(
            insert(volunteer_activities),
            [{"volunteer_id": v, "activity": _activity(i)} for i, v in enumerate(ids)],
        )
        event_id = await events.create_event(
            conn,
            EventDraft(
                kind="canvass",
                title="Peckham Saturday doors",
                area="Peckham",
                address="Rye Lane Library, SE15 4QR",
                latitude=MEETING[0],
                longitude=MEETING[1],
                shifts=(
                    ShiftDraft(SAT_10, SAT_10 + timedelta(hours=3), 20),
                    ShiftDraft(SAT_10 + timedelta(hours=4), SAT_10 + timedelta(hours=7), 20),
                ),
            ),
            created_by=ADMIN_ID,
            at=clock.now(),
        )
        for area, people in (("peckham", CAME_HERE), ("Lewisham", CAME_ELSEWHERE)):
            past = clock.now() - timedelta(days=10)
            old = await events.create_event(
                conn,
                EventDraft("canvass", "Old", area, shifts=(ShiftDraft(past, past, 5),)),
                created_by=ADMIN_ID,
                at=clock.now(),
            )
            (old_shift,) = await events.shifts_of(conn, old)
            await conn.execute(
                insert(rsvps),
                [
                    {
                        "shift_id": old_shift.id,
                        "volunteer_id": ids[i],
                        "status": "going",
                        "responded_at": past,
                    }
                    for i in people
                ],
            )
    return event_id, ids


def _reachable(i: int) -> bool:
    return i not in (PAUSED, UNREACHABLE, HALF_SIGNED_UP)


async def _planned(engine: AsyncEngine, event_id: int, filters: Audience) -> set[int]:
    async with engine.connect() as conn:
        event = await events.by_id(conn, event_id)
        assert event is not None
        call_shifts = await events.shifts_of(conn, event_id)
        people = await calls.plan(conn, event, call_shifts, filters, ZONE, clock.now())
    return {person.telegram_id - BASE_ID for person in people}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Audience(), lambda i: True),
        (Audience(within_km=2), lambda i: i % 5 in (0, 3)),
        (Audience(within_km=5), lambda i: i % 5 in (0, 1, 3)),
        (Audience(within_km=25), lambda i: i % 5 in (0, 1, 2, 3)),
        (Audience(fits_availability=True), lambda i: i % 2 == 0),
        (Audience(activities=frozenset({"doors"})), lambda i: i % 3 in (0, 2)),
        (Audience(activities=frozenset({"phones", "doors"})), lambda i: True),
        (Audience(came_to_area=True), lambda i: i in CAME_HERE),
        (
            Audience(within_km=5, fits_availability=True, activities=frozenset({"phones"})),
            lambda i: i % 5 in (0, 1, 3) and i % 2 == 0 and i % 3 in (1, 2),
        ),
    ],
)
async def test_each_filter_reaches_exactly_the_right_volunteers(
    engine: AsyncEngine, filters: Audience, expected: object
) -> None:
    event_id, _ = await _world(engine)
    want = {i for i in range(PEOPLE) if _reachable(i) and expected(i)}  # type: ignore[operator]
    assert await _planned(engine, event_id, filters) == want


async def test_people_who_answered_or_were_called_are_handled(engine: AsyncEngine) -> None:
    event_id, ids = await _world(engine)
    async with engine.begin() as conn:
        first, _second = await events.shifts_of(conn, event_id)
        # 0 answered already; 1 and 2 got an earlier call, and 2 answered it.
        await conn.execute(
            insert(rsvps),
            [
                {
                    "shift_id": first.id,
                    "volunteer_id": ids[i],
                    "status": "maybe",
                    "responded_at": clock.now(),
                }
                for i in (0, 2)
            ],
        )
        call = (
            await conn.execute(
                insert(callouts).returning(callouts.c.id),
                [
                    {
                        "event_id": event_id,
                        "shift_ids": [first.id],
                        "audience": {},
                        "created_at": clock.now(),
                        "send_at": clock.now(),
                        "status": "done",
                    }
                ],
            )
        ).scalar_one()
        await conn.execute(
            insert(outbox),
            [
                {
                    "callout_id": call,
                    "volunteer_id": ids[i],
                    "chat_id": BASE_ID + i,
                    "kind": "callout",
                    "payload": {},
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": clock.now(),
                    "created_at": clock.now(),
                }
                for i in (1, 2)
            ],
        )
    everyone = await _planned(engine, event_id, Audience())
    assert 0 not in everyone and 2 not in everyone and 1 in everyone
    assert await _planned(engine, event_id, Audience(not_answered_earlier=True)) == {1}


async def test_callout_end_to_end_with_filters_and_an_organisers_line(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    event_id, _ = await _world(engine, fake)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga, postcode="N1 9GU", when=("Sundays",), what=("Driving",))
    await admin.send("/grant @olga organiser Peckham")

    await olga.send("/callout")
    assert olga.buttons()[0] == "Sat 28 Nov · Peckham Saturday doors"
    await olga.press("Sat 28 Nov · Peckham Saturday doors")
    assert olga.buttons()[:2] == ["✅ Sat 28 Nov, 10:00-13:00", "✅ Sat 28 Nov, 14:00-17:00"]
    await olga.press("✅ Sat 28 Nov, 14:00-17:00")  # just the morning
    await olga.press(texts.NEXT)
    # Olga is a volunteer too (Sundays, N1), so "everyone" includes her until the filters.
    reachable = sum(1 for i in range(PEOPLE) if _reachable(i)) + 1
    assert f"This call would reach {reachable} volunteers" in olga.last.text
    await olga.press("📍 Near the meeting point: off")
    await olga.press("📍 Near the meeting point: 2 km")  # 2 -> 5 km
    await olga.press("Free at that time")
    want = {i for i in range(PEOPLE) if _reachable(i) and i % 5 in (0, 1, 3) and i % 2 == 0}
    assert f"This call would reach {len(want)} volunteers" in olga.last.text
    assert "within 5 km of the meeting point; free at that time" in olga.last.text
    await olga.press(texts.NEXT)
    preview = olga.messages[-2]
    assert preview.text.startswith("📣 Can you help?")
    assert preview.buttons == ["Sat 28 Nov, 10:00-13:00 · 20 left", texts.CANT_MAKE_IT]
    await olga.send("Tea and biscuits after!")
    assert "💬 Tea and biscuits after!" in olga.messages[-2].text
    assert olga.last.text.startswith(f"Ready to send to {len(want)} volunteers.")
    await olga.press(texts.SEND_NOW)
    # The progress message comes through the outbox, like everything but the direct answer.
    await until(lambda: texts.callout_started(len(want)) in [m.text for m in olga.messages])

    async with engine.connect() as conn:
        queued = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.payload).where(outbox.c.kind == "callout")
            )
        ).all()
        call = (await conn.execute(select(callouts))).one()
        logged = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert {chat_id - BASE_ID for chat_id, _ in queued} == want
    # The message is stored once, on the call; each row says only whom it goes to.
    assert all(payload == {} for _, payload in queued)
    assert "💬 <i>Tea and biscuits after!</i>" in call.payload["text"]
    assert call.status in ("sending", "done") and call.recipients == len(want)
    assert call.audience["within_km"] == 5 and call.audience["fits_availability"] is True
    assert call.event_id == event_id and "callout" in logged

    # Delivered: recipients answer by tap and in words, and those answers are what is stored.
    await outbox_drained(engine)
    first, second, third = (fake.user(BASE_ID + i) for i in sorted(want)[:3])
    assert first.last.text.startswith("📣 Can you help?")
    await first.press("Sat 28 Nov, 10:00-13:00 · 20 left")
    await second.send("count me in!")
    await third.send("Sorry, can't make it this time")
    assert third.last.text == texts.CANT_NOTED
    async with engine.connect() as conn:
        answers = dict(
            (
                await conn.execute(
                    select(volunteers.c.telegram_id, rsvps.c.status)
                    .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
                    .where(rsvps.c.callout_id == call.id)
                )
            ).all()
        )
    assert answers == {first.id: "going", second.id: "going", third.id: "cant"}
    # The word reply updated the call message itself, too.
    call_message = next(m for m in second.messages if (m.text or "").startswith("📣"))
    assert "✅ You're going: Sat 28 Nov, 10:00-13:00" in call_message.text


async def test_callout_scheduled_for_later_goes_out_when_due(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine, fake)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/callout")
    await admin.press("Sat 28 Nov · Peckham Saturday doors")
    await admin.press(texts.NEXT)
    await admin.press("Came to Peckham before")
    await admin.press(texts.NEXT)
    await admin.press(texts.SKIP)
    await admin.press(texts.SEND_LATER)
    await admin.send("tomorrow at 6")  # morning or evening?
    assert admin.last.text == texts.CALLOUT_WHEN_BAD
    await admin.send("Sat 27 Nov 18:00")  # 27 November is a Friday
    assert admin.last.text == texts.wrong_weekday(date(2026, 11, 27), date(2026, 11, 28))
    await admin.send("Sat 28 Nov 11:00")  # after the first shift starts
    assert admin.last.text == texts.CALLOUT_WHEN_PAST
    await admin.send("Fri 27 Nov 18:00")
    assert admin.last.text.startswith("⏰ Scheduled for Fri 27 Nov, 18:00")
    async with engine.connect() as conn:
        assert (await conn.execute(select(outbox))).all() == []

    # Friday 18:00 comes: the scheduler launches it (the job runs on the application's queue).
    clock.set_time(datetime(2026, 11, 27, 18, 0, 30, tzinfo=UTC))
    await run_scheduler(app, engine)
    async with engine.connect() as conn:
        queued = (
            (await conn.execute(select(outbox.c.chat_id).where(outbox.c.kind == "callout")))
            .scalars()
            .all()
        )
        status = (await conn.execute(select(callouts.c.status))).scalar_one()
    assert {chat_id - BASE_ID for chat_id in queued} == CAME_HERE
    assert status in ("sending", "done")
    # The progress message said so first; the sender has edited it as the call went out since.
    started = texts.callout_started(2)
    assert any(m.text == started or started in str(m.edit_history) for m in admin.messages)


async def test_volunteers_are_refused_callout(app: Application, fake: FakeTelegram) -> None:
    vic = fake.user(8002, first_name="Vic")
    await sign_up(vic)
    await vic.send("/callout")
    assert vic.last.text == texts.not_allowed("organiser")


async def test_a_yes_in_words_to_a_call_with_two_shifts_asks_which(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine, fake)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/callout")
    await admin.press("Sat 28 Nov · Peckham Saturday doors")
    await admin.press(texts.NEXT)
    await admin.press("📍 Near the meeting point: off")  # 2 km: volunteers 0, 3, 5, 8, ...
    await admin.press(texts.NEXT)
    await admin.press(texts.SKIP)
    await admin.press(texts.SEND_NOW)
    await outbox_drained(engine)
    vol = fake.user(BASE_ID + 0)
    await vol.send("yes please")
    assert vol.messages[-2].text == texts.WHICH_SHIFT
    assert vol.buttons() == [
        "Sat 28 Nov, 10:00-13:00 · 20 left",
        "Sat 28 Nov, 14:00-17:00 · 20 left",
        texts.CANT_MAKE_IT,
    ]
    await vol.press("Sat 28 Nov, 14:00-17:00 · 20 left")
    await vol.send("maybe")  # a maybe covers the call's shifts it has no answer for yet
    async with engine.connect() as conn:
        mine = sorted(
            (
                await conn.execute(
                    select(rsvps.c.status)
                    .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
                    .where(volunteers.c.telegram_id == BASE_ID)
                )
            ).scalars()
        )
    assert mine == ["going", "maybe"]  # the maybe did not undo the afternoon's going
    await vol.send("maybe")
    assert vol.last.text == texts.ALREADY_ANSWERED


@pytest.mark.parametrize("paid", [False, True])
async def test_an_urgent_call_goes_as_a_paid_broadcast_where_the_deployment_enables_it(
    paid: bool,
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> None:
    app = await start_application(
        fake, settings.model_copy(update={"paid_broadcast": paid}), engine, deep_links
    )
    try:
        await _urgent_call(paid, fake, engine)
    finally:
        await stop_application(app)


async def _urgent_call(paid: bool, fake: FakeTelegram, engine: AsyncEngine) -> None:
    await _world(engine, fake)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/callout")
    await admin.press("Sat 28 Nov · Peckham Saturday doors")
    await admin.press(texts.NEXT)
    await admin.press("📍 Near the meeting point: off")  # 2 km
    await admin.press(texts.NEXT)
    await admin.press(texts.SKIP)
    reaches = len({i for i in range(PEOPLE) if _reachable(i) and i % 5 in (0, 3)})
    # The cost is shown before they confirm, only where paid broadcasts are enabled.
    stars = f"{reaches * 0.1:,.1f} Stars"
    assert (stars in admin.last.text) is paid
    assert admin.last.text.startswith(f"Ready to send to {reaches} volunteers.")
    assert ("paid broadcast" in admin.last.text) is paid
    await admin.press(texts.SEND_URGENT)
    await outbox_drained(engine)

    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.kind, outbox.c.status))).all()
        logged = (await conn.execute(select(audit_log.c.detail))).scalars().all()
        message = await conn.scalar(select(callouts.c.payload))
    calls_sent = [row for row in rows if row.kind == "urgent_call"]
    assert len(calls_sent) == reaches and all(row.status == "sent" for row in calls_sent)
    assert bool(message.get("paid")) is paid
    assert any(detail and detail.get("audience", {}).get("urgent") for detail in logged)
    to_volunteers = [
        params
        for params in fake.calls("sendMessage")
        if BASE_ID <= int(params["chat_id"]) < BASE_ID + PEOPLE
    ]
    assert len(to_volunteers) == reaches
    flags = {str(params.get("allow_paid_broadcast", "")).lower() for params in to_volunteers}
    assert flags == ({"true"} if paid else {""})
    first = fake.user(BASE_ID + 0)
    assert first.last.text.startswith("📣 Can you help?")


async def test_callout_steps_typed_instead_of_tapped(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine, fake)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/callout")
    await admin.press("Sat 28 Nov · Peckham Saturday doors")
    await admin.send("Next")
    assert admin.last.text.startswith("Who should get it?")
    await admin.send("next")
    assert admin.last.text == texts.CALLOUT_LINE
    await admin.send("back")  # not a line saying "back"
    await admin.send("next")
    await admin.send("no thanks")
    assert admin.last.text.startswith("Ready to send")
    await admin.send("later")
    assert admin.last.text == texts.CALLOUT_WHEN
    await admin.send("tomorrow 6pm")
    assert admin.last.text.startswith("⏰ Scheduled for Wed 25 Nov, 18:00")
    async with engine.connect() as conn:
        call = (await conn.execute(select(callouts))).one()
    assert call.message is None
    assert call.send_at == datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


async def test_a_call_delivers_what_one_row_per_person_delivered(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    """A call is queued with one INSERT ... SELECT and its message stored once on the call. Next
    to it, the same call queued the way it was before (a row per person, each carrying the whole
    message): the same people get it, with the same text and buttons, over the same API."""
    event_id, _ = await _world(engine, fake)
    line = "Tea and biscuits after!"
    async with engine.begin() as conn:
        event = await events.by_id(conn, event_id)
        assert event is not None
        call_shifts = await events.shifts_of(conn, event_id)
        people = await calls.plan(
            conn, event, call_shifts, Audience(within_km=5), ZONE, clock.now()
        )
        text, markup = calls.message(event, call_shifts, line, ZONE)
        await queued.enqueue(
            conn,
            [
                queued.Outgoing(person.telegram_id, person.volunteer_id, "callout", text, markup)
                for person in people
            ],
            at=clock.now(),
        )
    before = {person.telegram_id for person in people}

    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/callout")
    await admin.press("Sat 28 Nov · Peckham Saturday doors")
    await admin.press(texts.NEXT)
    await admin.press("📍 Near the meeting point: off")
    await admin.press("📍 Near the meeting point: 2 km")  # 2 -> 5 km
    await admin.press(texts.NEXT)
    await admin.send(line)
    assert admin.last.text.startswith(f"Ready to send to {len(before)} volunteers.")
    await admin.press(texts.SEND_NOW)
    await outbox_drained(engine)

    got: dict[int, list[dict[str, object]]] = {}
    for params in fake.calls("sendMessage"):
        if BASE_ID <= int(params["chat_id"]) < BASE_ID + PEOPLE:
            got.setdefault(int(params["chat_id"]), []).append(params)
    assert set(got) == before and len(before) > 5
    assert all(len(sent) == 2 and sent[0] == sent[1] for sent in got.values())
    # And the call's card (their newest message) works as a call's: a tap on it is an answer to
    # the call.
    someone = fake.user(min(before))
    await someone.press("Sat 28 Nov, 10:00-13:00 · 20 left")
    async with engine.connect() as conn:
        answer = (
            await conn.execute(
                select(rsvps.c.status, rsvps.c.callout_id)
                .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
                .where(
                    volunteers.c.telegram_id == min(before), rsvps.c.shift_id == call_shifts[0].id
                )
            )
        ).all()
        call_id = await conn.scalar(select(callouts.c.id))
    assert answer == [("going", call_id)]
