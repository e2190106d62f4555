"""Organisers' events: /template, importing a CSV file, /events, and editing or cancelling.

Rules live in :mod:`bot.domain.events_csv` and the use cases in :mod:`bot.services.events`; this
module reads updates and answers. Every change or cancellation is told, through the outbox and in
the same transaction, to everyone who said going or maybe or is on the waitlist for it; and
written to the audit log.

A free-text edit (a new title, meeting point, or shift times and places) waits in
``context.user_data.event_edit`` for the organiser's next message. :func:`on_edit_reply` runs in
:data:`EDIT_GROUP`, before every other handler, and only takes messages while such an edit is
waiting; anything else falls through to the usual handlers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from telegram import CallbackQuery, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import clock, keyboards, texts
from bot.callbacks import EventAdmin
from bot.context import MusterContext
from bot.domain import csv_files, events_csv
from bot.domain.answers import Meaning, means
from bot.domain.csv_files import BadFile, BadRows
from bot.domain.events import Event, Shift
from bot.domain.permissions import Access, Role
from bot.domain.statuses import EventStatus
from bot.domain.targets import is_targets_file
from bot.services import actors
from bot.services import events as organising
from bot.services import targets as targeting
from bot.userdata import EventEdit
from handlers import targets
from handlers.common import requires

# Handlers for a pending free-text edit run in this group, ahead of the default group 0.
EDIT_GROUP = -1
PAGE_SIZE = 10
# Past this many events, an import's share links come as a file rather than in the chat.
LINKS_IN_CHAT = 30
LINKS_FILE_NAME = "muster-event-links.csv"


def _areas(access: Access) -> frozenset[str] | None:
    return access.areas(Role.ORGANISER)


def _link(context: MusterContext, event: Event) -> str:
    return texts.share_link(context.bot.username, event)


# --- /template and importing a CSV file ----------------------------------------------------------


@requires(Role.ORGANISER)
async def template(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    areas = _areas(access)
    # An area-limited organiser gets an example in their own area, so it imports as it is.
    area = sorted(areas)[0] if areas else "Peckham"
    today = clock.now().astimezone(context.settings.zone).date()
    await update.effective_message.reply_document(
        InputFile(events_csv.template(today, area), filename=events_csv.TEMPLATE_FILE_NAME),
        caption=texts.TEMPLATE_CAPTION,
    )


async def on_document(update: Update, context: MusterContext) -> None:
    """A file in a private chat: an organiser's events to import, or a coordinator's targets
    (told apart by the columns of its header). Anyone else's is not an import: they get a plain
    answer and nothing is read or stored."""
    message = update.effective_message
    assert message and message.document and update.effective_user
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    if not access.has(Role.ORGANISER):
        await message.reply_text(texts.FILE_NOT_EXPECTED)
        return
    document = message.document
    zone = context.settings.zone
    at = clock.now()
    today = at.astimezone(zone).date()
    try:
        # Before downloading anything: the name, type and size Telegram tells us.
        csv_files.check_document(document.file_name, document.mime_type, document.file_size)
        data = bytes(await (await document.get_file()).download_as_bytearray())
        if is_targets_file(csv_files.header(data)):
            await targets.import_file(message, context, access, data)
            return
        async with context.db.connect() as conn:
            known = await targeting.names(conn)
        drafts = events_csv.read_events(
            data, today=today, now=at, zone=zone, areas=_areas(access), targets=known
        )
    except BadFile as bad:
        await message.reply_text(texts.csv_bad_file(bad.reason, bad.detail))
        return
    except BadRows as bad:
        example = f"{events_csv.template_day(today):%d/%m/%Y}"
        problems = [
            texts.csv_row_error(
                error.line,
                error.column,
                error.reason,
                error.value,
                error.other_line,
                example_day=example,
                areas=_areas(access),
            )
            for error in bad.errors
        ]
        await message.reply_text(texts.csv_rejected(problems))
        return

    async with context.db.begin() as conn:
        created = await organising.import_events(conn, at, by=access, drafts=drafts)
    await _send_links(message, context, created, sum(len(draft.shifts) for draft in drafts))


async def _send_links(
    message: Message,
    context: MusterContext,
    created: list[organising.Imported],
    shift_count: int,
) -> None:
    """The summary, and each new event's share link: in the chat, or as a file when many."""
    zone = context.settings.zone
    summary = texts.csv_imported(len(created), shift_count)
    lines = [
        texts.event_link_line(one.event, one.first_start, _link(context, one.event), zone)
        for one in created
    ]
    text = summary + "\n\n" + "\n".join(lines)
    # Telegram takes 4,096 characters a message; long titles can get there before 30 events.
    if len(created) <= LINKS_IN_CHAT and len(text) <= 4000:
        await message.reply_text(text)
        return
    await message.reply_text(summary)
    rows = [
        (
            one.event.title,
            one.event.area,
            f"{one.first_start.astimezone(zone):%d/%m/%Y}",
            _link(context, one.event),
        )
        for one in created
    ]
    await message.reply_document(
        InputFile(events_csv.links_csv(rows), filename=LINKS_FILE_NAME),
        caption=texts.CSV_LINKS_CAPTION,
    )


