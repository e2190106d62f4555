"""Lifts to a shift: the answer to "Can you drive others, or do you need a lift?", suggesting
drivers to riders (rule: bot.domain.lifts), Agree and No thanks, and letting go of a lift when
someone stops going.

Each runs in the caller's transaction holding the shift's row lock, so two taps cannot give one
seat twice. Every message to someone other than the person who acted is queued in the outbox;
nothing about a person but their first name and roughly how far away they live reaches the other
until both have agreed, and then only their first name and Telegram username.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.callbacks import LiftReply
from bot.domain.audience import Place
from bot.domain.events import Event, Shift
from bot.domain.lifts import (
    ACTIVE,
    Driver,
    Lift,
    LiftRole,
    MatchStatus,
    Rider,
    RosterLifts,
    about_km,
    apart_km,
    first_name,
    over_seats,
    suggest,
)
from bot.domain.places import APPROXIMATE
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer, can_message
from db import cards, events, lifts, outbox, rsvps, volunteers
from db.lifts import Match

# Outbox kinds: a suggestion (a card with Agree / No thanks), the news that both agreed, and
# that an agreed lift is off. All follow someone's action (bot.domain.sending).
SUGGESTION = "lift_suggestion"
AGREED = "lift_agreed"
OFF = "lift_off"


class Said(StrEnum):
    NOTED = "noted"
    UNCHANGED = "unchanged"
    NOT_GOING = "not_going"
    CLOSED = "closed"


@dataclass(frozen=True)
class Chosen:
    said: Said
    lift: Lift


async def _open(conn: AsyncConnection, at: datetime, shift_id: int) -> tuple[Shift, Event] | None:
    """The shift and its event, locked, if it still takes answers."""
    found = await events.shifts_by_ids(conn, [shift_id])
    event = await events.by_id(conn, found[0].event_id) if found else None
    if event is None:
        return None
    await events.lock_shift(conn, shift_id)
    shift = found[0]
    return (shift, event) if shift.open_at(at, event.status) else None


async def _going(conn: AsyncConnection, volunteer_id: int, shift_id: int) -> bool:
    answers = await rsvps.answers_of(conn, volunteer_id, [shift_id])
    return answers.get(shift_id) == RsvpStatus.GOING


async def choose(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    shift_id: int,
    code: str,
    zone: ZoneInfo,
) -> Chosen:
    """Their answer to the lift question for a shift they are going to (``code``: seats,
    "need" or "none"). Matches it no longer allows are let go, and the shift's lifts matched
    again."""
    lift = Lift.from_code(code)
    opened = await _open(conn, at, shift_id)
    if opened is None:
        return Chosen(Said.CLOSED, lift)
    if not await _going(conn, volunteer.id, shift_id):
        return Chosen(Said.NOT_GOING, lift)
    before = await lifts.answer_of(conn, shift_id, volunteer.id)
    if before == lift:
        return Chosen(Said.UNCHANGED, lift)
    held = await lifts.active_for(conn, volunteer.id, shift_id)
    if before.role is LiftRole.DRIVER and lift.role is LiftRole.DRIVER:
        going_out = set(over_seats([m.id for m in held], lift.seats))
        letting_go = [m for m in held if m.id in going_out]
    else:
        letting_go = held
    await lifts.set_answer(conn, shift_id, volunteer.id, lift, at=at)
    shift, event = opened
    await _let_go(conn, at, letting_go, volunteer, shift, event, zone)
    await _match(conn, at, shift, event, zone)
    return Chosen(Said.NOTED, lift)


@dataclass(frozen=True)
class Asked:
    shift: Shift
    event: Event
    lift: Lift


async def question(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, shift_id: int
) -> Asked | None:
    """The lift question again (from /myshifts) with their answer; None unless they are going
    to a shift still open."""
    found = await events.shifts_by_ids(conn, [shift_id])
    event = await events.by_id(conn, found[0].event_id) if found else None
    if event is None or not found[0].open_at(at, event.status):
        return None
    if not await _going(conn, volunteer.id, shift_id):
        return None
    return Asked(found[0], event, await lifts.answer_of(conn, shift_id, volunteer.id))


async def remember_question(
    conn: AsyncConnection,
    at: datetime,
    *,
    asked: Asked,
    volunteer_id: int,
    chat_id: int,
    message_id: int,
) -> None:
    """The question sent again as a direct answer: typed words ("2 seats") answer it."""
    await cards.remember(
        conn,
        volunteer_id=volunteer_id,
        chat_id=chat_id,
        message_id=message_id,
        kind=cards.LIFT,
        event_id=asked.event.id,
        shift_ids=[asked.shift.id],
        at=at,
    )


# --- Suggestions ---------------------------------------------------------------------------


def _place(person: Volunteer) -> Place:
    return Place(
        person.latitude,
        person.longitude,
        person.postcode,
        person.location_source in APPROXIMATE,
    )


def _km(one: Volunteer, other: Volunteer) -> int | None:
    km = apart_km(_place(one), _place(other))
    return about_km(km) if km is not None else None


def _suggestion_text(
    me: Volunteer, other: Volunteer, driving: bool, shift: Shift, event: Event, zone: ZoneInfo
) -> str:
    return texts.lift_suggestion(
        first_name(other.name), _km(me, other), driving, shift, event, zone
    )


async def _match(
    conn: AsyncConnection, at: datetime, shift: Shift, event: Event, zone: ZoneInfo
) -> None:
    """Suggest drivers to the shift's riders who have none, and tell both of each pair."""
    people = [p for p in await lifts.people(conn, shift.id) if p.reachable]
    matches = await lifts.matches_of(conn, shift.id)
    active = [m for m in matches if m.status in ACTIVE]
    taken = Counter(m.driver_id for m in active)
    riding = {m.rider_id for m in active}
    drivers = [
        Driver(p.volunteer_id, p.place, p.seats - taken[p.volunteer_id])
        for p in people
        if p.role is LiftRole.DRIVER
    ]
    riders = [
        Rider(p.volunteer_id, p.place)
        for p in people
        if p.role is LiftRole.RIDER and p.volunteer_id not in riding
    ]
    ruled_out = {(m.driver_id, m.rider_id) for m in matches}
    for made in suggest(drivers, riders, ruled_out):
        match_id = await lifts.add_match(conn, shift.id, made.driver_id, made.rider_id, at=at)
        driver = await volunteers.by_id(conn, made.driver_id)
        rider = await volunteers.by_id(conn, made.rider_id)
        assert driver is not None and rider is not None
        markup = keyboards.lift_reply(match_id).to_dict()
        await outbox.enqueue(
            conn,
            [
                outbox.Outgoing(
                    chat_id=me.telegram_id,
                    volunteer_id=me.id,
                    kind=SUGGESTION,
                    text=_suggestion_text(me, other, me is driver, shift, event, zone),
                    reply_markup=markup,
                    about=other.id,
                )
                for me, other in ((rider, driver), (driver, rider))
                if me.telegram_id is not None
            ],
            at=at,
        )


