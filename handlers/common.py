"""What every flow shares: loading the volunteer, the permission guard, /help, and the answers to
input nobody else handles (unknown commands, expired buttons, group chats, errors)."""

from __future__ import annotations

import contextlib
import functools
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ConversationHandler

from bot import clock, keyboards, texts
from bot.botapi import MusterBot, typed
from bot.commands import sections
from bot.context import MusterContext
from bot.domain.permissions import Access, Role
from bot.domain.signup import ORDER
from bot.domain.volunteers import Volunteer
from bot.services import actors

log = logging.getLogger(__name__)

Handler = Callable[[Update, MusterContext], Awaitable[Any]]
Guarded = Callable[[Update, MusterContext, Access], Awaitable[Any]]


async def load_volunteer(conn: AsyncConnection, user: User) -> Volunteer | None:
    """The volunteer behind ``user`` (see bot.services.actors.load_volunteer)."""
    return await actors.load_volunteer(conn, user.id, user.username)


async def not_signed_up(
    update: Update, context: MusterContext, volunteer: Volunteer | None
) -> None:
    """The one answer to someone who tried what needs them signed up and is not: part-way
    through sign-up, where they are and a button to carry on; otherwise, how to sign up."""
    query = update.callback_query
    step = volunteer.step if volunteer is not None and not volunteer.signed_up else None
    if step is None:
        if query is not None:
            await query.answer(texts.NOT_SIGNED_UP, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.NOT_SIGNED_UP)
        return
    if query is not None:
        await query.answer(texts.SIGNUP_UNFINISHED_ALERT, show_alert=True)
    assert update.effective_chat
    await context.bot.send_message(
        update.effective_chat.id,
        texts.signup_unfinished(step, ORDER.index(step), len(ORDER)),
        reply_markup=keyboards.carry_on(),
    )


async def signed_up(update: Update, conn: AsyncConnection) -> Volunteer | None:
    """The volunteer who acted, if they have finished sign-up, on the caller's connection.
    Refusing the others (:func:`refuse_not_signed_up`) is left to the caller, once its connection
    is back in the pool: nothing holds one while it waits to send."""
    assert update.effective_user
    volunteer = await load_volunteer(conn, update.effective_user)
    return volunteer if volunteer is not None and volunteer.signed_up else None


async def signed_up_or_refused(update: Update, context: MusterContext) -> Volunteer | None:
    """The volunteer who acted, if they have finished sign-up; the others are told what to do
    (:func:`not_signed_up`), and get None. Only reads: the contact note every update makes has
    already kept what their message tells us."""
    assert update.effective_user
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is not None and volunteer.signed_up:
        return volunteer
    await not_signed_up(update, context, volunteer)
    return None


async def refuse_not_signed_up(update: Update, context: MusterContext) -> None:
    """:func:`not_signed_up` for a handler that has already given its connection back (nothing
    holds one while it waits to send): where they are in sign-up is read again, briefly."""
    assert update.effective_user
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    await not_signed_up(update, context, volunteer)


def requires(role: Role) -> Callable[[Guarded], Handler]:
    """The one permission check for privileged commands: refuse everyone below ``role``."""

    def wrap(callback: Guarded) -> Handler:
        @functools.wraps(callback)
        async def guarded(update: Update, context: MusterContext) -> Any:
            assert update.effective_user and update.effective_message
            async with context.db.connect() as conn:
                access = await actors.access(
                    conn, context.settings.admin_ids, update.effective_user.id
                )
            if not access.has(role):
                await update.effective_message.reply_text(texts.not_allowed(role.value))
                return ConversationHandler.END
            # The result matters to conversations: it is their next state.
            return await callback(update, context, access)

        return guarded

    return wrap


# Telegram allows 4,096 characters a message; blocks are packed up to this.
MESSAGE_LIMIT = 4000


async def reply_blocks(update: Update, blocks: Iterable[str]) -> None:
    """Send blocks of text, as few messages as fit; a block too long for one is cut at lines."""
    assert update.effective_message
    message, current = update.effective_message, ""
    for block in blocks:
        for part in _pieces(block):
            if current and len(current) + 2 + len(part) > MESSAGE_LIMIT:
                await message.reply_text(current)
                current = ""
            current = f"{current}\n\n{part}" if current else part
    if current:
        await message.reply_text(current)


