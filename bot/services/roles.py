"""Giving and taking roles: each change is audited, and the person it concerns is told through
the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.domain.permissions import Access, Grant, Role, RoleRequest
from bot.domain.volunteers import Volunteer
from db import audit, outbox, roles, volunteers


async def find(conn: AsyncConnection, who: str) -> Volunteer | None:
    """A signed-up volunteer by Telegram id or @username."""
    volunteer = (
        await volunteers.by_telegram_id(conn, int(who))
        if who.isdigit()
        else await volunteers.by_username(conn, who)
    )
    return volunteer if volunteer is not None and volunteer.signed_up else None


async def _tell(conn: AsyncConnection, target: Volunteer, text: str, at: datetime) -> None:
    assert target.telegram_id is not None
    await outbox.enqueue(
        conn,
        [
            outbox.Outgoing(
                chat_id=target.telegram_id, volunteer_id=target.id, kind="role", text=text
            )
        ],
        at=at,
    )


async def grant(
    conn: AsyncConnection, at: datetime, by: Access, request: RoleRequest, target: Volunteer
) -> bool:
    """Give the role; False when they already had exactly it (nothing changes then)."""
    added = await roles.grant(
        conn,
        volunteer_id=target.id,
        role=request.role.value,
        area=request.area,
        granted_by=by.telegram_id,
        at=at,
    )
    if added:
        await audit.record(
            conn,
            actor_telegram_id=by.telegram_id,
            action="grant",
            target_volunteer_id=target.id,
            role=request.role.value,
            area=request.area,
            at=at,
        )
        await _tell(conn, target, texts.you_were_granted(request.role.value, request.area), at)
    return added


async def revoke(
    conn: AsyncConnection, at: datetime, by: Access, request: RoleRequest, target: Volunteer
) -> bool:
    """Take the role away (in every area when none is named); False when they did not have it."""
    removed = await roles.revoke(
        conn, volunteer_id=target.id, role=request.role.value, area=request.area or None
    )
    if removed:
        await audit.record(
            conn,
            actor_telegram_id=by.telegram_id,
            action="revoke",
            target_volunteer_id=target.id,
            role=request.role.value,
            area=request.area,
            at=at,
        )
        await _tell(conn, target, texts.you_were_revoked(request.role.value), at)
    return removed


async def visible_grants(conn: AsyncConnection, by: Access) -> list[Grant]:
    """The roles a coordinator may see: those in their own areas (an admin sees all)."""
    areas = by.areas(Role.COORDINATOR)
    wanted = None if areas is None else {a.casefold() for a in areas}
    return [
        g for g in await roles.all_grants(conn) if wanted is None or g.area.casefold() in wanted
    ]
