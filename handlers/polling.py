"""Polling day: /election (coordinators set up elections and their committee rooms),
/pledgecall (organisers ask the volunteers of an election's areas to pledge), /pledge and the
pledge question's buttons and typed answers (volunteers), the room offer that follows a pledge
(Yes / Another room / Not sure yet), and /pledges (what organisers see)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import clock, keyboards, texts
from bot.callbacks import (
    ElectionMenu,
    PledgeCall,
    PledgeFor,
    PledgePart,
    RoomOffer,
    RoomSet,
)
from bot.context import MusterContext
from bot.domain.answers import Meaning, Offer, choose, means
from bot.domain.events import BadEventInput, WrongWeekday, parse_date
from bot.domain.permissions import Access, Role
from bot.domain.polling import (
    ALL_DAY,
    DEFAULT_CLOSES,
    DEFAULT_OPENS,
    PARTS,
    BadElectionInput,
    Election,
    clean_name,
    parse_areas,
    parse_hours,
    read_parts,
)
from bot.domain.volunteers import Volunteer
from bot.services import actors, offers
from bot.services import polling as polls
from bot.userdata import Asked, ElectionDraft
from handlers.common import (
    offered_only,
    requires,
    signed_up,
    signed_up_or_refused,
)

MENU, NAME, DAY, HOURS, AREAS, EDIT, ROOMS, MANAGER, TARGET = range(9)
TARGET_MAX = 1000

# --- /election ---------------------------------------------------------------------------------


def _label(election: Election) -> str:
    return texts.EDIT_ELECTION.format(name=election.name)[:60]


async def _ask(message: Message, context: MusterContext, draft: ElectionDraft, state: int) -> int:
    """Put the question of ``state`` and return it."""
    if state == NAME:
        await message.reply_text(texts.ELECTION_ASK_NAME, reply_markup=keyboards.election_cancel())
    elif state == DAY:
        await message.reply_text(texts.ELECTION_ASK_DAY, reply_markup=keyboards.election_cancel())
    elif state == HOURS:
        await message.reply_text(
            texts.ELECTION_ASK_HOURS, reply_markup=keyboards.election_usual_hours()
        )
    elif state == AREAS:
        areas = (await _access(context, message)).areas(Role.COORDINATOR)
        question = (
            texts.ELECTION_ASK_AREAS
            if areas is None
            else texts.ELECTION_ASK_AREAS_OF.format(areas=texts.esc(", ".join(sorted(areas))))
        )
        await message.reply_text(question, reply_markup=keyboards.election_cancel())
    elif state in (EDIT, ROOMS):
        found = await _election(context, message, draft)
        if found is None:
            return await _gone(message, context)
        if state == EDIT:
            await message.reply_text(
                texts.election_edit_menu(found), reply_markup=keyboards.election_fields(found.id)
            )
        else:
            async with context.db.connect() as conn:
                rooms = await polls.rooms(conn, found, context.settings.zone)
            await message.reply_text(
                texts.rooms_list(found, [(r.event, r.shifts, r.manager) for r in rooms]),
                reply_markup=keyboards.election_rooms(
                    found.id, [(r.event.id, r.event.title) for r in rooms]
                ),
            )
    draft.state = state
    return state


async def _access(context: MusterContext, message: Message) -> Access:
    # In a private chat (the only place /election runs) the chat is the coordinator.
    async with context.db.connect() as conn:
        return await actors.access(conn, context.settings.admin_ids, message.chat.id)


async def _election(
    context: MusterContext, message: Message, draft: ElectionDraft
) -> Election | None:
    assert draft.election_id is not None
    access = await _access(context, message)
    async with context.db.connect() as conn:
        return await polls.election(conn, access, draft.election_id)


async def _gone(message: Message, context: MusterContext) -> int:
    context.user_data.election = None
    await message.reply_text(texts.ELECTION_GONE)
    return ConversationHandler.END


@requires(Role.COORDINATOR)
async def election_start(update: Update, context: MusterContext, access: Access) -> int:
    message = update.effective_message
    assert message
    async with context.db.connect() as conn:
        found = await polls.elections_for(conn, clock.now(), access, context.settings.zone)
    listed = "\n".join(texts.election_line(e) for e in found) or texts.ELECTIONS_NONE
    await message.reply_text(
        listed, reply_markup=keyboards.election_list([(e.id, _label(e)) for e in found[:20]])
    )
    context.user_data.election = ElectionDraft(state=MENU)
    return MENU


async def election_button(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = ElectionMenu.unpack(query.data)
    draft = context.user_data.election
    await query.answer()
    await query.edit_message_reply_markup(None)
    if draft is None:
        await query.message.reply_text(texts.ELECTION_STALE)
        return ConversationHandler.END
    return await _step(query.message, context, draft, pressed.action, pressed.number)


async def _step(
    message: Message, context: MusterContext, draft: ElectionDraft, action: str, number: int
) -> int:
    """A button of /election, tapped or typed."""
    if action == "cancel":
        return await _cancel(message, context)
    if action == "new" and draft.state == MENU:
        draft.election_id = None
        return await _ask(message, context, draft, NAME)
    if action == "edit" and draft.state == MENU:
        draft.election_id = number
        return await _ask(message, context, draft, EDIT)
    if action == "done" and draft.state == ROOMS:
        return await _ask(message, context, draft, EDIT)
    if action == "done" and draft.state == EDIT:
        context.user_data.election = None
        await message.reply_text(texts.ELECTION_CANCELLED)
        return ConversationHandler.END
    if action == "usual" and draft.state == HOURS:
        draft.opens, draft.closes = DEFAULT_OPENS, DEFAULT_CLOSES
        return await _answered(message, context, draft)
    if draft.state == EDIT and draft.election_id == number:
        state = {"name": NAME, "day": DAY, "hours": HOURS, "areas": AREAS, "rooms": ROOMS}
        if action in state:
            return await _ask(message, context, draft, state[action])
    await message.reply_text(texts.EXPECTING_BUTTON)
    return await _ask(message, context, draft, draft.state)


async def _answered(message: Message, context: MusterContext, draft: ElectionDraft) -> int:
    """One question answered: a new election goes on to the next; a change is saved at once."""
    if draft.election_id is None:
        following = {NAME: DAY, DAY: HOURS, HOURS: AREAS}
        return await _ask(message, context, draft, following[draft.state])
    found = await _election(context, message, draft)
    if found is None:
        return await _gone(message, context)
    fields = polls.fields_of(found)
    fields = replace(
        fields,
        name=draft.name or fields.name,
        day=draft.day or fields.day,
        opens=draft.opens or fields.opens,
        closes=draft.closes or fields.closes,
    )
    return await _save(message, context, draft, fields)


async def _save(
    message: Message, context: MusterContext, draft: ElectionDraft, fields: polls.ElectionFields
) -> int:
    access = await _access(context, message)
    async with context.db.begin() as conn:
        saved = await polls.save_election(
            conn,
            clock.now(),
            access,
            fields,
            election_id=draft.election_id,
            zone=context.settings.zone,
        )
    if saved.election is None:
        assert saved.refused is not None
        if saved.refused == "gone":
            return await _gone(message, context)
        mine = access.areas(Role.COORDINATOR) or ()
        await message.reply_text(
            texts.ELECTION_BAD[saved.refused].format(
                area=texts.esc(saved.area or ""), areas=texts.esc(", ".join(sorted(mine)))
            )
        )
        # A past date asks for the date again; otherwise the question just answered is.
        return await _ask(message, context, draft, DAY if saved.refused == "past" else draft.state)
    new = draft.election_id is None
    draft.name = draft.day = draft.opens = draft.closes = None
    draft.election_id = saved.election.id
    await message.reply_text(texts.election_saved(saved.election, new))
    if new:
        context.user_data.election = None
        return ConversationHandler.END
    return await _ask(message, context, draft, EDIT)


async def election_typed(update: Update, context: MusterContext) -> int:
    message = update.effective_message
    assert message and message.text is not None
    draft = context.user_data.election
    if draft is None:
        await message.reply_text(texts.ELECTION_STALE)
        return ConversationHandler.END
    if means(message.text, Meaning.CANCEL) is not None:
        return await _cancel(message, context)
    state, zone = draft.state, context.settings.zone
    try:
        if state == NAME:
            draft.name = clean_name(message.text)
            return await _answered(message, context, draft)
        if state == DAY:
            try:
                draft.day = parse_date(message.text, clock.now().astimezone(zone).date())
            except WrongWeekday as unsure:
                await message.reply_text(texts.wrong_weekday(unsure.written, unsure.nearest))
                return DAY
            except BadEventInput:
                raise BadElectionInput("day") from None
            return await _answered(message, context, draft)
        if state == HOURS:
            if choose(message.text, [Offer("usual", "usual", Meaning.YES)]) is not None:
                draft.opens, draft.closes = DEFAULT_OPENS, DEFAULT_CLOSES
            else:
                draft.opens, draft.closes = parse_hours(message.text)
            return await _answered(message, context, draft)
        if state == AREAS:
            return await _areas(message, context, draft, parse_areas(message.text))
        if state in (MANAGER, TARGET):
            return await _room_answer(message, context, draft, message.text)
    except BadElectionInput as bad:
        await message.reply_text(texts.ELECTION_BAD[bad.reason])
        return state
    offers = {
        MENU: [Offer("new", texts.NEW_ELECTION), Offer("new", "new")],
        EDIT: [Offer("done", texts.ELECTION_DONE, Meaning.DONE)],
        ROOMS: [Offer("done", texts.ELECTION_DONE, Meaning.DONE)],
    }.get(state, [])
    action = choose(message.text, offers)
    if action is not None:
        return await _step(message, context, draft, action, draft.election_id or 0)
    await message.reply_text(texts.EXPECTING_BUTTON)
    return state


async def _areas(
    message: Message, context: MusterContext, draft: ElectionDraft, areas: tuple[str, ...]
) -> int:
    if draft.election_id is None:
        assert draft.name and draft.day and draft.opens and draft.closes
        fields = polls.ElectionFields(draft.name, draft.day, draft.opens, draft.closes, areas)
        return await _save(message, context, draft, fields)
    found = await _election(context, message, draft)
    if found is None:
        return await _gone(message, context)
    return await _save(message, context, draft, replace(polls.fields_of(found), areas=areas))


async def room_button(update: Update, context: MusterContext) -> int:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = RoomSet.unpack(query.data)
    draft = context.user_data.election
    await query.answer()
    if draft is None or draft.state != ROOMS:
        await query.message.reply_text(texts.ELECTION_STALE)
        return ConversationHandler.END
    await query.edit_message_reply_markup(None)
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, query.message.chat.id)
        found = await polls.election(conn, access, draft.election_id or 0)
        rooms = await polls.rooms(conn, found, context.settings.zone) if found else []
    room = next((r for r in rooms if r.event.id == pressed.event_id), None)
    if room is None:
        return await _gone(query.message, context)
    draft.room_id = room.event.id
    if pressed.what == "m":
        draft.state = MANAGER
        question = texts.ROOM_ASK_MANAGER.format(
            title=texts.esc(room.event.title), area=texts.esc(room.event.area)
        )
    else:
        draft.state = TARGET
        question = texts.ROOM_ASK_TARGET.format(title=texts.esc(room.event.title))
    await query.message.reply_text(question, reply_markup=keyboards.election_cancel())
    return draft.state


async def _room_answer(
    message: Message, context: MusterContext, draft: ElectionDraft, text: str
) -> int:
    assert draft.room_id is not None
    words = text.strip()
    nobody = choose(words, [Offer("none", "none", Meaning.SKIP)]) is not None
    access = await _access(context, message)
    at = clock.now()
    if draft.state == MANAGER:
        async with context.db.begin() as conn:
            result = await polls.set_manager(
                conn,
                at,
                access,
                event_id=draft.room_id,
                who=None if nobody else words.split()[0],
                admin_ids=context.settings.admin_ids,
            )
        if result == "gone":
            return await _gone(message, context)
        if result != "saved":
            await message.reply_text(texts.ROOM_BAD[result].format(who=texts.esc(words.split()[0])))
            return MANAGER
    else:
        target = None
        if not nobody:
            if not words.isdigit() or not 1 <= int(words) <= TARGET_MAX:
                await message.reply_text(texts.ROOM_BAD["target"])
                return TARGET
            target = int(words)
        async with context.db.begin() as conn:
            if not await polls.set_target(conn, access, event_id=draft.room_id, target=target):
                return await _gone(message, context)
    draft.room_id = None
    await message.reply_text(texts.ROOM_SAVED)
    return await _ask(message, context, draft, ROOMS)


async def _cancel(message: Message, context: MusterContext) -> int:
    context.user_data.election = None
    await message.reply_text(texts.ELECTION_CANCELLED)
    return ConversationHandler.END


async def election_cancel_command(update: Update, context: MusterContext) -> int:
    assert update.effective_message
    return await _cancel(update.effective_message, context)


def election_conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("election", election_start, filters=private)],
        states={
            **{
                state: [MessageHandler(text, election_typed)]
                for state in (MENU, NAME, DAY, HOURS, AREAS, EDIT, MANAGER, TARGET)
            },
            ROOMS: [
                CallbackQueryHandler(offered_only(room_button), pattern=RoomSet.PATTERN),
                MessageHandler(text, election_typed),
            ],
        },
        fallbacks=[
            CallbackQueryHandler(offered_only(election_button), pattern=ElectionMenu.PATTERN),
            CommandHandler("cancel", election_cancel_command, filters=private),
            MessageHandler(text, election_typed),
        ],
        name="election",
        allow_reentry=True,
        # Which question each coordinator is on outlives a restart, with their draft (see
        # bot.persistence).
        persistent=True,
    )


# --- /pledgecall -------------------------------------------------------------------------------


async def _preview_call(
    message: Message, context: MusterContext, access: Access, election_id: int
) -> None:
    async with context.db.connect() as conn:
        calling = await polls.pledge_call_preview(
            conn, clock.now(), access, election_id, context.settings.zone
        )
    if calling is None:
        await message.reply_text(texts.PLEDGECALL_NONE)
        return
    text, markup = polls.pledge_question(calling.election)
    await message.reply_text(
        text,
        reply_markup=keyboards.preview(keyboards.InlineKeyboardMarkup.de_json(markup, None)),
    )
    await message.reply_text(
        texts.pledgecall_ready(calling.election, calling.reaches, calling.areas),
        reply_markup=keyboards.pledgecall_confirm(election_id),
    )


@requires(Role.ORGANISER)
async def pledgecall(update: Update, context: MusterContext, access: Access) -> None:
    message = update.effective_message
    assert message
    async with context.db.connect() as conn:
        found = await polls.elections_to_call(conn, clock.now(), access, context.settings.zone)
    if not found:
        await message.reply_text(texts.PLEDGECALL_NONE)
    elif len(found) == 1:
        await _preview_call(message, context, access, found[0].id)
    else:
        await message.reply_text(
            texts.PLEDGECALL_PICK,
            reply_markup=keyboards.pledgecall_pick([(e.id, e.name[:60]) for e in found[:20]]),
        )


async def _send_call(
    message: Message, context: MusterContext, access: Access, election_id: int
) -> None:
    async with context.db.begin() as conn:
        sent = await polls.send_pledge_call(
            conn, clock.now(), access, election_id, context.settings.zone
        )
    if sent is None:
        await message.reply_text(texts.PLEDGECALL_NONE)
        return
    context.wake_outbox()
    await message.reply_text(texts.pledgecall_sent(sent))


async def pledgecall_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    pressed = PledgeCall.unpack(query.data)
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
    if not access.has(Role.ORGANISER):
        await query.answer(texts.not_allowed(Role.ORGANISER.value), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if pressed.action == "cancel":
        await query.message.reply_text(texts.PLEDGECALL_CANCELLED)
    elif pressed.action == "pick":
        await _preview_call(query.message, context, access, pressed.election_id)
    else:
        await _send_call(query.message, context, access, pressed.election_id)


# --- Pledging ----------------------------------------------------------------------------------


async def _question(
    message: Message, context: MusterContext, volunteer: Volunteer, election_id: int
) -> None:
    """The pledge question for one election, ticked as they pledged; typed parts answer it."""
    async with context.db.connect() as conn:
        found = await polls.pledge_of(
            conn, clock.now(), volunteer, election_id, context.settings.zone
        )
    if found is None:
        await message.reply_text(texts.PLEDGE_CLOSED)
        return
    election, pledge = found
    text, markup = polls.pledge_question(election, pledge.parts if pledge else ())
    await message.reply_text(
        text, reply_markup=keyboards.InlineKeyboardMarkup.de_json(markup, None)
    )


async def pledge_command(update: Update, context: MusterContext) -> None:
    message = update.effective_message
    assert message
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    async with context.db.connect() as conn:
        found = await polls.elections_to_pledge(conn, clock.now(), volunteer, context.settings.zone)
    if not found:
        await message.reply_text(texts.PLEDGE_NO_ELECTION)
    elif len(found) == 1:
        await _question(message, context, volunteer, found[0].id)
    else:
        await message.reply_text(
            texts.PLEDGE_WHICH, reply_markup=keyboards.pledge_elections(_choices(found))
        )


def _choices(found: list[Election]) -> list[tuple[int, str]]:
    return [(e.id, f"{e.name} ({texts.election_day(e.day)})"[:60]) for e in found[:20]]


async def pledge_for(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _question(query.message, context, volunteer, PledgeFor.unpack(query.data).election_id)


async def _pledge(
    context: MusterContext, volunteer: Volunteer, election_id: int, parts: set[str]
) -> tuple[polls.PledgeResult, Election | None]:
    async with context.db.begin() as conn:
        return await polls.pledge(
            conn,
            clock.now(),
            volunteer=volunteer,
            election_id=election_id,
            parts=parts,
            zone=context.settings.zone,
        )


def _said(result: polls.PledgeResult, election: Election | None, parts: set[str]) -> str:
    if result in ("saved", "changed"):
        assert election is not None
        return texts.pledge_saved(election, parts, changed=result == "changed")
    if result == "withdrawn":
        assert election is not None
        return texts.pledge_withdrawn(election)
    return texts.PLEDGE_PICK_ONE if result == "pick_one" else texts.PLEDGE_CLOSED


async def pledge_part(update: Update, context: MusterContext) -> None:
    """A part of the day ticked or unticked, All day, or Done on a pledge question."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    pressed = PledgePart.unpack(query.data)
    ticked = keyboards.parts_on(query.message.reply_markup)
    every = {part.value for part in PARTS}
    if pressed.part != "done":
        if pressed.part == ALL_DAY:
            ticked = set() if ticked == every else every
        else:
            ticked ^= {pressed.part}
        await query.answer()
        await query.edit_message_reply_markup(keyboards.pledge_parts(pressed.election_id, ticked))
        return
    result, election = await _pledge(context, volunteer, pressed.election_id, ticked)
    if result == "pick_one":
        await query.answer(texts.PLEDGE_PICK_ONE, show_alert=True)
        return
    await query.answer()
    try:
        await query.edit_message_text(_said(result, election, ticked))
    finally:
        context.wake_outbox()  # the room offer, which follows the answer


