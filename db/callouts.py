"""Queries about shift calls: who they reach, and their rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Select, and_, case, func, insert, or_, select, update
from sqlalchemy import false as sql_false
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.audience import EARTH_RADIUS_KM, Audience, Place, bounding_box
from bot.domain.events import Event, Shift
from bot.domain.places import APPROXIMATE, APPROXIMATE_ALLOWANCE_KM, district
from bot.domain.sending import CALL_KINDS
from bot.domain.statuses import CallStatus, EventStatus, OutboxStatus, RsvpStatus
from db.outbox import Outgoing, enqueue_each, payload_of
from db.places import lookup
from db.schema import (
    callouts,
    events,
    outbox,
    rsvps,
    shifts,
    volunteer_activities,
    volunteer_availability,
    volunteers,
)
from db.volunteers import may_call


@dataclass(frozen=True)
class Callout:
    id: int
    event_id: int
    shift_ids: list[int]
    audience: dict[str, Any]
    message: str | None
    created_by: int | None
    created_at: datetime
    send_at: datetime
    status: str
    recipients: int | None
    progress_chat_id: int | None
    progress_message_id: int | None
    finished_at: datetime | None
    rsvp_deadline: datetime | None = None
    # What each volunteer it reaches gets, once it is launched (db.outbox.composed).
    payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class Recipient:
    volunteer_id: int
    telegram_id: int
    place: Place | None = None


@dataclass(frozen=True)
class Reach:
    """Whom a call is for: its event and shifts, the organiser's filters, the availability
    answers its shifts fall in (bot.domain.audience.slots_for) and the weekends they fall in
    (bot.domain.audience.weekend_of, for ``free_that_weekend``)."""

    event: Event
    call_shifts: list[Shift]
    filters: Audience
    slots: set[str]
    weekends: Sequence[tuple[datetime, datetime]] = ()


async def audience(conn: AsyncConnection, reach: Reach, at: datetime) -> list[Recipient]:
    """Everyone a call reaches now, never those who already answered for its shifts, paused,
    forgot, or blocked the bot."""
    rows = await conn.execute(
        select(
            volunteers.c.id,
            volunteers.c.telegram_id,
            volunteers.c.latitude,
            volunteers.c.longitude,
            volunteers.c.postcode,
            volunteers.c.location_source,
        )
        .where(*await reached(conn, reach, at))
        .order_by(volunteers.c.id)
    )
    return [
        Recipient(
            row.id,
            row.telegram_id,
            Place(row.latitude, row.longitude, row.postcode, row.location_source in APPROXIMATE),
        )
        for row in rows
    ]


async def audience_ids(conn: AsyncConnection, reach: Reach, at: datetime) -> Select[Any]:
    """The ids of :func:`audience`, as a subquery for other reads about the same people."""
    return select(volunteers.c.id).where(*await reached(conn, reach, at))


async def count(conn: AsyncConnection, reach: Reach, at: datetime) -> int:
    """How many :func:`audience` holds, counted by the database."""
    query = select(func.count()).select_from(volunteers).where(*await reached(conn, reach, at))
    return int(await conn.scalar(query) or 0)


async def reached(conn: AsyncConnection, reach: Reach, at: datetime) -> list[ColumnElement[bool]]:
    """The conditions on ``volunteers`` a call's audience meets: one list for counting it,
    listing it and queuing it, so the three always agree. Each filter is one condition, and each
    a subquery that does not refer back to the volunteer (the database works it out once)."""
    filters, event = reach.filters, reach.event
    shift_ids = [shift.id for shift in reach.call_shifts]
    conditions = [may_call(at), volunteers.c.id.not_in(_answered(shift_ids))]
    if filters.only:
        # Chosen people (a top-up): at most twice a shift's places.
        conditions.append(volunteers.c.id.in_(sorted(filters.only)))
    if filters.fits_availability:
        conditions.append(
            volunteers.c.id.in_(
                select(volunteer_availability.c.volunteer_id).where(
                    volunteer_availability.c.slot.in_(sorted(reach.slots))
                )
            )
        )
    if filters.activities:
        conditions.append(
            volunteers.c.id.in_(
                select(volunteer_activities.c.volunteer_id).where(
                    volunteer_activities.c.activity.in_(sorted(filters.activities | {"anything"}))
                )
            )
        )
    if filters.came_to_area:
        conditions.append(volunteers.c.id.in_(_came_to(event.area, at)))
    if filters.not_answered_earlier:
        conditions.append(volunteers.c.id.in_(_called_for(event.id)))
        event_shifts = select(shifts.c.id).where(shifts.c.event_id == event.id)
        conditions.append(volunteers.c.id.not_in(_answered(event_shifts)))
    if filters.free_that_weekend and reach.weekends:
        conditions.append(volunteers.c.id.not_in(_busy_in(reach.weekends)))
    if filters.within_km is not None:
        meeting = await lookup.meeting_place(conn, event)
        conditions.append(within(meeting, filters.within_km))
    return conditions


def _answered(shift_ids: list[int] | Select[Any]) -> Select[Any]:
    """Volunteers who answered for any of these shifts."""
    return select(rsvps.c.volunteer_id).where(rsvps.c.shift_id.in_(shift_ids))


def _came_to(area: str, at: datetime) -> Select[Any]:
    """Volunteers who said going to a shift in ``area`` that is over. The area's shifts are found
    first and their answers read from the (shift_id, status, volunteer_id) index: written as a
    join, SQLite read all of rsvps and looked up each answer's shift and event (8 times slower)."""
    over_in_area = (
        select(shifts.c.id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(shifts.c.ends_at <= at, func.lower(events.c.area) == area.lower())
    )
    return select(rsvps.c.volunteer_id).where(
        rsvps.c.shift_id.in_(over_in_area), rsvps.c.status == RsvpStatus.GOING
    )


def _busy_in(weekends: Sequence[tuple[datetime, datetime]]) -> Select[Any]:
    """Volunteers going to a shift still on in any of ``weekends``."""
    return (
        select(rsvps.c.volunteer_id)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .where(
            rsvps.c.status == RsvpStatus.GOING,
            shifts.c.status == EventStatus.ACTIVE,
            or_(
                *(
                    and_(shifts.c.starts_at >= start, shifts.c.starts_at < end)
                    for start, end in weekends
                )
            ),
        )
    )


def _called_for(event_id: int) -> Select[Any]:
    """Volunteers an earlier call for the event reached."""
    return (
        select(outbox.c.volunteer_id)
        .join(callouts, callouts.c.id == outbox.c.callout_id)
        .where(
            callouts.c.event_id == event_id,
            outbox.c.status == OutboxStatus.SENT,
            outbox.c.volunteer_id.is_not(None),
        )
    )


def within(meeting: Place, within_km: float) -> ColumnElement[bool]:
    """bot.domain.audience.near, in SQL: by distance for those on the map (found by their box on
    the (latitude, longitude) index first), else by the meeting point's postcode district."""
    meeting_district = district(meeting.postcode)
    same_district = (
        volunteers.c.postcode.like(f"{meeting_district} %") if meeting_district else sql_false()
    )
    on_map = and_(volunteers.c.latitude.is_not(None), volunteers.c.longitude.is_not(None))
    if not meeting.on_map:
        return same_district
    assert meeting.latitude is not None and meeting.longitude is not None
    south, north, west, east = bounding_box(
        meeting.latitude,
        meeting.longitude,
        within_km + meeting.allowance_km + APPROXIMATE_ALLOWANCE_KM,
    )
    allowance = case(
        (
            volunteers.c.location_source.in_(sorted(source.value for source in APPROXIMATE)),
            APPROXIMATE_ALLOWANCE_KM,
        ),
        else_=0.0,
    )
    gap = _distance_km(meeting.latitude, meeting.longitude) - allowance - meeting.allowance_km
    by_distance = and_(
        volunteers.c.latitude.between(south, north),
        volunteers.c.longitude.between(west, east),
        gap <= within_km,
    )
    return or_(by_distance, and_(~on_map, same_district))


def _distance_km(latitude: float, longitude: float) -> ColumnElement[float]:
    """bot.domain.audience.distance_km from each volunteer to a point, in SQL (both engines have
    these functions; db.engine gives SQLite them where its build lacks them)."""
    radians, sin, cos = func.radians, func.sin, func.cos
    phi1, phi2 = radians(volunteers.c.latitude, type_=Float), math.radians(latitude)
    dphi, dlmb = phi2 - phi1, radians(longitude - volunteers.c.longitude, type_=Float)
    half_dphi, half_dlmb = sin(dphi / 2, type_=Float), sin(dlmb / 2, type_=Float)
    h = half_dphi * half_dphi + cos(phi1, type_=Float) * math.cos(phi2) * (half_dlmb * half_dlmb)
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(h, type_=Float), type_=Float)


