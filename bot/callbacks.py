"""What each button carries: one small frozen dataclass per kind of button.

A button's data is ``<prefix>:<fields>``, the fields joined by the kind's separator, e.g.
``rv:42`` or ``at:42.7``: well under Telegram's 64 bytes, and the layout buttons already sent to
volunteers carry, so they keep working after an upgrade. ``PATTERN`` accepts exactly what
``unpack`` accepts, so a handler registered with it only ever sees well-formed data; whether the
press is still current is for the handler (handlers.common.offered_only) to check.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

from bot.domain.signup import Step
from bot.domain.volunteers import Purpose

# Telegram refuses callback data longer than this, in bytes.
MAX_BYTES = 64

# [0-9], not \d: \d takes other scripts' digits too, and int() would read them.
_INT = r"0|[1-9][0-9]{0,17}"
# Codes defined elsewhere (sign-up options, event kinds): short, and never a separator.
_CODE = r"[a-z0-9_]{1,32}"


@dataclass(frozen=True)
class _Field:
    name: str
    regex: str
    decode: Callable[[str], Any]


def _field(name: str, hint: Any) -> _Field:
    """How a field of type ``hint`` is written and read back."""
    if hint is int:
        return _Field(name, _INT, int)
    if hint is str:
        return _Field(name, _CODE, str)
    if get_origin(hint) is Literal:
        return _Field(name, "|".join(re.escape(value) for value in get_args(hint)), str)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return _Field(name, "|".join(re.escape(member.value) for member in hint), hint)
    raise TypeError(f"callback field {name!r} has a type we cannot pack: {hint!r}")


class CallbackData:
    """The base of every kind of button: ``class Rsvp(CallbackData, prefix="rv")``, made a
    frozen dataclass, gets ``pack``, ``unpack`` and ``PATTERN`` from its fields, which may be
    ``int``, ``str`` (a short code), a ``Literal`` of strings or a ``StrEnum``."""

    PREFIX: ClassVar[str]
    SEP: ClassVar[str]
    PATTERN: ClassVar[re.Pattern[str]]
    _FIELDS: ClassVar[tuple[_Field, ...]]

    def __init_subclass__(cls, *, prefix: str | None = None, sep: str = ":", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is None:  # a kind that lays its data out itself
            return
        hints = get_type_hints(cls)
        cls.PREFIX, cls.SEP = prefix, sep
        cls._FIELDS = tuple(
            _field(name, hints[name])
            for name in inspect.get_annotations(cls)
            if get_origin(hints[name]) is not ClassVar
        )
        body = re.escape(sep).join(f"(?P<{f.name}>{f.regex})" for f in cls._FIELDS)
        cls.PATTERN = re.compile(rf"{re.escape(prefix)}:{body}\Z")

    def pack(self) -> str:
        values = self.SEP.join(str(getattr(self, f.name)) for f in self._FIELDS)
        return _checked(self, f"{self.PREFIX}:{values}")

    @classmethod
    def unpack(cls, data: str | None) -> Self:
        match = _match(cls, data)
        return cls(**{f.name: f.decode(match[f.name]) for f in cls._FIELDS})


def _checked(data: CallbackData, packed: str) -> str:
    """``packed``, once sure ``unpack`` will take it back: a button we could not read would only
    ever say it had expired."""
    if not data.PATTERN.fullmatch(packed) or len(packed.encode()) > MAX_BYTES:
        raise ValueError(f"{data!r} does not pack into callback data")
    return packed


def _match(kind: type[CallbackData], data: str | None) -> re.Match[str]:
    match = kind.PATTERN.fullmatch(data or "")
    if match is None:
        raise ValueError(f"not {kind.__name__} callback data: {data!r:.80}")
    return match


# --- Sign-up, profile, privacy ------------------------------------------------------------------


@dataclass(frozen=True)
class Consent(CallbackData, prefix="consent"):
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class UseName(CallbackData, prefix="name"):
    """Use the name Telegram gave us; "tg" is the one value the button has ever carried."""

    source: Literal["tg"] = "tg"


@dataclass(frozen=True)
class CarryOn(CallbackData, prefix="go"):
    """Carry on with a half-finished sign-up: asks the question it stopped at again."""

    what: Literal["signup"] = "signup"


@dataclass(frozen=True)
class Choice(CallbackData):
    """A sign-up option tapped, or Done: ``av:sat``, ``ac:done``. The prefix says the step."""

    PREFIXES: ClassVar[dict[Step, str]] = {Step.AVAILABILITY: "av", Step.ACTIVITIES: "ac"}
    PATTERN = re.compile(rf"(?P<prefix>{'|'.join(PREFIXES.values())}):(?P<code>{_CODE})\Z")
    DONE: ClassVar[str] = "done"

    step: Step
    code: str  # an option of bot.signup.OPTIONS[step], or DONE

    def pack(self) -> str:
        if self.step not in self.PREFIXES:
            raise ValueError(f"{self.step} has no options to choose")
        return _checked(self, f"{self.PREFIXES[self.step]}:{self.code}")

    @classmethod
    def unpack(cls, data: str | None) -> Self:
        match = _match(cls, data)
        step = next(step for step, prefix in cls.PREFIXES.items() if prefix == match["prefix"])
        return cls(step, match["code"])


@dataclass(frozen=True)
class EditProfile(CallbackData, prefix="edit"):
    step: Step


PauseLength = Literal["week", "month", "open"]


@dataclass(frozen=True)
class Pause(CallbackData, prefix="pause"):
    length: PauseLength


@dataclass(frozen=True)
class Forget(CallbackData, prefix="forget"):
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class ChooseConsent(CallbackData, prefix="cc", sep="."):
    """A choice for an optional purpose in /profile, with the answer it sets (not a flip), so a
    double tap sets it once: ``cc:phone.y``."""

    purpose: Purpose
    answer: Literal["y", "n"]


@dataclass(frozen=True)
class Keep(CallbackData, prefix="keep"):
    """Keep my details, on the retention warning."""

    what: Literal["me"] = "me"


# --- RSVPs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rsvp(CallbackData, prefix="rv"):
    """Going to one shift of a call's card."""

    shift_id: int


