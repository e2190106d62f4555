"""RSVPs: taps on a shift call or an event link, answers in words, /myshifts, /roster. What
follows an answer (venue, calendar file, waitlist place, promotion, organisers' alerts) is queued
in the outbox by bot.services.rsvps; these handlers give the direct answer."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Message, Update
from telegram.error import BadRequest

from bot import clock, keyboards, texts
from bot.callbacks import (
    CantMakeIt,
    MyShiftCancel,
    MyShiftChange,
    OpenSession,
    RosterMore,
    Rsvp,
)
from bot.context import MusterContext
from bot.domain.answers import Meaning, means
from bot.domain.events import LINK_PREFIX
from bot.domain.permissions import Access, Role
from bot.domain.rsvp import read_answer
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import cards, polling
from bot.services import rsvps as answering
from handlers.common import load_volunteer, not_signed_up, refuse_not_signed_up, requires, signed_up

# --- Showing an RSVP card -----------------------------------------------------------------------


def _render(
    card: cards.Card, context: MusterContext
) -> tuple[str, keyboards.InlineKeyboardMarkup | None]:
    """The text and keyboard of an RSVP message."""
    return cards.message(card, context.settings.zone)


async def _remember(
    context: MusterContext, sent: Message, kind: str, card: cards.Card | None = None, **kw: Any
) -> None:
    """Note a card just sent, so that it is edited when the answer it shows changes: an RSVP
    ``card``, or a /myshifts line given as ``volunteer_id``, ``event_id`` and ``shift_ids``."""
    if card is not None:
        kw = {
            "volunteer_id": card.volunteer_id,
            "event_id": card.event.id,
            "shift_ids": [s.id for s in card.shifts],
        }
    async with context.db.begin() as conn:
        await cards.remember(
            conn, clock.now(), chat_id=sent.chat.id, message_id=sent.message_id, kind=kind, **kw
        )


async def _refresh(
    message: Message, text: str, markup: keyboards.InlineKeyboardMarkup | None
) -> None:
    # A card that can no longer be edited (deleted, too old) keeps what it showed.
    with contextlib.suppress(BadRequest):
        await message.edit_text(text, reply_markup=markup)


async def open_event_link(context: MusterContext, telegram_id: int, payload: str) -> bool:
    """`/start e-<code>`: the event with its RSVP buttons."""
    if not payload.startswith(LINK_PREFIX):
        return False
    at = clock.now()
    async with context.db.connect() as conn:
        card = await answering.event_card(
            conn, at, telegram_id=telegram_id, code=payload.removeprefix(LINK_PREFIX)
        )
    if card is None:
        await context.bot.send_message(telegram_id, texts.EVENT_GONE)
        return True
    text, markup = _render(card, context)
    sent = await context.bot.send_message(telegram_id, text, reply_markup=markup)
    await _remember(context, sent, cards.EVENT, card)
    return True


# --- After an answer --------------------------------------------------------------------------


def _late_cancel(context: MusterContext) -> timedelta:
    return timedelta(hours=context.settings.late_cancel_hours)


async def record_answer(
    context: MusterContext,
    conn: AsyncConnection,
    at: datetime,
    volunteer: Volunteer,
    shift_ids: list[int],
    answer: str,
    callout_id: int | None,
) -> answering.Answered:
    """Record the answer in the caller's transaction; what follows from it is queued in the
    outbox, to go out once the caller has committed and woken it."""
    return await answering.answer(
        conn,
        at=at,
        volunteer=volunteer,
        shift_ids=shift_ids,
        answer=answer,
        callout_id=callout_id,
        zone=context.settings.zone,
        late_cancel=_late_cancel(context),
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


async def tap_shift(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    message = query.message
    shift_id = Rsvp.unpack(query.data).shift_id
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await signed_up(update, conn)
        tapped = volunteer and await answering.tap_going(
            conn,
            at,
            volunteer=volunteer,
            chat_id=message.chat.id,
            message_id=message.message_id,
            card_shift_ids=keyboards.shift_ids_on(message.reply_markup),
            shift_id=shift_id,
            zone=context.settings.zone,
            late_cancel=_late_cancel(context),
        )
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    if tapped is None:
        await query.answer(texts.SHIFT_CLOSED, show_alert=True)
        return
    context.wake_outbox()
    answered = tapped.answered
    if not answered.outcomes:
        await query.answer(texts.SHIFT_CLOSED, show_alert=True)
    elif not answered.outcomes[0].changed:
        await query.answer(texts.ALREADY_GOING)
    else:
        outcome = answered.outcomes[0]
        await query.answer(texts.tap_answer(outcome.status, outcome.position))
    # The answer is stored and the tap answered; showing it on the card need not hold up the
    # next volunteer's tap.
    text, markup = _render(tapped.card, context)
    context.in_background(_refresh(message, text, markup), update)


async def tap_cant(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    message = query.message
    event_id = CantMakeIt.unpack(query.data).event_id
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await signed_up(update, conn)
        tapped = volunteer and await answering.tap_cant(
            conn,
            at,
            volunteer=volunteer,
            chat_id=message.chat.id,
            message_id=message.message_id,
            card_shift_ids=keyboards.shift_ids_on(message.reply_markup),
            event_id=event_id,
            zone=context.settings.zone,
            late_cancel=_late_cancel(context),
        )
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    if tapped is None:
        await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
        return
    context.wake_outbox()
    await query.answer(texts.CANT_NOTED)
    await _refresh(message, *_render(tapped.card, context))
    await ask_reason(context, message, tapped.answered)


# --- Answers in words -------------------------------------------------------------------------


async def on_free_text(update: Update, context: MusterContext, volunteer: Volunteer) -> bool:
    """A signed-up volunteer typed something outside sign-up: a late-cancel reason (or "skip"),
    or an answer to a shift call or an event's card ("yes", "count me in", "can't"). Returns
    False if it was neither."""
    message = update.effective_message
    assert message and message.text is not None
    late = context.user_data.late_cancel_shift_id
    if late is not None:
        return await _take_reason(update, context, volunteer, late)
    answer = read_answer(message.text)
    if answer is None:
        return False
    replied_to = message.reply_to_message
    at = clock.now()
    async with context.db.begin() as conn:
        worded = await answering.answer_in_words(
            conn,
            at,
            volunteer=volunteer,
            said=answer,
            chat_id=message.chat.id,
            reply_to_message_id=replied_to.message_id if replied_to else None,
            zone=context.settings.zone,
            late_cancel=_late_cancel(context),
        )
    if worded is None:
        return False
    text, markup = _render(worded.card, context)
    answered = worded.answered
    if answered is None:  # going, but to which of the card's shifts?
        await message.reply_text(texts.WHICH_SHIFT)
        sent = await message.reply_text(text, reply_markup=markup)
        # A call's card sent again stays the call's: typed words answer the call, not the event.
        kind = cards.CALL if worded.card.from_call else cards.EVENT
        await _remember(context, sent, kind, worded.card)
        return True
    if answer == RsvpStatus.MAYBE and not answered.outcomes:  # all answered already
        await message.reply_text(texts.ALREADY_ANSWERED)
        return True
    context.wake_outbox()
    # Keep the call message itself in step with the answer.
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_text(
            text, chat_id=message.chat.id, message_id=worded.call_message_id, reply_markup=markup
        )
    waitlisted = [o for o in answered.outcomes if o.changed and o.status == RsvpStatus.WAITLISTED]
    if waitlisted:  # the card may be far up the chat: say so here (going brings its file)
        await message.reply_text(texts.waitlisted(waitlisted[0].position or 1))
    elif answer == RsvpStatus.MAYBE:
        await message.reply_text(texts.MAYBE_NOTED)
    elif answer != RsvpStatus.GOING:
        await message.reply_text(texts.CANT_NOTED)
    await ask_reason(context, message, answered)
    return True


async def _take_reason(
    update: Update, context: MusterContext, volunteer: Volunteer, shift_id: int
) -> bool:
    message = update.effective_message
    assert message and message.text is not None
    if means(message.text, Meaning.SKIP):
        context.user_data.late_cancel_shift_id = None
        await message.reply_text(texts.REASON_SKIPPED)
        return True
    reason = " ".join(message.text.split())
    if len(reason) > 200:
        await message.reply_text(texts.REASON_TOO_LONG, reply_markup=keyboards.skip_reason())
        return True
    context.user_data.late_cancel_shift_id = None
    at = clock.now()
    async with context.db.begin() as conn:
        await answering.give_reason(
            conn, at=at, volunteer=volunteer, shift_id=shift_id, reason=reason
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
    at = clock.now()
    async with context.db.connect() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        signed_up = volunteer is not None and volunteer.signed_up
        mine = await answering.my_shifts(conn, at, volunteer) if volunteer and signed_up else []
        pledged = (
            await polling.my_pledges(conn, at, volunteer, context.settings.zone)
            if volunteer and signed_up
            else []
        )
    if not signed_up:
        await not_signed_up(update, context, volunteer)
        return
    for election, pledge in pledged:
        await message.reply_text(texts.my_pledge(election, pledge.parts))
    if not mine:
        await message.reply_text(texts.MYSHIFTS_NONE)
        return
    await message.reply_text(texts.MYSHIFTS_HEADER)
    zone = context.settings.zone
    for item in mine:
        sent = await message.reply_text(
            texts.my_shift(item.event, item.shift, item.status, item.position, zone),
            reply_markup=keyboards.my_shift(item.shift.id, item.status == RsvpStatus.GOING),
        )
        await _remember(
            context,
            sent,
            cards.MYSHIFT,
            volunteer_id=volunteer.id,
            event_id=item.event.id,
            shift_ids=[item.shift.id],
        )


async def myshift_change(update: Update, context: MusterContext) -> None:
    """Show the event's RSVP card again, to pick another shift or answer differently."""
    assert update.callback_query
    await _shift_card(update, context, MyShiftChange.unpack(update.callback_query.data).shift_id)


