"""Every word the bot says, in one place. Plain British English, short and kind.

Messages are sent as HTML: anything a person typed goes through :func:`esc` before it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from html import escape
from zoneinfo import ZoneInfo

from telegram.helpers import create_deep_linked_url

from bot import timefmt
from bot.domain import reports
from bot.domain.board import RoomLine
from bot.domain.closing import Figures, Report
from bot.domain.events import KINDS, Event, Shift
from bot.domain.lifts import RosterLifts
from bot.domain.nearest import DayNeed, Why
from bot.domain.places import PlaceSource, district, sector
from bot.domain.polling import PARTS, AreaPledges, Election, Part, in_order, part_span
from bot.domain.reports import LeaderLine, Period, ShiftFigures, Totals
from bot.domain.rounds import Refused
from bot.domain.rounds import Tally as RoundTally
from bot.domain.rsvp import ordinal
from bot.domain.signup import ACTIVITIES, AVAILABILITY, Step
from bot.domain.statuses import EventStatus, RsvpStatus
from bot.domain.targets import HELPERS_MAX, Day, Target, TargetKind
from bot.domain.volunteers import OPTIONAL_PURPOSES, Purpose


def esc(value: object) -> str:
    return escape(str(value), quote=False)


# --- Sign-up -------------------------------------------------------------------------------

WELCOME_HELLO = "👋 <b>Hello, and thank you for wanting to help!</b>\n\n"
PRIVACY_NOTICE = (
    "I'm Muster. I'll let you know when the campaign needs helpers near you, take your "
    "answers, remind you before a session and check you in on the day.\n\n"
    "<b>Before we start, here's how we look after your details</b>\n"
    "• <b>What we keep:</b> the name you give, your postcode or a location you share, when you "
    "can help, what you like doing, your phone number if you choose to share it, and your "
    "answers to shift calls.\n"
    "• <b>Why:</b> to invite you to sessions near you at times that suit you, and to tell "
    "organisers who is coming.\n"
    "• <b>Who sees it:</b> only the organisers running sessions in your area. We never sell "
    "it or pass it on.\n"
    "• <b>Why we ask first:</b> helping a campaign shows your political views, which the law "
    "(UK GDPR) treats as sensitive, so we need your clear yes.\n"
    "• <b>You're in control:</b> /mydata sends you a copy, /forget deletes it all, and /pause "
    "stops shift calls whenever you like.\n\n"
    "Are you happy for us to keep these details?"
)
WELCOME = WELCOME_HELLO + PRIVACY_NOTICE
CONSENT_YES = "I agree"
CONSENT_NO = "Not now"
CONSENT_DECLINED = "No problem: nothing has been saved. If you change your mind, just send /start."
NOTICE_NOT_NOW = (
    "All right: no shift calls until you agree. Send /start to read the notice again, or "
    "/forget to have your details deleted."
)
WELCOME_BACK = "Welcome back! Let's carry on where you left off."

ASK_NAME = "Great! What should we call you? Tap the button or type a name."
USE_NAME = "Use “{name}”"
ASK_LOCATION = (
    "Where are you based? Share your location with the button below, or type your postcode "
    "(for example SE15 4QR). We use it to find sessions near you."
)
SHARE_LOCATION = "📍 Share my location"
GOT_IT = "Got it, thanks. ✔"
ASK_AVAILABILITY = "When can you usually help? Tap all that apply, then tap Done."
ASK_ACTIVITIES = "What do you like doing? Tap all that apply, then tap Done."
DONE = "Done ✔"
PICK_ONE = "Please pick at least one, then tap Done."
ASK_PHONE = (
    "Last one, and optional: can organisers call you on the day? Tap the button to share your "
    "number, or Skip."
)
SHARE_PHONE = "📞 Share my phone number"
SKIP = "Skip"
OWN_NUMBER_ONLY = "Please share your own number with the button below, or tap Skip."

INVALID = {
    "name_empty": "That name looks empty. Please type the name you'd like us to use.",
    "name_long": "That's a bit long: please keep your name to 64 characters or fewer.",
    "name_control": "That name has characters I can't use. Please type it again plainly.",
    "name_command": "Names can't start with “/”. Please type the name you'd like us to use.",
    "postcode": (
        "I couldn't read that as a UK postcode. Please type it like SE15 4QR, or tap "
        "“Share my location”."
    ),
    "phone": "That number doesn't look right. Please use the button below, or tap Skip.",
    "location": "That location doesn't look right. Please try sharing it again.",
}

EXPECTING_BUTTON = "Please use the buttons on the message above."


def type_or_tap(choices: int, example: str | None) -> str:
    """Words that answer no button of the question just put: what to type or tap instead.
    ``example``: a button's words, when the question is on several messages with several
    buttons each."""
    if example is not None:
        return (
            "Please tap a button above, or type its words and the number of its message "
            f"(1 to {choices}), like “{example} 1”."
        )
    if choices == 1:
        return "Please tap the button above, or type its words."
    return f"Please tap a button above, or type its words or its number (1 to {choices})."


def pressed(label: str) -> str:
    """A typed answer taken as a press of the button ``label``, which answered with no words."""
    return f"OK: {label}"


def step_prompt(step: Step) -> str:
    return {
        Step.NAME: ASK_NAME,
        Step.LOCATION: ASK_LOCATION,
        Step.AVAILABILITY: ASK_AVAILABILITY,
        Step.ACTIVITIES: ASK_ACTIVITIES,
        Step.PHONE: ASK_PHONE,
    }[step]


def labels(codes: Iterable[str], options: dict[str, str]) -> str:
    chosen = [label for code, label in options.items() if code in set(codes)]
    return ", ".join(chosen) if chosen else "none chosen"


def signed_up(summary: str) -> str:
    return (
        "🎉 <b>You're signed up. Thank you!</b>\n\n"
        f"{summary}\n\n"
        "<b>What happens next:</b> when there's a session that fits, I'll message you here and "
        "you can answer with one tap. Change anything with /profile, and see everything I can do "
        "with /help.\n\n"
        "Your name on leaderboards and staying on the list for future campaigns are up to you: "
        "they're off until you turn them on in /profile."
    )


# --- Profile, pause --------------------------------------------------------------------------


def profile(
    *,
    name: str | None,
    postcode: str | None,
    has_location: bool,
    availability: Iterable[str],
    activities: Iterable[str],
    phone: str | None,
    paused: bool,
    paused_until: datetime | None,
    consents: dict[Purpose, bool],
    notice_outdated: bool,
    zone: ZoneInfo,
) -> str:
    if postcode and has_location:
        where = f"{esc(postcode)} (and a shared location)"
    elif postcode:
        where = esc(postcode)
    else:
        where = "shared location" if has_location else "not given"
    if notice_outdated:
        calls = "off until you agree to our new privacy notice (send /start to read it)"
    elif not paused:
        calls = "on"
    elif paused_until is None:
        calls = "paused until you send /resume"
    else:
        calls = f"paused until {timefmt.day(paused_until, zone)}"
    return (
        f"<b>Name:</b> {esc(name or '')}\n"
        f"<b>Where:</b> {where}\n"
        f"<b>Available:</b> {labels(availability, AVAILABILITY)}\n"
        f"<b>Likes:</b> {labels(activities, ACTIVITIES)}\n"
        f"<b>Phone:</b> {esc(phone) if phone else 'not shared'}\n"
        f"<b>Shift calls:</b> {calls}\n"
        "<b>Your choices:</b>\n"
        + "\n".join(choice_label(p, consents.get(p, False)) for p in OPTIONAL_PURPOSES)
    )


CONSENT_LABELS = {
    Purpose.PHONE: "Organisers may phone me",
    Purpose.LEADERBOARD: "My name may appear on leaderboards",
    Purpose.FUTURE: "Keep me on the list for future campaigns",
}


def choice_label(purpose: Purpose, chosen: bool) -> str:
    return f"{'✅' if chosen else '⬜'} {CONSENT_LABELS[purpose]}"


PROFILE_HEADER = "<b>Your details</b>\n\n"
PROFILE_FOOTER = "\n\nTap a button to change something, or a choice to turn it on or off."
CHANGE = {
    Step.NAME: "Change name",
    Step.LOCATION: "Change where",
    Step.AVAILABILITY: "Change when",
    Step.ACTIVITIES: "Change what",
    Step.PHONE: "Change phone",
}
SAVED = "Saved. ✔"
NOT_SIGNED_UP = "You're not signed up yet. Send /start to sign up: it takes about a minute."
CARRY_ON = "Carry on signing up"
# What each sign-up question asks for, to tell someone who stopped half-way where they are.
STEP_ASKS_FOR = {
    Step.NAME: "your name",
    Step.LOCATION: "where you are",
    Step.AVAILABILITY: "when you can help",
    Step.ACTIVITIES: "what you like doing",
    Step.PHONE: "your phone number, which you can skip",
}


def signup_unfinished(step: Step, answered: int, questions: int) -> str:
    """For someone part-way through sign-up who tried something that needs them signed up."""
    return (
        f"You're nearly signed up: {answered} of {questions} questions answered. "
        f"The next one is {STEP_ASKS_FOR[step]}. Tap below to carry on, then try again."
    )


SIGNUP_UNFINISHED_ALERT = "Let's finish signing you up first: see the message below."

ASK_PAUSE = (
    "Pause shift calls for how long? You'll still get reminders for shifts you've said yes to."
)
PAUSE_WEEK = "A week"
PAUSE_MONTH = "A month"
PAUSE_OPEN = "Until I resume"


def paused(until: datetime | None, zone: ZoneInfo) -> str:
    if until is None:
        return "Shift calls are paused. Send /resume whenever you're ready for them again."
    return (
        f"Shift calls are paused until {timefmt.day(until, zone)}. "
        "Send /resume to start them sooner."
    )


RESUMED = "Welcome back! Shift calls are on again."
NOT_PAUSED = "Shift calls are already on. Send /pause if you'd like a break."

# --- Privacy ---------------------------------------------------------------------------------

MYDATA_CAPTION = "Here's everything we hold about you. Send /forget if you'd like it deleted."
MYDATA_NOTHING = "We don't hold anything about you. 👍"


def where_held(postcode: str | None, source: PlaceSource | None) -> str:
    """In /mydata, where we think they are and how well we know it (plain text, in JSON)."""
    if source is PlaceSource.SHARED:
        return "the location you shared"
    if source is PlaceSource.SECTOR:
        return f"near {sector(postcode)} (approximate)"
    if source is PlaceSource.DISTRICT:
        return f"near {district(postcode)} (approximate)"
    if source is PlaceSource.POSTCODE:
        return f"the centre of {postcode}"
    if postcode:
        return f"{postcode}, not on our map: only sessions in {district(postcode)} count as near"
    return "not given"
ASK_FORGET = (
    "This deletes your name, phone number, postcode, location and answers, and I'll stop "
    "messaging you. It can't be undone. Are you sure?"
)
FORGET_YES = "Yes, delete everything"
FORGET_NO = "No, keep me"
FORGOTTEN = (
    "Done: everything about you has been deleted and I won't message you again. "
    "Thank you for your help. If you ever want to come back, send /start."
)
FORGET_CANCELLED = "Nothing was deleted. You're still signed up."

# --- Retention and a new privacy notice -------------------------------------------------------

RETENTION_WARNING = (
    "👋 It's been a long while since we heard from you. We'll delete your details in 14 days "
    "unless you tap Keep."
)
CAMPAIGN_OVER_WARNING = (
    "👋 The campaign is over: thank you for all your help. We'll delete your details in 14 days "
    "unless you tap Keep, which keeps you on the list for future campaigns."
)
KEEP = "Keep"
KEPT = "Thank you! We'll keep your details. /profile shows them, and /forget deletes them."
NOTICE_CHANGED = (
    "📄 <b>Our privacy notice has changed.</b> Please read it and tap “I agree” to keep getting "
    "shift calls. Until then you won't get any. If you'd rather leave, send /forget.\n\n"
)
AGREED_AGAIN = "Thank you! Shift calls are on again."


def _long_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def retention_rule(
    months: int,
    last_day: date | None,
    *,
    warned_soon: int,
    by_campaign: int,
    warned_now: int,
) -> str:
    lines = [
        "<b>How long we keep volunteers' details</b>",
        f"Anyone not in touch for {months} months (no answer, no shift, not opening the bot) is "
        "warned, and deleted 14 days later unless they tap Keep.",
    ]
    if last_day is None:
        lines.append("No campaign end is set.")
    else:
        lines.append(
            f"The campaign's last day is {_long_day(last_day)}: after it, everyone who hasn't "
            "chosen to stay for future campaigns is warned, and deleted 14 days later unless "
            "they tap Keep."
        )
    lines += [
        "",
        f"Waiting for Keep now: {warned_now}",
        f"To be warned in the next 30 days for being away: {warned_soon}",
    ]
    if last_day is not None:
        lines.append(f"To be warned at the campaign's end: {by_campaign}")
    lines += [
        "",
        "Set the campaign's last day with /retention end 6/5/2027; clear it with "
        "/retention end none.",
    ]
    return "\n".join(lines)


def campaign_end_set(last_day: date | None) -> str:
    if last_day is None:
        return "Saved. ✔ No campaign end is set now."
    return f"Saved. ✔ The campaign's last day is {_long_day(last_day)}."


RETENTION_USAGE = (
    "I couldn't read that. Send /retention to see the rule, /retention end 6/5/2027 to set the "
    "campaign's last day, or /retention end none to clear it."
)

# --- Roles -----------------------------------------------------------------------------------


def not_allowed(role: str) -> str:
    return (
        f"Sorry, only {role}s can use that command. If you think you should be one, ask your "
        "campaign's organiser. Send /help to see what you can do."
    )


GRANT_USAGE = (
    "To give someone a role, send:\n"
    "<code>/grant @username organiser</code>\n"
    "or <code>/grant 123456789 coordinator Peckham</code> to limit it to an area."
)
REVOKE_USAGE = (
    "To take a role away, send:\n"
    "<code>/revoke @username organiser</code>\n"
    "or <code>/revoke 123456789 organiser Peckham</code> for one area only."
)
UNKNOWN_ROLE = "I know two roles: organiser and coordinator. Please use one of those."
AREA_TOO_LONG = "That area name is too long: please keep it to 64 characters or fewer."


def no_such_volunteer(who: str) -> str:
    return (
        f"I can't find a signed-up volunteer called {esc(who)}. They need to send me /start "
        "and sign up first; then use their @username or Telegram id."
    )


def cannot_manage(role: str) -> str:
    return f"Sorry, you can't give or take the {role} role there. Ask an admin."


def area_phrase(area: str) -> str:
    return f" for {esc(area)}" if area else ""


def granted(name: str, role: str, area: str) -> str:
    return f"Done: {esc(name)} is now {article(role)} {role}{area_phrase(area)}."


def already_has(name: str, role: str, area: str) -> str:
    return f"{esc(name)} is already {article(role)} {role}{area_phrase(area)}. Nothing changed."


def revoked(name: str, role: str, area: str | None) -> str:
    return f"Done: {esc(name)} is no longer {article(role)} {role}{area_phrase(area or '')}."


def had_no_role(name: str, role: str, area: str | None) -> str:
    return f"{esc(name)} wasn't {article(role)} {role}{area_phrase(area or '')}. Nothing changed."


def you_were_granted(role: str, area: str) -> str:
    return (
        f"You're now {article(role)} {role}{area_phrase(area)}. "
        "Send /help to see your new commands."
    )


def you_were_revoked(role: str) -> str:
    return f"You're no longer {article(role)} {role}. Send /help to see your commands."


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def roles_list(lines: list[tuple[str, str, str]]) -> str:
    if not lines:
        return "Nobody has a role yet. Give one with /grant."
    body = "\n".join(
        f"• {esc(name)}: {role}{area_phrase(area) or ' (every area)'}" for name, role, area in lines
    )
    return f"<b>Roles</b>\n{body}"


# --- Help, errors, groups --------------------------------------------------------------------


def help_text(sections: list[tuple[str, list[tuple[str, str]]]]) -> str:
    parts = ["<b>What I can do</b>"]
    for title, commands in sections:
        lines = "\n".join(f"/{name} - {description}" for name, description in commands)
        parts.append(f"<b>{title}</b>\n{lines}")
    return "\n\n".join(parts)


UNKNOWN_COMMAND = "Sorry, I don't know that command. Send /help to see what I can do."
NOTHING_TO_CANCEL = "There's nothing to cancel. Send /help to see what you can do."
UNKNOWN_TEXT = "I'm not sure what you mean. Send /help to see what I can do."
EDITED_MESSAGE = "I only read new messages, so that edit changes nothing. Please send it again."
ALREADY_DONE = "Already done: the message shows where things are now."
EXPIRED_BUTTON = "That button has expired. Send /help to see what you can do."
GROUP_ONLY_PRIVATE = (
    "I only talk one to one, to keep your details private. Tap below to chat with me."
)
OPEN_PRIVATE_CHAT = "Chat with Muster"
SOMETHING_WENT_WRONG = "Sorry, something went wrong on our side. Please try again in a minute."
LINK_NOT_RECOGNISED = (
    "I didn't recognise the link you came in with. Ask whoever sent it for a fresh one."
)


# --- Events and shifts -------------------------------------------------------------------------


def places(shift: Shift) -> str:
    if shift.places_left == 0:
        return "full, waitlist open"
    return f"{shift.places_left} of {shift.capacity} places left"


def shift_line(shift: Shift, zone: ZoneInfo) -> str:
    line = f"🕙 {timefmt.span(shift.starts_at, shift.ends_at, zone)} · {places(shift)}"
    return line + (f"\n      <i>{esc(shift.note)}</i>" if shift.note else "")


def meeting_point(event: Event) -> str:
    if event.address:
        return esc(event.address)
    return "see the map pin" if event.has_location else "to be confirmed"


def event_card(event: Event, shifts: Sequence[Shift], zone: ZoneInfo) -> str:
    """An event as volunteers see it, in calls, previews and lists."""
    lines = [
        f"<b>{esc(KINDS.get(event.kind, event.kind))}: {esc(event.title)}</b>",
        f"📍 {esc(event.area)} · {meeting_point(event)}",
        *(shift_line(shift, zone) for shift in shifts),
    ]
    if event.status != EventStatus.ACTIVE:
        lines.insert(0, "❌ <b>Cancelled</b>")
    return "\n".join(lines)


# --- Shift calls and RSVPs ---------------------------------------------------------------------

CALL_INTRO = "📣 <b>Can you help?</b>"
EVENT_INTRO = "📅 <b>Here's the event</b>"
TAP_A_SHIFT = "Tap a shift to say you're coming, or “Can't make it”."
CANT_MAKE_IT = "Can't make it"
SHIFT_CLOSED = (
    "Sorry, that shift has been cancelled or has already started. Send /myshifts to see yours."
)
ALREADY_GOING = "You're already down for that one. To cancel, send /myshifts."
CANT_NOTED = "Thanks for letting us know. Hopefully next time!"
WHICH_SHIFT = "Great! Which shift? Tap one or more."
ALREADY_ANSWERED = "You've already answered for these shifts. To change an answer, send /myshifts."
MAYBE_NOTED = "Noted as a maybe. Tap a shift when you know, so we can save you a place."
EVENT_GONE = (
    "Sorry, that event has been cancelled or has finished. Send /help to see what you can do."
)


def rsvp_card(
    intro: str,
    event: Event,
    shifts: Sequence[Shift],
    zone: ZoneInfo,
    *,
    organiser_line: str | None = None,
    answers: dict[int, str] | None = None,
    positions: dict[int, int] | None = None,
    cancelled: Sequence[Shift] = (),
) -> str:
    """A shift call or an event opened from a link, with the volunteer's own answers so far and
    the shifts it offered that have been cancelled since."""
    parts = [intro, event_card(event, shifts, zone)]
    if organiser_line:
        parts.append(f"💬 <i>{esc(organiser_line)}</i>")
    mine = [
        your_answer(answers[s.id], s, zone, (positions or {}).get(s.id))
        for s in shifts
        if answers and s.id in answers
    ]
    mine += [shift_cancelled_line(s, zone) for s in cancelled]
    if not mine:
        mine = [TAP_A_SHIFT if shifts else NOTHING_LEFT_TO_ANSWER]
    parts.append("\n".join(mine))
    return "\n\n".join(parts)


NOTHING_LEFT_TO_ANSWER = "These shifts have started, so there's nothing left to answer here."


def shift_cancelled_line(shift: Shift, zone: ZoneInfo) -> str:
    return f"❌ Cancelled: {timefmt.span(shift.starts_at, shift.ends_at, zone)}"


def your_answer(status: str, shift: Shift, zone: ZoneInfo, position: int | None) -> str:
    when = timefmt.span(shift.starts_at, shift.ends_at, zone)
    return {
        RsvpStatus.GOING: f"✅ You're going: {when}",
        RsvpStatus.WAITLISTED: f"⏳ You're {ordinal(position or 1)} on the waitlist: {when}",
        RsvpStatus.MAYBE: f"🤔 You said maybe: {when}",
        RsvpStatus.CANT: f"❌ You can't make it: {when}",
    }[status]


def shift_button(shift: Shift, status: str | None, zone: ZoneInfo) -> str:
    mark = {RsvpStatus.GOING: "✅ ", RsvpStatus.WAITLISTED: "⏳ ", RsvpStatus.MAYBE: "🤔 "}.get(
        status or "", ""
    )
    # Only someone without a place is offered the waitlist: not those going or already on it.
    if shift.places_left:
        left = f"{shift.places_left} left"
    elif status in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        left = "full"
    else:
        left = "full, join waitlist"
    return f"{mark}{timefmt.span(shift.starts_at, shift.ends_at, zone)} · {left}"


def _map_url(event: Event) -> str:
    lat, lon = f"{event.latitude:.5f}", f"{event.longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&amp;mlon={lon}#map=17/{lat}/{lon}"


def _meet_at(event: Event) -> str:
    """Where to meet, with a link to the spot on a map where there is one: the going
    confirmation is a calendar file, which cannot carry a map pin itself (the pin comes with
    the "See you soon!" reminder)."""
    if not event.has_location:
        return f"Meet at {meeting_point(event)}."
    if event.address:
        return f'Meet at {esc(event.address)} (<a href="{_map_url(event)}">map</a>).'
    return f'Meet at <a href="{_map_url(event)}">this spot on the map</a>.'


def going(shift: Shift, event: Event, zone: ZoneInfo) -> str:
    return (
        f"You're going! 🎉 {timefmt.span(shift.starts_at, shift.ends_at, zone)}, "
        f"{esc(event.title)}. {_meet_at(event)}\n"
        "This file adds it to your calendar. Can't come after all? Send /myshifts."
    )


def waitlisted(position: int) -> str:
    return (
        f"That shift is full, so you're {ordinal(position)} on the waitlist. "
        "I'll tell you straight away if a place frees up."
    )


def promoted(shift: Shift, event: Event, zone: ZoneInfo) -> str:
    """Moved up from the waitlist: the caption of the calendar file that confirms it."""
    return (
        f"Good news! A place came free, so you're going: "
        f"{timefmt.span(shift.starts_at, shift.ends_at, zone)}, {esc(event.title)}. 🎉\n"
        f"{_meet_at(event)} This file adds it to your calendar. Can't come now? Send /myshifts."
    )


def tap_answer(status: str, position: int | None) -> str:
    """The short pop-up after a tap (Telegram allows 200 characters)."""
    if status == RsvpStatus.GOING:
        return "You're going! 🎉"
    if status == RsvpStatus.WAITLISTED:
        return (
            f"It's full: you're {ordinal(position or 1)} on the waitlist. "
            "I'll tell you straight away if a place frees up."
        )
    return CANT_NOTED


# --- /myshifts and late cancellations ----------------------------------------------------------

MYSHIFTS_NONE = "You have no upcoming shifts. I'll message you when there's one that suits you."
MYSHIFTS_HEADER = "<b>Your upcoming shifts</b>"
CHANGE_SHIFT = "Change"
CANCEL_SHIFT = "Cancel"
CANCELLED_YOURS = "Cancelled. Thanks for letting us know."
ASK_REASON = (
    "Thanks for letting us know. It's close to the start, so could you tell the organiser why? "
    "Type a few words, or tap Skip."
)
REASON_SKIPPED = "OK, no need to say why. Thanks for letting us know."
REASON_THANKS = "Thank you. I've passed that on."
REASON_TOO_LONG = "Please keep it to 200 characters or fewer, or tap Skip."


def my_shift(event: Event, shift: Shift, status: str, position: int | None, zone: ZoneInfo) -> str:
    answer = your_answer(status, shift, zone, position)
    return f"<b>{esc(event.title)}</b> ({esc(event.area)})\n{answer}"


def my_shift_cancelled(event: Event, shift: Shift, zone: ZoneInfo) -> str:
    return f"<b>{esc(event.title)}</b> ({esc(event.area)})\n{shift_cancelled_line(shift, zone)}"


def reminder_now(reminder: str, answer: str) -> str:
    """A reminder whose question has been answered since, or overtaken by events."""
    return f"{reminder}\n\n{answer}"


def late_cancel_for_organiser(name: str, shift: Shift, event: Event, zone: ZoneInfo) -> str:
    return (
        f"⚠️ {esc(name)} can't make it to {timefmt.span(shift.starts_at, shift.ends_at, zone)}, "
        f"{esc(event.title)}. It starts soon, so you may want to find cover. "
        f"{plural(shift.places_left, 'place')} now free."
    )


def late_reason_for_organiser(name: str, reason: str) -> str:
    return f"{esc(name)} said why: <i>{esc(reason)}</i>"


# --- Lifts -------------------------------------------------------------------------------------

LIFT_QUESTION = "🚗 Can you drive others, or do you need a lift?"
LIFT_NEED = "I need a lift"
LIFT_NEITHER = "Neither"
LIFT_BUTTON = "🚗 Lift"
LIFT_AGREE = "Agree"
LIFT_NO_THANKS = "No thanks"
LIFT_NOT_GOING = (
    "You're not down as going to that shift, so there's no lift to sort out. "
    "Send /myshifts to see your shifts."
)
LIFT_LAPSED = "That suggestion no longer stands. I'll message you if I find another."
LIFT_NEITHER_NOTED = "OK, no lift to sort out. Tap again if that changes."
LIFT_WITHDRAWN = "🚗 A lift was suggested to you here."
LIFT_SEATS_RANGE = "I can find riders for 1 to 4 seats: tap a button, or type a number from 1 to 4."


def lift_take(seats: int) -> str:
    return f"I can take {seats}"


def lift_choice_button(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


def lift_noted(role: str | None, seats: int) -> str:
    """The pop-up after an answer to the lift question (Telegram allows 200 characters)."""
    if role == "driver":
        return (
            f"Thanks! You can take {seats}. I'll suggest people near you who need a lift, "
            "and share nothing until you both agree."
        )
    if role == "rider":
        return "OK! I'll look for a driver near you, and share nothing until you both agree."
    return LIFT_NEITHER_NOTED


def _shift_named(shift: Shift, event: Event, zone: ZoneInfo) -> str:
    return f"{esc(event.title)}, {timefmt.span(shift.starts_at, shift.ends_at, zone)}"


def going_with_lift_question(
    shift: Shift, event: Event, zone: ZoneInfo, *, promoted_now: bool = False
) -> str:
    """The going confirmation's caption (or, ``promoted_now``, the news of a place come free),
    with the lift question its buttons answer."""
    said = promoted(shift, event, zone) if promoted_now else going(shift, event, zone)
    return f"{said}\n\n{LIFT_QUESTION}"


def lift_question(shift: Shift, event: Event, zone: ZoneInfo, role: str | None, seats: int) -> str:
    """The lift question again (from /myshifts), with the answer they gave."""
    now = {
        "driver": f"Now: you can take {seats}.",
        "rider": "Now: you need a lift.",
    }.get(role or "", "Now: neither.")
    return f"<b>{_shift_named(shift, event, zone)}</b>\n{LIFT_QUESTION}\n{now}"


def _apart(km: int | None) -> str:
    return f"about {km} km from you" if km is not None else "near you"


def lift_suggestion(
    other: str, km: int | None, driving: bool, shift: Shift, event: Event, zone: ZoneInfo
) -> str:
    """A suggested lift: only the other's first name and roughly how far away they live."""
    where = _shift_named(shift, event, zone)
    if driving:
        return (
            f"🚗 {esc(other)} ({_apart(km)}) needs a lift to {where}. Could you take them? "
            "Nothing about either of you is shared unless you both agree. Agree?"
        )
    return (
        f"🚗 {esc(other)} ({_apart(km)}) could give you a lift to {where}. "
        "Nothing about either of you is shared unless you both agree. Agree?"
    )


