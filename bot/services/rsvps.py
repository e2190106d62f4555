"""Answering an RSVP: a tap on a shift, "can't", an answer in words, cancelling from /myshifts or
the day-before check. Each runs in the caller's transaction, applies the RSVP rules, and queues
every message the answer causes in the outbox: the meeting point and calendar file, the waitlist
place, the good news to whoever moves up, and the organisers' alert about a late cancel. The
person who acted gets only the direct answer from their handler.

Rows to one chat go out in the order they were queued, so each person's are queued in the order
they should read them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import ics, texts
from bot.domain.events import Event, Shift
from bot.domain.rsvp import Outcome, Promotion, ShiftClosed, is_late_cancel, shifts_to_answer
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services.organisers import tell_organisers
from db import events, outbox, rsvps


@dataclass(frozen=True)
class Answered:
    """What an answer did: one outcome per shift it covered (none if every shift had closed, or
    a maybe found every shift answered already), and the shift dropped close to its start, if
    any, whose reason the handler may ask for."""

    outcomes: tuple[Outcome, ...]
    late_shift_id: int | None = None


async def answer(
    conn: AsyncConnection,
    *,
    at: datetime,
    volunteer: Volunteer,
    shift_ids: Iterable[int],
    answer: str,
    callout_id: int | None,
    zone: ZoneInfo,
    late_cancel: timedelta,
) -> Answered:
    """Record ``answer`` for each of ``shift_ids`` still open, and queue what follows from it.
    Shifts that closed meanwhile are passed over."""
    shift_ids = list(shift_ids)
    answered = await rsvps.answers_of(conn, volunteer.id, shift_ids)
    outcomes: list[Outcome] = []
    late: int | None = None
    for shift_id in shifts_to_answer(answer, shift_ids, answered):
        with contextlib.suppress(ShiftClosed):
            outcome = await rsvps.respond(
                conn,
                shift_id=shift_id,
                volunteer_id=volunteer.id,
                answer=answer,
                callout_id=callout_id,
                at=at,
            )
            outcomes.append(outcome)
            if await _follow_up(conn, volunteer, outcome, zone, at, late_cancel):
                late = shift_id
    return Answered(tuple(outcomes), late)


async def give_reason(
    conn: AsyncConnection, *, at: datetime, volunteer: Volunteer, shift_id: int, reason: str
) -> None:
    """Keep why they dropped out late, and pass it on to the organisers."""
    await rsvps.set_reason(conn, shift_id, volunteer.id, reason)
    _shift, event = await _shift_and_event(conn, shift_id)
    await tell_organisers(
        conn,
        event,
        texts.late_reason_for_organiser(volunteer.name or "A volunteer", reason),
        at=at,
        about=volunteer,
    )


async def tell_promoted(
    conn: AsyncConnection, promotions: Iterable[Promotion], zone: ZoneInfo, at: datetime
) -> None:
    """Whoever a freed place went to hears at once, with the meeting point and calendar file."""
    for promotion in promotions:
        if promotion.telegram_id is None:  # forgotten: nobody to tell
            continue
        shift, event = await _shift_and_event(conn, promotion.shift_id)
        await outbox.enqueue(
            conn,
            [
                outbox.Outgoing(
                    chat_id=promotion.telegram_id,
                    volunteer_id=promotion.volunteer_id,
                    kind="rsvp_promoted",
                    text=texts.promoted(shift, event, zone),
                ),
                *_going(promotion.telegram_id, promotion.volunteer_id, shift, event, zone, at),
            ],
            at=at,
        )


async def _follow_up(
    conn: AsyncConnection,
    volunteer: Volunteer,
    outcome: Outcome,
    zone: ZoneInfo,
    at: datetime,
    late_cancel: timedelta,
) -> bool:
    """Queue what one answer causes; True if it was a late cancel."""
    # Read after the answer, so places left are as it leaves them.
    shift, event = await _shift_and_event(conn, outcome.shift_id)
    chat_id = volunteer.telegram_id
    if chat_id is not None and outcome.changed:
        if outcome.status == RsvpStatus.GOING:
            await outbox.enqueue(conn, _going(chat_id, volunteer.id, shift, event, zone, at), at=at)
        elif outcome.status == RsvpStatus.WAITLISTED:
            await outbox.enqueue(
                conn,
                [
                    outbox.Outgoing(
                        chat_id=chat_id,
                        volunteer_id=volunteer.id,
                        kind="rsvp_waitlisted",
                        text=texts.waitlisted(outcome.position or 1),
                    )
                ],
                at=at,
            )
    await tell_promoted(conn, outcome.promoted, zone, at)
    if not is_late_cancel(outcome, shift.starts_at, at, late_cancel):
        return False
    await tell_organisers(
        conn,
        event,
        texts.late_cancel_for_organiser(volunteer.name or "A volunteer", shift, event, zone),
        at=at,
        about=volunteer,
    )
    return True


def _going(
    chat_id: int, volunteer_id: int, shift: Shift, event: Event, zone: ZoneInfo, at: datetime
) -> list[outbox.Outgoing]:
    """The confirmation: the meeting point on a map where there is one, then a calendar file
    whose caption says it all (one message fewer against Telegram's sending limits)."""
    messages = []
    if event.has_location:
        messages.append(
            outbox.Outgoing(
                chat_id=chat_id,
                volunteer_id=volunteer_id,
                kind="rsvp_venue",
                text="",
                venue={
                    "latitude": event.latitude,
                    "longitude": event.longitude,
                    "title": event.title,
                    "address": event.address or event.area,
                },
            )
        )
    calendar = ics.shift_event(
        uid=f"shift-{shift.id}@muster",
        title=event.title,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        location=event.address or event.area,
        description=f"{event.area}. Can't come after all? Send /myshifts to the bot.",
        stamped_at=at,
        latitude=event.latitude,
        longitude=event.longitude,
    )
    messages.append(
        outbox.Outgoing(
            chat_id=chat_id,
            volunteer_id=volunteer_id,
            kind="rsvp_calendar",
            text=texts.going(shift, event, zone),
            document={"filename": "shift.ics", "text": calendar.decode()},
        )
    )
    return messages


async def _shift_and_event(conn: AsyncConnection, shift_id: int) -> tuple[Shift, Event]:
    (shift,) = await events.shifts_by_ids(conn, [shift_id])
    event = await events.by_id(conn, shift.event_id)
    assert event is not None
    return shift, event
