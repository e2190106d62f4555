"""Polling day: setting up elections and their committee rooms, pledge calls, pledges, what
organisers see of them, and the countdown messages to those who pledged.

A committee room belongs to an election when it is an event of kind `committee_room` with a
shift on the election's date in one of its areas, however it was made (/newevent or a CSV file).
A pledge is an intent; the room offer (bot.services.offers) turns it into a room's shifts, by
the need-and-distance rule /nearest uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.board import wanted
from bot.domain.events import Event, Shift
from bot.domain.permissions import Access, Role
from bot.domain.planning import Countdown, countdown_meaningful, read_countdown_detail
from bot.domain.polling import (
    IN_AREA_KM,
    AreaPledges,
    Election,
    RoomShift,
    area_for,
    in_order,
    pledge_figures,
)
from bot.domain.sending import PLEDGE_CALL
from bot.domain.volunteers import Volunteer
from bot.services import offers
from db import audit, events, outbox, roles, volunteers
from db import offers as offered
from db import polling as polls
from db.outbox import Outgoing
from db.polling import Candidate, Pledge

# --- Elections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionFields:
    name: str
    day: date
    opens: time
    closes: time
    areas: tuple[str, ...]


@dataclass(frozen=True)
class Saved:
    """What saving an election came to: the election, or why not (bot.texts.ELECTION_BAD) and
    the area concerned."""

    election: Election | None
    refused: str | None = None
    area: str | None = None


def today(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


async def elections_for(
    conn: AsyncConnection, at: datetime, access: Access, zone: ZoneInfo
) -> list[Election]:
    """The elections still to come that this coordinator may change: all of whose areas are
    theirs."""
    return [
        e
        for e in await polls.listed(conn, from_day=today(at, zone))
        if access.covers_all(Role.COORDINATOR, e.areas)
    ]


async def election(
    conn: AsyncConnection, access: Access, election_id: int
) -> Election | None:
    """An election this coordinator may change, or None."""
    found = await polls.by_id(conn, election_id)
    if found is None or not access.covers_all(Role.COORDINATOR, found.areas):
        return None
    return found


async def save_election(
    conn: AsyncConnection,
    at: datetime,
    access: Access,
    fields: ElectionFields,
    *,
    election_id: int | None,
    zone: ZoneInfo,
) -> Saved:
    """Create an election (``election_id`` None) or change one, with its audit record."""
    if election_id is not None and await election(conn, access, election_id) is None:
        return Saved(None, "gone")
    if not access.covers_all(Role.COORDINATOR, fields.areas):
        return Saved(None, "not_your_area")
    if fields.day < today(at, zone):
        return Saved(None, "past")
    for area in fields.areas:
        if await polls.by_day_and_area(conn, fields.day, area, other_than=election_id):
            return Saved(None, "same_day", area)
    if election_id is None:
        election_id = await polls.create_election(
            conn,
            at,
            by=access.telegram_id,
            name=fields.name,
            day=fields.day,
            opens=fields.opens,
            closes=fields.closes,
            areas=fields.areas,
        )
        action = "election_created"
    else:
        await polls.update_election(
            conn,
            at,
            election_id,
            name=fields.name,
            day=fields.day,
            opens=fields.opens,
            closes=fields.closes,
        )
        await polls.set_areas(conn, election_id, fields.areas)
        action = "election_changed"
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action=action,
        election_id=election_id,
        areas=list(fields.areas),
        at=at,
    )
    saved = await polls.by_id(conn, election_id)
    return Saved(saved)


def fields_of(found: Election) -> ElectionFields:
    return ElectionFields(found.name, found.day, found.opens, found.closes, found.areas)


# --- Committee rooms ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    event: Event
    shifts: tuple[Shift, ...]
    manager: str | None  # the manager's name, if one is set


async def rooms(conn: AsyncConnection, found: Election, zone: ZoneInfo) -> list[Room]:
    listed = []
    for event, day_shifts in await polls.rooms(conn, found, zone):
        manager = (
            await volunteers.by_id(conn, event.manager_id) if event.manager_id is not None else None
        )
        listed.append(Room(event, tuple(day_shifts), manager.name if manager else None))
    return listed


async def _room(conn: AsyncConnection, access: Access, event_id: int) -> Event | None:
    event = await events.by_id(conn, event_id)
    if event is None or not access.covers(Role.COORDINATOR, event.area):
        return None
    return event


ManagerResult = Literal["saved", "gone", "who", "not_organiser"]


async def set_manager(
    conn: AsyncConnection,
    at: datetime,
    access: Access,
    *,
    event_id: int,
    who: str | None,
    admin_ids: frozenset[int],
) -> ManagerResult:
    """Make ``who`` (an @username or a Telegram id; None: nobody) a room's manager: they must
    be an organiser of its area."""
    event = await _room(conn, access, event_id)
    if event is None:
        return "gone"
    manager_id = None
    if who is not None:
        person = (
            await volunteers.by_telegram_id(conn, int(who))
            if who.isdigit()
            else await volunteers.by_username(conn, who)
        )
        if person is None or person.telegram_id is None:
            return "who"
        their = await roles.access_for(conn, admin_ids, person.telegram_id)
        if not their.covers(Role.ORGANISER, event.area):
            return "not_organiser"
        manager_id = person.id
    await polls.set_manager(conn, event_id, manager_id)
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="room_manager",
        event_id=event_id,
        target_volunteer_id=manager_id,
        at=at,
    )
    return "saved"


async def set_target(
    conn: AsyncConnection, access: Access, *, event_id: int, target: int | None
) -> bool:
    """A room's target of helpers per shift (the event's fewest helpers wanted, which the
    staffing forecast already warns about); False when the room is not theirs."""
    if await _room(conn, access, event_id) is None:
        return False
    await events.update_event(conn, event_id, min_helpers=target)
    return True


# --- Pledge calls ------------------------------------------------------------------------------


async def elections_to_call(
    conn: AsyncConnection, at: datetime, access: Access, zone: ZoneInfo
) -> list[Election]:
    """Elections still to come with an area this organiser acts in."""
    return [
        e
        for e in await polls.listed(conn, from_day=today(at, zone))
        if access.areas_of(Role.ORGANISER, e.areas)
    ]


async def _audience(
    conn: AsyncConnection, at: datetime, found: Election, areas: list[str]
) -> list[Candidate]:
    """Volunteers in ``areas`` who may be called and have not pledged: those who came to a shift
    there before, or whose nearest event of the election's areas is in one of ``areas``."""
    places = await polls.places_in(conn, found.areas)
    mine = {a.casefold() for a in areas}
    candidates = await polls.call_candidates(
        conn,
        at,
        election_id=found.id,
        areas=tuple(areas),
        near=[place for area, place in places if area.casefold() in mine],
        within_km=IN_AREA_KM,
    )
    return [
        c
        for c in candidates
        if c.came_before or (area_for(c.place, places) or "").casefold() in mine
    ]


