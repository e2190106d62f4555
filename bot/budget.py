"""One Telegram budget per bot token, shared by everything the bot sends.

Telegram allows a bot about 30 messages a second overall, about one a second to one chat and 20 a
minute to one group, and answers a 429 (with ``retry_after``) to a bot that goes over. Those limits
are per token, so the application's replies and the outbox sender draw from one :class:`Budget`,
built once in ``bot.app``: the application's bot through :class:`BudgetRateLimiter` (PTB's
``BaseRateLimiter``), the outbox sender (``schedules.outbox``) through :meth:`Budget.slot`.

Sends wait their turn in priority :class:`Lane` order, so the direct answer to the person who
acted never queues behind a 10,000-person shift call. A 429 anywhere pauses all of it.

The budget keeps real (monotonic) time: Telegram's limits are about real seconds.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import math
import warnings
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.domain.sending import Lane

log = logging.getLogger(__name__)

# Requests in one sliding second stay under the rate with this much room to spare, so that the
# jitter between when a send starts and when Telegram counts it cannot put one too many in a
# second.
MARGIN = 0.05
GROUP_WINDOW = 60.0
# How far behind its even spacing the budget may catch up after a stall, in seconds.
CATCH_UP = 0.1
# Telegram's ceiling for messages sent with allow_paid_broadcast, a second.
PAID_RATE = 1000.0


def retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 warns when retry_after is read as an int; it may be an int or a timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Window:
    """At most ``rate`` requests in any second (with MARGIN to spare), spread out evenly rather
    than in a burst at the top of each second. ``rate`` 0: no limit.

    Telegram counts a request when it arrives, somewhere between when it starts and when it is
    answered, and a busy event loop stretches that. So a request may start only a second after
    the one ``rate`` places before it was answered: then no second can hold more than ``rate``
    arrivals, however the two differ.

    Slots are spaced from the previous slot, not from when it was used, so that timers firing
    late on a busy event loop don't add up into a slower rate: up to CATCH_UP seconds of missed
    slots are made up, which the count over the last second still keeps within the limit."""

    def __init__(self, rate: float) -> None:
        self.limited = rate > 0
        self._interval = (1 + MARGIN) / rate if rate > 0 else 0.0
        # When each of the last ``rate`` requests was answered (inf while it is in flight).
        self._recent: deque[list[float]] = deque(maxlen=max(1, math.floor(rate)) if rate > 0 else 1)
        self._next = -math.inf

    def ready_at(self) -> float:
        if not self.limited:
            return 0.0
        ready = self._next
        if len(self._recent) == self._recent.maxlen:
            ready = max(ready, self._recent[0][0] + 1 + MARGIN)
        return ready

    def take(self, now: float) -> list[float]:
        """Start a request; set the returned entry's one item to when it was answered."""
        entry = [math.inf]
        if self.limited:
            self._next = max(self._next, now - CATCH_UP) + self._interval
            self._recent.append(entry)
        return entry


@dataclass(order=True)
class _Waiter:
    lane: int
    seq: int
    chat_id: int | None = field(compare=False)
    paid: bool = field(compare=False)
    ready: asyncio.Future[None] = field(compare=False)


