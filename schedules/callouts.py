"""Launching shift calls scheduled for later, once their time comes (and at start-up, for any
that fell due while the bot was down). The row in the database is the schedule: nothing lives
only in memory."""

from __future__ import annotations

import contextlib
import logging

from telegram.error import TelegramError

from bot import clock, shift_calls, texts
from bot.context import MusterContext
from db import callouts

log = logging.getLogger(__name__)


async def launch_due(context: MusterContext) -> None:
    zone = context.settings.zone
    async with context.db.begin() as conn:
        due = await callouts.claim_due(conn, clock.now())
        launched = []
        for callout_id in due:
            call = await callouts.by_id(conn, callout_id)
            assert call is not None
            launched.append((call, await shift_calls.launch(conn, call, zone)))
    for call, count in launched:
        await start_progress(context, call.id, call.progress_chat_id, count)
    if launched:
        context.wake_outbox()


async def start_progress(
    context: MusterContext, callout_id: int, chat_id: int | None, count: int
) -> None:
    """The organiser's progress message, which the outbox sender edits as the call goes out."""
    if chat_id is None:
        return
    with contextlib.suppress(TelegramError):  # the call goes out whether or not they see this
        sent = await context.bot.send_message(chat_id, texts.callout_started(count))
        if count:
            async with context.db.begin() as conn:
                await callouts.set_progress_message(conn, callout_id, sent.message_id)
