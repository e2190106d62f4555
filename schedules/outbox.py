"""The outbox sender: the one place that sends messages to many people, at Telegram's pace.

Whoever wants to message many people inserts rows with :func:`db.outbox.enqueue` in their own
transaction (a shift call: one row per person by :func:`db.outbox.enqueue_each`, its message
stored once on the call and put together again when its rows are claimed) and, once it has
committed, calls ``context.wake_outbox()`` (the sender's
:meth:`OutboxSender.wake`, handed to handlers and jobs by ``bot.app``). The
sender, started with the application, then:

* claims due rows in batches (pending -> sending), best lane first (bot.domain.sending: what
  follows a person's action, urgent calls, reminders, then shift calls), and sends them, a few at
  a time, each when the bot's one budget (bot.budget: ``SEND_RATE`` a second overall,
  ``SEND_PER_CHAT_SECONDS`` apart to any one chat, shared with the application's replies) gives
  it its turn; an urgent call the organiser chose to pay for goes with allow_paid_broadcast;
* marks each row in a transaction: sent (with Telegram's message id), unreachable (403, or "chat
  not found": the volunteer is kept out of later calls via ``volunteers.unreachable_at``), failed
  (400, or still failing after ``OUTBOX_MAX_ATTEMPTS`` network errors), or pending again with
  an exponential backoff;
* on a 429 pauses *all* sending (the application's too) for ``retry_after`` and tries that message
  again, without counting it as an attempt;
* edits a shift call's progress message every couple of seconds and, when none of the call's rows
  is left to send, marks the call done and sends the organiser a delivery report (itself a row in
  the outbox, so it survives a restart like everything else).

Nothing lives only in memory: a restart re-reads the table. Rows a crash left in ``sending`` go
back to pending when the sender starts; they are the only messages that can go out twice, and
there are never more than FLUSH_SIZE of them.

Times in the database (due times, backoff) come from :mod:`bot.clock`; the pace is kept in real
(monotonic) time, because Telegram's limits are about real seconds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import itertools
import json
import logging
import math
from collections import Counter
from datetime import timedelta
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot import clock, texts
from bot.budget import Budget, retry_after_seconds
from bot.domain.sending import Lane, lane_of
from bot.domain.statuses import OutboxStatus
from bot.request import AiohttpRequest
from bot.settings import Settings
from db import outbox as db
from db.engine import READS_ONLY, Database
from db.outbox import Claimed, Outcome

log = logging.getLogger(__name__)

# Workers, so sends in flight at once. They hide the round trip to Telegram (four keep 25 a
# second with answers taking up to 160 ms) and, unpaced, let one turn of the event loop handle
# several answers: on the 2-core machine, against the fake Bot API in another process, each
# message cost the sender and the fake less CPU with more in flight, up to about 16 (measured
# side by side with bench/broadcast.py's sizes: 2, 4, 8, 16, 32). The pace is kept whatever their
# number: each send waits for its slot before it starts.
CONCURRENCY = 16
# Rows claimed per transaction when the pace is lifted; a paced sender claims about two seconds'
# worth, so that few rows sit in `sending` (a crash only ever repeats rows that were sent but not
# yet marked, but a long-held claim keeps other senders off them).
MAX_BATCH = 1000
# Outcomes are written in batches: when FLUSH_AT are waiting, or FLUSH_SECONDS after the last
# write. A crash can repeat only messages sent and not yet marked: the sender never has more than
# FLUSH_SIZE of those (sends in flight and outcomes being written included), and marks them at
# least every FLUSH_SECONDS, so at most 0.1 s worth at any pace and never more than 100 messages.
# Writing at half of FLUSH_SIZE lets the other half go out while a batch is being written,
# rather than every send waiting for each write.
FLUSH_SIZE = 100
FLUSH_AT = FLUSH_SIZE // 2
FLUSH_SECONDS = 0.1
# A shift call's progress message is edited at most this often (real seconds).
PROGRESS_SECONDS = 2.0
# Network errors are retried after BACKOFF_SECONDS, then twice that, ..., at most BACKOFF_MAX.
BACKOFF_SECONDS = 2.0
BACKOFF_MAX = timedelta(minutes=10)
# A 400 with one of these descriptions means the chat is gone: unreachable, not failed.
_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True).to_dict()
_NO_PREVIEW_JSON = json.dumps(_NO_PREVIEW)
# A row sent again at once: a 429 is Telegram saying "not now", not a failed attempt.
_AGAIN = "again"


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try, after ``attempts`` network failures."""
    seconds = BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), BACKOFF_MAX)


