"""/nearest: "where am I needed?". From the volunteer's stored place, or, when they have none, a
location shared or a postcode typed for this search only (used for the answer, never stored).
The ranking is bot.domain.nearest's; the search is bot.services.nearest."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Message, ReplyKeyboardRemove, Update

from bot import clock, keyboards, texts
from bot.context import MusterContext
from bot.domain.audience import Place
from bot.domain.nearest import DAYS_AHEAD, REACH_KM
from bot.domain.signup import InvalidAnswer, normalise_postcode
from bot.domain.volunteers import Volunteer
from bot.services import nearest as finding
from handlers.common import load_volunteer, not_signed_up


async def nearest(update: Update, context: MusterContext) -> None:
    """/nearest from where they live, or /nearest SE15 4QR from a postcode for this search only
    (as if typed in answer to the question); the volunteer, the place and the search share one
    connection."""
    message = update.effective_message
    assert message and update.effective_user
    words = " ".join(context.args or [])
    postcode = _postcode(words)
    origin: Place | None = None
    found: finding.Found | None = None
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is not None and volunteer.signed_up:
            if postcode is not None:
                origin = await finding.place_of_postcode(conn, postcode)
            elif not words:
                origin = finding.place_of(volunteer)
            if origin is not None:
                found = await _search(conn, context, volunteer, origin)
    if volunteer is None or not volunteer.signed_up:
        await not_signed_up(update, context, volunteer)
        return
    if words and postcode is None:
        await message.reply_text(texts.NEAREST_USAGE)
        return
    if postcode is not None and found is None:
        await message.reply_text(texts.nearest_argument_unknown(postcode))
        return
    if found is None:
        context.user_data.looking_from = True
        await message.reply_text(
            texts.NEAREST_ASK_PLACE, reply_markup=keyboards.share_location_once()
        )
        return
    if postcode is not None:
        # Answered as the question would be: it is put no more.
        context.user_data.looking_from = False
        await message.reply_text(texts.NEAREST_LOOKING, reply_markup=ReplyKeyboardRemove())
    await _reply(message, context, found)


def _postcode(words: str) -> str | None:
    """The postcode typed after /nearest; None when there is none or it is not one."""
    if not words:
        return None
    try:
        return normalise_postcode(words)
    except InvalidAnswer:
        return None


async def typed_place(update: Update, context: MusterContext) -> bool:
    """A postcode typed in answer to /nearest's question: searched from, not stored. Other words
    are not this question's."""
    message = update.effective_message
    assert message and message.text is not None and update.effective_user
    try:
        postcode = normalise_postcode(message.text)
    except InvalidAnswer:
        return False
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        origin = await finding.place_of_postcode(conn, postcode)
    if volunteer is None or not volunteer.signed_up:
        return False
    if origin is None:
        context.user_data.looking_from = True
        await message.reply_text(texts.nearest_postcode_unknown(postcode))
        return True
    context.user_data.looking_from = False
    await message.reply_text(texts.NEAREST_LOOKING, reply_markup=ReplyKeyboardRemove())
    await _answer(message, context, volunteer, origin)
    return True


async def shared_place(update: Update, context: MusterContext, volunteer: Volunteer) -> None:
    """A location shared in answer to /nearest's question: searched from, not stored."""
    message = update.effective_message
    assert message and message.location
    origin = Place(message.location.latitude, message.location.longitude, None)
    await message.reply_text(texts.NEAREST_LOOKING, reply_markup=ReplyKeyboardRemove())
    await _answer(message, context, volunteer, origin)


async def _answer(
    message: Message, context: MusterContext, volunteer: Volunteer, origin: Place
) -> None:
    async with context.db.connect() as conn:
        found = await _search(conn, context, volunteer, origin)
    await _reply(message, context, found)


async def _search(
    conn: AsyncConnection, context: MusterContext, volunteer: Volunteer, origin: Place
) -> finding.Found:
    zone = context.settings.zone
    return await finding.nearest(
        conn, clock.now(), origin=origin, volunteer_id=volunteer.id, zone=zone
    )


async def _reply(message: Message, context: MusterContext, found: finding.Found) -> None:
    zone = context.settings.zone
    if not found.suggestions:
        await message.reply_text(
            texts.nearest_nothing(
                [
                    (
                        far.target.name,
                        far.target.kind,
                        far.target.priority,
                        far.target.why,
                        far.km,
                        far.approximate,
                    )
                    for far in found.targets
                ],
                DAYS_AHEAD,
                REACH_KM,
            )
        )
        return
    lines, buttons = [], []
    for number, suggestion in enumerate(found.suggestions, 1):
        event, shift = suggestion.session.event, suggestion.session.shift
        lines.append(texts.nearest_line(event.title, shift.starts_at, suggestion.weighed.why, zone))
        buttons.append((shift.id, texts.nearest_button(number, event.title, shift.starts_at, zone)))
    await message.reply_text(
        texts.nearest_found(lines, DAYS_AHEAD, REACH_KM),
        reply_markup=keyboards.open_sessions(buttons),
    )
