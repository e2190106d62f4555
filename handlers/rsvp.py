"""RSVPs: taps on a shift call or an event link, answers in words, /myshifts, /roster. What
follows an answer (venue, calendar file, waitlist place, promotion, organisers' alerts) is queued
in the outbox by bot.services.rsvps; these handlers give the direct answer."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Message, Update
from telegram.error import BadRequest

from bot import clock, keyboards, texts
from bot.callbacks import CantMakeIt, MyShiftCancel, MyShiftChange, Rsvp
from bot.context import MusterContext
from bot.domain.events import LINK_PREFIX, Event
from bot.domain.permissions import Access, Role
from bot.domain.rsvp import read_answer
from bot.domain.statuses import EventStatus, RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import rsvps as answering
from db import callouts, events, rsvps, volunteers
from handlers.common import load_volunteer, requires

ROSTER_KEEPS_ENDED = timedelta(hours=24)


# --- Showing an RSVP card -----------------------------------------------------------------------


async def _card(
    conn: AsyncConnection,
    event: Event,
    shift_ids: list[int],
    volunteer: Volunteer,
    callout_id: int | None,
    context: MusterContext,
) -> tuple[str, keyboards.InlineKeyboardMarkup]:
    """The text and keyboard of an RSVP message as this volunteer should see it now."""
    zone = context.settings.zone
    at = clock.now()
    shown = [s for s in await events.shifts_by_ids(conn, shift_ids) if s.open_at(at)]
    answers = await rsvps.answers_of(conn, volunteer.id, shift_ids)
    positions = {
        shift_id: await rsvps.position(conn, shift_id, volunteer.id)
        for shift_id, status in answers.items()
        if status == RsvpStatus.WAITLISTED
    }
    call = await callouts.by_id(conn, callout_id) if callout_id else None
    text = texts.rsvp_card(
        texts.CALL_INTRO if call else texts.EVENT_INTRO,
        event,
        shown,
        zone,
        organiser_line=call.message if call else None,
        answers={k: v for k, v in answers.items() if k in {s.id for s in shown}},
        positions={k: v for k, v in positions.items() if v is not None},
    )
    return text, keyboards.rsvp(shown, event.id, zone, answers)


async def _refresh(message: Message, text: str, markup: keyboards.InlineKeyboardMarkup) -> None:
    # Identical content is refused by Telegram as "not modified": nothing to change is fine.
    with contextlib.suppress(BadRequest):
        await message.edit_text(text, reply_markup=markup)


async def open_event_link(context: MusterContext, telegram_id: int, payload: str) -> bool:
    """`/start e-<code>`: the event with its RSVP buttons."""
    if not payload.startswith(LINK_PREFIX):
        return False
    async with context.db.connect() as conn:
        event = await events.by_code(conn, payload.removeprefix(LINK_PREFIX))
        volunteer = await volunteers.by_telegram_id(conn, telegram_id)
        at = clock.now()
        open_shifts = (
            [s for s in await events.shifts_of(conn, event.id) if s.open_at(at)] if event else []
        )
        if (
            event is None
            or event.status != EventStatus.ACTIVE
            or not open_shifts
            or volunteer is None
        ):
            await context.bot.send_message(telegram_id, texts.EVENT_GONE)
            return True
        text, markup = await _card(
            conn, event, [s.id for s in open_shifts], volunteer, None, context
        )
    await context.bot.send_message(telegram_id, text, reply_markup=markup)
    return True


# --- After an answer --------------------------------------------------------------------------


async def record_answer(
    context: MusterContext,
    conn: AsyncConnection,
    volunteer: Volunteer,
    shift_ids: list[int],
    answer: str,
    callout_id: int | None,
) -> answering.Answered:
    """Record the answer in the caller's transaction; what follows from it is queued in the
    outbox, to go out once the caller has committed and woken it."""
    return await answering.answer(
        conn,
        at=clock.now(),
        volunteer=volunteer,
        shift_ids=shift_ids,
        answer=answer,
        callout_id=callout_id,
        zone=context.settings.zone,
        late_cancel=timedelta(hours=context.settings.late_cancel_hours),
    )


async def ask_reason(
    context: MusterContext, message: Message, answered: answering.Answered
) -> None:
    """Dropping out close to the start: ask why (optional; the organisers have been told)."""
    if answered.late_shift_id is None:
        return
    context.user_data.late_cancel_shift_id = answered.late_shift_id
    await context.bot.send_message(
        message.chat.id, texts.ASK_REASON, reply_markup=keyboards.skip_reason()
    )


# --- Taps -------------------------------------------------------------------------------------


async def _volunteer_for_tap(
    update: Update, context: MusterContext, conn: AsyncConnection
) -> Volunteer | None:
    assert update.callback_query and update.effective_user
    volunteer = await load_volunteer(conn, update.effective_user)
    if volunteer is None or not volunteer.signed_up:
        await update.callback_query.answer(texts.NOT_SIGNED_UP, show_alert=True)
        return None
    return volunteer


async def tap_shift(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    message = query.message
    shift_id = Rsvp.unpack(query.data).shift_id
    async with context.db.begin() as conn:
        volunteer = await _volunteer_for_tap(update, context, conn)
        if volunteer is None:
            return
        callout_id = await callouts.for_message(conn, message.chat.id, message.message_id)
        answered = await record_answer(
            context, conn, volunteer, [shift_id], RsvpStatus.GOING, callout_id
        )
        shift_ids = keyboards.shift_ids_on(message.reply_markup)
        (shift,) = await events.shifts_by_ids(conn, [shift_id])
        event = await events.by_id(conn, shift.event_id)
        assert event is not None
        text, markup = await _card(conn, event, shift_ids, volunteer, callout_id, context)
    context.wake_outbox()
    if not answered.outcomes:
        await query.answer(texts.SHIFT_CLOSED, show_alert=True)
    elif not answered.outcomes[0].changed:
        await query.answer(texts.ALREADY_GOING)
    else:
        outcome = answered.outcomes[0]
        await query.answer(texts.tap_answer(outcome.status, outcome.position))
    # The answer is stored and the tap answered; showing it on the card need not hold up the
    # next volunteer's tap.
    context.in_background(_refresh(message, text, markup), update)


async def tap_cant(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    message = query.message
    event_id = CantMakeIt.unpack(query.data).event_id
    async with context.db.begin() as conn:
        volunteer = await _volunteer_for_tap(update, context, conn)
        if volunteer is None:
            return
        event = await events.by_id(conn, event_id)
        if event is None:
            await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
            return
        callout_id = await callouts.for_message(conn, message.chat.id, message.message_id)
        shift_ids = keyboards.shift_ids_on(message.reply_markup)
        answered = await record_answer(
            context, conn, volunteer, shift_ids, RsvpStatus.CANT, callout_id
        )
        text, markup = await _card(conn, event, shift_ids, volunteer, callout_id, context)
    context.wake_outbox()
    await query.answer(texts.CANT_NOTED)
    await _refresh(message, text, markup)
    await ask_reason(context, message, answered)


# --- Answers in words -------------------------------------------------------------------------


async def on_free_text(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """A signed-up volunteer typed something outside sign-up: a late-cancel reason, or an answer
    to a shift call ("yes", "count me in", "can't"). Returns False if it was neither."""
    message = update.effective_message
    assert message and message.text is not None
    late = context.user_data.late_cancel_shift_id
    if late is not None:
        return await _take_reason(update, context, volunteer, late)
    answer = read_answer(message.text)
    if answer is None:
        return False
    async with context.db.begin() as conn:
        found: tuple[int, int] | None = None
        if message.reply_to_message is not None:
            callout_id = await callouts.for_message(
                conn, message.chat.id, message.reply_to_message.message_id
            )
            found = (callout_id, message.reply_to_message.message_id) if callout_id else None
        found = found or await callouts.latest_for(conn, volunteer.id)
        call = await callouts.by_id(conn, found[0]) if found else None
        event = await events.by_id(conn, call.event_id) if call else None
        at = clock.now()
        open_shifts = (
            [s for s in await events.shifts_by_ids(conn, call.shift_ids) if s.open_at(at)]
            if call and event and event.status == EventStatus.ACTIVE
            else []
        )
        if not open_shifts or call is None or event is None or found is None:
            return False
        ids = [s.id for s in open_shifts]
        if answer == RsvpStatus.GOING and len(open_shifts) > 1:
            text, markup = await _card(conn, event, ids, volunteer, call.id, context)
            await message.reply_text(texts.WHICH_SHIFT)
            await message.reply_text(text, reply_markup=markup)
            return True
        answered = await record_answer(context, conn, volunteer, ids, answer, call.id)
        if answer == RsvpStatus.MAYBE and not answered.outcomes:  # all answered already
            await message.reply_text(texts.ALREADY_ANSWERED)
            return True
        if answer == RsvpStatus.GOING:
            reply = None
        elif answer == RsvpStatus.MAYBE:
            reply = texts.MAYBE_NOTED
        else:
            reply = texts.CANT_NOTED
        text, markup = await _card(conn, event, ids, volunteer, call.id, context)
    context.wake_outbox()
    # Keep the call message itself in step with the answer.
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_text(
            text, chat_id=message.chat.id, message_id=found[1], reply_markup=markup
        )
    if reply is not None:
        await message.reply_text(reply)
    await ask_reason(context, message, answered)
    return True


async def _take_reason(
    update: Update, context: MusterContext, volunteer: Volunteer, shift_id: int
) -> bool:
    message = update.effective_message
    assert message and message.text is not None
    reason = " ".join(message.text.split())
    if len(reason) > 200:
        await message.reply_text(texts.REASON_TOO_LONG, reply_markup=keyboards.skip_reason())
        return True
    context.user_data.late_cancel_shift_id = None
    async with context.db.begin() as conn:
        await answering.give_reason(
            conn, at=clock.now(), volunteer=volunteer, shift_id=shift_id, reason=reason
        )
    context.wake_outbox()
    await message.reply_text(texts.REASON_THANKS)
    return True


async def skip_reason(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query
    context.user_data.late_cancel_shift_id = None
    await query.answer("OK")
    await query.edit_message_reply_markup(None)


# --- /myshifts ----------------------------------------------------------------------------------


async def myshifts(update: Update, context: MusterContext) -> None:
    assert update.effective_user and update.effective_message
    message = update.effective_message
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is None or not volunteer.signed_up:
            await message.reply_text(texts.NOT_SIGNED_UP)
            return
        mine = await rsvps.upcoming_for(conn, volunteer.id, clock.now())
        items = []
        for item in mine:
            (shift,) = await events.shifts_by_ids(conn, [item.shift_id])
            event = await events.by_id(conn, item.event_id)
            assert event is not None
            items.append((event, shift, item))
    if not items:
        await message.reply_text(texts.MYSHIFTS_NONE)
        return
    await message.reply_text(texts.MYSHIFTS_HEADER)
    zone = context.settings.zone
    for event, shift, item in items:
        await message.reply_text(
            texts.my_shift(event, shift, item.status, item.position, zone),
            reply_markup=keyboards.my_shift(shift.id),
        )


async def myshift_change(update: Update, context: MusterContext) -> None:
    """Show the event's RSVP card again, to pick another shift or answer differently."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    shift_id = MyShiftChange.unpack(query.data).shift_id
    async with context.db.connect() as conn:
        volunteer = await _volunteer_for_tap(update, context, conn)
        if volunteer is None:
            return
        (shift,) = await events.shifts_by_ids(conn, [shift_id])
        event = await events.by_id(conn, shift.event_id)
        at = clock.now()
        open_ids = [s.id for s in await events.shifts_of(conn, shift.event_id) if s.open_at(at)]
        if event is None or event.status != EventStatus.ACTIVE or not open_ids:
            await query.answer(texts.SHIFT_CLOSED, show_alert=True)
            return
        text, markup = await _card(conn, event, open_ids, volunteer, None, context)
    await query.answer()
    await query.message.reply_text(text, reply_markup=markup)


