"""Room offers: once someone pledges, the committee room that needs them most near them, for
the parts of polling day they pledged, ranked by the one need-and-distance rule /nearest uses
(bot.domain.nearest). Yes is an RSVP to that room's shifts in those parts, through
bot.services.rsvps, so the waitlist, reminders, check-in and cards follow as for any answer;
Another room is the next best not yet offered in this chain; Not sure yet leaves it to the
countdown, which offers again (a new chain).

A room is weighed over its shifts in the parts pledged, taken together: their places and those
going, its target per shift (``min_helpers``) for each, the target seat it works for. Rooms
they have answered a shift of, rooms that are full, and rooms beyond /nearest's reach are not
offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.audience import Place, distance_km
from bot.domain.events import Event, Shift
from bot.domain.nearest import Candidate, Weighed, rank, within_reach
from bot.domain.polling import Election, Part, in_order, parts_during
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import rsvps
from db import nearest as needs
from db import offers as offered
from db import outbox
from db import polling as polls
from db.nearest import Target
from db.outbox import Outgoing
from db.places import lookup

# Follows the pledge that caused it (bot.domain.sending: the follow-up lane).
ROOM_OFFER = "room_offer"


@dataclass(frozen=True)
class Room:
    """A committee room of the election as offers weigh it, loaded once for everyone."""

    event: Event
    shifts: tuple[Shift, ...]  # its active shifts on polling day
    meeting: Place
    target: Target | None


@dataclass(frozen=True)
class Rooms:
    election: Election
    rooms: tuple[Room, ...]
    booked: dict[int, int]  # helpers going to each target's shifts on polling day


@dataclass(frozen=True)
class RoomNeed:
    """One room offered: the shifts in the parts pledged, how much it needs them and why."""

    event: Event
    shifts: tuple[Shift, ...]
    weighed: Weighed
    still_wanted: int
    places_left: int


@dataclass(frozen=True)
class Offer:
    """A room offered, with the id its buttons carry."""

    id: int
    need: RoomNeed


async def rooms_of(conn: AsyncConnection, found: Election, zone: ZoneInfo) -> Rooms:
    rows = await polls.rooms(conn, found, zone)
    targets = {t.id: t for t in await needs.all_targets(conn)}
    rooms = [
        Room(
            event,
            tuple(day_shifts),
            await lookup.meeting_place(conn, event),
            targets.get(event.target_id) if event.target_id is not None else None,
        )
        for event, day_shifts in rows
    ]
    start = datetime.combine(found.day, time(), zone)
    booked = await needs.booked(
        conn,
        {r.target.id for r in rooms if r.target is not None},
        [(start, datetime.combine(found.day + timedelta(days=1), time(), zone))],
    )
    return Rooms(found, tuple(rooms), {target_id: n for (target_id, _), n in booked.items()})


def shifts_in_parts(
    room: Room, found: Election, parts: set[Part], at: datetime, zone: ZoneInfo
) -> tuple[Shift, ...]:
    """A room's shifts still open for answers that overlap the parts of the day pledged."""
    return tuple(
        s
        for s in room.shifts
        if s.open_at(at, room.event.status)
        and parts_during(
            s.starts_at.astimezone(zone).time(),
            s.ends_at.astimezone(zone).time(),
            found.opens,
            found.closes,
        )
        & parts
    )