def lift_waiting(suggestion: str, other: str) -> str:
    return f"{suggestion}\n\n✅ You agreed. I'll tell you as soon as {esc(other)} does too."


def lift_agreed(
    other: str,
    username: str | None,
    driving: bool,
    shift: Shift,
    event: Event,
    zone: ZoneInfo,
) -> str:
    """Both agreed: the other's first name and, if they have one, their Telegram username."""
    where = _shift_named(shift, event, zone)
    news = (
        f"🚗 It's agreed: you're giving {esc(other)} a lift to {where}."
        if driving
        else f"🚗 It's agreed: {esc(other)} is giving you a lift to {where}."
    )
    if username:
        contact = (
            f"{esc(other)} is @{esc(username)} on Telegram: send them a message to arrange "
            "where and when to meet."
        )
    else:
        contact = (
            f"{esc(other)} has no Telegram username, so I can't link you to each other. "
            f"Why not meet at the meeting point ({meeting_point(event)}) and sort it out there?"
        )
    return f"{news}\n{contact}\nPlans change? Send /myshifts."


def lift_declined(suggestion: str, driving: bool) -> str:
    after = "Thanks anyway." if driving else "I'll look for another driver near you."
    return f"{suggestion}\n\nOK, not this time. {after}"


def lift_fell_through(suggestion: str, driving: bool) -> str:
    """Their suggestion card, once the other said no or stopped going before they agreed."""
    after = "" if driving else " I'll look for another driver near you."
    return f"{suggestion}\n\nThis one didn't work out, sorry.{after}"


