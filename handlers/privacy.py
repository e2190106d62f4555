"""/mydata (a copy of everything held), /forget (erase it), Keep on a retention warning, /retention
for admins, and noting every contact (which keeps a volunteer, and asks them once to agree to a new
privacy notice)."""

from __future__ import annotations

import contextlib
import json

from telegram import InputFile, Message, Update, User
from telegram.error import BadRequest

from bot import clock, keyboards, texts
from bot.callbacks import Consent, Forget
from bot.commands import refresh_menu
from bot.context import MusterContext
from bot.domain.events import BadEventInput, parse_date
from bot.domain.permissions import Access, Role
from bot.domain.retention import campaign_end, last_day
from bot.services import actors, privacy, retention
from handlers.common import load_volunteer, requires


async def note_contact(update: Update, context: MusterContext) -> None:
    """Runs before every other handler on each private update: a volunteer in touch is kept (see
    bot.domain.retention), and asked once to agree to a new privacy notice. It never answers in
    their place; the update goes on to the handler it is for."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return
    # A message or a tap is contact; blocking the bot (a my_chat_member update) is not.
    if update.message is None and update.callback_query is None:
        return
    at = clock.now()
    version = context.settings.privacy_notice_version
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, user)
    if volunteer is None or not retention.needs_to_note(volunteer, at, version):
        return  # most updates: nothing to write
    # What was just read decides: a second update of theirs in between could only have noted
    # the same contact, so reading them again inside the write would cost a tap for nothing.
    async with context.db.begin() as conn:
        ask = await retention.note_contact(conn, at, volunteer, version)
    # The handler the update is for loads them next: as just written, without a second read.
    actors.remember(retention.as_noted(volunteer, at, version))
    message = update.effective_message
    # /start and the notice's own buttons show the notice themselves.
    shows_notice = (message is not None and (message.text or "").startswith("/start")) or (
        update.callback_query is not None
        and Consent.PATTERN.fullmatch(update.callback_query.data or "") is not None
    )
    if ask and not shows_notice:
        await context.bot.send_message(
            chat.id, texts.NOTICE_CHANGED + texts.PRIVACY_NOTICE, reply_markup=keyboards.consent()
        )


async def mydata(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        data = volunteer and await privacy.export(conn, at, volunteer)
    if data is None:  # answered once the connection is back in the pool
        await update.effective_message.reply_text(texts.MYDATA_NOTHING)
        return
    document = json.dumps(data, indent=2, ensure_ascii=False).encode()
    await update.effective_message.reply_document(
        InputFile(document, filename="muster-my-data.json"), caption=texts.MYDATA_CAPTION
    )


async def forget(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is None:
        await update.effective_message.reply_text(texts.MYDATA_NOTHING)
        return
    await update.effective_message.reply_text(texts.ASK_FORGET, reply_markup=keyboards.forget())


async def forget_confirmed(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    answer = Forget.unpack(query.data).answer
    if not await _forget(query.message, context, update.effective_user, answer):
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    with contextlib.suppress(BadRequest):  # gone with the rest when they said yes: no matter
        await query.edit_message_reply_markup(None)


async def _forget(message: Message, context: MusterContext, user: User, answer: str) -> bool:
    """Erase them (``answer`` yes) or keep them; False if there is no one to erase."""
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, user)
        if volunteer is None:
            return False
        if answer == "yes":
            access = await privacy.forget(
                conn,
                at,
                volunteer=volunteer,
                admin_ids=context.settings.admin_ids,
                zone=context.settings.zone,
            )
    context.wake_outbox()  # whoever moved up into their places
    if answer == "no":
        await message.reply_text(texts.FORGET_CANCELLED)
        return True
    # Anything they had from a role goes from their menu too (admins keep theirs: config).
    await refresh_menu(context.bot, access)
    # Its row went with the rest in privacy.forget; this drops the copy in memory.
    context.application.drop_user_data(user.id)
    await message.reply_text(texts.FORGOTTEN)
    return True


async def keep(update: Update, context: MusterContext) -> None:
    """Keep on a retention warning."""
    query = update.callback_query
    assert query and update.effective_user and isinstance(query.message, Message)
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is not None:
            await retention.keep(
                conn,
                at,
                volunteer,
                months=context.settings.retention_months,
                notice_version=context.settings.privacy_notice_version,
            )
    if volunteer is None:  # answered once the connection is back in the pool
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(texts.KEPT)


@requires(Role.ADMIN)
async def retention_rule(update: Update, context: MusterContext, _access: Access) -> None:
    """/retention: the rule and whom it touches; /retention end <day> or none sets the
    campaign's last day (audited)."""
    assert update.effective_message and update.effective_user
    message, args = update.effective_message, context.args or []
    at, zone = clock.now(), context.settings.zone
    months = context.settings.retention_months
    if not args:
        async with context.db.connect() as conn:
            found = await retention.summary(conn, at, months)
        ends_at = found.rule.campaign_ends_at
        await message.reply_text(
            texts.retention_rule(
                months,
                last_day(ends_at, zone) if ends_at else None,
                warned_now=found.warned_now,
                warned_soon=found.warned_soon,
                by_campaign=found.by_campaign,
            )
        )
        return
    if len(args) < 2 or args[0].lower() != "end":
        await message.reply_text(texts.RETENTION_USAGE)
        return
    raw = " ".join(args[1:])
    day = None
    if raw.lower() != "none":
        try:
            day = parse_date(raw, at.astimezone(zone).date())
        except BadEventInput:
            await message.reply_text(texts.RETENTION_USAGE)
            return
    async with context.db.begin() as conn:
        await retention.set_campaign_end(
            conn,
            at,
            by=update.effective_user.id,
            ends_at=campaign_end(day, zone) if day else None,
        )
    await message.reply_text(texts.campaign_end_set(day))
