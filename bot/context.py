"""The callback context every handler and job receives, with the application's services on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot import clock
from bot.botapi import SHOWN
from bot.settings import Settings
from bot.userdata import UserData
from db.engine import Database

# Where in_background keeps the work it started, until it is done.
BACKGROUND = "background"
# Where the one Services object lives in bot_data.
SERVICES = "services"


@dataclass
class Vitals:
    """What the running bot knows about itself that no table holds, for /status: when it started,
    and Telegram's last "too many requests" (429), met by a reply or the outbox, with its wait."""

    started_at: datetime = field(default_factory=clock.now)
    last_429_at: datetime | None = None
    last_429_wait: float | None = None
    # When ERROR_CHAT_ID was last told of an error: it is told at most once a minute.
    last_error_report_at: datetime | None = None

    def told_to_wait(self, seconds: float) -> None:
        self.last_429_at = clock.now()
        self.last_429_wait = seconds


@dataclass(frozen=True)
class Services:
    """What handlers and jobs need from the application, built once by bot.app."""

    settings: Settings
    db: Database
    # Tells the outbox sender that rows were committed, so it need not wait for its next poll.
    wake_outbox: Callable[[], None]
    # /start payloads the bot understands, tried in order.
    deep_links: tuple[DeepLinkHandler, ...]
    vitals: Vitals


class MusterContext(CallbackContext[ExtBot[None], UserData, dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        return self.bot_data[SERVICES]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def db(self) -> Database:
        return self.services.db

    def in_background(self, work: Coroutine[Any, Any, Any], update: object = None) -> None:
        """Run ``work`` without holding up the next update. Errors reach the error handler;
        stopping the application waits for it; tests wait for it through ``background``."""
        task = self.application.create_task(_unseen(work), update=update)
        pending: set[asyncio.Task[Any]] = self.bot_data.setdefault(BACKGROUND, set())
        pending.add(task)
        task.add_done_callback(pending.discard)

    def wake_outbox(self) -> None:
        """Tell the outbox sender there is new mail (after the commit)."""
        self.services.wake_outbox()

    @property
    def vitals(self) -> Vitals:
        return self.services.vitals

    @property
    def deep_links(self) -> tuple[DeepLinkHandler, ...]:
        return self.services.deep_links


async def _unseen(work: Coroutine[Any, Any, Any]) -> Any:
    """``work`` with what it shows left out of the question just put (bot.botapi.Shown): it may
    finish after the update that started it has been dealt with."""
    SHOWN.set(None)  # in this task's own copy of the context
    return await work


# A /start payload handler, given the volunteer's Telegram id and the payload: returns True when
# it recognised the payload and answered them. Event share links and invites plug in here.
DeepLinkHandler = Callable[[MusterContext, int, str], Awaitable[bool]]