def lift_off(other: str | None, driving: bool, shift: Shift, event: Event, zone: ZoneInfo) -> str:
    """To someone whose agreed (or agreed-to) lift is off: the other stopped going, changed
    their answer, or had their details deleted (then unnamed)."""
    who = esc(other) if other else "The person you were sharing a lift with"
    after = "Your seat is free again." if driving else "I'll look for another driver near you."
    return (
        f"🚗 Sorry: {who} can't share the lift to {_shift_named(shift, event, zone)} after all, "
        f"so it's off. {after}"
    )


# --- /roster -----------------------------------------------------------------------------------

ROSTER_NONE = "There are no upcoming events in your area. Create one with /newevent."
ROSTER_LABELS = {
    RsvpStatus.GOING: "Said going",
    RsvpStatus.WAITLISTED: "Waitlist",
    RsvpStatus.MAYBE: "Maybe",
    RsvpStatus.CANT: "Can't",
}


def roster_shift(
    shift: Shift,
    zone: ZoneInfo,
    groups: dict[str, list[tuple[str, str | None]]],
    turnout: reports.Named | None = None,
    lifts: RosterLifts | None = None,
) -> str:
    """One shift's answers with names and phone numbers: only its area's organisers see this.
    Once check-in has begun, who came, in the words of every report. Lifts offered and asked
    for, with who agreed to share, when anyone answered the lift question."""
    lines = [
        f"<b>{timefmt.span(shift.starts_at, shift.ends_at, zone)}</b> ({shift.capacity} places)"
    ]
    for status, label in ROSTER_LABELS.items():
        people = groups.get(status, [])
        line = f"{label}: {len(people)}"
        if people:
            line += " - " + ", ".join(
                esc(name) + (f" ({esc(phone)})" if phone else "") for name, phone in people
            )
        lines.append(line)
        if status == RsvpStatus.GOING and turnout is not None:
            lines.append(_names_by_figure(turnout, counted=True))
    if lifts is not None:
        lines.extend(_roster_lifts(lifts))
    return "\n".join(lines)


def _roster_lifts(lifts: RosterLifts) -> list[str]:
    def name(value: str | None) -> str:
        return esc(value or "(forgotten)")

    cars = f"🚗 Cars: {len(lifts.drivers)}, free seats: {lifts.free_seats}"
    if lifts.drivers:
        cars += " - " + ", ".join(
            f"{name(driver)} (takes {seats}"
            + (f": {', '.join(map(name, taking))})" if taking else ")")
            for driver, seats, taking in lifts.drivers
        )
    asking = f"🙋 Need a lift: {len(lifts.riders)}"
    if lifts.riders:
        asking += " - " + ", ".join(
            name(rider) + (f" (with {name(driver)})" if driver else "")
            for rider, driver in lifts.riders
        )
    return [cars, asking]


# --- Events: CSV import, lists, edits ----------------------------------------------------------

KIND_CODES = ", ".join(KINDS)
TARGET_KIND_CODES = ", ".join(TargetKind)

TEMPLATE_CAPTION = (
    "<b>Add many events at once</b>: fill this in and send it back to me. One row per shift; "
    "rows with the same kind, title, area, date and address make one event with several "
    "shifts.\n"
    f"• <b>kind</b>: {KIND_CODES}\n"
    "• <b>date</b> like 14/03/2027; <b>start</b> and <b>end</b> like 10:00 (an end before the "
    "start means the shift runs past midnight)\n"
    "• <b>capacity</b>: places, 1 to 1000\n"
    "• an <b>address</b>, or <b>latitude</b> and <b>longitude</b>, or both; <b>note</b> is "
    "optional\n"
    "Save it as “CSV UTF-8”. If any row is wrong I'll list what to fix and add nothing."
)
FILE_NOT_EXPECTED = "Thanks, but I can't do anything with files. Send /help to see what I can do."

_CSV_BAD_FILE = {
    "spreadsheet": (
        "That looks like a spreadsheet file. Please save it as “CSV UTF-8” (File, Save as) and "
        "send me that. Send /template for one to start from."
    ),
    "not_csv": "I can only import events from a CSV file. Send /template for one to fill in.",
    "too_big": (
        "That file is over 1 MB, more than I can take in one go. Please split it into smaller "
        "files."
    ),
    "not_utf8": (
        "I couldn't read the letters in that file. Please save it as “CSV UTF-8” and send it again."
    ),
    "empty": "That file is empty. Send /template for one to fill in.",
    "no_rows": (
        "That file has the column names but no rows. Add one row per shift and send it again."
    ),
    "missing_columns": (
        "That file has no {detail} column. The first row must name the columns: send /template "
        "for a file that has them all."
    ),
    "duplicate_column": "The column “{detail}” appears twice. Please keep one and send it again.",
    "too_many_rows": (
        "That file has more than 2,000 rows, more than I can take in one go. Please split it "
        "into smaller files."
    ),
    "unreadable": (
        "I couldn't read line {detail} of that file (a stray quote mark, perhaps). Please fix it "
        "and send it again."
    ),
}


# Where a targets file says something else than an events file would.
_TARGETS_BAD_FILE = {
    "empty": "That file is empty. Send /targets for one to fill in.",
    "no_rows": (
        "That file has the column names but no rows. Add one row per target and send it again."
    ),
    "missing_columns": (
        "That file has no {detail} column. The first row must name the columns: send /targets "
        "for a file that has them all."
    ),
}


def csv_bad_file(reason: str, detail: str = "", *, targets: bool = False) -> str:
    found = (_TARGETS_BAD_FILE if targets else {}).get(reason) or _CSV_BAD_FILE.get(
        reason, _CSV_BAD_FILE["not_csv"]
    )
    return found.format(detail=esc(detail))


_CSV_LIMITS = {"title": 120, "area": 64, "address": 200, "note": 200, "name": 80, "why": 140}


def csv_row_error(
    line: int,
    column: str,
    reason: str,
    value: str,
    other_line: int | None,
    *,
    example_day: str = "",
    areas: Iterable[str] | None = None,
) -> str:
    """One problem in an imported file (events or targets): "Line 4, date: 31/02/2027 is not a
    date I can read."."""
    shown = esc(value)
    problem = {
        "missing": "this is empty.",
        "kind": f"{shown} isn't a kind I know. Use one of: {KIND_CODES}.",
        "area_not_yours": (
            f"you can only add events in {', '.join(esc(a) for a in sorted(areas or []))}."
        ),
        "control": "this has characters I can't use.",
        "too_long": (
            "this shift would last more than 16 hours (an end before the start means the next day)."
            if column == "end"
            else f"this is too long: please keep it to {_CSV_LIMITS.get(column, 100)} characters."
        ),
        "latitude": f"{shown} is not a latitude (a number from -90 to 90).",
        "longitude": f"{shown} is not a longitude (a number from -180 to 180).",
        "pair_missing": "give both latitude and longitude, or neither.",
        "no_place": "give an address, or a latitude and longitude.",
        "date": f"{shown} is not a date I can read. Use {example_day}.",
        "weekday": (
            f"{shown}: the weekday doesn't fall on that date. Check which you meant, and give "
            f"the date without the weekday, like {example_day}."
        ),
        "ambiguous": (
            f"an end of {shown} makes this an overnight shift of more than 12 hours, which could "
            "be a slip. If it ends the same day, use 24-hour time (like 13:00); if it really "
            f"runs past midnight, write “{shown} next day”."
        ),
        "date_past": f"{shown} is in the past.",
        "time": f"{shown} is not a time I can read. Use 24-hour time like 09:30.",
        "capacity": f"{shown} isn't a number of places from 1 to 1000.",
        "started": "that time has already passed.",
        "other_place": (
            f"line {other_line} is the same event at a different map location. Give every row "
            "of one event the same latitude and longitude."
        ),
        "duplicate": f"this shift is already on line {other_line}.",
        "target_unknown": f"{shown} isn't a target I know. /targets lists them.",
        "other_target": (
            f"line {other_line} is the same event for a different target. Give every row of one "
            "event the same target."
        ),
        "target_kind": f"{shown} isn't a kind of target I know. Use one of: {TARGET_KIND_CODES}.",
        "priority": f"{shown} isn't a priority. Use 1, 2 or 3 (1 is the most wanted).",
        "postcode": f"{shown} isn't a full postcode. Use one like SW11 1JW.",
        "postcode_unknown": (
            f"I can't find {shown} on the map. Check it, or give a latitude and longitude instead."
        ),
        "no_centre": "give a postcode, or a latitude and longitude, for its centre.",
        "helpers": f"{shown} isn't a number of helpers from 1 to {HELPERS_MAX}.",
        "duplicate_target": f"this target is already on line {other_line}.",
    }.get(reason, "this doesn't look right.")
    return f"Line {line}, {column}: {problem}"


CSV_ERRORS_SHOWN = 30


def csv_rejected(problems: Sequence[str]) -> str:
    """Every problem, up to the first 30 (and what fits in one message), then how many more."""
    head = (
        "❌ <b>Nothing was added.</b> Please fix these and send the file again:\n"
        if len(problems) > 1
        else "❌ <b>Nothing was added.</b> Please fix this and send the file again:\n"
    )
    shown: list[str] = []
    size = len(head)
    for problem in problems[:CSV_ERRORS_SHOWN]:
        if size + len(problem) + 40 > 3800:
            break
        shown.append(problem)
        size += len(problem) + 1
    more = len(problems) - len(shown)
    tail = f"\n…and {more} more." if more else ""
    return head + "\n".join(shown) + tail


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def csv_imported(events: int, shifts: int) -> str:
    return (
        f"✅ Created {plural(events, 'event')} with {plural(shifts, 'shift')}. "
        "Share each event's link: anyone who taps it can sign up for a shift."
    )


def share_link(bot_username: str, event: Event) -> str:
    """The link volunteers open to answer for ``event`` (the bot's /start with its payload)."""
    return create_deep_linked_url(bot_username, event.link_payload)


def event_link_line(event: Event, first_start: datetime, link: str, zone: ZoneInfo) -> str:
    return (
        f"• <b>{esc(event.title)}</b>, {esc(event.area)}, {timefmt.day(first_start, zone)}\n"
        f"  {link}"
    )


CSV_LINKS_CAPTION = "Each event's share link, to paste wherever you like. /events shows them all."

EVENTS_NONE = (
    "There are no upcoming events. Create one with /newevent, or send me a CSV file to add many "
    "at once (/template gives you one to fill in)."
)


# --- Targets: /targets and importing them -------------------------------------------------------

