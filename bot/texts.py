"""Every word the bot says, in one place. Plain British English, short and kind.

Messages are sent as HTML: anything a person typed goes through :func:`esc` before it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot import timefmt
from bot.events import KINDS
from bot.signup import ACTIVITIES, AVAILABILITY, Step
from db.events import Event, Shift

PRIVACY_NOTICE_VERSION = "2026-11"


def esc(value: object) -> str:
    return escape(str(value), quote=False)


# --- Sign-up -------------------------------------------------------------------------------

WELCOME = (
    "👋 <b>Hello, and thank you for wanting to help!</b>\n\n"
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
CONSENT_YES = "I agree"
CONSENT_NO = "Not now"
CONSENT_DECLINED = "No problem: nothing has been saved. If you change your mind, just send /start."
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
        "with /help."
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
    zone: ZoneInfo,
) -> str:
    if postcode and has_location:
        where = f"{esc(postcode)} (and a shared location)"
    elif postcode:
        where = esc(postcode)
    else:
        where = "shared location" if has_location else "not given"
    if not paused:
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
        f"<b>Shift calls:</b> {calls}"
    )


PROFILE_HEADER = "<b>Your details</b>\n\n"
PROFILE_FOOTER = "\n\nTap a button to change something."
CHANGE = {
    Step.NAME: "Change name",
    Step.LOCATION: "Change where",
    Step.AVAILABILITY: "Change when",
    Step.ACTIVITIES: "Change what",
    Step.PHONE: "Change phone",
}
SAVED = "Saved. ✔"
NOT_SIGNED_UP = "You're not signed up yet. Send /start to sign up: it takes about a minute."
FINISH_SIGNUP_FIRST = "Let's finish signing you up first."

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
UNKNOWN_TEXT = "I'm not sure what you mean. Send /help to see what I can do."
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
    if event.status != "active":
        lines.insert(0, "❌ <b>Cancelled</b>")
    return "\n".join(lines)
