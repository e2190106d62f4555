"""Steps tests share: signing a volunteer up the way a person would, and reading what was stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from db import volunteers
from db.schema import metadata
from db.volunteers import Volunteer
from tests.fake_telegram import FakeUser


async def sign_up(
    user: FakeUser,
    *,
    postcode: str = "se15 4qr",
    when: tuple[str, ...] = ("Saturdays",),
    what: tuple[str, ...] = ("Door-knocking",),
    share_phone: bool = False,
) -> None:
    await user.send("/start")
    await user.press(texts.CONSENT_YES)
    await user.press(texts.USE_NAME.format(name=user.first_name))
    await user.send(postcode)
    for label in when:
        await user.press(label)
    await user.press(texts.DONE)
    for label in what:
        await user.press(label)
    await user.press(texts.DONE)
    await user.press(texts.SHARE_PHONE if share_phone else texts.SKIP)


async def stored(engine: AsyncEngine, telegram_id: int) -> Volunteer | None:
    async with engine.connect() as conn:
        return await volunteers.by_telegram_id(conn, telegram_id)


async def every_row(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, for checks that something is nowhere to be found."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(select(table))
            found[table.name] = [dict(row._mapping) for row in rows]
    return found