TARGET_KIND_LABELS = {
    TargetKind.SEAT: "target seat",
    TargetKind.WARD: "target ward",
    TargetKind.DIVISION: "target division",
}
TARGETS_HEAD = (
    "🎯 <b>Targets</b>, the most wanted first, with their sessions in the next 14 days and "
    "helpers booked vs wanted. An event counts for a target when its area is the target's name "
    "(or its row in an events file names it)."
)
TARGETS_NONE = (
    "There are no targets yet. A coordinator adds them by sending me a CSV file: /targets gives "
    "them one to fill in."
)
TARGETS_NONE_COORDINATOR = (
    "There are no targets yet. Fill in the file below (one row per seat, ward or division) and "
    "send it back to me to add them."
)
TARGETS_TEMPLATE_CAPTION = (
    "<b>Targets</b>: change or add rows and send the file back to me. One row per target; a name "
    "already there updates that target.\n"
    f"• <b>name</b>; <b>kind</b>: {TARGET_KIND_CODES}\n"
    "• <b>priority</b>: 1, 2 or 3 (1 is the most wanted)\n"
    "• <b>why</b>: one line for volunteers, at most 140 characters\n"
    "• its centre: a <b>postcode</b>, or <b>latitude</b> and <b>longitude</b>\n"
    "• <b>helpers_wanted</b> on each campaign day: optional\n"
    "Save it as “CSV UTF-8”. If any row is wrong I'll list what to fix and change nothing."
)
TARGETS_NOT_ALLOWED = (
    "That file is a list of targets, and only coordinators can add or change them. Send /targets "
    "to see them, or /help to see what you can do."
)
# Past this many names, an import's answer counts the rest.
TARGET_NAMES_SHOWN = 30
# Past this many sessions, a target's block counts the rest.
TARGET_SESSIONS_SHOWN = 12


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(esc(name) for name in names[:TARGET_NAMES_SHOWN])
    more = len(names) - TARGET_NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def targets_imported(added: Sequence[str], updated: Sequence[str], tied: int) -> str:
    lines = ["✅ <b>Targets saved.</b>"]
    if added:
        lines.append(f"Added {len(added)}: {_names(added)}.")
    if updated:
        lines.append(f"Updated {len(updated)}: {_names(updated)}.")
    if tied:
        lines.append(f"{plural(tied, 'event')} in an area of a new target's name now count for it.")
    lines.append("Send /targets to see them with their sessions.")
    return "\n".join(lines)


def _booked(day: Day) -> str:
    if day.wanted is None:
        return f"{plural(day.booked, 'helper')} booked"
    return f"{day.booked} booked of {day.wanted} helpers wanted"


def target_block(target: Target, days: Sequence[Day], zone: ZoneInfo) -> str:
    """One target in /targets: what and why, then each day with sessions, booked vs wanted."""
    kind = TARGET_KIND_LABELS.get(TargetKind(target.kind), target.kind)
    lines = [
        f"<b>{esc(target.name)}</b> · {kind} · priority {target.priority}",
        f"<i>{esc(target.why)}</i>",
    ]
    if not days:
        wanted = f" ({target.helpers_wanted} helpers wanted a day)" if target.helpers_wanted else ""
        lines.append(f"No sessions in the next 14 days{wanted}.")
        return "\n".join(lines)
    shown = 0
    hidden = 0
    for day in days:
        if shown >= TARGET_SESSIONS_SHOWN:
            hidden += len(day.sessions)
            continue
        lines.append(f"📅 {timefmt.day(day.sessions[0].shift.starts_at, zone)}: {_booked(day)}")
        for session in day.sessions:
            if shown >= TARGET_SESSIONS_SHOWN:
                hidden += 1
                continue
            shown += 1
            shift = session.shift
            local = shift.starts_at.astimezone(zone)
            lines.append(
                f"   • {esc(session.title)}, {local:%H:%M}-"
                f"{timefmt.until(shift.starts_at, shift.ends_at, zone)} · "
                f"{len(session.going)} going of {shift.capacity} places"
            )
    if hidden:
        lines.append(f"   …and {plural(hidden, 'more session')}.")
    return "\n".join(lines)


def event_target_line(event: Event) -> str:
    return f"\n🎯 For target {esc(event.target_name)}" if event.target_name else ""


def events_more(shown_to: int, total: int) -> str:
    return f"Showing {shown_to} of {total} upcoming events."


def roster_more(shown_to: int, total: int) -> str:
    return f"Showing the roster of {shown_to} of {total} upcoming events."


EVENTS_SHOW_MORE = "Show more"
EDIT_EVENT = "✏️ Edit"
CANCEL_EVENT = "❌ Cancel event"
EDIT_TITLE = "Title"
EDIT_PLACE = "Meeting point"
EDIT_REMINDERS = "Reminder times"
BAD_REMINDERS = (
    "I couldn't read that. Type times before each shift, like <code>24h,2h</code> or "
    "<code>1d,3h,30m</code>, or <code>default</code>."
)
EDIT_BACK = "« Back"
CANCEL_EVENT_YES = "Yes, cancel the event"
CANCEL_SHIFT_YES = "Yes, cancel the shift"
CANCEL_KEEP = "No, keep it"


def _times(shift: Shift, zone: ZoneInfo, with_day: bool) -> str:
    if with_day:
        return timefmt.span(shift.starts_at, shift.ends_at, zone)
    start = shift.starts_at.astimezone(zone)
    return f"{start:%H:%M}-{timefmt.until(shift.starts_at, shift.ends_at, zone)}"


def cancel_shift_label(shift: Shift, zone: ZoneInfo, with_day: bool) -> str:
    return f"❌ Cancel shift {_times(shift, zone, with_day)}"


def edit_shift_label(shift: Shift, zone: ZoneInfo, with_day: bool) -> str:
    return f"🕙 {_times(shift, zone, with_day)} · {plural(shift.capacity, 'place')}"


def organiser_card(event: Event, shifts: Sequence[Shift], zone: ZoneInfo, link: str) -> str:
    """An event as its organisers see it in /events: the card, who is waiting, the share link."""
    card = event_card(event, shifts, zone) + event_target_line(event)
    waiting = sum(shift.waitlisted for shift in shifts)
    extra = f"\n⏳ {waiting} on waitlists" if waiting else ""
    return f"{card}{extra}" + (f"\n🔗 {link}" if link else "")


def ask_cancel_event(people: int) -> str:
    return (
        f"<b>Cancel this event?</b> {told_phrase(people, 'will')}"
        if people
        else "<b>Cancel this event?</b> Nobody has said they're coming yet."
    )


def ask_cancel_shift(shift: Shift, zone: ZoneInfo, people: int) -> str:
    when = timefmt.span(shift.starts_at, shift.ends_at, zone)
    return f"<b>Cancel the {when} shift?</b> " + (
        told_phrase(people, "will") if people else "Nobody has said they're coming yet."
    )


def told_phrase(people: int, tense: str = "are") -> str:
    """Who hears about a change: everyone going, maybe or on the waitlist."""
    if tense == "will":
        who = plural(people, "person", "people")
        return f"{who} who said going or maybe, or are waiting, will be told."
    return f"I'm letting {plural(people, 'person', 'people')} know." if people else ""


def event_cancelled_done(people: int) -> str:
    return " ".join(filter(None, ["Event cancelled.", told_phrase(people)]))


def shift_cancelled_done(people: int) -> str:
    return " ".join(filter(None, ["Shift cancelled.", told_phrase(people)]))


def ask_reminders(current: str | None, default: str) -> str:
    now = f"{esc(current)}" if current else f"{esc(default)} (the default)"
    return (
        f"When should reminders go for this event? Now: {now}.\nType times before each shift, "
        "like <code>24h,2h</code> (d, h or m), or <code>default</code>. Type cancel to stop."
    )


def change_saved(people: int) -> str:
    return " ".join(filter(None, ["Saved. ✔", told_phrase(people)]))


def moved_up(people: int) -> str:
    """After more places: who came off the waitlist ("" for nobody)."""
    if not people:
        return ""
    who = plural(people, "person", "people")
    return f"{who} moved up from the waitlist and {'has' if people == 1 else 'have'} been told."


EVENT_ALREADY_CANCELLED = "That event has already been cancelled. Nothing changed."
SHIFT_GONE = "That shift has already been cancelled or has finished. Nothing changed."
EVENT_NOT_YOURS = "That event isn't in your area, so you can't change it."
ASK_NEW_TITLE = (
    "Send me the new title (up to 120 characters), or send “cancel” to keep it as it is."
)
ASK_NEW_PLACE = (
    "Send me the new meeting point address (up to 200 characters), or share a location to move "
    "the map pin. Send “cancel” to keep it as it is."
)


def ask_shift_change(shift: Shift, zone: ZoneInfo) -> str:
    return (
        f"The shift is {timefmt.span(shift.starts_at, shift.ends_at, zone)} with "
        f"{plural(shift.capacity, 'place')} ({shift.going} going).\n"
        "Send the new times, the new number of places, or both, like “10:00-14:00”, “25” or "
        "“10:00-14:00 25”. Send “cancel” to leave it as it is."
    )


EDIT_CANCELLED = "OK, nothing changed."
NOTHING_CHANGED = "That's the same as before, so nothing changed."
BAD_TITLE = (
    "That title doesn't look right: please send one line of up to 120 characters, or “cancel”."
)
BAD_PLACE = (
    "That address doesn't look right: please send one line of up to 200 characters, or “cancel”."
)
BAD_PIN = "That location doesn't look right. Please share it again, or send “cancel”."
BAD_SHIFT_CHANGE = {
    "shift_change": (
        "I couldn't read that. Send new times like “10:00-14:00”, places like “25”, or both "
        "like “10:00-14:00 25”; or send “cancel”."
    ),
    "capacity": "Places must be a whole number from 1 to 1000. Please try again, or “cancel”.",
    "too_long": (
        "A shift can be at most 16 hours long (an end before the start means the next day). "
        "Please try again, or “cancel”."
    ),
    "ambiguous": (
        "An end before the start makes that an overnight shift of more than 12 hours. If it ends "
        "the same day, use 24-hour time like “10:00-13:00”; if it really runs past midnight, "
        "add “next day”, like “22:00-11:00 next day”. Or send “cancel”."
    ),
    "started": "That start time has already passed. Please try again, or “cancel”.",
}


def capacity_below_going(going: int) -> str:
    who = plural(going, "person is", "people are")
    return (
        f"{who} already going, so the places can't go below {going}. "
        f"Please send {going} or more, or “cancel”."
    )


# Messages to the volunteers who said going, maybe or are waiting.


def event_cancelled_notice(event: Event, shifts: Sequence[Shift], zone: ZoneInfo) -> str:
    when = timefmt.day(shifts[0].starts_at, zone) if shifts else ""
    return (
        f"❌ <b>Cancelled:</b> {esc(KINDS.get(event.kind, event.kind))}: {esc(event.title)}, "
        f"{esc(event.area)}{', ' + when if when else ''}.\n"
        "You don't need to go. Thank you for being ready to help: I'll let you know about other "
        "sessions."
    )


def shift_cancelled_notice(event: Event, shift: Shift, zone: ZoneInfo) -> str:
    return (
        f"❌ <b>Shift cancelled:</b> {timefmt.span(shift.starts_at, shift.ends_at, zone)}, "
        f"{esc(event.title)}, {esc(event.area)}.\n"
        "You don't need to go to that one. Thank you for being ready to help. Send /myshifts to "
        "see your other shifts."
    )


def changed_title(old: str) -> str:
    return f"It has a new name (it was “{esc(old)}”)."


CHANGED_PLACE = "The meeting point has changed."


def changed_times(before: Shift, after: Shift, zone: ZoneInfo) -> str:
    return (
        f"The {timefmt.span(before.starts_at, before.ends_at, zone)} shift now runs "
        f"{timefmt.span(after.starts_at, after.ends_at, zone)}."
    )


def event_changed_notice(event: Event, shifts: Sequence[Shift], zone: ZoneInfo, what: str) -> str:
    card = event_card(event, shifts, zone)
    return f"✏️ <b>A change to an event you're down for.</b> {what}\n\n{card}"


# --- /newevent ---------------------------------------------------------------------------------

BACK = "« Back"
CANCEL = "Cancel"
NEW_KIND = "Let's set up an event. What kind is it?"
NEW_TITLE = "What's it called? For example “Peckham Saturday doors”."
NEW_AREA = "Which area is it in (constituency, ward or target seat)?"
NEW_AREA_PICK = "Which area is it in? Tap one of yours."
NEW_PLACE = (
    "Where do people meet? Type the address, or send a map pin (📎, then Location) so "
    "volunteers get directions."
)
NEW_ADDRESS = (
    "Got the map pin. Add the address too, so people can find the door? Type it, or tap Skip."
)
NEW_DATE = "What day is it? For example “Sat 14 Mar”, 14/03/2027, “tomorrow” or “Saturday”."
NEW_SHIFT = (
    "Now a shift: start and end time and how many places, with an optional note. "
    "For example:\n<code>10:00-13:00 20 bring comfy shoes</code>\n"
    "An end before the start runs past midnight, like <code>22:00-02:00 4</code>."
)
NEW_MORE = "Type another shift the same way, or tap Done."
NEW_PREVIEW = "Here's exactly what volunteers will see. Create it?"
CREATE = "Create event ✔"
NEW_CANCELLED = "OK, I've thrown that draft away. Nothing was created."
NEW_DRAFT_GONE = "That draft is no longer here. Send /newevent to start again."
NOT_YOUR_AREA = "You can only create events in your own areas. Tap one of the buttons."
PREVIEW_ONLY = "This is just a preview."
NEW_EVENT_BAD = {
    "title": "Please give it a name of up to 120 characters.",
    "area": "Please type an area name of up to 64 characters.",
    "address": "Please type an address of up to 200 characters, or tap Skip.",
    "date": (
        "I couldn't read that date. Try “Sat 14 Mar”, 14/03/2027, “tomorrow” or “Saturday”."
    ),
    "date_past": "That day has already gone. Please give a date from today on.",
    "too_long": (
        "A shift can be at most 16 hours long. Check the start and end: an end before the "
        "start means the next day, so <code>13:00-10:00</code> would be 21 hours."
    ),
    "shift": (
        "I couldn't read that shift. Type the times and places like "
        "<code>10:00-13:00 20</code>, with an optional note after."
    ),
    "capacity": "Places must be a number from 1 to 1,000.",
    "note": "Please keep the note to 200 characters or fewer.",
    "shift_past": "That shift would already have started. Please give a later time.",
}


