"""Volunteer sign-up, end to end through the fake Bot API server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import texts
from bot.context import DeepLinkHandler, MusterContext
from bot.domain.signup import Step
from db.schema import consents, volunteers
from tests.fake_telegram import FakeTelegram
from tests.flows import sign_up, stored


async def test_signup_in_seven_taps_and_a_postcode(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    alice = fake.user(1001, first_name="Alice", username="alice_k")

    await alice.send("/start")
    assert "UK GDPR" in alice.last.text and "/forget" in alice.last.text
    assert alice.buttons() == [texts.CONSENT_YES, texts.CONSENT_NO]
    assert await stored(engine, 1001) is None  # nothing before consent

    taps = 0
    await alice.press(texts.CONSENT_YES)
    taps += 1
    assert alice.last.text == texts.ASK_NAME
    await alice.press("Use “Alice”")
    taps += 1
    assert alice.last.text == texts.ASK_LOCATION
    await alice.send("se15 4qr")  # the one typed answer
    assert alice.last.text == texts.ASK_AVAILABILITY
    await alice.press("Saturdays")
    taps += 1
    assert "✅ Saturdays" in alice.buttons()
    await alice.press(texts.DONE)
    taps += 1
    assert alice.last.text == texts.ASK_ACTIVITIES
    await alice.press("Door-knocking")
    taps += 1
    await alice.press(texts.DONE)
    taps += 1
    assert alice.last.text == texts.ASK_PHONE
    await alice.press(texts.SHARE_PHONE)
    taps += 1
    assert taps <= 7

    summary = alice.last.text
    assert "You're signed up" in summary
    assert "SE15 4QR" in summary and "Saturdays" in summary and "Door-knocking" in summary
    assert "/profile" in summary and "/help" in summary

    volunteer = await stored(engine, 1001)
    assert volunteer is not None
    assert volunteer.status == "active"
    assert volunteer.name == "Alice"
    assert volunteer.username == "alice_k"
    assert volunteer.postcode == "SE15 4QR"
    # Placed roughly, at the centre of its sector, and stored as approximate.
    assert (volunteer.latitude, volunteer.longitude) == (51.4663, -0.0708)
    assert volunteer.location_source == "sector"
    assert volunteer.availability == {"sat"}
    assert volunteer.activities == {"doors"}
    assert volunteer.phone == "+447700900123"
    assert volunteer.step is None and not volunteer.editing
    assert not volunteer.paused and volunteer.paused_until is None
    assert volunteer.signed_up_at is not None and volunteer.start_payload is None
    async with engine.connect() as conn:
        consent, phone = (await conn.execute(select(consents).order_by(consents.c.id))).all()
    assert consent.volunteer_id == volunteer.id
    assert (consent.purpose, consent.choice) == ("volunteering", True)
    assert consent.notice_version == "2026-11"
    assert consent.given_at == volunteer.created_at and consent.withdrawn_at is None
    # Sharing the number is the separate choice that organisers may phone them.
    assert (phone.purpose, phone.choice, phone.notice_version) == ("phone", True, "2026-11")


async def test_shared_location_typed_name_and_several_choices(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    bob = fake.user(1002, first_name="Bob")
    await bob.send("/start")
    await bob.press(texts.CONSENT_YES)
    await bob.send("  Robert   Smith ")
    await bob.share_location(51.4740, -0.0690)
    assert any(m.text == texts.GOT_IT for m in bob.messages)
    for label in ("Weekday evenings", "Sundays", "Polling day"):
        await bob.press(label)
    await bob.press("✅ Sundays")  # changed his mind
    await bob.press(texts.DONE)
    await bob.press("Leafleting")
    await bob.press("Driving")
    await bob.press(texts.DONE)
    await bob.press(texts.SKIP)

    volunteer = await stored(engine, 1002)
    assert volunteer is not None and volunteer.status == "active"
    assert volunteer.name == "Robert Smith"
    assert (volunteer.latitude, volunteer.longitude) == (51.4740, -0.0690)
    assert volunteer.location_source == "shared"
    assert volunteer.postcode is None
    assert volunteer.availability == {"wkeve", "polling"}
    assert volunteer.activities == {"leaflets", "driving"}
    assert volunteer.phone is None
    assert "shared location" in bob.last.text


async def test_not_now_stores_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    carol = fake.user(1003, first_name="Carol")
    await carol.send("/start")
    await carol.press(texts.CONSENT_NO)
    assert carol.last.text == texts.CONSENT_DECLINED
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(volunteers)) == 0
        assert await conn.scalar(select(func.count()).select_from(consents)) == 0
    # The consent buttons are gone, and pressing the old one again changes nothing.
    await carol.press_data("consent:yes")
    assert carol.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    # They are not lost: /start again offers consent again.
    await carol.send("/start")
    assert carol.buttons() == [texts.CONSENT_YES, texts.CONSENT_NO]


async def test_half_way_picks_up_where_they_left_off(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    dev = fake.user(1004, first_name="Dev")
    await dev.send("/start")
    await dev.press(texts.CONSENT_YES)
    await dev.press("Use “Dev”")
    await dev.send("E1 6AN")
    await dev.press("Sundays")
    # Wanders off and comes back days later.
    await dev.send("/start")
    assert dev.messages[-2].text == texts.WELCOME_BACK
    assert dev.last.text == texts.ASK_AVAILABILITY
    assert "✅ Sundays" in dev.buttons()
    volunteer = await stored(engine, 1004)
    assert volunteer is not None and volunteer.step is Step.AVAILABILITY
    assert volunteer.status == "signing_up"
    await dev.press(texts.DONE)
    assert dev.last.text == texts.ASK_ACTIVITIES


async def test_start_when_signed_up_shows_profile(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    erin = fake.user(1005, first_name="Erin")
    await sign_up(erin)
    before = len(erin.messages)
    await erin.send("/start")
    assert len(erin.messages) == before + 1
    assert "Your details" in erin.last.text and "SE15 4QR" in erin.last.text
    assert texts.CHANGE[Step.NAME] in erin.buttons()


SEEN_LINKS: list[tuple[int, str]] = []


async def event_link(context: MusterContext, telegram_id: int, payload: str) -> bool:
    """Stands in for a feature that opens events from share links."""
    if not payload.startswith("ev"):
        return False
    SEEN_LINKS.append((telegram_id, payload))
    await context.bot.send_message(telegram_id, f"Opening event {payload}")
    return True


@pytest.fixture
def deep_links() -> list[DeepLinkHandler]:
    SEEN_LINKS.clear()
    return [event_link]


async def test_start_payload_is_kept_through_signup_and_handed_on(
    app: Application, fake: FakeTelegram
) -> None:
    seen = SEEN_LINKS
    fay = fake.user(1006, first_name="Fay")
    await fay.send("/start ev42")
    await fay.press(texts.CONSENT_YES)
    assert seen == []  # not before sign-up is complete
    await fay.press("Use “Fay”")
    await fay.send("N1 9GU")
    await fay.press("Saturdays")
    await fay.press(texts.DONE)
    await fay.press("Anything")
    await fay.press(texts.DONE)
    await fay.press(texts.SKIP)
    assert seen == [(1006, "ev42")]
    assert fay.last.text == "Opening event ev42"

    # Once signed up, a link is handed on straight away; one nobody knows gets a clear answer.
    await fay.send("/start ev43")
    assert seen[-1] == (1006, "ev43")
    await fay.send("/start nonsense")
    assert fay.last.text == texts.LINK_NOT_RECOGNISED


async def test_a_volunteer_commands_half_way_through_sign_up_offers_to_carry_on(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    """Everything answered but the optional phone: /myshifts, /here and /showme say where they
    are, with a button that carries on, never "You're not signed up yet"."""
    tia = fake.user(2301, first_name="Tia")
    await tia.send("/start")
    await tia.press(texts.CONSENT_YES)
    await tia.press(texts.USE_NAME.format(name="Tia"))
    await tia.send("SE15 4QR")
    await tia.press("Saturdays")
    await tia.press(texts.DONE)
    await tia.press("Door-knocking")
    await tia.press(texts.DONE)
    assert tia.last.text == texts.ASK_PHONE
    for command in ("/myshifts", "/here", "/showme"):
        await tia.send(command)
        assert tia.last.text == texts.signup_unfinished(Step.PHONE, 4, 5)
        assert "4 of 5 questions answered. The next one is your phone number" in tia.last.text
        assert tia.last.text != texts.NOT_SIGNED_UP
    await tia.send("carry on")  # the button, in words: not an answer to the phone question
    assert tia.last.text == texts.ASK_PHONE
    offers = [m for m in tia.messages if m.text == texts.signup_unfinished(Step.PHONE, 4, 5)]
    assert offers[-1].buttons == []  # the one pressed is used up
    await tia.press(texts.SKIP)
    assert "You're signed up" in tia.last.text
    await tia.send("/myshifts")
    assert tia.last.text == texts.MYSHIFTS_NONE
    volunteer = await stored(engine, tia.id)
    assert volunteer is not None and volunteer.status == "active" and volunteer.step is None
