"""The audit log of privileged actions: who granted what, who broadcast what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.schema import audit_log


async def record(
    conn: AsyncConnection,
    *,
    actor_telegram_id: int | None,
    action: str,
    at: datetime,
    target_volunteer_id: int | None = None,
    **detail: Any,
) -> None:
    """Write one entry. ``detail`` holds ids, role names and areas, never personal data."""
    await conn.execute(
        insert(audit_log).values(
            at=at,
            actor_telegram_id=actor_telegram_id,
            action=action,
            target_volunteer_id=target_volunteer_id,
            detail=detail,
        )
    )
