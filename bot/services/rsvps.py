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

from bot import ics, keyboards, texts
from bot.domain.events import Event, Shift
from bot.domain.lifts import RosterLifts
from bot.domain.reports import Named, tally
from bot.domain.rsvp import Outcome, Promotion, ShiftClosed, is_late_cancel, shifts_to_answer
from bot.domain.statuses import EventStatus, RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import lifts
from bot.services.cards import Card, card, refresh
from bot.services.organisers import tell_organisers
from db import callouts, events, outbox, rsvps, volunteers
from db import cards as held_cards

# Shifts that ended in the last day stay on /roster, so attendance can still be corrected.
ROSTER_KEEPS_ENDED = timedelta(hours=24)
# /roster shows this many events at a time, then "Show more".
ROSTER_PAGE = 5


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
    card_at: tuple[int, int] | None = None,
    joining: bool = False,
) -> Answered:
    """Record ``answer`` for each of ``shift_ids`` still open, and queue what follows from it,
    edits of the other cards they hold for the event included (``card_at``, the chat and message
    they answered on, is edited by the caller). Shifts that closed meanwhile are passed over.
    ``joining``: a surge's helper, who may join a shift under way (bot.services.surge)."""
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
                joining=joining,
            )
            outcomes.append(outcome)
            if await _follow_up(conn, volunteer, outcome, zone, at, late_cancel):
                late = shift_id
    if any(outcome.changed for outcome in outcomes):
        shift, _event = await _shift_and_event(conn, outcomes[0].shift_id)
        await refresh(
            conn,
            at,
            event_id=shift.event_id,
            volunteer_ids=[volunteer.id],
            zone=zone,
            besides=card_at,
        )
    for outcome in outcomes:
        # Leaving the queue, or a place going to its front, moves everyone behind up one.
        if outcome.moves_queue:
            await queue_moved(conn, at, outcome.shift_id, zone)
    return Answered(tuple(outcomes), late)


async def queue_moved(conn: AsyncConnection, at: datetime, shift_id: int, zone: ZoneInfo) -> None:
    """Those still on a shift's waitlist hold cards that say their place in it: keep them true."""
    waiting = await rsvps.waiting(conn, shift_id)
    if waiting:
        shift, _event = await _shift_and_event(conn, shift_id)
        await refresh(conn, at, event_id=shift.event_id, volunteer_ids=waiting, zone=zone)


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


async def _open_shifts(conn: AsyncConnection, event: Event | None, at: datetime) -> list[int]:
    """The shifts of an active event still open for answers."""
    if event is None or event.status != EventStatus.ACTIVE:
        return []
    return [s.id for s in await events.shifts_of(conn, event.id) if s.open_at(at)]


async def event_card(
    conn: AsyncConnection, at: datetime, *, telegram_id: int, code: str
) -> Card | None:
    """An event opened from its share link, as this person should see it; None when there is
    nothing to answer (no such event, cancelled, every shift started, or not one of ours)."""
    event = await events.by_code(conn, code)
    volunteer = await volunteers.by_telegram_id(conn, telegram_id)
    open_ids = await _open_shifts(conn, event, at)
    if event is None or volunteer is None or not open_ids:
        return None
    return await card(
        conn, at, event=event, shift_ids=open_ids, volunteer_id=volunteer.id, callout_id=None
    )


async def shift_card(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, shift_id: int
) -> Card | None:
    """The card of a shift's event again (from /myshifts), to answer differently; None when the
    event has nothing left open."""
    found = await events.shift_with_event(conn, shift_id)
    event = found[1] if found else None
    open_ids = await _open_shifts(conn, event, at)
    if event is None or not open_ids:
        return None
    return await card(
        conn, at, event=event, shift_ids=open_ids, volunteer_id=volunteer.id, callout_id=None
    )


@dataclass(frozen=True)
class Tapped:
    """A tap on a card: what the answer did, and the card as it is now."""

    answered: Answered
    card: Card


async def tap_going(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    chat_id: int,
    message_id: int,
    card_shift_ids: list[int],
    shift_id: int,
    zone: ZoneInfo,
    late_cancel: timedelta,
) -> Tapped | None:
    """A tap on one shift of the card at ``chat_id``/``message_id`` (which offers
    ``card_shift_ids``); None when the shift is gone."""
    found = await events.shift_with_event(conn, shift_id)
    if found is None:
        return None
    _shift, event = found
    return await _tap(
        conn,
        at,
        volunteer,
        chat_id,
        message_id,
        card_shift_ids,
        [shift_id],
        event,
        RsvpStatus.GOING,
        zone,
        late_cancel,
    )


async def tap_cant(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    chat_id: int,
    message_id: int,
    card_shift_ids: list[int],
    event_id: int,
    zone: ZoneInfo,
    late_cancel: timedelta,
) -> Tapped | None:
    """A "can't make it" tap: can't for every shift the card offers; None when the event is
    gone."""
    event = await events.by_id(conn, event_id)
    if event is None:
        return None
    return await _tap(
        conn,
        at,
        volunteer,
        chat_id,
        message_id,
        card_shift_ids,
        card_shift_ids,
        event,
        RsvpStatus.CANT,
        zone,
        late_cancel,
    )