def shift_reading(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    """One way of reading a shift typed with its end before its start, as a button."""
    overnight = ends_at.astimezone(zone).date() != starts_at.astimezone(zone).date()
    when = f"{starts_at.astimezone(zone):%H:%M} to {timefmt.until(starts_at, ends_at, zone)}"
    return f"Overnight, {when}" if overnight else when


def which_shift(readings: Sequence[tuple[datetime, datetime]], zone: ZoneInfo) -> str:
    """ "10-1": the end is before the start and would make a long night, so ask which."""
    shown = [shift_reading(start, end, zone) for start, end in readings]
    if len(shown) == 1 and shown[0].startswith("Overnight"):
        return f"Just checking: {shown[0]}? That's a long night. Tap it, or type the shift again."
    if len(shown) == 1:  # "8-1": overnight would be too long
        return f"Did you mean {shown[0]}? Tap it, or type the shift again."
    return (
        f"Did you mean {shown[0]}, or {shown[1][0].lower()}{shown[1][1:]}? "
        "Tap one, or type the shift again."
    )


def which_day(written: date, weekday: date) -> str:
    """ "Sat 14 Mar" on a year where 14 March is a Sunday."""
    return (
        f"{written.day} {written:%B %Y} is a {written:%A}, not a {weekday:%A}. "
        "Which day did you mean? Tap one, or type the date again."
    )


def wrong_weekday(written: date, weekday: date) -> str:
    """The same, where the answer is typed with a time ("Sat 14 Mar 18:00")."""
    return (
        f"{written.day} {written:%B %Y} is a {written:%A}, not a {weekday:%A}. Please type the "
        f"day and time again, like “{written:%a} {written.day} {written:%b} 18:00”."
    )


def day_button(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b} {day:%Y}"


def shift_added(shift: Shift, zone: ZoneInfo) -> str:
    return f"Added {timefmt.span(shift.starts_at, shift.ends_at, zone)}, {shift.capacity} places."


def event_created(event: Event, shift_count: int, link: str) -> str:
    return (
        f"✅ Created <b>{esc(event.title)}</b> with {shift_count} shift(s)."
        f"{event_target_line(event)}\n"
        f"Share link: {link}\n"
        "Send a shift call to volunteers with /callout, and see who's coming with /roster."
    )


# --- Outbox and delivery reports ---------------------------------------------------------------


def callout_progress(sent: int, total: int, *, finished: bool = False) -> str:
    """The organiser's progress message for a shift call, edited as it goes out."""
    if finished:
        return f"✅ Your shift call has gone out: {sent:,} of {total:,} sent."
    return f"📣 Sending your shift call… {sent:,} of {total:,} sent."


def callout_report(title: str, delivered: int, unreachable: int, failed: int) -> str:
    """Sent to the organiser once every message of a call has been dealt with."""
    lines = [
        f"📬 <b>Delivery report</b> for your call to <b>{esc(title)}</b>",
        f"✅ Delivered: {delivered:,}",
        f"🚫 Couldn't reach: {unreachable:,}",
        f"⚠️ Failed: {failed:,}",
    ]
    if unreachable:
        lines.append(
            "\nThose I couldn't reach have blocked Muster or left Telegram, so they won't be "
            "sent calls from now on."
        )
    if failed:
        lines.append(
            "\nThe failed ones didn't go through even after several tries. Nothing more to do: "
            "they'll get your next call as usual."
        )
    if not unreachable and not failed:
        lines.append("\nEveryone got it. Thank you!")
    return "\n".join(lines)


# --- /callout ----------------------------------------------------------------------------------

CALLOUT_NO_EVENTS = (
    "There are no upcoming events in your area to call for. Create one with /newevent."
)
CALLOUT_PICK_EVENT = "Which event is this call for?"
CALLOUT_PICK_SHIFTS = "Which shifts? Tap to include or leave out, then tap Next."
CALLOUT_NEED_SHIFT = "Please pick at least one shift."
NEXT = "Next »"
SEND_NOW = "Send now"
SEND_URGENT = "🚨 Send now, urgent"
SEND_LATER = "Send later"
CALLOUT_LINE = "Add a line from you at the end? Type it, or tap Skip."
CALLOUT_LINE_TOO_LONG = "Please keep your line to 300 characters or fewer, or tap Skip."
CALLOUT_WHEN = "When should it go out? For example “Fri 27 Nov 18:00” or “tomorrow 18:00”."
CALLOUT_WHEN_BAD = (
    "I couldn't read that. Try a day and a time, like “Fri 27 Nov 18:00” or “tomorrow 18:00”."
)
CALLOUT_WHEN_PAST = (
    "That time has passed or is after the shifts start. Please pick a time before them."
)
CALLOUT_CANCELLED = "OK, no call was sent."
CALLOUT_DRAFT_GONE = "That call is no longer here. Send /callout to start again."
CALLOUT_NOBODY = (
    "Nobody matches those choices yet, so there's no one to send to. Try fewer filters."
)


def callout_event_label(event: Event, first: Shift, zone: ZoneInfo) -> str:
    return f"{timefmt.day(first.starts_at, zone)} · {event.title}"[:60]


def callout_audience(count: int, described: list[str]) -> str:
    who = "; ".join(described) if described else "everyone who can be reached"
    people = "volunteer" if count == 1 else "volunteers"
    return (
        f"<b>Who should get it?</b> Tap to add or remove a filter.\n"
        f"Now: {who}.\n"
        f"This call would reach <b>{count:,}</b> {people}. Paused, unreachable and "
        "already-answered volunteers are always left out."
    )


def callout_ready(count: int, paid_stars: float | None = None) -> str:
    """``paid_stars``: what sending it urgent costs, where urgent calls go as paid broadcasts."""
    people = "volunteer" if count == 1 else "volunteers"
    text = f"Ready to send to <b>{count:,}</b> {people}. Send it now, or at a time you choose?"
    urgent = "An urgent call goes out ahead of other calls and reminders."
    if paid_stars is not None:
        urgent = (
            "An urgent call goes out as a paid broadcast, up to 1,000 messages a second. "
            f"It costs <b>{paid_stars:,.1f} Stars</b> (0.1 a message) from the bot's balance."
        )
    return f"{text}\n\n{urgent}"


def callout_started(count: int) -> str:
    if count == 0:
        return CALLOUT_NOBODY
    people = "volunteer" if count == 1 else "volunteers"
    return f"📣 Sending your call to {count:,} {people}. I'll update this as it goes."


def callout_scheduled(at: datetime, zone: ZoneInfo) -> str:
    return (
        f"⏰ Scheduled for {timefmt.day_and_time(at, zone)}. I'll work out who to send it to then, "
        "so anyone who answers or pauses before it goes is left out."
    )


# --- Reminders, check-in, debrief (scheduled work) ---------------------------------------------

STILL_COMING_YES = "Yes, see you there"
STILL_COMING_NO = "Can't make it now"
SEE_YOU = "Brilliant, see you there! 👋"
IM_HERE = "I'm here"
RUNNING_LATE = "Running late"
CANT_COME = "Can't come"
CHECKED_IN = "Thanks, you're checked in. Have a great session! 🙌"
ALREADY_CHECKED_IN = "You're already checked in. Thank you!"
CHECKED_IN_LINE = "✅ You're checked in."
LATE_NOTED = "No problem, I've told the organiser you're on your way."
CANT_COME_NOTED = "Thanks for letting us know. I hope all's well."
NOTHING_TO_CHECK_IN = (
    "I can't see a session starting or running near now. If you're at one, tap “I'm here” on "
    "the message I sent at the start, or share your location."
)
TOO_FAR_TO_CHECK_IN = (
    "You don't seem to be at a session's meeting point yet. Try again when you're there, or tap "
    "“I'm here” on the check-in message."
)
WHICH_SESSION = "Which session are you at?"
DEBRIEF_NOTE = (
    "Thank you! Anything to report (a problem, a good conversation)? Type it, or tap Skip."
)
DEBRIEF_THANKS = "Thanks, that's all saved. See you next time! 🌹"
DEBRIEF_NUMBER = "Please type the number of doors as a number, like 25, or tap a button."
DOORS_BUTTONS = (0, 10, 25, 50, 100)


# --- Knock-up rounds from a committee room (polling day) ------------------------------------------

OUT_ON_ROUND = "Out on a round"
BACK_FROM_ROUND = "Back"
ADD_NOTE = "Add a note"
NOTHING_TO_REPORT = "Nothing to report"
ROOM_CHECKED_IN = (
    "Thanks, you're checked in. Have a great session! 🙌\n"
    "When you head out knocking, tap “Out on a round”, and “Back” when you return."
)
ROUND_DOORS_QUESTION = (
    "Welcome back! 👋 How many doors did you knock on this round? Tap a number or type it."
)
ROUND_DOORS_NUMBER = (
    "Please type the doors you knocked on this round as a number, like 25, or tap a button."
)
ROUND_REFUSED = {
    Refused.NOT_A_ROOM: "Rounds are for polling-day committee rooms, so there's nothing to do.",
    Refused.NOT_HERE: (
        "Please check in first: tap “I'm here” or send /here when you're at the committee room."
    ),
    Refused.OVER: "That session has finished, so no new rounds. Thank you for all you did!",
    Refused.ALREADY_OUT: (
        "You're already out on a round. Tap “Back” (or type back) when you return."
    ),
    Refused.NOT_OUT: (
        "You're not out on a round just now. Tap “Out on a round” when you head out."
    ),
    Refused.UNKNOWN: EXPIRED_BUTTON,
    Refused.STILL_OUT: "You're still out on that round. Tap “Back” when you return.",
    Refused.ALREADY_SAID: "I've already got the doors for that round. Thank you!",
    Refused.TOO_MANY: (
        "That's more doors than one round could take. Please type the number again, like 25."
    ),
}


def rounds_so_far(so_far: RoundTally) -> str:
    return f"{plural(so_far.rounds, 'round')}, {plural(so_far.doors, 'door')}"


def round_out(number: int) -> str:
    return f"🚪 Off you go: round {number}. Tap “Back” (or type back) when you return."


def round_noted(so_far: RoundTally) -> str:
    return (
        f"✅ Thanks! {rounds_so_far(so_far)} so far. Tap “Out on a round” when you head out "
        "again."
    )


def round_noted_after(so_far: RoundTally) -> str:
    """The doors of a round that ended after the session did."""
    return (
        f"✅ Thanks! {rounds_so_far(so_far)} today. The session has finished: anything to report?"
    )


def room_checked_in(so_far: RoundTally, out: bool) -> str:
    """Checking in again at a committee room, rounds under way."""
    if out:
        return f"{ALREADY_CHECKED_IN} You're out on a round: tap “Back” when you return."
    if so_far.rounds:
        return f"{ALREADY_CHECKED_IN} {rounds_so_far(so_far)} so far."
    return ALREADY_CHECKED_IN


def room_debrief(event: Event, so_far: RoundTally) -> str:
    """The end of a committee room's shift, for those whose rounds counted the doors."""
    return (
        f"Thanks for helping at {esc(event.title)}! 🙏 {rounds_so_far(so_far)}. "
        "Anything to report?"
    )


def still_out_debrief(event: Event) -> str:
    return (
        f"{esc(event.title)} has finished, and you're still out on a round. Tap “Back” when "
        "you return, to say how many doors you knocked."
    )


def reminder_ahead(shift: Shift, event: Event, zone: ZoneInfo) -> str:
    when = timefmt.span(shift.starts_at, shift.ends_at, zone)
    return (
        f"⏰ <b>Reminder:</b> you're down for {when}, {esc(event.title)}, "
        f"meeting at {meeting_point(event)}.\nStill coming?"
    )


def reminder_soon(shift: Shift, event: Event, zone: ZoneInfo) -> str:
    note = f"\n<i>{esc(shift.note)}</i>" if shift.note else ""
    return (
        f"👋 See you soon! {esc(event.title)} starts at "
        f"{shift.starts_at.astimezone(zone):%H:%M}. Meet at {meeting_point(event)}.{note}\n"
        "When you arrive, tap “I'm here” on my next message, or send /here."
    )


def checkin_prompt(shift: Shift, event: Event, zone: ZoneInfo) -> str:
    when = timefmt.span(shift.starts_at, shift.ends_at, zone)
    return f"📍 {esc(event.title)} is starting ({when}). Are you there?"


def debrief_prompt(event: Event) -> str:
    return f"Thanks for coming to {esc(event.title)}! 🙏 How many doors did you knock?"


def doors_noted(doors: int) -> str:
    return f"✅ Doors knocked: {doors:,}"


def chaser(event: Event, deadline: datetime, zone: ZoneInfo) -> str:
    return (
        f"Just checking: can you help with {esc(event.title)}? We'd love to know by "
        f"{timefmt.day_and_time(deadline, zone)}, so we can plan. One tap below answers."
    )


def late_for_organiser(name: str, shift: Shift, event: Event, zone: ZoneInfo) -> str:
    return (
        f"🕒 {esc(name)} is running late for {esc(event.title)} "
        f"({timefmt.span(shift.starts_at, shift.ends_at, zone)})."
    )


def names_list(names: Sequence[str]) -> str:
    return ", ".join(esc(n) for n in names) if names else "none"


def turnout_figures(figures: reports.Turnout) -> str:
    """The one wording of a shift's turnout, in every report: said going, of them came,
    walk-ins, running late, then no-shows (or, before the end, those not here yet)."""
    last = (
        f"no-shows {figures.no_shows:,}" if figures.over else f"not here yet {figures.not_here:,}"
    )
    return (
        f"said going {figures.said_going:,}, of them came {figures.came:,}, "
        f"walk-ins {figures.walk_ins:,}, running late {figures.running_late:,}, {last}"
    )


def _names_by_figure(named: reports.Named, *, counted: bool = False) -> str:
    """Who is behind each figure after "said going", one line each ("Walk-ins: 1 - Zoe" on the
    roster, whose lines are counted, "Walk-ins: Zoe" in reports, whose figures come first)."""
    lines = [
        ("Of them came", named.came),
        ("Walk-ins", named.walk_ins),
        ("Running late", named.running_late),
        ("No-shows" if named.figures.over else "Not here yet", named.not_here),
    ]
    if counted:
        return "\n".join(
            f"{label}: {len(names)}" + (f" - {names_list(names)}" if names else "")
            for label, names in lines
        )
    return "\n".join(f"{label}: {names_list(names)}" for label, names in lines)


def turnout_report(shift: Shift, event: Event, zone: ZoneInfo, named: reports.Named) -> str:
    figures = turnout_figures(named.figures)
    return (
        f"📋 <b>{timefmt.day_and_time(shift.starts_at, zone)} {esc(event.title)}</b>: "
        f"{figures[0].upper()}{figures[1:]}.\n"
        f"{_names_by_figure(named)}\n"
        "Correct anyone with /roster."
    )


def final_report(
    shift: Shift, event: Event, zone: ZoneInfo, named: reports.Named, doors: int
) -> str:
    when = timefmt.span(shift.starts_at, shift.ends_at, zone)
    figures = turnout_figures(named.figures)
    return (
        f"✅ <b>Final: {when} {esc(event.title)}</b>\n"
        f"{figures[0].upper()}{figures[1:]}. Doors knocked: {doors:,}.\n"
        f"No-shows: {names_list(named.not_here)}"
    )


def digest(
    day_label: str,
    yesterday: Sequence[tuple[str, reports.Turnout, int]],
    coming: Sequence[tuple[str, int, int]],
) -> str:
    """The coordinators' morning note: yesterday's turnout and the next 7 days' staffing."""
    lines = [f"☀️ <b>Good morning! Muster digest for {day_label}</b>", "", "<b>Yesterday</b>"]
    lines += [
        f"• {esc(name)}: {turnout_figures(figures)}, {doors:,} doors"
        for name, figures, doors in yesterday
    ] or ["• No sessions."]
    lines += ["", "<b>Next 7 days</b>"]
    lines += [
        f"• {esc(name)}: {going} of {capacity} places filled" + (" ⚠️" if going < capacity else "")
        for name, going, capacity in coming
    ] or ["• Nothing planned yet. /newevent sets one up."]
    return "\n".join(lines)


def close_report(
    event: Event, rows: Sequence[tuple[Shift, dict[str, int]]], no_reply: int, zone: ZoneInfo
) -> str:
    lines = [f"📊 <b>Answers are in for {esc(event.title)}</b> (no reply: {no_reply})"]
    for shift, counts in rows:
        going = counts.get(RsvpStatus.GOING, 0)
        line = (
            f"{timefmt.span(shift.starts_at, shift.ends_at, zone)}: {going} going, "
            f"{counts.get('maybe', 0)} maybe, {counts.get('waitlisted', 0)} waitlisted"
        )
        if going < shift.capacity:
            line += f" ⚠️ {shift.capacity - going} short"
        lines.append(line)
    return "\n".join(lines)


def estimate(value: float) -> str:
    """A figure worked out from rates (expected helpers), as computed: one decimal below 10,
    whole above, "less than 1" for a fraction of a person, and never rounded up, so "1 expected
    of the 1 needed" can only mean there is no shortage."""
    if value <= 0:
        return "0"
    if value < 1:
        return "less than 1"
    if value < 10:
        tenths = math.floor(value * 10 + 1e-9)
        return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return f"{math.floor(value + 1e-9):,}"


def forecast_warning(
    shift: Shift, event: Event, zone: ZoneInfo, expected: float, needed: int
) -> str:
    likely = estimate(expected)
    return (
        f"⚠️ <b>{timefmt.span(shift.starts_at, shift.ends_at, zone)} {esc(event.title)}</b> may be "
        f"short: {likely} expected of the {needed} needed, from past turnout. "
        "Send a top-up call to the best standby volunteers?"
    )


TOP_UP = "Send a top-up call"
TOP_UP_LINE = "We're a few people short for this one. Could you help?"
TOP_UP_NOBODY = (
    "There's nobody free then who hasn't been asked in the last few days. Try /callout with "
    "fewer filters."
)

SESSION_OVER = "That session has finished. Thank you all the same!"
NOTE_TOO_LONG = "Please keep it to 500 characters or fewer, or tap Skip."
CORRECT_ATTENDANCE = "Correct attendance"
CORRECT_HELP = "Tap someone to switch them between came ✅ and didn't come ❌."


def attendance_button(name: str, came: bool) -> str:
    return f"{'✅' if came else '❌'} {name}"[:60]


# --- Reports: /summary, /turnout, /export, /chart, /leaderboard ---


def _report_day(day: date, today: date) -> str:
    label = f"{day:%a} {day.day} {day:%b}"
    return label if day.year == today.year else f"{label} {day.year}"


def period_label(period: Period, today: date) -> str:
    """How a report names its period: "the last 7 days (Wed 18 Nov - Tue 24 Nov)"."""
    first, last = _report_day(period.first, today), _report_day(period.last, today)
    span = first if period.first == period.last else f"{first} - {last}"
    if period.kind == reports.ONE_DAY:
        return span
    if period.kind == reports.LAST_DAYS:
        name = "today" if period.days == 1 else f"the last {period.days} days"
    else:
        name = period.kind  # today, yesterday, this week, last week, this month, last month
    return f"{name} ({span})"


def report_scope(area: str | None, areas: Iterable[str] | None) -> str:
    if area is not None:
        return f"Area: {esc(area)}"
    if areas is None:
        return "All areas"
    mine = sorted(areas, key=str.casefold)
    return f"{'Your area' if len(mine) == 1 else 'Your areas'}: {esc(', '.join(mine))}"


REPORT_PERIODS = (
    "today, yesterday, this week, last week, this month, last month, a date like 14/3, or a "
    "number of days like 7d or 30d"
)


def report_unknown(words: str, command: str) -> str:
    return (
        f"I don't know a period or an area called “{esc(words)}”. Try a period ({REPORT_PERIODS}), "
        f"an area's name, or both: for example /{command} last week Peckham"
        + (f", or /{command} election for polling day." if command in ELECTION_COMMANDS else ".")
    )


def report_not_your_area(area: str, areas: Iterable[str] | None) -> str:
    return f"Sorry, you can't see reports for {esc(area)}. {report_scope(None, areas)}."


BAD_REPORT_PERIOD = {
    "date": "That date doesn't exist. Try one like 14/3 or 14/03/2026.",
    "days": "Please pick between 1 and 366 days, like 7d or 30d.",
    "weekday": "That weekday isn't on that date. Check which day you meant, like 14/3.",
}


def attendance_rate(percent: int | None) -> str:
    """Came ÷ said going; "n/a" when nobody said going."""
    return "n/a" if percent is None else f"{percent}%"


def summary(period: str, scope: str, totals: Totals, *, within_areas: bool) -> str:
    figures = totals.turnout
    rate = attendance_rate(totals.percent) + (
        " (nobody said going)" if totals.percent is None else " of those who said going came"
    )
    joined = "New sign-ups who answered for a shift here" if within_areas else "New sign-ups"
    return (
        f"📊 <b>Summary for {period}</b>\n"
        f"{scope}\n\n"
        f"Events: {totals.events:,}\n"
        f"Shifts: {totals.shifts:,}\n"
        f"Said going: {figures.said_going:,}\n"
        f"Of them came: {figures.came:,}\n"
        f"Walk-ins: {figures.walk_ins:,}\n"
        f"Running late: {figures.running_late:,}\n"
        f"No-shows: {figures.no_shows:,}\n"
        + (f"Not here yet: {totals.not_here_yet:,}\n" if totals.not_here_yet else "")
        + f"Attendance rate: {rate}\n"
        f"Doors knocked: {totals.doors:,}\n"
        f"{joined}: {totals.sign_ups:,}"
    )


TURNOUT_USAGE = (
    "Which turnout would you like? Send /turnout with words from an event's title, a date or an "
    "area, for example <code>/turnout Saturday doors</code>, <code>/turnout 14/3</code> or "
    "<code>/turnout Peckham</code>."
)


def turnout_none(words: str) -> str:
    return (
        f"I couldn't find any shifts for “{esc(words)}” in the events you can see. Try other words "
        "from the event's title, a date like 14/3, or an area's name."
    )


def turnout_event(title: str, area: str, shift_lines: Sequence[str]) -> str:
    return f"<b>{esc(title)}</b> ({esc(area)})\n" + "\n".join(shift_lines)


def turnout_shift(figures: ShiftFigures, zone: ZoneInfo, at: datetime) -> str:
    when = timefmt.span(figures.starts_at, figures.ends_at, zone)
    if figures.starts_at > at:
        return f"• {when}: said going {figures.going:,}, not started yet"
    return f"• {when}: {turnout_figures(figures.turnout)}, doors {figures.doors:,}"


def turnout_more(count: int) -> str:
    return (
        f"…and {plural(count, 'more event')}. Add words from the title or a date to narrow it down."
    )


def export_attendance_caption(period: str, shifts: int) -> str:
    return f"Attendance for {period}: {plural(shifts, 'shift')}, one a row."


def export_no_shifts(period: str) -> str:
    return f"There were no shifts in {period}, so there is no attendance file."


def export_volunteers_caption(count: int) -> str:
    return (
        f"{plural(count, 'volunteer')} with their consent. This file holds personal details: "
        "keep it safe, share it only with people who need it, and delete it when you're done."
    )


CHART_GOING = "Said going"
CHART_CAME = "Came (walk-ins too)"
CHART_AXIS = "Volunteers"
CHART_WEEK = "w/c"


def chart_title(period: str) -> str:
    return f"Going vs came, {period}"


def chart_caption(period: str, scope: str) -> str:
    return f"📈 Going vs came for {period}. {scope}."


def chart_nothing(period: str) -> str:
    return (
        f"There's nothing to draw for {period}: no shifts had anyone going or coming. Try a "
        "longer period, like /chart 30d."
    )


A_VOLUNTEER = "A volunteer"


def leaderboard(period: str, scope: str, lines: Sequence[LeaderLine]) -> str:
    rows = [
        f"{place}. {esc(line.name) if line.name else A_VOLUNTEER}: "
        f"{plural(line.shifts, 'shift')}, {plural(line.doors, 'door')}"
        for place, line in enumerate(lines, start=1)
    ]
    return (
        f"🏆 <b>Leaderboard for {period}</b>\n{scope}\n\n"
        + "\n".join(rows)
        + "\n\nNames show only for volunteers who chose it with /showme."
    )


def leaderboard_nothing(period: str) -> str:
    return f"Nobody has come to a shift or knocked a door in {period} yet."


SHOWN_ON_LEADERBOARD = (
    "🏆 Your name will now show on the leaderboard organisers see. Send /hideme to hide it again."
)
HIDDEN_FROM_LEADERBOARD = (
    "Your name is hidden from the leaderboard: you'll show as “A volunteer”. Send /showme to "
    "show it."
)


# --- The bot's own health (/status, ERROR_CHAT_ID) ---------------------------------------------


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _size(size_bytes: int) -> str:
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} KB"
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def status(
    *,
    version: str,
    up_seconds: float,
    engine: str,
    size_bytes: int,
    waiting: int,
    sending: int,
    failed: int,
    last_pass: tuple[datetime, datetime] | None,
    last_429: tuple[datetime, float] | None,
    volunteers: tuple[int, int, int],
    zone: ZoneInfo,
) -> str:
    if last_pass is None:
        scheduler = "has not run yet"
    else:
        began, ended = last_pass
        took = (ended - began).total_seconds()
        scheduler = f"last ran {timefmt.day_and_time(began, zone)}, took {took:.1f} s"
    if last_429 is None:
        slow_down = "none since it started"
    else:
        told_at, wait = last_429
        slow_down = f"{timefmt.day_and_time(told_at, zone)}, waited {wait:.0f} s"
    active, paused, unreachable = volunteers
    return (
        f"<b>Muster {esc(version)}</b>, up {_duration(up_seconds)}\n"
        f"Database: {esc(engine)}, {_size(size_bytes)}\n"
        f"Outbox: {waiting} waiting, {sending} sending, {failed} failed in the last 24 hours\n"
        f"Scheduler: {scheduler}\n"
        f"Telegram's last 'too many requests': {slow_down}\n"
        f"Volunteers: {active} active, {paused} paused, {unreachable} unreachable"
    )


