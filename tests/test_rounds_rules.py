"""The rules of knock-up rounds (bot.domain.rounds), and the words that press their buttons,
without a database or Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import keyboards
from bot.callbacks import RoundTap
from bot.domain.answers import choose, pick
from bot.domain.rounds import (
    ROUND_DOORS_BUTTONS,
    ROUND_DOORS_MAX,
    Refused,
    Round,
    Standing,
    Tally,
    is_committee_room,
    may_come_back,
    may_go_out,
    may_say_doors,
    tally,
    typed_doors,
)

AT = datetime(2027, 5, 6, 10, 0, tzinfo=UTC)
READY = Standing(committee_room=True, came=True, on=True, out=False)


def _round(*, back: bool = True, doors: int | None = None, volunteer_id: int = 1) -> Round:
    return Round(
        id=7,
        rsvp_id=3,
        volunteer_id=volunteer_id,
        shift_id=2,
        out_at=AT,
        back_at=AT + timedelta(minutes=40) if back else None,
        doors=doors,
    )


def test_only_a_committee_room_has_rounds() -> None:
    assert is_committee_room("committee_room")
    assert not is_committee_room("canvass")


@pytest.mark.parametrize(
    ("standing", "refused"),
    [
        (READY, None),
        (Standing(committee_room=False, came=True, on=True, out=False), Refused.NOT_A_ROOM),
        (Standing(committee_room=True, came=False, on=True, out=False), Refused.NOT_HERE),
        (Standing(committee_room=True, came=True, on=True, out=True), Refused.ALREADY_OUT),
        (Standing(committee_room=True, came=True, on=False, out=False), Refused.OVER),
        # Out when the session ended: they are told they are out, not that it is over.
        (Standing(committee_room=True, came=True, on=False, out=True), Refused.ALREADY_OUT),
    ],
)
def test_who_may_go_out(standing: Standing, refused: Refused | None) -> None:
    assert may_go_out(standing) == refused


def test_back_closes_an_open_round_even_once_the_session_is_over() -> None:
    assert may_come_back(Standing(True, True, on=True, out=True)) is None
    assert may_come_back(Standing(True, True, on=False, out=True)) is None
    assert may_come_back(READY) == Refused.NOT_OUT


def test_doors_are_said_once_for_ones_own_round_once_back() -> None:
    assert may_say_doors(_round(), 1, 25) is None
    assert may_say_doors(_round(), 1, 0) is None
    assert may_say_doors(_round(), 1, ROUND_DOORS_MAX) is None
    assert may_say_doors(None, 1, 25) == Refused.UNKNOWN
    assert may_say_doors(_round(volunteer_id=2), 1, 25) == Refused.UNKNOWN
    assert may_say_doors(_round(back=False), 1, 25) == Refused.STILL_OUT
    assert may_say_doors(_round(doors=10), 1, 25) == Refused.ALREADY_SAID
    assert may_say_doors(_round(), 1, ROUND_DOORS_MAX + 1) == Refused.TOO_MANY


@pytest.mark.parametrize(
    ("typed", "doors"),
    [
        ("25", 25),
        (" 25 ", 25),
        ("0", 0),
        ("25 doors", 25),
        ("1 door", 1),
        ("about 30", 30),
        ("~30", 30),
        ("50+", 50),
        ("lots", None),
        ("twenty", None),
        ("-5", None),
        ("2.5", None),
        ("25 houses", None),
        ("", None),
    ],
)
def test_typed_doors(typed: str, doors: int | None) -> None:
    assert typed_doors(typed) == doors


def test_the_tally_counts_rounds_come_back_from() -> None:
    rounds = [_round(doors=20), _round(doors=None), _round(back=False), _round(doors=7)]
    assert tally(rounds) == Tally(rounds=3, doors=27)
    assert tally([]) == Tally(0, 0)


@pytest.mark.parametrize(
    ("typed", "action"),
    [
        ("out", "o"),
        ("Out on a round", "o"),
        ("heading out", "o"),
        ("back", "b"),
        ("I'm back", "b"),
        ("Back now", "b"),
        ("hello", None),
    ],
)
def test_out_and_back_in_words(typed: str, action: str | None) -> None:
    """Whichever button is shown, "out" means Out and "back" means Back (the rules then say
    which is refused); and on the buttons themselves, as typed words press them."""
    chosen = choose(typed, keyboards.round_offers(42))
    assert (chosen.action if chosen else None) == action
    for markup in (keyboards.out_on_round(42), keyboards.back_from_round(42)):
        buttons = [(b.text, str(b.callback_data)) for row in markup.inline_keyboard for b in row]
        shown = RoundTap.unpack(buttons[0][1]).action
        pressed = pick(typed, [keyboards.typed_offers(buttons)]).value
        assert pressed == (buttons[0][1] if action == shown else None)


def test_a_typed_number_on_the_doors_question_is_a_number_not_a_button() -> None:
    """The doors question's buttons are numbers: "2" typed is two doors (handlers.rounds reads
    it before the usual "second button" rule could)."""
    assert typed_doors("2") == 2
    markup = keyboards.round_doors(7)
    assert [b.text for row in markup.inline_keyboard for b in row] == [
        str(n) for n in ROUND_DOORS_BUTTONS
    ]
