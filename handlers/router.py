"""Where typed words and shared locations go: the one place that decides which flow they answer.

Conversations (/newevent, /callout) and an event edit waiting for its reply take their own
messages first (see handlers.register). What is left comes here, and is tried in this order:

1. Someone half-way through sign-up or a profile edit is answering its question (unless the words
   are "carry on" to the reminder of where they stopped).
2. A question that waits for words (a late-cancel reason, a debrief note, /nearest's "where
   should I look from?") takes them, while it is the question just put.
3. The question just put with buttons (handlers.typed), if nothing with buttons came after it
   (a shift call, a reminder): the parts of polling day typed to a pledge question ("morning
   and evening"); a step of a knock-up round ("out", "back", a number of doors); a number of
   helpers to /surge's "how many?" ("4"); else the words press its button, or are told what to
   type or tap.
4. Otherwise, outside sign-up, the cards the outbox delivered: a number of doors; an answer to
   the newest lift question ("2 seats", "need a lift", "neither") or suggested lift ("yes", "no
   thanks"); an answer to the newest "Still coming?" or check-in prompt ("yes", "running late",
   "I'm here"); parts of
   polling day to a pledge call; an answer to a shift call or an event's card ("yes", "can't
   make it"); each says whether the words were its, unless the newest message the outbox
   delivered is a room offer or a surge's "Can you come now?", whose buttons the words press
   first ("yes", "another room", "not sure", "can't"). Then a button of the newest message the
   outbox delivered, pressed in words ("2" for a call's second shift, "keep" on a retention
   warning, "send a top-up call").
5. Anything else gets a pointer to what to do.

A shared location outside sign-up answers /nearest's question just put, or else is a check-in
at a meeting point.
"""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.callbacks import CarryOn, SkipNote, SkipReason
from bot.context import MusterContext
from bot.domain.signup import Step
from handlers import dayof, lifts, nearest, polling, rounds, rsvp, signup, surge, typed
from handlers.common import load_volunteer, not_signed_up


async def on_text(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message and message.text is not None and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    data = context.user_data
    asked = data.asked
    if volunteer is not None and volunteer.step is not None:
        # "Carry on" (or "yes") to the reminder of where sign-up stopped is its button, not an
        # answer to the question it stopped at.
        if (
            asked is not None
            and asked.holds(CarryOn().pack())
            and await typed.press(update, context, asked)
        ):
            return
        await signup.answer_text(update, context, volunteer)
        return
    if volunteer is not None and asked is not None:
        # A reason or a note is waited for only while its question (with its Skip) is the one
        # just put; a newer question takes the words.
        if data.late_cancel_shift_id is not None and not asked.holds(SkipReason().pack()):
            data.late_cancel_shift_id = None
        if data.debrief_shift_id is not None and not asked.holds(SkipNote().pack()):
            data.debrief_shift_id = None
        data.looking_from = False
    if volunteer is not None and data.late_cancel_shift_id is not None:
        await rsvp.on_free_text(update, context, volunteer)
        return
    if volunteer is not None and data.debrief_shift_id is not None:
        await dayof.on_free_text(update, context, volunteer)
        return
    if volunteer is not None and data.looking_from and await nearest.typed_place(update, context):
        return
    readers = (
        dayof.on_free_text,
        lifts.on_typed,
        dayof.on_typed_prompt,
        polling.on_typed_parts,
        rsvp.on_free_text,
    )
    newest = await typed.newest(context, message.chat.id, asked)
    if asked is not None and newest is asked:
        # An event's card just given (a share link, /myshifts' Change) is answered as a shift
        # call is: "yes" to its one shift, "which shift?" to several.
        if volunteer is not None and typed.rsvp_card(asked):
            for answers in readers:
                if await answers(update, context, volunteer):
                    return
        if (
            volunteer is not None
            and lifts.asks(asked)
            and await lifts.on_typed(update, context, volunteer)
        ):
            return
        if volunteer is not None and await polling.typed_pledge(update, context, asked):
            return
        if (
            volunteer is not None
            and rounds.asks(asked)
            and await rounds.on_typed(update, context, volunteer, asked)
        ):
            return
        if volunteer is not None and await surge.typed_wanted(update, context, asked):
            return
        await typed.answer(update, context, asked)
        return
    # A room offer the outbox delivered last is what "yes" or "another room" answers, before
    # any older card or prompt would take the words.
    if (
        volunteer is not None
        and newest is not None
        and (polling.offers_room(newest) or surge.asks(newest))
        and await typed.press(update, context, newest)
    ):
        return
    if volunteer is not None:
        for answers in readers:
            if await answers(update, context, volunteer):
                return
    # The newest message with buttons came from the outbox (a forecast's top-up, a retention
    # warning's Keep, a call's shift by its number): the words may press one of them.
    if newest is not None and await typed.press(update, context, newest):
        return
    await message.reply_text(texts.NOT_SIGNED_UP if volunteer is None else texts.UNKNOWN_TEXT)


async def on_location(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message and message.location and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is not None and volunteer.signed_up and volunteer.step is None:
        if context.user_data.looking_from:
            context.user_data.looking_from = False
            await nearest.shared_place(update, context, volunteer)
            return
        if not await dayof.by_location(update, context, volunteer):
            await message.reply_text(texts.NOTHING_TO_CHECK_IN)
        return
    if volunteer is None or (not volunteer.signed_up and volunteer.step is not Step.LOCATION):
        await not_signed_up(update, context, volunteer)
        return
    if volunteer.step is not Step.LOCATION:
        await message.reply_text(texts.UNKNOWN_TEXT)
        return
    await signup.answer_location(update, context, volunteer)
