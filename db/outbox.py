"""The outbox: every message to many people is a row here first, sent at Telegram's pace by
`schedules.outbox`. A crash or restart loses nothing: unsent rows are still here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import clock
from db.schema import outbox

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNREACHABLE = "unreachable"
FAILED = "failed"


@dataclass(frozen=True)
class Outgoing:
    """One message to one chat: sendMessage's text and reply_markup (Telegram JSON)."""

    chat_id: int
    volunteer_id: int | None
    kind: str
    text: str
    reply_markup: dict[str, Any] | None = None
    callout_id: int | None = None


async def enqueue(conn: AsyncConnection, messages: Iterable[Outgoing]) -> int:
    """Add messages to the outbox in the caller's transaction; returns how many."""
    at = clock.now()
    rows = [
        {
            "callout_id": message.callout_id,
            "volunteer_id": message.volunteer_id,
            "chat_id": message.chat_id,
            "kind": message.kind,
            "payload": {"text": message.text, "reply_markup": message.reply_markup},
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        for message in messages
    ]
    if rows:
        await conn.execute(insert(outbox), rows)
    return len(rows)