class Reply(StrEnum):
    WAITING = "waiting"  # they agreed; the other has not yet
    BOTH = "both"  # both agreed: the text carries the other's first name and username
    DECLINED = "declined"
    LAPSED = "lapsed"  # not theirs, or no longer on offer


@dataclass(frozen=True)
class Replied:
    said: Reply
    # Their suggestion card as it should read now (not for LAPSED).
    text: str = ""


async def reply(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    match_id: int,
    agree: bool,
    zone: ZoneInfo,
) -> Replied:
    """Agree or No thanks to a suggested lift. When both have agreed each gets the other's
    first name and Telegram username (this person in the answer, the other by the outbox); a
    No thanks lets the pair go for good and looks for another driver."""
    found = await lifts.match_by_id(conn, match_id)
    if found is None or volunteer.id not in (found.driver_id, found.rider_id):
        return Replied(Reply.LAPSED)
    opened = await _open(conn, at, found.shift_id)
    match = await lifts.match_by_id(conn, match_id)  # as it is now we hold the lock
    if opened is None or match is None or match.status != MatchStatus.SUGGESTED:
        return Replied(Reply.LAPSED)
    shift, event = opened
    other = await volunteers.by_id(conn, match.other(volunteer.id))
    assert other is not None
    driving = volunteer.id == match.driver_id
    suggestion = _suggestion_text(volunteer, other, driving, shift, event, zone)
    name = first_name(other.name)
    if not agree:
        await lifts.decline(conn, match.id)
        await _tell_off(conn, at, match, other, volunteer, shift, event, zone)
        await _match(conn, at, shift, event, zone)
        return Replied(Reply.DECLINED, texts.lift_declined(suggestion, driving))
    if match.agreed_by(volunteer.id):
        return Replied(Reply.WAITING, texts.lift_waiting(suggestion, name))
    if not await lifts.agree(conn, match, volunteer.id, at=at):
        return Replied(Reply.WAITING, texts.lift_waiting(suggestion, name))
    if other.telegram_id is not None:
        await outbox.enqueue(
            conn,
            [
                outbox.Outgoing(
                    chat_id=other.telegram_id,
                    volunteer_id=other.id,
                    kind=AGREED,
                    text=texts.lift_agreed(
                        first_name(volunteer.name),
                        volunteer.username,
                        not driving,
                        shift,
                        event,
                        zone,
                    ),
                    about=volunteer.id,
                )
            ],
            at=at,
        )
    return Replied(Reply.BOTH, texts.lift_agreed(name, other.username, driving, shift, event, zone))


