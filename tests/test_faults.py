"""Faults people and Telegram cause: an update PTB cannot read, a token Telegram rejects, edited
messages, double taps, and a volunteer blocking the bot (issue 8, items 1-5)."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import logs, texts
from bot.domain.permissions import Role
from bot.services import actors
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, new_event, sign_up, stored, until
from tests.test_app import _env, _run_bot


def _message(fake: FakeTelegram, user_id: int, text: str, **extra: object) -> dict[str, object]:
    user = fake.user(user_id)
    return {
        "message": {
            "message_id": user.chat.allocate_message_id(),
            "from": user.json,
            "chat": user.chat.json,
            "date": 1_790_000_000,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]
            if text.startswith("/")
            else [],
            **extra,
        }
    }


async def test_an_unreadable_update_is_skipped_with_one_line_and_the_rest_is_handled(
    app: Application, fake: FakeTelegram, debug_log: io.StringIO
) -> None:
    ann = fake.user(7101, first_name="Annabel", username="annabel_w")
    bob = fake.user(7102, first_name="Bartholomew")
    # A message PTB cannot read (its chat is not an object), between two it can, in one batch.
    fake.enqueue_raw(_message(fake, ann.id, "/start"))
    bad = fake.enqueue_raw(
        _message(fake, ann.id, "call me on +447700900999", chat="Annabel's chat")
    )
    last = fake.enqueue_raw(_message(fake, bob.id, "/start"))
    await fake.wait_consumed(last)
    await until(lambda: bool(ann.messages) and bool(bob.messages))
    assert texts.CONSENT_YES in ann.buttons() and texts.CONSENT_YES in bob.buttons()

    log = debug_log.getvalue()
    skipped = [line for line in log.splitlines() if "could not be read" in line]
    assert len(skipped) == 1 and f"update {bad} " in skipped[0]
    assert "message, update_id" in skipped[0]
    for personal in ("Annabel", "annabel_w", "Bartholomew", "447700900999", "7101", "7102"):
        assert personal not in log, personal
    # The offset moved past it: Telegram was not asked for it again.
    assert sum(1 for m in fake.calls("getUpdates") if int(m.get("offset") or 0) > bad) >= 1


async def test_a_lone_unreadable_update_at_the_end_of_a_batch_is_not_fetched_again(
    app: Application, fake: FakeTelegram
) -> None:
    ann = fake.user(7103, first_name="Annabel")
    bad = fake.enqueue_raw({"message": {"message_id": "not a number", "chat": []}})
    await fake.wait_consumed(bad)
    polls = len(fake.calls("getUpdates"))
    await ann.send("/start")
    assert texts.CONSENT_YES in ann.buttons()
    # No tight loop: only a poll or two since, not hundreds.
    assert len(fake.calls("getUpdates")) - polls < 5


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_rejected_token_gives_one_clear_line_and_never_the_token(
    tmp_path: Path, level: str
) -> None:
    secret = "123456:AAHsecretsecretsecretsecretsecret"
    # A Bot API that knows another token: it answers 401 Unauthorized, as Telegram would.
    async with FakeTelegram() as fake:
        env = _env(
            BOT_TOKEN=secret,
            TELEGRAM_API_BASE_URL=fake.base_url,
            TELEGRAM_API_BASE_FILE_URL=fake.base_file_url,
            DATABASE_URL=f"sqlite:///{tmp_path}/m.db",
            LOG_LEVEL=level,
        )
        process = await _run_bot(tmp_path, env)
        _, err = await asyncio.wait_for(process.communicate(), 60)
    text = err.decode()
    assert process.returncode != 0
    assert secret not in text and secret.split(":")[1] not in text
    assert [line for line in text.splitlines() if line.startswith("muster:")] == [
        "muster: Telegram did not accept BOT_TOKEN. Check it with @BotFather (/token)."
    ]
    # Below DEBUG that is the only line about it: the library's own is not repeated.
    assert ("Invalid token" in text) == (level == "DEBUG")
    assert ("Traceback" in text) == (level == "DEBUG")


def test_the_formatter_redacts_messages_arguments_tracebacks_and_stack_info() -> None:
    token = "123456:AAHsecretsecretsecretsecretsecret"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.RedactingFormatter(token, "%(message)s", tracebacks=True))
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    try:
        log.warning("url https://api.telegram.org/bot%s/getMe", token)
        log.warning(f"half {token.split(':')[1]}")
        try:
            raise RuntimeError(f"token {token} rejected")
        except RuntimeError:
            log.exception("failed", stack_info=True)
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert token.split(":")[1] not in out and out.count(logs.REDACTED) == 3
    assert "Traceback" in out and "Stack" in out


async def test_editing_an_old_message_runs_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    vic = fake.user(7201, first_name="Vic", username="vic")
    await sign_up(vic)
    hello = await admin.send("hello")
    late = await vic.send("hi")
    before = await every_row(engine)
    # A command, a sign-up answer and an RSVP word, each edited in: none of them runs.
    await admin.edit(hello, "/grant @vic organiser Peckham")
    assert admin.last.text == texts.EDITED_MESSAGE
    for text in ("/forget", "yes", "SE1 7PB"):
        await vic.edit(late, text)
        assert vic.last.text == texts.EDITED_MESSAGE
    assert await every_row(engine) == before
    # The same text sent anew does what it says.
    await admin.send("/grant @vic organiser Peckham")
    async with engine.connect() as conn:
        access = await actors.access(conn, frozenset({ADMIN_ID}), vic.id)
    assert access.has(Role.ORGANISER)


async def test_editing_in_the_middle_of_sign_up_answers_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    sam = fake.user(7202, first_name="Sam")
    await sam.send("/start")
    await sam.press(texts.CONSENT_YES)
    sent = await sam.send("Sammy")  # the name
    assert sam.last.text == texts.ASK_LOCATION
    before = await every_row(engine)
    await sam.edit(sent, "se15 4qr")
    assert sam.last.text == texts.EDITED_MESSAGE
    assert await every_row(engine) == before


async def test_a_double_tap_on_not_now_answers_twice_and_stores_nothing(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    nia = fake.user(7301, first_name="Nia")
    await nia.send("/start")
    before = await every_row(engine)
    card = nia.chat.last_with_keyboard()
    assert card is not None
    # Both taps leave the phone before the first is answered: both carry the card with buttons.
    await nia.press(texts.CONSENT_NO, wait=False)
    await nia.press(texts.CONSENT_NO)
    assert [answer["text"] for answer in nia.callback_answers] == [None, texts.ALREADY_DONE]
    assert [m.text for m in nia.messages].count(texts.CONSENT_DECLINED) == 1
    assert texts.SOMETHING_WENT_WRONG not in [m.text for m in nia.messages]
    assert await every_row(engine) == before
    assert card.buttons == []


async def test_double_taps_on_a_shift_call_change_nothing_twice(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(7302, first_name="Olga", username="olga")
    await sign_up(olga)
    await admin.send("/grant @olga organiser Peckham")
    code = await new_event(olga)
    vera = fake.user(7303, first_name="Vera")
    await sign_up(vera)
    await vera.send(f"/start {code}")
    shift = next(label for label in vera.buttons() if "10:00-13:00" in label)
    for label in (shift, texts.CANT_MAKE_IT):
        await vera.press(label, wait=False)
        await vera.press(label)
        # "Already done", or what the first made of it ("You're already down for that one").
        assert vera.callback_answers[-1]["text"]
        assert texts.SOMETHING_WENT_WRONG not in [m.text for m in vera.messages]
        once = await every_row(engine)
        assert len(once["rsvps"]) == 1
        # A third tap of the same button, now, changes nothing either.
        if label in vera.buttons():
            await vera.press(label)
        assert (await every_row(engine))["rsvps"] == once["rsvps"]
        shift = label


async def _reach(olga: object) -> str:
    from tests.fake_telegram import FakeUser

    assert isinstance(olga, FakeUser)
    await olga.send("/callout")
    await olga.press("Sat 28 Nov · Peckham Saturday doors")
    await olga.press(texts.NEXT)
    text = olga.last.text or ""
    await olga.send("/cancel")
    return text


async def test_blocking_and_unblocking_the_bot_is_known_at_once(
    app: Application, fake: FakeTelegram, engine: AsyncEngine, debug_log: io.StringIO
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(7401, first_name="Olga", username="olga")
    await sign_up(olga)
    await admin.send("/grant @olga organiser Peckham")
    await new_event(olga)
    bea = fake.user(7402, first_name="Beatrix", username="beatrix")
    await sign_up(bea)
    assert "would reach 2 volunteers" in await _reach(olga)

    await bea.block_bot()
    volunteer = await stored(engine, bea.id)
    assert volunteer is not None and volunteer.unreachable_at is not None
    assert "would reach 1 volunteer." in await _reach(olga)

    await bea.unblock_bot()
    volunteer = await stored(engine, bea.id)
    assert volunteer is not None and volunteer.unreachable_at is None
    assert "would reach 2 volunteers" in await _reach(olga)
    log = debug_log.getvalue()
    for personal in ("Beatrix", "beatrix", "7402"):
        assert personal not in log, personal


async def _double_press(user: FakeUser, label: str) -> None:
    """Two fast taps: both leave the phone before the bot has answered the first."""
    await user.press(label, wait=False)
    await user.press(label)


async def test_every_tap_of_sign_up_pause_and_forget_doubled_counts_once(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    dot = fake.user(7501, first_name="Dot")
    await dot.send("/start")
    await _double_press(dot, texts.CONSENT_YES)
    await _double_press(dot, texts.USE_NAME.format(name="Dot"))
    await dot.send("se15 4qr")
    for label in ("Saturdays", "Sundays", texts.DONE, "Door-knocking", texts.DONE, texts.SKIP):
        await _double_press(dot, label)
    volunteer = await stored(engine, dot.id)
    assert volunteer is not None and volunteer.signed_up
    # A toggle tapped twice on the same card is one tap, not a tick and an untick.
    assert volunteer.availability == {"sat", "sun"} and volunteer.activities == {"doors"}
    assert [m.text for m in dot.messages].count(texts.ASK_LOCATION) == 1

    await dot.send("/pause")
    await _double_press(dot, texts.PAUSE_WEEK)
    paused = await stored(engine, dot.id)
    assert paused is not None and paused.paused
    await dot.send("/forget")
    await _double_press(dot, texts.FORGET_YES)
    assert await stored(engine, dot.id) is None
    assert [m.text for m in dot.messages].count(texts.FORGOTTEN) == 1
    assert texts.SOMETHING_WENT_WRONG not in [m.text for m in dot.messages]
    assert texts.ALREADY_DONE in [answer["text"] for answer in dot.callback_answers]


async def test_double_taps_that_create_and_send_do_it_once(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    olga = fake.user(7601, first_name="Olga", username="olga")
    await sign_up(olga)
    vic = fake.user(7602, first_name="Vic")
    await sign_up(vic)
    await admin.send("/grant @olga organiser Peckham")
    await olga.send("/newevent")
    await _double_press(olga, "Canvass session")
    await olga.send("Peckham Saturday doors")
    await _double_press(olga, "Peckham")
    await olga.send("Rye Lane Library, SE15 4QR")
    await olga.send("Sat 28 Nov")
    await olga.send("10:00-13:00 6")
    await _double_press(olga, texts.DONE)
    await _double_press(olga, texts.CREATE)
    await olga.send("/callout")
    await _double_press(olga, "Sat 28 Nov · Peckham Saturday doors")
    await _double_press(olga, texts.NEXT)
    await _double_press(olga, texts.NEXT)
    await _double_press(olga, texts.SKIP)
    await _double_press(olga, texts.SEND_NOW)
    rows = await every_row(engine)
    assert len(rows["events"]) == 1 and len(rows["shifts"]) == 1
    assert len(rows["callouts"]) == 1
    assert len([row for row in rows["outbox"] if row["kind"] == "callout"]) == 2

    await _double_press(vic, next(label for label in vic.buttons() if "10:00-13:00" in label))
    await olga.send("/events")
    await _double_press(olga, texts.CANCEL_EVENT)
    await _double_press(olga, texts.CANCEL_EVENT_YES)
    rows = await every_row(engine)
    assert [row["status"] for row in rows["rsvps"]] == ["going"]
    assert [row["status"] for row in rows["events"]] == ["cancelled"]
    assert len([row for row in rows["outbox"] if row["kind"] == "event_cancelled"]) == 1
    for user in (olga, vic):
        assert texts.SOMETHING_WENT_WRONG not in [m.text for m in user.messages]
