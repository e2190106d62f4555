"""Every keyboard the bot shows, and the callback data its buttons carry.

Callback data is ``<namespace>:<value>``, well under Telegram's 64 bytes. Handlers check every press
against the volunteer's current state, so a stale or forged press changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot import texts
from bot.domain.events import Shift
from bot.domain.signup import OPTIONS, Step

CONSENT = "consent"
NAME = "name"
CHOICE = {Step.AVAILABILITY: "av", Step.ACTIVITIES: "ac"}
EDIT = "edit"
PAUSE = "pause"
FORGET = "forget"
DONE = "done"


def data(namespace: str, value: str) -> str:
    return f"{namespace}:{value}"


def parse(callback_data: str | None) -> tuple[str, str]:
    """('namespace', 'value'); ('', '') for anything we did not make."""
    namespace, _, value = (callback_data or "").partition(":")
    return (namespace, value) if value else ("", "")


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def consent() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.CONSENT_YES, callback_data=data(CONSENT, "yes"))],
            [InlineKeyboardButton(texts.CONSENT_NO, callback_data=data(CONSENT, "no"))],
        ]
    )


def use_name(first_name: str) -> InlineKeyboardMarkup:
    label = texts.USE_NAME.format(name=first_name)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data(NAME, "tg"))]])


def share_location() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_LOCATION, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Or type your postcode",
    )


def share_phone() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_PHONE, request_contact=True)], [KeyboardButton(texts.SKIP)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def choices(step: Step, selected: Iterable[str]) -> InlineKeyboardMarkup:
    chosen = set(selected)
    namespace = CHOICE[step]
    buttons = [
        InlineKeyboardButton(
            f"✅ {label}" if code in chosen else label, callback_data=data(namespace, code)
        )
        for code, label in OPTIONS[step].items()
    ]
    rows = _rows(buttons, 2)
    rows.append([InlineKeyboardButton(texts.DONE, callback_data=data(namespace, DONE))])
    return InlineKeyboardMarkup(rows)


def profile() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(label, callback_data=data(EDIT, step.value))
        for step, label in texts.CHANGE.items()
    ]
    return InlineKeyboardMarkup(_rows(buttons, 2))


PAUSE_CHOICES = {"week": texts.PAUSE_WEEK, "month": texts.PAUSE_MONTH, "open": texts.PAUSE_OPEN}


def pause() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data(PAUSE, code))]
            for code, label in PAUSE_CHOICES.items()
        ]
    )


def forget() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.FORGET_YES, callback_data=data(FORGET, "yes"))],
            [InlineKeyboardButton(texts.FORGET_NO, callback_data=data(FORGET, "no"))],
        ]
    )


def private_chat(bot_username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.OPEN_PRIVATE_CHAT, url=f"https://t.me/{bot_username}")]]
    )


# --- RSVPs ------------------------------------------------------------------------------------

RSVP = "rv"
RSVP_CANT = "rx"
MYSHIFT_CHANGE = "mc"
MYSHIFT_CANCEL = "mx"
REASON = "rs"


def rsvp(
    shifts: Sequence[Shift], event_id: int, zone: ZoneInfo, answers: dict[int, str] | None = None
) -> InlineKeyboardMarkup:
    """One button per shift (with places left and the volunteer's answer) and "Can't make it"."""
    answers = answers or {}
    rows = [
        [
            InlineKeyboardButton(
                texts.shift_button(shift, answers.get(shift.id), zone),
                callback_data=data(RSVP, str(shift.id)),
            )
        ]
        for shift in shifts
    ]
    rows.append(
        [InlineKeyboardButton(texts.CANT_MAKE_IT, callback_data=data(RSVP_CANT, str(event_id)))]
    )
    return InlineKeyboardMarkup(rows)


def shift_ids_on(markup: InlineKeyboardMarkup | None) -> list[int]:
    """The shifts an RSVP keyboard offers, read back from the keyboard itself."""
    if markup is None:
        return []
    found = []
    for row in markup.inline_keyboard:
        for button in row:
            namespace, value = parse(
                button.callback_data if isinstance(button.callback_data, str) else None
            )
            if namespace == RSVP and value.isdigit():
                found.append(int(value))
    return found


def my_shift(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.CHANGE_SHIFT, callback_data=data(MYSHIFT_CHANGE, str(shift_id))
                ),
                InlineKeyboardButton(
                    texts.CANCEL_SHIFT, callback_data=data(MYSHIFT_CANCEL, str(shift_id))
                ),
            ]
        ]
    )


def skip_reason() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.SKIP, callback_data=data(REASON, "skip"))]]
    )


# --- Events: CSV import, lists, edits ----------------------------------------------------------

# Organisers' event buttons: "ea:<action>:<id>", e.g. "ea:cshift:42".
EVENT_ADMIN = "ea"


def _admin(label: str, action: str, number: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(EVENT_ADMIN, f"{action}:{number}"))


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

FLOW = "fl"  # back / cancel / skip / done / create in /newevent and /callout
KIND = "nk"
AREA = "na"
PREVIEW = "pv"


CALL_FLOW = "cf"  # the same for /callout, apart so the two conversations never take each other's


def _flow_row(*, back: bool = True, namespace: str = FLOW) -> list[InlineKeyboardButton]:
    row = [InlineKeyboardButton(texts.CANCEL, callback_data=data(namespace, "cancel"))]
    if back:
        row.insert(0, InlineKeyboardButton(texts.BACK, callback_data=data(namespace, "back")))
    return row


