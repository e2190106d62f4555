"""What people are in the middle of, kept across restarts: each person's state as JSON, and the
question each open conversation is on. ``bot.persistence`` reads and writes it through these."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from db.schema import conversation_state, user_state


def _upsert(conn: AsyncConnection, table: Table, values: dict[str, Any], update: set[str]) -> Any:
    # Both dialects spell "insert, or update if the key is there" the same way.
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(values)
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: statement.excluded[name] for name in update},
    )


async def people(conn: AsyncConnection) -> dict[int, dict[str, Any]]:
    """Everyone's saved state, by Telegram id."""
    rows = await conn.execute(select(user_state.c.telegram_id, user_state.c.data))
    return {telegram_id: data for telegram_id, data in rows}


async def of_person(conn: AsyncConnection, telegram_id: int) -> dict[str, Any] | None:
    return await conn.scalar(
        select(user_state.c.data).where(user_state.c.telegram_id == telegram_id)
    )


async def save_person(conn: AsyncConnection, telegram_id: int, data: dict[str, Any]) -> None:
    await conn.execute(
        _upsert(conn, user_state, {"telegram_id": telegram_id, "data": data}, {"data"})
    )


async def drop_person(conn: AsyncConnection, telegram_id: int) -> None:
    await conn.execute(delete(user_state).where(user_state.c.telegram_id == telegram_id))


async def conversations(conn: AsyncConnection, name: str) -> dict[tuple[int, int], int]:
    """The open conversations called ``name``: the question each is on, by (chat, user)."""
    rows = await conn.execute(
        select(
            conversation_state.c.chat_id, conversation_state.c.user_id, conversation_state.c.state
        ).where(conversation_state.c.name == name)
    )
    return {(chat_id, user_id): state for chat_id, user_id, state in rows}


async def save_conversation(
    conn: AsyncConnection, name: str, chat_id: int, user_id: int, state: int | None
) -> None:
    """Keep the question a conversation is on; None means it has ended."""
    if state is None:
        await conn.execute(
            delete(conversation_state).where(
                conversation_state.c.name == name,
                conversation_state.c.chat_id == chat_id,
                conversation_state.c.user_id == user_id,
            )
        )
        return
    values = {"name": name, "chat_id": chat_id, "user_id": user_id, "state": state}
    await conn.execute(_upsert(conn, conversation_state, values, {"state"}))


async def forget(conn: AsyncConnection, telegram_id: int) -> None:
    """Nothing kept of what this person was in the middle of (see db.privacy.erase)."""
    await drop_person(conn, telegram_id)
    await conn.execute(
        delete(conversation_state).where(conversation_state.c.user_id == telegram_id)
    )
