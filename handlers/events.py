"""Organisers' events: /template, importing a CSV file, /events, and editing or cancelling.

Rules live in :mod:`bot.events_csv` and :mod:`db.events`; this module reads updates and answers.
Every change or cancellation is told, through the outbox and in the same transaction, to everyone
who said going or maybe or is on the waitlist for it; and written to the audit log.

A free-text edit (a new title, meeting point, or shift times and places) waits in
``context.user_data.event_edit`` for the organiser's next message. :func:`on_edit_reply` runs in
:data:`EDIT_GROUP`, before every other handler, and only takes messages while such an edit is
waiting; anything else falls through to the usual handlers.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import CallbackQuery, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import clock, keyboards, texts
from bot.callbacks import EventAction, EventAdmin
from bot.context import MusterContext
from bot.domain import events_csv
from bot.domain.events import ADDRESS_MAX, TITLE_MAX, BadEventInput, Event, Shift, clean_text
from bot.domain.events_csv import BadFile, BadRows
from bot.domain.permissions import Access, Role
from bot.domain.planning import BadOffsets, offsets_text, parse_offsets
from bot.domain.rsvp import Promotion
from bot.domain.signup import valid_location
from bot.domain.statuses import EventStatus
from bot.services import actors
from bot.services import rsvps as answering
from bot.userdata import EventEdit
from db import audit, rsvps
from db import events as db_events
from db.outbox import Outgoing, enqueue
from handlers.common import requires

# Handlers for a pending free-text edit run in this group, ahead of the default group 0.
EDIT_GROUP = -1
PAGE_SIZE = 10
# Past this many events, an import's share links come as a file rather than in the chat.
LINKS_IN_CHAT = 30
LINKS_FILE_NAME = "muster-event-links.csv"
CANCEL_WORDS = {"cancel", "stop", "never mind", "nevermind"}


def _areas(access: Access) -> frozenset[str] | None:
    return access.areas(Role.ORGANISER)


def _allowed(access: Access, event: Event) -> bool:
    return access.covers(Role.ORGANISER, event.area)


def _link(context: MusterContext, event: Event) -> str:
    return f"https://t.me/{context.bot.username}?start={event.link_payload}"


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
    """A file in a private chat: an organiser's events to import. Anyone else's is not an import:
    they get a plain answer and nothing is read or stored."""
    message = update.effective_message
    assert message and message.document and update.effective_user
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    if not access.has(Role.ORGANISER):
        await message.reply_text(texts.FILE_NOT_EXPECTED)
        return
    document = message.document
    zone = context.settings.zone
    now = clock.now()
    today = now.astimezone(zone).date()
    try:
        # Before downloading anything: the name, type and size Telegram tells us.
        events_csv.check_document(document.file_name, document.mime_type, document.file_size)
        data = bytes(await (await document.get_file()).download_as_bytearray())
        drafts = events_csv.read_events(data, today=today, now=now, zone=zone, areas=_areas(access))
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

    shift_count = sum(len(draft.shifts) for draft in drafts)
    async with context.db.begin() as conn:
        created = []
        for draft in drafts:
            event_id = await db_events.create_event(
                conn, draft, created_by=access.telegram_id, at=clock.now()
            )
            event = await db_events.by_id(conn, event_id)
            assert event is not None
            created.append((event, draft.shifts[0].starts_at))
        await audit.record(
            conn,
            actor_telegram_id=access.telegram_id,
            action="events_import",
            events=len(created),
            shifts=shift_count,
            at=clock.now(),
        )
    await _send_links(message, context, created, shift_count)


async def _send_links(
    message: Message,
    context: MusterContext,
    created: list[tuple[Event, datetime]],
    shift_count: int,
) -> None:
    """The summary, and each new event's share link: in the chat, or as a file when many."""
    zone = context.settings.zone
    summary = texts.csv_imported(len(created), shift_count)
    lines = [
        texts.event_link_line(event, first, _link(context, event), zone) for event, first in created
    ]
    text = summary + "\n\n" + "\n".join(lines)
    # Telegram takes 4,096 characters a message; long titles can get there before 30 events.
    if len(created) <= LINKS_IN_CHAT and len(text) <= 4000:
        await message.reply_text(text)
        return
    await message.reply_text(summary)
    rows = [
        (event.title, event.area, f"{first.astimezone(zone):%d/%m/%Y}", _link(context, event))
        for event, first in created
    ]
    await message.reply_document(
        InputFile(events_csv.links_csv(rows), filename=LINKS_FILE_NAME),
        caption=texts.CSV_LINKS_CAPTION,
    )


