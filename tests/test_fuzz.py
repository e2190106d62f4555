"""2,000 random and malformed updates against the running bot, from every role and from groups and
channels: nothing fails, nothing is stored, and nothing personal or secret reaches the log.

The updates come from a seeded generator, so a failure replays exactly: run again with the same
SEED. Every update here is one that should change nothing (no consent, no answer to a question
anyone was asked, no button we offered), so the database must be exactly as it was.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import callbacks, clock, texts
from tests.conftest import ADMIN_ID, START
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, new_event, sign_up

SEED = 20261202
UPDATES = 2_000
BATCH = 40

# Names and ids nobody else uses, so that finding one in the log means it leaked.
PEOPLE = {
    "admin": (ADMIN_ID, "Adaeze", "adaeze_admin"),
    "coordinator": (861_234_567, "Coralie", "coralie_coord"),
    "organiser": (862_345_678, "Olwenna", "olwenna_org"),
    "volunteer": (863_456_789, "Verity", "verity_vol"),
    "stranger": (864_567_891, "Sidonie", "sidonie_x"),
}
GROUP, CHANNEL = -100_987_654_321, -100_876_543_219
MARKER = "Quillfeather"  # in every typed text: the log must never show what people typed

# Commands that show things and change nothing whoever sends them, with or without arguments.
# (/newevent and /callout keep a conversation's state, /showme and /hideme a choice, /mydata and
# /export an audit row: all of those are changes, tested elsewhere.)
COMMANDS = (
    "/start",
    "/help",
    "/profile",
    "/pause",
    "/resume",
    "/forget",
    "/myshifts",
    "/roster",
    "/here",
    "/events",
    "/template",
    "/roles",
    "/summary",
    "/turnout",
    "/leaderboard",
    "/pledge",
    "/pledges",
    "/pledgecall",
    "/grant",
    "/revoke",
    "/cancel",
    "/nosuchcommand",
    "/start@muster_test_bot",
)
_PIECES = (
    "yes",
    "no",
    "maybe",
    "can't",
    "I'm in",
    "SE15 4QR",
    "12",
    "-3",
    "99999999999999999999",
    "<b>bold</b>",
    "&amp;",
    "<a href='x'>",
    "\u202eevil\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd",
    "\u0645\u0631\u062d\u0628\u0627",
    "\u200b\u200d\ufeff",
    "\x00\x07\x1b[31m\x7f",
    "\r\n\t",
    "🙂🇬🇧👩‍👩‍👧",
    "e-",
    "@olwenna_org",
    "organiser",
    "coordinator",
    "Peckham",
    "last week",
    "30d",
    "14/3",
    MARKER,
)


def _text(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.05:
        return MARKER + "x" * rng.choice((4096, 10_000, 65_000))
    if kind < 0.15:
        return MARKER + "".join(chr(rng.randrange(0, 0x2FFF)) for _ in range(rng.randrange(1, 300)))
    words = [rng.choice(_PIECES) for _ in range(rng.randrange(1, 8))]
    return " ".join([*words, MARKER] if rng.random() < 0.5 else [MARKER, *words])


def _command(rng: random.Random) -> str:
    command = rng.choice(COMMANDS)
    if rng.random() < 0.6:
        return f"{command} {_text(rng)[:200]}"
    return command


def _forged_data(rng: random.Random) -> str:
    """Callback data in the bot's own formats (and some not), with fields nobody offered."""
    kinds = [
        kind
        for kind in vars(callbacks).values()
        if isinstance(kind, type)
        and issubclass(kind, callbacks.CallbackData)
        and hasattr(kind, "PREFIX")
    ]
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(("", ":", "x" * 64, "rv:", "rv:-1", "rv:1e9", "consent:maybe", "\u202e"))
    kind = rng.choice(kinds)
    field = lambda: rng.choice(  # noqa: E731
        (str(rng.randrange(0, 50)), str(rng.randrange(10**17)), "yes", "done", "sat", "n", "l")
    )
    fields = kind.SEP.join(field() for _ in range(rng.randrange(1, 4)))
    return f"{kind.PREFIX}:{fields}"[:64]


