"""/callout: an organiser picks an event, its shifts and who to ask, sees how many it reaches and
exactly what they will get, adds a line if they like, and sends now or at a chosen time."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Message, Update
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
from bot.domain.answers import Meaning, Offer, choose
from bot.domain.audience import DISTANCES_KM, Audience
from bot.domain.events import (
    BadEventInput,
    WrongWeekday,
    local_to_utc,
    parse_date,
    read_time,
)
from bot.domain.permissions import Access, Role
from bot.domain.sending import paid_cost_stars
from bot.domain.signup import ACTIVITIES
from bot.services import actors, calls
from bot.services.calls import Calling, NewCall
from bot.userdata import CallDraft
from handlers import typed as typed_answers
from handlers.common import offered_only, requires

EVENT, SHIFTS, FILTERS, ACTIVITY, LINE, CONFIRM, WHEN = range(7)
LINE_MAX = 300
_WHEN = re.compile(r"^(.*?)[\s,]+(?:at\s+)?(\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?)$", re.IGNORECASE)


async def _load(context: MusterContext, draft: CallDraft, *, count: bool = False) -> Calling:
    """The draft's event as it stands now (its one read for this step); with ``count``, also how
    many the draft reaches."""
    assert draft.event_id is not None
    at = clock.now()
    async with context.db.connect() as conn:
        if not count:
            return await calls.event_to_call(conn, at, draft.event_id)
        return await calls.live_count(
            conn,
            at,
            event_id=draft.event_id,
            shift_ids=draft.shift_ids,
            filters=draft.audience,
            zone=context.settings.zone,
        )


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
    if filters_.free_that_weekend:
        found.append("have no session that weekend")
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
        ("weekend", f"{tick(filters_.free_that_weekend)}No session that weekend"),
    ]


async def _gone(message: Message) -> int:
    """The draft is no more (they asked /forget to erase them half-way): the flow ends."""
    await message.reply_text(texts.CALLOUT_DRAFT_GONE)
    return ConversationHandler.END


def _shift_buttons(calling: Calling, draft: CallDraft, zone: ZoneInfo) -> InlineKeyboardMarkup:
    return keyboards.call_shifts(
        [
            (s.id, timefmt.span(s.starts_at, s.ends_at, zone), s.id in draft.shift_ids)
            for s in calling.shifts
        ]
    )


async def _ask(
    message: Message,
    context: MusterContext,
    draft: CallDraft,
    state: int,
    calling: Calling | None = None,
) -> int:
    """Ask the question of ``state``; ``calling``: the draft's event, when this step read it
    already."""
    zone = context.settings.zone
    if state == EVENT:
        await message.reply_text(
            texts.CALLOUT_PICK_EVENT, reply_markup=keyboards.call_events(draft.events)
        )
    elif state == SHIFTS:
        calling = calling or await _load(context, draft)
        await message.reply_text(
            texts.CALLOUT_PICK_SHIFTS, reply_markup=_shift_buttons(calling, draft, zone)
        )
    elif state == FILTERS:
        await message.reply_text(**await _filters_view(context, draft))
    elif state == LINE:
        calling = calling or await _load(context, draft)
        text, markup = calls.message(calling.event, calling.chosen(draft.shift_ids), None, zone)
        await message.reply_text(
            text,
            reply_markup=keyboards.preview(keyboards.InlineKeyboardMarkup.de_json(markup, None)),
        )
        await message.reply_text(
            texts.CALLOUT_LINE,
            reply_markup=keyboards.flow((texts.SKIP, "skip"), kind=CallFlow),
        )
    elif state == CONFIRM:
        calling = await _load(context, draft, count=True)
        if draft.line:
            text, markup = calls.message(
                calling.event, calling.chosen(draft.shift_ids), draft.line, zone
            )
            await message.reply_text(
                text,
                reply_markup=keyboards.preview(
                    keyboards.InlineKeyboardMarkup.de_json(markup, None)
                ),
            )
        reaches = calling.reaches or 0
        paid = paid_cost_stars(reaches) if context.settings.paid_broadcast else None
        await message.reply_text(
            texts.callout_ready(reaches, paid),
            reply_markup=keyboards.flow(
                (texts.SEND_NOW, "now"),
                (texts.SEND_URGENT, "urgent"),
                (texts.SEND_LATER, "later"),
                kind=CallFlow,
            ),
        )
    elif state == WHEN:
        await message.reply_text(texts.CALLOUT_WHEN, reply_markup=keyboards.flow(kind=CallFlow))
    draft.state = state
    return state


async def _filters_view(context: MusterContext, draft: CallDraft) -> dict[str, object]:
    calling = await _load(context, draft, count=True)
    area = calling.event.area
    return {
        "text": texts.callout_audience(calling.reaches or 0, _describe(draft.audience, area)),
        "reply_markup": keyboards.call_filters(_filter_buttons(draft.audience, area)),
    }


@requires(Role.ORGANISER)
async def start(update: Update, context: MusterContext, access: Access) -> int:
    assert update.effective_message
    zone = context.settings.zone
    at = clock.now()
    async with context.db.connect() as conn:
        choices = await calls.events_to_call(conn, at, access.areas(Role.ORGANISER))
    if not choices:
        await update.effective_message.reply_text(texts.CALLOUT_NO_EVENTS)
        return ConversationHandler.END
    draft = CallDraft(
        state=EVENT,
        events=[
            (c.event.id, texts.callout_event_label(c.event, c.shifts[0], zone))
            for c in choices[:20]
        ],
        allowed=[c.event.id for c in choices],
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
    calling = await _load(context, draft)
    draft.shift_ids = [s.id for s in calling.shifts]
    return await _ask(query.message, context, draft, SHIFTS, calling)


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
    calling = await _load(context, draft)
    await query.edit_message_reply_markup(_shift_buttons(calling, draft, context.settings.zone))
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
    elif key == "weekend":
        current["free_that_weekend"] = not current["free_that_weekend"]
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


# What each step's buttons mean when typed (Back and Cancel are offered at every step).
_STEP_BUTTONS: dict[int, list[Offer[str]]] = {
    SHIFTS: [Offer("next", texts.NEXT, Meaning.DONE)],
    FILTERS: [Offer("next", texts.NEXT, Meaning.DONE)],
    ACTIVITY: [Offer("filters", texts.DONE, Meaning.DONE)],
    LINE: [Offer("skip", texts.SKIP, Meaning.SKIP)],
    CONFIRM: [
        Offer("now", texts.SEND_NOW, Meaning.YES),
        Offer("now", "now"),
        Offer("urgent", texts.SEND_URGENT),
        Offer("urgent", "urgent"),
        Offer("later", texts.SEND_LATER, Meaning.SKIP),
    ],
}


async def typed(update: Update, context: MusterContext) -> int:
    """Typed words: a button's (back, cancel, next, skip, send now, later), the organiser's own
    line, or when to send."""
    message = update.effective_message
    assert message and message.text is not None
    draft = context.user_data.callout
    if draft is None:
        return await _gone(message)
    offers = [
        Offer("cancel", texts.CANCEL, Meaning.CANCEL),
        Offer("back", texts.BACK, Meaning.BACK),
        *_STEP_BUTTONS.get(draft.state, []),
    ]
    choice = choose(message.text, offers)
    if choice is not None:
        if choice == "next" and draft.state == SHIFTS and not draft.shift_ids:
            await message.reply_text(texts.CALLOUT_NEED_SHIFT)
            return SHIFTS
        return await _step(update, context, message, draft, choice)
    if draft.state == LINE:
        line = " ".join(message.text.split())
        if len(line) > LINE_MAX:
            await message.reply_text(texts.CALLOUT_LINE_TOO_LONG)
            return LINE
        draft.line = line
        return await _ask(message, context, draft, CONFIRM)
    if draft.state == WHEN:
        return await _scheduled(update, context, message, draft)
    # A picker (an event, shifts, who to ask): the words press one of its buttons, or are told
    # what to type or tap.
    asked = context.user_data.asked
    if asked is None:
        await message.reply_text(texts.EXPECTING_BUTTON)
        return draft.state
    if not await typed_answers.press(update, context, asked):
        await typed_answers.tell_how(message, asked)
        return draft.state
    after = context.user_data.callout
    return after.state if after is not None else ConversationHandler.END


def _read_when(text: str, today: date, zone: ZoneInfo) -> datetime:
    """ "Fri 27 Nov 18:00", "tomorrow 6pm": a day as /newevent reads them, then a time."""
    match = _WHEN.match(text.strip())
    if not match:
        raise BadEventInput("when")
    day = parse_date(match[1], today)
    return local_to_utc(day, read_time(match[2]), zone)


def _call(update: Update, draft: CallDraft) -> NewCall:
    assert update.effective_user and update.effective_chat and draft.event_id is not None
    return NewCall(
        event_id=draft.event_id,
        shift_ids=tuple(draft.shift_ids),
        filters=draft.audience,
        line=draft.line,
        by=update.effective_user.id,
        progress_chat_id=update.effective_chat.id,
    )


async def _scheduled(
    update: Update, context: MusterContext, message: Message, draft: CallDraft
) -> int:
    zone = context.settings.zone
    at = clock.now()
    try:
        send_at = _read_when(message.text or "", at.astimezone(zone).date(), zone)
    except WrongWeekday as unsure:
        await message.reply_text(texts.wrong_weekday(unsure.written, unsure.nearest))
        return WHEN
    except BadEventInput:
        await message.reply_text(texts.CALLOUT_WHEN_BAD)
        return WHEN
    async with context.db.begin() as conn:
        created = await calls.send_later(
            conn,
            at,
            _call(update, draft),
            send_at=send_at,
            rsvp_before=timedelta(hours=context.settings.rsvp_deadline_hours),
        )
    if not created:
        await message.reply_text(texts.CALLOUT_WHEN_PAST)
        return WHEN
    context.user_data.callout = None
    await message.reply_text(texts.callout_scheduled(send_at, zone))
    return ConversationHandler.END


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
    return await _step(update, context, query.message, draft, choice)


async def _step(
    update: Update, context: MusterContext, message: Message, draft: CallDraft, choice: str
) -> int:
    """A step's button, tapped or typed: Back, Cancel, Next, Skip, Send now or Later."""
    state = draft.state
    if choice == "cancel":
        context.user_data.callout = None
        await message.reply_text(texts.CALLOUT_CANCELLED)
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
        return await _ask(message, context, draft, previous)
    if choice == "next" and state == SHIFTS:
        return await _ask(message, context, draft, FILTERS)
    if choice == "filters" and state == ACTIVITY:
        return await _ask(message, context, draft, FILTERS)
    if choice == "next" and state == FILTERS:
        return await _ask(message, context, draft, LINE)
    if choice == "skip" and state == LINE:
        draft.line = None
        return await _ask(message, context, draft, CONFIRM)
    if choice == "later" and state == CONFIRM:
        return await _ask(message, context, draft, WHEN)
    if choice in ("now", "urgent") and state == CONFIRM:
        at = clock.now()
        urgent = choice == "urgent"
        async with context.db.begin() as conn:
            await calls.send_now(
                conn,
                at,
                _call(update, draft),
                rsvp_before=timedelta(hours=context.settings.rsvp_deadline_hours),
                zone=context.settings.zone,
                urgent=urgent,
                paid=urgent and context.settings.paid_broadcast,
            )
        context.user_data.callout = None
        context.wake_outbox()
        return ConversationHandler.END
    return await _ask(message, context, draft, state)


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


async def top_up(update: Update, context: MusterContext) -> None:
    """The forecast's one tap: a call to the best standby volunteers for a shift that may be
    short (see bot.services.calls.top_up)."""
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    shift_id = TopUp.unpack(query.data).shift_id
    at = clock.now()
    async with context.db.begin() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
        result = await calls.top_up(
            conn,
            at,
            access=access,
            shift_id=shift_id,
            progress_chat_id=query.message.chat.id,
            newcomer_show_rate=context.settings.newcomer_show_rate,
            zone=context.settings.zone,
        )
    if result != "sent":
        refusal = {
            "not_allowed": texts.not_allowed("organiser"),
            "closed": texts.SHIFT_CLOSED,
            "nobody": texts.TOP_UP_NOBODY,
        }[result]
        await query.answer(refusal, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.wake_outbox()
