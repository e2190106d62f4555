"""Launching shift calls scheduled for later, once their time comes (and at start-up, for any
that fell due while the bot was down). The row in the database is the schedule: nothing lives
only in memory."""

from __future__ import annotations

from bot import clock
from bot.context import MusterContext
from bot.services import calls


async def launch_due(context: MusterContext) -> None:
    at = clock.now()
    async with context.db.begin() as conn:
        launched = await calls.launch_due(conn, at, context.settings.zone)
    if launched:
        context.wake_outbox()
