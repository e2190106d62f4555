"""Every keyboard the bot shows. What its buttons carry is in bot.callbacks.

Handlers check every press against the volunteer's current state, so a stale or forged press
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal
from zoneinfo import ZoneInfo

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot import texts
from bot.callbacks import (
    Area,
    CallActivity,
    CallbackData,
    CallEvent,
    CallFilter,
    CallFilterKey,
    CallFlow,
    CallShift,
    CantMakeIt,
    CarryOn,
    CheckIn,
    Choice,
    ChooseConsent,
    Consent,
    CorrectAttendance,
    Doors,
    EditProfile,
    EventAction,
    EventAdmin,
    Flow,
    Forget,
    Keep,
    Kind,
    LiftAnswer,
    LiftAsk,
    LiftChoice,
    LiftReply,
    Mark,
    MyShiftCancel,
    MyShiftChange,
    Pause,
    PauseLength,
    Preview,
    Reading,
    Rsvp,
    SkipNote,
    SkipReason,
    StillComing,
    TopUp,
    UseName,
)
from bot.domain.events import Shift
from bot.domain.signup import OPTIONS, Step
from bot.domain.volunteers import OPTIONAL_PURPOSES, Purpose


def _button(label: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.pack())


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def consent() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(texts.CONSENT_YES, Consent("yes"))],
            [_button(texts.CONSENT_NO, Consent("no"))],
        ]
    )


def use_name(first_name: str) -> InlineKeyboardMarkup:
    label = texts.USE_NAME.format(name=first_name)
    return InlineKeyboardMarkup([[_button(label, UseName())]])


def share_location() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_LOCATION, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Or type your postcode",
    )


def typed_answers(answers: Sequence[str]) -> ReplyKeyboardMarkup:
    """Ready-made answers to a question that waits for typing: a tap sends the words."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(answer)] for answer in answers],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def share_phone() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_PHONE, request_contact=True)], [KeyboardButton(texts.SKIP)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def choices(step: Step, selected: Iterable[str]) -> InlineKeyboardMarkup:
    chosen = set(selected)
    buttons = [
        _button(f"✅ {label}" if code in chosen else label, Choice(step, code))
        for code, label in OPTIONS[step].items()
    ]
    rows = _rows(buttons, 2)
    rows.append([_button(texts.DONE, Choice(step, Choice.DONE))])
    return InlineKeyboardMarkup(rows)


def profile(consents: dict[Purpose, bool]) -> InlineKeyboardMarkup:
    """A change button per answer, and one per optional choice that turns it on or off."""
    buttons = [_button(label, EditProfile(step)) for step, label in texts.CHANGE.items()]
    rows = _rows(buttons, 2)
    for purpose in OPTIONAL_PURPOSES:
        chosen = consents.get(purpose, False)
        answer: Literal["y", "n"] = "n" if chosen else "y"
        rows.append([_button(texts.choice_label(purpose, chosen), ChooseConsent(purpose, answer))])
    return InlineKeyboardMarkup(rows)


PAUSE_CHOICES: dict[PauseLength, str] = {
    "week": texts.PAUSE_WEEK,
    "month": texts.PAUSE_MONTH,
    "open": texts.PAUSE_OPEN,
}


def pause() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(label, Pause(length))] for length, label in PAUSE_CHOICES.items()]
    )


def forget() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(texts.FORGET_YES, Forget("yes"))],
            [_button(texts.FORGET_NO, Forget("no"))],
        ]
    )


def keep() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.KEEP, Keep())]])


def private_chat(bot_username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.OPEN_PRIVATE_CHAT, url=f"https://t.me/{bot_username}")]]
    )


# --- RSVPs ------------------------------------------------------------------------------------


def rsvp(
    shifts: Sequence[Shift], event_id: int, zone: ZoneInfo, answers: dict[int, str] | None = None
) -> InlineKeyboardMarkup:
    """One button per shift (with places left and the volunteer's answer) and "Can't make it"."""
    answers = answers or {}
    rows = [
        [_button(texts.shift_button(shift, answers.get(shift.id), zone), Rsvp(shift.id))]
        for shift in shifts
    ]
    rows.append([_button(texts.CANT_MAKE_IT, CantMakeIt(event_id))])
    return InlineKeyboardMarkup(rows)


