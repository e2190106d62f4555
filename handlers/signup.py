"""Volunteer sign-up: /start, consent, then one question at a time.

The question being asked is stored on the volunteer (``step``), so someone who stops half-way, or a
bot that restarts, picks up where they left off. Profile edits reuse the same questions with
``editing`` set, and go back to the profile when answered.
"""

from __future__ import annotations

import re
from datetime import datetime

from telegram import Message, ReplyKeyboardRemove, Update, User

from bot import clock, keyboards, texts
from bot.callbacks import Choice, Consent
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.domain.answers import Meaning, Offer, choose
from bot.domain.signup import (
    OPTIONS,
    InvalidAnswer,
    Step,
    clean_name,
    normalise_phone,
    normalise_postcode,
    valid_location,
)
from bot.domain.volunteers import Volunteer
from bot.services import volunteers
from handlers.common import load_volunteer, not_signed_up
from handlers.profile import profile_text, send_profile
from handlers.questions import ask


async def start(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    payload = context.args[0][:64] if context.args else None
    async with context.db.begin() as conn:
        arrival = await volunteers.arrive(
            conn,
            admin_ids=context.settings.admin_ids,
            telegram_id=update.effective_user.id,
            username=update.effective_user.username,
            payload=payload,
        )
    volunteer = arrival.volunteer
    if arrival.access.roles:
        # Telegram only takes a per-chat menu once the person has pressed Start.
        await refresh_menu(context.bot, arrival.access)
    if volunteer is None:
        # Nothing is stored before consent; the payload waits in memory until they agree.
        context.user_data.start_payload = payload
        await update.effective_message.reply_text(texts.WELCOME, reply_markup=keyboards.consent())
    elif volunteer.must_agree_again(context.settings.privacy_notice_version):
        await update.effective_message.reply_text(
            texts.NOTICE_CHANGED + texts.PRIVACY_NOTICE, reply_markup=keyboards.consent()
        )
    elif volunteer.step is not None and not volunteer.editing:
        await update.effective_message.reply_text(texts.WELCOME_BACK)
        await ask(update.effective_message, context, volunteer, volunteer.step)
    elif payload:
        await hand_on(update.effective_message, context, payload)
    else:
        await send_profile(update.effective_message, context, volunteer, clock.now())


async def carry_on(update: Update, context: MusterContext) -> None:
    """ "Carry on signing up": the question sign-up stopped at, again."""
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is None or volunteer.signed_up or volunteer.step is None:
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await ask(query.message, context, volunteer, volunteer.step)


async def consent(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    answer = Consent.unpack(query.data).answer
    if not await _consent(query.message, context, update.effective_user, answer):
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)


async def _consent(message: Message, context: MusterContext, user: User, answer: str) -> bool:
    """Consent given or refused, to the welcome or to a new privacy notice; False if there was
    nothing to answer (they have agreed to this notice already): nothing changes."""
    at = clock.now()
    volunteer = None
    agreed = False
    version = context.settings.privacy_notice_version
    async with context.db.begin() as conn:
        already = await load_volunteer(conn, user)
        if already is not None and not already.must_agree_again(version):
            return False
        if already is not None:  # a new privacy notice, put to someone signed up
            agreed = answer == "yes" and await volunteers.agree_again(conn, at, already, version)
        else:
            payload, context.user_data.start_payload = context.user_data.start_payload, None
            if answer == "yes":
                volunteer = await volunteers.consent(
                    conn,
                    at,
                    telegram_id=user.id,
                    username=user.username,
                    notice_version=version,
                    payload=payload,
                )
    if already is not None:
        await message.reply_text(texts.AGREED_AGAIN if agreed else texts.NOTICE_NOT_NOW)
        return True
    if volunteer is None:
        await message.reply_text(texts.CONSENT_DECLINED)
        return True
    await ask(message, context, volunteer, Step(volunteer.step))
    return True


async def _moved_on(
    message: Message,
    context: MusterContext,
    before: Volunteer,
    answered: volunteers.Answered,
    at: datetime,
) -> None:
    """Tell them what follows their answer, once it is stored: the profile again when they were
    editing it, the next question, or the end of sign-up (and the link they came with, if any)."""
    after = answered.volunteer
    if answered.finished:
        await message.reply_text(
            texts.signed_up(profile_text(after, context, at)), reply_markup=ReplyKeyboardRemove()
        )
        # Handed on after the commit: what it opens may need the database itself.
        if answered.payload:
            await hand_on(message, context, answered.payload)
        return
    if before.editing:
        await message.reply_text(texts.SAVED, reply_markup=ReplyKeyboardRemove())
        await send_profile(message, context, after, at)
        return
    if before.step is Step.LOCATION:
        # The next question has buttons of its own; take the location keyboard away first.
        await message.reply_text(texts.GOT_IT, reply_markup=ReplyKeyboardRemove())
    assert after.step is not None
    await ask(message, context, after, after.step)


async def answer_text(update: Update, context: MusterContext, volunteer: Volunteer) -> None:
    """A typed answer to the sign-up (or profile) question ``volunteer`` is on: a name, a
    postcode, or Skip. handlers.router sends it here."""
    message = update.effective_message
    assert message and message.text is not None and volunteer.step is not None
    step = volunteer.step
    skipped = step is Step.PHONE and choose(message.text, [Offer(True, texts.SKIP, Meaning.SKIP)])
    if step is Step.PHONE and not skipped:
        await message.reply_text(texts.OWN_NUMBER_ONLY, reply_markup=keyboards.share_phone())
        return
    if step in OPTIONS:
        await _typed_choices(message, context, volunteer, step)
        return
    typed = message.text
    first_name = message.chat.first_name
    # "Use “Alice”" (or "yes") typed is the button: their Telegram name, not "Use Alice".
    if step is Step.NAME and first_name:
        button = texts.USE_NAME.format(name=first_name)
        if choose(typed, [Offer(True, button, Meaning.YES)]):
            typed = first_name
    try:
        name = clean_name(typed) if step is Step.NAME else None
        postcode = normalise_postcode(message.text) if step is Step.LOCATION else None
    except InvalidAnswer as bad:
        await message.reply_text(texts.INVALID[bad.reason])
        return
    at = clock.now()
    async with context.db.begin() as conn:
        if name is not None:
            answered = await volunteers.give_name(conn, at, volunteer, name)
        elif postcode is not None:
            answered = await volunteers.give_postcode(conn, at, volunteer, postcode)
        else:  # Skip, on the phone question
            answered = await volunteers.give_phone(
                conn, at, volunteer, None, notice_version=context.settings.privacy_notice_version
            )
    await _moved_on(message, context, volunteer, answered, at)


async def answer_location(update: Update, context: MusterContext, volunteer: Volunteer) -> None:
    """A location shared as the answer to "where are you?". handlers.router sends it here."""
    message = update.effective_message
    assert message and message.location
    latitude, longitude = message.location.latitude, message.location.longitude
    if not valid_location(latitude, longitude):
        await message.reply_text(texts.INVALID["location"])
        return
    at = clock.now()
    async with context.db.begin() as conn:
        answered = await volunteers.give_location(conn, at, volunteer, latitude, longitude)
    await _moved_on(message, context, volunteer, answered, at)


async def on_contact(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message and message.contact and update.effective_user
    at = clock.now()
    # Replies wait until the connection is back in the pool: nothing holds one while it sends.
    refusal: str | None = None
    unfinished = False
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is None or (not volunteer.signed_up and volunteer.step is not Step.PHONE):
            unfinished = True
        elif volunteer.step is not Step.PHONE:
            refusal = texts.UNKNOWN_TEXT
        elif message.contact.user_id != update.effective_user.id:
            refusal = texts.OWN_NUMBER_ONLY
        else:
            try:
                phone = normalise_phone(message.contact.phone_number)
            except InvalidAnswer as bad:
                refusal = texts.INVALID[bad.reason]
            else:
                version = context.settings.privacy_notice_version
                answered = await volunteers.give_phone(
                    conn, at, volunteer, phone, notice_version=version
                )
    if unfinished or volunteer is None:
        await not_signed_up(update, context, volunteer)
        return
    if refusal is not None:
        again = keyboards.share_phone() if refusal == texts.OWN_NUMBER_ONLY else None
        await message.reply_text(refusal, reply_markup=again)
        return
    await _moved_on(message, context, volunteer, answered, at)


async def use_telegram_name(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    at = clock.now()
    # Replies wait until the connection is back in the pool: nothing holds one while it sends.
    invalid: str | None = None
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is not None and volunteer.step is Step.NAME:
            try:
                name = clean_name(update.effective_user.first_name)
            except InvalidAnswer as bad:
                invalid = texts.INVALID[bad.reason]
            else:
                answered = await volunteers.give_name(conn, at, volunteer, name)
    if volunteer is None or volunteer.step is not Step.NAME:
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    if invalid is not None:
        await query.answer()
        await query.message.reply_text(invalid)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _moved_on(query.message, context, volunteer, answered, at)


async def on_choice(update: Update, context: MusterContext) -> None:
    """A tap on a multi-select option, or Done."""
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    choice = Choice.unpack(query.data)
    step, code = choice.step, choice.code
    at = clock.now()
    # Refusals wait until the connection is back in the pool: nothing holds one while it sends.
    refusal: str | None = None
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        valid = code == Choice.DONE or code in OPTIONS[step]
        if volunteer is None or volunteer.step is not step or not valid:
            refusal = texts.EXPIRED_BUTTON
        elif code != Choice.DONE:
            ticked, answered = await volunteers.toggle_choice(conn, volunteer, step, code), None
        elif not volunteer.choices(step):
            refusal = texts.PICK_ONE
        else:
            ticked, answered = volunteer, await volunteers.done_choosing(conn, at, volunteer)
    if refusal is not None or volunteer is None:
        await query.answer(refusal or texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    if answered is None:
        await query.edit_message_reply_markup(keyboards.choices(step, ticked.choices(step)))
        return
    await query.edit_message_reply_markup(None)
    await _moved_on(query.message, context, volunteer, answered, at)


def _choice_offers(step: Step) -> list[Offer[str]]:
    """The buttons of a multi-select question: each option by its label or its number in the
    list ("1, 3"), and Done (the last number too)."""
    codes = [*OPTIONS[step], Choice.DONE]
    return [
        *(Offer(code, label) for code, label in OPTIONS[step].items()),
        Offer(Choice.DONE, texts.DONE, Meaning.DONE),
        *(Offer(code, str(number)) for number, code in enumerate(codes, start=1)),
    ]


async def _typed_choices(
    message: Message, context: MusterContext, volunteer: Volunteer, step: Step
) -> None:
    """Options typed rather than tapped ("Saturdays, Sundays"), or "done": as the buttons."""
    assert message.text is not None
    offers = _choice_offers(step)
    parts = [part for part in re.split(r",|;|&|\band\b", message.text) if part.strip()]
    picked = [choose(part, offers) for part in parts]
    if not picked or None in picked:
        await message.reply_text(texts.EXPECTING_BUTTON)
        await ask(message, context, volunteer, step)
        return
    at = clock.now()
    ticked, answered = volunteer, None
    async with context.db.begin() as conn:
        for code in dict.fromkeys(picked):
            if code is not None and code != Choice.DONE:
                ticked = await volunteers.toggle_choice(conn, ticked, step, code)
        if Choice.DONE in picked:
            if not ticked.choices(step):
                await message.reply_text(texts.PICK_ONE)
                return
            answered = await volunteers.done_choosing(conn, at, ticked)
    if answered is None:
        await ask(message, context, ticked, step)
        return
    await _moved_on(message, context, volunteer, answered, at)


async def hand_on(message: Message, context: MusterContext, payload: str) -> None:
    """Give a /start payload, kept through sign-up, to whichever feature recognises it."""
    for handler in context.deep_links:
        if await handler(context, message.chat.id, payload):
            return
    await message.reply_text(texts.LINK_NOT_RECOGNISED)
