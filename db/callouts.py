"""Queries about shift calls: who they reach, and their rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy import false as sql_false
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.audience import Audience, Place, bounding_box, near
from bot.domain.events import Event, Shift
from bot.domain.places import APPROXIMATE, APPROXIMATE_ALLOWANCE_KM, district
from bot.domain.sending import CALL_KINDS
from bot.domain.statuses import CallStatus, EventStatus, OutboxStatus, RsvpStatus
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


@dataclass(frozen=True)
class Recipient:
    volunteer_id: int
    telegram_id: int
    place: Place | None = None


async def audience(
    conn: AsyncConnection,
    *,
    event: Event,
    call_shifts: list[Shift],
    filters: Audience,
    slots: set[str],
    at: datetime,
    weekends: Sequence[tuple[datetime, datetime]] = (),
) -> list[Recipient]:
    """Everyone a call with ``filters`` reaches now, never those who already answered for its
    shifts, paused, forgot, or blocked the bot. ``weekends``: the weekends of its shifts
    (bot.domain.audience.weekend_of), for ``free_that_weekend``."""
    shift_ids = [shift.id for shift in call_shifts]
    conditions = [
        may_call(at),
        ~exists().where(rsvps.c.volunteer_id == volunteers.c.id, rsvps.c.shift_id.in_(shift_ids)),
    ]
    if filters.only:
        conditions.append(volunteers.c.id.in_(sorted(filters.only)))
    if filters.fits_availability:
        conditions.append(
            exists().where(
                volunteer_availability.c.volunteer_id == volunteers.c.id,
                volunteer_availability.c.slot.in_(sorted(slots)),
            )
        )
    if filters.activities:
        conditions.append(
            exists().where(
                volunteer_activities.c.volunteer_id == volunteers.c.id,
                volunteer_activities.c.activity.in_(sorted(filters.activities | {"anything"})),
            )
        )
    if filters.came_to_area:
        past = (
            select(rsvps.c.id)
            .join(shifts, shifts.c.id == rsvps.c.shift_id)
            .join(events, events.c.id == shifts.c.event_id)
            .where(
                rsvps.c.volunteer_id == volunteers.c.id,
                rsvps.c.status == RsvpStatus.GOING,
                shifts.c.ends_at <= at,
                func.lower(events.c.area) == event.area.lower(),
            )
        )
        conditions.append(past.exists())
    if filters.not_answered_earlier:
        called = (
            select(outbox.c.id)
            .join(callouts, callouts.c.id == outbox.c.callout_id)
            .where(
                outbox.c.volunteer_id == volunteers.c.id,
                outbox.c.status == OutboxStatus.SENT,
                callouts.c.event_id == event.id,
            )
        )
        answered = (
            select(rsvps.c.id)
            .join(shifts, shifts.c.id == rsvps.c.shift_id)
            .where(rsvps.c.volunteer_id == volunteers.c.id, shifts.c.event_id == event.id)
        )
        conditions.extend([called.exists(), ~answered.exists()])

    if filters.free_that_weekend and weekends:
        busy = (
            select(rsvps.c.id)
            .join(shifts, shifts.c.id == rsvps.c.shift_id)
            .where(
                rsvps.c.volunteer_id == volunteers.c.id,
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
        conditions.append(~busy.exists())

    meeting = await lookup.meeting_place(conn, event)
    if filters.within_km is not None:
        conditions.append(may_be_near(meeting, filters.within_km))
    rows = await conn.execute(
        select(
            volunteers.c.id,
            volunteers.c.telegram_id,
            volunteers.c.latitude,
            volunteers.c.longitude,
            volunteers.c.postcode,
            volunteers.c.location_source,
        )
        .where(*conditions)
        .order_by(volunteers.c.id)
    )
    found = [
        Recipient(
            row.id,
            row.telegram_id,
            Place(row.latitude, row.longitude, row.postcode, row.location_source in APPROXIMATE),
        )
        for row in rows
    ]
    if filters.within_km is None:
        return found
    return [r for r in found if r.place and near(r.place, meeting, filters.within_km)]


def may_be_near(meeting: Place, within_km: float) -> ColumnElement[bool]:
    """bot.domain.audience.near, narrowed in SQL: everyone it could let in and a few more (the
    corners of a box), so that the rule itself decides over few rows."""
    meeting_district = district(meeting.postcode)
    same_district = (
        volunteers.c.postcode.like(f"{meeting_district} %") if meeting_district else sql_false()
    )
    if not meeting.on_map:
        return same_district
    reach = within_km + meeting.allowance_km + APPROXIMATE_ALLOWANCE_KM
    south, north, west, east = bounding_box(
        meeting.latitude,  # type: ignore[arg-type]
        meeting.longitude,  # type: ignore[arg-type]
        reach,
    )
    in_box = and_(
        volunteers.c.latitude.between(south, north), volunteers.c.longitude.between(west, east)
    )
    # Someone on the map is near by distance alone (bot.domain.audience.near): the district
    # decides only for those off it, which lets an index on latitude serve both halves.
    return or_(in_box, and_(volunteers.c.latitude.is_(None), same_district))


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


async def silent(conn: AsyncConnection, call: Callout, at: datetime) -> list[tuple[int, int]]:
    """(volunteer id, Telegram id) of those a call reached who have answered none of its shifts
    and can still be asked."""
    answered = select(rsvps.c.id).where(
        rsvps.c.volunteer_id == outbox.c.volunteer_id, rsvps.c.shift_id.in_(call.shift_ids)
    )
    rows = await conn.execute(
        select(volunteers.c.id, volunteers.c.telegram_id)
        .join(outbox, outbox.c.volunteer_id == volunteers.c.id)
        .where(
            outbox.c.callout_id == call.id,
            outbox.c.status == OutboxStatus.SENT,
            ~answered.exists(),
            may_call(at),
        )
    )
    return [(row.id, row.telegram_id) for row in rows]
