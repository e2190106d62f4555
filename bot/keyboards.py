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
    AddNote,
    Area,
    BoardStop,
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
    ElectionAction,
    ElectionMenu,
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
    OpenSession,
    Pause,
    PauseLength,
    PledgeCall,
    PledgeChoice,
    PledgeFor,
    PledgePart,
    Preview,
    Reading,
    RoomOffer,
    RoomSet,
    RosterMore,
    RoundDoors,
    RoundTap,
    Rsvp,
    SkipNote,
    SkipReason,
    StillComing,
    SurgeAnswer,
    SurgeRoom,
    SurgeSoon,
    SurgeStop,
    SurgeWanted,
    TopUp,
    UseName,
)
from bot.domain.answers import Meaning, Offer
from bot.domain.events import Shift
from bot.domain.polling import ALL_DAY, DEFAULT_CLOSES, DEFAULT_OPENS, PARTS
from bot.domain.rounds import ROUND_DOORS_BUTTONS
from bot.domain.signup import OPTIONS, Step
from bot.domain.surge import SOON_MINUTES
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


def share_location_once() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_LOCATION_ONCE, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Or type a postcode",
    )


def open_sessions(labels: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """/nearest's answer: one button a session, opening its RSVP card."""
    return InlineKeyboardMarkup(
        [[_button(label, OpenSession(shift_id))] for shift_id, label in labels]
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


def roster_more(offset: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.EVENTS_SHOW_MORE, RosterMore(offset))]])


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


def out_on_round(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.OUT_ON_ROUND, RoundTap("o", shift_id))]])


def back_from_round(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.BACK_FROM_ROUND, RoundTap("b", shift_id))]])


def round_doors(round_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(str(count), RoundDoors(round_id, count)) for count in ROUND_DOORS_BUTTONS]]
    )


def room_debrief(shift_id: int) -> InlineKeyboardMarkup:
    """Anything to report, once rounds have counted the doors."""
    return InlineKeyboardMarkup(
        [
            [
                _button(texts.ADD_NOTE, AddNote(shift_id)),
                _button(texts.NOTHING_TO_REPORT, SkipNote()),
            ]
        ]
    )


def round_offers(shift_id: int) -> list[Offer[RoundTap]]:
    """Out and Back as typed words name them, whichever is on offer: the rules, not the button
    shown, say which is refused (typing "out" while out is told they are out already)."""
    return [
        Offer(pressed, label)
        for pressed, label in (
            (RoundTap("o", shift_id), texts.OUT_ON_ROUND),
            (RoundTap("b", shift_id), texts.BACK_FROM_ROUND),
        )
    ] + [
        Offer(pressed, words)
        for pressed in (RoundTap("o", shift_id), RoundTap("b", shift_id))
        for words in _ROUND_WORDS[pressed.action]
    ]


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


# --- Polling day ---------------------------------------------------------------------------------

TICK = "✅ "


def pledge_parts(election_id: int, chosen: Iterable[str]) -> InlineKeyboardMarkup:
    """The parts of polling day, ticked as chosen, with All day and Done."""
    held = set(chosen)
    parts = [
        _button(
            f"{TICK if part.value in held else ''}{texts.PART_LABELS[part]}",
            PledgePart(election_id, part.value),  # type: ignore[arg-type]
        )
        for part in PARTS
    ]
    every = all(part.value in held for part in PARTS)
    return InlineKeyboardMarkup(
        [
            parts,
            [
                _button(
                    f"{TICK if every else ''}{texts.ALL_DAY_LABEL}",
                    PledgePart(election_id, ALL_DAY),
                )
            ],
            [_button(texts.PLEDGE_DONE, PledgePart(election_id, "done"))],
        ]
    )


def room_offer(offer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(texts.OFFER_YES, RoomOffer("y", offer_id))],
            [_button(texts.OFFER_ANOTHER, RoomOffer("a", offer_id))],
            [_button(texts.OFFER_NOT_SURE, RoomOffer("n", offer_id))],
        ]
    )


