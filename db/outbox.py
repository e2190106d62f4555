"""The outbox: every message to many people is a row here first, sent at Telegram's pace by
`schedules.outbox`. A crash or restart loses nothing: unsent rows are still here."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    Select,
    String,
    Update,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.sending import KINDS, Lane
from bot.domain.statuses import CallStatus, OutboxStatus
from db.schema import callouts, events, outbox, volunteers
from db.types import UTCDateTime


@dataclass(frozen=True)
class Outgoing:
    """One message to one chat: sendMessage's text and reply_markup (Telegram JSON); or, with
    ``venue`` (sendVenue's latitude, longitude, title and address), a meeting point on a map; or,
    with ``document`` (its ``filename`` and ``text``), a small text file with ``text`` as its
    caption; or, with ``photo`` (its ``filename`` and ``png`` as base64), a picture such as a
    report's chart, ``text`` its caption."""

    chat_id: int
    volunteer_id: int | None
    kind: str
    text: str
    reply_markup: dict[str, Any] | None = None
    callout_id: int | None = None
    venue: dict[str, Any] | None = None
    document: dict[str, str] | None = None
    photo: dict[str, str] | None = None
    # A shift call's progress message: once sent, the sender edits it as the call goes out.
    progress_of: int | None = None
    # The volunteer a message to someone else is about (an organiser's alert quoting them), so
    # that erasing them clears it too.
    about: int | None = None
    # A card (db.cards.marker): found again when the answer it shows changes.
    card: dict[str, Any] | None = None
    # Not a new message: the text and buttons of this earlier message of ``chat_id`` become these.
    edit_of: int | None = None
    # Sent with allow_paid_broadcast (an urgent call the organiser chose to pay for).
    paid: bool = False


def payload_of(message: Outgoing) -> dict[str, Any]:
    """What a row stores of ``message``: everything it sends."""
    return {
        "text": message.text,
        "reply_markup": message.reply_markup,
        **({"venue": message.venue} if message.venue else {}),
        **({"document": message.document} if message.document else {}),
        **({"photo": message.photo} if message.photo else {}),
        **({"progress_of": message.progress_of} if message.progress_of else {}),
        **({"about": message.about} if message.about else {}),
        **({"card": message.card} if message.card else {}),
        **({"edit_of": message.edit_of} if message.edit_of else {}),
        **({"paid": True} if message.paid else {}),
    }


async def enqueue(conn: AsyncConnection, messages: Iterable[Outgoing], *, at: datetime) -> int:
    """Add messages to the outbox in the caller's transaction; returns how many."""
    rows = [
        {
            "callout_id": message.callout_id,
            "volunteer_id": message.volunteer_id,
            "chat_id": message.chat_id,
            "kind": message.kind,
            "payload": payload_of(message),
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        for message in messages
    ]
    if rows:
        await conn.execute(insert(outbox), rows)
    return len(rows)


async def enqueue_each(
    conn: AsyncConnection,
    people: Select[Any],
    *,
    callout_id: int | None,
    kind: str,
    at: datetime,
    payload: dict[str, Any] | None = None,
) -> int:
    """One message to each of ``people`` (a select of volunteer id and chat id), in one
    INSERT ... SELECT: the database writes the rows, none of them passes through Python. A shift
    call's rows store nothing of their own: the message is the call's (``callouts.payload``, see
    :func:`composed`); other rows (a call's chaser) store ``payload``. Returns how many."""
    rows = people.add_columns(
        literal(callout_id, Integer),
        literal(kind, String),
        literal(payload or {}, JSON),
        literal(OutboxStatus.PENDING.value, String),
        literal(0, Integer),
        literal(at, UTCDateTime),
        literal(at, UTCDateTime),
    )
    columns = ["volunteer_id", "chat_id", "callout_id", "kind", "payload", "status", "attempts"]
    result = await conn.execute(
        insert(outbox).from_select([*columns, "next_attempt_at", "created_at"], rows)
    )
    return result.rowcount


def composed(own: dict[str, Any] | None, call: dict[str, Any] | None) -> dict[str, Any]:
    """What a row sends: its call's message (if it is a call's) with whatever the row carries
    itself on top (rows queued one by one carry the whole message). A call's rows carry nothing
    of their own, so they share the call's dict: read it, never change it."""
    if not own:
        return call or {}
    return {**(call or {}), **own}


# --- The sender's side (schedules/outbox.py) ---------------------------------------------------
#
# Rows move pending -> sending (claimed) -> sent | unreachable | failed, or back to pending for a
# retry, each move in a transaction. A row is in `sending` only while one sender holds it; after a
# crash the `sending` rows are the ones that may or may not have gone out (see `recover`).

OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class Claimed:
    """A row the sender holds: everything it needs to send it and to mark it done."""

    id: int
    chat_id: int | None  # None once the volunteer has been forgotten: nothing to send
    volunteer_id: int | None
    callout_id: int | None
    kind: str
    payload: dict[str, Any]  # what it sends: see composed
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row. ``status`` PENDING means "try again at ``retry_at``"."""

    row: Claimed
    status: str
    message_id: int | None = None
    error: str | None = None  # the exception's class name only
    retry_at: datetime | None = None
    counts_as_attempt: bool = True


async def recover(conn: AsyncConnection) -> int:
    """Put rows a crashed sender left in `sending` back to pending; returns how many.

    Those are the only messages that may go out twice: sent, but not yet marked. Run once when
    the (single) sender starts, before it claims anything.
    """
    result = await conn.execute(
        update(outbox)
        .where(outbox.c.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, claimed_at=None)
    )
    return result.rowcount


def _in_lane(lane: Lane) -> Any:
    if lane == Lane.FOLLOW_UP:  # every kind not named for another lane
        return outbox.c.kind.not_in([kind for kinds in KINDS.values() for kind in kinds])
    return outbox.c.kind.in_(KINDS.get(lane, ()))


def _lane_rows(lane: Lane, at: datetime, limit: int) -> Any:
    calls = lane in (Lane.URGENT, Lane.BULK)
    due = outbox.c.next_attempt_at
    if not calls:
        # Only a call's own messages carry its id, so the others are found by the (callout_id,
        # status) index: the few rows that follow people's actions, not the whole of a
        # 10,000-person call still pending, which a walk along the due-time index would read on
        # every claim. Wrapped (in the order too), the due time cannot tempt the planner onto
        # that index.
        due = func.coalesce(due, due)
    query = (
        select(
            outbox.c.id,
            outbox.c.chat_id,
            outbox.c.volunteer_id,
            outbox.c.callout_id,
            outbox.c.kind,
            outbox.c.payload,
            outbox.c.attempts,
        )
        .where(
            outbox.c.status == OutboxStatus.PENDING,
            due <= at,
            _in_lane(lane),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if calls:
        return query.order_by(outbox.c.next_attempt_at, outbox.c.id)
    return query.where(outbox.c.callout_id.is_(None)).order_by(due, outbox.c.id)


# The lanes the outbox carries (the direct answer never goes through it), best first; and those
# whose rows are not a call's, cheap to look for however many of a call's rows are pending.
LANES = (Lane.FOLLOW_UP, Lane.URGENT, Lane.REMINDER, Lane.BULK)
NOT_CALLS = (Lane.FOLLOW_UP, Lane.REMINDER)


async def claim(
    conn: AsyncConnection, limit: int, at: datetime, *, lanes: Iterable[Lane] = LANES
) -> list[Claimed]:
    """Take up to ``limit`` due rows of ``lanes``, best lane first (bot.domain.sending: what
    follows a person's action before urgent calls, reminders and then shift calls), oldest due
    first in each; mark them `sending`.

    On PostgreSQL rows another sender has locked are skipped (FOR UPDATE SKIP LOCKED); SQLAlchemy
    leaves the clause out on SQLite, where BEGIN IMMEDIATE (db/engine.py) already lets one writer
    in at a time.
    """
    rows: list[Any] = []
    for lane in sorted(lanes):
        if len(rows) >= limit:
            break
        rows += (await conn.execute(_lane_rows(lane, at, limit - len(rows)))).all()
    if not rows:
        return []
    for chunk in _chunks([row.id for row in rows]):
        await conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(chunk))
            .values(status=OutboxStatus.SENDING, claimed_at=at)
        )
    # A batch holds the rows of a call or two: their message is read once per call.
    call_ids = sorted({row.callout_id for row in rows if row.callout_id is not None})
    messages: dict[int, Any] = {}
    if call_ids:
        messages = dict(
            (
                await conn.execute(
                    select(callouts.c.id, callouts.c.payload).where(callouts.c.id.in_(call_ids))
                )
            ).all()
        )
    return [
        Claimed(id_, chat, volunteer, call, kind, composed(own, messages.get(call)), attempts)
        for id_, chat, volunteer, call, kind, own, attempts in rows
    ]


async def release(conn: AsyncConnection, ids: Iterable[int]) -> None:
    """Hand claimed rows back untouched (the sender is stopping): pending, as if never claimed."""
    ids = list(ids)
    if ids:
        await conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.PENDING, claimed_at=None)
        )


# Rows marked per statement: few statements keep SQLite's work out of the event loop's way (each
# row of an executemany is a separate step that has to win the GIL back from the loop), and stay
# well inside both engines' limits on bound parameters.
_CHUNK = 1000


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _mark_sent(dialect: str) -> Update:
    """Marks the rows ``ids`` sent ``at``, each with its message id from ``message_ids``, a JSON
    object {"row id": message id}: one parameter for a batch, where a CASE takes two a row, and
    SQLAlchemy builds those slowly enough to be a good part of an unpaced sender's work."""
    message_ids = bindparam("message_ids", type_=String)
    row_id = cast(outbox.c.id, String)
    if dialect == "postgresql":
        message_id = cast(cast(message_ids, JSONB).op("->>")(row_id), BigInteger)
    else:
        message_id = func.json_extract(message_ids, literal('$."') + row_id + literal('"'))
    return (
        update(outbox)
        .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
        .values(
            status=OutboxStatus.SENT,
            attempts=outbox.c.attempts + 1,
            sent_at=bindparam("at", type_=UTCDateTime),
            message_id=message_id,
            last_error=None,
        )
    )


# Built once: the statement, like its compiled form, is the same for every batch.
_MARK_SENT = {dialect: _mark_sent(dialect) for dialect in ("sqlite", "postgresql")}


async def record(conn: AsyncConnection, outcomes: Iterable[Outcome], at: datetime) -> None:
    """Mark a batch of claimed rows done (or due again), and volunteers who turned out to be
    unreachable, in the caller's transaction, in as few statements as the outcomes allow."""
    sent: list[Outcome] = []
    others: dict[tuple[str, str | None, int], list[Outcome]] = {}
    unreachable: set[int] = set()
    for outcome in outcomes:
        if outcome.status == OutboxStatus.SENT:
            sent.append(outcome)
            continue
        tries = 1 if outcome.counts_as_attempt else 0
        others.setdefault((outcome.status, outcome.error, tries), []).append(outcome)
        if outcome.status == OutboxStatus.UNREACHABLE and outcome.row.volunteer_id is not None:
            unreachable.add(outcome.row.volunteer_id)
    for chunk in _chunks(sent):
        await conn.execute(
            _MARK_SENT[conn.dialect.name],
            {
                "ids": [outcome.row.id for outcome in chunk],
                "message_ids": json.dumps(
                    {str(outcome.row.id): outcome.message_id for outcome in chunk}
                ),
                "at": at,
            },
        )
    for (status, error, tries), group in others.items():
        for chunk in _chunks(group):
            values: dict[str, Any] = {
                "status": status,
                "attempts": outbox.c.attempts + tries,
                "last_error": error,
            }
            if status == OutboxStatus.PENDING:  # due again, each at its own time
                values["claimed_at"] = None
                values["next_attempt_at"] = case(
                    {outcome.row.id: outcome.retry_at or at for outcome in chunk},
                    value=outbox.c.id,
                )
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([outcome.row.id for outcome in chunk]))
                .values(values)
            )
    for outcome in sent:
        if call_id := outcome.row.payload.get("progress_of"):
            await conn.execute(
                update(callouts)
                .where(callouts.c.id == call_id)
                .values(progress_message_id=outcome.message_id)
            )
    if unreachable:
        await conn.execute(
            update(volunteers)
            .where(volunteers.c.id.in_(sorted(unreachable)), volunteers.c.unreachable_at.is_(None))
            .values(unreachable_at=at)
        )


async def next_due(conn: AsyncConnection) -> datetime | None:
    """When the earliest pending row falls due (None if nothing is pending)."""
    return await conn.scalar(
        select(func.min(outbox.c.next_attempt_at)).where(outbox.c.status == OutboxStatus.PENDING)
    )


async def callout_counts(conn: AsyncConnection, callout_id: int) -> Counter[str]:
    """How many of a call's rows are in each status."""
    rows = await conn.execute(
        select(outbox.c.status, func.count())
        .where(outbox.c.callout_id == callout_id)
        .group_by(outbox.c.status)
    )
    return Counter({status: count for status, count in rows})


@dataclass(frozen=True)
class CallProgress:
    """Where a shift call stands, for the organiser's progress message and report."""

    callout_id: int
    title: str
    total: int
    sent: int
    unreachable: int
    failed: int
    progress_chat_id: int | None
    progress_message_id: int | None
    # The organiser's volunteer row, so that erasing them also clears the report sent to them.
    organiser_id: int | None = None


async def call_progress(conn: AsyncConnection, callout_id: int) -> CallProgress | None:
    row = (
        await conn.execute(
            select(
                callouts.c.recipients,
                callouts.c.progress_chat_id,
                callouts.c.progress_message_id,
                events.c.title,
            )
            .join(events, events.c.id == callouts.c.event_id)
            .where(callouts.c.id == callout_id)
        )
    ).first()
    if row is None:
        return None
    counts = await callout_counts(conn, callout_id)
    organiser_id = None
    if row.progress_chat_id is not None:
        organiser_id = await conn.scalar(
            select(volunteers.c.id).where(volunteers.c.telegram_id == row.progress_chat_id)
        )
    return CallProgress(
        callout_id=callout_id,
        title=row.title,
        total=row.recipients if row.recipients is not None else sum(counts.values()),
        sent=counts[OutboxStatus.SENT],
        unreachable=counts[OutboxStatus.UNREACHABLE],
        failed=counts[OutboxStatus.FAILED],
        progress_chat_id=row.progress_chat_id,
        progress_message_id=row.progress_message_id,
        organiser_id=organiser_id,
    )


def _open_rows(callout_id: Any) -> Any:
    return (
        select(outbox.c.id)
        .where(outbox.c.callout_id == callout_id, outbox.c.status.in_(OPEN))
        .exists()
    )


async def finish_call(conn: AsyncConnection, callout_id: int, at: datetime) -> CallProgress | None:
    """Mark a sending call done if none of its rows is pending or sending any more.

    Returns its final figures when this call to it did the marking (so exactly one sender sends
    the report), else None.
    """
    result = await conn.execute(
        update(callouts)
        .where(
            callouts.c.id == callout_id,
            callouts.c.status == CallStatus.SENDING,
            ~_open_rows(callout_id),
        )
        .values(status=CallStatus.DONE, finished_at=at)
    )
    if result.rowcount != 1:
        return None
    return await call_progress(conn, callout_id)


async def calls_to_finish(conn: AsyncConnection) -> list[int]:
    """Sending calls with nothing left to send (e.g. the last rows were marked by a sender that
    then crashed, or belonged to volunteers who were forgotten)."""
    return list(
        await conn.scalars(
            select(callouts.c.id)
            .where(callouts.c.status == CallStatus.SENDING, ~_open_rows(callouts.c.id))
            .order_by(callouts.c.id)
        )
    )


async def forget_volunteer(conn: AsyncConnection, volunteer_id: int) -> None:
    """Erasure: clear the chat id and the text of every row for this volunteer. Rows not yet sent
    stay pending and are then marked unreachable without being sent. Rows to others about them
    lose their text too."""
    await conn.execute(
        update(outbox).where(outbox.c.volunteer_id == volunteer_id).values(chat_id=None, payload={})
    )
    # Messages to others about them: no text left, and those not sent yet are not sent at all.
    about = outbox.c.payload["about"].as_integer() == volunteer_id
    await conn.execute(
        update(outbox)
        .where(about, outbox.c.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED)
    )
    await conn.execute(update(outbox).where(about).values(payload={}))


@dataclass(frozen=True)
class Delivered:
    """A message the outbox delivered: what it was for, Telegram's id for it, its buttons."""

    kind: str
    message_id: int
    reply_markup: dict[str, Any] | None


async def latest_with_buttons(
    conn: AsyncConnection, chat_id: int, kinds: Iterable[str] | None = None
) -> Delivered | None:
    """The newest message of ``kinds`` (None: of any kind) delivered to a chat that carried
    buttons; an edit of an earlier message is not a new one."""
    kind = outbox.c.kind.in_(list(kinds)) if kinds is not None else outbox.c.kind != "card_edit"
    rows = (
        await conn.execute(
            select(
                outbox.c.kind,
                outbox.c.message_id,
                outbox.c.payload,
                callouts.c.payload.label("call_payload"),
            )
            .outerjoin(callouts, callouts.c.id == outbox.c.callout_id)
            .where(
                outbox.c.chat_id == chat_id,
                outbox.c.status == OutboxStatus.SENT,
                kind,
                outbox.c.message_id.is_not(None),
            )
            .order_by(outbox.c.message_id.desc())
            # A card is followed by a few plain messages at most (its venue, calendar file).
            .limit(5 if kinds is not None else 20)
        )
    ).all()
    for row in rows:
        if markup := composed(row.payload, row.call_payload).get("reply_markup"):
            return Delivered(row.kind, int(row.message_id), markup)
    return None


async def delivered_of_kind(
    conn: AsyncConnection, chat_id: int, kind: str
) -> list[tuple[int, dict[str, Any]]]:
    """Messages of ``kind`` delivered to a chat, newest first, as (message id, payload): few
    per chat, found by the (chat id, message id) index."""
    rows = await conn.execute(
        select(outbox.c.message_id, outbox.c.payload)
        .where(
            outbox.c.chat_id == chat_id,
            outbox.c.message_id.is_not(None),
            outbox.c.kind == kind,
            outbox.c.status == OutboxStatus.SENT,
        )
        .order_by(outbox.c.message_id.desc())
    )
    return [(int(row.message_id), row.payload or {}) for row in rows]
