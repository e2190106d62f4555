"""/newevent: an organiser sets up an event step by step, sees exactly what volunteers will see,
and confirms. Every step takes Back and Cancel (buttons, the words, or /cancel)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import clock, keyboards, texts
from bot.callbacks import Area, Flow, Kind
from bot.context import MusterContext
from bot.domain.events import (
    ADDRESS_MAX,
    AREA_MAX,
    KINDS,
    TITLE_MAX,
    BadEventInput,
    Event,
    EventDraft,
    Shift,
    ShiftDraft,
    clean_text,
    parse_date,
    parse_shift,
)
from bot.domain.permissions import Access, Role
from bot.domain.statuses import EventStatus
from db import audit, events
from handlers.common import offered_only, requires

KIND, TITLE, AREA, PLACE, ADDRESS, DATE, SHIFT, PREVIEW = range(8)
DRAFT = "newevent"
BACK_WORDS = {"back", "« back"}
CANCEL_WORDS = {"cancel", "stop"}


def _draft(context: MusterContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


def _to_event(draft: dict[str, Any]) -> tuple[Event, list[Shift]]:
    """The draft as the event and shifts volunteers will see."""
    event = Event(
        id=0,
        code="preview",
        kind=draft["kind"],
        title=draft["title"],
        area=draft["area"],
        address=draft.get("address"),
        latitude=draft.get("latitude"),
        longitude=draft.get("longitude"),
        status=EventStatus.ACTIVE,
        created_by=None,
        created_at=clock.now(),
        cancelled_at=None,
    )
    shifts = [
        Shift(
            id=index,
            event_id=0,
            starts_at=datetime.fromisoformat(s["starts_at"]),
            ends_at=datetime.fromisoformat(s["ends_at"]),
            capacity=s["capacity"],
            note=s["note"],
            status=EventStatus.ACTIVE,
            cancelled_at=None,
        )
        for index, s in enumerate(draft["shifts"], start=1)
    ]
    return event, shifts


async def _ask(message: Message, context: MusterContext, state: int) -> int:
    """Put the question for ``state`` and return it, so handlers can `return await _ask(...)`."""
    draft = _draft(context)
    if state == KIND:
        await message.reply_text(texts.NEW_KIND, reply_markup=keyboards.kinds(KINDS))
    elif state == TITLE:
        await message.reply_text(texts.NEW_TITLE, reply_markup=keyboards.flow())
    elif state == AREA and draft.get("areas"):
        await message.reply_text(texts.NEW_AREA_PICK, reply_markup=keyboards.areas(draft["areas"]))
    elif state == AREA:
        await message.reply_text(texts.NEW_AREA, reply_markup=keyboards.flow())
    elif state == PLACE:
        await message.reply_text(texts.NEW_PLACE, reply_markup=keyboards.flow())
    elif state == ADDRESS:
        await message.reply_text(
            texts.NEW_ADDRESS, reply_markup=keyboards.flow((texts.SKIP, "skip"))
        )
    elif state == DATE:
        await message.reply_text(texts.NEW_DATE, reply_markup=keyboards.flow())
    elif state == SHIFT and draft.get("shifts"):
        await message.reply_text(texts.NEW_MORE, reply_markup=keyboards.flow((texts.DONE, "done")))
    elif state == SHIFT:
        await message.reply_text(texts.NEW_SHIFT, reply_markup=keyboards.flow())
    else:
        event, shifts = _to_event(draft)
        zone = context.settings.zone
        card = keyboards.rsvp(shifts, 0, zone)
        await message.reply_text(
            texts.rsvp_card(texts.EVENT_INTRO, event, shifts, zone),
            reply_markup=keyboards.preview(card),
        )
        await message.reply_text(
            texts.NEW_PREVIEW, reply_markup=keyboards.flow((texts.CREATE, "create"))
        )
    draft["state"] = state
    return state


@requires(Role.ORGANISER)
async def start(update: Update, context: MusterContext, access: Access) -> int:
    assert update.effective_message
    areas = access.areas(Role.ORGANISER)
    context.user_data[DRAFT] = {"shifts": [], "areas": sorted(areas) if areas else None}
    return await _ask(update.effective_message, context, KIND)


async def kind_chosen(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    code = Kind.unpack(query.data).code
    await query.answer()
    if code not in KINDS:
        return KIND
    _draft(context)["kind"] = code
    await query.edit_message_reply_markup(None)
    return await _ask(query.message, context, TITLE)


async def typed(update: Update, context: MusterContext) -> int:
    """Any text during the conversation: the answer to the current question, or back/cancel."""
    message = update.effective_message
    assert message and message.text is not None
    draft = _draft(context)
    state = draft.get("state", KIND)
    words = message.text.strip().lower()
    if words in CANCEL_WORDS:
        return await _cancel(message, context)
    if words in BACK_WORDS:
        return await _back(message, context)
    zone = context.settings.zone
    try:
        if state == TITLE:
            draft["title"] = clean_text(message.text, TITLE_MAX, "title")
            return await _ask(message, context, AREA)
        if state == AREA:
            area = clean_text(message.text, AREA_MAX, "area")
            allowed = draft.get("areas")
            if allowed is not None:
                matches = [a for a in allowed if a.casefold() == area.casefold()]
                if not matches:
                    await message.reply_text(texts.NOT_YOUR_AREA)
                    return AREA
                area = matches[0]
            draft["area"] = area
            return await _ask(message, context, PLACE)
        if state in (PLACE, ADDRESS):
            draft["address"] = clean_text(message.text, ADDRESS_MAX, "address")
            return await _ask(message, context, DATE)
        if state == DATE:
            today = clock.now().astimezone(zone).date()
            draft["day"] = parse_date(message.text, today).isoformat()
            return await _ask(message, context, SHIFT)
        if state == SHIFT:
            shift = parse_shift(message.text, date.fromisoformat(draft["day"]), zone)
            if shift.starts_at <= clock.now():
                raise BadEventInput("shift_past")
            draft["shifts"].append(_shift_json(shift))
            await message.reply_text(texts.shift_added(_to_event(draft)[1][-1], zone))
            return await _ask(message, context, SHIFT)
    except BadEventInput as bad:
        await message.reply_text(texts.NEW_EVENT_BAD[bad.reason])
        return state
    # A question answered with buttons (kind, area pick, preview): point at them again.
    await message.reply_text(texts.EXPECTING_BUTTON)
    return await _ask(message, context, state)


def _shift_json(shift: ShiftDraft) -> dict[str, Any]:
    return {
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "capacity": shift.capacity,
        "note": shift.note,
    }


async def area_chosen(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    draft = _draft(context)
    index = Area.unpack(query.data).index
    names = draft.get("areas") or []
    if index >= len(names):
        return AREA
    draft["area"] = names[index]
    await query.edit_message_reply_markup(None)
    return await _ask(query.message, context, PLACE)


async def located(update: Update, context: MusterContext) -> int:
    message = update.effective_message
    assert message and message.location
    draft = _draft(context)
    if draft.get("state") not in (PLACE, ADDRESS):
        await message.reply_text(texts.EXPECTING_BUTTON)
        return await _ask(message, context, draft.get("state", KIND))
    draft["latitude"] = message.location.latitude
    draft["longitude"] = message.location.longitude
    if message.venue is not None:
        # A venue from the attachment menu comes with its own name and address.
        draft["address"] = clean_text(
            f"{message.venue.title}, {message.venue.address}", ADDRESS_MAX, "address"
        )
        return await _ask(message, context, DATE)
    return await _ask(message, context, ADDRESS)


async def flow_button(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    choice = Flow.unpack(query.data).choice
    draft = _draft(context)
    state = draft.get("state", KIND)
    await query.edit_message_reply_markup(None)
    if choice == "cancel":
        return await _cancel(query.message, context)
    if choice == "back":
        return await _back(query.message, context)
    if choice == "skip" and state == ADDRESS:
        return await _ask(query.message, context, DATE)
    if choice == "done" and state == SHIFT and draft.get("shifts"):
        return await _ask(query.message, context, PREVIEW)
    if choice == "create" and state == PREVIEW:
        return await _create(update, context, query.message)
    return await _ask(query.message, context, state)


async def _back(message: Message, context: MusterContext) -> int:
    draft = _draft(context)
    state = draft.get("state", KIND)
    if state == SHIFT and draft.get("shifts"):
        draft["shifts"].pop()  # Back after adding a shift takes that shift away
        return await _ask(message, context, SHIFT)
    previous = {
        KIND: KIND,
        TITLE: KIND,
        AREA: TITLE,
        PLACE: AREA,
        ADDRESS: PLACE,
        DATE: PLACE,
        SHIFT: DATE,
        PREVIEW: SHIFT,
    }[state]
    return await _ask(message, context, previous)


async def _cancel(message: Message, context: MusterContext) -> int:
    context.user_data.pop(DRAFT, None)
    await message.reply_text(texts.NEW_CANCELLED)
    return ConversationHandler.END


async def cancel_command(update: Update, context: MusterContext) -> int:
    assert update.effective_message
    return await _cancel(update.effective_message, context)


async def _create(update: Update, context: MusterContext, message: Message) -> int:
    assert update.effective_user
    draft = context.user_data.pop(DRAFT)
    event, shifts = _to_event(draft)
    plan = EventDraft(
        kind=event.kind,
        title=event.title,
        area=event.area,
        address=event.address,
        latitude=event.latitude,
        longitude=event.longitude,
        shifts=tuple(ShiftDraft(s.starts_at, s.ends_at, s.capacity, s.note) for s in shifts),
    )
    async with context.db.begin() as conn:
        event_id = await events.create_event(
            conn, plan, created_by=update.effective_user.id, at=clock.now()
        )
        await audit.record(
            conn,
            actor_telegram_id=update.effective_user.id,
            action="create_event",
            event_id=event_id,
            shifts=len(shifts),
            at=clock.now(),
        )
        created = await events.by_id(conn, event_id)
    assert created is not None
    link = f"https://t.me/{context.bot.username}?start={created.link_payload}"
    await message.reply_text(texts.event_created(created, len(shifts), link))
    return ConversationHandler.END


async def preview_pressed(update: Update, _context: MusterContext) -> None:
    assert update.callback_query
    await update.callback_query.answer(texts.PREVIEW_ONLY)


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("newevent", start, filters=private)],
        states={
            KIND: [CallbackQueryHandler(offered_only(kind_chosen), pattern=Kind.PATTERN)],
            AREA: [CallbackQueryHandler(offered_only(area_chosen), pattern=Area.PATTERN)],
            **{
                state: [
                    MessageHandler(private & filters.LOCATION, located),
                    MessageHandler(text, typed),
                ]
                for state in (TITLE, PLACE, ADDRESS, DATE, SHIFT, PREVIEW)
            },
        },
        fallbacks=[
            CallbackQueryHandler(offered_only(flow_button), pattern=Flow.PATTERN),
            CommandHandler("cancel", cancel_command, filters=private),
            MessageHandler(text, typed),
        ],
        name="newevent",
        allow_reentry=True,
    )