def parts_on(markup: InlineKeyboardMarkup | None) -> set[str]:
    """The parts ticked on a pledge question's keyboard as it is now."""
    found: set[str] = set()
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            data = button.callback_data
            if isinstance(data, str) and PledgePart.PATTERN.fullmatch(data):
                part: PledgeChoice = PledgePart.unpack(data).part
                if part in {p.value for p in PARTS} and button.text.startswith(TICK):
                    found.add(part)
    return found


def pledge_elections(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(label, PledgeFor(election_id))] for election_id, label in choices]
    )


def pledgecall_pick(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[_button(label, PledgeCall("pick", election_id))] for election_id, label in choices]
    cancel = _button(texts.PLEDGECALL_CANCEL, PledgeCall("cancel", 0))
    return InlineKeyboardMarkup([*rows, [cancel]])


def pledgecall_confirm(election_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(texts.PLEDGECALL_SEND, PledgeCall("send", election_id)),
                _button(texts.PLEDGECALL_CANCEL, PledgeCall("cancel", election_id)),
            ]
        ]
    )


def _election(label: str, action: ElectionAction, number: int = 0) -> InlineKeyboardButton:
    return _button(label, ElectionMenu(action, number))


def election_list(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[_election(label, "edit", election_id)] for election_id, label in choices]
    return InlineKeyboardMarkup(
        [[_election(texts.NEW_ELECTION, "new")], *rows, [_election(texts.CANCEL, "cancel")]]
    )


def election_fields(election_id: int) -> InlineKeyboardMarkup:
    buttons = [
        _election(label, what, election_id)  # type: ignore[arg-type]
        for what, label in texts.ELECTION_FIELDS.items()
    ]
    return InlineKeyboardMarkup(
        [*_rows(buttons, 2), [_election(texts.ELECTION_DONE, "done", election_id)]]
    )


def election_usual_hours() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_election(texts.polling_hours(DEFAULT_OPENS, DEFAULT_CLOSES), "usual")],
            [_election(texts.CANCEL, "cancel")],
        ]
    )


