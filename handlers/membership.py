"""Telegram telling the bot that a person blocked or unblocked it (``my_chat_member``)."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot import clock
from bot.context import MusterContext
from bot.services import volunteers

# Statuses of the bot in a private chat: "kicked" once the person blocks it, "member" again once
# they unblock it (or restart it).
_BLOCKED = ChatMember.BANNED


async def on_my_chat_member(update: Update, context: MusterContext) -> None:
    change = update.my_chat_member
    assert change is not None
    if change.chat.type != change.chat.PRIVATE:
        return  # the bot added to or removed from a group: nobody's reachability changes
    blocked = change.new_chat_member.status == _BLOCKED
    async with context.db.begin() as conn:
        await volunteers.set_blocked(conn, clock.now(), change.chat.id, blocked)
