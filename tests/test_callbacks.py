"""What buttons carry (bot.callbacks), without Telegram: the layout, the round trip, and refusing
anything malformed."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError, dataclass

import pytest

from bot import callbacks
from bot.callbacks import (
    AddNote,
    Area,
    BoardStop,
    CallActivity,
    CallbackData,
    CallEvent,
    CallFilter,
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
    ElectionMenu,
    EventAdmin,
    Flow,
    Forget,
    Keep,
    Kind,
    LiftAnswer,
    LiftAsk,
    LiftReply,
    Mark,
    MyShiftCancel,
    MyShiftChange,
    OpenSession,
    Pause,
    PledgeCall,
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
from bot.domain.signup import Step
from bot.domain.volunteers import Purpose

# One of each kind, with the data buttons already sent to volunteers carry: these must not change,
# or those buttons stop working after an upgrade.
SENT: list[tuple[CallbackData, str]] = [
    (Consent("yes"), "consent:yes"),
    (UseName(), "name:tg"),
    (Choice(Step.AVAILABILITY, "sat"), "av:sat"),
    (Choice(Step.ACTIVITIES, Choice.DONE), "ac:done"),
    (EditProfile(Step.LOCATION), "edit:location"),
    (Pause("month"), "pause:month"),
    (Forget("no"), "forget:no"),
    (ChooseConsent(Purpose.FUTURE, "y"), "cc:future_campaigns.y"),
    (Keep(), "keep:me"),
    (Rsvp(42), "rv:42"),
    (CantMakeIt(7), "rx:7"),
    (MyShiftChange(42), "mc:42"),
    (OpenSession(42), "os:42"),
    (MyShiftCancel(42), "mx:42"),
    (SkipReason(), "rs:skip"),
    (CarryOn(), "go:signup"),
    (EventAdmin("cshift", 42), "ea:cshift:42"),
    (EventAdmin("yes-event", 7), "ea:yes-event:7"),
    (RosterMore(5), "rt:5"),
    (Flow("create"), "fl:create"),
    (CallFlow("next"), "cf:next"),
    (Kind("phone_bank"), "nk:phone_bank"),
    (Area(0), "na:0"),
    (Preview(3), "pv:3"),
    (Reading(1), "nr:1"),
    (CallEvent(7), "ce:7"),
    (CallShift(42), "cs:42"),
    (CallFilter("quiet"), "ca:quiet"),
    (CallActivity("doors"), "cx:doors"),
    (TopUp(42), "tu:42"),
    (StillComing("n", 42), "sc:n.42"),
    (CheckIn("l", 42), "ci:l.42"),
    (Doors(42, 20), "dr:42.20"),
    (SkipNote(), "dn:skip"),
    (RoundTap("o", 42), "kr:o.42"),
    (RoundTap("b", 42), "kr:b.42"),
    (RoundDoors(7, 20), "kd:7.20"),
    (AddNote(42), "an:42"),
    (CorrectAttendance(42), "ab:42"),
    (Mark(42, 7), "at:42.7"),
    (PledgePart(3, "morning"), "pp:3.morning"),
    (PledgePart(3, "done"), "pp:3.done"),
    (PledgeFor(3), "pf:3"),
    (PledgeCall("send", 3), "pc:send.3"),
    (ElectionMenu("rooms", 3), "em:rooms.3"),
    (RoomSet("m", 42), "rm:m.42"),
    (RoomOffer("y", 42), "ro:y.42"),
    (RoomOffer("a", 7), "ro:a.7"),
    (BoardStop(3), "bd:3"),
    (SurgeRoom(42), "sr:42"),
    (SurgeWanted(42, 5), "sw:42.5"),
    (SurgeSoon(42, 5, 30), "sn:42.5.30"),
    (SurgeAnswer("y", 42), "sa:y.42"),
    (SurgeAnswer("g", 7), "sa:g.7"),
    (SurgeStop(9), "sx:9"),
    (LiftAnswer("2", 42), "lf:2.42"),
    (LiftAnswer("need", 42), "lf:need.42"),
    (LiftReply("y", 7), "lr:y.7"),
    (LiftAsk(42), "lq:42"),
]


def _kinds() -> list[type[CallbackData]]:
    return [
        kind
        for kind in vars(callbacks).values()
        if isinstance(kind, type) and issubclass(kind, CallbackData) and kind is not CallbackData
    ]


def test_every_kind_is_covered() -> None:
    assert {type(data) for data, _ in SENT} == set(_kinds())


@pytest.mark.parametrize(("data", "packed"), SENT, ids=[packed for _, packed in SENT])
def test_layout_is_the_one_already_sent_and_round_trips(data: CallbackData, packed: str) -> None:
    assert data.pack() == packed
    assert type(data).unpack(packed) == data
    assert len(packed.encode()) <= callbacks.MAX_BYTES


def test_biggest_values_stay_well_under_telegrams_limit() -> None:
    big = 10**18 - 1
    for data in (
        EventAdmin("yes-shift", big),
        Mark(big, big),
        Doors(big, big),
        Choice(Step.ACTIVITIES, "x" * 32),
        Kind("x" * 32),
        LiftAnswer("need", big),
        LiftReply("n", big),
    ):
        assert len(data.pack().encode()) <= 48, data


def test_each_button_is_claimed_by_its_own_kind_only() -> None:
    """Two kinds taking the same data would take each other's presses."""
    for data, packed in SENT:
        # re.match, as the CallbackQueryHandler does with a pattern.
        claimed = [kind for kind in _kinds() if re.match(kind.PATTERN, packed)]
        assert claimed == [type(data)], packed
    prefixes = [
        prefix
        for kind in _kinds()
        for prefix in (kind.PREFIXES.values() if kind is Choice else [kind.PREFIX])
    ]
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)