class OutboxSender:
    """Drains the outbox for one application. See the module docstring."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        budget: Budget,
        *,
        concurrency: int = CONCURRENCY,
        database: Database | None = None,
    ) -> None:
        # Writes take turns with the application's (``database``: the one the handlers use).
        # On SQLite a writer that finds the lock taken polls for it, sleeping up to 100 ms at a
        # time: a tap's answer that met the sender's claim or marks that way waited that long.
        self._db = database or Database(engine)
        # Reads (due times, progress figures) need no write lock: see db.engine.READS_ONLY.
        self._reader = engine.execution_options(**{READS_ONLY: True})
        self._budget = budget
        self._paid_allowed = settings.paid_broadcast
        self._max_attempts = settings.outbox_max_attempts
        self._poll = settings.outbox_poll_seconds
        self._concurrency = max(1, concurrency)
        rate = budget.rate
        self._batch = (
            MAX_BATCH if rate <= 0 else max(self._concurrency, min(MAX_BATCH, int(rate * 2)))
        )
        # Why a Bot of its own rather than the application's: the sender handles a 429 itself
        # (the row stays ours, goes again after the pause, and the attempt does not count),
        # where the application's rate limiter would retry inside the call; and it sends through
        # a leaner HTTP transport (bot.request). Both draw from the one budget for the token.
        self._request = AiohttpRequest(
            connection_pool_size=self._concurrency + 4, pool_timeout=10.0, read_timeout=10.0
        )
        self._bot = Bot(
            settings.bot_token.get_secret_value(),
            base_url=settings.telegram_api_base_url,
            base_file_url=settings.telegram_api_base_file_url,
            request=self._request,
        )
        self._send_message_url = f"{self._bot.base_url}/sendMessage"
        # The JSON of the last plain message built (see _message_body): (paid, payload, body
        # without its chat id).
        self._body: tuple[bool, dict[str, Any], bytes] | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._more = True  # there may be due rows we have not claimed
        self._fresh = False  # woken since the last claim: rows better than calls may be due
        # Claimed, not yet started, best lane first, then in the order claimed.
        self._queue: list[tuple[Lane, int, Claimed]] = []
        self._later: list[tuple[float, int, Claimed]] = []  # waiting for their chat to be free
        self._taken: Counter[int] = Counter()  # chats of the rows workers hold
        self._marked = asyncio.Event()  # set after each write of outcomes: for held-up workers
        self._seq = itertools.count()
        self._low_water = max(self._batch // 2, self._concurrency)
        self._rows = asyncio.Event()  # set when rows were claimed: for idle workers
        self._attention = asyncio.Event()  # set by workers who need the coordinator
        self._busy = 0  # workers waiting for their turn or sending
        self._outcomes: list[Outcome] = []
        self._held: Counter[int] = Counter()  # per call: rows claimed and not yet marked
        self._progress_at: dict[int, float] = {}
        self._edits: dict[int, asyncio.Task[None]] = {}  # per call: its latest progress edit
        self._flushed_at = 0.0
        self._flushing = 0  # outcomes being written now
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ the public side

    def wake(self) -> None:
        """New rows were committed: look for them now rather than at the next poll."""
        self._more = True
        self._fresh = True
        self._wake.set()

    def stop_soon(self) -> None:
        """Ask the sender to stop: it finishes the sends in flight, marks them, and hands every
        other claimed row back as pending. Await :meth:`run` (or :meth:`stop`) to see it done."""
        self._stop.set()
        self._wake.set()

    async def stop(self) -> None:
        self.stop_soon()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def attach(self, application: Application) -> None:
        """Run for exactly as long as ``application`` does.

        The sender starts as an ``application.create_task`` task once the application is running
        (a run-once job, so the JobQueue starting means the application started), and is told to
        stop when the JobQueue shuts down, which ``Application.stop()`` does right before it
        awaits its create_task tasks. So however the application is run (run_polling,
        run_webhook, or started and stopped by hand as in the tests), stopping it stops the
        sender gracefully, before the engine and the bots are shut down.
        """
        job_queue = application.job_queue
        if job_queue is None:
            raise RuntimeError(
                "the outbox sender needs PTB's JobQueue (python-telegram-bot[job-queue])"
            )

        async def start(_context: object) -> None:
            self._task = application.create_task(self.run(), name="outbox sender")

        job_queue.run_once(start, when=0, name="outbox sender")
        job_queue.scheduler.add_listener(lambda _event: self.stop_soon(), EVENT_SCHEDULER_SHUTDOWN)

    async def run(self) -> None:
        """The sender's life: recover, then send until asked to stop."""
        try:
            if not await self._start():
                return
            workers = [
                asyncio.create_task(self._work(), name=f"outbox worker {n}")
                for n in range(self._concurrency)
            ]
            try:
                while not self._stop.is_set():
                    try:
                        await self._tick()
                    except Exception as error:  # the database hiccuped: carry on
                        log.error("outbox sender: %s; trying again shortly", type(error).__name__)
                        await self._sleep(1.0)
            finally:
                self._stop.set()
                self._rows.set()
                # Each worker finishes the send in hand (bounded by the HTTP timeouts).
                await asyncio.gather(*workers, return_exceptions=True)
        finally:
            await self._wind_down()

    # ------------------------------------------------------------------ start and stop

    async def _start(self) -> bool:
        """Recover what a crash left in flight and get the Bot ready; retried until it works
        (the database or the Bot API may not be reachable yet), False if stopped meanwhile."""
        recovered: int | None = None
        while not self._stop.is_set():
            try:
                if recovered is None:
                    async with self._db.begin() as conn:
                        recovered = await db.recover(conn)
                    if recovered:
                        log.warning(
                            "outbox: %d message(s) were in flight at the last stop; sending again",
                            recovered,
                        )
                await self._bot.initialize()
                return True
            except Exception as error:
                # Only the class: PTB's InvalidToken message quotes the token.
                log.error("outbox: cannot start yet (%s); retrying", type(error).__name__)
                await self._sleep(self._poll)
        return False

    async def _wind_down(self) -> None:
        if self._outcomes:
            with contextlib.suppress(Exception):
                await self._flush(progress=False)
        held = [row.id for _, _, row in self._queue] + [row.id for _, _, row in self._later]
        self._queue.clear()
        self._later.clear()
        if held:
            try:
                async with self._db.begin() as conn:
                    await db.release(conn, held)
            except Exception as error:  # they stay `sending` and are recovered at the next start
                log.error("outbox: could not hand back claimed rows (%s)", type(error).__name__)
        if self._edits:
            await asyncio.wait(self._edits.values())
        with contextlib.suppress(Exception):
            await self._bot.shutdown()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once for a stop."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._stop.wait()

    # ------------------------------------------------------------------ the coordinator

    async def _tick(self) -> None:
        """One round of the coordinator: claim, write outcomes, or rest until there is work."""
        backlog = len(self._queue) + len(self._later)
        if self._more and backlog < self._low_water:
            await self._claim()
            return
        if self._fresh and (not self._queue or self._queue[0][0] > Lane.FOLLOW_UP):
            # What follows a person's action should not wait behind a call's claimed rows (but
            # while such rows are still queued here, the next claim can wait for them to go).
            await self._claim(db.NOT_CALLS)
            return
        idle = not backlog and not self._busy
        if self._outcomes and (
            idle
            or len(self._outcomes) >= FLUSH_AT
            or self._budget.now() - self._flushed_at >= FLUSH_SECONDS
        ):
            await self._flush()
            return
        if idle:
            if not self._more:
                await self._idle()
            return
        # Workers are at it: wait until one needs us (rows running low, outcomes piling up,
        # nothing left to send), or until it is time to write what has come back.
        self._attention.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FLUSH_SECONDS):
                await self._attention.wait()

    async def _claim(self, lanes: tuple[Lane, ...] = db.LANES) -> None:
        self._fresh = False
        async with self._db.begin() as conn:
            rows = await db.claim(conn, self._batch, clock.now(), lanes=lanes)
        if len(rows) < self._batch and lanes == db.LANES:
            self._more = False
        for row in rows:
            if row.callout_id is not None:
                self._held[row.callout_id] += 1
            if row.chat_id is None:  # forgotten since it was queued: nobody to send it to
                self._outcomes.append(
                    Outcome(row, OutboxStatus.UNREACHABLE, counts_as_attempt=False)
                )
            else:
                heapq.heappush(self._queue, (lane_of(row.kind), next(self._seq), row))
        if rows:
            self._rows.set()

    # ------------------------------------------------------------------ the workers

    async def _work(self) -> None:
        """One of the workers: take the next row whose turn it is, send it, note the outcome."""
        while not self._stop.is_set():
            if self._unmarked() >= FLUSH_SIZE:  # a crash would repeat too many: mark them first
                await self._wait_for_marks()
                continue
            row = self._take()
            if row is None:
                await self._wait_for_rows()
                continue
            assert row.chat_id is not None
            self._busy += 1
            try:
                paid = self._paid(row)
                if not await self._turn(row, paid):
                    self._hand_back(row)  # stopping: unsent
                    return
                outcome = await self._send(row, paid)  # never raises
            finally:
                self._busy -= 1
                self._taken[row.chat_id] -= 1
                if self._taken[row.chat_id] <= 0:
                    del self._taken[row.chat_id]
            if outcome.status == _AGAIN:
                self._hand_back(row)
                continue
            self._outcomes.append(outcome)
            if len(self._outcomes) >= FLUSH_AT:
                self._attention.set()

    def _unmarked(self) -> int:
        """Messages that may have gone out and are not marked yet: what a crash now would repeat."""
        return len(self._outcomes) + self._flushing + self._busy

    async def _wait_for_marks(self) -> None:
        self._attention.set()
        self._marked.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FLUSH_SECONDS):
                await self._marked.wait()

    def _hand_back(self, row: Claimed) -> None:
        heapq.heappush(self._queue, (lane_of(row.kind), next(self._seq), row))

    def _paid(self, row: Claimed) -> bool:
        """An urgent call the organiser chose to send as a paid broadcast, where the deployment
        allows it (PAID_BROADCAST)."""
        return self._paid_allowed and bool(row.payload.get("paid"))

    def _take(self) -> Claimed | None:
        """The best claimed row whose chat may be messaged now; rows whose chat is not free yet
        wait aside, so one busy chat never holds up the rest."""
        now = self._budget.now()
        later, queue = self._later, self._queue
        while later and later[0][0] <= now:
            row = heapq.heappop(later)[2]
            heapq.heappush(queue, (lane_of(row.kind), next(self._seq), row))
        while queue:
            row = heapq.heappop(queue)[2]
            assert row.chat_id is not None
            chat = row.chat_id
            ready = math.inf if self._taken[chat] else self._budget.chat_ready_at(chat)
            if ready <= now:
                self._taken[row.chat_id] += 1
                if self._more and len(queue) + len(later) < self._low_water:
                    self._attention.set()
                return row
            if ready == math.inf:  # one in flight to that chat: look again a gap later
                ready = now + max(self._budget.per_chat, 0.005)
            heapq.heappush(later, (ready, next(self._seq), row))
        return None

    async def _wait_for_rows(self) -> None:
        """Nothing to send now: tell the coordinator, and wait for rows or for a chat to be free."""
        self._attention.set()
        self._rows.clear()
        seconds = FLUSH_SECONDS
        if self._later:
            seconds = min(seconds, max(self._later[0][0] - self._budget.now(), 0.001))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._rows.wait()

    async def _turn(self, row: Claimed, paid: bool) -> bool:
        """Wait for this send's turn in the budget; False if the sender is stopping meanwhile."""
        assert row.chat_id is not None
        if self._stop.is_set():
            return False
        if self._budget.take_now(row.chat_id, lane_of(row.kind), paid=paid):
            return True  # the usual case with the pace lifted: no wait to set up
        turn = asyncio.ensure_future(self._budget.turn(row.chat_id, lane_of(row.kind), paid=paid))
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((turn, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if turn.done() and not self._stop.is_set():
            return True
        if turn.done():
            self._budget.done(row.chat_id)
        else:
            turn.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await turn
        return False

    async def _send(self, row: Claimed, paid: bool) -> Outcome:
        """Send one row, its turn taken (see _turn)."""
        assert row.chat_id is not None
        try:
            markup = row.payload.get("reply_markup")
            venue = row.payload.get("venue")
            if edit_of := row.payload.get("edit_of"):
                return await self._edit_card(row, edit_of, markup)
            if venue:
                # A meeting point on the map, with its name and address; a surge's pin goes as
                # its question did: paid, where the question was.
                message_id = (
                    await self._bot.send_venue(
                        row.chat_id, **venue, allow_paid_broadcast=paid or None
                    )
                ).message_id
            elif photo := row.payload.get("photo"):
                # A report's chart: the picture, the text its caption.
                message_id = (
                    await self._bot.send_photo(
                        row.chat_id,
                        InputFile(base64.b64decode(photo["png"]), filename=photo["filename"]),
                        caption=row.payload["text"],
                        parse_mode=ParseMode.HTML,
                    )
                ).message_id
            elif document := row.payload.get("document"):
                # A calendar file, say: sent as an upload, the text its caption.
                message = await self._bot.send_document(
                    row.chat_id,
                    InputFile(document["text"].encode(), filename=document["filename"]),
                    caption=row.payload["text"],
                    parse_mode=ParseMode.HTML,
                    api_kwargs={"reply_markup": json.dumps(markup)} if markup else None,
                )
                message_id = message.message_id
            else:
                # Nearly everything the outbox sends: straight to sendMessage as JSON built
                # from what is stored, and only the message id read back (see post_json).
                sent = await self._request.post_json(
                    self._send_message_url, self._message_body(row, paid)
                )
                message_id = sent["message_id"]
        except RetryAfter as error:
            self._slow_down(error)
            return Outcome(row, _AGAIN)
        except Exception as error:
            return self._failure(row, error)
        else:
            return Outcome(row, OutboxStatus.SENT, message_id=message_id)
        finally:
            self._budget.done(row.chat_id)

    def _message_body(self, row: Claimed, paid: bool) -> bytes:
        """sendMessage's JSON for a row: its text (HTML), its buttons as stored (Telegram's
        JSON already), no link preview. A call's rows all carry one message, so its JSON is
        built once and each row's chat id put in front of it."""
        payload = row.payload
        body = self._body
        if body is None or body[0] != paid or body[1] != payload:
            message: dict[str, Any] = {
                "text": payload["text"],
                "parse_mode": ParseMode.HTML.value,
                "link_preview_options": _NO_PREVIEW,
            }
            if markup := payload.get("reply_markup"):
                message["reply_markup"] = markup
            if paid:
                message["allow_paid_broadcast"] = True
            # Without its opening brace, for the chat id to go in front.
            body = self._body = (
                paid,
                payload,
                json.dumps(message, ensure_ascii=False).encode()[1:],
            )
        return b'{"chat_id":%d,%b' % (row.chat_id, body[2])

    def _slow_down(self, error: RetryAfter) -> None:
        """A 429: pause all sending as long as Telegram asks (the budget notes it for /status)."""
        seconds = retry_after_seconds(error)
        log.warning("outbox: Telegram asked us to slow down; pausing %.0f s", seconds)
        self._budget.pause(seconds)

    async def _edit_card(self, row: Claimed, message_id: int, markup: object) -> Outcome:
        """Bring an earlier card up to date. Telegram refuses edits of messages that are gone or
        too old, and of ones that already say this: each is recorded on the row (failed, or sent
        for "not modified") and never tried again. The row keeps no message id: it is not a
        message of its own."""
        assert row.chat_id is not None
        # Without a keyboard, the card's buttons go.
        extra = {"link_preview_options": _NO_PREVIEW_JSON}
        if markup:
            extra["reply_markup"] = json.dumps(markup)
        try:
            await self._bot.edit_message_text(
                row.payload["text"],
                chat_id=row.chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                api_kwargs=extra,
            )
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return Outcome(row, OutboxStatus.SENT)
            raise
        return Outcome(row, OutboxStatus.SENT)

    def _failure(self, row: Claimed, error: Exception) -> Outcome:
        name = type(error).__name__
        if isinstance(error, Forbidden):
            return Outcome(row, OutboxStatus.UNREACHABLE, error=name)
        if isinstance(error, BadRequest):  # before NetworkError: BadRequest is a subclass of it
            gone = any(text in error.message.lower() for text in _GONE)
            return Outcome(
                row, OutboxStatus.UNREACHABLE if gone else OutboxStatus.FAILED, error=name
            )
        if isinstance(error, NetworkError):  # TimedOut included
            attempts = row.attempts + 1
            if attempts >= self._max_attempts:
                return Outcome(row, OutboxStatus.FAILED, error=name)
            return Outcome(
                row, OutboxStatus.PENDING, error=name, retry_at=clock.now() + backoff(attempts)
            )
        # InvalidToken, Conflict, ChatMigrated, or a payload we cannot even build: retrying the
        # same request cannot help.
        level = logging.WARNING if isinstance(error, TelegramError) else logging.ERROR
        log.log(level, "outbox: message %d failed: %s", row.id, name)
        return Outcome(row, OutboxStatus.FAILED, error=name)

    async def _flush(self, *, progress: bool = True) -> None:
        """Write the waiting outcomes in one transaction, then see to the calls they belong to."""
        outcomes = self._outcomes
        self._outcomes = []
        self._flushing = len(outcomes)
        try:
            async with self._db.begin() as conn:
                await db.record(conn, outcomes, clock.now())
        except BaseException:
            self._outcomes = outcomes + self._outcomes
            raise
        finally:
            self._flushing = 0
            self._marked.set()
        self._flushed_at = self._budget.now()
        calls = set()
        for outcome in outcomes:
            call = outcome.row.callout_id
            if call is not None:
                self._held[call] -= 1
                calls.add(call)
        if progress:
            for call in sorted(calls):
                await self._call_moved(call)

    async def _idle(self) -> None:
        """Nothing claimed and nothing due: finish calls that are done, then sleep until woken,
        until the next row falls due, or until the poll interval is up."""
        self._wake.clear()
        async with self._reader.connect() as conn:
            finished = await db.calls_to_finish(conn)
            due = await db.next_due(conn)
        for call in finished:
            await self._finish_call(call)
        timeout = self._poll
        if due is not None:
            # A floor, so rows that are due but locked by another sender don't make us spin.
            timeout = min(timeout, max((due - clock.now()).total_seconds(), 0.1))
        if not self._more:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        self._more = True

    # ------------------------------------------------------------------ shift calls

    async def _call_moved(self, call: int) -> None:
        """Some of a call's rows were just marked: finish it, or show progress now and then."""
        now = self._budget.now()
        if self._held[call] <= 0:
            del self._held[call]
            if await self._finish_call(call):
                return
        if now - self._progress_at.get(call, -math.inf) < PROGRESS_SECONDS:
            return
        self._progress_at[call] = now
        async with self._reader.connect() as conn:
            progress = await db.call_progress(conn, call)
        if progress is not None:
            self._edit_progress(progress, finished=False)

    async def _finish_call(self, call: int) -> bool:
        async with self._db.begin() as conn:
            final = await db.finish_call(conn, call, clock.now())
            if final is None:
                return False
            if final.progress_chat_id is not None:
                report = texts.callout_report(
                    final.title, final.sent, final.unreachable, final.failed
                )
                await db.enqueue(
                    conn,
                    [
                        db.Outgoing(
                            chat_id=final.progress_chat_id,
                            volunteer_id=final.organiser_id,
                            kind="callout_report",
                            text=report,
                        )
                    ],
                    at=clock.now(),
                )
        self._progress_at.pop(call, None)
        self._edit_progress(final, finished=True)
        self.wake()  # for the report
        return True

    def _edit_progress(self, progress: db.CallProgress, *, finished: bool) -> None:
        """Edit the call's progress message in the background, after any earlier edit of it, so
        a late progress figure can never overwrite the final one."""
        if progress.progress_chat_id is None or progress.progress_message_id is None:
            return
        call = progress.callout_id
        task = asyncio.create_task(self._edit(progress, finished, self._edits.get(call)))
        self._edits[call] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._edits.get(call) is done:
                del self._edits[call]

        task.add_done_callback(forget)

    async def _edit(
        self, progress: db.CallProgress, finished: bool, previous: asyncio.Task[None] | None
    ) -> None:
        """Best effort: the message may be gone, or already say this."""
        assert progress.progress_chat_id is not None and progress.progress_message_id is not None
        if previous is not None:
            await asyncio.wait([previous])
        try:
            # Edits count against the budget too; they tell the organiser what their action did.
            async with self._budget.slot(progress.progress_chat_id, Lane.FOLLOW_UP):
                await self._bot.edit_message_text(
                    texts.callout_progress(progress.sent, progress.total, finished=finished),
                    chat_id=progress.progress_chat_id,
                    message_id=progress.progress_message_id,
                    parse_mode=ParseMode.HTML,
                )
        except RetryAfter as error:
            self._slow_down(error)
        except TelegramError as error:
            log.debug("outbox: progress edit failed: %s", type(error).__name__)