def ranked(
    rooms: Rooms,
    at: datetime,
    *,
    place: Place,
    parts: set[Part],
    answered: set[int],
    passed: set[int],
    zone: ZoneInfo,
) -> list[RoomNeed]:
    """The rooms that could take someone at ``place`` for ``parts``, best first by the rule,
    leaving out rooms ``passed`` (offered already), those with a shift they ``answered``, full
    ones and those out of reach. Empty when they are not on the map."""
    if not place.on_map:
        return []
    weighed: list[tuple[tuple[Room, tuple[Shift, ...], Candidate], Candidate]] = []
    for room in rooms.rooms:
        if room.event.id in passed or any(s.id in answered for s in room.shifts):
            continue
        shifts = shifts_in_parts(room, rooms.election, parts, at, zone)
        if not shifts or not room.meeting.on_map:
            continue
        km = distance_km(
            place.latitude,  # type: ignore[arg-type]
            place.longitude,  # type: ignore[arg-type]
            room.meeting.latitude,  # type: ignore[arg-type]
            room.meeting.longitude,  # type: ignore[arg-type]
        )
        allowance = place.allowance_km + room.meeting.allowance_km
        if not within_reach(km, allowance):
            continue
        target = room.target
        per_shift = room.event.min_helpers
        candidate = Candidate(
            capacity=sum(s.capacity for s in shifts),
            going=sum(s.going for s in shifts),
            priority=target.priority if target else None,
            target_kind=target.kind if target else None,
            wanted=target.wanted if target else None,
            booked=rooms.booked.get(target.id, 0) if target else 0,
            wanted_here=per_shift * len(shifts) if per_shift else None,
            km=km,
            allowance_km=allowance,
        )
        weighed.append(((room, shifts, candidate), candidate))
    return [
        RoomNeed(room.event, shifts, found, candidate.still_wanted, candidate.places_left)
        for (room, shifts, candidate), found in rank(weighed)
        if found.need > 0
    ]


async def _best(
    conn: AsyncConnection,
    at: datetime,
    rooms: Rooms,
    *,
    volunteer_id: int,
    place: Place,
    parts: set[Part],
    answered: set[int],
    new_chain: bool,
    zone: ZoneInfo,
) -> Offer | None:
    """The best room not offered yet in the chain, noted as offered; None when none is left. A
    new chain first forgets the rooms offered before, so their buttons lapse, offer or not."""
    if new_chain:
        await offered.forget(conn, rooms.election.id, volunteer_id)
    passed = await offered.rooms_offered(conn, rooms.election.id, volunteer_id)
    found = ranked(
        rooms, at, place=place, parts=parts, answered=answered, passed=passed, zone=zone
    )
    if not found:
        return None
    offer_id = await offered.add(
        conn,
        at,
        election_id=rooms.election.id,
        volunteer_id=volunteer_id,
        event_id=found[0].event.id,
    )
    return Offer(offer_id, found[0])


def _parts(parts: tuple[str, ...] | list[str]) -> set[Part]:
    return set(in_order(parts))


def offer_text(offer: Offer, zone: ZoneInfo) -> tuple[str, dict]:
    """The offer as a volunteer reads it, and its buttons (Telegram JSON)."""
    need = offer.need
    return (
        texts.room_offer(
            need.event, need.shifts, need.still_wanted, need.places_left, need.weighed.why, zone
        ),
        keyboards.room_offer(offer.id).to_dict(),
    )


async def offer_after_pledge(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, found: Election, zone: ZoneInfo
) -> Offer | None:
    """Once someone pledges (or changes their pledge) and has no room yet: queue the best room
    for them, starting a new chain. Nothing when they are going to one of the election's rooms
    already, are not on the map, or no room could take them."""
    if volunteer.telegram_id is None:
        return None
    pledge = await polls.pledge_of(conn, found.id, volunteer.id)
    place = await polls.place_of(conn, volunteer.id)
    if pledge is None or place is None:
        return None
    rooms = await rooms_of(conn, found, zone)
    shift_ids = [s.id for r in rooms.rooms for s in r.shifts]
    if (await polls.going_to(conn, shift_ids)).get(volunteer.id):
        return None
    answered = (await polls.answered(conn, shift_ids, volunteer.id)).get(volunteer.id, set())
    offer = await _best(
        conn,
        at,
        rooms,
        volunteer_id=volunteer.id,
        place=place,
        parts=_parts(pledge.parts),
        answered=answered,
        new_chain=True,
        zone=zone,
    )
    if offer is not None:
        text, markup = offer_text(offer, zone)
        await outbox.enqueue(
            conn,
            [Outgoing(volunteer.telegram_id, volunteer.id, ROOM_OFFER, text, markup)],
            at=at,
        )
    return offer


