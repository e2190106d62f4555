"""Queries behind /nearest: upcoming sessions around a place, with what bot.domain.nearest weighs
(places left, the target's priority, helpers booked and wanted), and the targets themselves.

Sessions are narrowed by a latitude and longitude box on the meeting point's map pin (the shifts'
time index does the rest); meeting points known only by the postcode in their address are placed
in one batch afterwards and measured like the rest by the caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.audience import Place, bounding_box
from bot.domain.events import Event, Shift
from bot.domain.places import APPROXIMATE, APPROXIMATE_ALLOWANCE_KM, postcode_in
from bot.domain.statuses import EventStatus, RsvpStatus
from db.places import lookup
from db.schema import events, rsvps, shifts, targets


@dataclass(frozen=True)
class Target:
    id: int
    name: str
    kind: str
    priority: int
    why: str
    wanted: int | None
    place: Place


@dataclass(frozen=True)
class Session:
    """An upcoming shift, its event, where it meets and the target it works for (if any)."""

    event: Event
    shift: Shift
    meeting: Place
    target: Target | None


def _target(row: object) -> Target:
    m = row._mapping  # type: ignore[attr-defined]
    return Target(
        id=m["t_id"],
        name=m["t_name"],
        kind=m["t_kind"],
        priority=m["t_priority"],
        why=m["t_why"],
        wanted=m["t_wanted"],
        place=Place(
            m["t_latitude"], m["t_longitude"], m["t_postcode"], m["t_source"] in APPROXIMATE
        ),
    )


_TARGET_COLUMNS = (
    targets.c.id.label("t_id"),
    targets.c.name.label("t_name"),
    targets.c.kind.label("t_kind"),
    targets.c.priority.label("t_priority"),
    targets.c.why.label("t_why"),
    targets.c.helpers_wanted.label("t_wanted"),
    targets.c.latitude.label("t_latitude"),
    targets.c.longitude.label("t_longitude"),
    targets.c.postcode.label("t_postcode"),
    targets.c.location_source.label("t_source"),
)


async def sessions_around(
    conn: AsyncConnection,
    *,
    latitude: float,
    longitude: float,
    reach_km: float,
    at: datetime,
    until: datetime,
    volunteer_id: int | None,
) -> list[Session]:
    """Shifts open for answers that start before ``until``, whose meeting point may be within
    ``reach_km`` (plus the allowance for places known only roughly, both ends), leaving out those
    ``volunteer_id`` already answered; soonest first. Meeting points without a map pin come
    too, placed by their address's postcode, or left out when it is not on the map."""
    south, north, west, east = bounding_box(
        latitude, longitude, reach_km + 2 * APPROXIMATE_ALLOWANCE_KM
    )
    going = (
        select(func.count())
        .where(rsvps.c.shift_id == shifts.c.id, rsvps.c.status == RsvpStatus.GOING)
        .scalar_subquery()
    )
    conditions = [
        shifts.c.status == EventStatus.ACTIVE,
        shifts.c.starts_at > at,
        shifts.c.starts_at < until,
        events.c.status == EventStatus.ACTIVE,
        or_(
            and_(events.c.latitude.between(south, north), events.c.longitude.between(west, east)),
            events.c.latitude.is_(None),
            events.c.longitude.is_(None),
        ),
    ]
    if volunteer_id is not None:
        conditions.append(
            ~exists().where(rsvps.c.shift_id == shifts.c.id, rsvps.c.volunteer_id == volunteer_id)
        )
    rows = (
        await conn.execute(
            select(
                shifts,
                going.label("going"),
                *(c.label(f"e_{c.name}") for c in events.c),
                *_TARGET_COLUMNS,
            )
            .select_from(
                shifts.join(events, events.c.id == shifts.c.event_id).outerjoin(
                    targets, targets.c.id == events.c.target_id
                )
            )
            .where(*conditions)
            .order_by(shifts.c.starts_at, shifts.c.id)
        )
    ).all()
    unpinned = {
        row.e_address
        for row in rows
        if (row.e_latitude is None or row.e_longitude is None) and row.e_address
    }
    placed = await lookup.locate_many(conn, unpinned) if unpinned else {}
    found = []
    for row in rows:
        m = row._mapping
        event = Event(**{c.name: m[f"e_{c.name}"] for c in events.c})
        if event.has_location:
            meeting = Place(event.latitude, event.longitude, event.address)
        else:
            located = placed.get(postcode_in(event.address) or "")
            if located is None:
                continue
            meeting = Place(located.latitude, located.longitude, event.address, located.approximate)
        shift = Shift(**{c.name: m[c.name] for c in shifts.c}, going=m["going"])
        target = _target(row) if m["t_id"] is not None else None
        found.append(Session(event, shift, meeting, target))
    return found


async def booked(
    conn: AsyncConnection, target_ids: Iterable[int], *, since: datetime, until: datetime
) -> list[tuple[int, int, datetime]]:
    """(target id, volunteer id, shift start) of every "going" for the targets' shifts starting
    in [since, until): the caller counts helpers per target and local day."""
    ids = sorted(set(target_ids))
    if not ids:
        return []
    rows = await conn.execute(
        select(events.c.target_id, rsvps.c.volunteer_id, shifts.c.starts_at)
        .select_from(
            rsvps.join(shifts, shifts.c.id == rsvps.c.shift_id).join(
                events, events.c.id == shifts.c.event_id
            )
        )
        .where(
            events.c.target_id.in_(ids),
            events.c.status == EventStatus.ACTIVE,
            shifts.c.status == EventStatus.ACTIVE,
            shifts.c.starts_at >= since,
            shifts.c.starts_at < until,
            rsvps.c.status == RsvpStatus.GOING,
        )
    )
    return [(row.target_id, row.volunteer_id, row.starts_at) for row in rows]


async def all_targets(conn: AsyncConnection) -> list[Target]:
    """Every target (a campaign has tens or hundreds): the caller measures and picks."""
    rows = await conn.execute(select(*_TARGET_COLUMNS).order_by(targets.c.priority, targets.c.id))
    return [_target(row) for row in rows]
