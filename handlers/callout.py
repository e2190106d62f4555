"""/callout: an organiser picks an event, its shifts and who to ask, sees how many it reaches and
exactly what they will get, adds a line if they like, and sends now or at a chosen time."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import clock, keyboards, texts, timefmt
from bot.callbacks import (
    CallActivity,
    CallEvent,
    CallFilter,
    CallFilterKey,
    CallFlow,
    CallShift,
    TopUp,
)
from bot.context import MusterContext
from bot.domain.audience import DISTANCES_KM, Audience, Place, Standby, best_standby
from bot.domain.events import BadEventInput, Event, Shift, local_to_utc, parse_date
from bot.domain.permissions import Access, Role
from bot.domain.planning import default_deadline
from bot.domain.signup import ACTIVITIES
from bot.domain.statuses import EventStatus
from bot.services import actors, calls
from bot.userdata import CallDraft
from db import attendance, audit, callouts, events
from handlers.common import offered_only, requires

EVENT, SHIFTS, FILTERS, ACTIVITY, LINE, CONFIRM, WHEN = range(7)
LINE_MAX = 300
_WHEN = re.compile(r"^(.*?)[\s,]+(\d{1,2})[:.](\d{2})$")


async def _load(context: MusterContext, draft: CallDraft) -> tuple[Event, list[Shift]]:
    assert draft.event_id is not None
    async with context.db.connect() as conn:
        event = await events.by_id(conn, draft.event_id)
        shifts = await events.shifts_of(conn, draft.event_id)
    assert event is not None
    at = clock.now()
    return event, [s for s in shifts if s.open_at(at)]


def _chosen(shifts: list[Shift], draft: CallDraft) -> list[Shift]:
    return [s for s in shifts if s.id in draft.shift_ids]


def _describe(filters_: Audience, area: str) -> list[str]:
    found = []
    if filters_.within_km:
        found.append(f"within {filters_.within_km:g} km of the meeting point")
    if filters_.fits_availability:
        found.append("free at that time")
    if filters_.activities:
        found.append("like " + texts.labels(filters_.activities, ACTIVITIES))
    if filters_.came_to_area:
        found.append(f"came to {area} before")
    if filters_.not_answered_earlier:
        found.append("didn't answer an earlier call for this event")
    return found


def _filter_buttons(filters_: Audience, area: str) -> list[tuple[CallFilterKey, str]]:
    def tick(on: bool) -> str:
        return "✅ " if on else ""

    near = f"{filters_.within_km:g} km" if filters_.within_km else "off"
    likes = texts.labels(filters_.activities, ACTIVITIES) if filters_.activities else "any"
    return [
        ("near", f"📍 Near the meeting point: {near}"),
        ("avail", f"{tick(filters_.fits_availability)}Free at that time"),
        ("acts", f"Likes doing: {likes}"[:60]),
        ("came", f"{tick(filters_.came_to_area)}Came to {area} before"[:60]),
        ("quiet", f"{tick(filters_.not_answered_earlier)}Didn't answer an earlier call"),
    ]


async def _count(
    context: MusterContext, draft: CallDraft, event: Event, shifts: list[Shift]
) -> int:
    async with context.db.connect() as conn:
        people = await calls.plan(
            conn, event, shifts, draft.audience, context.settings.zone, clock.now()
        )
    return len(people)


async def _gone(message: Message) -> int:
    """The draft is no more (they asked /forget to erase them half-way): the flow ends."""
    await message.reply_text(texts.CALLOUT_DRAFT_GONE)
    return ConversationHandler.END


async def _ask(message: Message, context: MusterContext, draft: CallDraft, state: int) -> int:
    zone = context.settings.zone
    if state == EVENT:
        await message.reply_text(
            texts.CALLOUT_PICK_EVENT, reply_markup=keyboards.call_events(draft.events)
        )
    elif state == SHIFTS:
        _, shifts = await _load(context, draft)
        labels = [
            (s.id, timefmt.span(s.starts_at, s.ends_at, zone), s.id in draft.shift_ids)
            for s in shifts
        ]
        await message.reply_text(
            texts.CALLOUT_PICK_SHIFTS, reply_markup=keyboards.call_shifts(labels)
        )
    elif state == FILTERS:
        await message.reply_text(**await _filters_view(context, draft))
    elif state == LINE:
        event, shifts = await _load(context, draft)
        text, markup = calls.message(event, _chosen(shifts, draft), None, zone)
        await message.reply_text(
            text,
            reply_markup=keyboards.preview(keyboards.InlineKeyboardMarkup.de_json(markup, None)),
        )
        await message.reply_text(
            texts.CALLOUT_LINE,
            reply_markup=keyboards.flow((texts.SKIP, "skip"), kind=CallFlow),
        )
    elif state == CONFIRM:
        event, shifts = await _load(context, draft)
        if draft.line:
            text, markup = calls.message(event, _chosen(shifts, draft), draft.line, zone)
            await message.reply_text(
                text,
                reply_markup=keyboards.preview(
                    keyboards.InlineKeyboardMarkup.de_json(markup, None)
                ),
            )
        await message.reply_text(
            texts.callout_ready(await _count(context, draft, event, _chosen(shifts, draft))),
            reply_markup=keyboards.flow(
                (texts.SEND_NOW, "now"), (texts.SEND_LATER, "later"), kind=CallFlow
            ),
        )
    elif state == WHEN:
        await message.reply_text(texts.CALLOUT_WHEN, reply_markup=keyboards.flow(kind=CallFlow))
    draft.state = state
    return state


async def _filters_view(context: MusterContext, draft: CallDraft) -> dict[str, object]:
    event, shifts = await _load(context, draft)
    count = await _count(context, draft, event, _chosen(shifts, draft))
    return {
        "text": texts.callout_audience(count, _describe(draft.audience, event.area)),
        "reply_markup": keyboards.call_filters(_filter_buttons(draft.audience, event.area)),
    }


@requires(Role.ORGANISER)
async def start(update: Update, context: MusterContext, access: Access) -> int:
    assert update.effective_message
    zone = context.settings.zone
    async with context.db.connect() as conn:
        found = await events.upcoming(conn, areas=access.areas(Role.ORGANISER), at=clock.now())
    at = clock.now()
    choices = [(event, [s for s in shifts if s.open_at(at)]) for event, shifts in found]
    choices = [(event, shifts) for event, shifts in choices if shifts]
    if not choices:
        await update.effective_message.reply_text(texts.CALLOUT_NO_EVENTS)
        return ConversationHandler.END
    draft = CallDraft(
        state=EVENT,
        events=[
            (event.id, texts.callout_event_label(event, shifts[0], zone))
            for event, shifts in choices[:20]
        ],
        allowed=[event.id for event, _ in choices],
    )
    context.user_data.callout = draft
    return await _ask(update.effective_message, context, draft, EVENT)


async def event_chosen(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    draft = context.user_data.callout
    if draft is None:
        await query.answer()
        return await _gone(query.message)
    event_id = CallEvent.unpack(query.data).event_id
    if event_id not in draft.allowed:
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return draft.state
    await query.answer()
    await query.edit_message_reply_markup(None)
    draft.event_id, draft.audience, draft.line = event_id, Audience(), None
    _, shifts = await _load(context, draft)
    draft.shift_ids = [s.id for s in shifts]
    return await _ask(query.message, context, draft, SHIFTS)


async def shift_toggled(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    draft = context.user_data.callout
    if draft is None:
        return await _gone(query.message)
    shift_id = CallShift.unpack(query.data).shift_id
    chosen = set(draft.shift_ids)
    chosen.symmetric_difference_update({shift_id})
    draft.shift_ids = sorted(chosen)
    _, shifts = await _load(context, draft)
    zone = context.settings.zone
    labels = [(s.id, timefmt.span(s.starts_at, s.ends_at, zone), s.id in chosen) for s in shifts]
    await query.edit_message_reply_markup(keyboards.call_shifts(labels))
    return SHIFTS


async def filter_toggled(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    draft = context.user_data.callout
    if draft is None:
        return await _gone(query.message)
    key = CallFilter.unpack(query.data).key
    current = draft.audience.to_json()
    if key == "near":
        steps = [None, *DISTANCES_KM]
        now = current["within_km"]
        current["within_km"] = steps[(steps.index(now) + 1) % len(steps)] if now in steps else None
    elif key == "avail":
        current["fits_availability"] = not current["fits_availability"]
    elif key == "came":
        current["came_to_area"] = not current["came_to_area"]
    elif key == "quiet":
        current["not_answered_earlier"] = not current["not_answered_earlier"]
    elif key == "acts":
        await query.edit_message_reply_markup(keyboards.call_activities(current["activities"]))
        draft.state = ACTIVITY
        return ACTIVITY
    draft.audience = Audience.from_json(current)
    await query.edit_message_text(**await _filters_view(context, draft))
    return FILTERS


async def activity_toggled(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    draft = context.user_data.callout
    if draft is None:
        return await _gone(query.message)
    code = CallActivity.unpack(query.data).code
    current = draft.audience.to_json()
    picked = set(current["activities"]) ^ {code}
    current["activities"] = sorted(picked & set(ACTIVITIES))
    draft.audience = Audience.from_json(current)
    await query.edit_message_reply_markup(keyboards.call_activities(current["activities"]))
    return ACTIVITY


async def typed(update: Update, context: MusterContext) -> int:
    message = update.effective_message
    assert message and message.text is not None
    draft = context.user_data.callout
    if draft is None:
        return await _gone(message)
    if draft.state == LINE:
        line = " ".join(message.text.split())
        if len(line) > LINE_MAX:
            await message.reply_text(texts.CALLOUT_LINE_TOO_LONG)
            return LINE
        draft.line = line
        return await _ask(message, context, draft, CONFIRM)
    if draft.state == WHEN:
        return await _scheduled(update, context, message, draft)
    await message.reply_text(texts.EXPECTING_BUTTON)
    return draft.state


def _read_when(text: str, zone: ZoneInfo) -> datetime:
    """ "Fri 27 Nov 18:00": a day as /newevent reads them, then a 24-hour time."""
    match = _WHEN.match(text.strip())
    if not match:
        raise BadEventInput("when")
    day = parse_date(match[1], clock.now().astimezone(zone).date())
    hour, minute = int(match[2]), int(match[3])
    if hour > 23 or minute > 59:
        raise BadEventInput("when")
    return local_to_utc(day, time(hour, minute), zone)


async def _scheduled(
    update: Update, context: MusterContext, message: Message, draft: CallDraft
) -> int:
    zone = context.settings.zone
    try:
        send_at = _read_when(message.text or "", zone)
    except BadEventInput:
        await message.reply_text(texts.CALLOUT_WHEN_BAD)
        return WHEN
    _, shifts = await _load(context, draft)
    chosen = _chosen(shifts, draft)
    if send_at <= clock.now() or not chosen or send_at >= min(s.starts_at for s in chosen):
        await message.reply_text(texts.CALLOUT_WHEN_PAST)
        return WHEN
    await _create(update, context, draft, send_at)
    await message.reply_text(texts.callout_scheduled(send_at, zone))
    return ConversationHandler.END


async def _create(
    update: Update, context: MusterContext, draft: CallDraft, send_at: datetime
) -> int:
    assert update.effective_user and update.effective_chat and draft.event_id is not None
    context.user_data.callout = None
    _, shifts = await _load(context, draft)
    deadline = default_deadline(
        min(s.starts_at for s in _chosen(shifts, draft)),
        send_at,
        timedelta(hours=context.settings.rsvp_deadline_hours),
    )
    async with context.db.begin() as conn:
        callout_id = await callouts.create(
            conn,
            event_id=draft.event_id,
            shift_ids=draft.shift_ids,
            filters=draft.audience,
            message=draft.line,
            created_by=update.effective_user.id,
            send_at=send_at,
            progress_chat_id=update.effective_chat.id,
            rsvp_deadline=deadline,
            at=clock.now(),
        )
        await audit.record(
            conn,
            actor_telegram_id=update.effective_user.id,
            action="callout",
            event_id=draft.event_id,
            callout_id=callout_id,
            shifts=len(draft.shift_ids),
            audience=draft.audience.to_json(),
            scheduled=send_at > clock.now(),
            at=clock.now(),
        )
    return callout_id


async def flow_button(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    choice = CallFlow.unpack(query.data).choice
    draft = context.user_data.callout
    if draft is None:
        await query.answer()
        await query.edit_message_reply_markup(None)
        return await _gone(query.message)
    state = draft.state
    if choice == "next" and state == SHIFTS and not draft.shift_ids:
        await query.answer(texts.CALLOUT_NEED_SHIFT, show_alert=True)
        return SHIFTS
    await query.answer()
    await query.edit_message_reply_markup(None)
    if choice == "cancel":
        context.user_data.callout = None
        await query.message.reply_text(texts.CALLOUT_CANCELLED)
        return ConversationHandler.END
    if choice == "back":
        previous = {
            EVENT: EVENT,
            SHIFTS: EVENT,
            FILTERS: SHIFTS,
            ACTIVITY: FILTERS,
            LINE: FILTERS,
            CONFIRM: LINE,
            WHEN: CONFIRM,
        }[state]
        return await _ask(query.message, context, draft, previous)
    if choice == "next" and state == SHIFTS:
        return await _ask(query.message, context, draft, FILTERS)
    if choice == "filters" and state == ACTIVITY:
        return await _ask(query.message, context, draft, FILTERS)
    if choice == "next" and state == FILTERS:
        return await _ask(query.message, context, draft, LINE)
    if choice == "skip" and state == LINE:
        draft.line = None
        return await _ask(query.message, context, draft, CONFIRM)
    if choice == "later" and state == CONFIRM:
        return await _ask(query.message, context, draft, WHEN)
    if choice == "now" and state == CONFIRM:
        at = clock.now()
        callout_id = await _create(update, context, draft, at)
        async with context.db.begin() as conn:
            call = await callouts.claim_now(conn, callout_id)
            await calls.launch(conn, call, context.settings.zone, at)
        context.wake_outbox()
        return ConversationHandler.END
    return await _ask(query.message, context, draft, state)


async def cancel_command(update: Update, context: MusterContext) -> int:
    assert update.effective_message
    context.user_data.callout = None
    await update.effective_message.reply_text(texts.CALLOUT_CANCELLED)
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("callout", start, filters=private)],
        states={
            EVENT: [CallbackQueryHandler(offered_only(event_chosen), pattern=CallEvent.PATTERN)],
            SHIFTS: [CallbackQueryHandler(offered_only(shift_toggled), pattern=CallShift.PATTERN)],
            FILTERS: [
                CallbackQueryHandler(offered_only(filter_toggled), pattern=CallFilter.PATTERN)
            ],
            ACTIVITY: [
                CallbackQueryHandler(offered_only(activity_toggled), pattern=CallActivity.PATTERN)
            ],
            **{state: [MessageHandler(text, typed)] for state in (LINE, CONFIRM, WHEN)},
        },
        fallbacks=[
            CallbackQueryHandler(offered_only(flow_button), pattern=CallFlow.PATTERN),
            CommandHandler("cancel", cancel_command, filters=private),
            MessageHandler(text, typed),
        ],
        name="callout",
        allow_reentry=True,
        # Which question each organiser is on outlives a restart, with their draft (see
        # bot.persistence).
        persistent=True,
    )


# Not asked again within this long of their last call or nudge.
TOP_UP_RESTS = timedelta(days=3)


async def top_up(update: Update, context: MusterContext) -> None:
    """The forecast's one tap: a call to the best standby volunteers for a shift that may be
    short, twice as many as the places to fill since not everyone will say yes."""
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    shift_id = TopUp.unpack(query.data).shift_id
    zone = context.settings.zone
    at = clock.now()
    async with context.db.begin() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
        found = await events.shifts_by_ids(conn, [shift_id])
        event = await events.by_id(conn, found[0].event_id) if found else None
        if event is None or not access.covers(Role.ORGANISER, event.area):
            await query.answer(texts.not_allowed("organiser"), show_alert=True)
            return
        shift = found[0]
        if not shift.open_at(at) or event.status != EventStatus.ACTIVE:
            await query.answer(texts.SHIFT_CLOSED, show_alert=True)
            return
        free = await calls.plan(conn, event, [shift], Audience(fits_availability=True), zone, at)
        rested = await callouts.recently_called(conn, at - TOP_UP_RESTS)
        free = [person for person in free if person.volunteer_id not in rested]
        rates = await attendance.show_rates(conn, [p.volunteer_id for p in free], at)
        short = max(shift.capacity, event.min_helpers or 0) - shift.going
        picked = best_standby(
            [
                Standby(
                    p.volunteer_id, p.place or Place(None, None, None), rates.get(p.volunteer_id)
                )
                for p in free
            ],
            Place(event.latitude, event.longitude, event.address),
            context.settings.newcomer_show_rate,
            max(2 * short, 1),
        )
        if not picked:
            await query.answer(texts.TOP_UP_NOBODY, show_alert=True)
            return
        callout_id = await callouts.create(
            conn,
            event_id=event.id,
            shift_ids=[shift.id],
            filters=Audience(only=frozenset(picked)),
            message=texts.TOP_UP_LINE,
            created_by=update.effective_user.id,
            send_at=at,
            progress_chat_id=query.message.chat.id,
            at=clock.now(),
        )
        await audit.record(
            conn,
            actor_telegram_id=update.effective_user.id,
            action="callout",
            event_id=event.id,
            callout_id=callout_id,
            shifts=1,
            audience={"top_up": len(picked)},
            scheduled=False,
            at=clock.now(),
        )
        await calls.launch(conn, await callouts.claim_now(conn, callout_id), zone, at)
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.wake_outbox()