def error_report(error: str, handler: str, update_id: int | None) -> str:
    """For ERROR_CHAT_ID: what failed and where, never what anyone sent or who they are."""
    update = f"update {update_id}" if update_id is not None else "no update"
    return (
        f"⚠️ Muster hit an error: {esc(error)} in {esc(handler)} ({update}). "
        "The log has the traceback."
    )


# --- Polling day: elections, pledges, countdown ------------------------------------------------


def election_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b} {day.year}"


def polling_hours(opens: time, closes: time) -> str:
    return f"{opens:%H:%M}-{closes:%H:%M}"


def election_line(election: Election) -> str:
    return (
        f"🗳 <b>{esc(election.name)}</b>: {election_day(election.day)}, polls "
        f"{polling_hours(election.opens, election.closes)} · {esc(', '.join(election.areas))}"
    )


ELECTIONS_NONE = "No elections yet. Tap “New election” to set one up."
NEW_ELECTION = "➕ New election"
EDIT_ELECTION = "✏️ {name}"
ELECTION_ASK_NAME = "What is the election called? (e.g. “Peckham by-election”)"
ELECTION_ASK_DAY = "What date is polling day? (e.g. 6/5/2027 or Thu 6 May)"
ELECTION_ASK_HOURS = (
    "Polling hours? Tap the usual ones, or type them (e.g. 07:00-22:00)."
)
ELECTION_ASK_AREAS = (
    "Which areas does it cover? Type them with commas between (e.g. Peckham, Camberwell)."
)
ELECTION_ASK_AREAS_OF = (
    "Which areas does it cover? Yours are: {areas}. Type them with commas between."
)
ELECTION_BAD = {
    "name": "Please type a name of up to 80 characters.",
    "day": "I couldn't read that date. Please type it like 6/5/2027 or Thu 6 May.",
    "past": "That date has passed. Please type a date still to come.",
    "hours": "Please type the hours like 07:00-22:00, closing after opening.",
    "areas": "Please type between 1 and 20 areas, each up to 64 characters, with commas between.",
    "not_your_area": "You can only set up elections for your own areas: {areas}.",
    "same_day": "{area} already has an election on that day. Edit that one with /election.",
}
ELECTION_FIELDS = {
    "name": "Name",
    "day": "Date",
    "hours": "Polling hours",
    "areas": "Areas",
    "rooms": "Committee rooms",
}
ELECTION_DONE = "Done ✔"
ELECTION_CANCELLED = "OK, nothing more was changed."
ELECTION_GONE = (
    "That election is no longer there, or no longer yours. Send /election to start again."
)
ELECTION_STALE = "That's no longer open. Send /election to start again."


