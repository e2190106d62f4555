"""On the day and after: checking in (by button, /here or a shared location), running late,
"can't come" at the start, the debrief's doors and note, and organisers correcting attendance.
Each runs in the caller's transaction; an organisers' alert is queued in the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.domain.audience import Place, gap_km
from bot.domain.events import Event, Shift
from bot.domain.permissions import Access, Role
from bot.domain.statuses import Attendance, RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services.cards import refresh
from bot.services.organisers import tell_organisers
from db import attendance, events, outbox
from db import cards as held_cards
from db.attendance import OnShift
from db.places import lookup

# Check-in opens this long before a shift starts.
EARLY = timedelta(minutes=60)
# A typed number is taken as the doors of a shift that ended this recently.
DEBRIEF_WITHIN = timedelta(hours=24)
# More doors than anyone knocks on in one session: a typo, not an answer.
DOORS_MAX = 5000
# /here offers at most this many sessions to pick from.
SESSIONS_MAX = 10


class Said(StrEnum):
    """What a check-in button, /here or a shared location came to, for the handler to put in
    words."""

    OVER = "over"  # the session is not on now (ended, cancelled, or not yet open)
    ALREADY_HERE = "already_here"
    CHECKED_IN = "checked_in"
    LATE = "late"
    CANT_COME = "cant_come"
    TOO_FAR = "too_far"


class CheckInAction(StrEnum):
    HERE = "here"
    LATE = "late"
    CANT_COME = "cant_come"


class NotOrganiser(Exception):
    """Not an organiser of the shift's event, or no such shift: nothing is shown or changed."""


async def _check_in(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, shift_id: int, zone: ZoneInfo
) -> Said:
    """Check someone in to a shift that is on now."""
    found = await events.shift_with_event(conn, shift_id)
    if found is None or shift_id not in await attendance.on_now(conn, at, EARLY):
        return Said.OVER
    already = [p for p in await attendance.people(conn, shift_id) if p.volunteer_id == volunteer.id]
    if already and already[0].came:
        return Said.ALREADY_HERE
    await attendance.check_in(conn, shift_id, volunteer.id, at=at)
    # Their "Are you there?" card, and a walk-in's cards that said maybe or can't.
    await refresh(conn, at, event_id=found[1].id, volunteer_ids=[volunteer.id], zone=zone)
    return Said.CHECKED_IN


async def check_in_button(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    shift_id: int,
    action: CheckInAction,
    zone: ZoneInfo,
) -> Said:
    """A button on the check-in prompt: here, running late (the organisers are told), or can't
    come after all."""
    found = await events.shift_with_event(conn, shift_id)
    if found is None or shift_id not in await attendance.on_now(conn, at, EARLY):
        return Said.OVER
    if action == CheckInAction.HERE:
        return await _check_in(conn, at, volunteer, shift_id, zone)
    if action == CheckInAction.LATE:
        await attendance.running_late(conn, shift_id, volunteer.id, at=at)
        shift, event = found
        await tell_organisers(
            conn,
            event,
            texts.late_for_organiser(volunteer.name or "A volunteer", shift, event, zone),
            at=at,
            about=volunteer,
        )
        return Said.LATE
    await attendance.cannot_come(conn, shift_id, volunteer.id, at=at)
    # Their /myshifts line and "Still coming?" card would still say they are going.
    await refresh(conn, at, event_id=found[1].id, volunteer_ids=[volunteer.id], zone=zone)
    return Said.CANT_COME


@dataclass(frozen=True)
class Here:
    """What /here did: checked in to the one session it could mean (``said``), or else the
    sessions on now to pick from (none: nothing is on)."""

    said: Said | None
    sessions: tuple[tuple[Shift, Event], ...] = ()


async def here(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, *, zone: ZoneInfo
) -> Here:
    """/here: check in to the session one said going to, or offer those on now (a walk-in)."""
    on = await attendance.on_now(conn, at, EARLY)
    mine = [
        shift_id
        for shift_id in on
        if any(
            p.volunteer_id == volunteer.id and p.status == RsvpStatus.GOING
            for p in await attendance.people(conn, shift_id)
        )
    ]
    if len(mine) == 1 or len(on) == 1:
        return Here(await _check_in(conn, at, volunteer, (mine or on)[0], zone))
    sessions = []
    for shift_id in (mine or on)[:SESSIONS_MAX]:
        found = await events.shift_with_event(conn, shift_id)
        if found:
            sessions.append(found)
    return Here(None, tuple(sessions))


