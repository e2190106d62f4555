"""Surges: a room manager's /surge asks the best people right now to come to their committee
room, a batch at a time (rules in bot.domain.surge, people found by db.surges).

Each batch is an urgent message to each person asked (the urgent lane, through the outbox, so the
one budget applies; a paid broadcast where the deployment allows it): the room, how far it is,
"Can you come now?" with Yes / Can't, and the meeting point as a map pin. The first to say yes,
up to the number wanted, are going to the room's shift (an RSVP, with all it brings); later ones
are sent to the nearest other room still short, or thanked. Ten minutes after a batch, if too
few said yes, the next batch is asked (scheduled work). The manager's one message shows the
count, edited as answers come in, with a Stop button.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.audience import NEAR_BAND_KM, Place, distance_km
from bot.domain.events import Event, Shift
from bot.domain.nearest import Candidate, within_reach
from bot.domain.permissions import Access, Role
from bot.domain.planning import Kind
from bot.domain.polling import Election
from bot.domain.sending import SURGE_ASK, SURGE_PIN
from bot.domain.statuses import RsvpStatus
from bot.domain.surge import (
    ASKING,
    NEXT_BATCH_AFTER,
    SURGE_REACH_KM,
    AfterYes,
    AskAnswer,
    Person,
    SurgeStatus,
    after_yes,
    band_end_km,
    batch_size,
    best,
    nearest_short,
    part_at,
    shift_for,
)
from bot.domain.volunteers import Volunteer
from bot.services import offers, rsvps
from bot.settings import Settings
from db import attendance, outbox, work
from db import events as event_rows
from db import polling as polls
from db import surges as found_surges
from db.outbox import Outgoing
from db.surges import Surge

# The ask and its map pin go in the urgent lane (bot.domain.sending); the count the manager
# sees is a follow-up of the answers that change it.
SURGE_COUNT = "surge_count"


def may_surge(access: Access, volunteer_id: int | None, event: Event) -> bool:
    """A room's manager surges it (its area's organisers, while it has none), and coordinators
    of its area."""
    if access.covers(Role.COORDINATOR, event.area):
        return True
    if event.manager_id is not None:
        return event.manager_id == volunteer_id
    return access.covers(Role.ORGANISER, event.area)


@dataclass(frozen=True)
class SurgeRoom:
    election: Election
    event: Event
    shifts: tuple[Shift, ...]
    meeting: Place


def _day_bounds(day_at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    local = day_at.astimezone(zone).date()
    start = datetime.combine(local, time(), zone)
    return start, datetime.combine(local + timedelta(days=1), time(), zone)


async def rooms_for(
    conn: AsyncConnection, at: datetime, access: Access, volunteer_id: int | None, zone: ZoneInfo
) -> list[SurgeRoom]:
    """The committee rooms polling today that this person may surge."""
    day = at.astimezone(zone).date()
    found = []
    for election in await polls.listed(conn, from_day=day):
        if election.day != day:
            continue
        rooms = await offers.rooms_of(conn, election, zone)
        found += [
            SurgeRoom(election, room.event, room.shifts, room.meeting)
            for room in rooms.rooms
            if may_surge(access, volunteer_id, room.event)
        ]
    return found


async def room_for(
    conn: AsyncConnection,
    at: datetime,
    access: Access,
    volunteer_id: int | None,
    event_id: int,
    zone: ZoneInfo,
) -> SurgeRoom | None:
    rooms = await rooms_for(conn, at, access, volunteer_id, zone)
    return next((r for r in rooms if r.event.id == event_id), None)


@dataclass(frozen=True)
class Count:
    """What the manager's message shows."""

    wanted: int
    asked: int
    coming: int
    cant: int
    status: SurgeStatus


async def count_of(conn: AsyncConnection, surge: Surge) -> Count:
    asked, said = await found_surges.counts(conn, surge.id)
    return Count(surge.wanted, asked, said[AskAnswer.YES], said[AskAnswer.CANT], surge.status)


