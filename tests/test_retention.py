"""Retention, consent per purpose and a new privacy notice, end to end through the fake Bot API,
with the clock moved; and /retention for admins only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.retention import add_months
from bot.domain.volunteers import Purpose
from bot.settings import Settings
from db import events
from db.schema import audit_log, consents
from tests.conftest import ADMIN_ID, START, start_application, stop_application
from tests.fake_telegram import FakeTelegram
from tests.flows import every_row, run_scheduler, sign_up, stored

# 24 months less 14 days after sign-up, at 03:00 local (GMT) when the daily work runs.
WARN_DAY = add_months(START, 24) - timedelta(days=14)


def _of(rows: dict[str, list[dict[str, Any]]], volunteer_id: int) -> dict[str, list[Any]]:
    """One volunteer's rows in every table, without ids and times (which differ by design)."""
    found: dict[str, list[Any]] = {}
    for table, table_rows in rows.items():
        mine = [
            row
            for row in table_rows
            if volunteer_id in (row.get("volunteer_id"), row.get("target_volunteer_id"))
            or (table == "volunteers" and row["id"] == volunteer_id)
        ]
        found[table] = [
            {
                key: value
                for key, value in row.items()
                if not key.endswith(("id", "_at")) and key != "at"
            }
            for row in mine
        ]
    return found


