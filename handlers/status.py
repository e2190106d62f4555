"""/status: how the bot is doing, for admins."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from telegram import Update

from bot import clock, texts
from bot.context import MusterContext
from bot.domain.permissions import Access, Role
from bot.services import health
from handlers.common import requires


def _version() -> str:
    try:
        return version("muster")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


@requires(Role.ADMIN)
async def status(update: Update, context: MusterContext, _access: Access) -> None:
    assert update.effective_message
    at = clock.now()
    async with context.db.connect() as conn:
        figures = await health.figures(conn, at)
    vitals = context.vitals
    last_429 = None
    if vitals.last_429_at is not None and vitals.last_429_wait is not None:
        last_429 = (vitals.last_429_at, vitals.last_429_wait)
    people = figures.volunteers
    await update.effective_message.reply_text(
        texts.status(
            version=_version(),
            up_seconds=(at - vitals.started_at).total_seconds(),
            engine=figures.engine,
            size_bytes=figures.size_bytes,
            waiting=figures.waiting,
            sending=figures.sending,
            failed=figures.failed,
            last_pass=figures.last_pass,
            last_429=last_429,
            volunteers=(people.active, people.paused, people.unreachable),
            zone=context.settings.zone,
        )
    )
