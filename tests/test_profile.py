"""/profile edits, /pause and /resume."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain.signup import Step
from tests.conftest import START
from tests.fake_telegram import FakeTelegram
from tests.flows import sign_up, stored

M1_1 = (53.4824, -2.2352)  # the centre of sector M1 1 (Manchester), from the packaged table


async def test_profile_edits_every_answer(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olu = fake.user(3001, first_name="Olu")
    await sign_up(olu)
    await olu.send("/profile")
    assert "Your details" in olu.last.text

    await olu.press(texts.CHANGE[Step.NAME])
    assert olu.last.text == texts.ASK_NAME
    await olu.send("Olu A.")
    assert "Name: Olu A." in olu.last.text  # back on the profile

    await olu.press(texts.CHANGE[Step.LOCATION])
    await olu.send("m1 1ae")
    assert "Where: M1 1AE" in olu.last.text

    await olu.press(texts.CHANGE[Step.AVAILABILITY])
    assert "✅ Saturdays" in olu.buttons()
    await olu.press("✅ Saturdays")
    await olu.press("Weekday daytimes")
    await olu.press(texts.DONE)
    assert "Available: Weekday daytimes" in olu.last.text

    await olu.press(texts.CHANGE[Step.ACTIVITIES])
    await olu.press("Data entry")
    await olu.press(texts.DONE)
    assert "Door-knocking, Data entry" in olu.last.text

    await olu.press(texts.CHANGE[Step.PHONE])
    await olu.press(texts.SHARE_PHONE)
    assert "Phone: +447700900123" in olu.last.text

    volunteer = await stored(engine, 3001)
    assert volunteer is not None
    assert volunteer.name == "Olu A." and volunteer.postcode == "M1 1AE"
    # The new postcode is on the map at its sector's centre, stored as approximate.
    assert (volunteer.latitude, volunteer.longitude) == M1_1
    assert volunteer.location_source == "sector"
    assert volunteer.availability == {"wkday"} and volunteer.activities == {"doors", "data"}
    assert volunteer.phone == "+447700900123"
    assert volunteer.step is None and not volunteer.editing and volunteer.status == "active"


async def test_profile_before_signing_up(app: Application, fake: FakeTelegram) -> None:
    pat = fake.user(3002, first_name="Pat")
    await pat.send("/profile")
    assert pat.last.text == texts.NOT_SIGNED_UP
    await pat.send("/start")
    await pat.press(texts.CONSENT_YES)
    await pat.send("/pause")
    assert pat.last.text == texts.signup_unfinished(Step.NAME, 0, 5)
    assert pat.buttons() == [texts.CARRY_ON]
    await pat.press(texts.CARRY_ON)
    assert pat.last.text == texts.ASK_NAME


async def test_pause_for_a_week_then_resume(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    quinn = fake.user(3003, first_name="Quinn")
    await sign_up(quinn)
    await quinn.send("/resume")
    assert quinn.last.text == texts.NOT_PAUSED

    await quinn.send("/pause")
    assert quinn.buttons() == [texts.PAUSE_WEEK, texts.PAUSE_MONTH, texts.PAUSE_OPEN]
    await quinn.press(texts.PAUSE_WEEK)
    # 24 Nov 2026 + 7 days, shown in local time.
    assert quinn.last.text.startswith("Shift calls are paused until Tue 1 Dec")
    volunteer = await stored(engine, 3003)
    assert volunteer is not None and volunteer.is_paused(clock.now())
    assert volunteer.paused_until == START + timedelta(days=7)

    clock.advance(timedelta(days=8))  # the pause runs out on its own
    volunteer = await stored(engine, 3003)
    assert volunteer is not None and not volunteer.is_paused(clock.now())


async def test_pause_until_resume(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    rae = fake.user(3004, first_name="Rae")
    await sign_up(rae)
    await rae.send("/pause")
    await rae.press(texts.PAUSE_OPEN)
    assert "/resume" in rae.last.text
    clock.advance(timedelta(days=400))
    volunteer = await stored(engine, 3004)
    assert volunteer is not None and volunteer.is_paused(clock.now())
    await rae.send("/profile")
    assert "paused until you send /resume" in rae.last.text
    await rae.send("/resume")
    assert rae.last.text == texts.RESUMED
    volunteer = await stored(engine, 3004)
    assert volunteer is not None and not volunteer.paused and volunteer.paused_until is None


async def test_someone_who_blocked_the_bot_and_comes_back_gets_calls_again(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    from sqlalchemy import update

    from db.schema import volunteers as volunteers_table

    una = fake.user(3005, first_name="Una", username="una_old")
    await sign_up(una)
    async with engine.begin() as conn:  # as the outbox records a 403
        await conn.execute(update(volunteers_table).values(unreachable_at=clock.now()))
    una.json["username"] = "una_new"  # and she changed her @username meanwhile
    await una.send("/start")  # unblocked the bot and came back
    volunteer = await stored(engine, 3005)
    assert volunteer is not None and volunteer.unreachable_at is None
    assert volunteer.username == "una_new"