# --- /events -----------------------------------------------------------------------------------


def _one_day(shifts: list[Shift], context: MusterContext) -> bool:
    zone = context.settings.zone
    return len({shift.starts_at.astimezone(zone).date() for shift in shifts}) <= 1


def _card(context: MusterContext, event: Event, shifts: list[Shift]) -> str:
    return texts.organiser_card(event, shifts, context.settings.zone, _link(context, event))


def _admin_keyboard(
    context: MusterContext, event: Event, shifts: list[Shift]
) -> InlineKeyboardMarkup:
    with_day = not _one_day(shifts, context)
    zone = context.settings.zone
    return keyboards.event_admin(
        event.id, [(s.id, texts.cancel_shift_label(s, zone, with_day)) for s in shifts]
    )


def _edit_keyboard(
    context: MusterContext, event: Event, shifts: list[Shift]
) -> InlineKeyboardMarkup:
    with_day = not _one_day(shifts, context)
    zone = context.settings.zone
    return keyboards.event_edit(
        event.id, [(s.id, texts.edit_shift_label(s, zone, with_day)) for s in shifts]
    )


async def _live_shifts(conn: AsyncConnection, event_id: int) -> list[Shift]:
    """An event's active shifts that have not ended: the ones organisers can still change."""
    at = clock.now()
    return [s for s in await db_events.shifts_of(conn, event_id) if s.ends_at > at]


