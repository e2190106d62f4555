"""Which cards a volunteer holds for an event: messages in their chat that show their answer or
offer buttons for its shifts, so that they can be edited when that changes.

Two sources, one answer: cards the bot sent as direct answers are rows of ``cards``; cards the
outbox delivered are its sent rows, a shift call by its ``callout_id``, any other card (a chaser,
a "Still coming?" reminder) by the ``card`` it carries in its payload.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.statuses import OutboxStatus
from db.schema import callouts, cards, outbox, rsvps, shifts, volunteers

# Kinds of card (bot.services.cards renders each).
CALL = "call"  # a shift call: the event's card with the organiser's line
EVENT = "event"  # the event's card: from its share link, /myshifts' Change, or a chaser
MYSHIFT = "myshift"  # one line of /myshifts with Change and Cancel
REMINDER = "reminder"  # "Still coming?" the day before, with Yes / Can't make it now
SOON = "soon"  # "See you soon!" nearer the time: when and where, without buttons
CHECKIN = "checkin"  # "Are you there?" at the start, with I'm here / Running late / Can't come
DEBRIEF = "debrief"  # "How many doors did you knock?" at the end, with a button per number
LIFT = "lift"  # the lift question again, from /myshifts (nothing to edit: typed words answer it)


@dataclass(frozen=True)
class Held:
    kind: str
    volunteer_id: int
    chat_id: int
    message_id: int
    event_id: int
    shift_ids: tuple[int, ...]
    callout_id: int | None = None


def marker(kind: str, event_id: int, shift_ids: Iterable[int]) -> dict[str, object]:
    """What an outbox row that is a card carries in its payload, to be found again."""
    return {"kind": kind, "event_id": event_id, "shift_ids": list(shift_ids)}


async def remember(
    conn: AsyncConnection,
    *,
    volunteer_id: int,
    chat_id: int,
    message_id: int,
    kind: str,
    event_id: int,
    shift_ids: Iterable[int],
    at: datetime,
) -> None:
    await conn.execute(
        insert(cards).values(
            volunteer_id=volunteer_id,
            chat_id=chat_id,
            message_id=message_id,
            kind=kind,
            event_id=event_id,
            shift_ids=list(shift_ids),
            created_at=at,
        )
    )


async def latest_event_card(conn: AsyncConnection, volunteer_id: int) -> tuple[int, int] | None:
    """The newest event card sent to a volunteer as a direct answer (a share link, /myshifts'
    Change), as (message id, event id): typed "yes" or "can't" answers it when it is newer than
    their last shift call. Message ids in a chat only grow."""
    row = (
        await conn.execute(
            select(cards.c.message_id, cards.c.event_id)
            .where(cards.c.volunteer_id == volunteer_id, cards.c.kind == EVENT)
            .order_by(cards.c.message_id.desc())
            .limit(1)
        )
    ).first()
    return (row.message_id, row.event_id) if row else None


async def latest_of(
    conn: AsyncConnection, volunteer_id: int, kinds: Iterable[str]
) -> Held | None:
    """The newest card of ``kinds`` sent to a volunteer as a direct answer."""
    row = (
        await conn.execute(
            select(cards)
            .where(cards.c.volunteer_id == volunteer_id, cards.c.kind.in_(list(kinds)))
            .order_by(cards.c.message_id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Held(
        row.kind, row.volunteer_id, row.chat_id, row.message_id, row.event_id, tuple(row.shift_ids)
    )


async def held(
    conn: AsyncConnection, event_id: int, volunteer_ids: Iterable[int] | None = None
) -> list[Held]:
    """Every card for ``event_id`` in the chats of ``volunteer_ids``, oldest first; None: of
    everyone who may hold one (sent a call for it, or with an answer for one of its shifts,
    which reminders and prompts follow, or given its card directly)."""
    ids: set[int] | None = None
    people: ColumnElement[bool]
    if volunteer_ids is not None:
        ids = set(volunteer_ids)
        if not ids:
            return []
        people = volunteers.c.id.in_(sorted(ids))
        direct = cards.c.volunteer_id.in_(sorted(ids))
    else:
        answered = (
            select(rsvps.c.volunteer_id)
            .join(shifts, shifts.c.id == rsvps.c.shift_id)
            .where(shifts.c.event_id == event_id)
        )
        called = (
            select(outbox.c.volunteer_id)
            .join(callouts, callouts.c.id == outbox.c.callout_id)
            .where(callouts.c.event_id == event_id)
        )
        people = or_(volunteers.c.id.in_(answered), volunteers.c.id.in_(called))
        direct = true()
    found = [
        Held(
            row.kind,
            row.volunteer_id,
            row.chat_id,
            row.message_id,
            row.event_id,
            tuple(row.shift_ids),
        )
        for row in await conn.execute(
            select(cards).where(direct, cards.c.event_id == event_id).order_by(cards.c.id)
        )
    ]
    # By chat, so the (chat id, message id) index finds them: a volunteer's own messages are few.
    chats = select(volunteers.c.telegram_id).where(people)
    rows = await conn.execute(
        select(
            outbox.c.volunteer_id,
            outbox.c.chat_id,
            outbox.c.message_id,
            outbox.c.callout_id,
            outbox.c.payload,
            callouts.c.event_id.label("call_event_id"),
            callouts.c.shift_ids.label("call_shift_ids"),
        )
        .outerjoin(callouts, callouts.c.id == outbox.c.callout_id)
        .where(
            outbox.c.chat_id.in_(chats),
            outbox.c.message_id.is_not(None),
            outbox.c.status == OutboxStatus.SENT,
        )
        .order_by(outbox.c.id)
    )
    for row in rows:
        if row.volunteer_id is None or (ids is not None and row.volunteer_id not in ids):
            continue
        if row.callout_id is not None:
            if row.call_event_id == event_id:
                found.append(
                    Held(
                        CALL,
                        row.volunteer_id,
                        row.chat_id,
                        row.message_id,
                        event_id,
                        tuple(row.call_shift_ids),
                        row.callout_id,
                    )
                )
            continue
        card = (row.payload or {}).get("card")
        if card and card.get("event_id") == event_id:
            found.append(
                Held(
                    card["kind"],
                    row.volunteer_id,
                    row.chat_id,
                    row.message_id,
                    event_id,
                    tuple(card["shift_ids"]),
                )
            )
    return found