def count_message(surge: Surge, event: Event, count: Count, zone: ZoneInfo) -> tuple[str, dict]:
    """The manager's message as it stands, and its buttons (Stop while it is asking)."""
    markup = keyboards.surge_stop(surge.id) if count.status in ASKING else None
    return (
        texts.surge_count(
            event.title,
            wanted=count.wanted,
            asked=count.asked,
            coming=count.coming,
            cant=count.cant,
            status=count.status,
            needed_at=surge.needed_at,
            created_at=surge.created_at,
            zone=zone,
        ),
        markup.to_dict() if markup is not None else {},
    )


async def _tell_manager(conn: AsyncConnection, at: datetime, surge: Surge, zone: ZoneInfo) -> None:
    """Queue the edit of the manager's message to the count as it now stands."""
    if surge.chat_id is None or surge.message_id is None:
        return  # the manager has been forgotten: nobody to tell
    event = await _event(conn, surge.event_id)
    text, markup = count_message(surge, event, await count_of(conn, surge), zone)
    await outbox.enqueue(
        conn,
        [
            Outgoing(
                surge.chat_id,
                surge.manager_id,
                SURGE_COUNT,
                text,
                markup or None,
                edit_of=surge.message_id,
            )
        ],
        at=at,
    )


async def _event(conn: AsyncConnection, event_id: int) -> Event:
    event = await event_rows.by_id(conn, event_id)
    assert event is not None
    return event


@dataclass(frozen=True)
class Started:
    """A surge started, and the manager's message (its count and Stop button)."""

    surge: Surge
    count: Count
    text: str
    markup: dict


async def start(
    conn: AsyncConnection,
    at: datetime,
    *,
    access: Access,
    manager: Volunteer,
    event_id: int,
    wanted: int,
    minutes: int,
    chat_id: int,
    message_id: int,
    settings: Settings,
) -> Started | str:
    """Start a surge and ask its first batch. Else why not, in the words of bot.texts: the room
    is not theirs or not polling today, it has no shift left, it is not on the map, or a surge
    is already asking for it."""
    room = await room_for(conn, at, access, manager.id, event_id, settings.zone)
    if room is None:
        return texts.SURGE_ROOM_GONE
    if not room.meeting.on_map:
        return texts.SURGE_NOT_ON_MAP
    needed_at = at + timedelta(minutes=minutes)
    shift = shift_for(room.shifts, needed_at)
    if shift is None:
        return texts.SURGE_NO_SHIFT
    if await found_surges.open_at_room(conn, event_id) is not None:
        return texts.SURGE_ALREADY
    surge_id = await found_surges.create(
        conn,
        at,
        election_id=room.election.id,
        event_id=event_id,
        shift_id=shift.id,
        manager_id=manager.id,
        chat_id=chat_id,
        message_id=message_id,
        wanted=wanted,
        needed_at=needed_at,
    )
    surge = await found_surges.by_id(conn, surge_id)
    assert surge is not None
    surge = await _ask_batch(conn, at, surge, room, settings)
    count = await count_of(conn, surge)
    return Started(surge, count, *count_message(surge, room.event, count, settings.zone))


async def _ask_batch(
    conn: AsyncConnection, at: datetime, surge: Surge, room: SurgeRoom, settings: Settings
) -> Surge:
    """Ask the next batch; when nobody is left to ask, the surge is exhausted (otherwise the
    next batch is due in ten minutes). Returns the surge as it now stands."""
    people = await choose(conn, at, surge, room, settings)
    if not people:
        await found_surges.set_status(conn, surge.id, SurgeStatus.EXHAUSTED, at)
    else:
        batch = await found_surges.count_batch(conn, surge.id)
        asks = await found_surges.add_asks(
            conn, surge.id, batch, [(p.volunteer_id, p.km) for p, _ in people], at
        )
        await outbox.enqueue(conn, _asks(room, surge, people, asks, settings), at=at)
        await work.schedule(conn, Kind.SURGE, str(surge.id), at + NEXT_BATCH_AFTER)
    now = await found_surges.by_id(conn, surge.id)
    assert now is not None
    return now