@dataclass(frozen=True)
class Calling:
    election: Election
    areas: list[str]
    reaches: int


async def pledge_call_preview(
    conn: AsyncConnection, at: datetime, access: Access, election_id: int, zone: ZoneInfo
) -> Calling | None:
    """How many a pledge call for this election would reach now; None when it is not theirs
    to send or polling day has passed."""
    found = await polls.by_id(conn, election_id)
    if found is None or found.day < today(at, zone):
        return None
    areas = access.areas_of(Role.ORGANISER, found.areas)
    if not areas:
        return None
    return Calling(found, areas, len(await _audience(conn, at, found, areas)))


def pledge_question(found: Election, parts: tuple[str, ...] = ()) -> tuple[str, dict]:
    """The question a pledge call and /pledge put: its text and buttons (Telegram JSON)."""
    return (
        texts.pledge_question(found, parts),
        keyboards.pledge_parts(found.id, parts).to_dict(),
    )


async def send_pledge_call(
    conn: AsyncConnection, at: datetime, access: Access, election_id: int, zone: ZoneInfo
) -> int | None:
    """Queue "Can you take polling day off?" to everyone a pledge call reaches now, with its
    audit record; returns how many (None: not theirs, or too late)."""
    calling = await pledge_call_preview(conn, at, access, election_id, zone)
    if calling is None:
        return None
    people = await _audience(conn, at, calling.election, calling.areas)
    text, markup = pledge_question(calling.election)
    await outbox.enqueue(
        conn,
        (
            Outgoing(p.telegram_id, p.volunteer_id, PLEDGE_CALL, text, markup)
            for p in people
        ),
        at=at,
    )
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="pledge_call",
        election_id=election_id,
        areas=calling.areas,
        recipients=len(people),
        at=at,
    )
    return len(people)