async def typed_pledge(update: Update, context: MusterContext, asked: Asked) -> bool:
    """Parts of the day typed to the pledge question just put ("morning and evening"); False
    when the question is not a pledge, or the words are not parts of the day."""
    message = update.effective_message
    assert message and message.text is not None
    election_id = next(
        (
            PledgePart.unpack(data).election_id
            for _, buttons in asked.messages
            for _, data in buttons
            if PledgePart.PATTERN.fullmatch(data)
        ),
        None,
    )
    parts = read_parts(message.text) if election_id is not None else None
    if election_id is None or not parts:
        return False
    async with context.db.connect() as conn:
        volunteer = await signed_up(update, conn)
    if volunteer is None:
        return False
    chosen = {part.value for part in parts}
    result, election = await _pledge(context, volunteer, election_id, chosen)
    try:
        await message.reply_text(_said(result, election, chosen))
    finally:
        context.wake_outbox()
    return True


async def on_typed_parts(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """Parts of the day typed as the answer to a pledge call: for the one election coming, or
    asked which when several are."""
    message = update.effective_message
    assert message and message.text is not None
    parts = read_parts(message.text)
    if parts is None:
        return False
    async with context.db.connect() as conn:
        found = await polls.elections_to_pledge(conn, clock.now(), volunteer, context.settings.zone)
    if not found:
        return False
    if len(found) > 1:
        await message.reply_text(
            texts.PLEDGE_WHICH_TYPED, reply_markup=keyboards.pledge_elections(_choices(found))
        )
        return True
    chosen = {part.value for part in parts}
    result, election = await _pledge(context, volunteer, found[0].id, chosen)
    try:
        await message.reply_text(_said(result, election, chosen))
    finally:
        context.wake_outbox()
    return True


# --- Room offers -------------------------------------------------------------------------------


def offers_room(asked: Asked) -> bool:
    """Whether a question with buttons is a room offer."""
    return any(
        RoomOffer.PATTERN.fullmatch(data) for _, buttons in asked.messages for _, data in buttons
    )


async def offer_button(update: Update, context: MusterContext) -> None:
    """Yes, Another room or Not sure yet on a room offer, tapped or typed. The answer edits the
    offer: Yes into what it came to (the confirmations follow through the outbox), Another room
    into the next room, or says none is left."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    volunteer = await signed_up_or_refused(update, context)
    if volunteer is None:
        return
    pressed = RoomOffer.unpack(query.data)
    at, zone = clock.now(), context.settings.zone
    if pressed.answer == "n":
        async with context.db.connect() as conn:
            stands = await offers.stands(conn, volunteer, pressed.offer_id)
        if not stands:
            await query.answer(texts.OFFER_LAPSED, show_alert=True)
            return
        await query.answer()
        await query.edit_message_text(texts.OFFER_LATER)
        return
    if pressed.answer == "y":
        async with context.db.begin() as conn:
            accepted = await offers.accept(
                conn,
                at,
                volunteer=volunteer,
                offer_id=pressed.offer_id,
                zone=zone,
                late_cancel=timedelta(hours=context.settings.late_cancel_hours),
            )
        if accepted is None:
            await query.answer(texts.OFFER_LAPSED, show_alert=True)
            return
        if not accepted.taken:
            await query.answer(texts.OFFER_NOTHING_OPEN, show_alert=True)
            return
        await query.answer()
        try:
            await query.edit_message_text(texts.offer_taken(accepted.event, accepted.taken, zone))
        finally:
            context.wake_outbox()  # the meeting point and calendar file
        return
    async with context.db.begin() as conn:
        following = await offers.another(
            conn, at, volunteer=volunteer, offer_id=pressed.offer_id, zone=zone
        )
    if following is None:
        await query.answer(texts.OFFER_LAPSED, show_alert=True)
        return
    await query.answer()
    if following.offer is None:
        await query.edit_message_text(texts.OFFER_NONE_LEFT)
        return
    text, markup = offers.offer_text(following.offer, zone)
    await query.edit_message_text(
        text, reply_markup=keyboards.InlineKeyboardMarkup.de_json(markup, None)
    )


# --- /pledges ----------------------------------------------------------------------------------


@requires(Role.ORGANISER)
async def pledges(update: Update, context: MusterContext, access: Access) -> None:
    message = update.effective_message
    assert message
    zone = context.settings.zone
    async with context.db.connect() as conn:
        views = await polls.pledge_views(conn, clock.now(), access, zone)
    if not views:
        await message.reply_text(texts.PLEDGES_NONE)
    for view in views:
        await message.reply_text(texts.pledges_view(view.election, view.figures, view.short, zone))
