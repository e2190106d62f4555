"""/board: the live polling-day board, in a private chat or a committee room's group (the one
command the bot answers in a group rather than pointing to a private chat), and its Stop."""

from __future__ import annotations

from telegram import Message, Update

from bot import clock, keyboards, texts
from bot.context import MusterContext
from bot.domain.permissions import Access, Role
from bot.services import actors
from bot.services import board as boards
from handlers.common import requires


async def _open(update: Update, context: MusterContext, access: Access, refusal: str) -> None:
    message = update.effective_message
    assert message
    settings = context.settings
    at, every = clock.now(), settings.board_every_minutes
    async with context.db.connect() as conn:
        opened = await boards.open_board(conn, at, access, settings.zone, every=every)
    if opened is None:
        await message.reply_text(refusal)
        return
    sent = await message.reply_text(
        opened.text,
        reply_markup=keyboards.board_stop(opened.scope.election.id) if opened.live else None,
    )
    async with context.db.begin() as conn:
        await boards.remember(
            conn,
            at,
            opened,
            chat_id=sent.chat_id,
            message_id=sent.message_id,
            every=every,
        )
    context.wake_outbox()  # an older board here says it moved


@requires(Role.ORGANISER)
async def board(update: Update, context: MusterContext, access: Access) -> None:
    """/board in a private chat: a room manager's rooms, or a coordinator's whole election."""
    await _open(update, context, access, texts.BOARD_NONE)


async def board_in_group(update: Update, context: MusterContext) -> None:
    """/board in a group: the same board, posted and kept there, for a manager or coordinator;
    anyone else is told kindly, without a word about why."""
    assert update.effective_user
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    await _open(update, context, access, texts.BOARD_GROUP_REFUSED)


async def stop_button(update: Update, context: MusterContext) -> None:
    """Stop on a board (tapped, or typed in a private chat): the board stays as it stands."""
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    settings = context.settings
    async with context.db.begin() as conn:
        access = await actors.access(conn, settings.admin_ids, update.effective_user.id)
        stopped = await boards.stop(
            conn,
            clock.now(),
            access,
            chat_id=query.message.chat_id,
            message_id=query.message.message_id,
            zone=settings.zone,
            every=settings.board_every_minutes,
        )
    if stopped.result == "not_yours":
        await query.answer(texts.BOARD_NOT_YOURS, show_alert=True)
        return
    if stopped.result == "already":
        await query.answer(texts.BOARD_ALREADY_STOPPED, show_alert=True)
        await query.edit_message_reply_markup(None)
        return
    await query.answer(texts.BOARD_STOPPED)
    assert stopped.text is not None
    await query.edit_message_text(stopped.text)