async def choose(
    conn: AsyncConnection, at: datetime, surge: Surge, room: SurgeRoom, settings: Settings
) -> list[tuple[Person, found_surges.Found]]:
    """The best people to ask now for the next batch (bot.domain.surge), with how to reach
    them."""
    _, said = await found_surges.counts(conn, surge.id)
    size = batch_size(surge.wanted, said[AskAnswer.YES])
    if size <= 0:
        return []
    election = room.election
    day_start, day_end = _day_bounds(at, settings.zone)
    part = part_at(
        surge.needed_at.astimezone(settings.zone).time(), election.opens, election.closes
    )
    meeting = room.meeting
    assert meeting.latitude is not None and meeting.longitude is not None
    # Rings growing from one band out, until they hold whole bands of at least ``size`` people,
    # or reach as far as a surge looks: a small box where people are many.
    measured: dict[int, tuple[float, found_surges.Found]] = {}
    ring, looked = NEAR_BAND_KM, None
    while True:
        for person in await found_surges.candidates(
            conn,
            surge=surge,
            part=part,
            meeting=meeting,
            within_km=ring,
            beyond_km=looked,
            day_start=day_start,
            day_end=day_end,
            at=at,
            cap=settings.surge_daily_cap,
        ):
            km = distance_km(
                person.place.latitude,  # type: ignore[arg-type]
                person.place.longitude,  # type: ignore[arg-type]
                meeting.latitude,
                meeting.longitude,
            )
            if within_reach(km, person.place.allowance_km + meeting.allowance_km, SURGE_REACH_KM):
                measured[person.volunteer_id] = (km, person)
        if ring >= SURGE_REACH_KM:
            break
        inside = sorted(km for km, _ in measured.values() if km <= ring)
        looked = ring
        if len(inside) >= size:
            edge = band_end_km(inside[size - 1])
            if edge <= ring:
                measured = {v: m for v, m in measured.items() if m[0] < edge}
                break
            ring = min(edge, SURGE_REACH_KM)
        else:
            # As far again as the people found so far suggest it takes, to a band's edge.
            grow = math.sqrt(size / max(len(inside), 1)) * 1.05
            ring = min(band_end_km(ring * min(max(grow, 1.5), 4.0)), SURGE_REACH_KM)
    rates = await attendance.show_rates(conn, sorted(measured), at) if measured else {}
    chosen = best(
        (Person(vid, km, rates.get(vid)) for vid, (km, _) in measured.items()),
        size,
        settings.newcomer_show_rate,
    )
    return [(p, measured[p.volunteer_id][1]) for p in chosen]


def _asks(
    room: SurgeRoom,
    surge: Surge,
    people: list[tuple[Person, found_surges.Found]],
    asks: dict[int, int],
    settings: Settings,
) -> list[Outgoing]:
    """Everyone's question first, then everyone's map pin: the questions are what cannot wait."""
    event = room.event
    questions = []
    pins = []
    for person, reach in people:
        ask_id = asks[person.volunteer_id]
        questions.append(
            Outgoing(
                reach.telegram_id,
                person.volunteer_id,
                SURGE_ASK,
                texts.surge_ask(
                    event,
                    person.km,
                    reach.place.approximate,
                    surge.needed_at,
                    surge.created_at,
                    settings.zone,
                ),
                keyboards.surge_ask(ask_id).to_dict(),
                paid=settings.paid_broadcast,
            )
        )
        pins.append(
            Outgoing(
                reach.telegram_id,
                person.volunteer_id,
                SURGE_PIN,
                "",
                venue={
                    "latitude": room.meeting.latitude,
                    "longitude": room.meeting.longitude,
                    "title": event.title,
                    "address": event.address or event.area,
                },
                paid=settings.paid_broadcast,
            )
        )
    return questions + pins


