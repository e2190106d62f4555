"""A volunteer's rights over their data: a copy of everything (/mydata) and erasure (/forget)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.statuses import VolunteerStatus
from db import lifts, outbox, rounds, state, surges
from db.schema import (
    audit_log,
    boards,
    cards,
    consents,
    elections,
    events,
    pledges,
    roles,
    room_offers,
    rsvps,
    shifts,
    volunteer_activities,
    volunteer_availability,
    volunteers,
)

# Every column of `volunteers` that can identify a person or that they typed. Erasure clears all
# of them; tests check that nothing personal survives in any table.
PERSONAL_FIELDS = (
    "telegram_id",
    "username",
    "name",
    "postcode",
    "latitude",
    "longitude",
    "phone",
    "start_payload",
    "paused_until",
)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def _rows(conn: AsyncConnection, query: Any) -> list[dict[str, Any]]:
    return [
        {key: _plain(value) for key, value in row._mapping.items()}
        for row in await conn.execute(query)
    ]


async def export(conn: AsyncConnection, volunteer_id: int, *, at: datetime) -> dict[str, Any]:
    """Everything stored about one volunteer, as plain JSON-ready data."""
    person = await _rows(conn, select(volunteers).where(volunteers.c.id == volunteer_id))
    telegram_id = person[0]["telegram_id"] if person else None
    return {
        "exported_at": at.isoformat(),
        "volunteer": person[0] if person else None,
        "availability": list(
            await conn.scalars(
                select(volunteer_availability.c.slot).where(
                    volunteer_availability.c.volunteer_id == volunteer_id
                )
            )
        ),
        "activities": list(
            await conn.scalars(
                select(volunteer_activities.c.activity).where(
                    volunteer_activities.c.volunteer_id == volunteer_id
                )
            )
        ),
        "consents": await _rows(
            conn, select(consents).where(consents.c.volunteer_id == volunteer_id)
        ),
        "roles": await _rows(conn, select(roles).where(roles.c.volunteer_id == volunteer_id)),
        "answers": await _rows(
            conn,
            select(
                rsvps.c.status,
                rsvps.c.responded_at,
                rsvps.c.cancel_reason,
                rsvps.c.checked_in_at,
                rsvps.c.walk_in,
                rsvps.c.doors,
                rsvps.c.debrief_note,
                shifts.c.starts_at,
                shifts.c.ends_at,
                events.c.title,
                events.c.area,
            )
            .join(shifts, shifts.c.id == rsvps.c.shift_id)
            .join(events, events.c.id == shifts.c.event_id)
            .where(rsvps.c.volunteer_id == volunteer_id)
            .order_by(shifts.c.starts_at),
        ),
        # Polling-day pledges: which election, which parts of the day, the area placed in.
        "pledges": await _rows(
            conn,
            select(
                elections.c.name.label("election"),
                elections.c.day,
                pledges.c.parts,
                pledges.c.area,
                pledges.c.pledged_at,
                pledges.c.updated_at,
            )
            .join(elections, elections.c.id == pledges.c.election_id)
            .where(pledges.c.volunteer_id == volunteer_id)
            .order_by(elections.c.day),
        ),
        # Committee rooms offered to them for a pledge, in the offer chain now running.
        "room_offers": await _rows(
            conn,
            select(
                elections.c.name.label("election"),
                events.c.title.label("room"),
                room_offers.c.offered_at,
            )
            .join(elections, elections.c.id == room_offers.c.election_id)
            .join(events, events.c.id == room_offers.c.event_id)
            .where(room_offers.c.volunteer_id == volunteer_id)
            .order_by(room_offers.c.id),
        ),
        # Knock-up rounds from a committee room: when they went out, came back, and the doors.
        "rounds": [
            {
                "out_at": r.out_at.isoformat(),
                "back_at": r.back_at.isoformat() if r.back_at else None,
                "doors": r.doors,
            }
            for r in await rounds.volunteer_rounds(conn, volunteer_id)
        ],
        # Polling-day boards they started: which election, which chat, when.
        "boards": await _rows(
            conn,
            select(
                elections.c.name.label("election"),
                boards.c.chat_id,
                boards.c.started_at,
                boards.c.stopped_at,
                boards.c.ended,
            )
            .join(elections, elections.c.id == boards.c.election_id)
            .where(boards.c.started_by == volunteer_id)
            .order_by(boards.c.id),
        ),
        # Polling day's surges that asked them to come now: the room, the distance, the answer.
        "surge_asks": await _rows(conn, surges.export_query(volunteer_id)),
        # Lifts offered or asked for, and the drivers and riders suggested (their side only).
        **await lifts.export(conn, volunteer_id),
        # A draft or a typed answer the bot is waiting for (see db.state).
        "in_progress": await state.of_person(conn, telegram_id) if telegram_id else None,
        "audit_log": await _rows(
            conn,
            select(audit_log)
            .where(
                or_(
                    audit_log.c.target_volunteer_id == volunteer_id,
                    audit_log.c.actor_telegram_id == telegram_id,
                )
            )
            .order_by(audit_log.c.id),
        ),
    }


async def erase(conn: AsyncConnection, volunteer_id: int, *, at: datetime) -> None:
    """Clear every personal field in every table, keeping an anonymous row so counts still add up.

    With the Telegram id gone the bot has no way to message them again; if they press Start later
    they are a new volunteer.
    """
    telegram_id = await conn.scalar(
        select(volunteers.c.telegram_id).where(volunteers.c.id == volunteer_id)
    )
    await conn.execute(
        update(volunteers)
        .where(volunteers.c.id == volunteer_id)
        .values(
            {field: None for field in PERSONAL_FIELDS}
            | {
                "status": VolunteerStatus.FORGOTTEN,
                "location_source": None,
                "step": None,
                "editing": False,
                "paused": False,
                "forgotten_at": at,
                # Nothing is left to keep or ask them about.
                "last_contact_at": None,
                "retention_warned_at": None,
                "notice_asked": None,
            }
        )
    )
    # A pledge reveals a political opinion and is of no use without them: it goes entirely.
    # So do the rooms offered to them for it.
    for table in (volunteer_availability, volunteer_activities, roles, cards, pledges, room_offers):
        await conn.execute(delete(table).where(table.c.volunteer_id == volunteer_id))
    await conn.execute(
        update(events).where(events.c.manager_id == volunteer_id).values(manager_id=None)
    )
    # Boards they started say which chats they are in: gone, and no longer edited.
    await conn.execute(delete(boards).where(boards.c.started_by == volunteer_id))
    # Who surges asked and what they said; a surge they sent keeps only its count.
    await surges.erase(conn, volunteer_id)
    # Lifts they offered or asked for, and every pairing with them, whatever its state.
    await lifts.erase(conn, volunteer_id)
    # When they went out and came back goes; their rounds' doors stay counted in their answers.
    await rounds.erase(conn, volunteer_id)
    # Their answers and attendance stay as anonymous counts, without anything they typed.
    await conn.execute(
        update(rsvps)
        .where(rsvps.c.volunteer_id == volunteer_id)
        .values(cancel_reason=None, debrief_note=None)
    )
    # Messages to them, sent or waiting: no chat id and no text left (waiting ones are then
    # marked unreachable by the sender without being sent).
    await outbox.forget_volunteer(conn, volunteer_id)
    await conn.execute(
        update(consents)
        .where(consents.c.volunteer_id == volunteer_id, consents.c.withdrawn_at.is_(None))
        .values(withdrawn_at=at)
    )
    if telegram_id is not None:
        await state.forget(conn, telegram_id)
        await conn.execute(
            update(audit_log)
            .where(audit_log.c.actor_telegram_id == telegram_id)
            .values(actor_telegram_id=None)
        )
