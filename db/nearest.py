"""Queries behind /nearest: upcoming sessions around a place, with what bot.domain.nearest weighs
(places left, the target's priority, helpers booked and wanted), and the targets themselves.

Sessions are narrowed by a latitude and longitude box around the place searched from: on the
meeting point's map pin in SQL, and for meeting points known only by the postcode in their address,
after placing those in one batch; the caller measures exact distances."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.audience import Place, bounding_box
from bot.domain.events import Event, Shift
from bot.domain.places import APPROXIMATE_ALLOWANCE_KM, Located, postcode_in
from bot.domain.statuses import EventStatus, RsvpStatus
from bot.domain.targets import Target
from db.places import lookup
from db.schema import events, rsvps, shift_totals, shifts, targets


@dataclass(frozen=True)
class Session:
    """An upcoming shift, its event, where it meets and the target it works for (if any)."""

    event: Event
    shift: Shift
    meeting: Place
    target: Target | None


@dataclass(frozen=True)
class Nearby:
    """An upcoming shift as the ranking weighs it: most in reach are never shown, so only the
    few that are (:func:`sessions`) are read in full."""

    shift_id: int
    starts_at: datetime
    capacity: int
    going: int
    meeting: Place
    # The target it works for (None: none), with what the ranking weighs of it.
    target_id: int | None
    priority: int | None
    target_kind: str | None
    helpers_wanted: int | None


def _target(row: object) -> Target:
    m = row._mapping  # type: ignore[attr-defined]
    return Target(**{column.name: m[f"t_{column.name}"] for column in targets.c})


_TARGET_COLUMNS = tuple(column.label(f"t_{column.name}") for column in targets.c)


async def sessions_around(
    conn: AsyncConnection,
    *,
    latitude: float,
    longitude: float,
    reach_km: float,
    at: datetime,
    until: datetime,
    volunteer_id: int | None,
) -> list[Nearby]:
    """Shifts open for answers that start before ``until``, whose meeting point may be within
    ``reach_km`` (plus the allowance for places known only roughly, both ends), leaving out those
    ``volunteer_id`` already answered; soonest first. Meeting points without a map pin come
    too, placed by their address's postcode, or left out when it is not on the map."""
    south, north, west, east = bounding_box(
        latitude, longitude, reach_km + 2 * APPROXIMATE_ALLOWANCE_KM
    )
    in_window = and_(
        shifts.c.status == EventStatus.ACTIVE,
        shifts.c.starts_at > at,
        shifts.c.starts_at < until,
    )
    # Meeting points known only by a postcode: placed here, in one go, and kept if in the box.
    unpinned = (
        await conn.execute(
            select(events.c.id, events.c.address).where(
                events.c.status == EventStatus.ACTIVE,
                or_(events.c.latitude.is_(None), events.c.longitude.is_(None)),
                exists().where(shifts.c.event_id == events.c.id, in_window),
            )
        )
    ).all()
    placed = await lookup.locate_many(conn, [row.address for row in unpinned if row.address])
    around: dict[int, Located] = {}
    for row in unpinned:
        located = placed.get(postcode_in(row.address) or "")
        if located and south <= located.latitude <= north and west <= located.longitude <= east:
            around[row.id] = located

    # Kept by db.totals as answers are written. It leaves out walk-ins, who come only once a
    # shift is under way, and these shifts have not started.
    going = func.coalesce(shift_totals.c.going, 0)
    in_box = and_(events.c.latitude.between(south, north), events.c.longitude.between(west, east))
    # The events around come first, as a list of ids: SQLite would otherwise go through every
    # shift in the window (thousands), asking of each whether the volunteer answered it, before
    # finding the few whose event is near (9 ms against under 1 ms at 2,000 shifts).
    nearby_events = select(events.c.id).where(
        events.c.status == EventStatus.ACTIVE,
        or_(in_box, events.c.id.in_(sorted(around))) if around else in_box,
    )
    conditions = [in_window, shifts.c.event_id.in_(nearby_events)]
    if volunteer_id is not None:
        conditions.append(
            ~exists().where(rsvps.c.shift_id == shifts.c.id, rsvps.c.volunteer_id == volunteer_id)
        )
    rows = await conn.execute(
        select(
            shifts.c.id,
            shifts.c.starts_at,
            shifts.c.capacity,
            going.label("going"),
            events.c.id.label("event_id"),
            events.c.latitude,
            events.c.longitude,
            events.c.address,
            events.c.target_id,
            targets.c.priority,
            targets.c.kind,
            targets.c.helpers_wanted,
        )
        .select_from(
            shifts.join(events, events.c.id == shifts.c.event_id)
            .outerjoin(targets, targets.c.id == events.c.target_id)
            .outerjoin(shift_totals, shift_totals.c.shift_id == shifts.c.id)
        )
        .where(*conditions)
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    found = []
    for row in rows:
        if row.latitude is not None and row.longitude is not None:
            meeting = Place(row.latitude, row.longitude, row.address)
        else:
            located = around[row.event_id]
            meeting = Place(located.latitude, located.longitude, row.address, located.approximate)
        found.append(
            Nearby(
                shift_id=row.id,
                starts_at=row.starts_at,
                capacity=row.capacity,
                going=row.going,
                meeting=meeting,
                target_id=row.target_id,
                priority=row.priority,
                target_kind=row.kind,
                helpers_wanted=row.helpers_wanted,
            )
        )
    return found


async def sessions(conn: AsyncConnection, chosen: Sequence[Nearby]) -> list[Session]:
    """The chosen shifts in full, in the order given, with their events and targets; each as the
    ranking saw it (its going and meeting point), and left out if it has gone since."""
    if not chosen:
        return []
    rows = await conn.execute(
        select(
            shifts,
            *(c.label(f"e_{c.name}") for c in events.c),
            *_TARGET_COLUMNS,
        )
        .select_from(
            shifts.join(events, events.c.id == shifts.c.event_id).outerjoin(
                targets, targets.c.id == events.c.target_id
            )
        )
        .where(shifts.c.id.in_([nearby.shift_id for nearby in chosen]))
    )
    loaded = {}
    for row in rows:
        m = row._mapping
        loaded[m["id"]] = (
            Event(**{c.name: m[f"e_{c.name}"] for c in events.c}),
            m,
            _target(row) if m["t_id"] is not None else None,
        )
    found = []
    for nearby in chosen:
        if nearby.shift_id not in loaded:
            continue
        event, m, target = loaded[nearby.shift_id]
        shift = Shift(**{c.name: m[c.name] for c in shifts.c}, going=nearby.going)
        found.append(Session(event, shift, nearby.meeting, target))
    return found


async def booked(
    conn: AsyncConnection, target_ids: Iterable[int], days: Sequence[tuple[datetime, datetime]]
) -> dict[tuple[int, int], int]:
    """Helpers going to each target's shifts on each of ``days`` (each [start, end) of a local
    day, in order), as {(target id, index of the day): people}; someone on two shifts that day
    counts once."""
    ids = sorted(set(target_ids))
    if not ids or not days:
        return {}
    day = case(
        *((shifts.c.starts_at < end, n) for n, (_start, end) in enumerate(days)),
        else_=len(days),
    ).label("day")
    rows = await conn.execute(
        select(events.c.target_id, day, func.count(distinct(rsvps.c.volunteer_id)).label("people"))
        .select_from(
            events.join(shifts, shifts.c.event_id == events.c.id).join(
                rsvps, rsvps.c.shift_id == shifts.c.id
            )
        )
        .where(
            events.c.target_id.in_(ids),
            events.c.status == EventStatus.ACTIVE,
            shifts.c.status == EventStatus.ACTIVE,
            shifts.c.starts_at >= days[0][0],
            shifts.c.starts_at < days[-1][1],
            rsvps.c.status == RsvpStatus.GOING,
        )
        .group_by(events.c.target_id, day)
    )
    return {(row.target_id, row.day): row.people for row in rows}


async def all_targets(conn: AsyncConnection) -> list[Target]:
    """Every target (a campaign has tens or hundreds): the caller measures and picks."""
    rows = await conn.execute(select(*_TARGET_COLUMNS).order_by(targets.c.priority, targets.c.id))
    return [_target(row) for row in rows]
