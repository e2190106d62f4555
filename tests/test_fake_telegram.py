"""Tests of the fake Telegram server itself, driven by a real PTB Bot / Application over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonWebApp,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_telegram import FakeTelegram, Fault, SentMessage, parse_html
from tests.flows import until

ALICE = 1001


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(token="123456:TEST", bot_username="muster_test_bot")
    await server.start()
    server.action_timeout = 5.0
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    client = Bot(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
    async with client:
        yield client


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in labels_and_data]
    )


def retry_seconds(exc: RetryAfter) -> float:
    # PTB 22 returns an int or a timedelta depending on PTB_TIMEDELTA (and warns about the int).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ---------------------------------------------------------------------------- basics


async def test_get_me_and_bot_id(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == fake.bot_id == 123456
    assert me.username == "muster_test_bot"
    assert me.first_name == "Muster"
    assert me.is_bot
    assert fake.base_url.startswith("http://127.0.0.1:")


async def test_wrong_token_and_unknown_method(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot(token="999:WRONG", base_url=fake.base_url):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{fake.token}/sendTelepathy") as resp,
    ):
        assert resp.status == 404
        assert await resp.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }


async def test_json_body_is_accepted(fake: FakeTelegram) -> None:
    fake.user(ALICE)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake.base_url}{fake.token}/sendMessage",
            json={"chat_id": ALICE, "text": "json!", "reply_markup": markup},
        ) as resp,
    ):
        body = await resp.json()
    assert body["ok"] and body["result"]["reply_markup"] == markup
    assert fake.transcript(ALICE)[0].reply_markup == markup


async def test_send_message_is_recorded_with_keyboard(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE, first_name="Alice", username="alice")
    sent = await bot.send_message(
        ALICE,
        "Join <b>Saturday</b>?",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(("I agree", "agree:1"), ("No", "agree:0")),
    )
    assert sent.message_id == 1
    assert sent.chat.id == ALICE and sent.chat.first_name == "Alice"
    assert sent.from_user is not None and sent.from_user.id == fake.bot_id
    assert sent.text == "Join Saturday?"
    assert sent.text_html == "Join <b>Saturday</b>?"
    assert sent.reply_markup is not None

    [msg] = fake.transcript(ALICE)
    assert isinstance(msg, SentMessage)
    assert (msg.method, msg.text, msg.html) == ("sendMessage", "Join Saturday?", sent.text_html)
    assert msg.buttons == ["I agree", "No"]
    assert msg.callback_data("I agree") == "agree:1"
    assert alice.last is msg and alice.buttons() == ["I agree", "No"]
    assert fake.sent_count == 1
    assert fake.calls("sendMessage")[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == (
        "I agree"
    )


async def test_text_validation(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    await bot.send_message(ALICE, "x" * 4096)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(ALICE, "x" * 4097)
    with pytest.raises(BadRequest, match="empty"):
        await bot.send_message(ALICE, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.send_message(424242, "hello?")
    assert len(fake.transcript(ALICE)) == 1


async def test_callback_data_limit_is_in_bytes(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    await bot.send_message(ALICE, "ok", reply_markup=keyboard(("a", "é" * 32)))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ALICE, "too big", reply_markup=keyboard(("a", "é" * 32 + "x")))
    text_only = InlineKeyboardMarkup([[InlineKeyboardButton("just text", url=None)]])
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(ALICE, "bad", reply_markup=text_only)


@pytest.mark.parametrize(
    "html",
    [
        "I <3 you",
        "<b>unclosed",
        "a <br> b",
        "<b><i>x</b></i>",
        "stray </b>",
        "Fish & Chips",
        '<span class="x">y</span>',
    ],
)
async def test_bad_html_is_rejected(fake: FakeTelegram, bot: Bot, html: str) -> None:
    fake.user(ALICE)
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(ALICE, html, parse_mode=ParseMode.HTML)


def test_html_parsing_to_plain_text_and_entities() -> None:
    plain, entities = parse_html(
        '<b>Hi</b> &lt;you&gt; &amp; <a href="https://x.org/?a=1&amp;b=2">link</a> '
        '<pre><code class="language-py">x = 1</code></pre> 👋<i>é</i>'
    )
    assert plain == "Hi <you> & link x = 1 👋é"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://x.org/?a=1&b=2"},
        {"type": "pre", "offset": 16, "length": 5, "language": "py"},
        {"type": "italic", "offset": 24, "length": 1},  # the emoji is two UTF-16 units
    ]
    assert parse_html("Fish & Chips", strict=False) == ("Fish & Chips", [])


async def test_edit_message_text_updates_transcript(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)
    sent = await bot.send_message(ALICE, "Shift at 10?", reply_markup=keyboard(("Yes", "y")))
    edited = await bot.edit_message_text(
        "Shift at <b>11</b>?", ALICE, sent.message_id, parse_mode=ParseMode.HTML
    )
    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    msg = alice.last
    assert msg.text == "Shift at 11?" and msg.html == "Shift at <b>11</b>?"
    assert msg.edited and msg.reply_markup is None  # no markup in the edit removes the keyboard
    assert msg.edit_history[0]["text"] == "Shift at 10?"

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "Shift at <b>11</b>?", ALICE, sent.message_id, parse_mode=ParseMode.HTML
        )
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("nope", ALICE, 999)

    await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard(("Z", "z")))
    assert alice.last.buttons == ["Z"]
    assert await bot.delete_message(ALICE, sent.message_id)
    assert alice.messages[-1].deleted
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("gone", ALICE, sent.message_id)


# ---------------------------------------------------------------------------- faults


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_fault_raises_retry_after_once(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    fake.user(2002)
    fake.inject(Fault(method="sendMessage", chat_id=ALICE, status=429, retry_after=7))
    await bot.send_message(2002, "other chat is unaffected")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ALICE, "hi")
    assert retry_seconds(info.value) == 7
    await bot.send_message(ALICE, "second try works")
    assert [m.text for m in fake.transcript(ALICE)] == ["second try works"]


async def test_fault_counting_and_recording_switch(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    fault = fake.inject(
        Fault("sendMessage", ALICE, status=400, times=2, description="Bad Request: x")
    )
    for _ in range(2):
        with pytest.raises(BadRequest, match="X"):
            await bot.send_message(ALICE, "hi")
    assert fault.times == 0
    await bot.send_message(ALICE, "third time lucky")
    fake.record_requests = False
    await bot.send_message(ALICE, "not recorded")
    assert [name for name, _ in fake.requests].count("sendMessage") == 3
    assert fake.method_counts["sendMessage"] == 4
    assert fake.sent_count == 2


async def test_reply_to_must_exist(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)
    await alice.send("question", wait=False)
    reply = await bot.send_message(ALICE, "answer", reply_to_message_id=1)
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "question"
    assert alice.last.reply_to_message_id == 1
    with pytest.raises(BadRequest, match="replied not found"):
        await bot.send_message(ALICE, "answer", reply_to_message_id=99)


async def test_403_fault_and_block(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    fake.user(2002)
    fake.inject(Fault(method="sendMessage", chat_id={ALICE}, status=403, times=None))
    for _ in range(2):
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(ALICE, "hi")
    fake.clear_faults()
    await bot.send_message(ALICE, "hi")

    fake.block(2002)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_document(2002, b"x", filename="x.txt")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(2002, "typing")
    assert fake.transcript(2002) == []


async def test_drop_fault_is_a_network_error(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    fake.inject(Fault(method="sendMessage", drop=True))
    with pytest.raises(NetworkError) as info:
        await bot.send_message(ALICE, "lost")
    assert not isinstance(info.value, TimedOut)
    assert fake.transcript(ALICE) == []  # dropped before Telegram processed it
    await bot.send_message(ALICE, "the connection pool recovers")
    assert len(fake.transcript(ALICE)) == 1


async def test_delay_fault_times_out_but_delivers(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    fake.inject(Fault(method="sendMessage", delay=1.0))
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE, "slow", read_timeout=0.2)
    # The request reached "Telegram"; only the answer was late: the classic duplicate source.
    assert [m.text for m in fake.transcript(ALICE)] == ["slow"]


# ---------------------------------------------------------------------------- files


async def test_send_document_round_trip(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)
    payload = b"name,shift\nAlice,10:00\n"
    sent = await bot.send_document(ALICE, payload, filename="rota.csv", caption="Rota")
    assert sent.document is not None and sent.document.file_name == "rota.csv"
    msg = alice.last
    assert (msg.method, msg.document, msg.file_name, msg.text) == (
        "sendDocument",
        payload,
        "rota.csv",
        "Rota",
    )
    assert msg.mime_type == "text/csv"

    again = await bot.send_document(ALICE, sent.document.file_id)
    assert alice.last.document == payload and again.document is not None
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(ALICE, "no-such-file-id")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_document(ALICE, b"x", filename="x", caption="c" * 1025)

    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload


async def test_user_document_is_downloadable(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)
    await alice.send_document(
        b"a,b\n1,2\n", file_name="events.csv", mime_type="text/csv", wait=False
    )
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    document = update.message.document
    assert (document.file_name, document.mime_type) == ("events.csv", "text/csv")
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"


async def test_photo_venue_location_contact(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)
    photo = await bot.send_photo(ALICE, b"\x89PNG...", caption="map")
    assert photo.photo and photo.caption == "map"
    venue = await bot.send_venue(ALICE, 51.5, -0.12, "Office", "1 High St")
    assert venue.venue is not None and venue.venue.title == "Office"
    await bot.send_location(ALICE, 51.47, -0.07)
    await bot.send_contact(ALICE, "+441234", "Organiser")
    methods = [m.method for m in alice.messages]
    assert methods == ["sendPhoto", "sendVenue", "sendLocation", "sendContact"]
    assert alice.messages[1].venue == {
        "location": {"latitude": 51.5, "longitude": -0.12},
        "title": "Office",
        "address": "1 High St",
    }
    assert alice.messages[2].location == {"latitude": 51.47, "longitude": -0.07}
    assert alice.messages[3].contact == {"phone_number": "+441234", "first_name": "Organiser"}


# ---------------------------------------------------------------------------- commands & misc


async def test_commands_per_scope(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE)
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("admin", "Admin tools")], scope=BotCommandScopeChat(ALICE)
    )
    await bot.set_my_commands(
        [BotCommand("signup", "Sign up")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="de",
    )
    assert [c["command"] for c in fake.commands()] == ["start", "help"]
    assert fake.commands({"type": "chat", "chat_id": ALICE}) == [
        {"command": "admin", "description": "Admin tools"}
    ]
    assert fake.commands({"type": "all_private_chats"}) == []
    assert fake.commands({"type": "all_private_chats"}, language_code="de")[0]["command"] == (
        "signup"
    )
    got = await bot.get_my_commands(scope=BotCommandScopeChat(ALICE))
    assert [c.command for c in got] == ["admin"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(ALICE))
    assert fake.commands({"type": "chat", "chat_id": ALICE}) == []
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.set_my_commands([BotCommand("a", "b")], scope=BotCommandScopeChat(777))


async def test_menu_button_get_chat_and_simple_methods(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(ALICE, first_name="Alice")
    button = MenuButtonWebApp("Open", WebAppInfo("https://example.org/app"))
    assert await bot.set_chat_menu_button(ALICE, button)
    got = await bot.get_chat_menu_button(ALICE)
    assert isinstance(got, MenuButtonWebApp) and got.text == "Open"
    assert fake.menu_button(ALICE) == button.to_dict()
    chat = await bot.get_chat(ALICE)
    assert chat.first_name == "Alice" and chat.type == "private"
    assert await bot.set_my_description("Gets volunteers out")
    assert (await bot.get_my_description()).description == "Gets volunteers out"
    assert await bot.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()


# ---------------------------------------------------------------------------- updates


async def test_get_updates_offset_limit_and_wakeup(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)
    for i in range(3):
        await alice.send(f"m{i}", wait=False)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["m0", "m1"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["m2"]
    # Confirming the last one leaves nothing; a long poll is woken by the next user action.
    consumed = asyncio.create_task(fake.wait_consumed(rest[0].update_id))
    poll = asyncio.create_task(bot.get_updates(offset=rest[0].update_id + 1, timeout=30))
    await asyncio.wait_for(consumed, 5)
    await until(lambda: fake.long_polling)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await alice.send("/start ev123", wait=False)
    [update] = await poll
    assert loop.time() - started < 10  # woken by the update, not by the 30 s timeout
    assert update.message is not None and update.message.text == "/start ev123"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")
    assert update.message.message_id == 4  # user messages share the chat's sequence
    # A long poll with nothing to deliver answers [] at its timeout.
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0.2) == ()


async def test_second_long_poll_terminates_the_first(fake: FakeTelegram, bot: Bot) -> None:
    # A Bot polls over a one-connection pool, so the rival poll needs its own Bot, just like a
    # second bot instance running by mistake.
    async with Bot(token=fake.token, base_url=fake.base_url) as rival:
        first = asyncio.create_task(bot.get_updates(timeout=5))
        await until(lambda: fake.long_polling)
        second = asyncio.create_task(rival.get_updates(timeout=0.3))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await first
        assert await second == ()


async def test_client_leaving_a_long_poll_is_harmless(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)

    async def raw_poll(session: aiohttp.ClientSession) -> None:
        async with session.post(
            f"{fake.base_url}{fake.token}/getUpdates", data={"timeout": "5"}
        ) as resp:
            await resp.read()

    async with aiohttp.ClientSession() as session:
        poll = asyncio.create_task(raw_poll(session))
        await until(lambda: fake.long_polling)
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
    # The abandoned poll is answered into the void; the update stays queued for the next poll.
    await alice.send("still there?", wait=False)
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.text == "still there?"


async def test_action_times_out_without_a_consumer(fake: FakeTelegram) -> None:
    alice = fake.user(ALICE)
    fake.action_timeout = 0.1
    with pytest.raises(AssertionError, match=r"update 1 \(message 'hello' from 1001\)"):
        await alice.send("hello")


async def test_press_without_matching_button_lists_labels(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(ALICE)
    await bot.send_message(ALICE, "pick", reply_markup=keyboard(("Yes", "y"), ("No", "n")))
    with pytest.raises(AssertionError, match=r"\['Yes', 'No'\]"):
        await alice.press("Maybe")
    await alice.press("Ye", exact=False, wait=False)
    [update] = await bot.get_updates()
    assert update.callback_query is not None and update.callback_query.data == "y"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == 1


# ---------------------------------------------------------------------------- full Application


def build_app(fake: FakeTelegram) -> Application:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        args = " ".join(context.args or [])
        await update.effective_message.reply_text(
            f"Welcome ({args})", reply_markup=keyboard(("I agree", "agree"))
        )

    async def share(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        markup = ReplyKeyboardMarkup(
            [
                [KeyboardButton("Share phone", request_contact=True)],
                [KeyboardButton("Where am I", request_location=True), "Plain"],
            ],
            one_time_keyboard=True,
        )
        await update.effective_message.reply_text("Share?", reply_markup=markup)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text)

    async def location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        loc = update.effective_message.location
        assert loc is not None
        await update.effective_message.reply_text(f"At {loc.latitude},{loc.longitude}")

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.contact is not None
        own = message.contact.user_id == update.effective_user.id  # type: ignore[union-attr]
        await message.reply_text(
            f"Thanks {message.contact.phone_number} own={own}",
            reply_markup=ReplyKeyboardRemove(),
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text(f"Agreed ✅ ({query.data})")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("share", share))
    app.add_handler(MessageHandler(filters.LOCATION, location))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    return app


async def test_application_end_to_end(fake: FakeTelegram) -> None:
    app = build_app(fake)
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
    await app.start()
    fake.after_delivery = app.update_queue.join
    try:
        alice = fake.user(ALICE, first_name="Alice", username="alice", phone="+447700900999")

        await alice.send("hello there")
        assert alice.last.text == "hello there"

        await alice.send("/start@muster_test_bot ev123")
        assert alice.last.text == "Welcome (ev123)"
        assert alice.buttons() == ["I agree"]

        await alice.press("I agree")
        assert alice.last.text == "Agreed ✅ (agree)" and alice.last.edited
        assert alice.last.reply_markup is None
        assert [a["text"] for a in alice.callback_answers] == ["Noted"]

        await alice.press_data("forged:data")
        assert alice.last.text == "Agreed ✅ (forged:data)"

        await alice.send("/share")
        assert alice.reply_buttons() == ["Share phone", "Where am I", "Plain"]
        await alice.press("Where am I")
        assert alice.last.text == "At 51.5074,-0.1278"
        await alice.press("Plain")
        assert alice.last.text == "Plain"
        await alice.share_location(51.47, -0.07)
        assert alice.last.text == "At 51.47,-0.07"
        await alice.press("Share phone")
        assert alice.last.text == "Thanks +447700900999 own=True"
        assert alice.reply_buttons() == []

        group = fake.group(-100123, title="Ward team")
        await group.send(alice, "hi team")
        assert group.last.text == "hi team" and group.last.chat_id == -100123
        assert [m.message_id for m in group.messages] == [2]
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.shutdown()
    assert fake.method_counts["getUpdates"] >= 9
