"""Who is acting: the volunteer behind a Telegram user, and what they may do."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.permissions import Access
from bot.domain.volunteers import Volunteer
from db import roles, volunteers
from db.engine import keep, kept, reads_only


async def load_volunteer(
    conn: AsyncConnection, telegram_id: int, username: str | None
) -> Volunteer | None:
    """The volunteer behind a Telegram user. In a writing transaction, what their message tells us
    is kept on the way: their current @username (for /grant look-ups), and that they can be
    reached again if they had blocked the bot before. Only to read, a second load in one update
    (see db.engine.kept) is what the first found: the contact note, then the handler, ask."""
    if reads_only(conn):
        volunteer = kept(_key(telegram_id)) or await volunteers.by_telegram_id(conn, telegram_id)
        if volunteer is not None:
            keep(_key(telegram_id), volunteer)
        return volunteer
    volunteer = await volunteers.by_telegram_id(conn, telegram_id)
    if volunteer is None:
        return None
    fresh: dict[str, object] = {}
    if volunteer.username != username:
        fresh["username"] = username
    if volunteer.unreachable_at is not None:
        fresh["unreachable_at"] = None
    if fresh:
        await volunteers.update_fields(conn, volunteer.id, **fresh)
    return volunteer


def remember(volunteer: Volunteer) -> None:
    """``volunteer`` as this update has just written them, for its next load to read."""
    if volunteer.telegram_id is not None:
        keep(_key(volunteer.telegram_id), volunteer)


def _key(telegram_id: int) -> tuple[str, int]:
    return ("volunteer", telegram_id)


async def access(conn: AsyncConnection, admin_ids: frozenset[int], telegram_id: int) -> Access:
    """What this person may do: admins come from settings, the rest from their granted roles."""
    return await roles.access_for(conn, admin_ids, telegram_id)


async def role_holders(conn: AsyncConnection, admin_ids: frozenset[int]) -> list[Access]:
    """Everyone with a role (admins included), for their command menus."""
    people = set(admin_ids) | set(await roles.holders(conn))
    return [await roles.access_for(conn, admin_ids, telegram_id) for telegram_id in sorted(people)]