# --- Letting go ------------------------------------------------------------------------------


async def _tell_off(
    conn: AsyncConnection,
    at: datetime,
    match: Match,
    other: Volunteer,
    leaving: Volunteer,
    shift: Shift,
    event: Event,
    zone: ZoneInfo,
    *,
    named: bool = True,
) -> None:
    """Tell ``other`` kindly that their match with ``leaving`` is off. If they had agreed they
    are waiting on it: a message. If not, their suggestion card loses its buttons and says so (a
    suggestion not yet delivered is left: its buttons answer that it lapsed). Unless ``named``
    (``leaving`` is being erased) the words leave them out; otherwise the row is about them, so
    that erasing them later clears it."""
    if not can_message(other.telegram_id, other.unreachable_at):
        return
    assert other.telegram_id is not None
    driving = other.id == match.driver_id
    about = leaving.id if named else None
    if match.agreed_by(other.id):
        name = first_name(leaving.name) if named else None
        message = outbox.Outgoing(
            chat_id=other.telegram_id,
            volunteer_id=other.id,
            kind=OFF,
            text=texts.lift_off(name, driving, shift, event, zone),
            about=about,
        )
        await outbox.enqueue(conn, [message], at=at)
        return
    mine = LiftReply("y", match.id).pack()
    for message_id, payload in await outbox.delivered_of_kind(conn, other.telegram_id, SUGGESTION):
        buttons = (payload.get("reply_markup") or {}).get("inline_keyboard", [])
        if any(button.get("callback_data") == mine for row in buttons for button in row):
            said = payload.get("text", "") if named else texts.LIFT_WITHDRAWN
            edit = outbox.Outgoing(
                chat_id=other.telegram_id,
                volunteer_id=other.id,
                kind="card_edit",
                text=texts.lift_fell_through(said, driving),
                edit_of=message_id,
                about=about,
            )
            await outbox.enqueue(conn, [edit], at=at)
            return