def _document(rng: random.Random) -> tuple[bytes, str, str]:
    data = rng.choice(
        (
            b"\x89PNG\r\n\x1a\n" + rng.randbytes(200),
            rng.randbytes(rng.randrange(0, 2000)),
            b"%PDF-1.4\n" + rng.randbytes(100),
            ("kind;title\n" + MARKER + ";\u202e\n").encode(),
            b"\xff\xfe" + b"t\x00i\x00" * 20,
        )
    )
    name = rng.choice(("events.csv", "photo.png", "report.pdf", "noname", MARKER + ".csv"))
    mime = rng.choice(("text/csv", "image/png", "application/pdf", "application/octet-stream"))
    return data, name, mime


def _raw(fake: FakeTelegram, rng: random.Random, user: FakeUser) -> dict[str, Any]:
    """Updates no client makes: broken fields, kinds the library does not know, channel posts,
    the bot added to or removed from a group."""
    roll = rng.randrange(6)
    message = {
        "message_id": rng.randrange(1, 10**6),
        "from": user.json,
        "chat": user.chat.json,
        "date": int(time.time()),
        "text": _text(rng)[:500],
    }
    if roll == 0:
        return {"message": {**message, "chat": MARKER}}
    if roll == 1:
        return {"message": {**message, "message_id": MARKER, "from": [user.json]}}
    if roll == 2:
        return {"future_kind_of_update": {"from": user.json, "text": MARKER}}
    channel = fake.chat(CHANNEL).json
    if roll == 3:
        post = {**message, "chat": channel, "sender_chat": channel}
        del post["from"]
        return {"channel_post": post}
    if roll == 4:
        post = {**message, "chat": channel, "sender_chat": channel, "edit_date": int(time.time())}
        del post["from"]
        return {"edited_channel_post": post}
    bot = {"id": fake.bot_id, "is_bot": True, "first_name": fake.bot_first_name}
    old, new = rng.sample(("member", "left"), 2)
    return {
        "my_chat_member": {
            "chat": fake.chat(GROUP).json,
            "from": user.json,
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": old},
            "new_chat_member": {"user": bot, "status": new},
        }
    }


class Fuzzer:
    def __init__(self, fake: FakeTelegram, users: list[FakeUser], seed: int) -> None:
        self.fake = fake
        self.users = users
        self.rng = random.Random(seed)
        self.sent: dict[int, list[dict[str, Any]]] = {}
        self.kinds: dict[str, int] = {}

    async def one(self) -> dict[str, Any]:
        rng, user = self.rng, self.rng.choice(self.users)
        actions: list[tuple[str, float, Callable[[], Coroutine[Any, Any, dict[str, Any]]]]] = [
            ("text", 3, lambda: user.send(_text(rng), wait=False)),
            ("command", 3, lambda: user.send(_command(rng), wait=False)),
            ("forged button", 3, lambda: self._forged(user)),
            ("edit", 2, lambda: self._edit(user)),
            ("document", 1, lambda: user.send_document(*_document(rng), wait=False)),
            ("photo", 0.3, lambda: user.send_photo(rng.randbytes(50), wait=False)),
            ("location", 0.5, lambda: user.share_location(*self._place(), wait=False)),
            ("contact", 0.5, lambda: self._contact(user)),
            ("group", 1.5, lambda: self._group(user)),
            ("raw", 1.2, lambda: self._raw(user)),
        ]
        name, _, action = rng.choices(actions, weights=[a[1] for a in actions])[0]
        self.kinds[name] = self.kinds.get(name, 0) + 1
        update = await action()
        chat = update.get("message", {}).get("chat") if name != "raw" else None
        if chat is not None:
            self.sent.setdefault(chat["id"], []).append(update)
        return update

    def _place(self) -> tuple[float, float]:
        return self.rng.uniform(-90, 90), self.rng.uniform(-180, 180)

    async def _forged(self, user: FakeUser) -> dict[str, Any]:
        cards = [m for m in user.messages if not m.deleted]
        if not cards:
            return await user.send(_text(self.rng), wait=False)
        card = self.rng.choice(cards)
        data = _forged_data(self.rng)
        offered = {
            b.get("callback_data")
            for row in (card.reply_markup or {}).get("inline_keyboard", [])
            for b in row
        }
        if data in offered:  # a button we did offer is not forged
            data = "rv:" + str(10**17)
        return await user.press_data(data, card, wait=False)

    async def _edit(self, user: FakeUser) -> dict[str, Any]:
        mine = self.sent.get(user.id)
        text = self.rng.choice(
            (_command(self.rng), _text(self.rng), "yes", "/grant @verity_vol organiser")
        )
        if not mine:
            return await user.send(_text(self.rng), wait=False)
        return await user.edit(self.rng.choice(mine), text, wait=False)

    async def _contact(self, user: FakeUser) -> dict[str, Any]:
        other = self.rng.choice(self.users)
        return await user.share_contact(
            phone=self.rng.choice(("+447700900555", MARKER, "")) or "0",
            user_id=other.id,
            first_name=other.first_name,
            wait=False,
        )

    async def _group(self, user: FakeUser) -> dict[str, Any]:
        group = self.fake.chat(GROUP)
        text = _command(self.rng) if self.rng.random() < 0.5 else _text(self.rng)
        mine = self.sent.get(GROUP)
        if mine and self.rng.random() < 0.2:
            return await group.edit(user, self.rng.choice(mine), text, wait=False)
        return await group.send(user, text, wait=False)

    async def _raw(self, user: FakeUser) -> dict[str, Any]:
        update = _raw(self.fake, self.rng, user)
        self.fake.enqueue_raw(update)
        return update