async def myshift_cancel(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    shift_id = MyShiftCancel.unpack(query.data).shift_id
    async with context.db.begin() as conn:
        volunteer = await _volunteer_for_tap(update, context, conn)
        if volunteer is None:
            return
        answered = await record_answer(context, conn, volunteer, [shift_id], RsvpStatus.CANT, None)
    context.wake_outbox()
    if not answered.outcomes:
        await query.answer(texts.SHIFT_CLOSED, show_alert=True)
        return
    await query.answer(texts.CANCELLED_YOURS)
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(texts.CANCELLED_YOURS)
    await ask_reason(context, query.message, answered)


# --- /roster ------------------------------------------------------------------------------------


@requires(Role.ORGANISER)
async def roster(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    message = update.effective_message
    zone = context.settings.zone
    at = clock.now()
    blocks: list[tuple[str, keyboards.InlineKeyboardMarkup | None]] = []
    async with context.db.connect() as conn:
        # Shifts that ended in the last day stay listed, so attendance can still be corrected.
        recent = await events.upcoming(
            conn, areas=access.areas(Role.ORGANISER), at=at - ROSTER_KEEPS_ENDED
        )
        for event, event_shifts in recent:
            lines = await rsvps.roster(conn, [s.id for s in event_shifts])
            blocks.append((f"<b>{texts.esc(event.title)}</b> ({texts.esc(event.area)})", None))
            for shift in event_shifts:
                groups: dict[str, list[tuple[str, str | None]]] = {}
                for line in lines:
                    if line.shift_id == shift.id:
                        groups.setdefault(line.status, []).append(
                            (line.name or "(forgotten)", line.phone)
                        )
                # Once a shift has started, attendance can be corrected from here.
                markup = keyboards.correct(shift.id) if shift.starts_at <= at else None
                blocks.append((texts.roster_shift(shift, zone, groups), markup))
    if not blocks:
        await message.reply_text(texts.ROSTER_NONE)
        return
    for text, markup in blocks:
        await message.reply_text(text, reply_markup=markup)
