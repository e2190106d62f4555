"""Organisers' events end to end: /template, CSV import, /events, edits and cancellations, as
organisers and volunteers would use them through the fake Bot API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from db.schema import audit_log, events, outbox, roles, rsvps, shifts, volunteers
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, outbox_drained, sign_up, stored, until

HEADER = "kind,title,area,address,latitude,longitude,date,start,end,capacity,note"
# Polling day: Thursday 6 May 2027, in British Summer Time (UTC+1).
POLLING_DAY = "06/05/2027"
KNOCK_UP = [("07:00", "10:00"), ("10:00", "13:00"), ("13:00", "16:00"), ("16:00", "19:00")]
KNOCK_UP.append(("19:00", "22:00"))
LINK = "https://t.me/muster_test_bot?start=e-"


def polling_day_csv() -> bytes:
    """12 committee rooms, 5 knock-up shifts each: one row per shift."""
    out = io.StringIO()
    out.write(HEADER + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    for room in range(1, 13):
        area = "Peckham" if room <= 6 else "Lewisham"
        for start, end in KNOCK_UP:
            writer.writerow(
                [
                    "committee_room",
                    f"Committee room {room}",
                    area,
                    f"{room} High Street, London",
                    "",
                    "",
                    POLLING_DAY,
                    start,
                    end,
                    "10",
                    "Knock-up: bring a pen" if start == "07:00" else "",
                ]
            )
    return out.getvalue().encode()


def small_csv(area: str = "Peckham", title: str = "Saturday canvass") -> bytes:
    rows = [
        f"canvass,{title},{area},Library steps,51.474,-0.069,05/12/2026,10:00,13:00,5,",
        f"canvass,{title},{area},Library steps,51.474,-0.069,05/12/2026,13:00,16:00,5,",
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


async def send_csv(user: FakeUser, data: bytes, name: str = "events.csv") -> None:
    await user.send_document(data, file_name=name, mime_type="text/csv")


async def count(engine: AsyncEngine, table) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def organiser(fake: FakeTelegram, user_id: int, name: str, area: str) -> FakeUser:
    """A signed-up volunteer made an organiser for one area by the admin."""
    person = fake.user(user_id, first_name=name, username=name.lower())
    await sign_up(person)
    await fake.user(ADMIN_ID, first_name="Ada").send(f"/grant @{name.lower()} organiser {area}")
    return person


async def test_polling_day_csv_creates_12_events_with_60_shifts_in_local_time(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, polling_day_csv(), "polling-day.csv")

    reply = admin.last.text
    assert reply.startswith("✅ Created 12 events with 60 shifts.")
    assert reply.count(LINK) == 12
    assert "Committee room 12" in reply
    async with engine.connect() as conn:
        stored_events = (await conn.execute(select(events).order_by(events.c.id))).all()
        first_room = (
            await conn.execute(
                select(shifts)
                .where(shifts.c.event_id == stored_events[0].id)
                .order_by(shifts.c.starts_at)
            )
        ).all()
        log = (await conn.execute(select(audit_log))).all()
    assert len(stored_events) == 12 and await count(engine, shifts) == 60
    assert {e.kind for e in stored_events} == {"committee_room"}
    assert all(f"{LINK}{e.code}" in reply for e in stored_events)
    # 07:00-22:00 local in summer time is 06:00-21:00 UTC.
    assert [(s.starts_at.hour, s.ends_at.hour) for s in first_room] == [
        (6, 9),
        (9, 12),
        (12, 15),
        (15, 18),
        (18, 21),
    ]
    assert first_room[0].starts_at == datetime(2027, 5, 6, 6, 0, tzinfo=UTC)
    assert first_room[0].note == "Knock-up: bring a pen" and first_room[1].note is None
    assert [(e.action, e.detail) for e in log] == [("events_import", {"events": 12, "shifts": 60})]


async def test_a_csv_with_bad_rows_creates_nothing_and_names_each_error(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    pat = await organiser(fake, 6001, "Pat", "Peckham")
    rows = [
        HEADER,
        "canvass,Good row,Peckham,Hall,,,05/12/2026,10:00,13:00,5,",
        "party,Bad kind,Peckham,Hall,,,05/12/2026,10:00,13:00,5,",
        "canvass,Bad date,Peckham,Hall,,,31/02/2027,10:00,13:00,5,",
        "canvass,Wrong way round,Peckham,Hall,,,05/12/2026,13:00,10:00,5,",
        "canvass,No places,Peckham,Hall,,,05/12/2026,10:00,13:00,0,",
        "canvass,,Peckham,Hall,,,05/12/2026,10:00,13:00,5,",
        "canvass,Half a pin,Peckham,,51.47,,05/12/2026,10:00,13:00,5,",
        "canvass,Not my area,Lewisham,Hall,,,05/12/2026,10:00,13:00,5,",
        "canvass,Late count,peckham,Hall,,,05/12/2026,22:00,02:00,5,",  # fine: past midnight
    ]
    before = await every_row(engine)
    await send_csv(pat, ("\n".join(rows) + "\n").encode())

    assert pat.last.text.splitlines() == [
        "❌ Nothing was added. Please fix these and send the file again:",
        "Line 3, kind: party isn't a kind I know. Use one of: canvass, campaign_day, phone_bank, "
        "street_stall, training, committee_room.",
        "Line 4, date: 31/02/2027 is not a date I can read. Use 05/12/2026.",
        "Line 5, end: this shift would last more than 16 hours (an end before the start means "
        "the next day).",
        "Line 6, capacity: 0 isn't a number of places from 1 to 1000.",
        "Line 7, title: this is empty.",
        "Line 8, longitude: give both latitude and longitude, or neither.",
        "Line 9, area: you can only add events in Peckham.",
    ]
    assert await every_row(engine) == before


async def test_too_many_errors_are_capped_and_bad_files_refused(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    bad = [HEADER] + [f"canvass,T{n},Peckham,Hall,,,05/12/2026,10:00,13:00,0," for n in range(45)]
    await send_csv(admin, ("\n".join(bad) + "\n").encode())
    lines = admin.last.text.splitlines()
    assert len(lines) == 1 + 30 + 1 and lines[-1] == "…and 15 more."

    await send_csv(admin, "kind,title,date\ncafé,x,y\n".encode("latin-1"))
    assert admin.last.text == texts.csv_bad_file("not_utf8")
    await send_csv(admin, b"kind,title,date,start\ncanvass,x,5/12,10:00\n")
    assert admin.last.text == texts.csv_bad_file("missing_columns", "area, end, capacity")
    await send_csv(admin, b"")
    assert admin.last.text == texts.csv_bad_file("empty")
    await admin.send_document(b"PK\x03\x04", file_name="events.xlsx", mime_type=None)
    assert admin.last.text == texts.csv_bad_file("spreadsheet")
    await admin.send_document(b"\x89PNG", file_name="photo.png", mime_type="image/png")
    assert admin.last.text == texts.csv_bad_file("not_csv")
    calls_before = len(fake.calls("getFile"))
    await send_csv(admin, b"x" * 1_000_001)
    assert admin.last.text == texts.csv_bad_file("too_big")
    assert len(fake.calls("getFile")) == calls_before  # refused before downloading
    assert await count(engine, events) == 0


async def test_template_round_trip(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    pat = await organiser(fake, 6002, "Pat", "Peckham")
    await pat.send("/template")
    sent = pat.last
    assert sent.file_name == "muster-events-template.csv"
    assert sent.document is not None
    assert sent.caption is not None and "one row per shift" in sent.caption.lower()
    header, example = sent.document.decode("utf-8-sig").splitlines()
    assert header == HEADER + ",target"
    assert ",Peckham," in example and "05/12/2026" in example  # her area; a Saturday ahead

    await send_csv(pat, sent.document, sent.file_name)
    assert pat.last.text.startswith("✅ Created 1 event with 1 shift.")
    async with engine.connect() as conn:
        event = (await conn.execute(select(events))).one()
    assert (event.kind, event.area, event.created_by) == ("canvass", "Peckham", 6002)


async def test_volunteers_are_refused_and_their_files_are_not_imports(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    vic = fake.user(6003, first_name="Vic", username="vic")
    await sign_up(vic)
    before = await every_row(engine)
    for command in ("/template", "/events"):
        await vic.send(command)
        assert vic.last.text == texts.not_allowed("organiser"), command
    await send_csv(vic, small_csv())
    assert vic.last.text == texts.FILE_NOT_EXPECTED
    assert vic.last.document is None
    assert await every_row(engine) == before
    # Someone not signed up at all gets the same.
    stranger = fake.user(6004, first_name="Sam")
    await send_csv(stranger, small_csv())
    assert stranger.last.text == texts.FILE_NOT_EXPECTED
    assert await every_row(engine) == before


async def _going(engine: AsyncEngine, shift_id: int, people: dict[int, str]) -> None:
    """RSVPs inserted directly: Telegram id -> status."""
    async with engine.begin() as conn:
        for telegram_id, status in people.items():
            volunteer_id = await conn.scalar(
                select(volunteers.c.id).where(volunteers.c.telegram_id == telegram_id)
            )
            await conn.execute(
                insert(rsvps).values(
                    shift_id=shift_id,
                    volunteer_id=volunteer_id,
                    status=status,
                    waitlist_seq=1 if status == "waitlisted" else None,
                    responded_at=clock.now(),
                )
            )


async def _shift_ids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return list(await conn.scalars(select(shifts.c.id).order_by(shifts.c.starts_at)))


async def _outbox(engine: AsyncEngine) -> list[tuple[int, str, str]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).all()
    return [(row.chat_id, row.kind, row.payload["text"]) for row in rows]


async def test_events_list_and_cancel_a_shift_tells_those_going(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, small_csv())
    people = {7001: "going", 7002: "going", 7003: "cant", 7004: "going"}
    for telegram_id in people:
        await sign_up(fake.user(telegram_id, first_name=f"V{telegram_id}"))
    morning, afternoon = await _shift_ids(engine)
    await _going(engine, morning, people)
    # Someone who blocked the bot is not messaged.
    async with engine.begin() as conn:
        await conn.execute(
            update(volunteers)
            .where(volunteers.c.telegram_id == 7004)
            .values(unreachable_at=clock.now())
        )

    await admin.send("/events")
    card = admin.last
    assert card.text.startswith("Canvass session: Saturday canvass")
    assert "2 of 5 places left" in card.text and LINK in card.text
    assert card.buttons == [
        texts.EDIT_EVENT,
        texts.CANCEL_EVENT,
        "❌ Cancel shift 10:00-13:00",
        "❌ Cancel shift 13:00-16:00",
    ]
    await admin.press("❌ Cancel shift 10:00-13:00")
    assert "Cancel the Sat 5 Dec, 10:00-13:00 shift?" in card.text
    assert "2 people who said going or maybe, or are waiting, will be told." in card.text
    assert await _outbox(engine) == []
    await admin.press(texts.CANCEL_SHIFT_YES)

    assert admin.last.text == "Shift cancelled. I'm letting 2 people know."
    assert card.buttons == [texts.EDIT_EVENT, texts.CANCEL_EVENT, "❌ Cancel shift 13:00-16:00"]
    queued = await _outbox(engine)
    assert [(chat, kind) for chat, kind, _ in queued] == [
        (7001, "shift_cancelled"),
        (7002, "shift_cancelled"),
    ]
    assert "<b>Shift cancelled:</b> Sat 5 Dec, 10:00-13:00, Saturday canvass" in queued[0][2]
    async with engine.connect() as conn:
        shift_rows = (await conn.execute(select(shifts).order_by(shifts.c.id))).all()
        log = (await conn.execute(select(audit_log).where(audit_log.c.action != "grant"))).all()
    assert [s.status for s in shift_rows] == ["cancelled", "active"]
    assert log[-1].action == "shift_cancel"
    assert log[-1].detail == {"event_id": 1, "shift_id": morning, "told": 2}
    assert afternoon


async def test_edits_ask_again_on_bad_input_and_tell_those_going(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, small_csv())
    for telegram_id in (7011, 7012, 7013):
        await sign_up(fake.user(telegram_id, first_name=f"V{telegram_id}"))
    morning, _ = await _shift_ids(engine)
    await _going(engine, morning, {7011: "going", 7012: "going", 7013: "maybe"})

    await admin.send("/events")
    await admin.press(texts.EDIT_EVENT)
    await admin.press(texts.EDIT_TITLE)
    assert admin.last.text == texts.ASK_NEW_TITLE
    await admin.send("x" * 121)
    assert admin.last.text == texts.BAD_TITLE
    await admin.send("cancel")
    assert admin.last.text == texts.EDIT_CANCELLED
    await admin.send("Hello")  # no edit waiting: ordinary handling
    assert admin.last.text != texts.BAD_TITLE
    await admin.press(texts.EDIT_TITLE)
    await admin.send("/cancel")
    assert admin.last.text == texts.EDIT_CANCELLED
    await admin.press(texts.EDIT_TITLE)
    await admin.send("/events")  # another command drops the edit and works as usual
    assert admin.last.text.startswith("Canvass session: Saturday canvass")
    await admin.send("Not a title")
    assert admin.last.text != texts.change_saved(0)
    assert await _outbox(engine) == []
    async with engine.connect() as conn:
        assert await conn.scalar(select(events.c.title)) == "Saturday canvass"

    await admin.send("/events")
    await admin.press(texts.EDIT_EVENT)
    await admin.press(texts.EDIT_TITLE)
    await admin.send("Big Saturday canvass")
    assert admin.last.text.startswith("Saved. ✔ I'm letting 3 people know.")
    assert "Big Saturday canvass" in admin.last.text
    queued = await _outbox(engine)
    assert [(chat, kind) for chat, kind, _ in queued] == [
        (7011, "event_changed"),
        (7012, "event_changed"),
        (7013, "event_changed"),
    ]
    assert "It has a new name (it was “Saturday canvass”)" in queued[0][2]

    # Places can't go below the number going; then a new time and places in one go.
    await admin.press(texts.EDIT_EVENT)
    await admin.press("🕙 10:00-13:00 · 5 places")
    assert "(2 going)" in admin.last.text
    await admin.send("1")
    assert admin.last.text == texts.capacity_below_going(2)
    await admin.send("soon")
    assert admin.last.text == texts.BAD_SHIFT_CHANGE["shift_change"]
    await admin.send("10:30-13:30 8")
    assert admin.last.text.startswith("Saved. ✔ I'm letting 3 people know.")
    async with engine.connect() as conn:
        shift = (await conn.execute(select(shifts).where(shifts.c.id == morning))).one()
        log = (await conn.execute(select(audit_log).order_by(audit_log.c.id))).all()
    assert shift.capacity == 8
    assert shift.starts_at == datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    queued = await _outbox(engine)
    assert len(queued) == 6
    assert "The Sat 5 Dec, 10:00-13:00 shift now runs Sat 5 Dec, 10:30-13:30." in queued[-1][2]
    assert [(e.action, e.detail) for e in log[-2:]] == [
        ("event_edit", {"event_id": 1, "field": "title", "told": 3}),
        (
            "shift_edit",
            {
                "event_id": 1,
                "shift_id": morning,
                "fields": ["capacity", "ends_at", "starts_at"],
                "told": 3,
                "promoted": 0,
            },
        ),
    ]

    # Places alone: nobody needs telling. A new meeting point: everyone does.
    await admin.press(texts.EDIT_EVENT)
    await admin.press("🕙 10:30-13:30 · 8 places")
    await admin.send("12")
    assert admin.last.text.startswith("Saved. ✔\n")
    await admin.press(texts.EDIT_EVENT)
    await admin.press(texts.EDIT_PLACE)
    await admin.send("Rye Lane, by the bus stop")
    assert admin.last.text.startswith("Saved. ✔ I'm letting 3 people know.")
    assert "Rye Lane, by the bus stop" in admin.last.text
    assert len(await _outbox(engine)) == 9


async def test_cancel_an_event_asks_once_and_stale_buttons_change_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, small_csv())
    await sign_up(fake.user(7021, first_name="Val"))
    morning, afternoon = await _shift_ids(engine)
    await _going(engine, morning, {7021: "going"})
    await _going(engine, afternoon, {7021: "waitlisted"})

    await admin.send("/events")
    old_card = admin.last
    await admin.send("/events")
    card = admin.last
    await admin.press(texts.CANCEL_EVENT)
    assert "1 person who said going or maybe, or are waiting, will be told." in card.text
    await admin.press(texts.CANCEL_KEEP)
    assert card.buttons[:2] == [texts.EDIT_EVENT, texts.CANCEL_EVENT]
    assert await count(engine, outbox) == 0

    await admin.press(texts.CANCEL_EVENT)
    await admin.press(texts.CANCEL_EVENT_YES)
    assert admin.last.text == "Event cancelled. I'm letting 1 person know."
    assert card.text.startswith("❌ Cancelled") and card.buttons == []
    queued = await _outbox(engine)
    assert [(chat, kind) for chat, kind, _ in queued] == [(7021, "event_cancelled")]
    assert "You don't need to go" in queued[0][2]

    # The older list still shows the buttons: they answer clearly and change nothing.
    await outbox_drained(engine)
    before = await every_row(engine)
    await admin.press_data(old_card.callback_data(texts.CANCEL_EVENT), old_card)
    assert admin.callback_answers[-1]["text"] == texts.EVENT_ALREADY_CANCELLED
    assert old_card.buttons == []  # the old card now shows it cancelled too
    assert await every_row(engine) == before
    await admin.send("/events")
    assert admin.last.text == texts.EVENTS_NONE


async def test_stale_shift_button_and_forged_presses_change_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, small_csv())
    morning, _ = await _shift_ids(engine)
    await admin.send("/events")
    old_card = admin.last
    await admin.send("/events")
    await admin.press("❌ Cancel shift 10:00-13:00")
    await admin.press(texts.CANCEL_SHIFT_YES)

    before = await every_row(engine)
    await admin.press_data(old_card.callback_data("❌ Cancel shift 10:00-13:00"), old_card)
    assert admin.callback_answers[-1]["text"] == texts.SHIFT_GONE
    assert "❌ Cancel shift 10:00-13:00" not in old_card.buttons
    await admin.press_data(f"ea:yes-shift:{morning + 1}", old_card)  # never offered
    assert admin.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    await admin.press_data("ea:yes-event:1", old_card)
    assert admin.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    assert await every_row(engine) == before


async def test_an_area_organiser_sees_and_changes_only_their_area(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, polling_day_csv())  # rooms 1-6 Peckham, 7-12 Lewisham
    pat = await organiser(fake, 6010, "Pat", "peckham")

    await pat.send("/events")
    cards = [m for m in pat.messages if m.text and m.text.startswith("Polling-day committee")]
    assert len(cards) == 6
    assert all("Peckham" in card.text for card in cards)
    assert not any("Lewisham" in card.text for card in cards)

    # Admin sees all 12: ten, then a button for the rest.
    await admin.send("/events")
    assert admin.last.text == texts.events_more(10, 12)
    await admin.press(texts.EVENTS_SHOW_MORE)
    assert admin.last.text.startswith("Polling-day committee room: Committee room 12")

    # A Lewisham event's buttons were never offered to Pat: a forged press changes nothing.
    async with engine.connect() as conn:
        lewisham = await conn.scalar(select(events.c.id).where(events.c.area == "Lewisham"))
    before = await every_row(engine)
    await pat.press_data(f"ea:yes-event:{lewisham}", cards[0])
    assert pat.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    await send_csv(pat, small_csv(area="Lewisham"))
    assert "you can only add events in peckham." in pat.last.text
    assert await every_row(engine) == before

    # Her own area, in any case, is fine.
    await send_csv(pat, small_csv(area="PECKHAM", title="Stall"))
    assert pat.last.text.startswith("✅ Created 1 event with 2 shifts.")
    assert (await stored(engine, 6010)) is not None


async def test_more_places_move_people_up_from_the_waitlist(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, small_csv())
    wren = fake.user(7031, first_name="Wren")
    for person in (fake.user(7032, first_name="Gus"), fake.user(7033, first_name="Hal"), wren):
        await sign_up(person)
    morning, _ = await _shift_ids(engine)
    await _going(engine, morning, {7032: "going", 7033: "going"})

    await admin.send("/events")
    await admin.press(texts.EDIT_EVENT)
    await admin.press("🕙 10:00-13:00 · 5 places")
    await admin.send("2")
    assert admin.last.text.startswith("Saved. ✔\n")
    await _going(engine, morning, {7031: "waitlisted"})

    await admin.press(texts.EDIT_EVENT)
    await admin.press("🕙 10:00-13:00 · 2 places")
    await admin.send("3")
    assert admin.last.text.startswith(f"Saved. ✔ {texts.moved_up(1)}")
    await until(
        lambda: any(
            m.text and m.text.startswith("Good news! A place came free") for m in wren.messages
        )
    )
    async with engine.connect() as conn:
        status = await conn.scalar(
            select(rsvps.c.status)
            .where(rsvps.c.shift_id == morning, rsvps.c.waitlist_seq.is_(None))
            .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
            .where(volunteers.c.telegram_id == 7031)
        )
    assert status == "going"
    # Places alone: nobody needs telling but Wren, who moved up.
    assert [(chat, kind) for chat, kind, _ in await _outbox(engine)] == [(7031, "rsvp_calendar")]


async def test_an_organiser_whose_areas_shrink_cannot_use_old_buttons_elsewhere(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, polling_day_csv())
    pat = await organiser(fake, 6011, "Pat", "")
    await pat.send("/events")
    cards = [m for m in pat.messages if m.text and m.text.startswith("Polling-day committee")]
    lewisham = next(card for card in cards if "Lewisham" in card.text)
    peckham = next(card for card in cards if "Peckham" in card.text)
    await admin.send("/revoke @pat organiser")
    await admin.send("/grant @pat organiser Peckham")

    before = await every_row(engine)
    await pat.press_data(lewisham.callback_data(texts.CANCEL_EVENT), lewisham)
    assert pat.callback_answers[-1]["text"] == texts.EVENT_NOT_YOURS
    assert await every_row(engine) == before
    await pat.press_data(peckham.callback_data(texts.CANCEL_EVENT), peckham)
    await pat.press(texts.CANCEL_EVENT_YES)
    assert pat.last.text == "Event cancelled."

    # And with no role left at all, the buttons refuse like the commands do.
    await admin.send("/revoke @pat organiser")
    await pat.press_data(lewisham.callback_data(texts.EDIT_EVENT), lewisham)
    assert pat.last.text == texts.not_allowed("organiser")


async def test_many_new_events_get_their_links_as_a_file(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    rows = [
        f"phone_bank,Phone bank {n},Peckham,Office,,,05/12/2026,18:00,20:00,8," for n in range(31)
    ]
    await send_csv(admin, ("\n".join([HEADER, *rows]) + "\n").encode())
    summary, links = admin.messages[-2:]
    assert summary.text.startswith("✅ Created 31 events with 31 shifts.")
    assert links.file_name == "muster-event-links.csv" and links.document is not None
    found = list(csv.reader(io.StringIO(links.document.decode("utf-8-sig"))))
    assert found[0] == ["title", "area", "date", "link"]
    assert len(found) == 32 and found[1][0] == "Phone bank 0" and found[1][3].startswith(LINK)


async def test_the_roster_comes_a_page_of_events_at_a_time(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, polling_day_csv())  # rooms 1-6 Peckham, 7-12 Lewisham, 5 shifts each

    def headings(user: FakeUser, since: int) -> list[str]:
        return [
            m.text for m in user.messages[since:] if m.text and m.text.startswith("Committee room")
        ]

    before = len(admin.messages)
    await admin.send("/roster")
    assert headings(admin, before) == [f"Committee room {n} (Peckham)" for n in range(1, 6)]
    assert admin.last.text == texts.roster_more(5, 12)
    first_more = admin.last
    await admin.press(texts.EVENTS_SHOW_MORE)
    # The button goes from the message it was on; the next five come, then the last two.
    assert first_more.buttons == []
    assert admin.last.text == texts.roster_more(10, 12)
    await admin.send("show more")  # typed instead of tapped
    shown = headings(admin, before)
    assert shown == [
        f"Committee room {n} ({'Peckham' if n <= 6 else 'Lewisham'})" for n in range(1, 13)
    ]
    assert admin.last.text.startswith("Thu 6 May, ")  # the last room's last shift: no button
    assert admin.last.buttons == []

    # An organiser's pages hold their area's events only; once no longer an organiser, the
    # button they still have changes nothing and says why.
    pat = await organiser(fake, 6011, "Pat", "peckham")
    before = len(pat.messages)
    await pat.send("/roster")
    assert headings(pat, before) == [f"Committee room {n} (Peckham)" for n in range(1, 6)]
    assert pat.last.text == texts.roster_more(5, 6)
    found = await stored(engine, 6011)
    assert found is not None
    async with engine.begin() as conn:
        await conn.execute(delete(roles).where(roles.c.volunteer_id == found.id))
    rows = await every_row(engine)
    await pat.press(texts.EVENTS_SHOW_MORE)
    assert pat.last.text == texts.not_allowed("organiser")
    assert headings(pat, before) == [f"Committee room {n} (Peckham)" for n in range(1, 6)]
    assert await every_row(engine) == rows
