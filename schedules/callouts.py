"""Launching shift calls scheduled for later, once their time comes (and at start-up, for any
that fell due while the bot was down). The row in the database is the schedule: nothing lives
only in memory."""

from __future__ import annotations

from bot import clock
from bot.context import MusterContext
from bot.services import calls
from db import callouts


async def launch_due(context: MusterContext) -> None:
    at = clock.now()
    async with context.db.begin() as conn:
        due = await callouts.claim_due(conn, at)
        for callout_id in due:
            call = await callouts.by_id(conn, callout_id)
            assert call is not None
            await calls.launch(conn, call, context.settings.zone, at)
    if due:
        context.wake_outbox()
