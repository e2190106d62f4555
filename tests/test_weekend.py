"""A whole campaign weekend, driven by moving the clock: the scheduled work does the chasing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.settings import Settings
from db.schema import callouts, rsvps, scheduled_work, volunteers
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import new_event, outbox_drained, run_scheduler, sign_up, until

MEETING = (51.4693, -0.0692)
# Times in this test are London time in November: GMT, so local equals UTC.
TUE_9 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Answers by Friday 10:00 (24 hours before the shift), the nudge a day before that, and the
    pace lifted so the weekend runs in seconds."""
    return settings.model_copy(
        update={
            "rsvp_deadline_hours": 24,
            "chase_before_hours": 24,
            "send_rate": 0,
            "send_per_chat_seconds": 0,
        }
    )


async def tick(app: Application, engine: AsyncEngine, moment: datetime) -> None:
    clock.set_time(moment)
    await run_scheduler(app, engine)


def texts_of(user: FakeUser) -> list[str]:
    return [m.text or "" for m in user.messages]


async def _set_up_weekend(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> dict[str, FakeUser]:
    """Tuesday: sign-ups, an organiser and the event. Wednesday: the call, and most answers."""
    clock.set_time(TUE_9)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(9001, first_name="Olga", username="olga")
    await sign_up(olga, postcode="N1 9GU", when=("Sundays",))
    await admin.send("/grant @olga organiser Peckham")
    names = ["Amy", "Ben", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal"]
    people = {name: fake.user(9100 + n, first_name=name) for n, name in enumerate(names)}
    for person in people.values():
        await sign_up(person)  # Saturdays, door-knocking, SE15

    await new_event(olga, pin=MEETING)
    await tick(app, engine, at(24, 9, 5))  # plans the shift's work

    clock.set_time(at(25, 10))  # Wednesday
    await olga.send("/callout")
    await olga.press("Sat 28 Nov · Peckham Saturday doors")
    await olga.press(texts.NEXT)
    await olga.press("Free at that time")
    await olga.press(texts.NEXT)
    await olga.press(texts.SKIP)
    await olga.press(texts.SEND_NOW)
    await tick(app, engine, at(25, 10, 1))  # plans the call's nudge and close report
    for name in ("Amy", "Ben", "Cat", "Dan", "Gus"):
        await people[name].press("Sat 28 Nov, 10:00-13:00", exact=False)
    await people["Eve"].send("maybe")
    return {"olga": olga, "admin": admin, **people}


async def test_a_campaign_weekend(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    who = await _set_up_weekend(app, fake, engine)
    olga, amy, ben, cat, dan = who["olga"], who["Amy"], who["Ben"], who["Cat"], who["Dan"]
    eve, fay, gus, hal = who["Eve"], who["Fay"], who["Gus"], who["Hal"]
    assert "Can you help?" in fay.messages[-1].text and "Can you help?" in hal.messages[-1].text

    # Thursday 10:00: one nudge to those who haven't answered (Fay and Hal), not to Eve (maybe).
    await tick(app, engine, at(26, 10, 1))
    assert fay.last.text.startswith("Just checking: can you help with Peckham Saturday doors?")
    assert "We'd love to know by Fri 27 Nov, 10:00" in fay.last.text  # the call's deadline
    assert hal.last.text.startswith("Just checking")
    assert not eve.last.text.startswith("Just checking")
    await fay.send("yes")  # in words, to the nudge
    # The calendar file's caption, once the outbox has sent it.
    await until(lambda: texts_of(fay)[-1].startswith("You're going! 🎉"))
    await tick(app, engine, at(26, 12))  # the nudge goes once only
    # Her nudge has become a card with her answer on it; none came after it.
    nudges = [
        m
        for m in fay.messages
        if (m.edit_history[0]["text"] if m.edit_history else m.text or "").startswith("Just")
    ]
    assert len(nudges) == 1
    assert "✅ You're going: Sat 28 Nov, 10:00-13:00" in nudges[0].text
    assert not any(t.startswith("Just checking") for t in texts_of(fay))

    # Friday 10:00: the RSVP close report to Olga, and the day-before reminder with buttons.
    await tick(app, engine, at(27, 10, 1))
    report = next(t for t in reversed(texts_of(olga)) if t.startswith("📊"))
    assert "6 going, 1 maybe, 0 waitlisted" in report and "(no reply: 1)" in report
    assert amy.last.text.startswith("⏰ Reminder: you're down for Sat 28 Nov, 10:00-13:00")
    assert amy.buttons() == [texts.STILL_COMING_YES, texts.STILL_COMING_NO]
    await amy.press(texts.STILL_COMING_YES)
    assert amy.last.text == texts.SEE_YOU
    assert not any(t.startswith("⏰ Reminder") for t in texts_of(eve))  # maybe: no reminder

    # Saturday 08:00: see you soon, with the meeting point.
    await tick(app, engine, at(28, 8, 0))
    assert any(
        (m.text or "").startswith("👋 See you soon! Peckham Saturday doors starts at 10:00.")
        for m in ben.messages[-2:]
    )
    soon = [m for m in ben.messages if (m.text or "").startswith("👋 See you soon!")]
    assert len(soon) == 1 and "Rye Lane Library" in soon[0].text
    # (His first venue came with his "going" on Wednesday; this one with the reminder.)
    after = ben.messages[ben.messages.index(soon[0]) :]
    venue = [m for m in after if m.method == "sendVenue"]
    assert len(venue) == 1 and venue[0].venue["title"] == "Peckham Saturday doors"

    # 10:00: check-in. Amy taps, Ben sends /here, Cat shares her location at the door, Dan is
    # running late, Hal turns up without having answered (a walk-in). Fay and Gus never come.
    await tick(app, engine, at(28, 10, 0))
    assert (
        amy.last.text
        == "📍 Peckham Saturday doors is starting (Sat 28 Nov, 10:00-13:00). Are you there?"
    )
    await amy.press(texts.IM_HERE)
    assert amy.last.text == texts.CHECKED_IN
    await ben.send("/here")
    assert ben.last.text == texts.CHECKED_IN
    await cat.share_location(MEETING[0] + 0.001, MEETING[1])  # about 110 m away
    assert cat.last.text == texts.CHECKED_IN
    await dan.press(texts.RUNNING_LATE)
    assert dan.last.text == texts.LATE_NOTED
    await outbox_drained(engine)
    assert (
        olga.last.text
        == "🕒 Dan is running late for Peckham Saturday doors (Sat 28 Nov, 10:00-13:00)."
    )
    clock.set_time(at(28, 10, 10))
    await hal.send("/here")
    assert hal.last.text == texts.CHECKED_IN

    # 10:30: the turnout report.
    await tick(app, engine, at(28, 10, 30))
    turnout = olga.last.text
    # Hal walked in, Dan is on his way: the report, /roster and /turnout say it in the same words.
    assert turnout.startswith(
        "📋 Sat 28 Nov, 10:00 Peckham Saturday doors: Said going 6, of them came 3, walk-ins 1, "
        "running late 1, not here yet 2.\n"
        "Of them came: Amy, Ben, Cat\nWalk-ins: Hal\nRunning late: Dan\nNot here yet: Fay, Gus"
    )
    await olga.send("/roster")
    roster = olga.last.text
    assert "Said going: 6 - Amy, Ben, Cat, Dan, Fay, Gus\n" in roster  # Hal is not among them
    assert (
        "Of them came: 3 - Amy, Ben, Cat\nWalk-ins: 1 - Hal\nRunning late: 1 - Dan\n"
        "Not here yet: 2 - Fay, Gus\n"
    ) in roster
    await olga.send("/turnout Peckham")
    assert (
        "said going 6, of them came 3, walk-ins 1, running late 1, not here yet 2, doors 0"
        in olga.last.text
    )
    clock.set_time(at(28, 10, 45))
    await dan.press(texts.IM_HERE)  # the late arrival
    assert dan.last.text == texts.CHECKED_IN

    # 13:00: debriefs to those who came, by tap or typed number, with an optional note.
    await tick(app, engine, at(28, 13, 0))
    for person in (amy, ben, cat, dan, hal):
        assert (
            person.last.text == texts.debrief_prompt.__doc__ or "How many doors" in person.last.text
        )
    assert "How many doors" not in fay.last.text and "How many doors" not in gus.last.text
    await amy.press("25")
    await amy.send("Lots of interest in the new bus route")
    assert amy.last.text == texts.DEBRIEF_THANKS
    await ben.send("40")
    await ben.press(texts.SKIP)
    # Typed, not tapped: his "How many doors?" card says 40 and offers no number to overwrite it.
    await outbox_drained(engine)
    asked = next(m for m in ben.messages if "How many doors" in (m.text or ""))
    assert asked.text.endswith(texts.doors_noted(40)) and asked.buttons == []
    await cat.press("10")
    await cat.press(texts.SKIP)
    await dan.press("0")
    await dan.press(texts.SKIP)

    # 13:30: the final report with doors; Olga corrects Gus, who was there after all.
    await tick(app, engine, at(28, 13, 30))
    final = olga.last.text
    assert final.startswith("✅ Final: Sat 28 Nov, 10:00-13:00 Peckham Saturday doors")
    assert (
        "Said going 6, of them came 4, walk-ins 1, running late 0, no-shows 2. Doors knocked: 75."
        in final
    )
    assert "No-shows: Fay, Gus" in final
    await olga.send("/roster")
    await olga.press(texts.CORRECT_ATTENDANCE)
    assert olga.buttons()[:3] == ["✅ Amy", "✅ Ben", "✅ Cat"]
    await olga.press("❌ Gus")
    assert "✅ Gus" in olga.buttons()
    # The organiser's correction reaches Gus's "Are you there?" card: no more buttons to press.
    await outbox_drained(engine)
    prompt = next(m for m in gus.messages if "Are you there?" in (m.text or ""))
    assert prompt.text.endswith(texts.CHECKED_IN_LINE) and prompt.buttons == []

    async with engine.connect() as conn:
        stored = {
            row.name: row
            for row in await conn.execute(
                select(
                    volunteers.c.name,
                    rsvps.c.status,
                    rsvps.c.walk_in,
                    rsvps.c.checked_in_at,
                    rsvps.c.running_late_at,
                    rsvps.c.doors,
                    rsvps.c.debrief_note,
                    rsvps.c.attendance,
                ).join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
            )
        }
        work = {
            (row.kind, row.status)
            for row in await conn.execute(select(scheduled_work.c.kind, scheduled_work.c.status))
        }
    assert stored["Hal"].walk_in and stored["Hal"].checked_in_at == at(28, 10, 10)
    assert stored["Dan"].running_late_at == at(28, 10) and stored["Dan"].checked_in_at == at(
        28, 10, 45
    )
    assert (
        stored["Amy"].doors == 25
        and stored["Amy"].debrief_note == "Lots of interest in the new bus route"
    )
    assert stored["Fay"].checked_in_at is None and stored["Eve"].status == "maybe"
    assert stored["Gus"].attendance == "present" and stored["Fay"].attendance is None
    assert {kind for kind, status in work if status == "done"} >= {
        "chaser",
        "close",
        "reminder",
        "checkin",
        "turnout",
        "debrief",
        "final",
        "forecast",
    }

    # Sunday 08:00: the coordinators' digest (the admin is one).
    await tick(app, engine, at(29, 8, 0))
    digest = who["admin"].last.text
    assert digest.startswith("☀️ Good morning! Muster digest for Sun 29 Nov")
    # Gus, corrected to present, now counts.
    assert (
        "Sat 28 Nov, 10:00 Peckham Saturday doors: said going 6, of them came 5, walk-ins 1, "
        "running late 0, no-shows 1, 75 doors"
    ) in digest

    # And the coordinators' own figures agree with what happened.
    admin = who["admin"]
    await admin.send("/summary")
    summary = admin.last.text
    for line in (
        "Events: 1",
        "Shifts: 1",
        "Said going: 6\nOf them came: 5\nWalk-ins: 1\nRunning late: 0\nNo-shows: 1",
        "Attendance rate: 83% of those who said going came",
        "Doors knocked: 75",
        "New sign-ups: 9",
    ):
        assert line in summary, line
    await admin.send("/turnout Peckham")
    assert (
        "said going 6, of them came 5, walk-ins 1, running late 0, no-shows 1, doors 75"
        in admin.last.text
    )
    await admin.send("/export")
    attendance_file = next(
        m for m in admin.messages if (m.file_name or "").startswith("muster-attendance")
    )
    (row,) = list(csv.DictReader(io.StringIO(attendance_file.document.decode("utf-8-sig"))))
    columns = ("said going", "of them came", "walk-ins", "running late", "no-shows", "doors")
    assert [row[k] for k in columns] == ["6", "5", "1", "0", "1", "75"]
    await admin.send("/chart")
    chart = admin.last
    assert chart.method == "sendPhoto" and (chart.photo or b"").startswith(b"\x89PNG\r\n\x1a\n")


async def test_down_on_friday_evening_back_on_saturday(
    fake: FakeTelegram, settings: Settings, engine: AsyncEngine, deep_links: list[DeepLinkHandler]
) -> None:
    """Stopped on Friday evening, started on Saturday at 09:00: every reminder still due goes
    once, the one that no longer means anything is skipped, none goes twice."""
    app = await start_application(fake, settings, engine, deep_links)
    try:
        who = await _set_up_weekend(app, fake, engine)
        olga = who["olga"]
        # A short phone bank on Friday evening too, whose reminder falls due while the bot is down.
        link = await new_event(
            olga,
            kind="Phone bank",
            title="Friday calls",
            address="Peckham office, SE15 5BA",
            day="Fri 27 Nov",
            shifts=("19:00-20:00 4",),
        )
        await tick(app, engine, at(25, 10, 30))
        await who["Gus"].send(f"/start {link}")
        await who["Gus"].press("Fri 27 Nov, 19:00-20:00", exact=False)
        await tick(app, engine, at(27, 10, 1))  # the Saturday shift's day-before reminder
    finally:
        await stop_application(app)
    reminders_before = {
        name: sum(t.startswith("⏰ Reminder") for t in texts_of(who[name]))
        for name in ("Amy", "Gus")
    }

    # Down from Friday 10:01 to Saturday 09:00: Gus's 17:00 reminder for the 19:00 phone bank fell
    # due (and its shift ended), and the Saturday 08:00 reminders fell due too.
    clock.set_time(at(28, 9, 0))
    app = await start_application(fake, settings, engine, deep_links)
    try:
        await run_scheduler(app, engine)
        await run_scheduler(app, engine)  # and again: nothing goes twice
    finally:
        await stop_application(app)
    for name in ("Amy", "Ben", "Cat", "Dan", "Gus"):  # those going on Saturday
        soon = [t for t in texts_of(who[name]) if t.startswith("👋 See you soon! Peckham")]
        assert len(soon) == 1, name
    assert not any("Friday calls starts" in t for t in texts_of(who["Gus"]))
    assert {
        name: sum(t.startswith("⏰ Reminder") for t in texts_of(who[name]))
        for name in ("Amy", "Gus")
    } == reminders_before
    async with engine.connect() as conn:
        skipped = (
            await conn.execute(
                select(scheduled_work.c.kind, scheduled_work.c.detail).where(
                    scheduled_work.c.status == "skipped"
                )
            )
        ).all()
    assert ("reminder", "120m") in skipped  # the phone bank's, no longer meaningful


async def test_forecast_warns_and_one_tap_tops_up(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    """Two days out, one of six places is taken: the organiser is warned and, with one tap, the
    best standby volunteers (free then, not asked lately) get a call."""
    clock.set_time(TUE_9)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(9001, first_name="Olga", username="olga")
    await sign_up(olga, postcode="N1 9GU", when=("Sundays",))
    await admin.send("/grant @olga organiser Peckham")
    amy, ben, cat, dan = (
        fake.user(9200 + n, first_name=name) for n, name in enumerate(["Amy", "Ben", "Cat", "Dan"])
    )
    for person in (amy, ben, cat):
        await sign_up(person)  # Saturdays
    await sign_up(dan, when=("Sundays",))  # not free on Saturday
    link = await new_event(olga)
    await amy.send(f"/start {link}")
    await amy.press("Sat 28 Nov, 10:00-13:00", exact=False)
    await tick(app, engine, at(24, 9, 5))

    await tick(app, engine, at(26, 10, 0))  # 48 hours before
    warning = olga.last
    assert warning.text.startswith("⚠️ Sat 28 Nov, 10:00-13:00 Peckham Saturday doors may be short")
    assert "less than 1 expected of the 6 needed" in warning.text
    tap = warning.callback_data(texts.TOP_UP)
    await olga.press(texts.TOP_UP)
    await outbox_drained(engine)
    for person in (ben, cat):
        assert "We're a few people short for this one" in person.last.text
        assert person.buttons()[0].startswith("Sat 28 Nov, 10:00-13:00 · 5 left")
    assert "We're a few people short" not in (dan.last.text or "")  # not free on Saturdays
    assert "We're a few people short" not in (amy.last.text or "")  # already going
    await olga.press_data(tap or "", warning)  # the tap is spent: a second press does nothing
    assert olga.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON

    async with engine.connect() as conn:
        audience = (await conn.execute(select(callouts.c.audience))).scalar_one()
    assert audience["only"] == sorted(audience["only"]) and len(audience["only"]) == 2


async def test_reminder_and_check_in_answered_in_words(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    who = await _set_up_weekend(app, fake, engine)
    amy, ben, dan, gus = who["Amy"], who["Ben"], who["Dan"], who["Gus"]

    # Friday 10:00: "Still coming?", answered in words rather than with its buttons.
    await tick(app, engine, at(27, 10, 1))
    reminder = amy.last
    assert reminder.buttons == [texts.STILL_COMING_YES, texts.STILL_COMING_NO]
    await amy.send("Yes")
    assert amy.last.text == texts.SEE_YOU
    assert next(m for m in amy.messages if m.message_id == reminder.message_id).buttons == []
    await ben.send("can't make it now")
    assert ben.messages[-2].text == texts.CANT_NOTED
    assert ben.last.text == texts.ASK_REASON
    await ben.send("skip")  # the reason's Skip, typed: not a reason
    assert ben.last.text == texts.REASON_SKIPPED

    # Saturday 10:00: the check-in prompt, in words.
    await tick(app, engine, at(28, 10, 0))
    await dan.send("running late")
    assert dan.last.text == texts.LATE_NOTED
    clock.set_time(at(28, 10, 20))
    await dan.send("I'm here!")
    assert dan.last.text == texts.CHECKED_IN
    await gus.send("HERE")
    assert gus.last.text == texts.CHECKED_IN

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    volunteers.c.telegram_id,
                    rsvps.c.status,
                    rsvps.c.cancel_reason,
                    rsvps.c.checked_in_at,
                    rsvps.c.running_late_at,
                ).join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
            )
        ).all()
    statuses = {row.telegram_id: (row.status, row.cancel_reason) for row in rows}
    came = {
        row.telegram_id: (row.checked_in_at is not None, row.running_late_at is not None)
        for row in rows
    }
    assert statuses[9100] == ("going", None)  # Amy
    assert statuses[9101] == ("cant", None)  # Ben, no reason given
    assert came[9103] == (True, True)  # Dan: late, then here
    assert came[9106] == (True, False)  # Gus