def test_unpack_reads_typed_fields() -> None:
    assert Choice.unpack("ac:doors").step is Step.ACTIVITIES
    assert EditProfile.unpack("edit:phone").step is Step.PHONE
    pressed = Mark.unpack("at:12.3456")
    assert (pressed.shift_id, pressed.volunteer_id) == (12, 3456)
    assert isinstance(EventAdmin.unpack("ea:more:10").number, int)


MALFORMED: list[tuple[type[CallbackData], str | None]] = [
    (Rsvp, None),
    (Rsvp, ""),
    (Rsvp, "rv"),
    (Rsvp, "rv:"),
    (Rsvp, "rv:abc"),
    (Rsvp, "rv:12\n"),  # $ would let this through
    (Rsvp, " rv:12"),
    (Rsvp, "rv:12:3"),
    (Rsvp, "rv:012"),
    (Rsvp, "rv:-1"),
    (Rsvp, "rv:1e3"),
    (Rsvp, "rv:１２"),  # full-width digits: int() reads them, we do not
    (Rsvp, "rv:٣"),
    (Rsvp, "rv:" + "9" * 19),
    (Rsvp, "rx:12"),
    (Rsvp, "RV:12"),
    (CantMakeIt, "rx:"),
    (Consent, "consent:maybe"),
    (Consent, "consent:YES"),
    (UseName, "name:me"),
    (Choice, "av:"),
    (Choice, "zz:sat"),
    (Choice, "av:sat:sun"),
    (Choice, "av:Sat"),
    (Choice, "av:" + "x" * 33),
    (EditProfile, "edit:../../etc"),
    (EditProfile, "edit:NAME"),
    (Pause, "pause:forever"),
    (Forget, "forget:"),
    (EventAdmin, "ea:cshift"),
    (EventAdmin, "ea:cshift:"),
    (EventAdmin, "ea:nuke:1"),
    (EventAdmin, "ea:42:cshift"),
    (EventAdmin, "ea:cshift.42"),
    (Flow, "fl:next"),  # /callout's step, not /newevent's
    (CallFlow, "cf:create"),
    (Area, "na:first"),
    (CallFilter, "ca:everyone"),
    (Kind, "nk:Phone Bank"),
    (StillComing, "sc:maybe.1"),
    (StillComing, "sc:y"),
    (StillComing, "sc:y:1"),
    (CheckIn, "ci:h.1.2"),
    (Doors, "dr:1."),
    (Doors, "dr:.5"),
    (Doors, "dr:1.2.3"),
    (Mark, "at:1"),
    (Mark, "at:1.x"),
    (SkipNote, "dn:later"),
    (TopUp, "x" * 64),
]


@pytest.mark.parametrize(("kind", "data"), MALFORMED, ids=[repr(data) for _, data in MALFORMED])
def test_malformed_data_is_refused(kind: type[CallbackData], data: str | None) -> None:
    with pytest.raises(ValueError, match=kind.__name__):
        kind.unpack(data)
    # The handler is never reached: its pattern does not take the data either.
    assert data is None or re.match(kind.PATTERN, data) is None


@pytest.mark.parametrize(
    "data",
    [
        Consent("maybe"),  # type: ignore[arg-type]
        Kind("Phone Bank"),
        Kind("a:b"),
        Kind(""),
        CallActivity("x" * 33),
        Rsvp(-1),
        Rsvp(True),
        Area(10**18),
        Choice(Step.NAME, "tg"),
        Choice(Step.AVAILABILITY, "sat.sun"),
    ],
    ids=repr,
)
def test_pack_refuses_what_unpack_could_not_read(data: CallbackData) -> None:
    with pytest.raises(ValueError):
        data.pack()


def test_data_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        Rsvp(1).shift_id = 2  # type: ignore[misc]


def test_a_kind_too_wide_for_telegram_is_refused_when_packed() -> None:
    @dataclass(frozen=True)
    class Wide(CallbackData, prefix="test-wide", sep="."):
        first: str
        second: str

    assert Wide.unpack("test-wide:a.b") == Wide("a", "b")
    with pytest.raises(ValueError):
        Wide("a" * 32, "b" * 32).pack()


def test_a_field_type_we_cannot_pack_is_refused_when_the_kind_is_made() -> None:
    with pytest.raises(TypeError, match="when"):

        @dataclass(frozen=True)
        class Timed(CallbackData, prefix="test-timed"):
            when: float