def shift_ids_on(markup: InlineKeyboardMarkup | None) -> list[int]:
    """The shifts an RSVP keyboard offers, read back from the keyboard itself."""
    if markup is None:
        return []
    return [
        Rsvp.unpack(button.callback_data).shift_id
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str) and Rsvp.PATTERN.fullmatch(button.callback_data)
    ]


def my_shift(shift_id: int, going: bool = False) -> InlineKeyboardMarkup:
    """Change and Cancel; and, for a shift they are going to, the lift question again."""
    row = [
        _button(texts.CHANGE_SHIFT, MyShiftChange(shift_id)),
        _button(texts.CANCEL_SHIFT, MyShiftCancel(shift_id)),
    ]
    if going:
        row.append(_button(texts.LIFT_BUTTON, LiftAsk(shift_id)))
    return InlineKeyboardMarkup([row])


# --- Lifts ------------------------------------------------------------------------------------


def lift_question(shift_id: int, chosen: str | None = None) -> InlineKeyboardMarkup:
    """I can take 1-4, I need a lift, Neither; the answer given (a bot.domain.lifts code) ticked."""
    seats: list[tuple[str, LiftChoice]] = [
        (texts.lift_take(1), "1"),
        (texts.lift_take(2), "2"),
        (texts.lift_take(3), "3"),
        (texts.lift_take(4), "4"),
    ]
    others: list[tuple[str, LiftChoice]] = [(texts.LIFT_NEED, "need"), (texts.LIFT_NEITHER, "none")]

    def row(options: list[tuple[str, LiftChoice]]) -> list[InlineKeyboardButton]:
        return [
            _button(texts.lift_choice_button(label, code == chosen), LiftAnswer(code, shift_id))
            for label, code in options
        ]

    return InlineKeyboardMarkup([row(seats[:2]), row(seats[2:]), row(others)])


def lift_reply(match_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(texts.LIFT_AGREE, LiftReply("y", match_id)),
                _button(texts.LIFT_NO_THANKS, LiftReply("n", match_id)),
            ]
        ]
    )


def carry_on() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.CARRY_ON, CarryOn())]])


def skip_reason() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.SKIP, SkipReason())]])


# --- Events: CSV import, lists, edits ----------------------------------------------------------


def _admin(label: str, action: EventAction, number: int) -> InlineKeyboardButton:
    return _button(label, EventAdmin(action, number))


def event_admin(event_id: int, cancel_shifts: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """Under an event in /events: edit, cancel it, or cancel one of its shifts."""
    rows = [
        [
            _admin(texts.EDIT_EVENT, "edit", event_id),
            _admin(texts.CANCEL_EVENT, "cancel", event_id),
        ]
    ]
    rows += [[_admin(label, "cshift", shift_id)] for shift_id, label in cancel_shifts]
    return InlineKeyboardMarkup(rows)


def event_edit(event_id: int, edit_shifts: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """What to change: the title, the meeting point, the reminder times, or one shift's times
    and places."""
    rows = [
        [
            _admin(texts.EDIT_TITLE, "title", event_id),
            _admin(texts.EDIT_PLACE, "place", event_id),
        ]
    ]
    rows.append([_admin(texts.EDIT_REMINDERS, "reminders", event_id)])
    rows += [[_admin(label, "shift", shift_id)] for shift_id, label in edit_shifts]
    rows.append([_admin(texts.EDIT_BACK, "back", event_id)])
    return InlineKeyboardMarkup(rows)


def confirm_cancel_event(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_admin(texts.CANCEL_EVENT_YES, "yes-event", event_id)],
            [_admin(texts.CANCEL_KEEP, "back", event_id)],
        ]
    )


def confirm_cancel_shift(shift_id: int, event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_admin(texts.CANCEL_SHIFT_YES, "yes-shift", shift_id)],
            [_admin(texts.CANCEL_KEEP, "back", event_id)],
        ]
    )


def events_more(offset: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_admin(texts.EVENTS_SHOW_MORE, "more", offset)]])


# --- Organiser flows ----------------------------------------------------------------------------

# Back, Cancel and the other steps: /newevent's, or /callout's.
FlowKind = type[Flow] | type[CallFlow]


def _flow_row(*, back: bool = True, kind: FlowKind = Flow) -> list[InlineKeyboardButton]:
    row = [_button(texts.CANCEL, kind("cancel"))]
    if back:
        row.insert(0, _button(texts.BACK, kind("back")))
    return row