async def next_batch(conn: AsyncConnection, at: datetime, detail: str, settings: Settings) -> bool:
    """The due work ten minutes after a batch: if the surge is still asking and short, the next
    batch (or, nobody left, the manager told so). False when there is nothing to do."""
    surge = await found_surges.by_id(conn, int(detail), lock=True)
    if surge is None or surge.status is not SurgeStatus.OPEN:
        return False
    last = await found_surges.last_asked_at(conn, surge.id)
    if last is not None and last + NEXT_BATCH_AFTER > at:
        return False  # a later batch is already waiting its ten minutes
    room = await _room_of(conn, surge.election_id, surge.event_id, settings.zone)
    if room is None:
        await found_surges.set_status(conn, surge.id, SurgeStatus.EXHAUSTED, at)
    else:
        await _ask_batch(conn, at, surge, room, settings)
    now = await found_surges.by_id(conn, surge.id)
    assert now is not None
    await _tell_manager(conn, at, now, settings.zone)
    return True


async def _room_of(
    conn: AsyncConnection, election_id: int, event_id: int, zone: ZoneInfo
) -> SurgeRoom | None:
    election = await polls.by_id(conn, election_id)
    if election is None:
        return None
    rooms = await offers.rooms_of(conn, election, zone)
    room = next((r for r in rooms.rooms if r.event.id == event_id), None)
    if room is None:
        return None
    return SurgeRoom(election, room.event, room.shifts, room.meeting)


@dataclass(frozen=True)
class Answered:
    """What a Yes or Can't came to, for the handler to put in words: ``after`` None for a
    Can't; ``taken`` the RSVP of a confirmed yes; ``other`` the room a late yes is sent to."""

    event: Event
    after: AfterYes | None
    taken: tuple[tuple[Shift, str, int | None], ...] = ()
    other: Event | None = None
    other_km: float = 0.0
    approximate: bool = False


async def answer(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    ask_id: int,
    yes: bool,
    settings: Settings,
) -> Answered | None:
    """Yes or Can't to a surge's ask. None when the ask is not theirs or was answered already."""
    ask = await found_surges.ask_by_id(conn, ask_id)
    if ask is None or ask.volunteer_id != volunteer.id or ask.answer is not None:
        return None
    surge = await found_surges.by_id(conn, ask.surge_id, lock=True)
    assert surge is not None
    event = await _event(conn, surge.event_id)
    if not yes:
        await found_surges.answer(conn, ask.id, AskAnswer.CANT, at)
        await _tell_manager(conn, at, surge, settings.zone)
        return Answered(event, None)
    _, said = await found_surges.counts(conn, surge.id)
    after = after_yes(surge.status, said[AskAnswer.YES], surge.wanted)
    if after is AfterYes.CONFIRM:
        done = await rsvps.answer(
            conn,
            at=at,
            volunteer=volunteer,
            shift_ids=[surge.shift_id],
            answer=RsvpStatus.GOING,
            callout_id=None,
            zone=settings.zone,
            late_cancel=timedelta(hours=settings.late_cancel_hours),
            joining=True,
        )
        (shift,) = await event_rows.shifts_by_ids(conn, [surge.shift_id])
        taken = tuple((shift, o.status, o.position) for o in done.outcomes)
        await found_surges.answer(conn, ask.id, AskAnswer.YES, at)
        if said[AskAnswer.YES] + 1 >= surge.wanted:
            await found_surges.set_status(conn, surge.id, SurgeStatus.FILLED, at)
        now = await found_surges.by_id(conn, surge.id)
        assert now is not None
        await _tell_manager(conn, at, now, settings.zone)
        return Answered(event, after, taken)
    if after is AfterYes.STOPPED:
        await found_surges.answer(conn, ask.id, AskAnswer.LATE, at)
        return Answered(event, after)
    other = await _nearest_short(conn, surge, volunteer, settings.zone)
    await found_surges.answer(
        conn, ask.id, AskAnswer.LATE, at, redirect_event_id=other[0].id if other else None
    )
    if other is None:
        return Answered(event, after)
    return Answered(event, after, other=other[0], other_km=other[1], approximate=other[2])