async def queue(
    conn: AsyncConnection,
    reach: Reach,
    *,
    callout_id: int,
    kind: str,
    message: dict[str, Any],
    at: datetime,
) -> int:
    """Queue a call's message to everyone it reaches now, in one statement: ``message`` (text,
    reply_markup, paid) is stored once, on the call. Returns how many were queued."""
    await conn.execute(update(callouts).where(callouts.c.id == callout_id).values(payload=message))
    people = (
        select(volunteers.c.id, volunteers.c.telegram_id)
        .where(*await reached(conn, reach, at))
        .order_by(volunteers.c.id)
    )
    return await enqueue_each(conn, people, callout_id=callout_id, kind=kind, at=at)


async def create(
    conn: AsyncConnection,
    *,
    event_id: int,
    shift_ids: list[int],
    filters: Audience,
    message: str | None,
    created_by: int,
    send_at: datetime,
    progress_chat_id: int,
    at: datetime,
    rsvp_deadline: datetime | None = None,
) -> int:
    return (
        await conn.execute(
            insert(callouts)
            .values(
                event_id=event_id,
                shift_ids=shift_ids,
                audience=filters.to_json(),
                message=message,
                created_by=created_by,
                created_at=at,
                send_at=send_at,
                rsvp_deadline=rsvp_deadline,
                status=CallStatus.SCHEDULED,
                progress_chat_id=progress_chat_id,
            )
            .returning(callouts.c.id)
        )
    ).scalar_one()


