"""Organisers' events: creating one from a /newevent draft, importing many from a CSV file,
listing the upcoming ones, and changing or cancelling them.

Each use case runs in the caller's transaction. Every change or cancellation is told, through the
outbox in that transaction, to everyone who said going or maybe or is on the waitlist for it; more
places move people up from the waitlist with their good news queued the same way; and each is
written to the audit log. The organiser who acted gets only the direct answer from their handler.

An organiser can only act on events in their own areas, and only while the event (and the shift,
for a shift button) is still on: :class:`Found` says why not when it is not, as the text for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.domain import events_csv
from bot.domain.events import (
    ADDRESS_MAX,
    TITLE_MAX,
    AmbiguousShift,
    BadEventInput,
    Event,
    EventDraft,
    Shift,
    clean_text,
)
from bot.domain.permissions import Access, Role
from bot.domain.planning import BadOffsets, offsets_text, parse_offsets
from bot.domain.signup import valid_location
from bot.domain.statuses import EventStatus
from bot.services import targets as targeting
from bot.services.cards import refresh
from bot.services.rsvps import queue_moved, tell_promoted
from db import audit, outbox, rsvps
from db import events as db_events

# --- Creating events -----------------------------------------------------------------------------


async def create(conn: AsyncConnection, at: datetime, *, by: int, draft: EventDraft) -> Event:
    """A new event from an organiser's finished /newevent draft (tied to the target its area
    names, if any)."""
    target_id = await targeting.for_event(conn, draft)
    event_id = await db_events.create_event(conn, draft, created_by=by, at=at, target_id=target_id)
    await audit.record(
        conn,
        actor_telegram_id=by,
        action="create_event",
        event_id=event_id,
        shifts=len(draft.shifts),
        at=at,
    )
    event = await db_events.by_id(conn, event_id)
    assert event is not None
    return event


@dataclass(frozen=True)
class Imported:
    """An event made by an import, and when its first shift starts (for the list of links)."""

    event: Event
    first_start: datetime


async def import_events(
    conn: AsyncConnection, at: datetime, *, by: Access, drafts: Sequence[EventDraft]
) -> list[Imported]:
    """Every event of a checked CSV file, all or none (the caller's transaction), each tied to
    the target its row or area names, if any."""
    created = []
    for draft in drafts:
        event_id = await db_events.create_event(
            conn,
            draft,
            created_by=by.telegram_id,
            at=at,
            target_id=await targeting.for_event(conn, draft),
        )
        event = await db_events.by_id(conn, event_id)
        assert event is not None
        created.append(Imported(event, draft.shifts[0].starts_at))
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="events_import",
        events=len(created),
        shifts=sum(len(draft.shifts) for draft in drafts),
        at=at,
    )
    return created


# --- Seeing events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An event as its organisers can change it: its live shifts (on and not yet ended; none once
    the event is cancelled), and the one shift a button or edit is about, if any."""

    event: Event
    shifts: tuple[Shift, ...]
    shift: Shift | None = None


@dataclass(frozen=True)
class Found:
    """What a button or edit is about, or why it no longer applies (a text for the organiser;
    ``target`` stays set when there is a card to show them as it is now). ``people`` is how many
    would hear of a cancellation, when asked for."""

    target: Target | None
    problem: str | None = None
    people: int = 0


def _live(shifts: Sequence[Shift], at: datetime) -> tuple[Shift, ...]:
    return tuple(shift for shift in shifts if shift.ends_at > at)


async def upcoming(conn: AsyncConnection, at: datetime, *, by: Access) -> list[Target]:
    """The events this organiser looks after with a shift still to end, soonest first."""
    found = await db_events.upcoming(conn, areas=by.areas(Role.ORGANISER), at=at)
    return [Target(event, _live(shifts, at)) for event, shifts in found]


async def _target(
    conn: AsyncConnection, at: datetime, *, event_id: int | None, shift_id: int | None
) -> Target | None:
    shift: Shift | None = None
    if shift_id is not None:
        found = await db_events.shifts_by_ids(conn, [shift_id])
        if not found:
            return None
        shift = found[0]
        event_id = shift.event_id
    assert event_id is not None
    event = await db_events.by_id(conn, event_id)
    if event is None:
        return None
    shifts = (
        _live(await db_events.shifts_of(conn, event.id), at)
        if event.status == EventStatus.ACTIVE
        else ()
    )
    return Target(event, shifts, shift)


async def find(
    conn: AsyncConnection,
    at: datetime,
    *,
    by: Access,
    event_id: int | None = None,
    shift_id: int | None = None,
) -> Found:
    """The event (or one shift of it) a button is about, if the organiser can still change it."""
    target = await _target(conn, at, event_id=event_id, shift_id=shift_id)
    if target is None:
        return Found(None, texts.EXPIRED_BUTTON)
    if not by.covers(Role.ORGANISER, target.event.area):
        return Found(target, texts.EVENT_NOT_YOURS)
    if target.event.status != EventStatus.ACTIVE:
        return Found(target, texts.EVENT_ALREADY_CANCELLED)
    if target.shift is not None and target.shift.id not in {s.id for s in target.shifts}:
        return Found(target, texts.SHIFT_GONE)
    return Found(target)


async def to_cancel(
    conn: AsyncConnection,
    at: datetime,
    *,
    by: Access,
    event_id: int | None = None,
    shift_id: int | None = None,
) -> Found:
    """As :func:`find`, with how many a cancellation would tell, for the organiser to confirm."""
    found = await find(conn, at, by=by, event_id=event_id, shift_id=shift_id)
    if found.problem is not None or found.target is None:
        return found
    people = await db_events.people_to_tell(conn, event_id=event_id, shift_id=shift_id, at=at)
    return Found(found.target, people=len(people))


async def _tell(
    conn: AsyncConnection, people: list[tuple[int, int]], kind: str, text: str, at: datetime
) -> int:
    return await outbox.enqueue(
        conn,
        [
            outbox.Outgoing(chat_id=chat_id, volunteer_id=volunteer_id, kind=kind, text=text)
            for volunteer_id, chat_id in people
        ],
        at=at,
    )


async def _refresh(conn: AsyncConnection, at: datetime, event_id: int, zone: ZoneInfo) -> None:
    """Every card anyone holds for the event says the change too: no buttons for a cancelled
    shift, the new times, title or meeting point. Not only the cards of those told of it: a
    call card of someone who said can't, or never answered, must not offer a cancelled shift."""
    await refresh(conn, at, event_id=event_id, volunteer_ids=None, zone=zone)


# --- Cancelling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cancelled:
    """A cancellation done (``problem`` None; ``target`` as it is now) or refused, and how many
    were told."""

    target: Target | None
    problem: str | None = None
    told: int = 0


async def cancel_event(
    conn: AsyncConnection, at: datetime, *, by: Access, event_id: int, zone: ZoneInfo
) -> Cancelled:
    found = await find(conn, at, by=by, event_id=event_id)
    if found.problem is not None or found.target is None:
        return Cancelled(found.target, found.problem)
    event = found.target.event
    people = await db_events.people_to_tell(conn, event_id=event.id, at=at)
    notice = texts.event_cancelled_notice(event, found.target.shifts, zone)
    await db_events.cancel_event(conn, event.id, at=at)
    told = await _tell(conn, people, "event_cancelled", notice, at)
    await _refresh(conn, at, event.id, zone)
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="event_cancel",
        event_id=event.id,
        told=told,
        at=at,
    )
    return Cancelled(await _target(conn, at, event_id=event.id, shift_id=None), told=told)


