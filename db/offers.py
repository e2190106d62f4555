"""Queries of room offers: which committee rooms someone who pledged was offered in the offer
chain now running (bot.services.offers), so that "Another room" never offers one twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.schema import room_offers


@dataclass(frozen=True)
class Offered:
    id: int
    election_id: int
    volunteer_id: int
    event_id: int


async def add(
    conn: AsyncConnection,
    at: datetime,
    *,
    election_id: int,
    volunteer_id: int,
    event_id: int,
) -> int:
    """Note a room offered in the chain now running; returns the offer's id, which its buttons
    carry."""
    return (
        await conn.execute(
            insert(room_offers)
            .values(
                election_id=election_id,
                volunteer_id=volunteer_id,
                event_id=event_id,
                offered_at=at,
            )
            .returning(room_offers.c.id)
        )
    ).scalar_one()


async def by_id(conn: AsyncConnection, offer_id: int) -> Offered | None:
    row = (await conn.execute(select(room_offers).where(room_offers.c.id == offer_id))).first()
    if row is None:
        return None
    return Offered(row.id, row.election_id, row.volunteer_id, row.event_id)


async def rooms_offered(conn: AsyncConnection, election_id: int, volunteer_id: int) -> set[int]:
    """The rooms (event ids) offered in the chain now running."""
    return set(
        await conn.scalars(
            select(room_offers.c.event_id).where(
                room_offers.c.election_id == election_id,
                room_offers.c.volunteer_id == volunteer_id,
            )
        )
    )


async def forget(conn: AsyncConnection, election_id: int, volunteer_id: int) -> None:
    """End the chain: the rooms offered in it are forgotten, and their buttons lapse."""
    await conn.execute(
        delete(room_offers).where(
            room_offers.c.election_id == election_id, room_offers.c.volunteer_id == volunteer_id
        )
    )