async def _let_go(
    conn: AsyncConnection,
    at: datetime,
    matches: list[Match],
    leaving: Volunteer,
    shift: Shift,
    event: Event,
    zone: ZoneInfo,
    *,
    named: bool = True,
) -> None:
    """Release ``matches`` of ``leaving`` and tell each other person."""
    await lifts.release(conn, [m.id for m in matches])
    for match in matches:
        other = await volunteers.by_id(conn, match.other(leaving.id))
        if other is not None:
            await _tell_off(conn, at, match, other, leaving, shift, event, zone, named=named)


async def stopped_going(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, shift_id: int, zone: ZoneInfo
) -> None:
    """They no longer go to the shift (can't, or cancelled from /myshifts): their lift answer
    goes, any match is let go with a kind word to the other, and the rest are matched again.
    The caller holds the shift's lock (an answer does)."""
    held = await lifts.active_for(conn, volunteer.id, shift_id)
    answered = await lifts.answer_of(conn, shift_id, volunteer.id)
    if not held and answered.role is None:
        return
    await lifts.set_answer(conn, shift_id, volunteer.id, Lift(None), at=at)
    (shift,) = await events.shifts_by_ids(conn, [shift_id])
    event = await events.by_id(conn, shift.event_id)
    assert event is not None
    await _let_go(conn, at, held, volunteer, shift, event, zone)
    if shift.open_at(at, event.status):
        await _match(conn, at, shift, event, zone)


async def forget(conn: AsyncConnection, at: datetime, volunteer: Volunteer, zone: ZoneInfo) -> None:
    """Before erasure: every match they are in is let go, the other told without their name,
    and those shifts matched again. Their rows go with the rest of their data (db.privacy)."""
    by_shift: dict[int, list[Match]] = defaultdict(list)
    for match in await lifts.active_for(conn, volunteer.id):
        by_shift[match.shift_id].append(match)
    for shift_id, matches in by_shift.items():
        (shift,) = await events.shifts_by_ids(conn, [shift_id])
        event = await events.by_id(conn, shift.event_id)
        assert event is not None
        await lifts.set_answer(conn, shift_id, volunteer.id, Lift(None), at=at)
        await _let_go(conn, at, matches, volunteer, shift, event, zone, named=False)
        if shift.open_at(at, event.status):
            await _match(conn, at, shift, event, zone)


# --- Organisers and typed answers ------------------------------------------------------------


async def roster(conn: AsyncConnection, shift_ids: list[int]) -> dict[int, RosterLifts]:
    return await lifts.roster(conn, shift_ids)


# Messages whose buttons typed words may answer, in the order they came: the lift question
# (on the going confirmation) and a suggestion, and the cards that would take the words instead
# when newer (bot.services.dayof.last_prompt and bot.services.rsvps.answer_in_words).
_PROMPTS = ("rsvp_calendar", SUGGESTION)
_OTHERS = ("callout", "chaser", "reminder", "checkin")


@dataclass(frozen=True)
class Prompt:
    """The lift question or suggestion typed words answer: its message and its buttons."""

    message_id: int
    buttons: tuple[tuple[str, str], ...]


async def last_prompt(conn: AsyncConnection, chat_id: int, volunteer_id: int) -> Prompt | None:
    """The newest lift question or suggestion in the chat, unless a newer card would take typed
    words (a shift call, a reminder, an event card)."""
    delivered = await outbox.latest_with_buttons(conn, chat_id, (*_PROMPTS, *_OTHERS))
    card = await cards.latest_of(conn, volunteer_id, (cards.EVENT, cards.LIFT))
    if card is not None and (delivered is None or card.message_id > delivered.message_id):
        if card.kind != cards.LIFT:
            return None
        shift_id = card.shift_ids[0]
        markup = keyboards.lift_question(shift_id).to_dict()
        message_id = card.message_id
    elif delivered is not None and delivered.kind in _PROMPTS:
        markup = delivered.reply_markup or {}
        message_id = delivered.message_id
    else:
        return None
    buttons = tuple(
        (button["text"], button["callback_data"])
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    )
    return Prompt(message_id, buttons)
