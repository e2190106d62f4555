"""The test's side of the conversation: chats and the users who talk to the bot in them.

Every action builds the update a real Telegram client would cause, hands it to the server and,
by default, returns only once the bot has fetched it (and the ``after_delivery`` hook, usually
``application.update_queue.join``, has finished), so assertions right after an ``await`` see the
bot's complete reaction.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import TYPE_CHECKING, Any

from .markup import inline_buttons, reply_buttons
from .models import SentMessage

if TYPE_CHECKING:
    from .server import FakeTelegram

DEFAULT_PHONE = "+447700900123"
DEFAULT_LOCATION = (51.5074, -0.1278)  # central London

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")
_callback_ids = itertools.count(4_000_000_000_000_000_001)


def _text_entities(text: str) -> list[dict[str, Any]]:
    # Clients mark a leading /command so PTB's CommandHandler recognises it.
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": match.end()}]


class FakeChat:
    """A chat the bot can talk in: a user's private chat or a group.

    Holds the per-chat state the server needs (shared message_id sequence, transcript, current
    reply keyboard) and the actions for acting in it as a given user.
    """

    def __init__(self, fake: FakeTelegram, chat_id: int, chat_type: str, json: dict[str, Any]):
        self.fake = fake
        self.id = chat_id
        self.type = chat_type
        self.json = json
        self.members: dict[int, FakeUser] = {}
        # The reply keyboard currently shown (None once a ReplyKeyboardRemove arrives).
        self.reply_keyboard: dict[str, Any] | None = None
        self.reply_keyboard_message_id = 0
        self._next_message_id = 1
        self._transcript: list[SentMessage] = []
        self._by_id: dict[int, SentMessage] = {}
        self._user_messages: dict[int, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"FakeChat(id={self.id}, type={self.type!r})"

    @property
    def title(self) -> str | None:
        return self.json.get("title")

    # --- state used by the server -------------------------------------------------------------

    def allocate_message_id(self) -> int:
        """Bot and user messages share one increasing sequence per chat, as in Telegram."""
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def add_bot_message(self, msg: SentMessage) -> None:
        self._transcript.append(msg)
        self._by_id[msg.message_id] = msg
        markup = msg.reply_markup
        if markup:
            if "keyboard" in markup:
                self.reply_keyboard = markup
                self.reply_keyboard_message_id = msg.message_id
            elif markup.get("remove_keyboard"):
                self.reply_keyboard = None

    def bot_message(self, message_id: int) -> SentMessage | None:
        return self._by_id.get(message_id)

    def user_message(self, message_id: int) -> dict[str, Any] | None:
        return self._user_messages.get(message_id)

    def forget_user_message(self, message_id: int) -> bool:
        """The bot deleted a user's message; True if it existed."""
        return self._user_messages.pop(message_id, None) is not None

    # --- what the bot has said ------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent here, oldest first (deleted ones stay, flagged)."""
        return list(self._transcript)

    @property
    def last(self) -> SentMessage:
        """The newest bot message that has not been deleted."""
        for msg in reversed(self._transcript):
            if not msg.deleted:
                return msg
        raise AssertionError(f"the bot has sent nothing (undeleted) to chat {self.id}")

    def last_with_keyboard(self) -> SentMessage | None:
        for msg in reversed(self._transcript):
            if not msg.deleted and inline_buttons(msg.reply_markup):
                return msg
        return None

    def buttons(self, msg: SentMessage | None = None) -> list[str]:
        """Inline button labels of ``msg``, default the newest message carrying an inline
        keyboard."""
        if msg is None:
            msg = self.last_with_keyboard()
            if msg is None:
                return []
        return msg.buttons

    def reply_buttons(self) -> list[str]:
        """Labels of the reply keyboard currently shown in this chat."""
        return [button["text"] for button in reply_buttons(self.reply_keyboard)]

    # --- acting in the chat -------------------------------------------------------------------

    def _new_user_message(self, user: FakeUser, content: dict[str, Any]) -> dict[str, Any]:
        if self.type != "private":
            self.members[user.id] = user
        msg = {
            "message_id": self.allocate_message_id(),
            "from": user.json,
            "chat": self.json,
            "date": int(time.time()),
            **content,
        }
        self._user_messages[msg["message_id"]] = msg
        return msg

    async def _post(self, user: FakeUser, content: dict[str, Any], wait: bool) -> dict[str, Any]:
        msg = self._new_user_message(user, content)
        return await self.fake.deliver({"message": msg}, wait=wait)

    async def send(
        self,
        user: FakeUser,
        text: str,
        *,
        reply_to: SentMessage | int | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """``user`` writes ``text`` here; a leading /command gets its bot_command entity."""
        content: dict[str, Any] = {"text": text}
        entities = _text_entities(text)
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = self._reply_target(reply_to)
        return await self._post(user, content, wait)

    async def edit(
        self, user: FakeUser, message: dict[str, Any], text: str, *, wait: bool = True
    ) -> dict[str, Any]:
        """``user`` edits their earlier ``message`` (as ``send`` returned it) to read ``text``."""
        original = message.get("message", message)
        if self._user_messages.get(original["message_id"]) is None:
            raise AssertionError(f"no message {original['message_id']} of a user in chat {self.id}")
        edited = {k: v for k, v in original.items() if k not in ("text", "entities")}
        edited.update(text=text, edit_date=int(time.time()))
        entities = _text_entities(text)
        if entities:
            edited["entities"] = entities
        self._user_messages[edited["message_id"]] = edited
        return await self.fake.deliver({"edited_message": edited}, wait=wait)

    async def bot_status(self, user: FakeUser, status: str, *, wait: bool = True) -> dict[str, Any]:
        """Telegram's my_chat_member update for the bot's status here becoming ``status``
        ("kicked" when a user blocks the bot, "member" when they unblock it)."""
        bot = {"id": self.fake.bot_id, "is_bot": True, "first_name": self.fake.bot_first_name}

        def member(status: str) -> dict[str, Any]:
            return {"user": bot, "status": status} | (
                {"until_date": 0} if status == "kicked" else {}
            )

        change: dict[str, Any] = {
            "chat": self.json,
            "from": user.json,
            "date": int(time.time()),
            "old_chat_member": member("member" if status == "kicked" else "kicked"),
            "new_chat_member": member(status),
        }
        return await self.fake.deliver({"my_chat_member": change}, wait=wait)

    def _reply_target(self, reply_to: SentMessage | int) -> dict[str, Any]:
        message_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
        bot_msg = self._by_id.get(message_id)
        if bot_msg is not None:
            return self.fake.message_json(bot_msg)
        user_msg = self._user_messages.get(message_id)
        if user_msg is None:
            raise AssertionError(f"no message {message_id} in chat {self.id} to reply to")
        return {k: v for k, v in user_msg.items() if k != "reply_to_message"}

    async def share_location(
        self, user: FakeUser, latitude: float, longitude: float, *, wait: bool = True
    ) -> dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return await self._post(user, {"location": location}, wait)

    async def share_contact(
        self,
        user: FakeUser,
        phone: str | None = None,
        user_id: int | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        contact: dict[str, Any] = {
            "phone_number": phone if phone is not None else user.phone,
            "first_name": first_name if first_name is not None else user.first_name,
            "user_id": user_id if user_id is not None else user.id,
        }
        last = last_name if last_name is not None else user.last_name
        if last:
            contact["last_name"] = last
        return await self._post(user, {"contact": contact}, wait)

    async def send_document(
        self,
        user: FakeUser,
        data: bytes,
        file_name: str = "document",
        mime_type: str | None = "application/octet-stream",
        *,
        caption: str | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        stored = self.fake.store_file(data, file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": stored.document_json()}
        if caption is not None:
            content["caption"] = caption
        return await self._post(user, content, wait)

    async def send_photo(
        self, user: FakeUser, data: bytes, *, caption: str | None = None, wait: bool = True
    ) -> dict[str, Any]:
        stored = self.fake.store_file(data, file_name=None, mime_type=None, kind="photos")
        content: dict[str, Any] = {"photo": stored.photo_json()}
        if caption is not None:
            content["caption"] = caption
        return await self._post(user, content, wait)

    async def press(
        self, user: FakeUser, label: str, *, exact: bool = True, wait: bool = True
    ) -> dict[str, Any]:
        """Press the button labelled ``label`` that ``user`` sees here.

        Looks at the newest inline keyboard carrying that label and at the current reply
        keyboard; whichever was sent later wins, as that is the one on the user's screen.
        """

        def matches(text: str) -> bool:
            return text == label if exact else label in text

        inline_hit: tuple[SentMessage, dict[str, Any]] | None = None
        for msg in reversed(self._transcript):
            if msg.deleted:
                continue
            button = next((b for b in inline_buttons(msg.reply_markup) if matches(b["text"])), None)
            if button is not None:
                inline_hit = (msg, button)
                break
        reply_hit = next(
            (b for b in reply_buttons(self.reply_keyboard) if matches(b["text"])), None
        )
        if reply_hit is not None and (
            inline_hit is None or self.reply_keyboard_message_id > inline_hit[0].message_id
        ):
            return await self._press_reply_button(user, reply_hit, wait)
        if inline_hit is None:
            raise AssertionError(self._no_button_message(label, exact))
        msg, button = inline_hit
        data = button.get("callback_data")
        if data is None:
            kind = next((k for k in button if k != "text"), "unknown")
            raise AssertionError(
                f"button {button['text']!r} on message {msg.message_id} in chat {self.id} is a "
                f"{kind} button ({button.get(kind)!r}), not a callback button"
            )
        return await self.press_data(user, data, msg, wait=wait)

    def _no_button_message(self, label: str, exact: bool) -> str:
        last_inline = self.last_with_keyboard()
        inline = last_inline.buttons if last_inline else []
        how = "labelled" if exact else "with a label containing"
        return (
            f"no button {how} {label!r} in chat {self.id}; newest inline keyboard "
            f"(message {last_inline.message_id if last_inline else None}): {inline}; "
            f"reply keyboard: {self.reply_buttons()}"
        )

    async def _press_reply_button(
        self, user: FakeUser, button: dict[str, Any], wait: bool
    ) -> dict[str, Any]:
        if button.get("request_location"):
            return await self.share_location(user, *user.location, wait=wait)
        if button.get("request_contact"):
            return await self.share_contact(user, wait=wait)
        unsupported = {"request_users", "request_chat", "request_poll", "web_app"} & button.keys()
        if unsupported:
            raise AssertionError(
                f"the fake cannot press {button['text']!r}: {sorted(unsupported)} buttons are "
                "not simulated"
            )
        return await self.send(user, button["text"], wait=wait)

    async def press_data(
        self,
        user: FakeUser,
        data: str,
        message: SentMessage | None = None,
        *,
        wait: bool = True,
    ) -> dict[str, Any]:
        """A callback query with arbitrary ``data`` (forged or stale buttons), on ``message`` or
        the newest bot message in this chat."""
        if message is None:
            if not self._transcript:
                raise AssertionError(f"no bot message in chat {self.id} to attach a callback to")
            message = self._transcript[-1]
        query_id = str(next(_callback_ids))
        self.fake.register_callback(query_id, user)
        query = {
            "id": query_id,
            "from": user.json,
            "message": self.fake.message_json(message),
            "chat_instance": str(7_000_000_000_000 + abs(self.id)),
            "data": data,
        }
        return await self.fake.deliver({"callback_query": query}, wait=wait)


class FakeUser:
    """A Telegram user the test acts as; their private chat with the bot has id == user id."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        phone: str = DEFAULT_PHONE,
        location: tuple[float, float] = DEFAULT_LOCATION,
    ):
        self.fake = fake
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone = phone
        self.location = location
        self.callback_answers: list[dict[str, Any]] = []
        self.json: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self.json["last_name"] = last_name
        if username:
            self.json["username"] = username
        if language_code:
            self.json["language_code"] = language_code
        chat_json: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat_json["last_name"] = last_name
        if username:
            chat_json["username"] = username
        self.chat = FakeChat(fake, user_id, "private", chat_json)

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    @property
    def messages(self) -> list[SentMessage]:
        return self.chat.messages

    @property
    def last(self) -> SentMessage:
        return self.chat.last

    def buttons(self, msg: SentMessage | None = None) -> list[str]:
        return self.chat.buttons(msg)

    def reply_buttons(self) -> list[str]:
        return self.chat.reply_buttons()

    async def send(
        self, text: str, *, reply_to: SentMessage | int | None = None, wait: bool = True
    ) -> dict[str, Any]:
        return await self.chat.send(self, text, reply_to=reply_to, wait=wait)

    async def press(self, label: str, *, exact: bool = True, wait: bool = True) -> dict[str, Any]:
        return await self.chat.press(self, label, exact=exact, wait=wait)

    async def edit(
        self, message: dict[str, Any], text: str, *, wait: bool = True
    ) -> dict[str, Any]:
        return await self.chat.edit(self, message, text, wait=wait)

    async def block_bot(self, *, wait: bool = True) -> dict[str, Any]:
        """Block the bot: sends to this user fail with 403, and Telegram tells the bot."""
        self.fake.block(self.id)
        return await self.chat.bot_status(self, "kicked", wait=wait)

    async def unblock_bot(self, *, wait: bool = True) -> dict[str, Any]:
        self.fake.unblock(self.id)
        return await self.chat.bot_status(self, "member", wait=wait)

    async def press_data(
        self, data: str, message: SentMessage | None = None, *, wait: bool = True
    ) -> dict[str, Any]:
        return await self.chat.press_data(self, data, message, wait=wait)

    async def share_location(
        self, latitude: float | None = None, longitude: float | None = None, *, wait: bool = True
    ) -> dict[str, Any]:
        lat = self.location[0] if latitude is None else latitude
        lon = self.location[1] if longitude is None else longitude
        return await self.chat.share_location(self, lat, lon, wait=wait)

    async def share_contact(
        self,
        phone: str | None = None,
        user_id: int | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        return await self.chat.share_contact(
            self, phone, user_id, first_name=first_name, last_name=last_name, wait=wait
        )

    async def send_document(
        self,
        data: bytes,
        file_name: str = "document",
        mime_type: str | None = "application/octet-stream",
        *,
        caption: str | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        return await self.chat.send_document(
            self, data, file_name, mime_type, caption=caption, wait=wait
        )

    async def send_photo(
        self, data: bytes, *, caption: str | None = None, wait: bool = True
    ) -> dict[str, Any]:
        return await self.chat.send_photo(self, data, caption=caption, wait=wait)
