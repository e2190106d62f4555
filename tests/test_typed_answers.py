"""Typing instead of tapping, times that could be misread, and dates, end to end: people answer
with words where buttons are offered, and the bot asks rather than guesses."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.settings import Settings
from db import events
from db.schema import rsvps
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, new_event, sign_up, stored
from tests.test_events_admin import HEADER, send_csv, small_csv


async def _organiser(fake: FakeTelegram) -> FakeUser:
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga)
    await fake.user(ADMIN_ID, first_name="Ada").send("/grant @olga organiser Peckham")
    return olga


async def _stored_events(engine: AsyncEngine) -> list[tuple[str, list[tuple[datetime, datetime]]]]:
    async with engine.connect() as conn:
        found = await events.upcoming(conn, areas=None, at=clock.now())
    return [(e.title, [(s.starts_at, s.ends_at) for s in shifts]) for e, shifts in found]


async def test_sign_up_typed_from_start_to_end(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    tom = fake.user(1201, first_name="Tom")
    await tom.send("/start")
    await tom.send("Yes")  # "I agree", typed
    assert tom.last.text == texts.ASK_NAME
    await tom.send("Tom Jones")
    await tom.send("SE15 4QR")
    assert tom.last.text == texts.ASK_AVAILABILITY
    await tom.send("saturdays and SUNDAYS")
    assert {"✅ Saturdays", "✅ Sundays"} <= set(tom.buttons())
    await tom.send("Tuesdays")  # not an option: pointed at the buttons, nothing ticked
    assert tom.messages[-2].text == texts.EXPECTING_BUTTON
    await tom.send("done")
    assert tom.last.text == texts.ASK_ACTIVITIES
    await tom.send("done")  # nothing ticked yet
    assert tom.last.text == texts.PICK_ONE
    await tom.send("2 and 3")  # by their numbers in the list: Leafleting, Phone banking
    assert {"✅ Leafleting", "✅ Phone banking"} <= set(tom.buttons())
    await tom.send("3, done")  # Phone banking off again, and done
    assert tom.last.text == texts.ASK_PHONE
    await tom.send("no thanks")  # the Skip button, in words
    assert "You're signed up" in tom.last.text
    volunteer = await stored(engine, 1201)
    assert volunteer is not None and volunteer.step is None
    assert volunteer.availability == {"sat", "sun"} and volunteer.activities == {"leaflets"}
    assert volunteer.phone is None


async def test_typed_skip_at_the_phone_step_in_any_case(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    una = fake.user(1202, first_name="Una")
    await una.send("/start")
    await una.send("not now")  # the welcome's "Not now"
    assert una.last.text == texts.CONSENT_DECLINED
    assert await stored(engine, 1202) is None
    await una.send("/start")
    await una.press(texts.CONSENT_YES)
    await una.send("use una")  # the "Use “Una”" button, typed
    await una.send("se15 4qr")
    for _step in range(2):
        await una.press(una.buttons()[0])
        await una.press(texts.DONE)
    await una.send("07700 900123")  # a typed number is not taken: it must be her own
    assert una.last.text == texts.OWN_NUMBER_ONLY
    await una.send("SKIP")
    assert "You're signed up" in una.last.text
    volunteer = await stored(engine, 1202)
    assert volunteer is not None and volunteer.signed_up_at is not None and volunteer.phone is None
    assert volunteer.name == "Una"


async def test_newevent_typed_asks_about_weekdays_and_long_nights(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    await olga.send("/newevent")
    await olga.send("canvass session")  # the kind's button, typed
    assert olga.last.text == texts.NEW_TITLE
    await olga.send("Night count")
    await olga.send("peckham")
    await olga.send("Town hall, SE15 4QR")
    await olga.send("banana 14 Mar")
    assert olga.last.text == texts.NEW_EVENT_BAD["date"]
    await olga.send("Sat 14 Mar")  # 14 March 2027 is a Sunday
    assert olga.last.text == texts.which_day(
        datetime(2027, 3, 14).date(), datetime(2027, 3, 13).date()
    )
    assert olga.buttons() == ["Sun 14 Mar 2027", "Sat 13 Mar 2027", texts.BACK, texts.CANCEL]
    await olga.send("sunday")
    assert olga.last.text.startswith("Now a shift")

    await olga.send("10-1 5")
    assert olga.last.text.startswith("Did you mean 10:00 to 13:00, or overnight, 10:00 to 01:00")
    assert olga.buttons()[:2] == ["10:00 to 13:00", "Overnight, 10:00 to 01:00 (next day)"]
    await olga.press("10:00 to 13:00")
    assert olga.messages[-2].text == "Added Sun 14 Mar, 10:00-13:00, 5 places."
    await olga.send("10-1 5")
    await olga.send("overnight")  # the other answer, typed
    assert olga.messages[-2].text == "Added Sun 14 Mar, 10:00-01:00 (next day), 5 places."
    await olga.send("13:00-10:00 5")
    assert olga.last.text.startswith("A shift can be at most 16 hours long.")
    await olga.send("22:00-02:00 3")  # four hours past midnight: clearly meant, not asked
    assert olga.messages[-2].text == "Added Sun 14 Mar, 22:00-02:00 (next day), 3 places."
    await olga.send("DONE")
    assert "22:00-02:00 (next day)" in olga.messages[-2].text  # the preview says so too
    await olga.send("yes")
    assert olga.last.text.startswith("✅ Created Night count with 3 shift(s).")

    [(title, times)] = await _stored_events(engine)
    assert title == "Night count"
    assert times == [
        (datetime(2027, 3, 14, 10, tzinfo=UTC), datetime(2027, 3, 14, 13, tzinfo=UTC)),
        (datetime(2027, 3, 14, 10, tzinfo=UTC), datetime(2027, 3, 15, 1, tzinfo=UTC)),
        (datetime(2027, 3, 14, 22, tzinfo=UTC), datetime(2027, 3, 15, 2, tzinfo=UTC)),
    ]


async def test_newevent_typed_back_skip_and_cancel(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    before = await every_row(engine)
    await olga.send("/newevent")
    await olga.press("Phone bank")
    await olga.send("Go back")
    assert olga.last.text == texts.NEW_KIND
    await olga.press("Phone bank")
    await olga.send("Calls")
    await olga.press("Peckham")
    await olga.share_location(51.4693, -0.0692)
    await olga.send("skip")  # not an address called "skip"
    assert olga.last.text == texts.NEW_DATE
    await olga.send("14.3.27")
    await olga.send("8-1 5")  # 17 hours overnight is too long, but 13:00 may be meant
    assert olga.last.text == "Did you mean 08:00 to 13:00? Tap it, or type the shift again."
    await olga.send("yes")
    assert olga.messages[-2].text == "Added Sun 14 Mar, 08:00-13:00, 5 places."
    await olga.send("back")  # takes that shift away again
    await olga.send("10-1 5")
    await olga.send("back")  # from the question, back to the shift
    assert olga.last.text.startswith("Now a shift")
    await olga.send("Never mind")
    assert olga.last.text == texts.NEW_CANCELLED
    assert await every_row(engine) == before | {"user_state": [], "conversation_state": []}


async def test_today_tomorrow_saturday_and_every_separator(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    # The clock says Tuesday 24 November 2026, 09:00.
    for title, day in [
        ("Today", "today"),
        ("Tomorrow", "Tomorrow"),
        ("Saturday", "saturday"),
        ("Spaces", "14 Mar 27"),
        ("Dashes", "14-3-2027"),
    ]:
        await new_event(olga, title=title, day=day, shifts=("11:00-13:00 4",))
    stored_days = {title: times[0][0].date() for title, times in await _stored_events(engine)}
    assert stored_days == {
        "Today": datetime(2026, 11, 24).date(),
        "Tomorrow": datetime(2026, 11, 25).date(),
        "Saturday": datetime(2026, 11, 28).date(),
        "Spaces": datetime(2027, 3, 14).date(),
        "Dashes": datetime(2027, 3, 14).date(),
    }


async def test_typed_yes_answers_an_event_opened_from_its_link(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await new_event(olga, shifts=("10:00-13:00 4",))
    amy = fake.user(8101, first_name="Amy")
    await sign_up(amy)
    await amy.send(f"/start {payload}")
    card = amy.last
    await amy.send("Yes!")
    async with engine.connect() as conn:
        [answer] = (await conn.execute(select(rsvps))).all()
    assert answer.status == "going" and answer.callout_id is None
    edited = next(m for m in amy.messages if m.message_id == card.message_id)
    assert "✅ You're going: Sat 28 Nov, 10:00-13:00" in edited.text
    await amy.send("can't make it after all")
    async with engine.connect() as conn:
        [answer] = (await conn.execute(select(rsvps))).all()
    assert answer.status == "cant"


async def test_typed_words_answer_an_event_card_opened_before_a_restart(
    fake: FakeTelegram, settings: Settings, engine: AsyncEngine, deep_links: list[DeepLinkHandler]
) -> None:
    app = await start_application(fake, settings, engine, deep_links)
    try:
        olga = await _organiser(fake)
        payload = await new_event(olga, shifts=("10:00-13:00 4",))
        amy = fake.user(8102, first_name="Amy")
        await sign_up(amy)
        await amy.send(f"/start {payload}")
    finally:
        await stop_application(app)
    # Which card typed words answer is kept with the card, not in memory.
    app = await start_application(fake, settings, engine, deep_links)
    try:
        await amy.send("yes")
    finally:
        await stop_application(app)
    async with engine.connect() as conn:
        [answer] = (await conn.execute(select(rsvps))).all()
    assert answer.status == "going" and answer.callout_id is None


async def test_csv_asks_how_to_write_a_long_night_and_a_wrong_weekday(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    rows = [
        "canvass,Count,Peckham,Town hall,,,05/12/2026,10:00,01:00,5,",
        "canvass,Count,Peckham,Town hall,,,Sun 05/12/2026,14:00,16:00,5,",
    ]
    await send_csv(admin, ("\n".join([HEADER, *rows]) + "\n").encode())
    said = admin.last.text
    assert "Nothing was added" in said
    assert "Line 2, end: an end of 01:00 makes this an overnight shift" in said
    assert "“01:00 next day”" in said
    assert "Line 3, date: Sun 05/12/2026: the weekday doesn't fall on that date" in said
    assert await _stored_events(engine) == []
    rows[0] = rows[0].replace("01:00", "01:00 next day")
    rows[1] = rows[1].replace("Sun", "Sat")
    await send_csv(admin, ("\n".join([HEADER, *rows]) + "\n").encode())
    [(_title, times)] = await _stored_events(engine)
    assert times[0] == (
        datetime(2026, 12, 5, 10, tzinfo=UTC),
        datetime(2026, 12, 6, 1, tzinfo=UTC),
    )


async def test_editing_a_shift_to_a_long_night_is_asked_about(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, small_csv())
    await admin.send("/events")
    await admin.press(texts.EDIT_EVENT)
    await admin.press("🕙 10:00-13:00 · 5 places")
    await admin.send("10:00-01:00 6")
    assert admin.last.text.startswith("Did you mean 10:00 to 13:00, or overnight, 10:00 to 01:00")
    assert admin.reply_buttons() == ["10:00-13:00 6", "10:00-01:00 next day 6"]
    await admin.press("10:00-01:00 next day 6")
    assert admin.last.text.startswith("Saved.")
    assert "10:00-01:00 (next day)" in admin.last.text
    [(_title, times)] = await _stored_events(engine)
    assert times[0] == (
        datetime(2026, 12, 5, 10, tzinfo=UTC),
        datetime(2026, 12, 6, 1, tzinfo=UTC),
    )
    await admin.press(texts.EDIT_EVENT)
    await admin.press("🕙 10:00-01:00 (next day) · 6 places")
    await admin.send("13:00-10:00")
    assert admin.last.text.startswith("A shift can be at most 16 hours long")


async def test_profile_pause_and_forget_answered_in_words(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    val = fake.user(1203, first_name="Val")
    await sign_up(val)
    await val.send("/profile")
    await val.send("change name")
    assert val.last.text == texts.ASK_NAME
    await val.send("Valerie")
    volunteer = await stored(engine, 1203)
    assert volunteer is not None and volunteer.name == "Valerie" and volunteer.step is None

    await val.send("/pause")
    await val.send("A MONTH")
    assert val.last.text.startswith("Shift calls are paused until Thu 24 Dec.")
    volunteer = await stored(engine, 1203)
    assert volunteer is not None and volunteer.paused_until is not None
    assert volunteer.paused_until.date() == datetime(2026, 12, 24).date()
    await val.send("a month")  # asked once: later words are not taken as an answer
    assert val.last.text == texts.UNKNOWN_TEXT

    await val.send("/forget")
    await val.send("no thanks")
    assert val.last.text == texts.FORGET_CANCELLED
    assert await stored(engine, 1203) is not None
    await val.send("/forget")
    await val.send("Yes, delete everything")
    assert val.last.text == texts.FORGOTTEN
    assert await stored(engine, 1203) is None


async def test_a_report_for_a_day_whose_weekday_does_not_fit_is_refused(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/summary Sun 14/3/2026")  # 14 March 2026 was a Saturday
    assert admin.last.text == texts.BAD_REPORT_PERIOD["weekday"]
    await admin.send("/summary Sat 14/3/2026")
    assert admin.last.text != texts.BAD_REPORT_PERIOD["weekday"]
    assert "14 Mar" in admin.last.text


async def test_cancelling_a_shift_confirmed_in_words(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await send_csv(admin, small_csv())
    await admin.send("/events")
    card = admin.last
    await admin.press("❌ Cancel shift 10:00-13:00")
    await admin.send("No, keep it")
    assert admin.last.text == texts.pressed(texts.CANCEL_KEEP)
    # The card is back with its own buttons: "yes" is not one of them, and changes nothing.
    await admin.send("yes")
    assert admin.last.text == texts.type_or_tap(4, None)
    [(_title, times)] = await _stored_events(engine)
    assert len(times) == 2
    await admin.press("❌ Cancel shift 10:00-13:00")
    await admin.send("Yes")
    assert admin.last.text == texts.shift_cancelled_done(0)
    [(_title, times)] = await _stored_events(engine)
    assert times == [
        (datetime(2026, 12, 5, 13, tzinfo=UTC), datetime(2026, 12, 5, 16, tzinfo=UTC))
    ]
    shown = next(m for m in admin.messages if m.message_id == card.message_id)
    assert "❌ Cancel shift 10:00-13:00" not in shown.buttons
