"""Every bad input gets a short, friendly reply that says what to do, and changes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import texts
from bot.domain.signup import Step
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, sign_up, stored


async def _at_name_step(user: FakeUser) -> None:
    await user.send("/start")
    await user.press(texts.CONSENT_YES)


async def test_bad_names_are_refused_and_reasked(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    gus = fake.user(2001, first_name="Gus")
    await _at_name_step(gus)
    for bad, reason in [
        ("x" * 65, "name_long"),
        ("Gus\u0000\u0007", "name_control"),
        ("Gus\u202eevil", "name_control"),
    ]:
        await gus.send(bad)
        assert gus.last.text == texts.INVALID[reason]
        volunteer = await stored(engine, 2001)
        assert volunteer is not None and volunteer.name is None and volunteer.step is Step.NAME
    await gus.send("x" * 64)
    volunteer = await stored(engine, 2001)
    assert volunteer is not None and volunteer.name == "x" * 64


async def test_html_in_a_name_is_shown_as_typed_and_cannot_format(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    hal = fake.user(2002, first_name="Hal")
    await _at_name_step(hal)
    await hal.send("<b>Hal</b> & <a href='x'>co</a>")
    volunteer = await stored(engine, 2002)
    assert volunteer is not None and volunteer.name == "<b>Hal</b> & <a href='x'>co</a>"
    await hal.send("SW1A 1AA")
    await hal.press("Sundays")
    await hal.press(texts.DONE)
    await hal.press("Translation")
    await hal.press(texts.DONE)
    await hal.press(texts.SKIP)
    # Shown exactly as typed (escaped on the wire, so Telegram formats nothing).
    assert "<b>Hal</b> & <a href='x'>co</a>" in hal.last.text
    assert "&lt;b&gt;Hal&lt;/b&gt; &amp;" in hal.last.html


async def test_bad_postcode_is_refused_and_changes_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    ivy = fake.user(2003, first_name="Ivy")
    await _at_name_step(ivy)
    await ivy.press("Use “Ivy”")
    for bad in ("not a postcode", "SE15", "12345", "SE15 4QRR"):
        await ivy.send(bad)
        assert ivy.last.text == texts.INVALID["postcode"]
    volunteer = await stored(engine, 2003)
    assert volunteer is not None and volunteer.postcode is None
    assert volunteer.step is Step.LOCATION


async def test_text_where_buttons_are_expected_reasks(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    jo = fake.user(2004, first_name="Jo")
    await _at_name_step(jo)
    await jo.press("Use “Jo”")
    await jo.send("B1 1AA")
    await jo.send("saturdays please")
    assert jo.messages[-2].text == texts.EXPECTING_BUTTON
    assert jo.last.text == texts.ASK_AVAILABILITY
    await jo.press(texts.DONE)  # nothing picked yet
    assert jo.callback_answers[-1]["text"] == texts.PICK_ONE
    volunteer = await stored(engine, 2004)
    assert volunteer is not None and volunteer.step is Step.AVAILABILITY
    assert volunteer.availability == frozenset()


async def test_someone_elses_contact_is_refused(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    kim = fake.user(2005, first_name="Kim")
    await _at_name_step(kim)
    await kim.press("Use “Kim”")
    await kim.send("LS1 4AP")
    await kim.press("Saturdays")
    await kim.press(texts.DONE)
    await kim.press("Driving")
    await kim.press(texts.DONE)
    await kim.share_contact(phone="+447700900999", user_id=4242)
    assert kim.last.text == texts.OWN_NUMBER_ONLY
    await kim.send("07700 900999")
    assert kim.last.text == texts.OWN_NUMBER_ONLY
    volunteer = await stored(engine, 2005)
    assert volunteer is not None and volunteer.phone is None and volunteer.step is Step.PHONE


async def test_stale_and_forged_buttons_change_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    lee = fake.user(2006, first_name="Lee")
    await _at_name_step(lee)
    await lee.send("Lee Jones")  # typed, so the "Use “Lee”" button is still on screen
    await lee.send("G1 1XQ")
    before = await every_row(engine)
    # Stale: a real button still showing, but its question has been answered.
    await lee.press("Use “Lee”")
    assert lee.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON
    assert await every_row(engine) == before

    await lee.press("Sundays")
    await lee.press(texts.DONE)
    await lee.press("Leafleting")
    await lee.press(texts.DONE)
    await lee.press(texts.SKIP)
    await lee.send("/profile")
    profile = lee.last
    before = await every_row(engine)
    # Forged: data that is not on the keyboard of the message it claims to come from, whether a
    # real namespace or not, on a message with a keyboard and on one without.
    for data in (
        "av:sat",
        "ac:doors",
        "name:tg",
        "consent:yes",
        "zz:top",
        "av:nonsense",
        "edit:../../etc",
        "pause:forever",
        "forget:yes",
        "garbage",
        "x" * 64,
    ):
        await lee.press_data(data, message=profile)
        assert lee.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON, data
        await lee.press_data(data, message=lee.messages[0])
        assert lee.callback_answers[-1]["text"] == texts.EXPIRED_BUTTON, data
    assert await every_row(engine) == before
    volunteer = await stored(engine, 2006)
    assert volunteer is not None and volunteer.name == "Lee Jones" and volunteer.step is None


async def test_unknown_command_and_stray_text(app: Application, fake: FakeTelegram) -> None:
    max_ = fake.user(2007, first_name="Max")
    await max_.send("/frobnicate")
    assert max_.last.text == texts.UNKNOWN_COMMAND
    await max_.send("hello?")
    assert max_.last.text == texts.NOT_SIGNED_UP
    await sign_up(max_)
    await max_.send("what now")
    assert max_.last.text == texts.UNKNOWN_TEXT
    await max_.share_location(51.5, -0.1)  # outside sign-up a location is a check-in
    assert max_.last.text == texts.NOTHING_TO_CHECK_IN


async def test_in_a_group_the_bot_only_points_to_a_private_chat(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    nia = fake.user(2008, first_name="Nia")
    group = fake.group(-100555, title="Ward team")
    for command in ("/start", "/help", "/grant @nia organiser", "/mydata"):
        await group.send(nia, command)
        last = fake.transcript(-100555)[-1]
        assert last.text == texts.GROUP_ONLY_PRIVATE
        assert last.reply_markup is not None
        url = last.reply_markup["inline_keyboard"][0][0]["url"]
        assert url == f"https://t.me/{fake.bot_username}"
    assert nia.messages == []
    assert await stored(engine, 2008) is None