@dataclass(frozen=True)
class CantMakeIt(CallbackData, prefix="rx"):
    """Can't make any of the shifts on the card."""

    event_id: int


@dataclass(frozen=True)
class MyShiftChange(CallbackData, prefix="mc"):
    shift_id: int


@dataclass(frozen=True)
class OpenSession(CallbackData, prefix="os"):
    """A session suggested by /nearest: opens its event's RSVP card."""

    shift_id: int


@dataclass(frozen=True)
class MyShiftCancel(CallbackData, prefix="mx"):
    shift_id: int


@dataclass(frozen=True)
class SkipReason(CallbackData, prefix="rs"):
    """Skip giving a reason for a late cancel."""

    what: Literal["skip"] = "skip"


# --- Lifts -------------------------------------------------------------------------------------

# bot.domain.lifts.CHOICES: seats offered, "need" a lift, or "none" (neither).
LiftChoice = Literal["1", "2", "3", "4", "need", "none"]


@dataclass(frozen=True)
class LiftAnswer(CallbackData, prefix="lf", sep="."):
    """An answer to "Can you drive others, or do you need a lift?" for a shift: ``lf:2.42``."""

    choice: LiftChoice
    shift_id: int


@dataclass(frozen=True)
class LiftReply(CallbackData, prefix="lr", sep="."):
    """Agree or No thanks to a suggested lift: ``lr:y.7``."""

    answer: Literal["y", "n"]
    match_id: int


@dataclass(frozen=True)
class LiftAsk(CallbackData, prefix="lq"):
    """Ask the lift question again, from a /myshifts line."""

    shift_id: int


# --- Events: lists, edits, cancellations --------------------------------------------------------

# What an organiser's button under an event does; the number is an event id, a shift id for the
# shift actions (cshift, yes-shift, shift), or where the next page starts for "more".
EventAction = Literal[
    "more",
    "edit",
    "back",
    "cancel",
    "cshift",
    "yes-event",
    "yes-shift",
    "title",
    "place",
    "reminders",
    "shift",
]


@dataclass(frozen=True)
class EventAdmin(CallbackData, prefix="ea"):
    """``ea:cshift:42``."""

    action: EventAction
    number: int


@dataclass(frozen=True)
class RosterMore(CallbackData, prefix="rt"):
    """``rt:5``: /roster's next page, from the sixth event on."""

    offset: int


# --- Organiser flows: /newevent and /callout -----------------------------------------------------


@dataclass(frozen=True)
class Flow(CallbackData, prefix="fl"):
    """Back, Cancel and the other steps of /newevent."""

    choice: Literal["back", "cancel", "skip", "done", "create"]


@dataclass(frozen=True)
class CallFlow(CallbackData, prefix="cf"):
    """The same for /callout, apart so the two conversations never take each other's."""

    choice: Literal["back", "cancel", "next", "filters", "skip", "now", "urgent", "later"]


@dataclass(frozen=True)
class Kind(CallbackData, prefix="nk"):
    code: str  # a key of bot.events.KINDS


@dataclass(frozen=True)
class Area(CallbackData, prefix="na"):
    index: int  # into the organiser's own areas, as listed


@dataclass(frozen=True)
class Reading(CallbackData, prefix="nr"):
    """Which reading of a date or shift /newevent asked about ("Sat 14 Mar" on a Sunday, "10-1")."""

    index: int


@dataclass(frozen=True)
class Preview(CallbackData, prefix="pv"):
    """A button on a preview of a card: pressing it only says it's a preview."""

    index: int


@dataclass(frozen=True)
class CallEvent(CallbackData, prefix="ce"):
    event_id: int


@dataclass(frozen=True)
class CallShift(CallbackData, prefix="cs"):
    shift_id: int


CallFilterKey = Literal["near", "avail", "acts", "came", "quiet", "weekend"]


@dataclass(frozen=True)
class CallFilter(CallbackData, prefix="ca"):
    key: CallFilterKey


