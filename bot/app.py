"""Wiring: builds the python-telegram-bot Application with its services and handlers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

import handlers
from bot.commands import publish_menus
from bot.context import SERVICES, DeepLinkHandler, MusterContext, Services
from bot.settings import Settings
from db import migrate
from db.engine import Database
from schedules import outbox
from schedules import work as scheduler


def build_application(
    settings: Settings,
    engine: AsyncEngine,
    *,
    deep_links: Sequence[DeepLinkHandler] = (),
    migrate_on_start: bool = True,
) -> Application:
    async def post_init(application: Application) -> None:
        # Inside the application's event loop, so the engine's connections belong to it.
        if migrate_on_start:
            await migrate.upgrade(engine)
        await publish_menus(application.bot, engine, settings.admin_ids)
        scheduler.install(application, settings.schedule_poll_seconds)
        # The outbox sender runs while the application runs (see OutboxSender.attach).
        sender.attach(application)

    async def post_shutdown(_application: Application) -> None:
        await sender.stop()  # already stopped with the application; this only makes sure
        await engine.dispose()

    application = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .context_types(ContextTypes(context=MusterContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.zone,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Keeps individual replies inside Telegram's overall and per-group limits and honours
        # 429 retry_after; bulk sends go through the outbox instead.
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    sender = outbox.OutboxSender(engine, settings)
    application.bot_data[SERVICES] = Services(
        settings=settings,
        db=Database(engine),
        wake_outbox=sender.wake,
        deep_links=(*handlers.DEEP_LINKS, *deep_links),
    )
    handlers.register(application)
    return application