async def _tap(
    conn: AsyncConnection,
    at: datetime,
    volunteer: Volunteer,
    chat_id: int,
    message_id: int,
    card_shift_ids: list[int],
    shift_ids: list[int],
    event: Event,
    said: str,
    zone: ZoneInfo,
    late_cancel: timedelta,
) -> Tapped:
    # The answer counts towards the call the card was sent in, if it was one.
    callout_id = await callouts.for_message(conn, chat_id, message_id)
    answered = await answer(
        conn,
        at=at,
        volunteer=volunteer,
        shift_ids=shift_ids,
        answer=said,
        callout_id=callout_id,
        zone=zone,
        late_cancel=late_cancel,
        card_at=(chat_id, message_id),
    )
    shown = await card(
        conn,
        at,
        event=event,
        shift_ids=card_shift_ids,
        volunteer_id=volunteer.id,
        callout_id=callout_id,
    )
    return Tapped(answered, shown)


@dataclass(frozen=True)
class InWords:
    """An answer typed to a shift call. ``answered`` is None when it said going to a call with
    several shifts open: nothing is recorded and the card is shown again to pick from."""

    card: Card
    call_message_id: int
    answered: Answered | None


async def answer_in_words(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    said: str,
    chat_id: int,
    reply_to_message_id: int | None,
    zone: ZoneInfo,
    late_cancel: timedelta,
) -> InWords | None:
    """A typed answer, to the card it replies to or else the newest card they were sent: a
    shift call, or the last event card they were given (a share link, /myshifts' Change). None
    when that card has nothing left open (the words were not an answer after all)."""
    event_card = await held_cards.latest_event_card(conn, volunteer.id)
    card_message_id = event_card[0] if event_card else None
    call_found: tuple[int, int] | None = None
    if reply_to_message_id is not None and reply_to_message_id != card_message_id:
        callout_id = await callouts.for_message(conn, chat_id, reply_to_message_id)
        call_found = (callout_id, reply_to_message_id) if callout_id else None
    if reply_to_message_id is not None and reply_to_message_id == card_message_id:
        on_card = True
    elif call_found is not None:
        on_card = False
    else:
        call_found = await callouts.latest_for(conn, volunteer.id)
        # Message ids in a chat only grow: the higher of the two is the card they saw last.
        on_card = event_card is not None and (call_found is None or event_card[0] > call_found[1])
    call = None
    if on_card:
        assert event_card is not None
        message_id, event = event_card[0], await events.by_id(conn, event_card[1])
        open_ids = await _open_shifts(conn, event, at)
    else:
        call = await callouts.by_id(conn, call_found[0]) if call_found else None
        event = await events.by_id(conn, call.event_id) if call else None
        message_id = call_found[1] if call_found else 0
        open_ids = (
            [s.id for s in await events.shifts_by_ids(conn, call.shift_ids) if s.open_at(at)]
            if call and event and event.status == EventStatus.ACTIVE
            else []
        )
    if not open_ids or event is None:
        return None
    callout_id = call.id if call else None
    answered = None
    if said != RsvpStatus.GOING or len(open_ids) == 1:
        answered = await answer(
            conn,
            at=at,
            volunteer=volunteer,
            shift_ids=open_ids,
            answer=said,
            callout_id=callout_id,
            zone=zone,
            late_cancel=late_cancel,
            card_at=(chat_id, message_id),
        )
    shown = await card(
        conn, at, event=event, shift_ids=open_ids, volunteer_id=volunteer.id, callout_id=callout_id
    )
    return InWords(shown, message_id, answered)


@dataclass(frozen=True)
class Mine:
    """One line of /myshifts."""

    event: Event
    shift: Shift
    status: str
    position: int | None


async def my_shifts(conn: AsyncConnection, at: datetime, volunteer: Volunteer) -> list[Mine]:
    """The shifts not yet ended that a volunteer holds, waits for, or might come to."""
    mine: list[Mine] = []
    for item in await rsvps.upcoming_for(conn, volunteer.id, at):
        shift, event = await _shift_and_event(conn, item.shift_id)
        mine.append(Mine(event, shift, item.status, item.position))
    return mine


@dataclass(frozen=True)
class RosterShift:
    shift: Shift
    # Names and phone numbers by answer, in roster order; walk-ins are not among those going.
    groups: dict[str, list[tuple[str, str | None]]]
    # Once a shift has started, attendance can be corrected from the roster.
    correctable: bool
    # Once check-in has begun (someone came or is late): who came, in the reports' figures.
    turnout: Named | None = None
    # Cars, free seats and lift requests, once anyone going answered the lift question.
    lifts: RosterLifts | None = None