# --- /events -----------------------------------------------------------------------------------


def _one_day(shifts: Sequence[Shift], context: MusterContext) -> bool:
    zone = context.settings.zone
    return len({shift.starts_at.astimezone(zone).date() for shift in shifts}) <= 1


def _card(context: MusterContext, event: Event, shifts: Sequence[Shift]) -> str:
    return texts.organiser_card(event, shifts, context.settings.zone, _link(context, event))


def _admin_keyboard(
    context: MusterContext, event: Event, shifts: Sequence[Shift]
) -> InlineKeyboardMarkup:
    with_day = not _one_day(shifts, context)
    zone = context.settings.zone
    return keyboards.event_admin(
        event.id, [(s.id, texts.cancel_shift_label(s, zone, with_day)) for s in shifts]
    )


def _edit_keyboard(
    context: MusterContext, event: Event, shifts: Sequence[Shift]
) -> InlineKeyboardMarkup:
    with_day = not _one_day(shifts, context)
    zone = context.settings.zone
    return keyboards.event_edit(
        event.id, [(s.id, texts.edit_shift_label(s, zone, with_day)) for s in shifts]
    )


@requires(Role.ORGANISER)
async def list_events(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    await _send_page(update.effective_message, context, access, 0)


async def _send_page(message: Message, context: MusterContext, access: Access, offset: int) -> None:
    async with context.db.connect() as conn:
        found = await organising.upcoming(conn, clock.now(), by=access)
    if not found:
        await message.reply_text(texts.EVENTS_NONE)
        return
    page = found[offset : offset + PAGE_SIZE]
    for target in page:
        await message.reply_text(
            _card(context, target.event, target.shifts),
            reply_markup=_admin_keyboard(context, target.event, target.shifts),
        )
    shown_to = offset + len(page)
    if shown_to < len(found):
        await message.reply_text(
            texts.events_more(shown_to, len(found)), reply_markup=keyboards.events_more(shown_to)
        )


# --- Buttons under an event ----------------------------------------------------------------------

# The buttons whose number is a shift's id; every other button's is the event's.
SHIFT_BUTTONS = ("cshift", "yes-shift", "shift")


async def _refresh(query: CallbackQuery, context: MusterContext, target: organising.Target) -> None:
    assert query.message
    await _show(context, query.message.chat.id, query.message.message_id, target)


async def _show(
    context: MusterContext, chat_id: int, message_id: int, target: organising.Target
) -> None:
    """Show the event as it is now on its card: and its buttons if it is still on."""
    event, shifts = target.event, target.shifts
    # Already showing exactly that is fine: see bot.botapi.MusterBot.
    if event.status != EventStatus.ACTIVE:
        text = texts.organiser_card(event, [], context.settings.zone, "")
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    else:
        await context.bot.edit_message_text(
            _card(context, event, shifts),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=_admin_keyboard(context, event, shifts),
        )


async def _on_button(update: Update, context: MusterContext, access: Access) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = EventAdmin.unpack(query.data)
    action, number = pressed.action, pressed.number
    if action == "more":
        await query.answer()
        await query.edit_message_reply_markup(None)
        await _send_page(query.message, context, access, number)
        return

    zone = context.settings.zone
    about = {"shift_id": number} if action in SHIFT_BUTTONS else {"event_id": number}
    at = clock.now()
    if action in ("yes-event", "yes-shift"):
        async with context.db.begin() as conn:
            if action == "yes-event":
                done = await organising.cancel_event(
                    conn, at, by=access, event_id=number, zone=zone
                )
            else:
                done = await organising.cancel_shift(
                    conn, at, by=access, shift_id=number, zone=zone
                )
        if done.problem is not None or done.target is None:
            await _refuse(query, context, done.target, done.problem)
            return
        said = (
            texts.event_cancelled_done(done.told)
            if action == "yes-event"
            else texts.shift_cancelled_done(done.told)
        )
        await query.answer(said)
        await _refresh(query, context, done.target)
        await query.message.reply_text(said)
        context.wake_outbox()
        return

    async with context.db.connect() as conn:
        if action in ("cancel", "cshift"):
            found = await organising.to_cancel(conn, at, by=access, **about)
        else:
            found = await organising.find(conn, at, by=access, **about)
    if found.problem is not None or found.target is None:
        await _refuse(query, context, found.target, found.problem)
        return
    event, shifts, shift = found.target.event, found.target.shifts, found.target.shift
    if action == "cancel":
        await query.answer()
        await query.edit_message_text(
            _card(context, event, shifts) + "\n\n" + texts.ask_cancel_event(found.people),
            reply_markup=keyboards.confirm_cancel_event(event.id),
        )
    elif action == "cshift":
        assert shift
        await query.answer()
        await query.edit_message_text(
            _card(context, event, shifts)
            + "\n\n"
            + texts.ask_cancel_shift(shift, zone, found.people),
            reply_markup=keyboards.confirm_cancel_shift(shift.id, event.id),
        )
    elif action == "edit":
        await query.answer()
        await query.edit_message_reply_markup(_edit_keyboard(context, event, shifts))
    elif action == "back":
        await query.answer()
        await _refresh(query, context, found.target)
    else:  # title, place, shift: ask for the new value, typed
        await query.answer()
        context.user_data.event_edit = EventEdit(
            what=action,
            event_id=event.id,
            shift_id=shift.id if shift else None,
            card_chat_id=query.message.chat_id,
            card_message_id=query.message.message_id,
        )
        if action == "title":
            prompt = texts.ASK_NEW_TITLE
        elif action == "place":
            prompt = texts.ASK_NEW_PLACE
        elif action == "reminders":
            prompt = texts.ask_reminders(event.reminder_offsets, context.settings.reminder_offsets)
        else:
            assert shift
            prompt = texts.ask_shift_change(shift, zone)
        await query.message.reply_text(prompt)


on_button = requires(Role.ORGANISER)(_on_button)


async def _refuse(
    query: CallbackQuery,
    context: MusterContext,
    target: organising.Target | None,
    problem: str | None,
) -> None:
    """Why the button no longer applies; and the card as it is now, to an organiser of it."""
    await query.answer(problem or texts.EXPIRED_BUTTON, show_alert=True)
    if target is not None and problem != texts.EVENT_NOT_YOURS:
        await _refresh(query, context, target)


# --- Typed changes -------------------------------------------------------------------------------


async def on_edit_reply(update: Update, context: MusterContext) -> None:
    """The organiser's answer to an edit prompt: text, or a location for a meeting point.

    Returns (letting other handlers see the message) unless an edit is waiting."""
    pending = context.user_data.event_edit
    message = update.effective_message
    if not pending or message is None or update.effective_user is None:
        return
    text = (message.text or "").strip()
    command = text.split()[0].split("@")[0].lower() if text.startswith("/") else None
    if command is not None and command != "/cancel":
        # Another command: the edit is dropped and the command works as usual.
        context.user_data.event_edit = None
        return
    if command == "/cancel" or means(text, Meaning.CANCEL):
        context.user_data.event_edit = None
        await message.reply_text(texts.EDIT_CANCELLED)
        raise ApplicationHandlerStop
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    if not access.has(Role.ORGANISER):
        context.user_data.event_edit = None
        return
    at = clock.now()
    zone = context.settings.zone
    typed = message.text or ""
    pin = (message.location.latitude, message.location.longitude) if message.location else None
    try:
        async with context.db.begin() as conn:
            if pending.what == "shift":
                assert pending.shift_id is not None
                changed = await organising.change_shift(
                    conn, at, by=access, shift_id=pending.shift_id, typed=typed, zone=zone
                )
            elif pending.what == "reminders":
                changed = await organising.change_reminders(
                    conn, at, by=access, event_id=pending.event_id, typed=typed
                )
            elif pending.what == "title":
                changed = await organising.change_title(
                    conn, at, by=access, event_id=pending.event_id, typed=typed, zone=zone
                )
            else:
                changed = await organising.change_place(
                    conn, at, by=access, event_id=pending.event_id, typed=typed, pin=pin, zone=zone
                )
    except organising.Retry as retry:
        markup = keyboards.typed_answers(retry.answers) if retry.answers else None
        await message.reply_text(retry.text, reply_markup=markup)
        raise ApplicationHandlerStop from None
    except organising.Gone as gone:
        context.user_data.event_edit = None
        await message.reply_text(gone.text)
        raise ApplicationHandlerStop from None
    context.user_data.event_edit = None
    if changed.told is None:
        await message.reply_text(texts.NOTHING_CHANGED)
        raise ApplicationHandlerStop
    context.wake_outbox()
    # The card the edit started from loses its buttons; the fresh one below has them.
    with contextlib.suppress(TelegramError):  # too old to edit, say: no matter
        await context.bot.edit_message_reply_markup(
            pending.card_chat_id, pending.card_message_id, reply_markup=None
        )
    saved = " ".join(
        filter(None, [texts.change_saved(changed.told), texts.moved_up(changed.promoted)])
    )
    fresh = changed.target
    await message.reply_text(
        saved + "\n\n" + _card(context, fresh.event, fresh.shifts),
        reply_markup=_admin_keyboard(context, fresh.event, fresh.shifts),
    )
    raise ApplicationHandlerStop