def board_stop(election_id: int) -> InlineKeyboardMarkup:
    """A live board's one button."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BOARD_STOP, callback_data=BoardStop(election_id).pack())]]
    )


def election_cancel() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_election(texts.CANCEL, "cancel")]])


def election_rooms(election_id: int, rooms: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(texts.ROOM_MANAGER.format(title=title)[:60], RoomSet("m", event_id)),
            _button(texts.ROOM_TARGET.format(title=title)[:60], RoomSet("t", event_id)),
        ]
        for event_id, title in rooms
    ]
    return InlineKeyboardMarkup([*rows, [_election(texts.ELECTION_DONE, "done", election_id)]])


# --- /surge -----------------------------------------------------------------------------------

# The numbers of helpers offered on buttons; any other number is typed.
SURGE_WANTED_OFFERED = (1, 2, 3, 5, 10, 20)


def surge_rooms(rooms: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(title[:60], SurgeRoom(event_id))] for event_id, title in rooms]
    )


def surge_wanted(event_id: int) -> InlineKeyboardMarkup:
    buttons = [_button(str(n), SurgeWanted(event_id, n)) for n in SURGE_WANTED_OFFERED]
    return InlineKeyboardMarkup(_rows(buttons, 3))


def surge_soon(event_id: int, wanted: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(texts.SURGE_SOON[minutes], SurgeSoon(event_id, wanted, minutes))]
            for minutes in SOON_MINUTES
        ]
    )


def surge_ask(ask_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(texts.SURGE_YES, SurgeAnswer("y", ask_id)),
                _button(texts.SURGE_CANT, SurgeAnswer("n", ask_id)),
            ]
        ]
    )


def surge_redirect(ask_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(texts.SURGE_GO, SurgeAnswer("g", ask_id)),
                _button(texts.SURGE_NO_THANKS, SurgeAnswer("x", ask_id)),
            ]
        ]
    )


def surge_stop(surge_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.SURGE_STOP, SurgeStop(surge_id))]])


# --- Buttons answered in words ------------------------------------------------------------------


def _meanings(data: str) -> tuple[Meaning, ...]:
    """What a button means beyond its label, so that a plain word for it presses it."""
    yes_no = {"yes": Meaning.YES, "no": Meaning.NO, "y": Meaning.YES, "n": Meaning.NO}
    if Consent.PATTERN.fullmatch(data):
        return (yes_no[Consent.unpack(data).answer],)
    if Forget.PATTERN.fullmatch(data):
        answer = Forget.unpack(data).answer
        return (Meaning.YES,) if answer == "yes" else (Meaning.NO, Meaning.CANCEL)
    if StillComing.PATTERN.fullmatch(data):
        return (yes_no[StillComing.unpack(data).answer],)
    if CheckIn.PATTERN.fullmatch(data):
        action = CheckIn.unpack(data).action
        return ({"h": Meaning.HERE, "l": Meaning.LATE, "x": Meaning.NO}[action],)
    if Choice.PATTERN.fullmatch(data) and Choice.unpack(data).code == Choice.DONE:
        return (Meaning.DONE,)
    if EventAdmin.PATTERN.fullmatch(data):
        action = EventAdmin.unpack(data).action
        if action in ("yes-event", "yes-shift"):
            return (Meaning.YES,)
        return (Meaning.BACK, Meaning.NO) if action == "back" else ()
    flows = {
        "back": (Meaning.BACK,),
        "cancel": (Meaning.CANCEL,),
        "skip": (Meaning.SKIP,),
        "done": (Meaning.DONE,),
        "next": (Meaning.DONE,),
        "filters": (Meaning.DONE,),
        "create": (Meaning.YES,),
        "now": (Meaning.YES,),
        "later": (Meaning.SKIP,),
    }
    if Flow.PATTERN.fullmatch(data):
        return flows.get(Flow.unpack(data).choice, ())
    if CallFlow.PATTERN.fullmatch(data):
        return flows.get(CallFlow.unpack(data).choice, ())
    kinds_meaning: list[tuple[type[CallbackData], tuple[Meaning, ...]]] = [
        (UseName, (Meaning.YES,)),
        (CarryOn, (Meaning.YES,)),
        (Keep, (Meaning.YES,)),
        (TopUp, (Meaning.YES,)),
        (CantMakeIt, (Meaning.NO,)),
        (MyShiftCancel, (Meaning.NO,)),
        (SkipReason, (Meaning.SKIP,)),
        (SkipNote, (Meaning.SKIP,)),
        (AddNote, (Meaning.YES,)),
    ]
    if PledgeCall.PATTERN.fullmatch(data):
        action = PledgeCall.unpack(data).action
        return {"send": (Meaning.YES,), "cancel": (Meaning.CANCEL, Meaning.NO)}.get(action, ())
    if PledgePart.PATTERN.fullmatch(data) and PledgePart.unpack(data).part == "done":
        return (Meaning.DONE,)
    if RoomOffer.PATTERN.fullmatch(data):
        # "No" or "not now" to "can you be there?" changes nothing, as Not sure yet does.
        return {"y": (Meaning.YES,), "a": (), "n": (Meaning.MAYBE, Meaning.SKIP)}[
            RoomOffer.unpack(data).answer
        ]
    if SurgeAnswer.PATTERN.fullmatch(data):
        return {
            "y": (Meaning.YES,),
            "n": (Meaning.NO,),
            "g": (Meaning.YES,),
            "x": (Meaning.NO,),
        }[SurgeAnswer.unpack(data).answer]
    if SurgeSoon.PATTERN.fullmatch(data) and SurgeSoon.unpack(data).minutes == 0:
        return (Meaning.YES,)
    return next((m for kind, m in kinds_meaning if kind.PATTERN.fullmatch(data)), ())


# Words people use for a button that are neither its label nor a plain yes, no or skip.
_PAUSE_WORDS: dict[PauseLength, tuple[str, ...]] = {
    "week": ("week", "1 week", "one week"),
    "month": ("month", "1 month", "one month"),
    "open": ("until i resume", "indefinitely", "until further notice", "for now"),
}
_EDIT_WORDS: dict[Step, tuple[str, ...]] = {
    Step.NAME: ("name", "my name"),
    Step.LOCATION: ("location", "where", "postcode"),
    Step.AVAILABILITY: ("availability", "when", "times"),
    Step.ACTIVITIES: ("activities", "what"),
    Step.PHONE: ("phone", "number", "phone number"),
}


_ANOTHER_ROOM_WORDS = (
    "another",
    "another one",
    "another room",
    "a different room",
    "different room",
    "other room",
    "a different one",
    "somewhere else",
    "elsewhere",
    "anywhere else",
    "next room",
)


# Words for going out on a round and coming back, beyond the buttons' labels.
_ROUND_WORDS: dict[str, tuple[str, ...]] = {
    "o": ("out", "going out", "heading out", "off out", "off we go", "out again", "round"),
    "b": ("back", "i'm back", "im back", "back now", "we're back", "returned"),
}
_SURGE_WORDS: dict[str, tuple[str, ...]] = {
    "y": ("coming", "on my way", "i can come", "i'm coming"),
    "n": ("can't", "cant", "can't come", "cannot", "not now"),
    "g": ("i'll go", "ill go", "go there", "i'll go there"),
    "x": ("no thanks", "no thank you"),
}
_SOON_WORDS: dict[int, tuple[str, ...]] = {
    0: ("now", "right now", "asap", "straight away"),
    30: ("30", "30 min", "30 mins", "30 minutes", "half an hour", "in half an hour"),
    60: ("60", "1 hour", "an hour", "one hour", "in an hour", "60 minutes", "60 min"),
}


def _words(data: str) -> tuple[str, ...]:
    if Pause.PATTERN.fullmatch(data):
        return _PAUSE_WORDS[Pause.unpack(data).length]
    if EditProfile.PATTERN.fullmatch(data):
        return _EDIT_WORDS.get(EditProfile.unpack(data).step, ())
    if CallFlow.PATTERN.fullmatch(data) and CallFlow.unpack(data).choice in ("now", "urgent"):
        return (CallFlow.unpack(data).choice,)
    if Flow.PATTERN.fullmatch(data) and Flow.unpack(data).choice == "create":
        return ("create",)
    if PledgeCall.PATTERN.fullmatch(data) and PledgeCall.unpack(data).action == "send":
        return ("send", "send it", "send now")
    if EventAdmin.PATTERN.fullmatch(data) and EventAdmin.unpack(data).action == "more":
        return ("more", "next", "next page")
    if RoomOffer.PATTERN.fullmatch(data) and RoomOffer.unpack(data).answer == "a":
        return _ANOTHER_ROOM_WORDS
    if RoundTap.PATTERN.fullmatch(data):
        return _ROUND_WORDS[RoundTap.unpack(data).action]
    if AddNote.PATTERN.fullmatch(data):
        return ("note", "add note", "a note", "something to report")
    if SurgeAnswer.PATTERN.fullmatch(data):
        return _SURGE_WORDS[SurgeAnswer.unpack(data).answer]
    if SurgeSoon.PATTERN.fullmatch(data):
        return _SOON_WORDS.get(SurgeSoon.unpack(data).minutes, ())
    return ()


def typed_offers(buttons: Sequence[tuple[str, str]]) -> list[Offer[str]]:
    """The buttons of one message as typed words can press them (bot.domain.answers.pick): by
    label, by what each means, by the words people use for it. A preview's buttons are inert
    and a link is no press: neither is offered."""
    offers: list[Offer[str]] = []
    for label, data in buttons:
        if Preview.PATTERN.fullmatch(data):
            continue
        offers.append(Offer(data, label))
        offers += [Offer(data, meaning=meaning) for meaning in _meanings(data)]
        offers += [Offer(data, words) for words in _words(data)]
    return offers
