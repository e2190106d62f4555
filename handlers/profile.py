"""/profile (see and change answers), /pause and /resume."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Message, Update, User

from bot import clock, keyboards, texts
from bot.callbacks import ChooseConsent, EditProfile, Pause, PauseLength
from bot.context import MusterContext
from bot.domain.places import PlaceSource
from bot.domain.signup import Step
from bot.domain.volunteers import Volunteer
from bot.services import volunteers
from handlers.common import load_volunteer, signed_up_or_refused
from handlers.questions import ask

PAUSE_LENGTHS: dict[PauseLength, timedelta | None] = {
    "week": timedelta(days=7),
    "month": timedelta(days=30),
    "open": None,
}


def profile_text(volunteer: Volunteer, context: MusterContext, at: datetime) -> str:
    return texts.profile(
        name=volunteer.name,
        postcode=volunteer.postcode,
        has_location=volunteer.location_source is PlaceSource.SHARED,
        availability=volunteer.availability,
        activities=volunteer.activities,
        phone=volunteer.phone,
        paused=volunteer.is_paused(at),
        paused_until=volunteer.paused_until,
        consents=volunteer.consents,
        notice_outdated=volunteer.must_agree_again(context.settings.privacy_notice_version),
        zone=context.settings.zone,
    )


async def send_profile(
    message: Message, context: MusterContext, volunteer: Volunteer, at: datetime
) -> None:
    await message.reply_text(
        texts.PROFILE_HEADER + profile_text(volunteer, context, at) + texts.PROFILE_FOOTER,
        reply_markup=keyboards.profile(volunteer.consents),
    )


async def profile(update: Update, context: MusterContext) -> None:
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is not None:
        assert update.effective_message
        await send_profile(update.effective_message, context, volunteer, clock.now())


async def edit(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    step = EditProfile.unpack(query.data).step
    if not await _edit(query.message, context, update.effective_user, step):
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()


async def _edit(message: Message, context: MusterContext, user: User, step: Step) -> bool:
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, user)
        if volunteer is None or not volunteer.signed_up:
            return False
        editing = await volunteers.edit(conn, volunteer, step)
    await ask(message, context, editing, step)
    return True


async def choose_consent(update: Update, context: MusterContext) -> None:
    """A choice for an optional purpose turned on or off: recorded, and the profile redrawn."""
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    choice = ChooseConsent.unpack(query.data)
    at = clock.now()
    chosen = None
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is not None and volunteer.signed_up:
            chosen = await volunteers.choose(
                conn,
                at,
                volunteer,
                choice.purpose,
                choice.answer == "y",
                context.settings.privacy_notice_version,
            )
    if chosen is None:  # answered once the connection is back in the pool
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer(texts.SAVED)
    await query.edit_message_text(
        texts.PROFILE_HEADER + profile_text(chosen, context, at) + texts.PROFILE_FOOTER,
        reply_markup=keyboards.profile(chosen.consents),
    )


async def pause(update: Update, context: MusterContext) -> None:
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is not None:
        assert update.effective_message
        await update.effective_message.reply_text(texts.ASK_PAUSE, reply_markup=keyboards.pause())


async def pause_chosen(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    length = Pause.unpack(query.data).length
    if not await _pause(query.message, context, update.effective_user, length):
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)


async def _pause(message: Message, context: MusterContext, user: User, length: PauseLength) -> bool:
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, user)
        if volunteer is None or not volunteer.signed_up:
            return False
        until = await volunteers.pause(conn, at, volunteer, PAUSE_LENGTHS[length])
    await message.reply_text(texts.paused(until, context.settings.zone))
    return True


async def resume(update: Update, context: MusterContext) -> None:
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    assert update.effective_message
    at = clock.now()
    async with context.db.begin() as conn:
        resumed = await volunteers.resume(conn, at, volunteer)
    await update.effective_message.reply_text(texts.RESUMED if resumed else texts.NOT_PAUSED)
