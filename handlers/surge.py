"""/surge: a committee room's manager (or a coordinator) asks the nearest free people to come
now (bot.services.surge). Room, how many, how soon: each a message with buttons, answered by tap
or in words (a number of helpers is typed as well). Then the manager's message becomes the
count, edited as answers come, with Stop; the people asked answer Yes or Can't."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot import clock, keyboards, texts
from bot.botapi import SHOWN
from bot.callbacks import SurgeAnswer, SurgeRoom, SurgeSoon, SurgeStop, SurgeWanted
from bot.context import MusterContext
from bot.domain.permissions import Access, Role
from bot.domain.surge import AfterYes, BadSurgeInput, parse_wanted
from bot.domain.volunteers import Volunteer
from bot.services import actors
from bot.services import surge as surges
from bot.userdata import Asked
from handlers.common import load_volunteer, refuse_not_signed_up, requires


async def _who(update: Update, context: MusterContext) -> tuple[Access, Volunteer | None]:
    assert update.effective_user
    async with context.db.begin() as conn:
        access = await actors.access(conn, context.settings.admin_ids, update.effective_user.id)
        volunteer = await load_volunteer(conn, update.effective_user)
    return access, volunteer


@requires(Role.ORGANISER)
async def surge(update: Update, context: MusterContext, access: Access) -> None:
    message = update.effective_message
    assert message and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        rooms = await surges.rooms_for(
            conn, clock.now(), access, volunteer.id if volunteer else None, context.settings.zone
        )
    if not rooms:
        await message.reply_text(texts.SURGE_NO_ROOMS)
        return
    await message.reply_text(
        texts.SURGE_PICK_ROOM,
        reply_markup=keyboards.surge_rooms([(r.event.id, r.event.title) for r in rooms]),
    )


async def _room_title(update: Update, context: MusterContext, event_id: int) -> str | None:
    """The room's title if this person may surge it today, else None."""
    access, volunteer = await _who(update, context)
    async with context.db.connect() as conn:
        room = await surges.room_for(
            conn,
            clock.now(),
            access,
            volunteer.id if volunteer else None,
            event_id,
            context.settings.zone,
        )
    return room.event.title if room else None


