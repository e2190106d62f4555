"""Lifts: the answer to "Can you drive others, or do you need a lift?" (buttons on the going
confirmation, again from /myshifts, or typed: "2 seats", "need a lift", "neither"), and Agree or
No thanks to a suggested lift. What follows for the other person is queued by
bot.services.lifts; these handlers give the direct answer."""

from __future__ import annotations

import contextlib

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest

from bot import clock, keyboards, texts
from bot.callbacks import LiftAnswer, LiftAsk, LiftReply
from bot.context import MusterContext
from bot.domain.answers import Meaning, Offer, choose, fold
from bot.domain.lifts import NEED, NEITHER, read_seats, seats_said
from bot.domain.volunteers import Volunteer
from bot.services import lifts
from bot.services.lifts import Reply, Said
from bot.userdata import Asked
from handlers.common import signed_up_or_refused


async def _choose(
    context: MusterContext, volunteer: Volunteer, shift_id: int, code: str
) -> lifts.Chosen:
    async with context.db.begin() as conn:
        chosen = await lifts.choose(
            conn,
            clock.now(),
            volunteer=volunteer,
            shift_id=shift_id,
            code=code,
            zone=context.settings.zone,
        )
    # The caller wakes the outbox once it has answered: what that queues (a suggestion) comes
    # after the answer in the chat, not before it.
    return chosen


def _said(chosen: lifts.Chosen) -> str:
    if chosen.said is Said.CLOSED:
        return texts.SHIFT_CLOSED
    if chosen.said is Said.NOT_GOING:
        return texts.LIFT_NOT_GOING
    return texts.lift_noted(chosen.lift.role, chosen.lift.seats)


