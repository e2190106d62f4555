"""/mydata (a copy of everything held) and /forget (erase it)."""

from __future__ import annotations

import json

from telegram import InputFile, Message, Update

from bot import clock, keyboards, texts
from bot.callbacks import Forget
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.services import privacy
from handlers.common import load_volunteer


async def mydata(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        data = volunteer and await privacy.export(conn, at, volunteer)
    if data is None:  # answered once the connection is back in the pool
        await update.effective_message.reply_text(texts.MYDATA_NOTHING)
        return
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


async def forget_confirmed(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    answer = Forget.unpack(query.data).answer
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is not None and answer == "yes":
            access = await privacy.forget(
                conn,
                at,
                volunteer=volunteer,
                admin_ids=context.settings.admin_ids,
                zone=context.settings.zone,
            )
    if volunteer is None:  # answered once the connection is back in the pool
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    context.wake_outbox()  # whoever moved up into their places
    await query.answer()
    await query.edit_message_reply_markup(None)
    if answer == "no":
        await query.message.reply_text(texts.FORGET_CANCELLED)
        return
    # Anything they had from a role goes from their menu too (admins keep theirs: config).
    await refresh_menu(context.bot, access)
    # Its row went with the rest in privacy.forget; this drops the copy in memory.
    context.application.drop_user_data(update.effective_user.id)
    await query.message.reply_text(texts.FORGOTTEN)
