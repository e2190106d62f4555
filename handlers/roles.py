"""/grant, /revoke and /roles: who is an organiser or coordinator, and where."""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Update
from telegram.error import TelegramError

from bot import clock, texts
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.domain.permissions import Access, BadRoleRequest, Role, RoleRequest, parse_role_request
from bot.domain.volunteers import Volunteer
from db import audit, roles, volunteers
from db.roles import access_for
from handlers.common import requires

BAD_REQUEST = {"role": texts.UNKNOWN_ROLE, "area": texts.AREA_TOO_LONG}


async def _find(conn: AsyncConnection, who: str) -> Volunteer | None:
    volunteer = (
        await volunteers.by_telegram_id(conn, int(who))
        if who.isdigit()
        else await volunteers.by_username(conn, who)
    )
    return volunteer if volunteer is not None and volunteer.signed_up else None


async def _request(
    update: Update, context: MusterContext, access: Access, usage: str
) -> tuple[RoleRequest, Volunteer] | None:
    """Read and check a /grant or /revoke; tell the caller what is wrong and give None if bad."""
    assert update.effective_message
    try:
        request = parse_role_request(context.args or [])
    except BadRoleRequest as bad:
        await update.effective_message.reply_text(BAD_REQUEST.get(bad.reason, usage))
        return None
    # A revoke with no area means every area, so only someone who manages them all may send it.
    if not access.can_manage(request.role, request.area):
        await update.effective_message.reply_text(texts.cannot_manage(request.role.value))
        return None
    async with context.db.connect() as conn:
        target = await _find(conn, request.who)
    if target is None:
        await update.effective_message.reply_text(texts.no_such_volunteer(request.who))
        return None
    return request, target


async def _tell(context: MusterContext, target: Volunteer, message: str) -> None:
    assert target.telegram_id is not None
    async with context.db.connect() as conn:
        access = await access_for(conn, context.settings.admin_ids, target.telegram_id)
    await refresh_menu(context.bot, access)
    # They may have blocked the bot; the role change stands either way.
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(target.telegram_id, message)


@requires(Role.COORDINATOR)
async def grant(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    found = await _request(update, context, access, texts.GRANT_USAGE)
    if found is None:
        return
    request, target = found
    async with context.db.begin() as conn:
        added = await roles.grant(
            conn,
            volunteer_id=target.id,
            role=request.role.value,
            area=request.area,
            granted_by=access.telegram_id,
            at=clock.now(),
        )
        if added:
            await audit.record(
                conn,
                actor_telegram_id=access.telegram_id,
                action="grant",
                target_volunteer_id=target.id,
                role=request.role.value,
                area=request.area,
                at=clock.now(),
            )
    name = target.name or request.who
    if not added:
        await update.effective_message.reply_text(
            texts.already_has(name, request.role.value, request.area)
        )
        return
    await update.effective_message.reply_text(texts.granted(name, request.role.value, request.area))
    await _tell(context, target, texts.you_were_granted(request.role.value, request.area))


@requires(Role.COORDINATOR)
async def revoke(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    found = await _request(update, context, access, texts.REVOKE_USAGE)
    if found is None:
        return
    request, target = found
    area = request.area or None
    async with context.db.begin() as conn:
        removed = await roles.revoke(
            conn, volunteer_id=target.id, role=request.role.value, area=area
        )
        if removed:
            await audit.record(
                conn,
                actor_telegram_id=access.telegram_id,
                action="revoke",
                target_volunteer_id=target.id,
                role=request.role.value,
                area=request.area,
                at=clock.now(),
            )
    name = target.name or request.who
    if not removed:
        await update.effective_message.reply_text(texts.had_no_role(name, request.role.value, area))
        return
    await update.effective_message.reply_text(texts.revoked(name, request.role.value, area))
    await _tell(context, target, texts.you_were_revoked(request.role.value))


@requires(Role.COORDINATOR)
async def list_roles(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    async with context.db.connect() as conn:
        grants = await roles.all_grants(conn)
    areas = access.areas(Role.COORDINATOR)
    visible = [
        (g.name or "", g.role, g.area)
        for g in grants
        if areas is None or g.area.casefold() in {a.casefold() for a in areas}
    ]
    await update.effective_message.reply_text(texts.roles_list(visible))
