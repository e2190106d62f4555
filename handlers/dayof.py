"""On the day and after: "Still coming?", check-in (buttons, /here, a shared location, walk-ins),
running late, "Can't come", the debrief, and organisers correcting attendance. Checking in at a
committee room offers its knock-up round's button (the rounds themselves: handlers.rounds)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Message, Update
from telegram.error import BadRequest

from bot import clock, keyboards, texts, timefmt
from bot.callbacks import CheckIn, CorrectAttendance, Doors, Mark, StillComing
from bot.context import MusterContext
from bot.domain.answers import Meaning, Offer, choose, means
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import actors, dayof, rounds
from bot.services.dayof import CheckInAction, NotOrganiser, Said, Sheet
from handlers.common import refuse_not_signed_up, signed_up
from handlers.rsvp import ask_reason, record_answer

NOTE_MAX = 500

SAID = {
    Said.OVER: texts.SESSION_OVER,
    Said.ALREADY_HERE: texts.ALREADY_CHECKED_IN,
    Said.CHECKED_IN: texts.CHECKED_IN,
    Said.LATE: texts.LATE_NOTED,
    Said.CANT_COME: texts.CANT_COME_NOTED,
    Said.TOO_FAR: texts.TOO_FAR_TO_CHECK_IN,
}
ACTIONS = {"h": CheckInAction.HERE, "l": CheckInAction.LATE, "x": CheckInAction.CANT_COME}


# --- "Still coming?" ------------------------------------------------------------------------------


async def still_coming(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = StillComing.unpack(query.data)
    async with context.db.connect() as conn:
        volunteer = await signed_up(update, conn)
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    said = await _still_coming(context, query.message, volunteer, pressed, query.message.message_id)
    if said is None:
        await query.answer(texts.SHIFT_CLOSED, show_alert=True)
        return
    await query.answer(said)


async def _still_coming(
    context: MusterContext,
    message: Message,
    volunteer: Volunteer,
    pressed: StillComing,
    prompt_id: int,
) -> str | None:
    """Yes or no to "Still coming?" (``prompt_id``), tapped or typed: the prompt loses its
    buttons and the answer is told. None (and nothing changed) when the shift has closed."""
    answered = None
    if pressed.answer == "n":
        async with context.db.begin() as conn:
            answered = await record_answer(
                context, conn, clock.now(), volunteer, [pressed.shift_id], RsvpStatus.CANT, None
            )
        if not answered.outcomes:
            return None
        context.wake_outbox()
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_reply_markup(message.chat.id, prompt_id, reply_markup=None)
    said = texts.SEE_YOU if answered is None else texts.CANT_NOTED
    await message.reply_text(said)
    if answered is not None:
        await ask_reason(context, message, answered)
    return said


# --- Check-in -------------------------------------------------------------------------------------


async def checkin_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = CheckIn.unpack(query.data)
    async with context.db.connect() as conn:
        volunteer = await signed_up(update, conn)
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    await query.answer()
    await _check_in(context, query.message, volunteer, pressed, query.message.message_id)


async def _check_in(
    context: MusterContext, message: Message, volunteer: Volunteer, pressed: CheckIn, prompt_id: int
) -> None:
    """Here, running late or can't come, on the check-in prompt ``prompt_id``, tapped or typed."""
    at = clock.now()
    async with context.db.begin() as conn:
        said = await dayof.check_in_button(
            conn,
            at,
            volunteer=volunteer,
            shift_id=pressed.shift_id,
            action=ACTIONS[pressed.action],
            zone=context.settings.zone,
        )
        offer = await _round_offer(conn, at, volunteer, said, pressed.shift_id)
    context.wake_outbox()  # for the organisers' alert, if any
    # Running late keeps the buttons, to say "I'm here" on arrival.
    if said != Said.LATE:
        with contextlib.suppress(BadRequest):
            await context.bot.edit_message_reply_markup(
                message.chat.id, prompt_id, reply_markup=None
            )
    await _say(message, said, offer)