# --- Pledges -----------------------------------------------------------------------------------


async def _area_of(conn: AsyncConnection, volunteer_id: int, found: Election) -> str | None:
    place = await polls.place_of(conn, volunteer_id)
    return area_for(place, await polls.places_in(conn, found.areas))


async def elections_to_pledge(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, zone: ZoneInfo
) -> list[Election]:
    """The elections still to come that a volunteer may pledge for: those covering where they
    are, or every one when none does (or where they are is not known)."""
    coming = await polls.listed(conn, from_day=today(at, zone))
    theirs = [e for e in coming if await _area_of(conn, volunteer.id, e) is not None]
    return theirs or coming


async def pledge_of(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, election_id: int, zone: ZoneInfo
) -> tuple[Election, Pledge | None] | None:
    """An election still to come and the volunteer's pledge for it (None: no such election)."""
    found = await polls.by_id(conn, election_id)
    if found is None or found.day < today(at, zone):
        return None
    return found, await polls.pledge_of(conn, election_id, volunteer.id)


PledgeResult = Literal["saved", "changed", "withdrawn", "pick_one", "closed"]


async def pledge(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    election_id: int,
    parts: set[str],
    zone: ZoneInfo,
) -> tuple[PledgeResult, Election | None]:
    """Pledge the parts of polling day chosen, change a pledge, or withdraw it (nothing chosen).
    A pledge is taken until the polls close. A pledge or a change is followed by the room
    offer, queued in the outbox to follow the answer."""
    found = await polls.by_id(conn, election_id)
    if found is None or at >= found.closes_at(zone):
        return "closed", found
    existing = await polls.pledge_of(conn, election_id, volunteer.id)
    chosen = [part.value for part in in_order(parts)]
    if not chosen:
        if existing is None:
            return "pick_one", found
        await polls.withdraw(conn, election_id, volunteer.id)
        await offered.forget(conn, election_id, volunteer.id)
        return "withdrawn", found
    await polls.save_pledge(
        conn,
        at,
        election_id=election_id,
        volunteer_id=volunteer.id,
        parts=chosen,
        area=existing.area if existing else await _area_of(conn, volunteer.id, found),
    )
    await offers.offer_after_pledge(conn, at, volunteer=volunteer, found=found, zone=zone)
    return ("changed" if existing else "saved"), found


async def my_pledges(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, zone: ZoneInfo
) -> list[tuple[Election, Pledge]]:
    return await polls.pledges_of(conn, volunteer.id, from_day=today(at, zone))


# --- What organisers see -----------------------------------------------------------------------


@dataclass(frozen=True)
class PledgeView:
    election: Election
    figures: list[AreaPledges]
    # Room shifts with fewer going than wanted: the room, the shift, how many it wants.
    short: list[tuple[Event, Shift, int]]


def _wanted(event: Event, shift: Shift) -> int:
    return wanted(event.min_helpers, shift.capacity)