async def test_warned_then_erased_like_forget_unless_they_tap_keep(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    kim, lou, max_ = (
        fake.user(9101, first_name="Kim", username="kim_r"),
        fake.user(9102, first_name="Lou", username="lou_r"),
        fake.user(9103, first_name="Max", username="max_r"),
    )
    for person in (kim, lou, max_):
        await sign_up(person, share_phone=True)
    await max_.send("/forget")
    await max_.press(texts.FORGET_YES)
    max_id = 3

    # The day before the warning is due: nothing.
    clock.set_time(WARN_DAY - timedelta(days=1))
    await run_scheduler(app, engine)
    assert texts.RETENTION_WARNING not in [m.text for m in kim.messages]

    clock.set_time(WARN_DAY)
    await run_scheduler(app, engine)
    for person in (kim, lou):
        assert person.last.text == texts.RETENTION_WARNING
        assert "We'll delete your details in 14 days unless you tap Keep" in person.last.text
        assert person.buttons() == [texts.KEEP]
    kim_row = await stored(engine, 9101)
    assert kim_row is not None and kim_row.retention_warned_at == clock.now()

    # Kim taps Keep a week later; Lou does nothing.
    clock.advance(timedelta(days=7))
    await kim.press(texts.KEEP)
    assert kim.last.text == texts.KEPT
    clock.set_time(WARN_DAY + timedelta(days=14))
    await run_scheduler(app, engine)

    kim_row = await stored(engine, 9101)
    assert kim_row is not None and kim_row.name == "Kim" and kim_row.retention_warned_at is None
    assert await stored(engine, 9102) is None
    rows = await every_row(engine)
    flat = json.dumps(rows, default=str)
    for personal in ("Lou", "lou_r", "9102", "Max", "max_r", "9103"):
        assert personal not in flat, personal
    # Lou is erased exactly as Max, who used /forget: the same rows, but for ids and times.
    lou_id = 2
    lou, max_rows = _of(rows, lou_id), _of(rows, max_id)
    # Lou's warning went through the outbox; erasure left it without a chat or any text.
    warning = lou.pop("outbox")
    assert [row["status"] for row in warning] == ["sent"]
    assert all(row["chat_id"] is None for row in rows["outbox"] if row["volunteer_id"] == lou_id)
    max_rows.pop("outbox")
    assert lou == max_rows
    # Lou can no longer tap Keep: the bot has forgotten them.
    lou_user = fake.user(9102, first_name="Lou")
    await lou_user.send("/mydata")
    assert lou_user.last.text == texts.MYDATA_NOTHING


async def test_opening_the_bot_keeps_a_volunteer(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    nia = fake.user(9104, first_name="Nia")
    await sign_up(nia)
    clock.set_time(WARN_DAY - timedelta(days=30))
    await nia.send("/myshifts")  # in touch: the clock starts again from here
    clock.set_time(WARN_DAY + timedelta(days=14))
    await run_scheduler(app, engine)
    assert texts.RETENTION_WARNING not in [m.text for m in nia.messages]
    assert await stored(engine, 9104) is not None


async def test_old_audit_rows_lose_their_ids(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    ola = fake.user(9105, first_name="Ola", username="ola_r")
    await sign_up(ola)
    await admin.send("/grant @ola_r organiser Peckham")
    clock.set_time(START + timedelta(days=1))
    await admin.send("/retention end none")
    clock.set_time(add_months(START, 24) + timedelta(hours=12))
    await ola.send("/profile")  # Ola keeps in touch, so is kept; the log still forgets them
    await run_scheduler(app, engine)
    async with engine.connect() as conn:
        logged = (
            await conn.execute(
                select(
                    audit_log.c.action,
                    audit_log.c.actor_telegram_id,
                    audit_log.c.target_volunteer_id,
                ).order_by(audit_log.c.id)
            )
        ).all()
    # The grant is over 24 months old; the campaign-end change is not yet.
    assert [tuple(row) for row in logged] == [
        ("grant", None, None),
        ("campaign_end", ADMIN_ID, None),
    ]


async def test_after_the_campaign_only_those_who_chose_to_stay_are_kept(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    pat, quin = fake.user(9106, first_name="Pat"), fake.user(9107, first_name="Quin")
    for person in (pat, quin):
        await sign_up(person)
    await pat.send("/profile")
    await pat.press(texts.choice_label(Purpose.FUTURE, False))
    assert texts.choice_label(Purpose.FUTURE, True) in pat.last.text

    await admin.send("/retention end 6/5/2027")
    assert admin.last.text == "Saved. ✔ The campaign's last day is Thu 6 May 2027."
    await admin.send("/retention")
    assert "To be warned at the campaign's end: 1" in admin.last.text
    assert "The campaign's last day is Thu 6 May 2027" in admin.last.text

    clock.set_time(datetime(2027, 5, 7, 3, 0, tzinfo=UTC))
    await quin.send("/myshifts")  # opening the bot does not keep them after the campaign
    await run_scheduler(app, engine)
    assert quin.last.text == texts.CAMPAIGN_OVER_WARNING
    assert texts.CAMPAIGN_OVER_WARNING not in [m.text for m in pat.messages]
    clock.advance(timedelta(days=14))
    await run_scheduler(app, engine)
    assert await stored(engine, 9107) is None
    assert await stored(engine, 9106) is not None


async def test_keep_after_the_campaign_records_the_choice_to_stay(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    ray = fake.user(9108, first_name="Ray")
    await sign_up(ray)
    await admin.send("/retention end 6/5/2027")
    clock.set_time(datetime(2027, 5, 7, 3, 0, tzinfo=UTC))
    await run_scheduler(app, engine)
    await ray.press(texts.KEEP)
    clock.advance(timedelta(days=15))
    await run_scheduler(app, engine)
    kept = await stored(engine, 9108)
    assert kept is not None and kept.consents_to(Purpose.FUTURE)


async def test_retention_is_for_admins_only(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    sid = fake.user(9109, first_name="Sid", username="sid_r")
    await sign_up(sid)
    await admin.send("/grant @sid_r coordinator")
    vic, stranger = fake.user(9112, first_name="Vic"), fake.user(9113, first_name="Stan")
    await sign_up(vic)
    before = await every_row(engine)
    for person in (sid, vic, stranger):  # a coordinator, a volunteer, someone not signed up
        for attempt in ("/retention", "/retention end 6/5/2027"):
            await person.send(attempt)
            assert person.last.text == texts.not_allowed("admin")
    assert await every_row(engine) == before
    await admin.send("/retention end someday")
    assert admin.last.text == texts.RETENTION_USAGE
    await admin.send("/retention")
    assert "Anyone not in touch for 24 months" in admin.last.text
    assert "No campaign end is set." in admin.last.text
    assert await every_row(engine) == before


async def test_choices_set_in_profile_are_shown_in_mydata_with_version_and_time(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    tom = fake.user(9110, first_name="Tom")
    await sign_up(tom, share_phone=True)
    await tom.send("/profile")
    assert texts.choice_label(Purpose.PHONE, True) in tom.last.text
    assert texts.choice_label(Purpose.LEADERBOARD, False) in tom.last.text
    clock.advance(timedelta(minutes=5))
    await tom.press(texts.choice_label(Purpose.LEADERBOARD, False))
    await tom.press(texts.choice_label(Purpose.PHONE, True))
    assert texts.choice_label(Purpose.LEADERBOARD, True) in tom.last.text
    assert texts.choice_label(Purpose.PHONE, False) in tom.last.text

    await tom.send("/mydata")
    given = [
        (c["purpose"], c["choice"], c["notice_version"], c["given_at"])
        for c in json.loads(tom.last.document)["consents"]
    ]
    later = clock.now().isoformat()
    assert given == [
        ("volunteering", True, "2026-11", START.isoformat()),
        ("phone", True, "2026-11", START.isoformat()),
        ("leaderboard", True, "2026-11", later),
        ("phone", False, "2026-11", later),
    ]
    stored_tom = await stored(engine, 9110)
    assert stored_tom is not None and stored_tom.on_leaderboard  # what /leaderboard reads


async def test_a_new_notice_stops_calls_until_they_agree_again(
    fake: FakeTelegram, settings: Settings, engine: AsyncEngine
) -> None:
    app = await start_application(fake, settings, engine, [])
    admin = fake.user(ADMIN_ID, first_name="Ada")
    uma = fake.user(9111, first_name="Uma")
    try:
        await sign_up(uma)
    finally:
        await stop_application(app)

    # A new notice is published: the setting, and a restart.
    app = await start_application(
        fake, settings.model_copy(update={"privacy_notice_version": "2027-01"}), engine, []
    )
    try:
        start = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
        async with engine.begin() as conn:
            await events.create_event(
                conn,
                EventDraft(
                    "canvass",
                    "Doors one",
                    "Peckham",
                    "Rye Lane",
                    shifts=(ShiftDraft(start, start + timedelta(hours=3), 10),),
                ),
                created_by=ADMIN_ID,
                at=clock.now(),
            )

        async def reach() -> str:
            await admin.send("/callout")
            await admin.press("Sat 28 Nov · Doors one")
            await admin.press(texts.NEXT)
            text = admin.last.text or ""
            await admin.send("/cancel")
            return text

        assert "would reach 0 volunteers" in await reach()  # Uma has not agreed to the new notice

        await uma.send("/myshifts")  # her next contact asks her, once
        asked = [m for m in uma.messages if (m.text or "").startswith("📄 Our privacy notice")]
        assert len(asked) == 1 and asked[0].buttons == [texts.CONSENT_YES, texts.CONSENT_NO]
        await uma.send("/profile")
        assert len([m for m in uma.messages if m.text == asked[0].text]) == 1
        assert "Shift calls: off until you agree to our new privacy notice" in uma.last.text
        await uma.press(texts.CONSENT_YES)
        assert uma.last.text == texts.AGREED_AGAIN
        assert "would reach 1 volunteer" in await reach()
        async with engine.connect() as conn:
            versions = list(
                await conn.scalars(
                    select(consents.c.notice_version)
                    .where(consents.c.purpose == "volunteering")
                    .order_by(consents.c.id)
                )
            )
        assert versions == ["2026-11", "2027-01"]
    finally:
        await stop_application(app)