async def _round_offer(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, said: Said, shift_id: int | None
) -> rounds.Offer | None:
    """At a committee room, checking in offers the knock-up round's button."""
    if said not in (Said.CHECKED_IN, Said.ALREADY_HERE):
        return None
    return await rounds.offer(conn, at, volunteer=volunteer, shift_id=shift_id)


async def _say(message: Message, said: Said, offer: rounds.Offer | None) -> None:
    """What a check-in came to; at a committee room, with Out on a round (or Back, if out)."""
    if offer is None:
        await message.reply_text(SAID[said])
        return
    text = (
        texts.ROOM_CHECKED_IN
        if said == Said.CHECKED_IN
        else texts.room_checked_in(offer.so_far, offer.out)
    )
    markup = (
        keyboards.back_from_round(offer.shift_id)
        if offer.out
        else keyboards.out_on_round(offer.shift_id)
    )
    await message.reply_text(text, reply_markup=markup)


_PROMPT_MEANINGS = {
    "y": Meaning.YES,
    "n": Meaning.NO,
    "h": Meaning.HERE,
    "l": Meaning.LATE,
    "x": Meaning.NO,
}


async def on_typed_prompt(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """Words typed to the newest "Still coming?" or check-in prompt ("yes", "running late",
    "I'm here"), as its buttons. False when that prompt is not the newest card they hold, or
    the words are not one of its answers."""
    message = update.effective_message
    assert message and message.text is not None
    if context.user_data.late_cancel_shift_id is not None:
        return False  # a reason is being asked for: the words are that
    async with context.db.connect() as conn:
        prompt = await dayof.last_prompt(conn, message.chat.id, volunteer.id)
    if prompt is None:
        return False
    offers: list[Offer[StillComing | CheckIn]] = []
    for label, data in prompt.buttons:
        pressed: StillComing | CheckIn
        if StillComing.PATTERN.fullmatch(data):
            pressed = StillComing.unpack(data)
        elif CheckIn.PATTERN.fullmatch(data):
            pressed = CheckIn.unpack(data)
        else:
            continue
        code = pressed.answer if isinstance(pressed, StillComing) else pressed.action
        offers.append(Offer(pressed, label, _PROMPT_MEANINGS[code]))
    chosen = choose(message.text, offers)
    if chosen is None:
        return False
    if isinstance(chosen, StillComing):
        if await _still_coming(context, message, volunteer, chosen, prompt.message_id) is None:
            await message.reply_text(texts.SHIFT_CLOSED)
        return True
    await _check_in(context, message, volunteer, chosen, prompt.message_id)
    return True


async def here(update: Update, context: MusterContext) -> None:
    """/here: check in to the session one said going to, or pick one that is on now (a walk-in)."""
    message = update.effective_message
    assert message
    zone = context.settings.zone
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await signed_up(update, conn)
        done = volunteer and await dayof.here(conn, at, volunteer, zone=zone)
        offer = (
            await _round_offer(conn, at, volunteer, done.said, None)
            if volunteer and done and done.said
            else None
        )
    if volunteer is None or done is None:
        await refuse_not_signed_up(update, context)
        return
    context.wake_outbox()  # for edits of their cards
    if done.said is not None:
        await _say(message, done.said, offer)
        return
    if not done.sessions:
        await message.reply_text(texts.NOTHING_TO_CHECK_IN)
        return
    choices = [
        (shift.id, f"{shift.starts_at.astimezone(zone):%H:%M} {event.title}"[:60])
        for shift, event in done.sessions
    ]
    await message.reply_text(texts.WHICH_SESSION, reply_markup=keyboards.sessions(choices))


async def by_location(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """A location shared outside sign-up: check in at the nearest session on now, if near."""
    message = update.effective_message
    assert message and message.location
    at = clock.now()
    async with context.db.begin() as conn:
        said = await dayof.by_location(
            conn,
            at,
            volunteer=volunteer,
            latitude=message.location.latitude,
            longitude=message.location.longitude,
            radius_km=context.settings.checkin_radius_metres / 1000,
            zone=context.settings.zone,
        )
        offer = await _round_offer(conn, at, volunteer, said, None) if said else None
    context.wake_outbox()  # for edits of their cards
    if said is None:
        return False
    await _say(message, said, offer)
    return True


# --- Debrief --------------------------------------------------------------------------------------


async def doors_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = Doors.unpack(query.data)
    async with context.db.begin() as conn:
        volunteer = await signed_up(update, conn)
        if volunteer is not None:
            await dayof.record_doors(
                conn, volunteer=volunteer, shift_id=pressed.shift_id, doors=pressed.count
            )
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.user_data.debrief_shift_id = pressed.shift_id
    await query.message.reply_text(texts.DEBRIEF_NOTE, reply_markup=keyboards.skip_note())


async def skip_note(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    context.user_data.debrief_shift_id = None
    await query.answer()
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(texts.DEBRIEF_THANKS)


async def on_free_text(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """A debrief answer typed rather than tapped: the note, or a number of doors."""
    message = update.effective_message
    assert message and message.text is not None
    noted = context.user_data.debrief_shift_id
    if noted is not None and means(message.text, Meaning.SKIP):
        context.user_data.debrief_shift_id = None
        await message.reply_text(texts.DEBRIEF_THANKS)
        return True
    if noted is not None:
        note = " ".join(message.text.split())
        if len(note) > NOTE_MAX:
            await message.reply_text(texts.NOTE_TOO_LONG, reply_markup=keyboards.skip_note())
            return True
        context.user_data.debrief_shift_id = None
        async with context.db.begin() as conn:
            await dayof.record_note(conn, volunteer=volunteer, shift_id=noted, note=note)
        await message.reply_text(texts.DEBRIEF_THANKS)
        return True
    words = message.text.strip().removesuffix("+")
    if not words.isdigit():
        return False
    at = clock.now()
    async with context.db.begin() as conn:
        typed = await dayof.typed_doors(
            conn, at, volunteer=volunteer, doors=int(words), zone=context.settings.zone
        )
    if typed is None:
        return False
    context.wake_outbox()  # the "How many doors?" card now says how many
    if not typed.kept:
        await message.reply_text(texts.DEBRIEF_NUMBER)
        return True
    context.user_data.debrief_shift_id = typed.shift_id
    await message.reply_text(texts.DEBRIEF_NOTE, reply_markup=keyboards.skip_note())
    return True


# --- Organisers correcting attendance -----------------------------------------------------------


def _sheet_keyboard(sheet: Sheet) -> keyboards.InlineKeyboardMarkup:
    return keyboards.attendance(
        sheet.shift.id, [(p.volunteer_id, p.name or "?", p.came) for p in sheet.going]
    )


async def correct_start(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    shift_id = CorrectAttendance.unpack(query.data).shift_id
    async with context.db.connect() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
        try:
            sheet = await dayof.attendance_sheet(conn, access, shift_id)
        except NotOrganiser:
            sheet = None
    if sheet is None:
        await query.answer(texts.not_allowed("organiser"), show_alert=True)
        return
    await query.answer()
    when = timefmt.span(sheet.shift.starts_at, sheet.shift.ends_at, context.settings.zone)
    await query.message.reply_text(
        f"<b>{texts.esc(sheet.event.title)}</b> {when}\n{texts.CORRECT_HELP}",
        reply_markup=_sheet_keyboard(sheet),
    )


async def mark(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    pressed = Mark.unpack(query.data)
    refused = False
    async with context.db.begin() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
        try:
            sheet = await dayof.toggle_attendance(
                conn,
                access,
                pressed.shift_id,
                pressed.volunteer_id,
                at=clock.now(),
                zone=context.settings.zone,
            )
        except NotOrganiser:
            refused, sheet = True, None
    if refused:
        await query.answer(texts.not_allowed("organiser"), show_alert=True)
        return
    context.wake_outbox()  # the volunteer's "Are you there?" card changes with it
    if sheet is None:
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(_sheet_keyboard(sheet))