async def cancel_shift(
    conn: AsyncConnection, at: datetime, *, by: Access, shift_id: int, zone: ZoneInfo
) -> Cancelled:
    found = await find(conn, at, by=by, shift_id=shift_id)
    if found.problem is not None or found.target is None:
        return Cancelled(found.target, found.problem)
    target = found.target
    assert target.shift is not None
    shift = target.shift
    await db_events.lock_shift(conn, shift.id)
    people = await db_events.people_to_tell(conn, shift_id=shift.id, at=at)
    notice = texts.shift_cancelled_notice(target.event, shift, zone)
    await db_events.cancel_shift(conn, shift.id, at=at)
    told = await _tell(conn, people, "shift_cancelled", notice, at)
    await _refresh(conn, at, target.event.id, zone)
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="shift_cancel",
        event_id=target.event.id,
        shift_id=shift.id,
        told=told,
        at=at,
    )
    return Cancelled(await _target(conn, at, event_id=target.event.id, shift_id=None), told=told)


# --- Changing ------------------------------------------------------------------------------------


class Retry(Exception):
    """The typed answer can't be used: ``text`` says why, and the edit keeps waiting.
    ``answers`` are ready-made replies to offer as buttons, when it could mean more than one."""

    def __init__(self, text: str, answers: tuple[str, ...] = ()) -> None:
        super().__init__(text)
        self.text = text
        self.answers = answers