async def room_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query
    event_id = SurgeRoom.unpack(query.data).event_id
    title = await _room_title(update, context, event_id)
    if title is None:
        await query.answer(texts.SURGE_ROOM_GONE, show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(
        texts.surge_ask_wanted(title), reply_markup=keyboards.surge_wanted(event_id)
    )


async def wanted_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query
    pressed = SurgeWanted.unpack(query.data)
    title = await _room_title(update, context, pressed.event_id)
    if title is None:
        await query.answer(texts.SURGE_ROOM_GONE, show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(
        texts.surge_ask_soon(title, pressed.wanted),
        reply_markup=keyboards.surge_soon(pressed.event_id, pressed.wanted),
    )


def _asks_wanted(asked: Asked) -> int | None:
    """The room whose "how many?" is the question just put, if it is."""
    for _, buttons in asked.messages:
        for _, data in buttons:
            if SurgeWanted.PATTERN.fullmatch(data):
                return SurgeWanted.unpack(data).event_id
    return None


async def typed_wanted(update: Update, context: MusterContext, asked: Asked) -> bool:
    """A number typed to "how many helpers?": any number from 1 to 50, not only those on the
    buttons (so "4" is four helpers, not the fourth button). Other words are not this reader's."""
    message = update.effective_message
    assert message and message.text is not None
    event_id = _asks_wanted(asked)
    if event_id is None or not message.text.strip()[:1].isdigit():
        return False
    try:
        wanted = parse_wanted(message.text)
    except BadSurgeInput:
        shown = SHOWN.get()
        if shown is not None:
            shown.still_asking.add(message.chat_id)  # the question stays the one just put
        await message.reply_text(texts.SURGE_BAD_WANTED)
        return True
    title = await _room_title(update, context, event_id)
    if title is None:
        await message.reply_text(texts.SURGE_ROOM_GONE)
        return True
    await message.reply_text(
        texts.surge_ask_soon(title, wanted), reply_markup=keyboards.surge_soon(event_id, wanted)
    )
    return True


async def soon_button(update: Update, context: MusterContext) -> None:
    """How soon: the surge starts, and this message becomes its count."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    pressed = SurgeSoon.unpack(query.data)
    access, volunteer = await _who(update, context)
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    async with context.db.begin() as conn:
        started = await surges.start(
            conn,
            clock.now(),
            access=access,
            manager=volunteer,
            event_id=pressed.event_id,
            wanted=pressed.wanted,
            minutes=pressed.minutes,
            chat_id=query.message.chat_id,
            message_id=query.message.message_id,
            settings=context.settings,
        )
    if isinstance(started, str):
        await query.answer(started, show_alert=True)
        return
    await query.answer()
    markup = started.markup
    try:
        await query.edit_message_text(
            started.text,
            reply_markup=InlineKeyboardMarkup.de_json(markup, None) if markup else None,
        )
    finally:
        context.wake_outbox()


async def answer_button(update: Update, context: MusterContext) -> None:
    """Yes or Can't to a surge's ask; Yes or No thanks to the other room a late yes is sent to.
    The ask becomes what it came to; the confirmation and the manager's count follow through the
    outbox."""
    query = update.callback_query
    assert query and isinstance(query.message, Message)
    _, volunteer = await _who(update, context)
    if volunteer is None:
        await refuse_not_signed_up(update, context)
        return
    pressed = SurgeAnswer.unpack(query.data)
    zone = context.settings.zone
    if pressed.answer == "x":
        await query.answer()
        await query.edit_message_text(texts.SURGE_NO_THANKS_REPLY)
        return
    if pressed.answer == "g":
        async with context.db.begin() as conn:
            went = await surges.go_instead(
                conn,
                clock.now(),
                volunteer=volunteer,
                ask_id=pressed.ask_id,
                settings=context.settings,
            )
        if went is None:
            await query.answer(texts.SURGE_ANSWERED, show_alert=True)
            return
        await query.answer()
        try:
            await query.edit_message_text(texts.offer_taken(went[0], went[1], zone))
        finally:
            context.wake_outbox()
        return
    async with context.db.begin() as conn:
        answered = await surges.answer(
            conn,
            clock.now(),
            volunteer=volunteer,
            ask_id=pressed.ask_id,
            yes=pressed.answer == "y",
            settings=context.settings,
        )
    if answered is None:
        await query.answer(texts.SURGE_ANSWERED, show_alert=True)
        return
    await query.answer()
    markup = None
    title = answered.event.title
    if answered.after is None:
        text = texts.SURGE_CANT_THANKS
    elif answered.after is AfterYes.CONFIRM:
        text = texts.offer_taken(answered.event, answered.taken, zone)
    elif answered.after is AfterYes.STOPPED:
        text = texts.surge_stopped_thanks(title)
    elif answered.other is not None:
        text = texts.surge_redirect(
            title, answered.other.title, answered.other_km, answered.approximate
        )
        markup = keyboards.surge_redirect(pressed.ask_id)
    else:
        text = texts.surge_filled_thanks(title)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    finally:
        context.wake_outbox()


async def stop_button(update: Update, context: MusterContext) -> None:
    query = update.callback_query
    assert query
    access, volunteer = await _who(update, context)
    async with context.db.begin() as conn:
        now = await surges.stop(
            conn,
            clock.now(),
            access=access,
            volunteer_id=volunteer.id if volunteer else None,
            surge_id=SurgeStop.unpack(query.data).surge_id,
            zone=context.settings.zone,
        )
    if now is None:
        await query.answer(texts.SURGE_NOT_YOURS, show_alert=True)
        return
    await query.answer()
    text, markup = now
    await query.edit_message_text(
        text, reply_markup=InlineKeyboardMarkup.de_json(markup, None) if markup else None
    )


def asks(asked: Asked) -> bool:
    """Whether a question with buttons is a surge's ask (or its other room)."""
    return any(
        SurgeAnswer.PATTERN.fullmatch(data) for _, buttons in asked.messages for _, data in buttons
    )
