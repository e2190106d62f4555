"""Typing instead of tapping, at every picker, end to end: a button's words in any case, its
number in the list, or a plain word for it does what the tap does; anything else is told what to
type or tap and changes nothing; and the question just put outlives a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.domain.volunteers import Purpose
from bot.settings import Settings
from db.schema import callouts, events, rsvps, shifts, user_state, volunteers
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, new_event, run_scheduler, sign_up, stored, until


async def _organiser(fake: FakeTelegram) -> FakeUser:
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga, when=("Sundays",))
    await fake.user(ADMIN_ID, first_name="Ada").send("/grant @olga organiser Peckham")
    return olga


async def _answers(engine: AsyncEngine, telegram_id: int) -> dict[int, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(rsvps.c.shift_id, rsvps.c.status)
            .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
            .where(volunteers.c.telegram_id == telegram_id)
        )
        return dict(rows.all())


async def test_myshifts_lines_answered_in_words(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await new_event(olga, shifts=("10:00-13:00 5", "14:00-17:00 5"))
    amy = fake.user(8101, first_name="Amy")
    await sign_up(amy)
    await amy.send(f"/start {payload}")
    await amy.press("Sat 28 Nov, 10:00-13:00 · ", exact=False)
    await amy.press("Sat 28 Nov, 14:00-17:00 · ", exact=False)
    before = await _answers(engine, amy.id)
    assert sorted(before.values()) == ["going", "going"]

    await amy.send("/myshifts")
    rows = await every_row(engine)
    # Both lines offer a Cancel: which one is asked, and nothing changes.
    await amy.send("cancel")
    assert amy.last.text == texts.type_or_tap(2, "change")
    await amy.send("whatever")
    assert amy.last.text == texts.type_or_tap(2, "change")
    assert await every_row(engine) == rows
    # "cancel 2" is the second line's Cancel, as its tap.
    await amy.send("Cancel 2")
    assert texts.CANCELLED_YOURS in [m.text for m in amy.messages[-3:]]
    after = await _answers(engine, amy.id)
    first, second = sorted(after)
    assert (after[first], after[second]) == ("going", "cant")


async def test_the_here_picker_answered_by_number_or_words(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    await new_event(olga, title="Rye Lane doors", shifts=("10:00-13:00 5",))
    await new_event(olga, title="Peckham stall", shifts=("10:00-12:00 5",))
    hal = fake.user(8102, first_name="Hal")
    await sign_up(hal)
    clock.set_time(datetime(2026, 11, 28, 10, 5, tzinfo=UTC))
    await hal.send("/here")
    assert hal.last.text == texts.WHICH_SESSION
    assert hal.buttons() == ["10:00 Rye Lane doors", "10:00 Peckham stall"]
    rows = await every_row(engine)
    await hal.send("3")  # there are two
    assert hal.last.text == texts.type_or_tap(2, None)
    assert await every_row(engine) == rows
    await hal.send("2")
    assert hal.last.text == texts.CHECKED_IN
    async with engine.connect() as conn:
        [(title, walk_in, checked_in_at)] = (
            await conn.execute(
                select(events.c.title, rsvps.c.walk_in, rsvps.c.checked_in_at)
                .join(shifts, shifts.c.event_id == events.c.id)
                .join(rsvps, rsvps.c.shift_id == shifts.c.id)
                .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
                .where(volunteers.c.telegram_id == hal.id)
            )
        ).all()
    assert (title, walk_in, checked_in_at) == ("Peckham stall", True, clock.now())
    # The question is answered: the same words again are not taken for it.
    await hal.send("2")
    assert hal.last.text != texts.CHECKED_IN


async def test_events_edit_menu_and_show_more_typed(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = await _organiser(fake)
    for n in range(11):
        await new_event(admin, title=f"Doors {n + 1}", day=f"{n + 1} Dec")
    await admin.send("/events")
    assert admin.last.text == texts.events_more(10, 11)
    await admin.send("show more")
    assert "Doors 11" in admin.last.text
    # The last card is the only one shown now: its Edit, in words, then its Title.
    await admin.send("EDIT")
    assert admin.last.text == texts.pressed(texts.EDIT_EVENT)  # the card above changed
    assert texts.EDIT_TITLE in admin.buttons()
    await admin.send("title")
    assert admin.last.text == texts.ASK_NEW_TITLE
    await admin.send("Doors, the last one")
    assert admin.last.text.startswith("Saved.")
    async with engine.connect() as conn:
        titles = set((await conn.execute(select(events.c.title))).scalars())
    assert "Doors, the last one" in titles and "Doors 11" not in titles


async def test_callout_pickers_typed(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    await new_event(olga, shifts=("10:00-13:00 5", "14:00-17:00 5"))
    amy = fake.user(8103, first_name="Amy")
    await sign_up(amy)
    await olga.send("/callout")
    await olga.send("banana")  # not an event
    assert olga.last.text == texts.type_or_tap(2, None)  # the event, or Cancel
    await olga.send("1")
    assert olga.last.text == texts.CALLOUT_PICK_SHIFTS
    await olga.send("2")  # the second shift, off
    assert olga.buttons()[:2] == ["✅ Sat 28 Nov, 10:00-13:00", "Sat 28 Nov, 14:00-17:00"]
    await olga.send("next")
    await olga.send("free at that time")
    assert "✅ Free at that time" in olga.buttons()
    await olga.send("Next »")
    assert olga.last.text == texts.CALLOUT_LINE
    await olga.send("skip")
    await olga.send("send now")
    await until(lambda: any((m.text or "").startswith("📣") for m in amy.messages))
    async with engine.connect() as conn:
        [call] = (await conn.execute(select(callouts))).all()
    assert len(call.shift_ids) == 1 and call.audience["fits_availability"] is True
    # The call card came from the outbox: its buttons are pressed by number too.
    await amy.send("1")
    assert list((await _answers(engine, amy.id)).values()) == ["going"]


async def test_a_retention_warning_kept_in_words(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    ray = fake.user(8108, first_name="Ray")
    await sign_up(ray)
    await admin.send("/retention end 6/5/2027")
    clock.set_time(datetime(2027, 5, 7, 3, 0, tzinfo=UTC))
    await run_scheduler(app, engine)
    assert ray.buttons() == [texts.KEEP]
    await ray.send("keep")
    assert ray.last.text == texts.KEPT
    clock.advance(timedelta(days=15))
    await run_scheduler(app, engine)
    kept = await stored(engine, ray.id)
    assert kept is not None and kept.consents_to(Purpose.FUTURE)


async def test_the_question_just_put_outlives_a_restart(
    fake: FakeTelegram, settings: Settings, engine: AsyncEngine, deep_links: list[DeepLinkHandler]
) -> None:
    app = await start_application(fake, settings, engine, deep_links)
    try:
        olga = await _organiser(fake)
        payload = await new_event(olga, shifts=("10:00-13:00 5", "14:00-17:00 5"))
        val = fake.user(8104, first_name="Val")
        await sign_up(val)
        await val.send(f"/start {payload}")
        await val.press("Sat 28 Nov, 10:00-13:00 · ", exact=False)
        await val.press("Sat 28 Nov, 14:00-17:00 · ", exact=False)
        await val.send("/myshifts")
        await olga.send("/events")
    finally:
        await stop_application(app)
    async with engine.connect() as conn:
        rows = await conn.execute(select(user_state.c.telegram_id, user_state.c.data))
        saved = dict(rows.all())
    assert len(saved[val.id]["asked"]) == 2  # the two /myshifts lines
    app = await start_application(fake, settings, engine, deep_links)
    try:
        await val.send("cancel 1")
        await olga.send("edit")
        assert texts.EDIT_TITLE in olga.buttons()
    finally:
        await stop_application(app)
    answers = await _answers(engine, val.id)
    assert sorted(answers.values()) == ["cant", "going"]


async def test_pause_answered_in_words_after_a_restart(
    fake: FakeTelegram, settings: Settings, engine: AsyncEngine, deep_links: list[DeepLinkHandler]
) -> None:
    app = await start_application(fake, settings, engine, deep_links)
    try:
        val = fake.user(8105, first_name="Val")
        await sign_up(val)
        await val.send("/pause")
    finally:
        await stop_application(app)
    app = await start_application(fake, settings, engine, deep_links)
    try:
        await val.send("a week")
        assert val.last.text.startswith("Shift calls are paused until Tue 1 Dec.")
    finally:
        await stop_application(app)


async def test_roster_corrections_typed(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _organiser(fake)
    payload = await new_event(olga, shifts=("10:00-13:00 5",))
    amy, ben = fake.user(8106, first_name="Amy"), fake.user(8107, first_name="Ben")
    for person in (amy, ben):
        await sign_up(person)
        await person.send(f"/start {payload}")
        await person.press("Sat 28 Nov, 10:00-13:00 · ", exact=False)
    clock.set_time(datetime(2026, 11, 28, 10, 30, tzinfo=UTC))
    await olga.send("/roster")
    await olga.send("correct attendance")
    assert olga.buttons() == ["❌ Amy", "❌ Ben"]
    await olga.send("someone else")
    assert olga.last.text == texts.type_or_tap(2, None)
    await olga.send("ben")
    assert olga.buttons() == ["❌ Amy", "✅ Ben"]
    async with engine.connect() as conn:
        marked = dict(
            (
                await conn.execute(
                    select(volunteers.c.telegram_id, rsvps.c.attendance).join(
                        rsvps, rsvps.c.volunteer_id == volunteers.c.id
                    )
                )
            ).all()
        )
    assert marked == {amy.id: None, ben.id: "present"}