class Gone(Exception):
    """What was being edited is no longer there to edit: the edit is dropped."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Changed:
    """An edit's result: how many were told (None when the answer changed nothing), how many
    moved up from a waitlist, and the event as it is now."""

    told: int | None
    promoted: int
    target: Target


async def _editable(
    conn: AsyncConnection,
    at: datetime,
    by: Access,
    *,
    event_id: int | None = None,
    shift_id: int | None = None,
) -> Target:
    found = await find(conn, at, by=by, event_id=event_id, shift_id=shift_id)
    if found.target is None or found.problem is not None:
        raise Gone(found.problem or texts.EXPIRED_BUTTON)
    return found.target


async def _changed(
    conn: AsyncConnection, at: datetime, event_id: int, told: int | None, promoted: int = 0
) -> Changed:
    target = await _target(conn, at, event_id=event_id, shift_id=None)
    assert target is not None
    return Changed(told, promoted, target)


async def _change_event(
    conn: AsyncConnection,
    at: datetime,
    by: Access,
    target: Target,
    values: dict[str, Any],
    what_changed: str,
    field: str,
    zone: ZoneInfo,
) -> Changed:
    event = target.event
    people = await db_events.people_to_tell(conn, event_id=event.id, at=at)
    await db_events.update_event(conn, event.id, **values)
    fresh = await db_events.by_id(conn, event.id)
    assert fresh is not None
    notice = texts.event_changed_notice(fresh, target.shifts, zone, what_changed)
    told = await _tell(conn, people, "event_changed", notice, at)
    await _refresh(conn, at, event.id, zone)
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="event_edit",
        event_id=event.id,
        field=field,
        told=told,
        at=at,
    )
    return await _changed(conn, at, event.id, told)


async def change_title(
    conn: AsyncConnection, at: datetime, *, by: Access, event_id: int, typed: str, zone: ZoneInfo
) -> Changed:
    """A new title, told to everyone who answered. Raises Retry or Gone."""
    target = await _editable(conn, at, by, event_id=event_id)
    try:
        title = clean_text(typed, TITLE_MAX, "title")
    except BadEventInput:
        raise Retry(texts.BAD_TITLE) from None
    if title == target.event.title:
        return Changed(None, 0, target)
    return await _change_event(
        conn,
        at,
        by,
        target,
        {"title": title},
        texts.changed_title(target.event.title),
        "title",
        zone,
    )


async def change_place(
    conn: AsyncConnection,
    at: datetime,
    *,
    by: Access,
    event_id: int,
    typed: str,
    pin: tuple[float, float] | None,
    zone: ZoneInfo,
) -> Changed:
    """A new meeting point, typed or dropped as a pin, told to everyone who answered. Raises Retry
    or Gone."""
    target = await _editable(conn, at, by, event_id=event_id)
    values: dict[str, Any]
    if pin is not None:
        latitude, longitude = pin
        if not valid_location(latitude, longitude):
            raise Retry(texts.BAD_PIN)
        values = {"latitude": latitude, "longitude": longitude}
    else:
        try:
            address = clean_text(typed, ADDRESS_MAX, "address")
        except BadEventInput:
            raise Retry(texts.BAD_PLACE) from None
        if address == target.event.address:
            return Changed(None, 0, target)
        values = {"address": address}
    return await _change_event(conn, at, by, target, values, texts.CHANGED_PLACE, "address", zone)


async def change_reminders(
    conn: AsyncConnection, at: datetime, *, by: Access, event_id: int, typed: str
) -> Changed:
    """This event's own reminder times ("default" for the usual ones); the scheduler moves its
    pending reminders to match, so nobody is told now. Raises Retry or Gone."""
    target = await _editable(conn, at, by, event_id=event_id)
    words = " ".join(typed.lower().split())
    try:
        wanted = None if words == "default" else offsets_text(parse_offsets(words))
    except BadOffsets:
        raise Retry(texts.BAD_REMINDERS) from None
    if wanted == target.event.reminder_offsets:
        return Changed(None, 0, target)
    await db_events.update_event(conn, event_id, reminder_offsets=wanted)
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="event_edit",
        event_id=event_id,
        field="reminder_offsets",
        told=0,
        at=at,
    )
    return await _changed(conn, at, event_id, 0)


async def change_shift(
    conn: AsyncConnection, at: datetime, *, by: Access, shift_id: int, typed: str, zone: ZoneInfo
) -> Changed:
    """New times and/or places for one shift. New times are told to everyone who answered; new
    places alone change nothing for them, except that more places move people up from the
    waitlist, whose good news is queued. Raises Retry or Gone."""
    target = await _editable(conn, at, by, shift_id=shift_id)
    assert target.shift is not None
    await db_events.lock_shift(conn, target.shift.id)
    # Counted again under the lock: answers may have come in since the button was pressed.
    before = (await db_events.shifts_by_ids(conn, [target.shift.id]))[0]
    day = before.starts_at.astimezone(zone).date()
    try:
        change = events_csv.parse_shift_change(typed, day, zone, at)
    except AmbiguousShift as unsure:
        raise Retry(
            texts.which_shift(unsure.readings, zone),
            tuple(events_csv.change_forms(unsure, zone)),
        ) from None
    except BadEventInput as bad:
        fallback = texts.BAD_SHIFT_CHANGE["shift_change"]
        raise Retry(texts.BAD_SHIFT_CHANGE.get(bad.reason, fallback)) from None
    if change.capacity is not None and change.capacity < before.going:
        raise Retry(texts.capacity_below_going(before.going))
    values: dict[str, Any] = {}
    new_times = (change.starts_at, change.ends_at)
    if change.starts_at is not None and new_times != (before.starts_at, before.ends_at):
        values.update(starts_at=change.starts_at, ends_at=change.ends_at)
    if change.capacity is not None and change.capacity != before.capacity:
        values["capacity"] = change.capacity
    if not values:
        return Changed(None, 0, target)
    await db_events.update_shift(conn, before.id, **values)
    promoted = 0
    if values.get("capacity", 0) > before.capacity:
        # Under the shift's lock, as when someone drops out: the front of the queue goes first.
        moved_up = await rsvps.promote(conn, before.id, values["capacity"], at=at)
        await tell_promoted(conn, moved_up, zone, at)
        if moved_up:
            await queue_moved(conn, at, before.id, zone)
        promoted = len(moved_up)
    after = (await db_events.shifts_by_ids(conn, [before.id]))[0]
    told = 0
    if "starts_at" in values:
        people = await db_events.people_to_tell(conn, shift_id=before.id, at=at)
        shifts = [after if s.id == after.id else s for s in target.shifts]
        notice = texts.event_changed_notice(
            target.event, shifts, zone, texts.changed_times(before, after, zone)
        )
        told = await _tell(conn, people, "event_changed", notice, at)
        await _refresh(conn, at, target.event.id, zone)
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="shift_edit",
        event_id=target.event.id,
        shift_id=before.id,
        fields=sorted(values),
        told=told,
        promoted=promoted,
        at=at,
    )
    return await _changed(conn, at, target.event.id, told, promoted)