async def open_session(update: Update, context: MusterContext) -> None:
    """A session /nearest suggested: its event's RSVP card, one tap from going."""
    assert update.callback_query
    await _shift_card(update, context, OpenSession.unpack(update.callback_query.data).shift_id)


async def _shift_card(update: Update, context: MusterContext, shift_id: int) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    at = clock.now()
    async with context.db.connect() as conn:
        volunteer = await signed_up(update, conn)
        card = volunteer and await answering.shift_card(
            conn, at, volunteer=volunteer, shift_id=shift_id
        )
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    if card is None:
        await query.answer(texts.SHIFT_CLOSED, show_alert=True)
        return
    await query.answer()
    text, markup = _render(card, context)
    sent = await query.message.reply_text(text, reply_markup=markup)
    # Typed words ("can't after all") answer this card, as they would one from a share link.
    await _remember(context, sent, cards.EVENT, card)


async def myshift_cancel(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    shift_id = MyShiftCancel.unpack(query.data).shift_id
    at = clock.now()
    async with context.db.begin() as conn:
        volunteer = await signed_up(update, conn)
        answered = volunteer and await record_answer(
            context, conn, at, volunteer, [shift_id], RsvpStatus.CANT, None
        )
    if volunteer is None or answered is None:
        await refuse_not_signed_up(update, context)
        return
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
    await _roster_page(update.effective_message, context, access, 0)


@requires(Role.ORGANISER)
async def roster_more(update: Update, context: MusterContext, access: Access) -> None:
    """Show more: the next page, and the button goes from the message it was on."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _roster_page(query.message, context, access, RosterMore.unpack(query.data).offset)


async def _roster_page(
    message: Message, context: MusterContext, access: Access, offset: int
) -> None:
    zone = context.settings.zone
    at = clock.now()
    async with context.db.connect() as conn:
        page = await answering.roster(conn, at, access.areas(Role.ORGANISER), offset=offset)
    if not page.events:
        await message.reply_text(texts.ROSTER_NONE)
        return
    for event, shifts in page.events:
        await message.reply_text(f"<b>{texts.esc(event.title)}</b> ({texts.esc(event.area)})")
        for item in shifts:
            await message.reply_text(
                texts.roster_shift(item.shift, zone, item.groups, item.turnout, item.lifts),
                reply_markup=keyboards.correct(item.shift.id) if item.correctable else None,
            )
    if page.shown_to < page.total:
        await message.reply_text(
            texts.roster_more(page.shown_to, page.total),
            reply_markup=keyboards.roster_more(page.shown_to),
        )