def flow(*extra: tuple[str, str], back: bool = True, namespace: str = FLOW) -> InlineKeyboardMarkup:
    """Back and Cancel, with any extra buttons (label, value) above them."""
    rows = [
        [InlineKeyboardButton(label, callback_data=data(namespace, value))]
        for label, value in extra
    ]
    return InlineKeyboardMarkup([*rows, _flow_row(back=back, namespace=namespace)])


def kinds(labels: dict[str, str]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(label, callback_data=data(KIND, code))
        for code, label in labels.items()
    ]
    return InlineKeyboardMarkup([*_rows(buttons, 2), _flow_row(back=False)])


def areas(names: Sequence[str]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(name, callback_data=data(AREA, str(index)))
        for index, name in enumerate(names)
    ]
    return InlineKeyboardMarkup([*_rows(buttons, 2), _flow_row()])


def preview(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """The same buttons volunteers will get, but inert: pressing one only says it's a preview."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, callback_data=data(PREVIEW, str(index)))
                for index, button in enumerate(row)
            ]
            for row in markup.inline_keyboard
        ]
    )


# --- /callout ---------------------------------------------------------------------------------

CALL_EVENT = "ce"
CALL_SHIFT = "cs"
CALL_FILTER = "ca"
CALL_ACTIVITY = "cx"


def call_events(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(label, callback_data=data(CALL_EVENT, str(event_id)))]
        for event_id, label in choices
    ]
    return InlineKeyboardMarkup([*rows, _flow_row(back=False, namespace=CALL_FLOW)])


def call_shifts(labels: Sequence[tuple[int, str, bool]]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                f"✅ {label}" if chosen else label, callback_data=data(CALL_SHIFT, str(shift_id))
            )
        ]
        for shift_id, label, chosen in labels
    ]
    rows.append([InlineKeyboardButton(texts.NEXT, callback_data=data(CALL_FLOW, "next"))])
    return InlineKeyboardMarkup([*rows, _flow_row(namespace=CALL_FLOW)])


def call_filters(labels: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(label, callback_data=data(CALL_FILTER, key))] for key, label in labels
    ]
    rows.append([InlineKeyboardButton(texts.NEXT, callback_data=data(CALL_FLOW, "next"))])
    return InlineKeyboardMarkup([*rows, _flow_row(namespace=CALL_FLOW)])


def call_activities(chosen: Iterable[str]) -> InlineKeyboardMarkup:
    picked = set(chosen)
    buttons = [
        InlineKeyboardButton(
            f"✅ {label}" if code in picked else label, callback_data=data(CALL_ACTIVITY, code)
        )
        for code, label in OPTIONS[Step.ACTIVITIES].items()
        if code != "anything"
    ]
    rows = _rows(buttons, 2)
    rows.append([InlineKeyboardButton(texts.DONE, callback_data=data(CALL_FLOW, "filters"))])
    return InlineKeyboardMarkup(rows)


# --- Reminders, check-in, debrief ---------------------------------------------------------------

STILL_COMING = "sc"
CHECK_IN = "ci"
DOORS = "dr"


def still_coming(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.STILL_COMING_YES, callback_data=data(STILL_COMING, f"y.{shift_id}")
                ),
                InlineKeyboardButton(
                    texts.STILL_COMING_NO, callback_data=data(STILL_COMING, f"n.{shift_id}")
                ),
            ]
        ]
    )


def check_in(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.IM_HERE, callback_data=data(CHECK_IN, f"h.{shift_id}"))],
            [
                InlineKeyboardButton(
                    texts.RUNNING_LATE, callback_data=data(CHECK_IN, f"l.{shift_id}")
                ),
                InlineKeyboardButton(
                    texts.CANT_COME, callback_data=data(CHECK_IN, f"x.{shift_id}")
                ),
            ],
        ]
    )


def sessions(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """For /here when several sessions are on: one "I'm here" per session."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data(CHECK_IN, f"h.{shift_id}"))]
            for shift_id, label in choices
        ]
    )


def doors(shift_id: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            f"{count}+" if count == texts.DOORS_BUTTONS[-1] else str(count),
            callback_data=data(DOORS, f"{shift_id}.{count}"),
        )
        for count in texts.DOORS_BUTTONS
    ]
    return InlineKeyboardMarkup([buttons])


def split_value(value: str) -> tuple[str, int] | None:
    """ "h.12" -> ("h", 12); None for anything else."""
    head, _, tail = value.partition(".")
    return (head, int(tail)) if tail.isdigit() else None


NOTE_SKIP = "dn"
CORRECT = "ab"  # attendance: begin correcting
MARK = "at"


def skip_note() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.SKIP, callback_data=data(NOTE_SKIP, "skip"))]]
    )


def correct(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.CORRECT_ATTENDANCE, callback_data=data(CORRECT, str(shift_id))
                )
            ]
        ]
    )


def attendance(shift_id: int, people: Sequence[tuple[int, str, bool]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.attendance_button(name, came),
                    callback_data=data(MARK, f"{shift_id}.{volunteer_id}"),
                )
            ]
            for volunteer_id, name, came in people
        ]
    )


TOP_UP = "tu"


def top_up(shift_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.TOP_UP, callback_data=data(TOP_UP, str(shift_id)))]]
    )
