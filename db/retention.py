"""The data policy row (the privacy notice version shown now, the campaign's end), the volunteers
the retention rule looks at, and taking ids out of old audit-log rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.statuses import VolunteerStatus
from bot.domain.volunteers import Purpose
from db.schema import LAST_CONTACT, audit_log, data_policy, volunteers
from db.volunteers import latest_choice

_ROW = 1


@dataclass(frozen=True)
class Policy:
    notice_version: str | None = None
    campaign_ends_at: datetime | None = None


@dataclass(frozen=True)
class Kept:
    """One volunteer as the retention rule sees them."""

    volunteer_id: int
    telegram_id: int | None
    last_contact: datetime
    warned_at: datetime | None
    keeps_for_future: bool


async def policy(conn: AsyncConnection) -> Policy:
    row = (await conn.execute(select(data_policy).where(data_policy.c.id == _ROW))).first()
    return Policy(row.notice_version, row.campaign_ends_at) if row else Policy()


async def set_policy(conn: AsyncConnection, **values: Any) -> None:
    found = await conn.scalar(select(data_policy.c.id).where(data_policy.c.id == _ROW))
    if found is None:
        await conn.execute(insert(data_policy).values(id=_ROW, **values))
    else:
        await conn.execute(update(data_policy).where(data_policy.c.id == _ROW).values(**values))


async def people(conn: AsyncConnection, *, quiet_since: datetime | None = None) -> list[Kept]:
    """Everyone not yet forgotten, signed up or half-way, with what the rule needs; only those
    last in touch by ``quiet_since``, if given (bot.domain.retention.Rule.quiet_since)."""
    query = select(
        volunteers.c.id,
        volunteers.c.telegram_id,
        LAST_CONTACT.label("last_contact"),
        volunteers.c.retention_warned_at,
        latest_choice(Purpose.FUTURE).label("keeps"),
    ).where(volunteers.c.status != VolunteerStatus.FORGOTTEN)
    if quiet_since is not None:
        query = query.where(quiet_since >= LAST_CONTACT)
    found = [
        Kept(row.id, row.telegram_id, row.last_contact, row.retention_warned_at, bool(row.keeps))
        for row in await conn.execute(query)
    ]
    # In id order, sorted here: asked for in SQL, SQLite walks every volunteer in id order
    # rather than the few quiet ones through ix_volunteers_last_contact.
    return sorted(found, key=lambda kept: kept.volunteer_id)


async def warned(conn: AsyncConnection, volunteer_ids: list[int], at: datetime) -> None:
    if volunteer_ids:
        await conn.execute(
            update(volunteers)
            .where(volunteers.c.id.in_(volunteer_ids))
            .values(retention_warned_at=at)
        )


async def touch(conn: AsyncConnection, volunteer_id: int, at: datetime, **also: Any) -> None:
    """They were in touch at ``at``."""
    await conn.execute(
        update(volunteers).where(volunteers.c.id == volunteer_id).values(last_contact_at=at, **also)
    )


async def strip_old_audit_ids(conn: AsyncConnection, before: datetime) -> int:
    """Audit-log rows older than ``before`` keep what was done and when, but no longer whom by or
    to; returns how many rows changed."""
    result = await conn.execute(
        update(audit_log)
        .where(
            audit_log.c.at < before,
            or_(
                audit_log.c.actor_telegram_id.is_not(None),
                audit_log.c.target_volunteer_id.is_not(None),
            ),
        )
        .values(actor_telegram_id=None, target_volunteer_id=None)
    )
    return result.rowcount or 0