async def tap_answer(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = LiftAnswer.unpack(query.data)
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    chosen = await _choose(context, volunteer, pressed.shift_id, pressed.choice)
    try:
        await _show_choice(query, pressed, chosen)
    finally:
        context.wake_outbox()


async def _show_choice(query: CallbackQuery, pressed: LiftAnswer, chosen: lifts.Chosen) -> None:
    if chosen.said in (Said.CLOSED, Said.NOT_GOING):
        await query.answer(_said(chosen), show_alert=True)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        return
    await query.answer(_said(chosen))
    if chosen.said is Said.NOTED:
        # The answer ticked, the buttons kept: they may change it here later.
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(
                keyboards.lift_question(pressed.shift_id, chosen.lift.code)
            )


async def ask(update: Update, context: MusterContext) -> None:
    """The lift button of a /myshifts line: the question again, with their answer ticked."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    shift_id = LiftAsk.unpack(query.data).shift_id
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    async with context.db.connect() as conn:
        asked = await lifts.question(conn, clock.now(), volunteer=volunteer, shift_id=shift_id)
    if asked is None:
        await query.answer(texts.LIFT_NOT_GOING, show_alert=True)
        return
    await query.answer()
    lift = asked.lift
    sent = await query.message.reply_text(
        texts.lift_question(asked.shift, asked.event, context.settings.zone, lift.role, lift.seats),
        reply_markup=keyboards.lift_question(shift_id, lift.code),
    )
    async with context.db.begin() as conn:
        await lifts.remember_question(
            conn,
            clock.now(),
            asked=asked,
            volunteer_id=volunteer.id,
            chat_id=sent.chat.id,
            message_id=sent.message_id,
        )


async def _reply(
    context: MusterContext, volunteer: Volunteer, match_id: int, agree: bool
) -> lifts.Replied:
    async with context.db.begin() as conn:
        replied = await lifts.reply(
            conn,
            clock.now(),
            volunteer=volunteer,
            match_id=match_id,
            agree=agree,
            zone=context.settings.zone,
        )
    return replied


_REPLY_POPUP = {
    Reply.WAITING: "Thanks! I'll tell you when they agree too.",
    Reply.BOTH: "It's agreed! 🚗",
    Reply.DECLINED: "OK, not this time.",
    Reply.LAPSED: texts.LIFT_LAPSED,
}


async def tap_reply(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = LiftReply.unpack(query.data)
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    replied = await _reply(context, volunteer, pressed.match_id, pressed.answer == "y")
    try:
        await query.answer(_REPLY_POPUP[replied.said], show_alert=replied.said is Reply.LAPSED)
        with contextlib.suppress(BadRequest):
            if replied.said is Reply.LAPSED:
                await query.edit_message_reply_markup(None)
            else:
                await query.edit_message_text(replied.text)
    finally:
        context.wake_outbox()


# --- Typed answers --------------------------------------------------------------------------

_CHOICE_MEANINGS = {NEED: Meaning.LIFT, NEITHER: Meaning.SKIP}
_REPLY_MEANINGS = {"y": Meaning.YES, "n": Meaning.NO}


def asks(asked: Asked) -> bool:
    """Whether the question just put is a lift question or suggestion."""
    return any(
        LiftAnswer.PATTERN.fullmatch(data) or LiftReply.PATTERN.fullmatch(data)
        for _, buttons in asked.messages
        for _, data in buttons
    )


async def on_typed(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """Words typed to the newest lift question ("2 seats", "need a lift", "neither", "no
    thanks") or suggestion ("yes", "no thanks"), as its buttons. False when neither is the
    newest card they hold, or the words are not one of its answers."""
    message = update.effective_message
    assert message and message.text is not None
    if context.user_data.late_cancel_shift_id is not None:
        return False  # a reason is being asked for: the words are that
    async with context.db.connect() as conn:
        prompt = await lifts.last_prompt(conn, message.chat.id, volunteer.id)
    if prompt is None:
        return False
    answers: list[Offer[LiftAnswer]] = []
    replies: list[Offer[LiftReply]] = []
    for label, data in prompt.buttons:
        if LiftAnswer.PATTERN.fullmatch(data):
            answer = LiftAnswer.unpack(data)
            answers.append(Offer(answer, label, _CHOICE_MEANINGS.get(answer.choice)))
        elif LiftReply.PATTERN.fullmatch(data):
            reply = LiftReply.unpack(data)
            replies.append(Offer(reply, label, _REPLY_MEANINGS[reply.answer]))
    if answers:
        return await _typed_answer(context, message, volunteer, prompt, answers)
    chosen = choose(message.text, replies)
    if chosen is None:
        return False
    replied = await _reply(context, volunteer, chosen.match_id, chosen.answer == "y")
    try:
        if replied.said is Reply.LAPSED:
            await message.reply_text(texts.LIFT_LAPSED)
            return True
        with contextlib.suppress(BadRequest):
            await context.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=prompt.message_id, reply_markup=None
            )
        await message.reply_text(replied.text)
        return True
    finally:
        context.wake_outbox()


async def _typed_answer(
    context: MusterContext,
    message: Message,
    volunteer: Volunteer,
    prompt: lifts.Prompt,
    offers: list[Offer[LiftAnswer]],
) -> bool:
    assert message.text is not None
    chosen = choose(message.text, offers)
    words = fold(message.text)
    seats = read_seats(words)
    if chosen is None and seats is not None:
        chosen = next((o.value for o in offers if o.value.choice == str(seats)), None)
    if chosen is None and seats is None and seats_said(words) is not None:
        await message.reply_text(texts.LIFT_SEATS_RANGE)
        return True
    if chosen is None:
        return False
    done = await _choose(context, volunteer, chosen.shift_id, chosen.choice)
    try:
        if done.said is Said.NOT_GOING:
            return False  # an old question: the words may mean something else
        if done.said is Said.NOTED:
            with contextlib.suppress(BadRequest):
                await context.bot.edit_message_reply_markup(
                    chat_id=message.chat.id,
                    message_id=prompt.message_id,
                    reply_markup=keyboards.lift_question(chosen.shift_id, done.lift.code),
                )
        await message.reply_text(_said(done))
        return True
    finally:
        context.wake_outbox()