async def _nearest_short(
    conn: AsyncConnection, surge: Surge, volunteer: Volunteer, zone: ZoneInfo
) -> tuple[Event, float, bool] | None:
    """The nearest other room of the election still short of helpers when this surge wants them
    (its shift then, weighed as /nearest weighs a room's own target), within reach."""
    place = await polls.place_of(conn, volunteer.id)
    election = await polls.by_id(conn, surge.election_id)
    if place is None or not place.on_map or election is None:
        return None
    rooms = await offers.rooms_of(conn, election, zone)
    weighed: list[tuple[tuple[Event, bool], float, int]] = []
    for room in rooms.rooms:
        if room.event.id == surge.event_id or not room.meeting.on_map:
            continue
        shift = shift_for(room.shifts, surge.needed_at)
        if shift is None:
            continue
        km = distance_km(
            place.latitude,  # type: ignore[arg-type]
            place.longitude,  # type: ignore[arg-type]
            room.meeting.latitude,  # type: ignore[arg-type]
            room.meeting.longitude,  # type: ignore[arg-type]
        )
        wanted = Candidate(
            capacity=shift.capacity, going=shift.going, wanted_here=room.event.min_helpers
        ).still_wanted
        weighed.append(((room.event, place.approximate or room.meeting.approximate), km, wanted))
    found = nearest_short(weighed)
    if found is None:
        return None
    (event, approximate), km = found
    return event, km, approximate


async def go_instead(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, ask_id: int, settings: Settings
) -> tuple[Event, tuple[tuple[Shift, str, int | None], ...]] | None:
    """Yes to the other room a late yes was sent to: going to its shift when the surge wants
    helpers. None when the offer is not theirs or was taken already, or the room has no shift
    left."""
    ask = await found_surges.ask_by_id(conn, ask_id)
    if (
        ask is None
        or ask.volunteer_id != volunteer.id
        or ask.answer is not AskAnswer.LATE
        or ask.redirect_event_id is None
    ):
        return None
    surge = await found_surges.by_id(conn, ask.surge_id)
    assert surge is not None
    room = await _room_of(conn, surge.election_id, ask.redirect_event_id, settings.zone)
    shift = shift_for(room.shifts, surge.needed_at) if room is not None else None
    if room is None or shift is None:
        return None
    done = await rsvps.answer(
        conn,
        at=at,
        volunteer=volunteer,
        shift_ids=[shift.id],
        answer=RsvpStatus.GOING,
        callout_id=None,
        zone=settings.zone,
        late_cancel=timedelta(hours=settings.late_cancel_hours),
        joining=True,
    )
    await found_surges.answer(
        conn, ask.id, AskAnswer.MOVED, at, redirect_event_id=ask.redirect_event_id
    )
    return room.event, tuple((shift, o.status, o.position) for o in done.outcomes)


async def stop(
    conn: AsyncConnection,
    at: datetime,
    *,
    access: Access,
    volunteer_id: int | None,
    surge_id: int,
    zone: ZoneInfo,
) -> tuple[str, dict] | None:
    """The manager's Stop: no more batches; later yeses are thanked. Returns the manager's
    message as it now stands; None when it is not theirs to stop."""
    surge = await found_surges.by_id(conn, surge_id, lock=True)
    if surge is None:
        return None
    event = await _event(conn, surge.event_id)
    if not may_surge(access, volunteer_id, event):
        return None
    if surge.status in ASKING:
        await found_surges.set_status(conn, surge.id, SurgeStatus.STOPPED, at)
        surge = await found_surges.by_id(conn, surge.id)
        assert surge is not None
    return count_message(surge, event, await count_of(conn, surge), zone)
