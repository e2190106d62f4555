"""Shift calls: the events an organiser may call for, how many a draft call reaches, creating a
call now or for later (with its audit record), the forecast's one-tap top-up, and launching: work
out who a call reaches now, and queue one message each in the outbox, with the organiser's
progress message ahead of them.

The audience is worked out at the moment of sending, so a call scheduled for later skips people
who paused, forgot or answered in the meantime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.audience import (
    TOP_UP_RESTS,
    Audience,
    Place,
    Standby,
    best_standby,
    slots_for,
    top_up_size,
    weekend_of,
)
from bot.domain.events import Event, Shift
from bot.domain.permissions import Access, Role
from bot.domain.planning import can_send_at, default_deadline
from bot.domain.sending import CALL, URGENT_CALL
from bot.domain.statuses import EventStatus
from db import attendance, audit, callouts, events, outbox, polling
from db.callouts import Callout, Recipient
from db.places import lookup


@dataclass(frozen=True)
class Calling:
    """An event a call is being drafted for, as it stands: its shifts still open for answers and,
    when counted, how many the call would reach now."""

    event: Event
    shifts: tuple[Shift, ...]
    reaches: int | None = None

    def chosen(self, shift_ids: Iterable[int]) -> list[Shift]:
        wanted = set(shift_ids)
        return [s for s in self.shifts if s.id in wanted]


@dataclass(frozen=True)
class NewCall:
    """A call as an organiser made it."""

    event_id: int
    shift_ids: tuple[int, ...]
    filters: Audience
    line: str | None  # their own line, if any
    by: int  # their Telegram id
    progress_chat_id: int  # where they see it go out


async def events_to_call(
    conn: AsyncConnection, at: datetime, areas: Iterable[str] | None
) -> list[Calling]:
    """The events in ``areas`` (None: all) with a shift still open for answers, soonest first."""
    found = [
        Calling(event, tuple(s for s in shifts if s.open_at(at)))
        for event, shifts in await events.upcoming(conn, areas=areas, at=at)
    ]
    return [calling for calling in found if calling.shifts]


async def event_to_call(conn: AsyncConnection, at: datetime, event_id: int) -> Calling:
    """The event a draft is for, with its shifts still open for answers."""
    event = await events.by_id(conn, event_id)
    assert event is not None  # events are cancelled, never deleted
    shifts = await events.shifts_of(conn, event_id)
    return Calling(event, tuple(s for s in shifts if s.open_at(at)))


async def live_count(
    conn: AsyncConnection,
    at: datetime,
    *,
    event_id: int,
    shift_ids: Iterable[int],
    filters: Audience,
    zone: ZoneInfo,
) -> Calling:
    """The event a draft is for, and how many the draft's shifts and filters reach now."""
    calling = await event_to_call(conn, at, event_id)
    reach = await _reach(conn, calling.event, calling.chosen(shift_ids), filters, zone)
    return Calling(calling.event, calling.shifts, await callouts.count(conn, reach, at))


async def plan(
    conn: AsyncConnection,
    event: Event,
    call_shifts: list[Shift],
    filters: Audience,
    zone: ZoneInfo,
    at: datetime,
) -> list[Recipient]:
    """Everyone a call for ``call_shifts`` with ``filters`` reaches now."""
    return await callouts.audience(conn, await _reach(conn, event, call_shifts, filters, zone), at)


async def _reach(
    conn: AsyncConnection,
    event: Event,
    call_shifts: list[Shift],
    filters: Audience,
    zone: ZoneInfo,
) -> callouts.Reach:
    days = await polling.polling_days(conn, event.area)
    slots = set().union(*(slots_for(s.starts_at, event.kind, zone, days) for s in call_shifts))
    weekends = sorted({weekend_of(s.starts_at, zone) for s in call_shifts})
    return callouts.Reach(event, call_shifts, filters, slots, weekends)


def message(
    event: Event, call_shifts: list[Shift], line: str | None, zone: ZoneInfo
) -> tuple[str, dict]:
    """Exactly what each volunteer gets: the text and its keyboard (as Telegram JSON)."""
    text = texts.rsvp_card(texts.CALL_INTRO, event, call_shifts, zone, organiser_line=line)
    return text, keyboards.rsvp(call_shifts, event.id, zone).to_dict()


async def send_now(
    conn: AsyncConnection,
    at: datetime,
    call: NewCall,
    *,
    rsvp_before: timedelta,
    zone: ZoneInfo,
    urgent: bool = False,
    paid: bool = False,
) -> int:
    """Create a call, with its audit record, and launch it at once; returns how many it reaches.

    ``rsvp_before``: how long before its first shift answers close. ``urgent``: it goes out
    ahead of other calls and reminders (bot.domain.sending); ``paid``: as a paid broadcast."""
    calling = await event_to_call(conn, at, call.event_id)
    chosen = calling.chosen(call.shift_ids)
    callout_id = await _create(
        conn,
        at,
        call,
        send_at=at,
        rsvp_deadline=(
            default_deadline(min(s.starts_at for s in chosen), at, rsvp_before) if chosen else None
        ),
        audited={**call.filters.to_json(), **({"urgent": True, "paid": paid} if urgent else {})},
    )
    return await _launch(
        conn,
        await callouts.claim_now(conn, callout_id),
        calling.event,
        zone,
        at,
        urgent=urgent,
        paid=paid,
    )


