"""The live polling-day board: one message, in a coordinator's or a room manager's private chat
or in a committee room's group, showing per room the helpers in now, out on rounds, back,
expected for the next shift, not arrived and doors so far, short rooms first; edited every
BOARD_EVERY_MINUTES until someone taps Stop or polls close.

The first message is the direct answer to /board (sent by the handler); every later edit is an
outbox row (kind ``board_edit``, the urgent lane), queued by a piece of scheduled work (kind
``board``) that queues the next one, so the budget paces them, a group gets far fewer than its
20 a minute, and a restart carries on. An edit that would change nothing is not queued, nor one
while the last is still on its way; when Telegram refuses an edit because the message was
deleted or the bot left the group, the board stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.board import (
    Ended,
    RoomShift,
    fingerprint,
    next_turn,
    ordered,
    room_line,
    wanted,
)
from bot.domain.permissions import Access, Role
from bot.domain.planning import Kind
from bot.domain.polling import Election
from bot.domain.sending import BOARD_EDIT
from bot.domain.statuses import WorkStatus
from bot.services.polling import today
from db import board as boards
from db import outbox, volunteers, work
from db import polling as polls

State = Literal["live", "stopped", "closed"]


@dataclass(frozen=True)
class Scope:
    """What a board shows: every room of the election (``whole``) or those ``volunteer_id``
    manages, and whose it is."""

    election: Election
    whole: bool
    volunteer_id: int


async def _scope_in(
    conn: AsyncConnection, access: Access, volunteer_id: int, election: Election, zone: ZoneInfo
) -> Scope | None:
    if access.covers_all(Role.COORDINATOR, election.areas):
        return Scope(election, True, volunteer_id)
    for event, _ in await polls.rooms(conn, election, zone):
        if event.manager_id == volunteer_id:
            return Scope(election, False, volunteer_id)
    return None


async def scope_for(
    conn: AsyncConnection, at: datetime, access: Access, zone: ZoneInfo
) -> Scope | None:
    """The board someone may see: today's election, else the next, that they coordinate (all
    its areas) or manage a committee room of; None for everyone else."""
    person = await volunteers.by_telegram_id(conn, access.telegram_id)
    if person is None or not person.signed_up:
        return None
    for election in await polls.listed(conn, from_day=today(at, zone)):
        found = await _scope_in(conn, access, person.id, election, zone)
        if found is not None:
            return found
    return None


async def render(
    conn: AsyncConnection, at: datetime, scope: Scope, zone: ZoneInfo, *, every: int, state: State
) -> tuple[str, str]:
    """The board's text as of ``at``, and the fingerprint of what it shows (its figures and
    state, not the time it was drawn)."""
    lines = []
    for event, day_shifts in await polls.rooms(conn, scope.election, zone):
        if not scope.whole and event.manager_id != scope.volunteer_id:
            continue
        room_shifts = [
            RoomShift(s.id, s.starts_at, s.ends_at, wanted(event.min_helpers, s.capacity))
            for s in day_shifts
        ]
        people = await boards.on_shifts(conn, [s.id for s in day_shifts], at)
        lines.append(room_line(event.id, event.title, room_shifts, people, at))
    body = texts.board_body(ordered(lines), zone)
    text = texts.board(scope.election, body, at, zone, every=every, state=state)
    return text, fingerprint(f"{state}\n{body}")


@dataclass(frozen=True)
class Opened:
    scope: Scope
    text: str
    shown: str
    live: bool  # False once polls have closed: shown as it ends, without Stop
    closes_at: datetime


async def open_board(
    conn: AsyncConnection, at: datetime, access: Access, zone: ZoneInfo, *, every: int
) -> Opened | None:
    """/board: the board to send, or None when there is none for them."""
    scope = await scope_for(conn, at, access, zone)
    if scope is None:
        return None
    closes_at = scope.election.closes_at(zone)
    closed = at >= closes_at
    text, shown = await render(
        conn, at, scope, zone, every=every, state="closed" if closed else "live"
    )
    return Opened(scope, text, shown, live=not closed, closes_at=closes_at)


def _detail(board_id: int, due_at: datetime) -> str:
    return f"{board_id}@{int(due_at.timestamp())}"


def board_of(detail: str) -> int:
    """The board a piece of ``board`` work is about."""
    return int(detail.split("@", 1)[0])


async def remember(
    conn: AsyncConnection,
    at: datetime,
    opened: Opened,
    *,
    chat_id: int,
    message_id: int,
    every: int,
) -> int:
    """Keep the board just sent, so it is edited from now on (unless polls have closed); an
    older board in the same chat stops, saying so. Returns its id."""
    for older in await boards.live_in(conn, chat_id):
        if await boards.stop(conn, older, at, Ended.REPLACED):
            found = await boards.by_id(conn, older)
            assert found is not None
            await outbox.enqueue(
                conn,
                [_edit(found, texts.BOARD_REPLACED, None)],
                at=at,
            )
    board_id = await boards.create(
        conn,
        at,
        election_id=opened.scope.election.id,
        chat_id=chat_id,
        message_id=message_id,
        started_by=opened.scope.volunteer_id,
        whole=opened.scope.whole,
        shown=opened.shown,
    )
    if not opened.live:
        await boards.stop(conn, board_id, at, Ended.CLOSED)
    else:
        due = next_turn(at, every, opened.closes_at)
        await work.schedule(conn, Kind.BOARD, _detail(board_id, due), due)
    return board_id


def _edit(
    found: boards.Board, text: str, markup: keyboards.InlineKeyboardMarkup | None
) -> outbox.Outgoing:
    private = found.chat_id > 0
    return outbox.Outgoing(
        chat_id=found.chat_id,
        # In their own chat the board is a message to them (erased with them); a group is no one.
        volunteer_id=found.started_by if private else None,
        kind=BOARD_EDIT,
        text=text,
        reply_markup=markup.to_dict() if markup is not None else None,
        edit_of=found.message_id,
    )


async def refresh(
    conn: AsyncConnection, at: datetime, detail: str, zone: ZoneInfo, *, every: int
) -> WorkStatus:
    """A board's turn to be brought up to date (scheduled work), in the caller's transaction:
    queue its edit if what it shows changed, and its next turn; at the close of polls, the last
    edit, without Stop."""
    found = await boards.by_id(conn, board_of(detail))
    if found is None or found.stopped_at is not None:
        return WorkStatus.SKIPPED
    last = await boards.edit_state(conn, found.last_edit_id) if found.last_edit_id else None
    if last is not None and last.gone:
        await boards.stop(conn, found.id, at, Ended.GONE)
        return WorkStatus.DONE
    election = await polls.by_id(conn, found.election_id)
    assert election is not None  # its boards go with it
    scope = Scope(election, found.whole, found.started_by)
    closes_at = election.closes_at(zone)
    closed = at >= closes_at
    text, shown = await render(
        conn, at, scope, zone, every=every, state="closed" if closed else "live"
    )
    if closed:
        await outbox.enqueue(conn, [_edit(found, text, None)], at=at)
        await boards.stop(conn, found.id, at, Ended.CLOSED)
        return WorkStatus.DONE
    if shown != found.shown and not (last is not None and last.open):
        markup = keyboards.board_stop(election.id)
        await outbox.enqueue(conn, [_edit(found, text, markup)], at=at)
        edit_id = await boards.latest_edit(conn, found.chat_id, BOARD_EDIT)
        await boards.shown(conn, found.id, shown, edit_id)
    due = next_turn(at, every, closes_at)
    await work.schedule(conn, Kind.BOARD, _detail(found.id, due), due)
    return WorkStatus.DONE


StopResult = Literal["stopped", "already", "not_yours"]


@dataclass(frozen=True)
class Stopped:
    result: StopResult
    text: str | None = None  # the board as it stands, stopped


async def stop(
    conn: AsyncConnection,
    at: datetime,
    access: Access,
    *,
    chat_id: int,
    message_id: int,
    zone: ZoneInfo,
    every: int,
) -> Stopped:
    """Stop on a board: by whoever started it, a coordinator of its election or a manager of
    one of its rooms."""
    found = await boards.on_message(conn, chat_id, message_id)
    if found is None or found.stopped_at is not None:
        return Stopped("already")
    election = await polls.by_id(conn, found.election_id)
    assert election is not None
    person = await volunteers.by_telegram_id(conn, access.telegram_id)
    if person is None or (
        person.id != found.started_by
        and await _scope_in(conn, access, person.id, election, zone) is None
    ):
        return Stopped("not_yours")
    await boards.stop(conn, found.id, at, Ended.STOP)
    if found.last_edit_id is not None:
        # The handler edits the message now: an older edit still queued must not undo that.
        await boards.drop_edit(conn, found.last_edit_id)
    scope = Scope(election, found.whole, found.started_by)
    text, _ = await render(conn, at, scope, zone, every=every, state="stopped")
    return Stopped("stopped", text)