@dataclass(frozen=True)
class CallActivity(CallbackData, prefix="cx"):
    code: str  # a key of bot.signup.ACTIVITIES


@dataclass(frozen=True)
class TopUp(CallbackData, prefix="tu"):
    shift_id: int


# --- Reminders, check-in, debrief, attendance ----------------------------------------------------


@dataclass(frozen=True)
class StillComing(CallbackData, prefix="sc", sep="."):
    """``sc:y.42``."""

    answer: Literal["y", "n"]
    shift_id: int


@dataclass(frozen=True)
class CheckIn(CallbackData, prefix="ci", sep="."):
    """Here, running late, or can't come: ``ci:h.42``."""

    action: Literal["h", "l", "x"]
    shift_id: int


@dataclass(frozen=True)
class Doors(CallbackData, prefix="dr", sep="."):
    """How many doors were knocked: ``dr:42.20``."""

    shift_id: int
    count: int


@dataclass(frozen=True)
class SkipNote(CallbackData, prefix="dn"):
    what: Literal["skip"] = "skip"


@dataclass(frozen=True)
class RoundTap(CallbackData, prefix="kr", sep="."):
    """Out on a knock-up round, or back from one, on a committee room's shift: ``kr:o.42``."""

    action: Literal["o", "b"]
    shift_id: int


@dataclass(frozen=True)
class RoundDoors(CallbackData, prefix="kd", sep="."):
    """The doors knocked on one round: ``kd:7.20``."""

    round_id: int
    count: int


@dataclass(frozen=True)
class AddNote(CallbackData, prefix="an"):
    """Anything to report after a committee room's shift whose doors rounds counted."""

    shift_id: int


@dataclass(frozen=True)
class CorrectAttendance(CallbackData, prefix="ab"):
    shift_id: int


@dataclass(frozen=True)
class Mark(CallbackData, prefix="at", sep="."):
    """Flip one volunteer's attendance: ``at:42.7``."""

    shift_id: int
    volunteer_id: int


# --- Polling day ---------------------------------------------------------------------------------

PledgeChoice = Literal["morning", "afternoon", "evening", "all", "done"]


@dataclass(frozen=True)
class PledgePart(CallbackData, prefix="pp", sep="."):
    """A part of polling day ticked or unticked on a pledge question, or Done: ``pp:3.morning``.
    What is ticked is read from the question's own buttons, so nothing waits in memory."""

    election_id: int
    part: PledgeChoice


@dataclass(frozen=True)
class PledgeFor(CallbackData, prefix="pf"):
    """/pledge: which election, when several are coming."""

    election_id: int


@dataclass(frozen=True)
class PledgeCall(CallbackData, prefix="pc", sep="."):
    """/pledgecall: pick an election, send the call, or cancel."""

    action: Literal["pick", "send", "cancel"]
    election_id: int


ElectionAction = Literal[
    "new", "edit", "name", "day", "hours", "areas", "rooms", "usual", "done", "cancel"
]


@dataclass(frozen=True)
class ElectionMenu(CallbackData, prefix="em", sep="."):
    """/election's buttons; the number is an election id where one is meant (0 otherwise)."""

    action: ElectionAction
    number: int


@dataclass(frozen=True)
class RoomSet(CallbackData, prefix="rm", sep="."):
    """/election: set a committee room's manager (m) or target (t)."""

    what: Literal["m", "t"]
    event_id: int


@dataclass(frozen=True)
class RoomOffer(CallbackData, prefix="ro", sep="."):
    """A room offered after a pledge: Yes (y), Another room (a), Not sure yet (n), with the
    offer's id (bot.services.offers): ``ro:y.42``."""

    answer: Literal["y", "a", "n"]
    offer_id: int


@dataclass(frozen=True)
class BoardStop(CallbackData, prefix="bd"):
    """Stop on a live polling-day board, with its election's id: the board itself is found by
    the message it is on (bot.services.board): ``bd:3``."""

    election_id: int


@dataclass(frozen=True)
class SurgeRoom(CallbackData, prefix="sr"):
    """/surge: the committee room that needs helpers now (its event's id)."""

    event_id: int


@dataclass(frozen=True)
class SurgeWanted(CallbackData, prefix="sw", sep="."):
    """/surge: how many helpers the room needs: ``sw:42.5``."""

    event_id: int
    wanted: int


@dataclass(frozen=True)
class SurgeSoon(CallbackData, prefix="sn", sep="."):
    """/surge: how soon, in minutes (bot.domain.surge.SOON_MINUTES): ``sn:42.5.30``."""

    event_id: int
    wanted: int
    minutes: int


@dataclass(frozen=True)
class SurgeAnswer(CallbackData, prefix="sa", sep="."):
    """A surge's ask: Yes (y) or Can't (n); to the other room a late yes is sent to, Yes (g) or
    No thanks (x); with the ask's id (bot.services.surge): ``sa:y.42``."""

    answer: Literal["y", "n", "g", "x"]
    ask_id: int


@dataclass(frozen=True)
class SurgeStop(CallbackData, prefix="sx"):
    """The manager's Stop on a surge's count (the surge's id)."""

    surge_id: int