def election_saved(election: Election, new: bool) -> str:
    head = "✅ Election set up." if new else "✅ Saved."
    return (
        f"{head}\n{election_line(election)}\n\nCommittee rooms are events of the kind "
        "“Polling-day committee room” on that date in one of its areas: add them with /newevent "
        "or a CSV file. Send /pledgecall to ask volunteers to pledge."
    )


def election_edit_menu(election: Election) -> str:
    return f"{election_line(election)}\n\nWhat would you like to change?"


def rooms_list(
    election: Election, rooms: Sequence[tuple[Event, Sequence[Shift], str | None]]
) -> str:
    if not rooms:
        return (
            f"{esc(election.name)} has no committee rooms yet. Add events of the kind "
            f"“Polling-day committee room” on {election_day(election.day)} with /newevent."
        )
    lines = [f"<b>Committee rooms: {esc(election.name)}</b>"]
    for event, shifts, manager in rooms:
        target = event.min_helpers
        lines.append(
            f"• {esc(event.title)} ({esc(event.area)}), {len(shifts)} shift(s) · manager: "
            f"{esc(manager) if manager else 'the area organisers'} · target: "
            f"{f'{target} per shift' if target else 'none'}"
        )
    lines.append("\nTap a room to set its manager or target.")
    return "\n".join(lines)


ROOM_MANAGER = "👤 Manager: {title}"
ROOM_TARGET = "🎯 Target: {title}"
ROOM_ASK_MANAGER = (
    "Who manages {title}? Send their @username or Telegram id (an organiser of {area}), "
    "or “none” for the area's organisers."
)
ROOM_ASK_TARGET = "How many helpers should {title} have on each shift? Send a number, or “none”."
ROOM_BAD = {
    "who": "I don't know anyone by that name who's signed up. Check the @username and try again.",
    "not_organiser": (
        "{who} isn't an organiser of this room's area. Give them the role with /grant first."
    ),
    "target": "Please send a number from 1 to 1000, or “none”.",
}
ROOM_SAVED = "Saved. ✔"

# Pledges

PART_LABELS = {
    Part.MORNING: "Morning",
    Part.AFTERNOON: "Afternoon",
    Part.EVENING: "Evening",
}
ALL_DAY_LABEL = "All day"
PLEDGE_DONE = "Done ✔"


def parts_words(parts: Iterable[str], opens: time, closes: time) -> str:
    chosen = in_order(parts)
    if len(chosen) == len(PARTS):
        return f"all day ({polling_hours(opens, closes)})"
    return ", ".join(
        f"{PART_LABELS[p].lower()} ({polling_hours(*part_span(p, opens, closes))})"
        for p in chosen
    )


def pledge_question(election: Election, parts: Iterable[str] = ()) -> str:
    held = list(parts)
    now = (
        f"\n\nYou've pledged: {parts_words(held, election.opens, election.closes)}. Change it "
        "below, or untick everything and tap Done to withdraw."
        if held
        else ""
    )
    return (
        f"🗳 <b>Can you take polling day off?</b>\n{esc(election.name)}: "
        f"{election_day(election.day)}, polls open "
        f"{polling_hours(election.opens, election.closes)}."
        "\n\nEvery pair of hands on the day knocks up voters who would otherwise stay at home. "
        "Tap the parts of the day you can give (or type them, e.g. “morning and evening”), "
        f"then Done.{now}"
    )


def pledge_saved(election: Election, parts: Iterable[str], changed: bool) -> str:
    words = parts_words(parts, election.opens, election.closes)
    head = "✅ Pledge changed" if changed else "🙌 Thank you for pledging"
    return (
        f"{head}: {esc(election.name)}, {election_day(election.day)}, {words}.\n"
        "I'll be in touch a week before, the day before and on the morning. /myshifts shows "
        "your pledge; /pledge changes it."
    )


def pledge_withdrawn(election: Election) -> str:
    return f"Your pledge for {esc(election.name)} is withdrawn. Thanks for letting us know."


PLEDGE_PICK_ONE = "Please tick at least one part of the day, then tap Done."
PLEDGE_NOTHING = "You hadn't pledged, so there's nothing to withdraw. Tick a part of the day first."
PLEDGE_CLOSED = "Polling day for that election has passed, so it can't take pledges any more."
PLEDGE_NO_ELECTION = "There's no election coming up to pledge for yet. I'll ask when there is."
PLEDGE_WHICH = "Which election would you like to pledge for?"
PLEDGE_WHICH_TYPED = "Which election is that for? Tap one, then the parts of the day."


def my_pledge(election: Election, parts: Iterable[str]) -> str:
    return (
        f"🗳 <b>Polling day pledge</b>: {esc(election.name)}, {election_day(election.day)}: "
        f"{parts_words(parts, election.opens, election.closes)}. /pledge changes it."
    )


PLEDGECALL_NONE = (
    "There's no election coming up in your areas. A coordinator sets one up with /election."
)
PLEDGECALL_PICK = "Which election is the pledge call for?"
PLEDGECALL_SEND = "📣 Send now"
PLEDGECALL_CANCEL = "Cancel"
PLEDGECALL_CANCELLED = "OK, the pledge call was not sent."


def pledgecall_ready(election: Election, reaches: int, areas: Sequence[str]) -> str:
    return (
        f"This pledge call for {esc(election.name)} reaches <b>{reaches}</b> volunteer(s) in "
        f"{esc(', '.join(areas))} who haven't pledged yet: those who came to a session there "
        "before or live within 15 km of one of its events. Above is exactly what they get. Send it?"
    )


def pledgecall_sent(reaches: int) -> str:
    if not reaches:
        return "Nobody new to ask: everyone it would reach has pledged or can't be called."
    return f"📣 Pledge call on its way to {reaches} volunteer(s). /pledges shows who pledged."


PLEDGES_NONE = "There's no election in your areas yet. A coordinator sets one up with /election."


def pledges_view(
    election: Election,
    figures: Sequence[AreaPledges],
    short_rooms: Sequence[tuple[Event, Shift, int]],
    zone: ZoneInfo,
) -> str:
    lines = [election_line(election), "", "<b>Pledges</b> (pledged / rooms want)"]
    for area in figures:
        cells = " · ".join(
            f"{PART_LABELS[p].lower()} {area.pledged[p]}/{area.wanted[p]}"
            + (" ⚠️" if p in area.short() else "")
            for p in PARTS
        )
        lines.append(f"• {esc(area.area or 'Not placed in an area')}: {cells}")
    if short_rooms:
        lines += ["", "<b>Rooms short of helpers</b> (going / target)"]
        lines += [
            f"• {esc(event.title)}: {timefmt.span(shift.starts_at, shift.ends_at, zone)} "
            f"{shift.going}/{want}"
            for event, shift, want in short_rooms
        ]
    else:
        lines += ["", "No room is short of helpers yet."]
    return "\n".join(lines)


# Countdown


def _room_lines(
    room: tuple[Event, Shift] | None,
    links: Sequence[tuple[str, str]],
    zone: ZoneInfo,
    offer: str | None,
) -> str:
    if offer is not None:
        return f"\n\nYou haven't a committee room yet.\n{offer}"
    if room is not None:
        event, shift = room
        bring = esc(shift.note) if shift.note else WHAT_TO_BRING
        return (
            f"\n\nYour committee room: <b>{esc(event.title)}</b>, {meeting_point(event)}. "
            f"Your shift: {shift.starts_at.astimezone(zone):%H:%M}-"
            f"{timefmt.until(shift.starts_at, shift.ends_at, zone)}.\nBring: {bring}"
        )
    if not links:
        return (
            "\n\nYou haven't a committee room yet: the organisers will be in touch as rooms are "
            "set up."
        )
    rooms = "\n".join(f"• <a href=\"{link}\">{esc(title)}</a>" for title, link in links)
    return (
        "\n\nYou haven't a committee room yet. These need helpers: tap one to pick a shift.\n"
        + rooms
    )


WHAT_TO_BRING = "a charged phone, water, a snack and comfortable shoes."


def countdown(
    which: str,
    election: Election,
    parts: Iterable[str],
    room: tuple[Event, Shift] | None,
    links: Sequence[tuple[str, str]],
    zone: ZoneInfo,
    offer: str | None = None,
) -> str:
    """A countdown message: what they pledged, and their room, the room offered to them
    (``offer``, bot.texts.room_offer) or the rooms to pick from."""
    words = parts_words(parts, election.opens, election.closes)
    head = {
        "week": f"🗳 <b>Polling day is a week away</b>: {election_day(election.day)}.",
        "eve": f"🗳 <b>Tomorrow is polling day</b>: {esc(election.name)}.",
        "morning": (
            f"🗳 <b>It's polling day!</b> Polls open at {election.opens:%H:%M} and close at "
            f"{election.closes:%H:%M}."
        ),
    }[which]
    return f"{head}\nYou pledged: {words}. Thank you!{_room_lines(room, links, zone, offer)}"


# Room offers

OFFER_YES = "✅ Yes"
OFFER_ANOTHER = "Another room"
OFFER_NOT_SURE = "Not sure yet"
OFFER_LATER = (
    "No problem. I'll ask again nearer the day; /pledge changes the parts of the day you "
    "pledged."
)
OFFER_LAPSED = "That offer has lapsed. /pledge shows your pledge; a new offer follows it."
OFFER_NOTHING_OPEN = (
    "That room has nothing open for your part of the day any more. Tap Another room."
)
OFFER_NONE_LEFT = (
    "That was every committee room near you with places for the part of the day you "
    "pledged. I'll ask again nearer the day."
)


def room_offer(
    event: Event,
    shifts: Sequence[Shift],
    still_wanted: int,
    places_left: int,
    why: Why,
    zone: ZoneInfo,
) -> str:
    """ "Peckham committee room needs 12 more from 07:00: can you be there?", then the day and
    its shifts, where it meets and how far it is."""
    starts = shifts[0].starts_at.astimezone(zone)
    need = (
        f"needs {still_wanted} more"
        if still_wanted
        else f"has places for {places_left} more"
    )
    times = ", ".join(
        f"{s.starts_at.astimezone(zone):%H:%M}-{timefmt.until(s.starts_at, s.ends_at, zone)}"
        for s in shifts
    )
    return (
        f"🏠 <b>{esc(event.title)}</b> {need} from {starts:%H:%M}: can you be there?\n"
        f"{timefmt.day(starts, zone)}: {times} · {meeting_point(event)} · "
        f"{_km(why.km, why.approximate)} from you"
    )


def offer_taken(
    event: Event, taken: Sequence[tuple[Shift, str, int | None]], zone: ZoneInfo
) -> str:
    """Yes to a room offer: each shift and what the answer came to."""
    lines = [f"✅ <b>{esc(event.title)}</b>: thank you!"]
    for shift, status, position in taken:
        when = timefmt.span(shift.starts_at, shift.ends_at, zone)
        if status == RsvpStatus.WAITLISTED:
            lines.append(f"• {when}: full, you're {ordinal(position or 1)} on the waitlist")
        else:
            lines.append(f"• {when}: you're going")
    lines.append("A calendar file follows, with the meeting point.")
    return "\n".join(lines)


# --- /nearest -------------------------------------------------------------------------------------

NEAREST_ASK_PLACE = (
    "Where should I look from? Tap the button to share your location for this search only "
    "(I won't keep it), or type a postcode."
)
SHARE_LOCATION_ONCE = "📍 Share my location for this search only"
NEAREST_LOOKING = "Thanks, looking around there. I won't keep it."
NEAREST_TAP = "Tap one to see its shifts and say you're going."