def flow(*extra: tuple[str, str], back: bool = True, kind: FlowKind = Flow) -> InlineKeyboardMarkup:
    """Back and Cancel, with any extra buttons (label, choice) above them."""
    rows = [[_button(label, kind(choice))] for label, choice in extra]
    return InlineKeyboardMarkup([*rows, _flow_row(back=back, kind=kind)])


def kinds(labels: dict[str, str]) -> InlineKeyboardMarkup:
    buttons = [_button(label, Kind(code)) for code, label in labels.items()]
    return InlineKeyboardMarkup([*_rows(buttons, 2), _flow_row(back=False)])


def areas(names: Sequence[str]) -> InlineKeyboardMarkup:
    buttons = [_button(name, Area(index)) for index, name in enumerate(names)]
    return InlineKeyboardMarkup([*_rows(buttons, 2), _flow_row()])


def readings(labels: Sequence[str]) -> InlineKeyboardMarkup:
    """One button per way of reading what was typed, then Back and Cancel."""
    rows = [[_button(label, Reading(index))] for index, label in enumerate(labels)]
    return InlineKeyboardMarkup([*rows, _flow_row()])


def preview(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """The same buttons volunteers will get, but inert: pressing one only says it's a preview."""
    return InlineKeyboardMarkup(
        [
            [_button(button.text, Preview(index)) for index, button in enumerate(row)]
            for row in markup.inline_keyboard
        ]
    )


# --- /callout ---------------------------------------------------------------------------------


def call_events(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[_button(label, CallEvent(event_id))] for event_id, label in choices]
    return InlineKeyboardMarkup([*rows, _flow_row(back=False, kind=CallFlow)])


def call_shifts(labels: Sequence[tuple[int, str, bool]]) -> InlineKeyboardMarkup:
    rows = [
        [_button(f"✅ {label}" if chosen else label, CallShift(shift_id))]
        for shift_id, label, chosen in labels
    ]
    rows.append([_button(texts.NEXT, CallFlow("next"))])
    return InlineKeyboardMarkup([*rows, _flow_row(kind=CallFlow)])


def call_filters(labels: Sequence[tuple[CallFilterKey, str]]) -> InlineKeyboardMarkup:
    rows = [[_button(label, CallFilter(key))] for key, label in labels]
    rows.append([_button(texts.NEXT, CallFlow("next"))])
    return InlineKeyboardMarkup([*rows, _flow_row(kind=CallFlow)])


def call_activities(chosen: Iterable[str]) -> InlineKeyboardMarkup:
    picked = set(chosen)
    buttons = [
        _button(f"✅ {label}" if code in picked else label, CallActivity(code))
        for code, label in OPTIONS[Step.ACTIVITIES].items()
        if code != "anything"
    ]
    rows = _rows(buttons, 2)
    rows.append([_button(texts.DONE, CallFlow("filters"))])
    return InlineKeyboardMarkup(rows)


# --- Reminders, check-in, debrief ---------------------------------------------------------------


def still_coming(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(texts.STILL_COMING_YES, StillComing("y", shift_id)),
                _button(texts.STILL_COMING_NO, StillComing("n", shift_id)),
            ]
        ]
    )


def check_in(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(texts.IM_HERE, CheckIn("h", shift_id))],
            [
                _button(texts.RUNNING_LATE, CheckIn("l", shift_id)),
                _button(texts.CANT_COME, CheckIn("x", shift_id)),
            ],
        ]
    )


def sessions(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """For /here when several sessions are on: one "I'm here" per session."""
    return InlineKeyboardMarkup(
        [[_button(label, CheckIn("h", shift_id))] for shift_id, label in choices]
    )


def doors(shift_id: int) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            f"{count}+" if count == texts.DOORS_BUTTONS[-1] else str(count),
            Doors(shift_id, count),
        )
        for count in texts.DOORS_BUTTONS
    ]
    return InlineKeyboardMarkup([buttons])


def skip_note() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.SKIP, SkipNote())]])


def correct(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.CORRECT_ATTENDANCE, CorrectAttendance(shift_id))]])


def attendance(shift_id: int, people: Sequence[tuple[int, str, bool]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(texts.attendance_button(name, came), Mark(shift_id, volunteer_id))]
            for volunteer_id, name, came in people
        ]
    )


def top_up(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.TOP_UP, TopUp(shift_id))]])
