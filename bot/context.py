"""The callback context every handler and job receives, with the application's services on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.settings import Settings
from db.engine import Database
from schedules import outbox


class MusterContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def settings(self) -> Settings:
        return self.bot_data["settings"]

    @property
    def db(self) -> Database:
        return self.bot_data["db"]

    def wake_outbox(self) -> None:
        """Tell the outbox sender there is new mail (after the commit), so it need not wait for
        its next poll."""
        outbox.wake(self.bot_data)

    @property
    def deep_links(self) -> tuple[DeepLinkHandler, ...]:
        return self.bot_data["deep_links"]


# A /start payload handler, given the volunteer's Telegram id and the payload: returns True when
# it recognised the payload and answered them. Event share links and invites plug in here.
DeepLinkHandler = Callable[[MusterContext, int, str], Awaitable[bool]]