NEAREST_USAGE = (
    "Send /nearest on its own to look from where you live, or with a postcode to look from "
    "there, like /nearest SE15 4QR."
)


def nearest_argument_unknown(postcode: str) -> str:
    return (
        f"I can't find {esc(postcode)} on the map. Try another postcode, like /nearest SE15 4QR, "
        "or send /nearest on its own."
    )


def nearest_postcode_unknown(postcode: str) -> str:
    return (
        f"I can't find {esc(postcode)} on the map. Type another postcode, or share your "
        "location with the button."
    )


def _km(km: float, approximate: bool) -> str:
    if approximate:
        return f"about {max(round(km), 1)} km"
    return "under 1 km" if km < 1 else f"{km:.0f} km"


def _places(why: Why) -> str:
    if why.full:
        return "full: waitlist only"
    return f"{why.places_left} place{'' if why.places_left == 1 else 's'} left"


def nearest_target(why: Why) -> str | None:
    """ "target seat, priority 1, 10 more helpers wanted that day", or None for no target."""
    if why.priority is None:
        return None
    line = f"target {esc(why.target_kind)}, priority {why.priority}"
    if why.day is DayNeed.SHORT:
        more = why.helpers_short
        line += f", {more} more helper{'' if more == 1 else 's'} wanted that day"
    elif why.day is DayNeed.MET:
        line += ", has the helpers it wants that day"
    elif why.day is DayNeed.WELL_ABOVE:
        line += ", plenty of helpers that day"
    return line


def nearest_line(title: str, starts_at: datetime, why: Why, zone: ZoneInfo) -> str:
    """ "Battersea · target seat, priority 1 · Sat 28 Nov, 10:00, 12 places left · 6 km"."""
    parts = [f"<b>{esc(title)}</b>"]
    target = nearest_target(why)
    if target:
        parts.append(target)
    parts.append(f"{timefmt.day_and_time(starts_at, zone)}, {_places(why)}")
    parts.append(_km(why.km, why.approximate))
    return " · ".join(parts)


def nearest_found(lines: Sequence[str], days: int, reach_km: float) -> str:
    numbered = "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))
    return (
        f"<b>Where you're needed</b> (next {days} days, within {reach_km:g} km; most needed and "
        f"nearest first)\n\n{numbered}\n\n{NEAREST_TAP}"
    )


def nearest_button(number: int, title: str, starts_at: datetime, zone: ZoneInfo) -> str:
    return f"{number}. {title} · {timefmt.day_and_time(starts_at, zone)}"[:60]


def nearest_nothing(
    targets: Sequence[tuple[str, str, int, str, float, bool]], days: int, reach_km: float
) -> str:
    """Nothing within reach; the nearest targets anyway, each as (name, kind, priority, why, km,
    approximate)."""
    text = f"Nothing in the next {days} days within {reach_km:g} km of you, sorry."
    if targets:
        text += "\n\nThe nearest targets:\n" + "\n".join(
            f"• <b>{esc(name)}</b> (target {esc(kind)}, priority {priority}) · "
            f"{_km(km, approximate)}: {esc(why)}"
            for name, kind, priority, why, km, approximate in targets
        )
    return text + "\n\nI'll message you when there's a session near you."


# --- The polling-day report (bot.services.closing) ----------------------------------------------

# The reports that take "election" for polling day.
ELECTION_COMMANDS = ("summary", "export")


def _hours(hours: float) -> str:
    return f"{hours:,.1f} h"


def _figures_line(f: Figures) -> str:
    return (
        f"said going {f.said_going:,} · came {f.came:,} · {_hours(f.hours)} given · "
        f"{plural(f.rounds, 'round')} · {f.doors:,} doors"
    )


def _pledged_line(f: Figures, closed: bool) -> str:
    parts = ", ".join(f"{PART_LABELS[part].lower()} {f.by_part.get(part, 0):,}" for part in PARTS)
    came = "came" if closed else "here so far"
    return f"Pledged: {f.pledged or 0:,} ({parts}); {f.pledged_came:,} of them {came}"


# Telegram allows 4,096 characters a message: a long report is sent in parts up to this.
REPORT_PART_LIMIT = 4000


def _in_parts(lines: Sequence[str]) -> list[str]:
    """Lines packed into as few messages as fit, each cut between lines."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + 1 + len(line) > REPORT_PART_LIMIT:
            parts.append("\n".join(current).strip("\n"))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    return [*parts, "\n".join(current).strip("\n")]


def polling_report(found: Report, *, closed: bool) -> list[str]:
    """The polling-day report: in all, per area, per committee room; in as many messages as a
    campaign's rooms need."""
    election, total = found.election, found.total
    heading = "Close of polls" if closed else "Polling day so far"
    lines = [
        f"🗳 <b>{heading}: {esc(election.name)}</b>",
        f"{election_day(election.day)}, polls {polling_hours(election.opens, election.closes)}",
        "",
        _pledged_line(total, closed),
        f"Came: {total.came:,} (said going {total.said_going:,})",
        f"Hours given: {_hours(total.hours)}",
        f"Knock-up rounds: {total.rounds:,}",
        f"Doors knocked: {total.doors:,}",
    ]
    if len(found.areas) > 1:
        lines += ["", "<b>Per area</b>"]
        for area in found.areas:
            lines.append(
                f"• <b>{esc(area.name)}</b>: pledged {area.pledged or 0:,} · {_figures_line(area)}"
            )
    lines += ["", "<b>Per committee room</b>"]
    if not found.rooms:
        lines.append("No committee rooms that day.")
    for room in found.rooms:
        lines.append(f"• <b>{esc(room.name)}</b> ({esc(room.area)}): {_figures_line(room)}")
    return _in_parts(lines)


def polling_chart_title(election: Election, *, closed: bool) -> str:
    return f"{election.name}: said going vs came" + ("" if closed else " (so far)")


def polling_chart_caption(election: Election) -> str:
    return f"📈 Said going vs came on polling day, {esc(election.name)}."


def election_choose(elections: Sequence[Election], name: str, command: str) -> str:
    """The words did not pick one election: say which there are and how to ask for one."""
    if not elections:
        return (
            "There are no elections in your areas yet. A coordinator sets one up with /election. "
            f"For other reports, try /{command} with a period or an area, e.g. "
            f"/{command} last week."
        )
    start = f"I couldn't find an election called “{esc(name)}”." if name else "Which election?"
    listed = "\n".join(f"• {esc(e.name)} ({election_day(e.day)})" for e in elections)
    example = elections[0].name
    return (
        f"{start} Send /{command} election and its name, for example "
        f"<code>/{command} election {esc(example)}</code>. Yours:\n{listed}"
    )


def election_export_caption(election: Election, shifts: int) -> str:
    return (
        f"Polling day, {esc(election.name)}: {plural(shifts, 'committee-room shift')}, one a "
        "row (said going, came, hours given, rounds, doors)."
    )


def election_export_none(election: Election) -> str:
    return (
        f"{esc(election.name)} has no committee-room shifts in your areas, so there is no "
        "polling-day file."
    )
# --- The live board (/board) -----------------------------------------------------------------

BOARD_STOP = "⏹ Stop"
BOARD_NONE = (
    "There's no board for you yet: it shows the committee rooms you manage, or, for a "
    "coordinator, every room of an election coming up. Ask a coordinator to make you a room's "
    "manager with /election."
)
# In a group, to anyone who may not start or stop the board there: nothing about why.
BOARD_GROUP_REFUSED = "Sorry, only a committee room's manager can start the board here."
BOARD_STOPPED = "OK, the board has stopped. Send /board to start it again."
BOARD_ALREADY_STOPPED = "That board has already stopped."
BOARD_REPLACED = "📋 This board has moved to a newer message below."
BOARD_NOT_YOURS = "Only the room's manager or a coordinator can stop this board."


def _board_room(line: RoomLine, zone: ZoneInfo) -> str:
    title = f"<b>{esc(line.title)}</b>"
    if line.short:
        title = f"⚠️ {title}: {line.short} short"
    here = f"In {line.here}"
    if line.wanted:
        here += f" of {line.wanted}"
    here += f" · out on rounds {line.out} · back {line.back}"
    if line.not_arrived:
        here += f" · not arrived {line.not_arrived}"
    ahead = (
        f"Next shift {line.next_starts.astimezone(zone):%H:%M}: {line.expected} expected"
        if line.next_starts is not None
        else "No more shifts today"
    )
    return f"{title}\n{here}\n{ahead} · doors {line.doors}"


def board_body(lines: Sequence[RoomLine], zone: ZoneInfo) -> str:
    """The rooms, short of helpers first (bot.domain.board.ordered): only figures, no names, so
    it may be shown in a group."""
    if not lines:
        return "No committee rooms yet."
    return "\n\n".join(_board_room(line, zone) for line in lines)


def board(
    election: Election, body: str, at: datetime, zone: ZoneInfo, *, every: int, state: str
) -> str:
    """The whole board message: ``state`` live (edited every ``every`` minutes), stopped, or
    closed (polls have closed)."""
    when = f"{at.astimezone(zone):%H:%M}"
    footer = {
        "live": f"Last change {when}, checked every {every} min. Tap Stop to stop.",
        "stopped": f"Stopped at {when}.",
        "closed": f"Polls closed. Last updated {when}.",
    }[state]
    return f"📋 <b>Board: {esc(election.name)}</b>\n\n{body}\n\n<i>{footer}</i>"
# --- /surge --------------------------------------------------------------------------------------

SURGE_NO_ROOMS = (
    "/surge is for a committee room's manager on polling day, and there's no room polling today "
    "that you manage. Coordinators can surge any room in their areas."
)
SURGE_PICK_ROOM = "🚨 Which committee room needs helpers now? Tap it or type its name."
SURGE_BAD_WANTED = "Please tap a number, or type how many helpers you need (1 to 50)."
SURGE_SOON: dict[int, str] = {0: "Now", 30: "In 30 min", 60: "In 1 hour"}
SURGE_ROOM_GONE = (
    "That room isn't polling today, or isn't yours to surge any more. Send /surge again."
)
SURGE_NOT_ON_MAP = (
    "That room has no map pin, so I can't tell who is near it. Add its location with /events, "
    "then send /surge again."
)
SURGE_NO_SHIFT = "That room has no shift left today. Add one with /events, then send /surge again."
SURGE_ALREADY = "A surge is already asking for helpers at that room: watch its count, or stop it."
SURGE_NOT_YOURS = "Only the room's manager or a coordinator can stop this surge."
SURGE_YES = "✅ Yes, I'm coming"
SURGE_CANT = "Can't"
SURGE_GO = "Yes, I'll go there"
SURGE_NO_THANKS = "No thanks"
SURGE_STOP = "🛑 Stop asking"
SURGE_ANSWERED = "You've answered this one already. Thank you!"
SURGE_CANT_THANKS = "No problem, thank you for letting us know."
SURGE_NO_THANKS_REPLY = "No problem. Thank you all the same!"
SURGE_OTHER_GONE = "That room has no shift left today. Thank you all the same!"


def surge_ask_wanted(title: str) -> str:
    return (
        f"How many helpers does <b>{esc(title)}</b> need? Tap a number or type one (1 to 50)."
    )


def surge_ask_soon(title: str, wanted: int) -> str:
    return f"{wanted} for <b>{esc(title)}</b>. How soon do you need them?"


def _surge_when(needed_at: datetime, created_at: datetime, zone: ZoneInfo) -> str:
    if needed_at <= created_at:
        return "now"
    return f"by {needed_at.astimezone(zone):%H:%M}"


def surge_count(
    title: str,
    *,
    wanted: int,
    asked: int,
    coming: int,
    cant: int,
    status: str,
    needed_at: datetime,
    created_at: datetime,
    zone: ZoneInfo,
) -> str:
    """The manager's one message: the count as it climbs, then how it ended."""
    waiting = max(asked - coming - cant, 0)
    lines = [
        f"🚨 Surge for <b>{esc(title)}</b>: {wanted} wanted "
        f"{_surge_when(needed_at, created_at, zone)}",
        f"✅ {coming} of {wanted} coming · ❌ {cant} can't · ⏳ {waiting} not answered yet",
        f"Asked so far: {asked}.",
    ]
    ending = {
        "open": "I ask more people every 10 minutes until enough say yes.",
        "filled": "🎉 That's everyone you asked for. Later yeses go to rooms still short.",
        "stopped": "🛑 Stopped: nobody else will be asked, and later yeses are thanked.",
        "exhausted": "Nobody else near enough is free to ask. Those asked can still say yes.",
    }
    lines.append(ending[status])
    return "\n".join(lines)


def surge_ask(
    event: Event, km: float, approximate: bool, needed_at: datetime, at: datetime, zone: ZoneInfo
) -> str:
    """The urgent question to one person: the room, how far, and can you come."""
    question = (
        "Can you come now?"
        if needed_at <= at
        else f"Can you be there by {needed_at.astimezone(zone):%H:%M}?"
    )
    return (
        f"🚨 <b>{esc(event.title)}</b> urgently needs helpers for the knock-up. {question}\n"
        f"📍 {meeting_point(event)} · {_km(km, approximate)} from you"
    )


def surge_redirect(title: str, other: str, km: float, approximate: bool) -> str:
    return (
        f"Thank you! <b>{esc(title)}</b> has all the helpers it asked for now. "
        f"<b>{esc(other)}</b>, {_km(km, approximate)} from you, is still short: can you go there "
        "instead?"
    )


def surge_filled_thanks(title: str) -> str:
    return (
        f"Thank you! <b>{esc(title)}</b> has all the helpers it asked for now, and no other room "
        "near you is short. No need to come."
    )


def surge_stopped_thanks(title: str) -> str:
    return f"Thank you so much! <b>{esc(title)}</b> has stopped asking: no need to come now."
