"""Where typed words and shared locations go: the one place that decides which flow they answer.

Conversations (/newevent, /callout) and an event edit waiting for its reply take their own
messages first (see handlers.register). What is left comes here, and is tried in this order:

1. Someone half-way through sign-up or a profile edit is answering its question; or else the
   question just put with buttons (the welcome's consent, /forget, /pause, /profile, cancelling
   an event or shift from /events) is answered in words.
2. Outside sign-up, a shared location is a check-in at a meeting point.
3. Typed words: a debrief number or note; an answer to the newest lift question ("2 seats",
   "need a lift", "neither") or suggested lift ("yes", "no thanks"); an answer to the newest
   "Still coming?" or check-in prompt ("yes", "running late", "I'm here"); a late-cancel reason,
   then an answer to a shift call or an event's card ("yes", "can't make it"); each says whether
   the words were its.
4. Anything else gets a pointer to what to do.
"""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.context import MusterContext
from bot.domain.signup import Step
from handlers import dayof, events, lifts, privacy, profile, rsvp, signup
from handlers.common import load_volunteer, not_signed_up

# The questions put with buttons whose next typed words are tried as an answer: by name, then
# (after a colon) what the question is about.
ASKED = {
    "consent": signup.typed_consent,
    "forget": privacy.typed_forget,
    "pause": profile.typed_pause,
    "profile": profile.typed_edit,
    "cancel": events.typed_cancel,
}


async def on_text(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message and message.text is not None and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is not None and volunteer.step is not None:
        await signup.answer_text(update, context, volunteer)
        return
    # The question just put with buttons is asked once: the next words answer it, or it is
    # left to its buttons.
    asked, context.user_data.asked = context.user_data.asked, None
    if asked is not None:
        question, _, about = asked.partition(":")
        if await ASKED[question](update, context, about):
            return
    if volunteer is None:
        await message.reply_text(texts.NOT_SIGNED_UP)
        return
    for answers in (dayof.on_free_text, lifts.on_typed, dayof.on_typed_prompt, rsvp.on_free_text):
        if await answers(update, context, volunteer):
            return
    await message.reply_text(texts.UNKNOWN_TEXT)


async def on_location(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message and message.location and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is not None and volunteer.signed_up and volunteer.step is None:
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
