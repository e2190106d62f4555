"""/newevent: an organiser sets up an event step by step, sees exactly what volunteers will see,
and confirms. Every step takes Back and Cancel (buttons, the words, or /cancel)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import clock, keyboards, texts
from bot.callbacks import Area, Flow, Kind, Reading
from bot.context import MusterContext
from bot.domain.answers import Meaning, Offer, choose, means
from bot.domain.events import (
    ADDRESS_MAX,
    AREA_MAX,
    KINDS,
    TITLE_MAX,
    AmbiguousShift,
    BadEventInput,
    Event,
    EventDraft,
    Shift,
    ShiftDraft,
    WrongWeekday,
    clean_text,
    parse_date,
    parse_shift,
)
from bot.domain.permissions import Access, Role
from bot.domain.statuses import EventStatus
from bot.services import events as organising
from bot.userdata import NewEventDraft
from handlers import typed as typed_answers
from handlers.common import offered_only, requires

KIND, TITLE, AREA, PLACE, ADDRESS, DATE, SHIFT, PREVIEW = range(8)

# What each step's own buttons mean when typed (Back and Cancel are offered at every step).
_STEP_BUTTONS: dict[int, list[Offer[str]]] = {
    ADDRESS: [Offer("skip", texts.SKIP, Meaning.SKIP)],
    SHIFT: [Offer("done", texts.DONE, Meaning.DONE)],
    PREVIEW: [Offer("create", texts.CREATE, Meaning.YES), Offer("create", "create")],
}
_KIND_BUTTONS = [
    *(Offer(code, label) for code, label in KINDS.items()),
    *(Offer(code, code.replace("_", " ")) for code in KINDS),
]


def _to_event(draft: NewEventDraft) -> tuple[Event, list[Shift]]:
    """The draft as the event and shifts volunteers will see."""
    assert draft.kind and draft.title and draft.area
    event = Event(
        id=0,
        code="preview",
        kind=draft.kind,
        title=draft.title,
        area=draft.area,
        address=draft.address,
        latitude=draft.latitude,
        longitude=draft.longitude,
        status=EventStatus.ACTIVE,
        created_by=None,
        created_at=clock.now(),
        cancelled_at=None,
    )
    shifts = [
        Shift(
            id=index,
            event_id=0,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            capacity=s.capacity,
            note=s.note,
            status=EventStatus.ACTIVE,
            cancelled_at=None,
        )
        for index, s in enumerate(draft.shifts, start=1)
    ]
    return event, shifts


async def _ask(message: Message, draft: NewEventDraft, context: MusterContext, state: int) -> int:
    """Put the question for ``state`` and return it, so handlers can `return await _ask(...)`."""
    if state == KIND:
        await message.reply_text(texts.NEW_KIND, reply_markup=keyboards.kinds(KINDS))
    elif state == TITLE:
        await message.reply_text(texts.NEW_TITLE, reply_markup=keyboards.flow())
    elif state == AREA and draft.areas:
        await message.reply_text(texts.NEW_AREA_PICK, reply_markup=keyboards.areas(draft.areas))
    elif state == AREA:
        await message.reply_text(texts.NEW_AREA, reply_markup=keyboards.flow())
    elif state == PLACE:
        await message.reply_text(texts.NEW_PLACE, reply_markup=keyboards.flow())
    elif state == ADDRESS:
        await message.reply_text(
            texts.NEW_ADDRESS, reply_markup=keyboards.flow((texts.SKIP, "skip"))
        )
    elif state == DATE and draft.maybe_days:
        written, weekday = draft.maybe_days
        await message.reply_text(
            texts.which_day(written, weekday),
            reply_markup=keyboards.readings([texts.day_button(d) for d in draft.maybe_days]),
        )
    elif state == DATE:
        await message.reply_text(texts.NEW_DATE, reply_markup=keyboards.flow())
    elif state == SHIFT and draft.maybe_shifts:
        zone = context.settings.zone
        readings = [(s.starts_at, s.ends_at) for s in draft.maybe_shifts]
        await message.reply_text(
            texts.which_shift(readings, zone),
            reply_markup=keyboards.readings([texts.shift_reading(*r, zone) for r in readings]),
        )
    elif state == SHIFT and draft.shifts:
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
    draft.state = state
    return state


@requires(Role.ORGANISER)
async def start(update: Update, context: MusterContext, access: Access) -> int:
    assert update.effective_message
    areas = access.areas(Role.ORGANISER)
    draft = NewEventDraft(state=KIND, areas=sorted(areas) if areas else None)
    context.user_data.new_event = draft
    return await _ask(update.effective_message, draft, context, KIND)


async def _gone(message: Message) -> int:
    """The draft is no more (they asked /forget to erase them half-way): the flow ends."""
    await message.reply_text(texts.NEW_DRAFT_GONE)
    return ConversationHandler.END


async def kind_chosen(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    code = Kind.unpack(query.data).code
    await query.answer()
    draft = context.user_data.new_event
    if draft is None:
        return await _gone(query.message)
    if code not in KINDS:
        return KIND
    draft.kind = code
    await query.edit_message_reply_markup(None)
    return await _ask(query.message, draft, context, TITLE)


def _reading_offers(draft: NewEventDraft, context: MusterContext) -> list[Offer[int]]:
    """The readings being asked about, as typed answers: the button's words, the day's name or
    the end time ("13:00", "1pm", "overnight")."""
    zone = context.settings.zone
    offers: list[Offer[int]] = []
    for index, day in enumerate(draft.maybe_days):
        offers += [
            Offer(index, texts.day_button(day)),
            Offer(index, f"{day:%A}"),
            Offer(index, f"{day:%a} {day.day} {day:%b}"),
        ]
    for index, shift in enumerate(draft.maybe_shifts):
        start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
        overnight = end.date() != start.date()
        hour12 = f"{(end.hour - 1) % 12 + 1}{'am' if end.hour < 12 else 'pm'}"
        offers += [
            Offer(index, texts.shift_reading(shift.starts_at, shift.ends_at, zone)),
            Offer(index, f"{end:%H:%M}"),
            Offer(index, hour12 if end.minute == 0 else f"{hour12[:-2]}:{end:%M}{hour12[-2:]}"),
            *(
                Offer(index, words)
                for words in (
                    ("overnight", "next day", "past midnight", "night")
                    if overnight
                    else ("same day", "afternoon", "evening", "daytime")
                )
            ),
        ]
    if len(draft.maybe_shifts) == 1:
        offers.append(Offer(0, meaning=Meaning.YES))
    return offers


async def _reading(
    message: Message, draft: NewEventDraft, context: MusterContext, index: int
) -> int:
    """The organiser said which reading they meant: take it, as if typed that way."""
    if draft.maybe_days:
        draft.day = draft.maybe_days[index]
        draft.maybe_days = []
        return await _ask(message, draft, context, SHIFT)
    shift = draft.maybe_shifts[index]
    draft.maybe_shifts = []
    if shift.starts_at <= clock.now():
        await message.reply_text(texts.NEW_EVENT_BAD["shift_past"])
        return await _ask(message, draft, context, SHIFT)
    return await _add_shift(message, draft, context, shift)


async def _add_shift(
    message: Message, draft: NewEventDraft, context: MusterContext, shift: ShiftDraft
) -> int:
    draft.shifts.append(shift)
    await message.reply_text(texts.shift_added(_to_event(draft)[1][-1], context.settings.zone))
    return await _ask(message, draft, context, SHIFT)


async def typed(update: Update, context: MusterContext) -> int:
    """Any text during the conversation: the answer to the current question, a button's words
    ("back", "cancel", "skip", "done", a kind's name...), or which reading was meant."""
    message = update.effective_message
    assert message and message.text is not None
    draft = context.user_data.new_event
    if draft is None:
        return await _gone(message)
    state = draft.state
    at = clock.now()
    pressed = means(message.text, Meaning.CANCEL, Meaning.BACK)
    if pressed is Meaning.CANCEL:
        return await _cancel(message, context)
    if pressed is Meaning.BACK:
        return await _back(message, draft, context)
    if draft.maybe_days or draft.maybe_shifts:
        index = choose(message.text, _reading_offers(draft, context))
        if index is not None:
            return await _reading(message, draft, context, index)
        # Anything else is a fresh try at the same question.
        draft.maybe_days, draft.maybe_shifts = [], []
    button = choose(message.text, _STEP_BUTTONS.get(state, []))
    if button is not None and (button != "done" or draft.shifts):
        return await _step_button(message, draft, context, button)
    zone = context.settings.zone
    try:
        if state == KIND:
            code = choose(message.text, _KIND_BUTTONS)
            if code is not None:
                draft.kind = code
                return await _ask(message, draft, context, TITLE)
        if state == TITLE:
            draft.title = clean_text(message.text, TITLE_MAX, "title")
            return await _ask(message, draft, context, AREA)
        if state == AREA:
            area = clean_text(message.text, AREA_MAX, "area")
            if draft.areas is not None:
                matches = [a for a in draft.areas if a.casefold() == area.casefold()]
                if not matches:
                    await message.reply_text(texts.NOT_YOUR_AREA)
                    return AREA
                area = matches[0]
            draft.area = area
            return await _ask(message, draft, context, PLACE)
        if state in (PLACE, ADDRESS):
            draft.address = clean_text(message.text, ADDRESS_MAX, "address")
            return await _ask(message, draft, context, DATE)
        if state == DATE:
            today = at.astimezone(zone).date()
            try:
                draft.day = parse_date(message.text, today)
            except WrongWeekday as unsure:
                draft.maybe_days = [unsure.written, unsure.nearest]
                return await _ask(message, draft, context, DATE)
            return await _ask(message, draft, context, SHIFT)
        if state == SHIFT:
            assert draft.day is not None
            try:
                shift = parse_shift(message.text, draft.day, zone)
            except AmbiguousShift as unsure:
                draft.maybe_shifts = unsure.drafts()
                return await _ask(message, draft, context, SHIFT)
            if shift.starts_at <= at:
                raise BadEventInput("shift_past")
            return await _add_shift(message, draft, context, shift)
    except BadEventInput as bad:
        await message.reply_text(texts.NEW_EVENT_BAD[bad.reason])
        return state
    # A question answered with buttons (kind, area pick, preview): the words press one of
    # them ("2" for the second kind), or are told what to type or tap.
    asked = context.user_data.asked
    if asked is None:
        await message.reply_text(texts.EXPECTING_BUTTON)
        return await _ask(message, draft, context, state)
    if not await typed_answers.press(update, context, asked):
        await typed_answers.tell_how(message, asked)
        return state
    after = context.user_data.new_event
    return after.state if after is not None else ConversationHandler.END


async def reading_chosen(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    draft = context.user_data.new_event
    if draft is None:
        return await _gone(query.message)
    index = Reading.unpack(query.data).index
    if index >= len(draft.maybe_days or draft.maybe_shifts):
        return draft.state
    await query.edit_message_reply_markup(None)
    return await _reading(query.message, draft, context, index)


async def area_chosen(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    draft = context.user_data.new_event
    if draft is None:
        return await _gone(query.message)
    index = Area.unpack(query.data).index
    names = draft.areas or []
    if index >= len(names):
        return AREA
    draft.area = names[index]
    await query.edit_message_reply_markup(None)
    return await _ask(query.message, draft, context, PLACE)


async def located(update: Update, context: MusterContext) -> int:
    message = update.effective_message
    assert message and message.location
    draft = context.user_data.new_event
    if draft is None:
        return await _gone(message)
    if draft.state not in (PLACE, ADDRESS):
        await message.reply_text(texts.EXPECTING_BUTTON)
        return await _ask(message, draft, context, draft.state)
    draft.latitude = message.location.latitude
    draft.longitude = message.location.longitude
    if message.venue is not None:
        # A venue from the attachment menu comes with its own name and address.
        draft.address = clean_text(
            f"{message.venue.title}, {message.venue.address}", ADDRESS_MAX, "address"
        )
        return await _ask(message, draft, context, DATE)
    return await _ask(message, draft, context, ADDRESS)


async def flow_button(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    choice = Flow.unpack(query.data).choice
    draft = context.user_data.new_event
    await query.edit_message_reply_markup(None)
    if draft is None:
        return await _gone(query.message)
    if choice == "cancel":
        return await _cancel(query.message, context)
    if choice == "back":
        return await _back(query.message, draft, context)
    return await _step_button(query.message, draft, context, choice)


async def _step_button(
    message: Message, draft: NewEventDraft, context: MusterContext, choice: str
) -> int:
    """Skip, Done or Create, tapped or typed."""
    state = draft.state
    if choice == "skip" and state == ADDRESS:
        return await _ask(message, draft, context, DATE)
    if choice == "done" and state == SHIFT and draft.shifts:
        return await _ask(message, draft, context, PREVIEW)
    if choice == "create" and state == PREVIEW:
        return await _create(message, context, draft)
    return await _ask(message, draft, context, state)


async def _back(message: Message, draft: NewEventDraft, context: MusterContext) -> int:
    state = draft.state
    if draft.maybe_days or draft.maybe_shifts:
        # Back from "which did you mean?" is the question they were answering.
        draft.maybe_days, draft.maybe_shifts = [], []
        return await _ask(message, draft, context, state)
    if state == SHIFT and draft.shifts:
        draft.shifts.pop()  # Back after adding a shift takes that shift away
        return await _ask(message, draft, context, SHIFT)
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
    return await _ask(message, draft, context, previous)


async def _cancel(message: Message, context: MusterContext) -> int:
    context.user_data.new_event = None
    await message.reply_text(texts.NEW_CANCELLED)
    return ConversationHandler.END


async def cancel_command(update: Update, context: MusterContext) -> int:
    assert update.effective_message
    return await _cancel(update.effective_message, context)


async def _create(message: Message, context: MusterContext, draft: NewEventDraft) -> int:
    # In a private chat (the only place /newevent runs) the chat is the organiser.
    context.user_data.new_event = None
    event, shifts = _to_event(draft)
    plan = EventDraft(
        kind=event.kind,
        title=event.title,
        area=event.area,
        address=event.address,
        latitude=event.latitude,
        longitude=event.longitude,
        shifts=tuple(draft.shifts),
    )
    async with context.db.begin() as conn:
        created = await organising.create(
            conn, clock.now(), by=message.chat.id, draft=plan
        )
    link = texts.share_link(context.bot.username, created)
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
            CallbackQueryHandler(offered_only(reading_chosen), pattern=Reading.PATTERN),
            CommandHandler("cancel", cancel_command, filters=private),
            MessageHandler(text, typed),
        ],
        name="newevent",
        allow_reentry=True,
        # Which question each organiser is on outlives a restart, with their draft (see
        # bot.persistence).
        persistent=True,
    )
