"""Words typed where buttons are offered: the one way they press a button.

The question just put is known: after every update, :func:`after_update` keeps the message(s) the
bot last showed buttons on in the person's chat (``UserData.asked``, saved with the rest, so it
outlives a restart). Typed words that mean one of those buttons (its label in any case, its
number in the list, a plain word for it; see bot.domain.answers.pick) are handled as a tap on it:
the same handler runs, through the same checks, as if Telegram had sent the tap. Anything else
gets a short reply saying what to type or tap, and changes nothing.
"""

from __future__ import annotations

import contextlib

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application

from bot import keyboards, texts
from bot.botapi import SHOWN, Shown, typed, typed_query_id
from bot.callbacks import CantMakeIt, Rsvp
from bot.context import MusterContext
from bot.domain.answers import fold, pick
from bot.services import cards
from bot.userdata import Asked


async def newest(context: MusterContext, chat_id: int, asked: Asked | None) -> Asked | None:
    """The newest question with buttons in the chat: ``asked`` (put in a reply), unless a shift
    call, a reminder or another message with buttons was delivered by the outbox after it; then
    that one, as it was sent. A delivered message the bot has since edited (a room offer turned
    into the next room) is ``asked`` as it now stands, not as it was sent."""
    async with context.db.connect() as conn:
        delivered = await cards.newest_delivered(conn, chat_id)
    if delivered is None or (asked is not None and delivered.message_id <= asked.newest):
        return asked
    return Asked([(delivered.message_id, delivered.buttons)]) if delivered.buttons else None


def rsvp_card(asked: Asked) -> bool:
    """Whether the question just put is an event's card, whose shifts are answered in words."""
    return any(
        Rsvp.PATTERN.fullmatch(data) or CantMakeIt.PATTERN.fullmatch(data)
        for _, buttons in asked.messages
        for _, data in buttons
    )


def _hint(asked: Asked) -> str:
    """What to type or tap, in the terms :func:`bot.domain.answers.pick` reads: a number among
    one message's buttons, or among messages of one button each; else words and a number."""
    offered = [keyboards.typed_offers(buttons) for _, buttons in asked.messages]
    if len(offered) == 1:
        return texts.type_or_tap(len({offer.value for offer in offered[0]}), None)
    if all(len({offer.value for offer in offers}) == 1 for offers in offered):
        return texts.type_or_tap(len(offered), None)
    example = next((o.label for offers in offered for o in offers if o.label), None)
    return texts.type_or_tap(len(offered), fold(example) if example else None)


async def answer(update: Update, context: MusterContext, asked: Asked) -> None:
    """Typed words to the question just put: the button they mean is pressed; if they mean none
    (or could be a button on more than one message), what to type or tap, and nothing changes."""
    message = update.effective_message
    assert message and message.text is not None
    if await press(update, context, asked):
        return
    await tell_how(message, asked)


async def tell_how(message: Message, asked: Asked) -> None:
    """What to type or tap; the question stays the one just put."""
    shown = SHOWN.get()
    if shown is not None:
        shown.still_asking.add(message.chat_id)
    await message.reply_text(_hint(asked))


async def press(update: Update, context: MusterContext, asked: Asked) -> bool:
    """Press the button of ``asked`` the typed words mean, if exactly one: as a tap. False (and
    nothing done) if they mean none."""
    message = update.effective_message
    assert message and message.text is not None and update.effective_user
    found = pick(message.text, [keyboards.typed_offers(buttons) for _, buttons in asked.messages])
    if found.value is None:
        return False
    message_id, buttons = next(
        (m, b) for m, b in asked.messages if any(data == found.value for _, data in b)
    )
    card = Message(
        message_id=message_id,
        date=message.date,
        chat=message.chat,
        from_user=context.bot.bot,
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data)] for label, data in buttons]
        ),
    )
    card.set_bot(context.bot)
    query = CallbackQuery(
        id=typed_query_id(message.chat_id, message.message_id),
        from_user=update.effective_user,
        chat_instance=str(message.chat_id),
        message=card,
        data=found.value,
    )
    query.set_bot(context.bot)
    await context.application.process_update(Update(update.update_id, callback_query=query))
    return True


async def after_update(application: Application, update: object, shown: Shown) -> None:
    """Once an update is handled: a typed press's answers are sent as messages, and the question
    just put in the person's chat is kept as it now stands."""
    if not isinstance(update, Update):
        return
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != chat.PRIVATE:
        return
    query = update.callback_query
    if query is not None and typed(query):
        # Said for the press, they change nothing of the question the press left.
        token = SHOWN.set(None)
        try:
            with contextlib.suppress(TelegramError):  # blocked since, say: nothing to tell
                await _answer_typed(application, chat.id, query, shown)
        finally:
            SHOWN.reset(token)
    mine = [(m, b, new) for c, m, b, new in shown.messages if c == chat.id]
    if not mine:
        return  # nothing shown: the question is as it was
    data = application.user_data.get(user.id)
    asked = data.asked if data is not None else None
    # A new message, with buttons or without, follows the question: it is no longer the one
    # just put, unless that message only said how to answer it.
    if any(b for _, b, new in mine if new) or (
        any(new for *_, new in mine) and chat.id not in shown.still_asking
    ):
        asked = None
    for message_id, buttons, new in mine:
        if new and not buttons:
            continue
        asked = asked.shown(message_id, buttons) if asked else (
            Asked([(message_id, buttons)]) if buttons else None
        )
    if data is None and asked is None:
        return
    application.user_data[user.id].asked = asked


async def _answer_typed(
    application: Application, chat_id: int, query: CallbackQuery, shown: Shown
) -> None:
    """What a tap's answer would have said, as a message (unless the press said it already);
    and, when the press showed nothing new at all, which button the words pressed."""
    said = shown.words.get(chat_id, [])
    answers = [words for chat, words in shown.answers if chat == chat_id and words not in said]
    for words in answers:
        await application.bot.send_message(chat_id, words)
    if answers or said:
        return
    card = query.message
    markup = card.reply_markup if isinstance(card, Message) else None
    rows = markup.inline_keyboard if markup is not None else ()
    label = next((b.text for row in rows for b in row if b.callback_data == query.data), None)
    if label is not None:
        await application.bot.send_message(chat_id, texts.pressed(label))
