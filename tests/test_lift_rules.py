"""The lift rules (bot.domain.lifts), without a database: reading answers, and which driver is
suggested to which rider."""

from __future__ import annotations

import pytest

from bot.domain.answers import Meaning, Offer, choose, fold
from bot.domain.audience import Place
from bot.domain.lifts import (
    CHOICES,
    Driver,
    Lift,
    LiftRole,
    Rider,
    RosterLifts,
    Suggestion,
    about_km,
    first_name,
    over_seats,
    read_seats,
    seats_said,
    suggest,
)

PECKHAM = Place(51.4663, -0.0708, "SE15 4QR")
NEAR_PECKHAM = Place(51.4738, -0.0715, "SE15 5AA")  # 0.8 km
BROCKLEY = Place(51.4606, -0.0308, "SE4 1AA")  # 2.8 km
CROYDON = Place(51.3762, -0.0982, "CR0 1AA")  # 10 km
BELFAST = Place(None, None, "BT1 1AA")
BELFAST_TOO = Place(None, None, "BT1 2BB")
LISBURN = Place(None, None, "BT28 1AA")


def test_answers_round_trip_through_their_codes() -> None:
    assert [Lift.from_code(code).code for code in CHOICES] == list(CHOICES)
    assert Lift.from_code("3") == Lift(LiftRole.DRIVER, 3)
    assert Lift.from_code("need") == Lift(LiftRole.RIDER)
    assert Lift.from_code("none") == Lift(None)
    for bad in ("0", "5", "-1"):
        with pytest.raises(ValueError):
            Lift.from_code(bad)


@pytest.mark.parametrize(
    ("typed", "seats"),
    [
        ("2", 2),
        ("2 seats", 2),
        ("I can take 3", 3),
        ("two places", 2),
        ("Can take 4!", 4),
        ("1 seat", 1),
        ("I could take one", 1),
        ("4 people", 4),
        ("5 seats", None),
        ("0", None),
        ("need a lift", None),
        ("my house is 22 seats", None),
        ("", None),
    ],
)
def test_seats_in_words(typed: str, seats: int | None) -> None:
    assert read_seats(fold(typed)) == seats


def test_seats_out_of_range_are_still_read_as_seats() -> None:
    assert seats_said(fold("6 seats")) == 6
    assert seats_said(fold("0")) == 0
    assert seats_said(fold("hello")) is None


def test_need_a_lift_and_neither_in_words() -> None:
    offers = [
        Offer("need", "I need a lift", Meaning.LIFT),
        Offer("none", "Neither", Meaning.SKIP),
    ]
    for typed in ("need a lift", "I NEED A LIFT", "Lift please", "need a ride"):
        assert choose(typed, offers) == "need", typed
    for typed in ("neither", "No thanks", "no", "none"):
        assert choose(typed, offers) == "none", typed
    assert choose("can't make it", offers) is None  # that is an answer to the shift


def test_only_a_first_name_and_a_rough_distance_are_shown() -> None:
    assert first_name("Rita Rider-Smith") == "Rita"
    assert first_name("  ") == "A volunteer"
    assert first_name(None) == "A volunteer"
    assert [about_km(km) for km in (0.0, 0.4, 1.6, 2.84, 9.5)] == [1, 1, 2, 3, 10]


def test_each_rider_gets_the_nearest_driver_with_a_free_seat() -> None:
    drivers = [Driver(1, BROCKLEY, 1), Driver(2, NEAR_PECKHAM, 1)]
    riders = [Rider(10, PECKHAM), Rider(11, PECKHAM), Rider(12, PECKHAM)]
    made = suggest(drivers, riders, ruled_out=())
    # First asked, first served: Rider 10 gets the nearer car, 11 the other, 12 waits.
    assert [(s.driver_id, s.rider_id) for s in made] == [(2, 10), (1, 11)]
    assert made[0].km == pytest.approx(0.84, abs=0.01)


def test_a_pair_turned_down_is_never_suggested_again() -> None:
    drivers = [Driver(1, NEAR_PECKHAM, 2), Driver(2, BROCKLEY, 2)]
    made = suggest(drivers, [Rider(10, PECKHAM)], ruled_out={(1, 10)})
    assert made == [Suggestion(2, 10, pytest.approx(2.84, abs=0.01))]
    assert suggest(drivers, [Rider(10, PECKHAM)], ruled_out={(1, 10), (2, 10)}) == []


def test_no_seats_no_suggestion() -> None:
    assert suggest([Driver(1, PECKHAM, 0)], [Rider(10, PECKHAM)], ruled_out=()) == []


def test_too_far_or_unknown_places_are_not_paired() -> None:
    # 10 km centre to centre is beyond LIFT_REACH_KM for exact places.
    assert suggest([Driver(1, CROYDON, 2)], [Rider(10, PECKHAM)], ruled_out=()) == []
    # Approximate places get the allowance, as every distance rule does.
    rough_croydon = Place(CROYDON.latitude, CROYDON.longitude, "CR0 1AA", approximate=True)
    assert suggest([Driver(1, rough_croydon, 2)], [Rider(10, PECKHAM)], ruled_out=()) != []
    # Off the map: only within one postcode district, and after every known distance.
    assert suggest([Driver(1, LISBURN, 2)], [Rider(10, BELFAST)], ruled_out=()) == []
    assert suggest([Driver(1, BELFAST, 2)], [Rider(10, PECKHAM)], ruled_out=()) == []
    made = suggest(
        [Driver(1, BELFAST_TOO, 1), Driver(2, BELFAST, 1)],
        [Rider(10, BELFAST)],
        ruled_out=(),
    )
    assert made == [Suggestion(1, 10, None)]


def test_fewer_seats_let_the_newest_matches_go() -> None:
    assert over_seats([5, 7, 9], 1) == [7, 9]
    assert over_seats([5, 7], 2) == []


def test_the_roster_counts_free_seats() -> None:
    lifts = RosterLifts(
        drivers=[("Dan", 2, ["Rita"]), ("Kim", 1, ["Sam"]), ("Ola", 3, [])],
        riders=[("Rita", "Dan"), ("Sam", "Kim"), ("Jo", None)],
    )
    assert lifts.free_seats == 4
