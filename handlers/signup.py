"""Volunteer sign-up: /start, consent, then one question at a time.

The question being asked is stored on the volunteer (``step``), so someone who stops half-way, or a
bot that restarts, picks up where they left off. Profile edits reuse the same questions with
``editing`` set, and go back to the profile when answered.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Message, ReplyKeyboardRemove, Update

from bot import clock, keyboards, texts
from bot.callbacks import Choice, Consent
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.domain.signup import (
    OPTIONS,
    InvalidAnswer,
    Step,
    clean_name,
    next_step,
    normalise_phone,
    normalise_postcode,
    valid_location,
)
from bot.domain.statuses import VolunteerStatus
from bot.domain.volunteers import Volunteer
from bot.services import actors
from db import volunteers
from handlers import dayof, rsvp
from handlers.common import load_volunteer
from handlers.profile import profile_text, send_profile
from handlers.questions import ask


async def start(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    payload = context.args[0][:64] if context.args else None
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is not None and volunteer.status == VolunteerStatus.SIGNING_UP and payload:
            await volunteers.update_fields(conn, volunteer.id, start_payload=payload)
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    if access.roles:
        # Telegram only takes a per-chat menu once the person has pressed Start.
        await refresh_menu(context.bot, access)
    if volunteer is None:
        # Nothing is stored before consent; the payload waits in memory until they agree.
        context.user_data.start_payload = payload
        await update.effective_message.reply_text(texts.WELCOME, reply_markup=keyboards.consent())
    elif volunteer.step is not None and not volunteer.editing:
        await update.effective_message.reply_text(texts.WELCOME_BACK)
        await ask(update.effective_message, context, volunteer, volunteer.step)
    elif payload:
        await hand_on(update.effective_message, context, payload)
    else:
        await send_profile(update.effective_message, context, volunteer)


async def consent(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    answer = Consent.unpack(query.data).answer
    async with context.db.begin() as conn:
        already = await load_volunteer(conn, update.effective_user)
        if already is not None:
            await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
            return
        payload, context.user_data.start_payload = context.user_data.start_payload, None
        volunteer = None
        if answer == "yes":
            volunteer = await volunteers.start_signup(
                conn,
                telegram_id=update.effective_user.id,
                username=update.effective_user.username,
                notice_version=texts.PRIVACY_NOTICE_VERSION,
                start_payload=payload,
                at=clock.now(),
            )
    await query.answer()
    await query.edit_message_reply_markup(None)
    if volunteer is None:
        await query.message.reply_text(texts.CONSENT_DECLINED)
        return
    await ask(query.message, context, volunteer, Step(volunteer.step))


async def _answered(
    conn: AsyncConnection, message: Message, context: MusterContext, volunteer: Volunteer
) -> str | None:
    """Move on after the current question was answered and saved. Returns the /start payload
    kept through sign-up when sign-up has just finished, for the caller to hand on."""
    assert volunteer.step is not None
    if volunteer.editing:
        await volunteers.set_step(conn, volunteer.id, None)
        fresh = await volunteers.by_id(conn, volunteer.id)
        assert fresh is not None
        await message.reply_text(texts.SAVED, reply_markup=ReplyKeyboardRemove())
        await send_profile(message, context, fresh)
        return None
    following = next_step(volunteer.step)
    if volunteer.step is Step.LOCATION:
        # The next question has buttons of its own; take the location keyboard away first.
        await message.reply_text(texts.GOT_IT, reply_markup=ReplyKeyboardRemove())
    if following is not None:
        await volunteers.set_step(conn, volunteer.id, following)
        fresh = await volunteers.by_id(conn, volunteer.id)
        assert fresh is not None
        await ask(message, context, fresh, following)
        return None
    await volunteers.finish_signup(conn, volunteer.id, at=clock.now())
    fresh = await volunteers.by_id(conn, volunteer.id)
    assert fresh is not None
    await message.reply_text(
        texts.signed_up(profile_text(fresh, context)), reply_markup=ReplyKeyboardRemove()
    )
    return volunteer.start_payload


async def on_text(update: Update, context: MusterContext) -> None:
    """Typed answers: a name, a postcode, or Skip during sign-up; outside it, words that may
    answer a shift call ("yes", "can't"). Anything else gets a pointer to what to do."""
    message = update.effective_message
    assert message and message.text is not None and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is None:
        await message.reply_text(texts.NOT_SIGNED_UP)
        return
    if volunteer.step is None:
        # Outside sign-up, words may be a debrief answer or answer a shift call ("yes").
        for answers in (dayof.on_free_text, rsvp.on_free_text):
            if await answers(update, context, volunteer):
                return
        await message.reply_text(texts.UNKNOWN_TEXT)
        return
    step = volunteer.step
    async with context.db.begin() as conn:
        try:
            if step is Step.NAME:
                await volunteers.update_fields(conn, volunteer.id, name=clean_name(message.text))
            elif step is Step.LOCATION:
                postcode = normalise_postcode(message.text)
                await volunteers.update_fields(
                    conn, volunteer.id, postcode=postcode, latitude=None, longitude=None
                )
            elif step is Step.PHONE and message.text.strip() == texts.SKIP:
                await volunteers.update_fields(conn, volunteer.id, phone=None)
            elif step is Step.PHONE:
                await message.reply_text(
                    texts.OWN_NUMBER_ONLY, reply_markup=keyboards.share_phone()
                )
                return
            else:
                await message.reply_text(texts.EXPECTING_BUTTON)
                await ask(message, context, volunteer, step)
                return
        except InvalidAnswer as bad:
            await message.reply_text(texts.INVALID[bad.reason])
            return
        payload = await _answered(conn, message, context, volunteer)
    # Handed on after the commit: what it opens may need the database itself.
    if payload:
        await hand_on(message, context, payload)


async def on_location(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message and message.location and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is not None and volunteer.signed_up and volunteer.step is None:
        # Outside sign-up, a location shared at a meeting point checks the volunteer in.
        if not await dayof.by_location(update, context, volunteer):
            await message.reply_text(texts.NOTHING_TO_CHECK_IN)
        return
    async with context.db.begin() as conn:
        if volunteer is None or volunteer.step is not Step.LOCATION:
            await message.reply_text(
                texts.NOT_SIGNED_UP if volunteer is None else texts.UNKNOWN_TEXT
            )
            return
        latitude, longitude = message.location.latitude, message.location.longitude
        if not valid_location(latitude, longitude):
            await message.reply_text(texts.INVALID["location"])
            return
        # A shared location replaces a typed postcode: one answer to "where are you?".
        await volunteers.update_fields(
            conn, volunteer.id, latitude=latitude, longitude=longitude, postcode=None
        )
        payload = await _answered(conn, message, context, volunteer)
    # Handed on after the commit: what it opens may need the database itself.
    if payload:
        await hand_on(message, context, payload)


async def on_contact(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message and message.contact and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is None or volunteer.step is not Step.PHONE:
            await message.reply_text(
                texts.NOT_SIGNED_UP if volunteer is None else texts.UNKNOWN_TEXT
            )
            return
        if message.contact.user_id != update.effective_user.id:
            await message.reply_text(texts.OWN_NUMBER_ONLY, reply_markup=keyboards.share_phone())
            return
        try:
            phone = normalise_phone(message.contact.phone_number)
        except InvalidAnswer as bad:
            await message.reply_text(texts.INVALID[bad.reason])
            return
        await volunteers.update_fields(conn, volunteer.id, phone=phone)
        payload = await _answered(conn, message, context, volunteer)
    # Handed on after the commit: what it opens may need the database itself.
    if payload:
        await hand_on(message, context, payload)


async def use_telegram_name(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is None or volunteer.step is not Step.NAME:
            await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
            return
        try:
            name = clean_name(update.effective_user.first_name)
        except InvalidAnswer as bad:
            await query.answer()
            await query.message.reply_text(texts.INVALID[bad.reason])
            return
        await volunteers.update_fields(conn, volunteer.id, name=name)
        await query.answer()
        await query.edit_message_reply_markup(None)
        payload = await _answered(conn, query.message, context, volunteer)
    # Handed on after the commit: what it opens may need the database itself.
    if payload:
        await hand_on(query.message, context, payload)


async def on_choice(update: Update, context: MusterContext) -> None:
    """A tap on a multi-select option, or Done."""
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    choice = Choice.unpack(query.data)
    step, code = choice.step, choice.code
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        valid = code == Choice.DONE or code in OPTIONS[step]
        if volunteer is None or volunteer.step is not step or not valid:
            await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
            return
        if code != Choice.DONE:
            await volunteers.toggle_choice(conn, volunteer.id, step, code)
            fresh = await volunteers.by_id(conn, volunteer.id)
            assert fresh is not None
            await query.answer()
            await query.edit_message_reply_markup(keyboards.choices(step, fresh.choices(step)))
            return
        if not volunteer.choices(step):
            await query.answer(texts.PICK_ONE, show_alert=True)
            return
        await query.answer()
        await query.edit_message_reply_markup(None)
        payload = await _answered(conn, query.message, context, volunteer)
    # Handed on after the commit: what it opens may need the database itself.
    if payload:
        await hand_on(query.message, context, payload)


async def hand_on(message: Message, context: MusterContext, payload: str) -> None:
    """Give a /start payload, kept through sign-up, to whichever feature recognises it."""
    for handler in context.deep_links:
        if await handler(context, message.chat.id, payload):
            return
    await message.reply_text(texts.LINK_NOT_RECOGNISED)