@requires(Role.ORGANISER)
async def list_events(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    await _send_page(update.effective_message, context, access, 0)


async def _send_page(message: Message, context: MusterContext, access: Access, offset: int) -> None:
    async with context.db.connect() as conn:
        found = await db_events.upcoming(conn, areas=_areas(access), at=clock.now())
    if not found:
        await message.reply_text(texts.EVENTS_NONE)
        return
    page = found[offset : offset + PAGE_SIZE]
    at = clock.now()
    for event, shifts in page:
        live = [shift for shift in shifts if shift.ends_at > at]
        await message.reply_text(
            _card(context, event, live), reply_markup=_admin_keyboard(context, event, live)
        )
    shown_to = offset + len(page)
    if shown_to < len(found):
        await message.reply_text(
            texts.events_more(shown_to, len(found)), reply_markup=keyboards.events_more(shown_to)
        )


# --- Buttons under an event ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    event: Event
    shifts: list[Shift]  # the event's live shifts
    shift: Shift | None  # the one pressed for, if a shift button


async def _target(
    conn: AsyncConnection, action: EventAction, number: int
) -> tuple[_Target | None, str | None]:
    """What a button is about, or why it no longer applies (a text for the alert)."""
    shift: Shift | None = None
    if action in ("cshift", "yes-shift", "shift"):
        found = await db_events.shifts_by_ids(conn, [number])
        if not found:
            return None, texts.EXPIRED_BUTTON
        shift = found[0]
        event_id = shift.event_id
    else:
        event_id = number
    event = await db_events.by_id(conn, event_id)
    if event is None:
        return None, texts.EXPIRED_BUTTON
    shifts = await _live_shifts(conn, event.id) if event.status == EventStatus.ACTIVE else []
    return _Target(event, shifts, shift), None


async def _refresh(query: CallbackQuery, context: MusterContext, target: _Target) -> None:
    """Show the event as it is now: its card, and its buttons if it is still on."""
    event, shifts = target.event, target.shifts
    try:
        if event.status != EventStatus.ACTIVE:
            text = texts.organiser_card(event, [], context.settings.zone, "")
            await query.edit_message_text(text)
        else:
            await query.edit_message_text(
                _card(context, event, shifts), reply_markup=_admin_keyboard(context, event, shifts)
            )
    except BadRequest as error:
        # Already showing exactly that (Telegram refuses an edit that changes nothing).
        if "not modified" not in str(error).lower():
            raise


def _stale(access: Access, target: _Target) -> str | None:
    """Why the event or shift a button is about can no longer be changed, if it can't."""
    if not _allowed(access, target.event):
        return texts.EVENT_NOT_YOURS
    if target.event.status != EventStatus.ACTIVE:
        return texts.EVENT_ALREADY_CANCELLED
    if target.shift is not None and target.shift.id not in {s.id for s in target.shifts}:
        return texts.SHIFT_GONE
    return None


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

    people = told = 0
    # Only the confirmed cancellations write; Telegram is called once the transaction is over.
    opener = context.db.begin if action.startswith("yes-") else context.db.connect
    async with opener() as conn:
        target, problem = await _target(conn, action, number)
        if target is not None:
            problem = _stale(access, target)
        if problem is None and target is not None:
            if action == "yes-event":
                told = await _cancel_event(conn, context, access, target)
            elif action == "yes-shift":
                assert target.shift
                told = await _cancel_shift(conn, context, access, target, target.shift)
            elif action == "cancel":
                people = len(
                    await db_events.people_to_tell(conn, event_id=target.event.id, at=clock.now())
                )
            elif action == "cshift":
                assert target.shift
                people = len(
                    await db_events.people_to_tell(conn, shift_id=target.shift.id, at=clock.now())
                )
    if target is None or problem is not None:
        await query.answer(problem, show_alert=True)
        if target is not None and problem != texts.EVENT_NOT_YOURS:
            await _refresh(query, context, target)
        return

    zone = context.settings.zone
    event, shifts, shift = target.event, target.shifts, target.shift
    if action in ("yes-event", "yes-shift"):
        done = (
            texts.event_cancelled_done(told)
            if action == "yes-event"
            else texts.shift_cancelled_done(told)
        )
        await query.answer(done)
        fresh = await _reload(context, event.id)
        await _refresh(query, context, fresh)
        await query.message.reply_text(done)
        context.wake_outbox()
    elif action == "cancel":
        await query.answer()
        await query.edit_message_text(
            _card(context, event, shifts) + "\n\n" + texts.ask_cancel_event(people),
            reply_markup=keyboards.confirm_cancel_event(event.id),
        )
    elif action == "cshift":
        assert shift
        await query.answer()
        await query.edit_message_text(
            _card(context, event, shifts) + "\n\n" + texts.ask_cancel_shift(shift, zone, people),
            reply_markup=keyboards.confirm_cancel_shift(shift.id, event.id),
        )
    elif action == "edit":
        await query.answer()
        await query.edit_message_reply_markup(_edit_keyboard(context, event, shifts))
    elif action == "back":
        await query.answer()
        await _refresh(query, context, target)
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


async def _reload(context: MusterContext, event_id: int) -> _Target:
    async with context.db.connect() as conn:
        event = await db_events.by_id(conn, event_id)
        assert event is not None
        shifts = await _live_shifts(conn, event_id) if event.status == EventStatus.ACTIVE else []
    return _Target(event, shifts, None)


# --- Changes and who hears about them ------------------------------------------------------------


async def _tell(conn: AsyncConnection, people: list[tuple[int, int]], kind: str, text: str) -> int:
    return await enqueue(
        conn,
        [
            Outgoing(chat_id=chat_id, volunteer_id=volunteer_id, kind=kind, text=text)
            for volunteer_id, chat_id in people
        ],
        at=clock.now(),
    )


async def _cancel_event(
    conn: AsyncConnection, context: MusterContext, access: Access, target: _Target
) -> int:
    event = target.event
    people = await db_events.people_to_tell(conn, event_id=event.id, at=clock.now())
    notice = texts.event_cancelled_notice(event, target.shifts, context.settings.zone)
    await db_events.cancel_event(conn, event.id, at=clock.now())
    told = await _tell(conn, people, "event_cancelled", notice)
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="event_cancel",
        event_id=event.id,
        told=told,
        at=clock.now(),
    )
    return told


