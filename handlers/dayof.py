"""On the day and after: "Still coming?", check-in (buttons, /here, a shared location, walk-ins),
running late, "Can't come", the debrief, and organisers correcting attendance."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Message, Update
from telegram.error import BadRequest

from bot import clock, keyboards, texts, timefmt
from bot.callbacks import CheckIn, CorrectAttendance, Doors, Mark, StillComing
from bot.context import MusterContext
from bot.domain.audience import distance_km
from bot.domain.events import Event, Shift
from bot.domain.permissions import Role
from bot.domain.statuses import Attendance, RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import actors
from bot.services.organisers import tell_organisers
from db import attendance, events
from handlers.common import load_volunteer
from handlers.rsvp import ask_reason, record_answer

# Check-in opens this long before a shift starts.
EARLY = timedelta(minutes=60)
DEBRIEF_WITHIN = timedelta(hours=24)
NOTE_MAX = 500


async def _volunteer(
    update: Update, context: MusterContext, conn: AsyncConnection
) -> Volunteer | None:
    assert update.effective_user
    volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is None or not volunteer.signed_up:
        if update.callback_query:
            await update.callback_query.answer(texts.NOT_SIGNED_UP, show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(texts.NOT_SIGNED_UP)
        return None
    return volunteer


async def _shift_and_event(conn: AsyncConnection, shift_id: int) -> tuple[Shift, Event] | None:
    found = await events.shifts_by_ids(conn, [shift_id])
    if not found:
        return None
    event = await events.by_id(conn, found[0].event_id)
    return (found[0], event) if event else None


# --- "Still coming?" ------------------------------------------------------------------------------


async def still_coming(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = StillComing.unpack(query.data)
    choice, shift_id = pressed.answer, pressed.shift_id
    answered = None
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await _volunteer(update, context, conn)
        if volunteer is None:
            return
        if choice == "n":
            answered = await record_answer(
                context, conn, at, volunteer, [shift_id], RsvpStatus.CANT, None
            )
            if not answered.outcomes:
                await query.answer(texts.SHIFT_CLOSED, show_alert=True)
                return
    context.wake_outbox()
    await query.answer(texts.SEE_YOU if choice == "y" else texts.CANT_NOTED)
    await query.edit_message_reply_markup(None)
    if answered is None:
        await query.message.reply_text(texts.SEE_YOU)
        return
    await query.message.reply_text(texts.CANT_NOTED)
    await ask_reason(context, query.message, answered)


# --- Check-in -------------------------------------------------------------------------------------


async def _check_in(
    context: MusterContext, conn: AsyncConnection, volunteer: Volunteer, shift_id: int
) -> str:
    """Check someone in to a shift that is on now; returns what to tell them."""
    found = await _shift_and_event(conn, shift_id)
    at = clock.now()
    if found is None or shift_id not in await attendance.on_now(conn, at, EARLY):
        return texts.SESSION_OVER
    already = [p for p in await attendance.people(conn, shift_id) if p.volunteer_id == volunteer.id]
    if already and already[0].came:
        return texts.ALREADY_CHECKED_IN
    await attendance.check_in(conn, shift_id, volunteer.id, at=clock.now())
    return texts.CHECKED_IN


async def checkin_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = CheckIn.unpack(query.data)
    choice, shift_id = pressed.action, pressed.shift_id
    async with context.db.begin() as conn:
        volunteer = await _volunteer(update, context, conn)
        if volunteer is None:
            return
        found = await _shift_and_event(conn, shift_id)
        on = shift_id in await attendance.on_now(conn, clock.now(), EARLY)
        if found is None or not on:
            reply = texts.SESSION_OVER
        elif choice == "h":
            reply = await _check_in(context, conn, volunteer, shift_id)
        elif choice == "l":
            await attendance.running_late(conn, shift_id, volunteer.id, at=clock.now())
            shift, event = found
            await tell_organisers(
                conn,
                event,
                texts.late_for_organiser(
                    volunteer.name or "A volunteer", shift, event, context.settings.zone
                ),
                at=clock.now(),
                about=volunteer,
            )
            reply = texts.LATE_NOTED
        else:
            await attendance.cannot_come(conn, shift_id, volunteer.id, at=clock.now())
            reply = texts.CANT_COME_NOTED
    context.wake_outbox()  # for the organisers' alert, if any
    await query.answer()
    if choice != "l" or reply == texts.SESSION_OVER:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
    await query.message.reply_text(reply)


async def here(update: Update, context: MusterContext) -> None:
    """/here: check in to the session one said going to, or pick one that is on now (a walk-in)."""
    message = update.effective_message
    assert message
    zone = context.settings.zone
    async with context.db.begin() as conn:
        volunteer = await _volunteer(update, context, conn)
        if volunteer is None:
            return
        on = await attendance.on_now(conn, clock.now(), EARLY)
        mine = [
            shift_id
            for shift_id in on
            if any(
                p.volunteer_id == volunteer.id and p.status == RsvpStatus.GOING
                for p in await attendance.people(conn, shift_id)
            )
        ]
        if len(mine) == 1 or len(on) == 1:
            reply = await _check_in(context, conn, volunteer, (mine or on)[0])
            await message.reply_text(reply)
            return
        choices = []
        for shift_id in (mine or on)[:10]:
            found = await _shift_and_event(conn, shift_id)
            if found:
                shift, event = found
                choices.append(
                    (shift_id, f"{shift.starts_at.astimezone(zone):%H:%M} {event.title}"[:60])
                )
    if not choices:
        await message.reply_text(texts.NOTHING_TO_CHECK_IN)
        return
    await message.reply_text(texts.WHICH_SESSION, reply_markup=keyboards.sessions(choices))


async def by_location(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """A location shared outside sign-up: check in at the nearest session on now, if near."""
    message = update.effective_message
    assert message and message.location
    radius_km = context.settings.checkin_radius_metres / 1000
    async with context.db.begin() as conn:
        on = await attendance.on_now(conn, clock.now(), EARLY)
        if not on:
            return False
        nearest: tuple[float, int] | None = None
        for shift_id in on:
            found = await _shift_and_event(conn, shift_id)
            if found and found[1].has_location:
                event = found[1]
                away = distance_km(
                    message.location.latitude,
                    message.location.longitude,
                    event.latitude,
                    event.longitude,  # type: ignore[arg-type]
                )
                if nearest is None or away < nearest[0]:
                    nearest = (away, shift_id)
        if nearest is None or nearest[0] > radius_km:
            await message.reply_text(texts.TOO_FAR_TO_CHECK_IN)
            return True
        reply = await _check_in(context, conn, volunteer, nearest[1])
    await message.reply_text(reply)
    return True


# --- Debrief --------------------------------------------------------------------------------------


async def doors_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = Doors.unpack(query.data)
    async with context.db.begin() as conn:
        volunteer = await _volunteer(update, context, conn)
        if volunteer is None:
            return
        await attendance.debrief(conn, pressed.shift_id, volunteer.id, doors=pressed.count)
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
    if noted is not None:
        note = " ".join(message.text.split())
        if len(note) > NOTE_MAX:
            await message.reply_text(texts.NOTE_TOO_LONG, reply_markup=keyboards.skip_note())
            return True
        context.user_data.debrief_shift_id = None
        async with context.db.begin() as conn:
            await attendance.debrief(conn, noted, volunteer.id, note=note)
        await message.reply_text(texts.DEBRIEF_THANKS)
        return True
    words = message.text.strip().removesuffix("+")
    if not words.isdigit():
        return False
    async with context.db.begin() as conn:
        shift_id = await attendance.awaiting_doors(conn, volunteer.id, clock.now(), DEBRIEF_WITHIN)
        if shift_id is None:
            return False
        if int(words) > 5000:
            await message.reply_text(texts.DEBRIEF_NUMBER)
            return True
        await attendance.debrief(conn, shift_id, volunteer.id, doors=int(words))
    context.user_data.debrief_shift_id = shift_id
    await message.reply_text(texts.DEBRIEF_NOTE, reply_markup=keyboards.skip_note())
    return True


# --- Organisers correcting attendance -----------------------------------------------------------


async def _attendance_keyboard(
    conn: AsyncConnection, shift_id: int
) -> keyboards.InlineKeyboardMarkup:
    people = [p for p in await attendance.people(conn, shift_id) if p.status == RsvpStatus.GOING]
    return keyboards.attendance(shift_id, [(p.volunteer_id, p.name or "?", p.came) for p in people])


async def _organiser_of(
    context: MusterContext, conn: AsyncConnection, user_id: int, event: Event
) -> bool:
    access = await actors.access(conn, context.settings.admin_ids, user_id)
    return access.covers(Role.ORGANISER, event.area)


async def correct_start(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    shift_id = CorrectAttendance.unpack(query.data).shift_id
    async with context.db.connect() as conn:
        found = await _shift_and_event(conn, shift_id)
        if found is None or not await _organiser_of(
            context, conn, update.effective_user.id, found[1]
        ):
            await query.answer(texts.not_allowed("organiser"), show_alert=True)
            return
        markup = await _attendance_keyboard(conn, shift_id)
    shift, event = found
    await query.answer()
    when = timefmt.span(shift.starts_at, shift.ends_at, context.settings.zone)
    await query.message.reply_text(
        f"<b>{texts.esc(event.title)}</b> {when}\n{texts.CORRECT_HELP}", reply_markup=markup
    )


async def mark(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message) and update.effective_user
    pressed = Mark.unpack(query.data)
    shift_id, volunteer_id = pressed.shift_id, pressed.volunteer_id
    async with context.db.begin() as conn:
        found = await _shift_and_event(conn, shift_id)
        if found is None or not await _organiser_of(
            context, conn, update.effective_user.id, found[1]
        ):
            await query.answer(texts.not_allowed("organiser"), show_alert=True)
            return
        person = [
            p for p in await attendance.people(conn, shift_id) if p.volunteer_id == volunteer_id
        ]
        if not person:
            await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
            return
        await attendance.correct(
            conn,
            shift_id,
            volunteer_id,
            Attendance.NO_SHOW if person[0].came else Attendance.PRESENT,
        )
        markup = await _attendance_keyboard(conn, shift_id)
    await query.answer()
    await query.edit_message_reply_markup(markup)