async def send_later(
    conn: AsyncConnection,
    at: datetime,
    call: NewCall,
    *,
    send_at: datetime,
    rsvp_before: timedelta,
) -> bool:
    """Create a call to go out at ``send_at``, with its audit record; False (and nothing changes)
    when that time has passed or is not before the first chosen shift still open."""
    calling = await event_to_call(conn, at, call.event_id)
    starts = [s.starts_at for s in calling.chosen(call.shift_ids)]
    if not can_send_at(send_at, at, starts):
        return False
    await _create(
        conn,
        at,
        call,
        send_at=send_at,
        rsvp_deadline=default_deadline(min(starts), send_at, rsvp_before),
        audited=call.filters.to_json(),
    )
    return True


TopUpResult = Literal["sent", "not_allowed", "closed", "nobody"]


async def top_up(
    conn: AsyncConnection,
    at: datetime,
    *,
    access: Access,
    shift_id: int,
    progress_chat_id: int,
    newcomer_show_rate: float,
    zone: ZoneInfo,
) -> TopUpResult:
    """The forecast's one tap: a call for a shift that may be short to the best standby
    volunteers (free then, not asked lately; ranked by bot.domain.audience.best_standby)."""
    found = await events.shift_with_event(conn, shift_id)
    if found is None or not access.covers(Role.ORGANISER, found[1].area):
        return "not_allowed"
    shift, event = found
    if not shift.open_at(at) or event.status != EventStatus.ACTIVE:
        return "closed"
    reach = await _reach(conn, event, [shift], Audience(fits_availability=True), zone)
    rested = await callouts.recently_called(conn, at - TOP_UP_RESTS)
    free = [p for p in await callouts.audience(conn, reach, at) if p.volunteer_id not in rested]
    rates = await attendance.show_rates(conn, await callouts.audience_ids(conn, reach, at), at)
    picked = best_standby(
        [
            Standby(p.volunteer_id, p.place or Place(None, None, None), rates.get(p.volunteer_id))
            for p in free
        ],
        await lookup.meeting_place(conn, event),
        newcomer_show_rate,
        top_up_size(max(shift.capacity, event.min_helpers or 0), shift.going),
    )
    if not picked:
        return "nobody"
    call = NewCall(
        event_id=event.id,
        shift_ids=(shift.id,),
        filters=Audience(only=frozenset(picked)),
        line=texts.TOP_UP_LINE,
        by=access.telegram_id,
        progress_chat_id=progress_chat_id,
    )
    callout_id = await _create(
        conn,
        at,
        call,
        send_at=at,
        rsvp_deadline=None,
        audited={"top_up": len(picked)},
    )
    await _launch(conn, await callouts.claim_now(conn, callout_id), event, zone, at)
    return "sent"


async def _create(
    conn: AsyncConnection,
    at: datetime,
    call: NewCall,
    *,
    send_at: datetime,
    rsvp_deadline: datetime | None,
    audited: dict[str, object],
) -> int:
    """The call's row and its audit record (``audited``: what the log keeps of its audience)."""
    callout_id = await callouts.create(
        conn,
        event_id=call.event_id,
        shift_ids=list(call.shift_ids),
        filters=call.filters,
        message=call.line,
        created_by=call.by,
        send_at=send_at,
        progress_chat_id=call.progress_chat_id,
        rsvp_deadline=rsvp_deadline,
        at=at,
    )
    await audit.record(
        conn,
        actor_telegram_id=call.by,
        action="callout",
        event_id=call.event_id,
        callout_id=callout_id,
        shifts=len(call.shift_ids),
        audience=audited,
        scheduled=send_at > at,
        at=at,
    )
    return callout_id


async def launch_due(conn: AsyncConnection, at: datetime, zone: ZoneInfo) -> int:
    """Launch every call scheduled for later whose time has come; returns how many."""
    due = await callouts.claim_due(conn, at)
    for callout_id in due:
        call = await callouts.by_id(conn, callout_id)
        assert call is not None
        await _launch(conn, call, await events.by_id(conn, call.event_id), zone, at)
    return len(due)


async def _launch(
    conn: AsyncConnection,
    call: Callout,
    event: Event | None,
    zone: ZoneInfo,
    at: datetime,
    *,
    urgent: bool = False,
    paid: bool = False,
) -> int:
    """Queue the call's messages; returns how many. A call with nobody to reach is done at once.

    The organiser's progress message goes ahead of them (its lane is before a call's); the
    outbox sender edits it as the call goes out.
    """
    call_shifts = [s for s in await events.shifts_by_ids(conn, call.shift_ids) if s.open_at(at)]
    reached = 0
    if event is not None and event.status == EventStatus.ACTIVE and call_shifts:
        text, markup = message(event, call_shifts, call.message, zone)
        reached = await callouts.queue(
            conn,
            await _reach(conn, event, call_shifts, Audience.from_json(call.audience), zone),
            callout_id=call.id,
            kind=URGENT_CALL if urgent else CALL,
            message={"text": text, "reply_markup": markup, **({"paid": True} if paid else {})},
            at=at,
        )
    if call.progress_chat_id is not None:
        await outbox.enqueue(
            conn,
            [
                outbox.Outgoing(
                    chat_id=call.progress_chat_id,
                    volunteer_id=None,
                    kind="call_progress",
                    text=texts.callout_started(reached),
                    progress_of=call.id if reached else None,
                )
            ],
            at=at,
        )
    if reached:
        await callouts.mark_sending(conn, call.id, recipients=reached, progress_message_id=None)
    else:
        await callouts.mark_done_empty(conn, call.id, at=at)
    return reached
