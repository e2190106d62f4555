"""Launching a shift call: work out who it reaches now, and queue one message each in the outbox,
with the organiser's progress message ahead of them.

The audience is worked out at the moment of sending, so a call scheduled for later skips people
who paused, forgot or answered in the meantime.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.audience import Audience, slots_for
from bot.domain.events import Event, Shift
from bot.domain.statuses import EventStatus
from db import callouts, events, outbox
from db.callouts import Callout, Recipient


async def plan(
    conn: AsyncConnection,
    event: Event,
    call_shifts: list[Shift],
    filters: Audience,
    zone: ZoneInfo,
    at: datetime,
) -> list[Recipient]:
    slots = set().union(*(slots_for(s.starts_at, event.kind, zone) for s in call_shifts))
    return await callouts.audience(
        conn, event=event, call_shifts=call_shifts, filters=filters, slots=slots, at=at
    )


def message(
    event: Event, call_shifts: list[Shift], line: str | None, zone: ZoneInfo
) -> tuple[str, dict]:
    """Exactly what each volunteer gets: the text and its keyboard (as Telegram JSON)."""
    text = texts.rsvp_card(texts.CALL_INTRO, event, call_shifts, zone, organiser_line=line)
    return text, keyboards.rsvp(call_shifts, event.id, zone).to_dict()


async def launch(conn: AsyncConnection, call: Callout, zone: ZoneInfo, at: datetime) -> int:
    """Queue the call's messages; returns how many. A call with nobody to reach is done at once.

    The organiser's progress message goes first; the outbox sender edits it as the call goes out.
    """
    event = await events.by_id(conn, call.event_id)
    call_shifts = [s for s in await events.shifts_by_ids(conn, call.shift_ids) if s.open_at(at)]
    people: list[Recipient] = []
    if event is not None and event.status == EventStatus.ACTIVE and call_shifts:
        people = await plan(conn, event, call_shifts, Audience.from_json(call.audience), zone, at)
    if call.progress_chat_id is not None:
        await outbox.enqueue(
            conn,
            [
                outbox.Outgoing(
                    chat_id=call.progress_chat_id,
                    volunteer_id=None,
                    kind="call_progress",
                    text=texts.callout_started(len(people)),
                    progress_of=call.id if people else None,
                )
            ],
            at=at,
        )
    if people:
        assert event is not None
        text, markup = message(event, call_shifts, call.message, zone)
        await outbox.enqueue(
            conn,
            (
                outbox.Outgoing(
                    chat_id=person.telegram_id,
                    volunteer_id=person.volunteer_id,
                    kind="callout",
                    text=text,
                    reply_markup=markup,
                    callout_id=call.id,
                )
                for person in people
            ),
            at=at,
        )
        await callouts.mark_sending(conn, call.id, recipients=len(people), progress_message_id=None)
    else:
        await callouts.mark_done_empty(conn, call.id, at=at)
    return len(people)