async def _world(fake: FakeTelegram) -> dict[str, FakeUser]:
    people = {
        role: fake.user(user_id, first_name=name, username=username)
        for role, (user_id, name, username) in PEOPLE.items()
    }
    fake.group(GROUP, "Peckham campaigners")
    fake.group(CHANNEL, "Peckham news", chat_type="channel")
    admin = people["admin"]
    for role in ("coordinator", "organiser", "volunteer"):
        await sign_up(people[role], share_phone=True)
    await admin.send("/grant @coralie_coord coordinator")
    await admin.send("/grant @olwenna_org organiser Peckham")
    code = await new_event(people["organiser"])
    # Cards with real buttons on them, to forge data against: a shift call's, a consent notice.
    await people["volunteer"].send(f"/start {code}")
    await people["stranger"].send("/start")
    # A week on, the event is over: the volunteer's card stays to forge against, but words they
    # type ("can't") have no open shift left to answer, so nothing the fuzzer sends is an answer.
    clock.set_time(START + timedelta(days=7))
    return people


async def test_fuzzed_updates_fail_nothing_store_nothing_and_log_nothing_personal(
    app: Application,
    fake: FakeTelegram,
    engine: AsyncEngine,
    debug_log: io.StringIO,
) -> None:
    people = await _world(fake)
    before = await every_row(engine)
    heard_before = {user.id: len(user.messages) for user in people.values()}
    fuzzer = Fuzzer(fake, list(people.values()), SEED)

    for _ in range(UPDATES // BATCH):
        ids = [(await fuzzer.one())["update_id"] for _ in range(BATCH)]
        await fake.wait_consumed(max(ids))
        assert fake.after_delivery is not None
        await fake.after_delivery()

    assert sum(fuzzer.kinds.values()) == UPDATES and len(fuzzer.kinds) == 10, fuzzer.kinds
    assert await every_row(engine) == before
    said = [m.text for user in people.values() for m in user.messages[heard_before[user.id] :]]
    assert said, "the bot answered nobody"
    assert texts.SOMETHING_WENT_WRONG not in said
    log = debug_log.getvalue()
    assert " ERROR " not in log and " CRITICAL " not in log, log[-3000:]
    assert fake.token not in log
    for user_id, name, username in PEOPLE.values():
        for personal in (str(user_id), name, username):
            assert personal not in log, personal
    for personal in (MARKER, "SE15", "447700900", str(GROUP)):
        assert personal not in log, personal
