"""Cards that tell the truth. A card is a message in a volunteer's chat that shows their answer
for a shift or offers buttons for it: a shift call, an event opened from its link, a line of
/myshifts, a "Still coming?" reminder. When their answer or the shift changes for any reason (a
tap on another card, moving up from the waitlist, a cancelled or moved shift, a new title or
meeting point, checking in as a walk-in), every card they hold for that event is edited to say
how things are now.

Those edits are not the answer to the person who acted, so they go through the outbox as
``card_edit`` rows, queued in the caller's transaction. The card the person just tapped is left
to their handler, which edits it at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.events import Event, Shift
from bot.domain.statuses import EventStatus, RsvpStatus
from db import attendance, callouts, events, outbox, rsvps
from db import cards as held_cards
from db.cards import CALL, CHECKIN, DEBRIEF, EVENT, MYSHIFT, REMINDER, SOON

InlineKeyboardMarkup = keyboards.InlineKeyboardMarkup

# What a volunteer may still change from a /myshifts line.
CHANGEABLE = (RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.MAYBE)


@dataclass(frozen=True)
class Card:
    """What an RSVP card shows one volunteer now: the shifts still open among those it offers,
    their answers and waitlist places, the organiser's line if it is a shift call, and the
    shifts it offered that have been cancelled since."""

    volunteer_id: int
    event: Event
    shifts: tuple[Shift, ...]
    answers: dict[int, str]
    positions: dict[int, int]
    from_call: bool
    organiser_line: str | None = None
    cancelled: tuple[Shift, ...] = ()


def cancelled(event: Event, shift: Shift) -> bool:
    return event.status != EventStatus.ACTIVE or shift.status != EventStatus.ACTIVE


async def card(
    conn: AsyncConnection,
    at: datetime,
    *,
    event: Event,
    shift_ids: list[int],
    volunteer_id: int,
    callout_id: int | None,
) -> Card:
    offered = await events.shifts_by_ids(conn, shift_ids)
    shown = tuple(s for s in offered if s.open_at(at, event.status))
    shown_ids = {s.id for s in shown}
    answers = await rsvps.answers_of(conn, volunteer_id, shift_ids)
    positions: dict[int, int] = {}
    for shift_id, status in answers.items():
        if status == RsvpStatus.WAITLISTED and shift_id in shown_ids:
            place = await rsvps.position(conn, shift_id, volunteer_id)
            if place is not None:
                positions[shift_id] = place
    call = await callouts.by_id(conn, callout_id) if callout_id else None
    return Card(
        volunteer_id=volunteer_id,
        event=event,
        shifts=shown,
        answers={k: v for k, v in answers.items() if k in shown_ids},
        positions=positions,
        from_call=call is not None,
        organiser_line=call.message if call else None,
        cancelled=tuple(s for s in offered if cancelled(event, s)),
    )


def message(shown: Card, zone: ZoneInfo) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and keyboard of an RSVP card; no keyboard when nothing is left to answer."""
    text = texts.rsvp_card(
        texts.CALL_INTRO if shown.from_call else texts.EVENT_INTRO,
        shown.event,
        shown.shifts,
        zone,
        organiser_line=shown.organiser_line,
        answers=shown.answers,
        positions=shown.positions,
        cancelled=shown.cancelled,
    )
    if not shown.shifts:
        return text, None
    return text, keyboards.rsvp(shown.shifts, shown.event.id, zone, shown.answers)


