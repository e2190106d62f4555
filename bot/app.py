"""Wiring: builds the python-telegram-bot Application with its services and handlers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

import handlers
from bot.botapi import SHOWN, MusterBot, Shown, UpdatesRequest
from bot.budget import Budget, BudgetRateLimiter
from bot.commands import publish_menus
from bot.context import SERVICES, DeepLinkHandler, MusterContext, Services, Vitals
from bot.persistence import StatePersistence
from bot.services import actors, retention
from bot.settings import Settings
from bot.updates import OnePersonAtATime
from bot.userdata import UserData
from db import migrate
from db.engine import Database, reads_kept
from handlers import typed
from schedules import outbox
from schedules import work as scheduler


class MusterApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application, with two changes for what people are in the middle of (see
    bot.persistence): the database is migrated before that is loaded, which PTB does in
    initialize(), before post_init; and it is saved after every update, rather than on PTB's timer,
    so that a crash right after an answer still keeps it."""

    def __init__(self, *, migrate_engine: AsyncEngine | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._migrate_engine = migrate_engine

    async def initialize(self) -> None:
        if self._migrate_engine is not None and not self._initialized:
            # Inside the application's event loop, so the engine's connections belong to it.
            await migrate.upgrade(self._migrate_engine)
        await super().initialize()

    async def process_update(self, update: object) -> None:
        # What the bot shows while handling it, for the question just put (handlers.typed).
        shown = Shown()
        token = SHOWN.set(shown)
        # A volunteer read twice while handling it is read once (db.engine.kept).
        with reads_kept():
            try:
                await super().process_update(update)
            finally:
                SHOWN.reset(token)
            await typed.after_update(self, update, shown)
        await self.update_persistence()


def build_application(
    settings: Settings,
    engine: AsyncEngine,
    *,
    deep_links: Sequence[DeepLinkHandler] = (),
    migrate_on_start: bool = True,
) -> Application:
    async def post_init(application: Application) -> None:
        async with database.connect() as conn:
            holders = await actors.role_holders(conn, settings.admin_ids)
        async with database.begin() as conn:
            await retention.publish_notice(conn, settings.privacy_notice_version)
        await publish_menus(application.bot, holders)
        scheduler.install(application, settings.schedule_poll_seconds)
        # The outbox sender runs while the application runs (see OutboxSender.attach).
        sender.attach(application)

    async def post_shutdown(_application: Application) -> None:
        await sender.stop()  # already stopped with the application; this only makes sure
        await engine.dispose()

    database = Database(engine)
    # One budget for the token: the application's replies and the outbox draw from it.
    vitals = Vitals()
    budget = Budget(
        settings.send_rate,
        settings.send_per_chat_seconds,
        settings.send_group_per_minute,
        on_pause=vitals.told_to_wait,
    )
    bot = MusterBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_base_file_url,
        # The pool sizes PTB's builder would choose.
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=UpdatesRequest(connection_pool_size=1),
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            tzinfo=settings.zone,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        # Replies go first in the budget; a 429 pauses everything, the outbox included.
        rate_limiter=BudgetRateLimiter(budget, max_retries=3),
    )
    application = (
        ApplicationBuilder()
        .application_class(
            MusterApplication, {"migrate_engine": engine if migrate_on_start else None}
        )
        .bot(bot)
        .context_types(ContextTypes(context=MusterContext, user_data=UserData))
        .persistence(StatePersistence(database))
        .concurrent_updates(OnePersonAtATime())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    sender = outbox.OutboxSender(engine, settings, budget, database=database)
    application.bot_data[SERVICES] = Services(
        settings=settings,
        db=database,
        wake_outbox=sender.wake,
        deep_links=(*handlers.DEEP_LINKS, *deep_links),
        vitals=vitals,
    )
    handlers.register(application)
    return application
