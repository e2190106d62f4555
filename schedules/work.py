"""The scheduler: plans every shift's and call's work (bot.domain.planning), then runs whatever is
due, one piece at a time through bot.services.work.

Each piece runs in its own transaction: claim the row, queue its messages in the outbox, mark it
done. A crash before the commit leaves it pending; after, it is done: never lost, never twice.
"""

from __future__ import annotations

import time
from datetime import timedelta

from telegram.ext import Application

from bot import clock
from bot.context import MusterContext
from bot.domain.planning import Kind, digest_due, retention_due
from bot.domain.statuses import WorkStatus
from bot.services import work as due_work
from db import work
from schedules.callouts import launch_due


async def run_due(context: MusterContext) -> None:
    """The scheduler's job: plan, launch scheduled calls, then do each due piece of work."""
    settings = context.settings
    # One "now" for the whole pass: what is due and what it still means are judged alike.
    at = clock.now()
    # How long a pass takes is real time, whatever the clock says (tests freeze it).
    began = time.monotonic()
    async with context.db.connect() as conn:
        changes = await work.plan(
            conn,
            at=at,
            zone=settings.zone,
            default_offsets=settings.offsets,
            chase_before=timedelta(hours=settings.chase_before_hours),
        )
    # Planning reads; the write lock is taken only for what changed, and only briefly.
    daily = {
        Kind.DIGEST: digest_due(at, settings.digest_time, settings.zone),
        Kind.RETENTION: retention_due(at, settings.zone),
    }
    async with context.db.begin() as conn:
        await work.apply(conn, changes, at)
        for kind, (day, due_at) in daily.items():
            await work.ensure_daily(conn, kind, day, due_at)
    await launch_due(context)
    ran = 0
    while True:
        async with context.db.begin() as conn:
            item = await work.claim_next(conn, at)
            if item is None:
                break
            status = await due_work.run(
                conn, at, settings, item, bot_username=context.bot.username
            )
            await work.finish(conn, item.id, status, at)
            ran += status == WorkStatus.DONE
    # Kept only once the pass got through: `muster check` warns when that stops happening.
    async with context.db.begin() as conn:
        await work.record_pass(conn, at, at + timedelta(seconds=time.monotonic() - began))
    if ran:
        context.wake_outbox()


def install(application: Application, every_seconds: float) -> None:
    assert application.job_queue is not None
    application.job_queue.run_repeating(run_due, interval=every_seconds, first=0, name="scheduler")