async def by_location(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    latitude: float,
    longitude: float,
    radius_km: float,
    zone: ZoneInfo,
) -> Said | None:
    """A shared location: check in at the nearest session on now, if within ``radius_km``.
    None when nothing is on (the location was not meant as a check-in)."""
    on = await attendance.on_now(conn, at, EARLY)
    if not on:
        return None
    here = Place(latitude, longitude, None)
    nearest: tuple[float, int] | None = None
    for shift_id in on:
        found = await events.shift_with_event(conn, shift_id)
        # A meeting point known only by its postcode is on the map at the postcode's centre,
        # usually roughly: gap_km allows for that.
        away = gap_km(here, await lookup.meeting_place(conn, found[1])) if found else None
        if away is not None and (nearest is None or away < nearest[0]):
            nearest = (away, shift_id)
    if nearest is None or nearest[0] > radius_km:
        return Said.TOO_FAR
    return await _check_in(conn, at, volunteer, nearest[1], zone)


async def record_doors(
    conn: AsyncConnection, *, volunteer: Volunteer, shift_id: int, doors: int
) -> None:
    await attendance.debrief(conn, shift_id, volunteer.id, doors=doors)


async def record_note(
    conn: AsyncConnection, *, volunteer: Volunteer, shift_id: int, note: str
) -> None:
    await attendance.debrief(conn, shift_id, volunteer.id, note=note)


@dataclass(frozen=True)
class TypedDoors:
    """A number typed after a session: the shift it belongs to, and whether it was kept (not
    when more than anyone knocks on)."""

    shift_id: int
    kept: bool


async def typed_doors(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, doors: int, zone: ZoneInfo
) -> TypedDoors | None:
    """Doors typed rather than tapped, for the session they came to that ended lately; None
    when there is no such session (the number was not a debrief answer)."""
    shift_id = await attendance.awaiting_doors(conn, volunteer.id, at, DEBRIEF_WITHIN)
    if shift_id is None:
        return None
    if doors > DOORS_MAX:
        return TypedDoors(shift_id, kept=False)
    await attendance.debrief(conn, shift_id, volunteer.id, doors=doors)
    # The "How many doors?" card would still offer buttons that overwrite what they typed.
    found = await events.shift_with_event(conn, shift_id)
    if found is not None:
        await refresh(conn, at, event_id=found[1].id, volunteer_ids=[volunteer.id], zone=zone)
    return TypedDoors(shift_id, kept=True)


@dataclass(frozen=True)
class Sheet:
    """A shift's attendance as an organiser corrects it: those going, whether each came."""

    shift: Shift
    event: Event
    going: tuple[OnShift, ...]


async def _sheet(conn: AsyncConnection, by: Access, shift_id: int) -> Sheet:
    found = await events.shift_with_event(conn, shift_id)
    if found is None or not by.covers(Role.ORGANISER, found[1].area):
        raise NotOrganiser
    shift, event = found
    going = tuple(
        p for p in await attendance.people(conn, shift_id) if p.status == RsvpStatus.GOING
    )
    return Sheet(shift, event, going)


async def attendance_sheet(conn: AsyncConnection, by: Access, shift_id: int) -> Sheet:
    """The sheet to correct a shift's attendance from (from /roster). Raises NotOrganiser."""
    return await _sheet(conn, by, shift_id)


async def toggle_attendance(
    conn: AsyncConnection,
    by: Access,
    shift_id: int,
    volunteer_id: int,
    *,
    at: datetime,
    zone: ZoneInfo,
) -> Sheet | None:
    """Mark someone on the shift a no-show if they came, else present; the sheet as it is now,
    or None if they are not on the shift (an old sheet). Raises NotOrganiser."""
    await _sheet(conn, by, shift_id)
    person = [p for p in await attendance.people(conn, shift_id) if p.volunteer_id == volunteer_id]
    if not person:
        return None
    await attendance.correct(
        conn,
        shift_id,
        volunteer_id,
        Attendance.NO_SHOW if person[0].came else Attendance.PRESENT,
    )
    sheet = await _sheet(conn, by, shift_id)
    # Their "Are you there?" card says what the organiser found.
    await refresh(conn, at, event_id=sheet.event.id, volunteer_ids=[volunteer_id], zone=zone)
    return sheet


@dataclass(frozen=True)
class Prompt:
    """The newest "Still coming?" or check-in prompt a volunteer got, if no shift call came
    after it: its message and its buttons as (label, callback data)."""

    message_id: int
    buttons: tuple[tuple[str, str], ...]


async def last_prompt(conn: AsyncConnection, chat_id: int, volunteer_id: int) -> Prompt | None:
    """The prompt typed words answer, unless a shift call or an event card came after it."""
    delivered = await outbox.latest_with_buttons(
        conn, chat_id, ("reminder", "checkin", "callout", "chaser")
    )
    if delivered is None or delivered.kind not in ("reminder", "checkin"):
        return None
    card = await held_cards.latest_event_card(conn, volunteer_id)
    if card is not None and card[0] > delivered.message_id:
        return None
    buttons = tuple(
        (button["text"], button["callback_data"])
        for row in (delivered.reply_markup or {}).get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    )
    return Prompt(delivered.message_id, buttons)