async def _my_shift_line(
    conn: AsyncConnection,
    at: datetime,
    *,
    event: Event,
    shift: Shift,
    volunteer_id: int,
    zone: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One line of /myshifts as it is now: Change and Cancel while there is something to change."""
    status = (await rsvps.answers_of(conn, volunteer_id, [shift.id])).get(shift.id)
    if cancelled(event, shift):
        return texts.my_shift_cancelled(event, shift, zone), None
    if status not in CHANGEABLE:
        return texts.my_shift(event, shift, RsvpStatus.CANT, None, zone), None
    position = await rsvps.position(conn, shift.id, volunteer_id)
    text = texts.my_shift(event, shift, status, position, zone)
    going = status == RsvpStatus.GOING
    return text, keyboards.my_shift(shift.id, going) if shift.open_at(at) else None


async def _reminder(
    conn: AsyncConnection,
    at: datetime,
    event: Event,
    shift: Shift,
    volunteer_id: int,
    zone: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The day-before "Still coming?": its buttons stay only while the answer is still going."""
    text = texts.reminder_ahead(shift, event, zone)
    status = (await rsvps.answers_of(conn, volunteer_id, [shift.id])).get(shift.id)
    if cancelled(event, shift):
        return texts.reminder_now(text, texts.my_shift_cancelled(event, shift, zone)), None
    if status == RsvpStatus.GOING and shift.open_at(at):
        return text, keyboards.still_coming(shift.id)
    position = await rsvps.position(conn, shift.id, volunteer_id)
    answer = texts.your_answer(status or RsvpStatus.CANT, shift, zone, position)
    return texts.reminder_now(text, answer), None


async def _soon(
    conn: AsyncConnection,
    event: Event,
    shift: Shift,
    volunteer_id: int,
    zone: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """ "See you soon!" nearer the time: the time and meeting point as they are now; a cancelled
    shift, or an answer that is no longer going, said under it."""
    text = texts.reminder_soon(shift, event, zone)
    if cancelled(event, shift):
        return texts.reminder_now(text, texts.my_shift_cancelled(event, shift, zone)), None
    status = (await rsvps.answers_of(conn, volunteer_id, [shift.id])).get(shift.id)
    if status == RsvpStatus.GOING:
        return text, None
    position = await rsvps.position(conn, shift.id, volunteer_id)
    answer = texts.your_answer(status or RsvpStatus.CANT, shift, zone, position)
    return texts.reminder_now(text, answer), None


async def _checkin(
    conn: AsyncConnection,
    at: datetime,
    event: Event,
    shift: Shift,
    volunteer_id: int,
    zone: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """ "Are you there?" at the start: its buttons stay while they are going, not yet here (an
    organiser may have marked them present), and the session is on."""
    text = texts.checkin_prompt(shift, event, zone)
    if cancelled(event, shift):
        return texts.reminder_now(text, texts.my_shift_cancelled(event, shift, zone)), None
    person = next(
        (p for p in await attendance.people(conn, shift.id) if p.volunteer_id == volunteer_id),
        None,
    )
    if person is not None and person.came:
        return texts.reminder_now(text, texts.CHECKED_IN_LINE), None
    if person is None or person.status != RsvpStatus.GOING:
        return texts.reminder_now(text, texts.your_answer(RsvpStatus.CANT, shift, zone, None)), None
    if shift.ends_at <= at:
        return texts.reminder_now(text, texts.SESSION_OVER), None
    return text, keyboards.check_in(shift.id)


async def _debrief(
    conn: AsyncConnection, event: Event, shift: Shift, volunteer_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """ "How many doors?": once they have said (by typing it), the number, and no buttons."""
    text = texts.debrief_prompt(event)
    person = next(
        (p for p in await attendance.people(conn, shift.id) if p.volunteer_id == volunteer_id),
        None,
    )
    if person is not None and person.doors is not None:
        return texts.reminder_now(text, texts.doors_noted(person.doors)), None
    return text, keyboards.doors(shift.id)


async def _render(
    conn: AsyncConnection, at: datetime, held: held_cards.Held, event: Event, zone: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    if held.kind in (CALL, EVENT):
        shown = await card(
            conn,
            at,
            event=event,
            shift_ids=list(held.shift_ids),
            volunteer_id=held.volunteer_id,
            callout_id=held.callout_id,
        )
        return message(shown, zone)
    found = await events.shifts_by_ids(conn, list(held.shift_ids[:1]))
    if not found:
        return None
    if held.kind == MYSHIFT:
        return await _my_shift_line(
            conn, at, event=event, shift=found[0], volunteer_id=held.volunteer_id, zone=zone
        )
    if held.kind == REMINDER:
        return await _reminder(conn, at, event, found[0], held.volunteer_id, zone)
    if held.kind == SOON:
        return await _soon(conn, event, found[0], held.volunteer_id, zone)
    if held.kind == CHECKIN:
        return await _checkin(conn, at, event, found[0], held.volunteer_id, zone)
    if held.kind == DEBRIEF:
        return await _debrief(conn, event, found[0], held.volunteer_id)
    return None


async def refresh(
    conn: AsyncConnection,
    at: datetime,
    *,
    event_id: int,
    volunteer_ids: Iterable[int] | None,
    zone: ZoneInfo,
    besides: tuple[int, int] | None = None,
) -> int:
    """Queue an edit of every card ``volunteer_ids`` (None: anyone) hold for the event, as it
    should read now, except the one at ``besides`` (chat id, message id), which the caller edits
    itself. Returns how many were queued."""
    event = await events.by_id(conn, event_id)
    if event is None:
        return 0
    edits = []
    for held in await held_cards.held(conn, event_id, volunteer_ids):
        if (held.chat_id, held.message_id) == besides:
            continue
        shown = await _render(conn, at, held, event, zone)
        if shown is None:
            continue
        text, markup = shown
        edits.append(
            outbox.Outgoing(
                chat_id=held.chat_id,
                volunteer_id=held.volunteer_id,
                kind="card_edit",
                text=text,
                reply_markup=markup.to_dict() if markup is not None else None,
                edit_of=held.message_id,
            )
        )
    return await outbox.enqueue(conn, edits, at=at)


async def remember(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer_id: int,
    chat_id: int,
    message_id: int,
    kind: str,
    event_id: int,
    shift_ids: Iterable[int],
) -> None:
    """A card a handler just sent as its direct answer, so that it can be kept true."""
    await held_cards.remember(
        conn,
        volunteer_id=volunteer_id,
        chat_id=chat_id,
        message_id=message_id,
        kind=kind,
        event_id=event_id,
        shift_ids=shift_ids,
        at=at,
    )


@dataclass(frozen=True)
class Delivered:
    """The newest message with buttons the outbox delivered to a chat (a shift call, a reminder,
    a forecast, a retention warning), and its buttons as sent: label and data."""

    message_id: int
    buttons: tuple[tuple[str, str], ...]


async def newest_delivered(conn: AsyncConnection, chat_id: int) -> Delivered | None:
    """See :class:`Delivered`: typed words answer a question the bot put in a reply only if that
    came later, and may press one of its buttons otherwise."""
    delivered = await outbox.latest_with_buttons(conn, chat_id)
    if delivered is None:
        return None
    buttons = tuple(
        (button["text"], button["callback_data"])
        for row in (delivered.reply_markup or {}).get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    )
    return Delivered(delivered.message_id, buttons)
