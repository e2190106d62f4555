"""How the bot talks to the Bot API, where PTB's own behaviour would hurt people or the log:

* an update PTB cannot read (a Bot API server newer or older than the library) is skipped with one
  log line, instead of PTB logging the whole batch, personal data included, and fetching the same
  batch again in a tight loop;
* an edit that would change nothing ("message is not modified", as a double tap causes) counts as
  done, so it never surfaces as an error;
* it remembers when it last changed each message, so that a tap on a message as it was before
  that (the second of a double tap) can be told apart (:meth:`MusterBot.changed_since`);
* it notes what it shows in private chats while an update is handled (:class:`Shown`), so that
  the question just put with buttons is known (handlers.typed); and the answer to a press that
  was typed rather than tapped (:func:`typed_query_id`), which Telegram never saw, becomes a
  message once the press is handled.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)

# Messages whose last change is remembered; older ones are forgotten first. A double tap comes
# within seconds, so only recent changes matter.
REMEMBERED_EDITS = 10_000


def readable(update: Any) -> Any:
    """``update`` if PTB can read it; else a bare update with only its id, which PTB reads, no
    handler takes, and whose id still moves the offset past it. Logs only the id and the
    top-level keys: the rest can be anyone's names, messages and phone numbers."""
    try:
        Update.de_json(update, None)
    except Exception as error:  # whatever PTB fails on, the update is skipped
        keys = sorted(update) if isinstance(update, dict) else []
        update_id = update.get("update_id") if isinstance(update, dict) else None
        log.warning(
            "skipped update %s that could not be read (%s; keys: %s)",
            update_id if isinstance(update_id, int) else "without an id",
            error.__class__.__name__,
            ", ".join(str(key)[:32] for key in keys[:10]),
        )
        return {"update_id": update_id} if isinstance(update_id, int) else None
    return update


class UpdatesRequest(HTTPXRequest):
    """The connection getUpdates goes through (PTB uses it for nothing else)."""

    async def post(self, url: str, request_data: RequestData | None = None, **timeouts: Any) -> Any:
        result = await super().post(url, request_data, **timeouts)
        if not isinstance(result, list):
            return result
        return [update for update in map(readable, result) if update is not None]


def _not_modified(error: BadRequest) -> bool:
    return "message is not modified" in error.message.lower()


def _looks(message: Message) -> int:
    """What a person sees of a message, as a number to compare: its words and its buttons."""
    markup = message.reply_markup.to_json() if message.reply_markup else ""
    return hash((message.text, message.caption, markup))


# A button as typed answers know it: its label and the data a tap on it carries.
Button = tuple[str, str]


@dataclass
class Shown:
    """What the bot showed in private chats while handling one update, in order: each message
    sent or edited, with its buttons (none: a message without, or buttons taken away)."""

    # (chat id, message id, buttons, whether it is a new message rather than an edit)
    messages: list[tuple[int, int, tuple[Button, ...], bool]] = field(default_factory=list)
    # The words of each new message, by chat.
    words: dict[int, list[str]] = field(default_factory=dict)
    # The answers to typed presses (chat id, words), sent as messages once the press is handled.
    answers: list[tuple[int, str]] = field(default_factory=list)
    # Chats whose question stays the one just put although a message followed it (a reminder of
    # how to answer it).
    still_asking: set[int] = field(default_factory=set)


SHOWN: ContextVar[Shown | None] = ContextVar("shown", default=None)

# The id of a callback query made up for words typed instead of a tap (handlers.typed).
_TYPED = "typed"


def typed_query_id(chat_id: int, message_id: int) -> str:
    return f"{_TYPED}:{chat_id}:{message_id}"


def typed(query: CallbackQuery) -> bool:
    """Whether ``query`` is words typed instead of a tap, not a tap Telegram sent."""
    return query.id.startswith(f"{_TYPED}:")


def buttons_on(markup: object) -> tuple[Button, ...]:
    """The buttons of a keyboard that a press reaches (not links), in reading order."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return ()
    return tuple(
        (button.text, button.callback_data)
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str)
    )


def _note(result: object, *, new: bool) -> None:
    shown = SHOWN.get()
    if shown is None or not isinstance(result, Message) or result.chat.type != "private":
        return
    shown.messages.append(
        (result.chat_id, result.message_id, buttons_on(result.reply_markup), new)
    )
    if new:
        shown.words.setdefault(result.chat_id, []).append(result.text or "")


class MusterBot(ExtBot[None]):
    """PTB's bot, with edits that would change nothing counting as done, and the time of each
    message's last change kept (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._edited: OrderedDict[tuple[int, int], tuple[datetime, int]] = OrderedDict()

    def changed_since(self, message: Message) -> bool:
        """Whether the bot changed ``message`` after the state it is in here (as a tap carries
        it): then the tap was made on a card that no longer looks like that."""
        known = self._edited.get((message.chat_id, message.message_id))
        if known is None:
            return False
        edited, looks = known
        if message.edit_date is None or message.edit_date < edited:
            return True
        # Edit times are whole seconds, and a double tap's two edits often share one: then only
        # what the card showed tells the tap made on the old card from one made on the new.
        return message.edit_date == edited and _looks(message) != looks

    async def _edit(self, edit: Awaitable[Message | bool]) -> Message | bool:
        try:
            result = await edit
        except BadRequest as error:
            if _not_modified(error):
                return True
            raise
        if isinstance(result, Message) and result.edit_date is not None:
            key = (result.chat_id, result.message_id)
            self._edited[key] = (result.edit_date, _looks(result))
            self._edited.move_to_end(key)
            if len(self._edited) > REMEMBERED_EDITS:
                self._edited.popitem(last=False)
        _note(result, new=False)
        return result

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        sent = await super().send_message(*args, **kwargs)
        _note(sent, new=True)
        return sent

    async def answer_callback_query(
        self, callback_query_id: str, text: str | None = None, *args: Any, **kwargs: Any
    ) -> bool:
        if not callback_query_id.startswith(f"{_TYPED}:"):
            return await super().answer_callback_query(callback_query_id, text, *args, **kwargs)
        # Nobody tapped: what the tap's answer says is sent as a message once the press is done.
        shown = SHOWN.get()
        if text and shown is not None:
            chat_id = int(callback_query_id.split(":")[1])
            shown.answers.append((chat_id, text))
        return True

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        return await self._edit(super().edit_message_text(*args, **kwargs))

    async def edit_message_caption(self, *args: Any, **kwargs: Any) -> Message | bool:
        return await self._edit(super().edit_message_caption(*args, **kwargs))

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        return await self._edit(super().edit_message_reply_markup(*args, **kwargs))