class Budget:
    """Telegram's limits for one bot token. See the module docstring.

    ``rate``: messages a second overall (0: no limit); ``per_chat``: the least time between two
    messages to one chat, counted from the previous one's answer, for everything but the direct
    answer; ``group_per_minute``: messages a minute to one group (0: no limit).
    """

    def __init__(
        self,
        rate: float,
        per_chat: float,
        group_per_minute: int = 20,
        *,
        on_pause: Callable[[float], None] | None = None,
    ) -> None:
        self.rate = rate
        # Told of every 429, whichever sender met it (for /status).
        self._on_pause = on_pause
        self.per_chat = per_chat
        self._free = _Window(rate)
        self._paid = _Window(PAID_RATE if rate > 0 else 0)
        self._group_limit = group_per_minute
        self._groups: dict[int, deque[float]] = {}
        self._free_at: dict[int, float] = {}
        self._busy: Counter[int] = Counter()
        # Each chat's requests in flight, oldest first, as their entries in a _Window.
        self._in_flight: dict[int, deque[list[float]]] = {}
        self._paused_until = 0.0
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    # ------------------------------------------------------------------ the public side

    @contextlib.asynccontextmanager
    async def slot(
        self, chat_id: int | None, lane: Lane, *, paid: bool = False
    ) -> AsyncIterator[None]:
        """Wait for the turn of one request to ``chat_id`` (None: a request that sends nothing
        to a chat, such as answerCallbackQuery, which only a 429 holds up), then make it inside
        the block. ``paid``: sent with allow_paid_broadcast (up to 1,000 a second, apart from
        the free budget)."""
        await self.turn(chat_id, lane, paid=paid)
        try:
            yield
        finally:
            self.done(chat_id)

    def take_now(self, chat_id: int | None, lane: Lane, *, paid: bool = False) -> bool:
        """Take the turn of one request (see :meth:`slot`) if it is free now and nobody waits
        for one; True if taken: call :meth:`done` after it. What :meth:`turn` does first, for a
        sender that would rather not set up a wait it does not need."""
        # A request that names no chat takes nothing from the budget: only a pause holds it up,
        # whoever else is waiting.
        if (chat_id is None or not self._waiting) and self._ready_at(
            chat_id, lane, paid
        ) <= self.now():
            self._take(chat_id, paid)
            return True
        return False

    async def turn(self, chat_id: int | None, lane: Lane, *, paid: bool = False) -> None:
        """Wait for the turn of one request (see :meth:`slot`); call :meth:`done` after it."""
        if self.take_now(chat_id, lane, paid=paid):
            return
        waiter = _Waiter(
            lane, next(self._seq), chat_id, paid, asyncio.get_running_loop().create_future()
        )
        bisect.insort(self._waiting, waiter)  # kept in lane order, then first come
        self._dispatch()
        try:
            await waiter.ready
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            elif not waiter.ready.cancelled():  # granted as we were cancelled: give it back
                self.done(chat_id)
            raise

    def done(self, chat_id: int | None) -> None:
        """The request to ``chat_id`` has been answered: the chat's gap counts from now."""
        if chat_id is None:
            return
        now = self.now()
        flying = self._in_flight.get(chat_id)
        if flying:
            flying.popleft()[0] = now
            if not flying:
                del self._in_flight[chat_id]
        self._busy[chat_id] -= 1
        if self._busy[chat_id] <= 0:
            del self._busy[chat_id]
        if self.per_chat > 0:
            if len(self._free_at) > 10_000:
                self._free_at = {chat: at for chat, at in self._free_at.items() if at > now}
            self._free_at[chat_id] = now + self.per_chat
        if self._waiting:
            self._dispatch()

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing goes out for ``seconds``."""
        self._paused_until = max(self._paused_until, self.now() + seconds)
        if self._on_pause is not None:
            self._on_pause(seconds)
        if self._waiting:
            self._dispatch()

    def paused(self) -> bool:
        return self._paused_until > self.now()

    def waiting(self) -> int:
        """How many requests wait for their turn."""
        return len(self._waiting)

    def chat_ready_at(self, chat_id: int) -> float:
        """When a message to ``chat_id`` that is not a direct answer may start (inf while one is
        in flight to it: one chat's messages go one after another, so they arrive in order)."""
        if self._busy[chat_id]:
            return math.inf
        if self.per_chat <= 0:
            return 0.0
        return self._free_at.get(chat_id, 0.0)

    # ------------------------------------------------------------------ the workings

    def _ready_at(self, chat_id: int | None, lane: Lane, paid: bool) -> float:
        ready = self._paused_until
        if chat_id is None:
            return ready
        if lane != Lane.ANSWER:
            ready = max(ready, self.chat_ready_at(chat_id))
        ready = max(ready, (self._paid if paid else self._free).ready_at())
        if chat_id < 0 and self._group_limit > 0:
            sent = self._groups.get(chat_id)
            if sent is not None and len(sent) >= self._group_limit:
                ready = max(ready, sent[0] + GROUP_WINDOW + MARGIN)
        return ready

    def _take(self, chat_id: int | None, paid: bool) -> None:
        if chat_id is None:
            return
        now = self.now()
        entry = (self._paid if paid else self._free).take(now)
        self._in_flight.setdefault(chat_id, deque()).append(entry)
        self._busy[chat_id] += 1
        if chat_id < 0 and self._group_limit > 0:
            sent = self._groups.setdefault(chat_id, deque(maxlen=self._group_limit))
            sent.append(now)
            if len(self._groups) > 1_000:
                self._groups = {
                    chat: times
                    for chat, times in self._groups.items()
                    if times[-1] > now - GROUP_WINDOW
                }

    def _dispatch(self) -> None:
        """Let every waiter go whose turn it is, best lane first, and set a timer for the next."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self.now()
        soonest = math.inf
        # Hundreds may wait in a burst: those whose window is full cannot go, whatever their chat.
        free, paid = self._free.ready_at(), self._paid.ready_at()
        still: list[_Waiter] = []
        for waiter in self._waiting:
            if waiter.ready.done():  # cancelled meanwhile
                continue
            window = paid if waiter.paid else free
            if waiter.chat_id is not None and window > now:
                soonest = min(soonest, window)
                still.append(waiter)
                continue
            ready = self._ready_at(waiter.chat_id, Lane(waiter.lane), waiter.paid)
            if ready <= now:
                self._take(waiter.chat_id, waiter.paid)
                waiter.ready.set_result(None)
                free, paid = self._free.ready_at(), self._paid.ready_at()
            else:
                soonest = min(soonest, ready)
                still.append(waiter)
        self._waiting = still
        if still and soonest < math.inf:
            self._timer = asyncio.get_running_loop().call_at(soonest, self._dispatch)


class BudgetRateLimiter(BaseRateLimiter[Lane]):
    """The application's bot draws from the shared :class:`Budget`.

    What the application's bot sends is the direct answer to the person who acted (everything
    else goes through the outbox), so a request's lane is :attr:`Lane.ANSWER` unless the caller
    passes another as ``rate_limit_args``. A 429 pauses the whole budget, the outbox included,
    and the request is tried again after it, up to ``max_retries`` times.
    """

    def __init__(self, budget: Budget, max_retries: int = 3) -> None:
        self.budget = budget
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the budget lives as long as the application."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        lane = Lane.ANSWER if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id) if chat_id is not None else None
        if not isinstance(chat_id, int):  # "@channel": not a chat we message
            chat_id = None
        paid = bool(data.get("allow_paid_broadcast"))
        for attempt in itertools.count():
            try:
                async with self.budget.slot(chat_id, lane, paid=paid):
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                self.budget.pause(seconds)
                if attempt >= self._max_retries:
                    raise
                log.warning(
                    "Telegram asked us to slow down; pausing %.0f s (%s)", seconds, endpoint
                )
