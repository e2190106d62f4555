"""/grant, /revoke and /roles: who is an organiser or coordinator, and where."""

from __future__ import annotations

from telegram import Update

from bot import clock, texts
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.domain.permissions import Access, BadRoleRequest, Role, RoleRequest, parse_role_request
from bot.domain.volunteers import Volunteer
from bot.services import actors, roles
from handlers.common import requires

BAD_REQUEST = {"role": texts.UNKNOWN_ROLE, "area": texts.AREA_TOO_LONG}


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
        target = await roles.find(conn, request.who)
    if target is None:
        await update.effective_message.reply_text(texts.no_such_volunteer(request.who))
        return None
    return request, target


async def _new_menu(context: MusterContext, target: Volunteer) -> None:
    assert target.telegram_id is not None
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, target.telegram_id)
    await refresh_menu(context.bot, access)


@requires(Role.COORDINATOR)
async def grant(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    found = await _request(update, context, access, texts.GRANT_USAGE)
    if found is None:
        return
    request, target = found
    async with context.db.begin() as conn:
        added = await roles.grant(conn, clock.now(), access, request, target)
    name = target.name or request.who
    if not added:
        await update.effective_message.reply_text(
            texts.already_has(name, request.role.value, request.area)
        )
        return
    context.wake_outbox()
    await update.effective_message.reply_text(texts.granted(name, request.role.value, request.area))
    await _new_menu(context, target)


@requires(Role.COORDINATOR)
async def revoke(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    found = await _request(update, context, access, texts.REVOKE_USAGE)
    if found is None:
        return
    request, target = found
    async with context.db.begin() as conn:
        removed = await roles.revoke(conn, clock.now(), access, request, target)
    name = target.name or request.who
    area = request.area or None
    if not removed:
        await update.effective_message.reply_text(texts.had_no_role(name, request.role.value, area))
        return
    context.wake_outbox()
    await update.effective_message.reply_text(texts.revoked(name, request.role.value, area))
    await _new_menu(context, target)


@requires(Role.COORDINATOR)
async def list_roles(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    async with context.db.connect() as conn:
        grants = await roles.visible_grants(conn, access)
    await update.effective_message.reply_text(
        texts.roles_list([(g.name or "", g.role, g.area) for g in grants])
    )