async def _cancel_shift(
    conn: AsyncConnection, context: MusterContext, access: Access, target: _Target, shift: Shift
) -> int:
    await db_events.lock_shift(conn, shift.id)
    people = await db_events.people_to_tell(conn, shift_id=shift.id, at=clock.now())
    notice = texts.shift_cancelled_notice(target.event, shift, context.settings.zone)
    await db_events.cancel_shift(conn, shift.id, at=clock.now())
    told = await _tell(conn, people, "shift_cancelled", notice)
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="shift_cancel",
        event_id=target.event.id,
        shift_id=shift.id,
        told=told,
        at=clock.now(),
    )
    return told


class _Retry(Exception):
    """The typed answer can't be used: ``text`` says why, and the edit keeps waiting."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Gone(Exception):
    """What was being edited is no longer there to edit: the edit is dropped."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


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
    if command == "/cancel" or " ".join(text.lower().split()) in CANCEL_WORDS:
        context.user_data.event_edit = None
        await message.reply_text(texts.EDIT_CANCELLED)
        raise ApplicationHandlerStop
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    if not access.has(Role.ORGANISER):
        context.user_data.event_edit = None
        return
    promoted: list[Promotion] = []
    try:
        async with context.db.begin() as conn:
            event_id, told = await _apply(conn, context, access, pending, message, promoted)
    except _Retry as retry:
        await message.reply_text(retry.text)
        raise ApplicationHandlerStop from None
    except _Gone as gone:
        context.user_data.event_edit = None
        await message.reply_text(gone.text)
        raise ApplicationHandlerStop from None
    context.user_data.event_edit = None
    if told is None:
        await message.reply_text(texts.NOTHING_CHANGED)
        raise ApplicationHandlerStop
    context.wake_outbox()
    fresh = await _reload(context, event_id)
    # The card the edit started from loses its buttons; the fresh one below has them.
    with contextlib.suppress(TelegramError):  # too old to edit, say: no matter
        await context.bot.edit_message_reply_markup(
            pending.card_chat_id, pending.card_message_id, reply_markup=None
        )
    saved = " ".join(filter(None, [texts.change_saved(told), texts.moved_up(len(promoted))]))
    await message.reply_text(
        saved + "\n\n" + _card(context, fresh.event, fresh.shifts),
        reply_markup=_admin_keyboard(context, fresh.event, fresh.shifts),
    )
    raise ApplicationHandlerStop


async def _apply(
    conn: AsyncConnection,
    context: MusterContext,
    access: Access,
    pending: EventEdit,
    message: Message,
    promoted: list[Promotion],
) -> tuple[int, int | None]:
    """Make the change the organiser typed; (event id, how many were told) or None if nothing
    changed. Raises _Retry for input to try again, _Gone when the event or shift is no more."""
    what = pending.what
    zone = context.settings.zone
    if what == "shift":
        assert pending.shift_id is not None
        target, problem = await _target(conn, "shift", pending.shift_id)
    else:
        target, problem = await _target(conn, "edit", pending.event_id)
    if target is not None:
        problem = _stale(access, target)
    if target is None or problem is not None:
        raise _Gone(problem or texts.EXPIRED_BUTTON)
    event = target.event

    if what == "shift":
        assert target.shift is not None
        return event.id, await _change_shift(conn, context, access, target, message, promoted)

    if what == "reminders":
        return event.id, await _change_reminders(conn, context, access, event, message)

    values: dict[str, Any]
    if what == "title":
        try:
            title = clean_text(message.text or "", TITLE_MAX, "title")
        except BadEventInput:
            raise _Retry(texts.BAD_TITLE) from None
        if title == event.title:
            return event.id, None
        values, what_changed = {"title": title}, texts.changed_title(event.title)
    elif message.location is not None:
        latitude, longitude = message.location.latitude, message.location.longitude
        if not valid_location(latitude, longitude):
            raise _Retry(texts.BAD_PIN)
        values, what_changed = {"latitude": latitude, "longitude": longitude}, texts.CHANGED_PLACE
    else:
        try:
            address = clean_text(message.text or "", ADDRESS_MAX, "address")
        except BadEventInput:
            raise _Retry(texts.BAD_PLACE) from None
        if address == event.address:
            return event.id, None
        values, what_changed = {"address": address}, texts.CHANGED_PLACE

    people = await db_events.people_to_tell(conn, event_id=event.id, at=clock.now())
    await db_events.update_event(conn, event.id, **values)
    fresh = await db_events.by_id(conn, event.id)
    assert fresh is not None
    notice = texts.event_changed_notice(fresh, target.shifts, zone, what_changed)
    told = await _tell(conn, people, "event_changed", notice)
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="event_edit",
        event_id=event.id,
        field="address" if what == "place" else what,
        told=told,
        at=clock.now(),
    )
    return event.id, told