def _pieces(block: str) -> list[str]:
    pieces, current = [], ""
    for line in block.split("\n"):
        if current and len(current) + 1 + len(line) > MESSAGE_LIMIT:
            pieces.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*pieces, current]


async def help_command(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    await update.effective_message.reply_text(texts.help_text(sections(access)))


async def nothing_to_cancel(update: Update, _context: MusterContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL)


async def unknown_command(update: Update, _context: MusterContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


def _offered(update: Update) -> bool:
    """Whether the pressed data is on the message's keyboard as it is now.

    Telegram sends the message in its current state, so a press whose data is not on it is either
    forged or from a keyboard we have since taken away.
    """
    query = update.callback_query
    message = query.message if query else None
    markup = message.reply_markup if isinstance(message, Message) else None
    if query is None or markup is None:
        return False
    return any(
        button.callback_data == query.data for row in markup.inline_keyboard for button in row
    )


def _stale(update: Update, context: MusterContext) -> bool:
    """Whether the press was made on the message as it was before the bot last changed it: the
    second of a double tap, which the first has already answered. Words typed for a button press
    the keyboard as it is now (handlers.typed), so they are never stale."""
    query = update.callback_query
    message = query.message if query else None
    return (
        isinstance(message, Message)
        and query is not None
        and not typed(query)
        and isinstance(context.bot, MusterBot)
        and context.bot.changed_since(message)
    )


def offered_only(callback: Handler) -> Handler:
    """Wraps every button handler: a press we did not offer gets "expired", and a press on a card
    that has changed since gets "already done"; neither changes anything."""

    @functools.wraps(callback)
    async def checked(update: Update, context: MusterContext) -> Any:
        if not _offered(update):
            await expired_button(update, context)
            return None
        if _stale(update, context):
            assert update.callback_query
            await update.callback_query.answer(texts.ALREADY_DONE)
            return None
        return await callback(update, context)

    return checked


async def expired_button(update: Update, _context: MusterContext) -> None:
    """Any press no flow claimed: an old keyboard, or data we never made."""
    assert update.callback_query
    await update.callback_query.answer(texts.EXPIRED_BUTTON, show_alert=True)


async def edited(update: Update, _context: MusterContext) -> None:
    """An edited message is never acted on: editing an old "hello" into a command, a sign-up
    answer or "yes" must not run it. Nothing after this sees it."""
    message = update.edited_message
    if message is not None and message.chat.type == message.chat.PRIVATE:
        await message.reply_text(texts.EDITED_MESSAGE)
    raise ApplicationHandlerStop


async def group_redirect(update: Update, context: MusterContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(
        texts.GROUP_ONLY_PRIVATE, reply_markup=keyboards.private_chat(context.bot.username)
    )


REPORT_EVERY = timedelta(minutes=1)


def _where(error: BaseException) -> str:
    """The handler or job the error came out of: the outermost of our functions in its
    traceback (the permission guard's wrapper aside), by module and name."""
    tb = error.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        name = tb.tb_frame.f_code.co_qualname
        if module.startswith(("handlers.", "schedules.")) and "<locals>" not in name:
            return f"{module}.{name}"
        tb = tb.tb_next
    return "unknown"


async def _report_error(
    context: MusterContext, error: BaseException, update_id: int | None
) -> None:
    """Tell ERROR_CHAT_ID, if set, that something failed: only the error's class, where and the
    update's number (its message, like the update, can hold names and phone numbers). Sent
    directly, not through the outbox: the database may be what is failing."""
    chat_id = context.settings.error_chat_id
    at = clock.now()
    last = context.vitals.last_error_report_at
    if chat_id is None or (last is not None and at - last < REPORT_EVERY):
        return
    context.vitals.last_error_report_at = at
    report = texts.error_report(error.__class__.__name__, _where(error), update_id)
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat_id, report)


async def on_error(update: object, context: MusterContext) -> None:
    # Only the kind of error and the update id: messages and names are personal data.
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    # The traceback without the exception's message: database errors quote the values they failed
    # on, and those can be names or phone numbers.
    where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("error handling update %s: %s\n%s", update_id, error.__class__.__name__, where)
    if error is not None:
        await _report_error(context, error, update_id)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None or chat.type != "private":
        return
    # The apology itself may fail (the query was already answered, the user blocked the bot).
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat.id, texts.SOMETHING_WENT_WRONG)
