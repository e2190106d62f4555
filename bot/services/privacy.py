"""A volunteer's rights over their data: a copy of everything held (/mydata), and erasure
(/forget), which first gives their places to whoever is next in line."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.domain.permissions import Access
from bot.domain.rsvp import Outcome, ShiftClosed
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import actors, lifts
from bot.services.rsvps import queue_moved, tell_promoted
from db import audit, privacy, rsvps


async def export(conn: AsyncConnection, at: datetime, volunteer: Volunteer) -> dict[str, Any]:
    """Everything stored about them, as plain JSON-ready data, with where we think they are in
    words (a typed postcode is on the map only roughly)."""
    data = await privacy.export(conn, volunteer.id, at=at)
    data["where"] = texts.where_held(volunteer.postcode, volunteer.location_source)
    return data


async def forget(
    conn: AsyncConnection,
    at: datetime,
    *,
    volunteer: Volunteer,
    admin_ids: frozenset[int],
    zone: ZoneInfo,
) -> Access:
    """Erase them, keeping an anonymous row so counts still add up. Returns what the Telegram user
    may still do (admins keep theirs: it is configuration), for their command menu."""
    assert volunteer.telegram_id is not None
    # Places they held go to the next in line before they disappear.
    freed: list[Outcome] = []
    for item in await rsvps.upcoming_for(conn, volunteer.id, at):
        with contextlib.suppress(ShiftClosed):
            freed.append(
                await rsvps.respond(
                    conn,
                    shift_id=item.shift_id,
                    volunteer_id=volunteer.id,
                    answer=RsvpStatus.CANT,
                    at=at,
                )
            )
    for outcome in freed:
        await tell_promoted(conn, outcome.promoted, zone, at)
        if outcome.moves_queue:
            await queue_moved(conn, at, outcome.shift_id, zone)
    # Whoever they were sharing a lift with hears it is off, without their name.
    await lifts.forget(conn, at, volunteer, zone)
    await privacy.erase(conn, volunteer.id, at=at)
    await audit.record(
        conn, actor_telegram_id=None, action="forget", target_volunteer_id=volunteer.id, at=at
    )
    return await actors.access(conn, admin_ids, volunteer.telegram_id)
