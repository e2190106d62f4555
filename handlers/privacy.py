"""/mydata (a copy of everything held) and /forget (erase it)."""

from __future__ import annotations

import contextlib
import json

from telegram import InputFile, Message, Update

from bot import clock, keyboards, texts
from bot.callbacks import Forget
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.domain.rsvp import Outcome, ShiftClosed
from bot.domain.statuses import RsvpStatus
from bot.services import actors
from bot.services import rsvps as answering
from db import audit, privacy, rsvps
from handlers.common import load_volunteer


async def mydata(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is None:
            await update.effective_message.reply_text(texts.MYDATA_NOTHING)
            return
        data = await privacy.export(conn, volunteer.id, at=clock.now())
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
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is None:
            await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
            return
        freed: list[Outcome] = []
        if answer == "yes":
            # Places they held go to the next in line before they disappear.
            upcoming = await rsvps.upcoming_for(conn, volunteer.id, clock.now())
            for item in upcoming:
                with contextlib.suppress(ShiftClosed):
                    freed.append(
                        await rsvps.respond(
                            conn,
                            shift_id=item.shift_id,
                            volunteer_id=volunteer.id,
                            answer=RsvpStatus.CANT,
                            at=clock.now(),
                        )
                    )
            for outcome in freed:
                await answering.tell_promoted(
                    conn, outcome.promoted, context.settings.zone, clock.now()
                )
            await privacy.erase(conn, volunteer.id, at=clock.now())
            await audit.record(
                conn,
                actor_telegram_id=None,
                action="forget",
                target_volunteer_id=volunteer.id,
                at=clock.now(),
            )
            access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    context.wake_outbox()  # whoever moved up into their places
    await query.answer()
    await query.edit_message_reply_markup(None)
    if answer == "no":
        await query.message.reply_text(texts.FORGET_CANCELLED)
        return
    # Anything they had from a role goes from their menu too (admins keep theirs: config).
    await refresh_menu(context.bot, access)
    # Its row went with the rest in privacy.erase; this drops the copy in memory.
    context.application.drop_user_data(update.effective_user.id)
    await query.message.reply_text(texts.FORGOTTEN)
