"""A word to an event's organisers (a late cancel, a reason, someone running late), queued in the
outbox in the caller's transaction, so a crash after the commit cannot lose it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.events import Event
from bot.domain.volunteers import Volunteer
from db import outbox, roles, volunteers


async def tell_organisers(
    conn: AsyncConnection,
    event: Event,
    text: str,
    *,
    at: datetime,
    about: Volunteer,
) -> int:
    """Queue ``text``, which is about the volunteer ``about``, to each of the event's organisers
    but them (they may be an organiser too); returns how many."""
    messages = []
    for organiser in await roles.organisers_of(conn, event.area, event.created_by):
        if organiser == about.telegram_id:
            continue
        # Their volunteer row, so that erasing them also clears what is queued for them.
        person = await volunteers.by_telegram_id(conn, organiser)
        messages.append(
            outbox.Outgoing(
                chat_id=organiser,
                volunteer_id=person.id if person else None,
                kind="organiser_alert",
                text=text,
                about=about.id,
            )
        )
    return await outbox.enqueue(conn, messages, at=at)