@dataclass(frozen=True)
class Held:
    """An offer pressed: the offer row, its election and the pledge behind it."""

    offer: offered.Offered
    election: Election
    parts: set[Part]


async def _held(conn: AsyncConnection, volunteer: Volunteer, offer_id: int) -> Held | None:
    """The offer if it is theirs and still stands (their pledge is there, and no pledge or
    countdown has started a new chain since); None when it has lapsed."""
    offer = await offered.by_id(conn, offer_id)
    if offer is None or offer.volunteer_id != volunteer.id:
        return None
    found = await polls.by_id(conn, offer.election_id)
    pledge = await polls.pledge_of(conn, offer.election_id, volunteer.id)
    if found is None or pledge is None:
        return None
    return Held(offer, found, _parts(pledge.parts))


async def stands(conn: AsyncConnection, volunteer: Volunteer, offer_id: int) -> bool:
    """Whether an offer pressed is theirs and still stands (Not sure yet changes nothing)."""
    return await _held(conn, volunteer, offer_id) is not None


@dataclass(frozen=True)
class Accepted:
    """Yes to an offer: the room, and each of its shifts answered with what it came to (going,
    or waitlisted with a place); empty when nothing was open for the parts pledged."""

    event: Event
    taken: tuple[tuple[Shift, str, int | None], ...]


async def accept(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    offer_id: int,
    zone: ZoneInfo,
    late_cancel: timedelta,
) -> Accepted | None:
    """Yes: going to the room's shifts in the parts pledged, as any RSVP (waitlisted where a
    shift filled meanwhile; the confirmation, meeting point and calendar file follow through the
    outbox). None when the offer has lapsed; no outcomes when the room has nothing open for
    those parts any more."""
    held = await _held(conn, volunteer, offer_id)
    if held is None:
        return None
    rooms = await rooms_of(conn, held.election, zone)
    room = next((r for r in rooms.rooms if r.event.id == held.offer.event_id), None)
    if room is None:
        return None
    shifts = shifts_in_parts(room, held.election, held.parts, at, zone)
    answered = await rsvps.answer(
        conn,
        at=at,
        volunteer=volunteer,
        shift_ids=[s.id for s in shifts],
        answer=RsvpStatus.GOING,
        callout_id=None,
        zone=zone,
        late_cancel=late_cancel,
    )
    by_id = {s.id: s for s in shifts}
    return Accepted(
        room.event,
        tuple((by_id[o.shift_id], o.status, o.position) for o in answered.outcomes),
    )


@dataclass(frozen=True)
class Another:
    """Another room: the next offer, or None when every room that could take them has been
    offered in this chain."""

    offer: Offer | None


async def another(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, offer_id: int, zone: ZoneInfo
) -> Another | None:
    """The next best room not offered yet in this chain; None when the offer has lapsed."""
    held = await _held(conn, volunteer, offer_id)
    place = await polls.place_of(conn, volunteer.id)
    if held is None or place is None:
        return None
    rooms = await rooms_of(conn, held.election, zone)
    shift_ids = [s.id for r in rooms.rooms for s in r.shifts]
    answered = (await polls.answered(conn, shift_ids, volunteer.id)).get(volunteer.id, set())
    return Another(
        await _best(
            conn,
            at,
            rooms,
            volunteer_id=volunteer.id,
            place=place,
            parts=held.parts,
            answered=answered,
            new_chain=False,
            zone=zone,
        )
    )


async def for_countdown(
    conn: AsyncConnection,
    at: datetime,
    rooms: Rooms,
    person: polls.Pledger,
    answered: set[int],
    zone: ZoneInfo,
) -> Offer | None:
    """The countdown asks again those with no room yet: the best room for them now, starting a
    new chain."""
    return await _best(
        conn,
        at,
        rooms,
        volunteer_id=person.volunteer_id,
        place=person.place,
        parts=_parts(person.parts),
        answered=answered,
        new_chain=True,
        zone=zone,
    )
