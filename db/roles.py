"""Queries about organiser and coordinator roles. Admins come from settings, not from here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.permissions import EVERY_AREA, Access, Grant
from db.schema import roles, volunteers

_GRANTS = (
    select(
        roles.c.volunteer_id,
        volunteers.c.telegram_id,
        volunteers.c.name,
        roles.c.role,
        roles.c.area,
    )
    .join(volunteers, volunteers.c.id == roles.c.volunteer_id)
    .order_by(roles.c.role, roles.c.area, volunteers.c.name)
)


async def grants_of(conn: AsyncConnection, telegram_id: int) -> list[Grant]:
    rows = await conn.execute(_GRANTS.where(volunteers.c.telegram_id == telegram_id))
    return [Grant(*row) for row in rows]


async def all_grants(conn: AsyncConnection) -> list[Grant]:
    return [Grant(*row) for row in await conn.execute(_GRANTS)]


async def grant(
    conn: AsyncConnection,
    *,
    volunteer_id: int,
    role: str,
    area: str,
    granted_by: int,
    at: datetime,
) -> bool:
    """Give a role; False when they already had exactly it."""
    exists = await conn.scalar(
        select(roles.c.id).where(
            roles.c.volunteer_id == volunteer_id,
            roles.c.role == role,
            func.lower(roles.c.area) == area.lower(),
        )
    )
    if exists:
        return False
    await conn.execute(
        insert(roles).values(
            volunteer_id=volunteer_id,
            role=role,
            area=area,
            granted_by=granted_by,
            granted_at=at,
        )
    )
    return True


async def revoke(conn: AsyncConnection, *, volunteer_id: int, role: str, area: str | None) -> int:
    """Take a role away, in one area or (area None) in all; returns how many grants went."""
    condition = (roles.c.volunteer_id == volunteer_id) & (roles.c.role == role)
    if area is not None:
        # Areas are typed by people: "Peckham" and "peckham" are one place.
        condition &= func.lower(roles.c.area) == area.lower()
    return (await conn.execute(delete(roles).where(condition))).rowcount


async def holders(conn: AsyncConnection) -> list[int]:
    """Telegram ids of everyone with a role, for their command menus."""
    rows = await conn.scalars(
        select(volunteers.c.telegram_id)
        .join(roles, roles.c.volunteer_id == volunteers.c.id)
        .where(volunteers.c.telegram_id.is_not(None))
        .distinct()
    )
    return list(rows)


async def organisers_of(conn: AsyncConnection, area: str, created_by: int | None) -> list[int]:
    """Telegram ids of those who look after an event: its area's organisers and coordinators
    (and those for every area), and whoever created it."""
    rows = await conn.scalars(
        select(volunteers.c.telegram_id)
        .join(roles, roles.c.volunteer_id == volunteers.c.id)
        .where(
            volunteers.c.telegram_id.is_not(None),
            (roles.c.area == EVERY_AREA) | (func.lower(roles.c.area) == area.lower()),
        )
        .distinct()
    )
    people = set(rows)
    if created_by is not None:
        people.add(created_by)
    return sorted(people)


async def access_for(conn: AsyncConnection, admin_ids: frozenset[int], telegram_id: int) -> Access:
    return Access(
        telegram_id=telegram_id,
        is_admin=telegram_id in admin_ids,
        grants=tuple(await grants_of(conn, telegram_id)),
    )