async def by_id(conn: AsyncConnection, callout_id: int) -> Callout | None:
    row = (await conn.execute(select(callouts).where(callouts.c.id == callout_id))).first()
    return Callout(**row._mapping) if row else None


async def claim_due(conn: AsyncConnection, at: datetime) -> list[int]:
    """Scheduled calls whose time has come, marked as sending so that no one else launches them."""
    ids = list(
        await conn.scalars(
            select(callouts.c.id)
            .where(callouts.c.status == CallStatus.SCHEDULED, callouts.c.send_at <= at)
            .order_by(callouts.c.send_at, callouts.c.id)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        await conn.execute(
            update(callouts).where(callouts.c.id.in_(ids)).values(status=CallStatus.SENDING)
        )
    return ids


async def mark_sending(
    conn: AsyncConnection, callout_id: int, *, recipients: int, progress_message_id: int | None
) -> None:
    values: dict[str, Any] = {"status": CallStatus.SENDING, "recipients": recipients}
    if progress_message_id is not None:
        values["progress_message_id"] = progress_message_id
    await conn.execute(update(callouts).where(callouts.c.id == callout_id).values(**values))


async def for_message(conn: AsyncConnection, chat_id: int, message_id: int) -> int | None:
    """The call a delivered message belongs to."""
    return await conn.scalar(
        select(outbox.c.callout_id).where(
            outbox.c.chat_id == chat_id, outbox.c.message_id == message_id
        )
    )


async def latest_for(conn: AsyncConnection, volunteer_id: int) -> tuple[int, int] | None:
    """The newest call delivered to a volunteer, as (callout id, message id)."""
    row = (
        await conn.execute(
            select(outbox.c.callout_id, outbox.c.message_id)
            .where(
                outbox.c.volunteer_id == volunteer_id,
                outbox.c.callout_id.is_not(None),
                outbox.c.status == OutboxStatus.SENT,
            )
            .order_by(outbox.c.sent_at.desc(), outbox.c.id.desc())
            .limit(1)
        )
    ).first()
    return (row.callout_id, row.message_id) if row else None


async def mark_done_empty(conn: AsyncConnection, callout_id: int, *, at: datetime) -> None:
    await conn.execute(
        update(callouts)
        .where(callouts.c.id == callout_id)
        .values(status=CallStatus.DONE, recipients=0, finished_at=at)
    )


async def claim_now(conn: AsyncConnection, callout_id: int) -> Callout:
    """A call sent straight away: marked as sending before its messages are queued."""
    await conn.execute(
        update(callouts).where(callouts.c.id == callout_id).values(status=CallStatus.SENDING)
    )
    call = await by_id(conn, callout_id)
    assert call is not None
    return call


async def recently_called(conn: AsyncConnection, since: datetime) -> set[int]:
    """Volunteers sent a call or a nudge since ``since``: not asked again so soon."""
    rows = await conn.scalars(
        select(outbox.c.volunteer_id).where(
            outbox.c.kind.in_((*CALL_KINDS, "chaser")),
            outbox.c.sent_at >= since,
            outbox.c.volunteer_id.is_not(None),
        )
    )
    return set(rows)


def _silent(call: Callout, at: datetime) -> Select[Any]:
    """(volunteer id, Telegram id) of those a call reached who have answered none of its shifts
    and can still be asked."""
    return (
        select(volunteers.c.id, volunteers.c.telegram_id)
        .join(outbox, outbox.c.volunteer_id == volunteers.c.id)
        .where(
            outbox.c.callout_id == call.id,
            outbox.c.status == OutboxStatus.SENT,
            volunteers.c.id.not_in(_answered(call.shift_ids)),
            may_call(at),
        )
    )


async def count_silent(conn: AsyncConnection, call: Callout, at: datetime) -> int:
    """How many a call reached have answered none of its shifts and can still be asked."""
    found = await conn.scalar(select(func.count()).select_from(_silent(call, at).subquery()))
    return int(found or 0)


async def chase(conn: AsyncConnection, call: Callout, at: datetime, message: Outgoing) -> int:
    """Queue ``message`` to each of those a call reached who have answered none of its shifts and
    can still be asked (its own chat and volunteer are ignored: each row gets theirs), in one
    INSERT ... SELECT: built and written one by one from Python, a chaser to 50,000 took over a
    second of the write lock. Returns how many were queued."""
    payload = payload_of(message)
    return await enqueue_each(
        conn, _silent(call, at), callout_id=None, kind=message.kind, at=at, payload=payload
    )
