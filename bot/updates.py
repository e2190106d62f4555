"""How updates are taken in: side by side across people, one at a time for each person.

PTB processes one update at a time by default, so each tap waited for every tap before it to
finish its database work and its requests to Telegram, even though most of that time is spent
waiting, not computing. Here different people's updates overlap their waits, while one person's
updates still run in the order they came, as their conversations (sign-up, /newevent, a reason
being typed) assume.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates in progress at once. Each holds at most one database connection at a time; this
# leaves the rest of the pool (5 + 10 overflow) to the outbox and the scheduler.
AT_ONCE = 8


class OnePersonAtATime(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = AT_ONCE) -> None:
        super().__init__(max_concurrent_updates)
        # Per person: their lock and how many of their updates hold or wait for it, so that the
        # entry goes once nobody needs it.
        self._people: dict[Any, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _whose(update)
        lock, users = self._people.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._people[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _whose(update: object) -> Any:
    """The person an update comes from; failing that its chat; failing that one shared key, so
    that anything unusual runs in order."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None