async def _change_reminders(
    conn: AsyncConnection, context: MusterContext, access: Access, event: Event, message: Message
) -> int | None:
    """This event's own reminder times; the scheduler moves its pending reminders to match."""
    typed = " ".join((message.text or "").lower().split())
    try:
        wanted = None if typed == "default" else offsets_text(parse_offsets(typed))
    except BadOffsets:
        raise _Retry(texts.BAD_REMINDERS) from None
    if wanted == event.reminder_offsets:
        return None
    await db_events.update_event(conn, event.id, reminder_offsets=wanted)
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="event_edit",
        event_id=event.id,
        field="reminder_offsets",
        told=0,
        at=clock.now(),
    )
    return 0


async def _change_shift(
    conn: AsyncConnection,
    context: MusterContext,
    access: Access,
    target: _Target,
    message: Message,
    promoted: list[Promotion],
) -> int | None:
    """New times and/or places for one shift. New times are told to everyone who answered; new
    places alone change nothing for them, except that more places move people up from the
    waitlist (added to ``promoted``; their good news is queued in the outbox)."""
    assert target.shift is not None
    zone = context.settings.zone
    await db_events.lock_shift(conn, target.shift.id)
    # Counted again under the lock: answers may have come in since the button was pressed.
    before = (await db_events.shifts_by_ids(conn, [target.shift.id]))[0]
    day = before.starts_at.astimezone(zone).date()
    try:
        change = events_csv.parse_shift_change(message.text or "", day, zone, clock.now())
    except BadEventInput as bad:
        fallback = texts.BAD_SHIFT_CHANGE["shift_change"]
        raise _Retry(texts.BAD_SHIFT_CHANGE.get(bad.reason, fallback)) from None
    if change.capacity is not None and change.capacity < before.going:
        raise _Retry(texts.capacity_below_going(before.going))
    values: dict[str, Any] = {}
    new_times = (change.starts_at, change.ends_at)
    if change.starts_at is not None and new_times != (before.starts_at, before.ends_at):
        values.update(starts_at=change.starts_at, ends_at=change.ends_at)
    if change.capacity is not None and change.capacity != before.capacity:
        values["capacity"] = change.capacity
    if not values:
        return None
    await db_events.update_shift(conn, before.id, **values)
    if values.get("capacity", 0) > before.capacity:
        # Under the shift's lock, as when someone drops out: the front of the queue goes first.
        moved_up = await rsvps.promote(conn, before.id, values["capacity"], at=clock.now())
        await answering.tell_promoted(conn, moved_up, zone, clock.now())
        promoted.extend(moved_up)
    after = (await db_events.shifts_by_ids(conn, [before.id]))[0]
    told = 0
    if "starts_at" in values:
        people = await db_events.people_to_tell(conn, shift_id=before.id, at=clock.now())
        shifts = [after if s.id == after.id else s for s in target.shifts]
        notice = texts.event_changed_notice(
            target.event, shifts, zone, texts.changed_times(before, after, zone)
        )
        told = await _tell(conn, people, "event_changed", notice)
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="shift_edit",
        event_id=target.event.id,
        shift_id=before.id,
        fields=sorted(values),
        told=told,
        promoted=len(promoted),
        at=clock.now(),
    )
    return told