@dataclass(frozen=True)
class Roster:
    """A page of the roster: its events, how many events this page and those before it show,
    and how many there are in all."""

    events: list[tuple[Event, list[RosterShift]]]
    shown_to: int
    total: int


async def roster(
    conn: AsyncConnection,
    at: datetime,
    areas: frozenset[str] | None,
    *,
    offset: int = 0,
    limit: int = ROSTER_PAGE,
) -> Roster:
    """Who answered what for each event in ``areas`` (None: all) with a shift not ended over a
    day ago: the ``limit`` events from ``offset`` on, soonest first. Only their answers are
    read: every upcoming event's, a campaign's 95,000 lines, took seconds."""
    since = at - ROSTER_KEEPS_ENDED
    page = await events.upcoming(conn, areas=areas, at=since, offset=offset, limit=limit)
    # The whole page's answers in one query, not one per event: on PostgreSQL each query hashed
    # every volunteer to join their names, and five of those took 100 ms.
    shift_ids = [s.id for _, event_shifts in page for s in event_shifts]
    per_shift: dict[int, list[rsvps.RosterLine]] = {shift_id: [] for shift_id in shift_ids}
    for line in await rsvps.roster(conn, shift_ids):
        per_shift[line.shift_id].append(line)
    shared = await lifts.roster(conn, shift_ids)
    found: list[tuple[Event, list[RosterShift]]] = []
    for event, event_shifts in page:
        shown = []
        for shift in event_shifts:
            groups: dict[str, list[tuple[str, str | None]]] = {}
            mine = per_shift[shift.id]
            for line in mine:
                if line.status == RsvpStatus.GOING and line.walk_in:
                    continue  # among the walk-ins of the turnout, not those who said going
                groups.setdefault(line.status, []).append((line.name or "(forgotten)", line.phone))
            started = shift.starts_at <= at
            named = None
            if started or any(line.came or line.running_late for line in mine):
                named = tally(
                    ((line.name or "(forgotten)", line) for line in mine), over=shift.ends_at <= at
                )
            shown.append(RosterShift(shift, groups, started, named, shared.get(shift.id)))
        found.append((event, shown))
    return Roster(
        found, offset + len(page), await events.count_upcoming(conn, areas=areas, at=since)
    )


async def tell_promoted(
    conn: AsyncConnection, promotions: Iterable[Promotion], zone: ZoneInfo, at: datetime
) -> None:
    """Whoever a freed place went to hears at once: the calendar file, its caption the news and
    the meeting point."""
    for promotion in promotions:
        if promotion.telegram_id is None:  # forgotten: nobody to tell
            continue
        shift, event = await _shift_and_event(conn, promotion.shift_id)
        await outbox.enqueue(
            conn,
            [
                _going(
                    promotion.telegram_id,
                    promotion.volunteer_id,
                    shift,
                    event,
                    zone,
                    at,
                    promoted_now=True,
                )
            ],
            at=at,
        )
        # The card they joined the waitlist on still says so, and offers to join it.
        await refresh(
            conn, at, event_id=event.id, volunteer_ids=[promotion.volunteer_id], zone=zone
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
    # Going brings the calendar file. A place on the waitlist needs no message of its own: the
    # direct answer says it (the tap's pop-up and card, the reply to typed words, the room
    # offer's edit), and the message would cost a second send against Telegram's budget.
    if chat_id is not None and outcome.changed and outcome.status == RsvpStatus.GOING:
        await outbox.enqueue(conn, [_going(chat_id, volunteer.id, shift, event, zone, at)], at=at)
    if outcome.changed and outcome.previous == RsvpStatus.GOING:
        # Not going any more: a lift they offered or asked for is let go.
        await lifts.stopped_going(
            conn, at, volunteer=volunteer, shift_id=outcome.shift_id, zone=zone
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
    chat_id: int,
    volunteer_id: int,
    shift: Shift,
    event: Event,
    zone: ZoneInfo,
    at: datetime,
    *,
    promoted_now: bool = False,
) -> outbox.Outgoing:
    """The confirmation, in one message: a calendar file whose caption says it all (the meeting
    point with a link to it on a map) and asks the lift question, its buttons beneath. One
    message, not a map pin as well, so that a busy call leaves room in Telegram's budget for
    every tap's confirmation; the pin comes with the "See you soon!" reminder."""
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
    return outbox.Outgoing(
        chat_id=chat_id,
        volunteer_id=volunteer_id,
        kind="rsvp_calendar",
        text=texts.going_with_lift_question(shift, event, zone, promoted_now=promoted_now),
        reply_markup=keyboards.lift_question(shift.id).to_dict(),
        document={"filename": "shift.ics", "text": calendar.decode()},
    )


async def _shift_and_event(conn: AsyncConnection, shift_id: int) -> tuple[Shift, Event]:
    found = await events.shift_with_event(conn, shift_id)
    assert found is not None
    return found
