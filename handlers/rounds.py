"""Knock-up rounds at a committee room, tapped or typed: "Out on a round", "Back", the doors of
the round just done, and anything to report once rounds have counted a session's doors.

Each step's answer is a new message with the next button, and the message tapped loses its
own, so the question just put (UserData.asked) is always the step they are at: "out", "back" or
a number typed answer it (see :func:`on_typed`)."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot import clock, keyboards, texts
from bot.botapi import SHOWN
from bot.callbacks import AddNote, RoundDoors, RoundTap
from bot.context import MusterContext
from bot.domain.answers import choose
from bot.domain.rounds import Refused, typed_doors
from bot.domain.volunteers import Volunteer
from bot.services import rounds
from bot.userdata import Asked
from handlers.common import signed_up_or_refused


async def _next(
    context: MusterContext,
    message: Message,
    prompt_id: int,
    text: str,
    markup: InlineKeyboardMarkup,
) -> None:
    """The step done on ``prompt_id``: its button goes, and the next step is asked."""
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_reply_markup(message.chat.id, prompt_id, reply_markup=None)
    await message.reply_text(text, reply_markup=markup)


async def _tap(
    context: MusterContext,
    message: Message,
    volunteer: Volunteer,
    pressed: RoundTap,
    prompt_id: int,
) -> str | None:
    """Out or Back on ``prompt_id``, tapped or typed. Why not, in words (nothing changed), or
    None once done."""
    at = clock.now()
    async with context.db.begin() as conn:
        if pressed.action == "o":
            went = await rounds.go_out(conn, at, volunteer=volunteer, shift_id=pressed.shift_id)
        else:
            back = await rounds.come_back(conn, at, volunteer=volunteer, shift_id=pressed.shift_id)
    if pressed.action == "o":
        if went.refused is not None:
            return texts.ROUND_REFUSED[went.refused]
        text, markup = texts.round_out(went.number), keyboards.back_from_round(pressed.shift_id)
    else:
        if back.refused is not None:
            return texts.ROUND_REFUSED[back.refused]
        text, markup = texts.ROUND_DOORS_QUESTION, keyboards.round_doors(back.round_id)
    await _next(context, message, prompt_id, text, markup)
    return None


async def _doors(
    context: MusterContext,
    message: Message,
    volunteer: Volunteer,
    round_id: int,
    doors: int,
    prompt_id: int,
) -> str | None:
    """A round's doors, tapped or typed on ``prompt_id``: then Out on a round again while the
    session is on, or anything to report once it has finished."""
    async with context.db.begin() as conn:
        noted = await rounds.say_doors(
            conn, clock.now(), volunteer=volunteer, round_id=round_id, doors=doors
        )
    if noted.refused is not None or noted.so_far is None:
        return texts.ROUND_REFUSED[noted.refused or Refused.UNKNOWN]
    if noted.on:
        text, markup = texts.round_noted(noted.so_far), keyboards.out_on_round(noted.shift_id)
    else:
        text, markup = texts.round_noted_after(noted.so_far), keyboards.room_debrief(noted.shift_id)
    await _next(context, message, prompt_id, text, markup)
    return None


async def round_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    pressed = RoundTap.unpack(query.data)
    refused = await _tap(context, query.message, volunteer, pressed, query.message.message_id)
    await query.answer(refused, show_alert=refused is not None)


async def doors_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    pressed = RoundDoors.unpack(query.data)
    refused = await _doors(
        context, query.message, volunteer, pressed.round_id, pressed.count, query.message.message_id
    )
    await query.answer(refused, show_alert=refused is not None)


async def add_note(update: Update, context: MusterContext) -> None:
    """Anything to report: the debrief's note, typed next (handlers.dayof.on_free_text)."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    if await signed_up_or_refused(update, context) is None:
        return
    context.user_data.debrief_shift_id = AddNote.unpack(query.data).shift_id
    await query.answer()
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(texts.DEBRIEF_NOTE, reply_markup=keyboards.skip_note())


def asks(asked: Asked) -> bool:
    """Whether the question just put is a step of a round: Out, Back or its doors."""
    return any(
        RoundTap.PATTERN.fullmatch(data) or RoundDoors.PATTERN.fullmatch(data)
        for _, buttons in asked.messages
        for _, data in buttons
    )


async def _still_asking(message: Message, words: str) -> None:
    """A reply that changes nothing: the step they are at stays the question just put."""
    shown = SHOWN.get()
    if shown is not None:
        shown.still_asking.add(message.chat_id)
    await message.reply_text(words)


async def on_typed(
    update: Update, context: MusterContext, volunteer: Volunteer, asked: Asked
) -> bool:
    """Words typed to a step of a round (the question just put): a number to "how many doors?"
    (anything else is asked again as a number); "out" or "back" to Out or Back, whichever is
    shown, judged by the rules (typing "out" while out is told so). False when the words are
    neither, for the usual hint."""
    message = update.effective_message
    assert message and message.text is not None
    doors = [
        (message_id, RoundDoors.unpack(data))
        for message_id, buttons in asked.messages
        for _, data in buttons
        if RoundDoors.PATTERN.fullmatch(data)
    ]
    if doors:
        message_id, pressed = doors[-1]
        count = typed_doors(message.text)
        refused = (
            texts.ROUND_DOORS_NUMBER
            if count is None
            else await _doors(context, message, volunteer, pressed.round_id, count, message_id)
        )
        if refused is not None:
            await _still_asking(message, refused)
        return True
    taps = [
        (message_id, RoundTap.unpack(data))
        for message_id, buttons in asked.messages
        for _, data in buttons
        if RoundTap.PATTERN.fullmatch(data)
    ]
    if not taps:
        return False
    message_id, shown = taps[-1]
    chosen = choose(message.text, keyboards.round_offers(shown.shift_id))
    if chosen is None:
        return False
    refused = await _tap(context, message, volunteer, chosen, message_id)
    if refused is not None:
        await _still_asking(message, refused)
    return True