async def pledge_views(
    conn: AsyncConnection, at: datetime, access: Access, zone: ZoneInfo
) -> list[PledgeView]:
    """/pledges: per election still to come in their areas, pledges per area and part of the
    day against what its rooms want, and the room shifts short of helpers. Only their areas;
    pledges placed in no area only for those who see all of the election's."""
    views = []
    for found in await elections_to_call(conn, at, access, zone):
        areas = {a.casefold() for a in access.areas_of(Role.ORGANISER, found.areas)}
        every = len(areas) == len(found.areas)
        found_rooms = await polls.rooms(conn, found, zone)
        room_shifts = [
            RoomShift(
                event.id,
                event.area,
                shift.starts_at.astimezone(zone).time(),
                shift.ends_at.astimezone(zone).time(),
                _wanted(event, shift),
            )
            for event, day_shifts in found_rooms
            for shift in day_shifts
        ]
        figures = pledge_figures(
            found,
            ((p.area, p.parts) for p in await polls.pledges_for(conn, found.id)),
            room_shifts,
        )
        views.append(
            PledgeView(
                found,
                [
                    f
                    for f in figures
                    if (f.area is None and every) or (f.area or "").casefold() in areas
                ],
                [
                    (event, shift, _wanted(event, shift))
                    for event, day_shifts in found_rooms
                    if event.area.casefold() in areas
                    for shift in day_shifts
                    if shift.going < _wanted(event, shift)
                ],
            )
        )
    return views


# --- Countdown ---------------------------------------------------------------------------------

ROOM_LINKS = 5


async def countdown(
    conn: AsyncConnection,
    at: datetime,
    *,
    detail: str,
    due_at: datetime,
    zone: ZoneInfo,
    bot_username: str,
) -> list[Outgoing] | None:
    """One countdown message to everyone who pledged: their parts of the day; their committee
    room, its meeting point (a pin the day before and on the morning) and what to bring when
    they are going to one of the election's room shifts; otherwise the room that needs them most
    near them, offered again (a new offer chain); or, when none can be offered (they are not on
    the map, no room within reach has places), the rooms of their area with their share links.
    None when it no longer means anything."""
    election_id, which = read_countdown_detail(detail)
    found = await polls.by_id(conn, election_id)
    if found is None or not countdown_meaningful(
        which, at, due_at=due_at, closes_at=found.closes_at(zone)
    ):
        return None
    rooms = await offers.rooms_of(conn, found, zone)
    by_shift = {s.id: (r.event, s) for r in rooms.rooms for s in r.shifts}
    going = await polls.going_to(conn, list(by_shift))
    answered = await polls.answered(conn, list(by_shift))
    messages = []
    for person in await polls.reachable_pledgers(conn, election_id):
        mine = going.get(person.volunteer_id)
        room = by_shift[mine[0]] if mine else None
        offer = None if room else await offers.for_countdown(
            conn, at, rooms, person, answered.get(person.volunteer_id, set()), zone
        )
        offered_text, markup = offers.offer_text(offer, zone) if offer else (None, None)
        links = [] if room or offer else [
            (r.event.title, texts.share_link(bot_username, r.event))
            for r in rooms.rooms
            if person.area is None or r.event.area.casefold() == person.area.casefold()
        ][:ROOM_LINKS]
        messages.append(
            Outgoing(
                person.telegram_id,
                person.volunteer_id,
                "countdown",
                texts.countdown(which, found, person.parts, room, links, zone, offered_text),
                markup,
            )
        )
        if room is not None and which != Countdown.WEEK and room[0].has_location:
            event = room[0]
            messages.append(
                Outgoing(
                    person.telegram_id,
                    person.volunteer_id,
                    "countdown",
                    "",
                    venue={
                        "latitude": event.latitude,
                        "longitude": event.longitude,
                        "title": event.title,
                        "address": event.address or event.area,
                    },
                )
            )
    return messages

