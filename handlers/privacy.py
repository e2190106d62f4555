"""/mydata (a copy of everything held) and /forget (erase it)."""

from __future__ import annotations

import contextlib
import json

from telegram import InputFile, Message, Update, User
from telegram.error import BadRequest

from bot import clock, keyboards, texts
from bot.callbacks import Forget
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.domain.answers import Meaning, Offer, choose
from bot.services import privacy
from handlers.common import load_volunteer


async def mydata(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is None:
            await update.effective_message.reply_text(texts.MYDATA_NOTHING)
            return
        data = await privacy.export(conn, at, volunteer)
    document = json.dumps(data, indent=2, ensure_ascii=False).encode()
    await update.effective_message.reply_document(
        InputFile(document, filename="muster-my-data.json"), caption=texts.MYDATA_CAPTION
    )


async def forget(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is None:
        await update.effective_message.reply_text(texts.MYDATA_NOTHING)
        return
    await update.effective_message.reply_text(texts.ASK_FORGET, reply_markup=keyboards.forget())
    context.user_data.asked = "forget"


async def forget_confirmed(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    answer = Forget.unpack(query.data).answer
    context.user_data.asked = None  # answered with the buttons
    if not await _forget(query.message, context, update.effective_user, answer):
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    with contextlib.suppress(BadRequest):  # gone with the rest when they said yes: no matter
        await query.edit_message_reply_markup(None)


async def typed_forget(update: Update, context: MusterContext, _about: str) -> bool:
    """ "Yes, delete everything" or "no", typed right after /forget: as the buttons."""
    message = update.effective_message
    assert message and message.text is not None and update.effective_user
    offers = [
        Offer("yes", texts.FORGET_YES, Meaning.YES),
        Offer("no", texts.FORGET_NO, Meaning.NO),
        Offer("no", meaning=Meaning.CANCEL),
    ]
    answer = choose(message.text, offers)
    if answer is None:
        return False
    await _forget(message, context, update.effective_user, answer)
    return True


async def _forget(message: Message, context: MusterContext, user: User, answer: str) -> bool:
    """Erase them (``answer`` yes) or keep them; False if there is no one to erase."""
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, user)
        if volunteer is None:
            return False
        if answer == "yes":
            access = await privacy.forget(
                conn,
                at,
                volunteer=volunteer,
                admin_ids=context.settings.admin_ids,
                zone=context.settings.zone,
            )
    context.wake_outbox()  # whoever moved up into their places
    if answer == "no":
        await message.reply_text(texts.FORGET_CANCELLED)
        return True
    # Anything they had from a role goes from their menu too (admins keep theirs: config).
    await refresh_menu(context.bot, access)
    # Its row went with the rest in privacy.forget; this drops the copy in memory.
    context.application.drop_user_data(user.id)
    await message.reply_text(texts.FORGOTTEN)
    return True
