"""The need-and-distance rule behind /nearest (bot.domain.nearest): a far session never above a
nearer one that needs people as much or more, and full or well-staffed sessions drop down."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.audience import weekend_of
from bot.domain.nearest import (
    Candidate,
    DayNeed,
    need,
    rank,
    weigh,
    within_reach,
)


def _random_candidate(rng: random.Random) -> Candidate:
    capacity = rng.randint(1, 40)
    wanted = rng.choice([None, rng.randint(1, 60)])
    return Candidate(
        capacity=capacity,
        going=rng.randint(0, capacity + 3),
        priority=rng.choice([None, 1, 2, 3]),
        target_kind="seat",
        wanted=wanted,
        booked=rng.randint(0, 100),
        wanted_here=rng.choice([None, rng.randint(1, capacity + 5)]),
        km=rng.choice([rng.uniform(0, 40), round(rng.uniform(0, 10), 1)]),
        allowance_km=rng.choice([0.0, 1.5, 3.0]),
    )


def test_a_far_session_never_ranks_above_a_nearer_one_that_needs_as_much() -> None:
    rng = random.Random(11)
    checked = 0
    for _ in range(20_000):
        a, b = _random_candidate(rng), _random_candidate(rng)
        if rng.random() < 0.3:
            # Equal needs happen by construction too, not only by chance.
            b = Candidate(**{**a.__dict__, "km": b.km, "allowance_km": b.allowance_km})
        near, far = (a, b) if a.km < b.km else (b, a)
        if near.km == far.km or need(near) < need(far):
            continue
        checked += 1
        for order in ([("near", near), ("far", far)], [("far", far), ("near", near)]):
            assert [name for name, _ in rank(order)] == ["near", "far"], (near, far)
    assert checked > 5_000


def test_more_need_at_the_same_distance_ranks_first() -> None:
    rng = random.Random(12)
    for _ in range(5_000):
        a, b = _random_candidate(rng), _random_candidate(rng)
        b = Candidate(**{**b.__dict__, "km": a.km})
        if need(a) == need(b):
            continue
        more, less = (a, b) if need(a) > need(b) else (b, a)
        assert [n for n, _ in rank([("less", less), ("more", more)])] == ["more", "less"]


def test_a_full_session_drops_below_any_with_room_within_reach() -> None:
    full = Candidate(capacity=20, going=20, priority=1, km=0.5)
    roomy = Candidate(capacity=20, going=19, km=25.0)
    assert weigh(full).score == 0
    assert weigh(full).why.full
    assert [n for n, _ in rank([("full", full), ("roomy", roomy)])] == ["roomy", "full"]


def test_a_target_well_above_its_helpers_that_day_drops_down() -> None:
    short = Candidate(capacity=10, going=2, priority=1, wanted=40, booked=30, km=8)
    well_staffed = Candidate(capacity=10, going=2, priority=1, wanted=40, booked=60, km=2)
    plain = Candidate(capacity=10, going=2, km=8)
    ranked = [n for n, _ in rank([("well", well_staffed), ("plain", plain), ("short", short)])]
    assert ranked == ["short", "plain", "well"]
    assert weigh(well_staffed).why.day is DayNeed.WELL_ABOVE
    assert weigh(short).why.day is DayNeed.SHORT
    assert weigh(short).why.helpers_short == 10


@pytest.mark.parametrize(
    ("going", "factor", "still"),
    [(0, 2.0, 8), (4, 1.5, 4), (8, 0.5, 0), (11, 0.5, 0), (12, 0.1, 0)],
)
def test_a_sessions_own_target_weighs_as_a_targets_day_does(
    going: int, factor: float, still: int
) -> None:
    # A committee room wanting 8 helpers per shift, with 20 places.
    room = Candidate(capacity=20, going=going, wanted_here=8)
    assert need(room) == pytest.approx((20 - going) / 20 * factor)
    assert room.still_wanted == still
    # Without a target of its own, the places are what it still wants.
    assert Candidate(capacity=20, going=going).still_wanted == 20 - going


def test_a_room_with_its_target_met_drops_below_a_short_one_and_a_full_one_to_the_bottom() -> (
    None
):
    met = Candidate(capacity=30, going=8, wanted_here=8, km=1)
    short = Candidate(capacity=10, going=2, wanted_here=8, km=4)
    full = Candidate(capacity=8, going=8, wanted_here=10, km=0.2)
    ranked = [n for n, _ in rank([("met", met), ("full", full), ("short", short)])]
    assert ranked == ["short", "met", "full"]
    assert full.still_wanted == 0 and need(full) == 0


@pytest.mark.parametrize(
    ("booked", "day", "factor"),
    [
        (0, DayNeed.SHORT, 2.0),
        (10, DayNeed.SHORT, 1.5),
        (20, DayNeed.MET, 0.5),
        (29, DayNeed.MET, 0.5),
        (30, DayNeed.WELL_ABOVE, 0.1),
    ],
)
def test_the_days_helpers_weigh_as_the_readme_says(
    booked: int, day: DayNeed, factor: float
) -> None:
    base = Candidate(capacity=10, going=0, priority=2)
    found = weigh(Candidate(**{**base.__dict__, "wanted": 20, "booked": booked}))
    assert found.why.day is day
    assert found.need == pytest.approx(2.0 * factor)


def test_priority_weighs_three_two_one_and_a_half_and_distance_halves_at_5_km() -> None:
    assert [need(Candidate(capacity=4, going=0, priority=p)) for p in (1, 2, 3, None)] == [
        3.0,
        2.0,
        1.5,
        1.0,
    ]
    assert weigh(Candidate(capacity=4, going=2, km=5)).score == pytest.approx(0.25)
    # A priority-1 seat 100 km away (Durham to York) loses to an ordinary session nearby.
    york = Candidate(capacity=20, going=0, priority=1, km=100)
    local = Candidate(capacity=20, going=10, km=3)
    assert [n for n, _ in rank([("york", york), ("local", local)])] == ["local", "york"]


def test_reach_allows_for_an_approximate_place() -> None:
    assert within_reach(26, 1.5)
    assert not within_reach(26, 0)
    assert weigh(Candidate(capacity=1, going=0, km=3, allowance_km=1.5)).why.approximate


def test_the_weekend_of_a_shift_is_its_own_or_the_coming_one() -> None:
    zone = ZoneInfo("Europe/London")
    saturday = (
        datetime(2026, 11, 28, 0, 0, tzinfo=zone),
        datetime(2026, 11, 30, 0, 0, tzinfo=zone),
    )
    for day, hour in ((27, 19), (28, 10), (29, 23), (23, 9)):
        assert weekend_of(datetime(2026, 11, day, hour, tzinfo=zone), zone) == saturday
    # Local days, not UTC ones: in summer time, Sunday 14 June 22:30 UTC is 23:30 that Sunday,
    # and 23:30 UTC is already Monday 00:30, which belongs to the next weekend.
    sunday_late = datetime(2026, 6, 14, 22, 30, tzinfo=UTC)
    assert weekend_of(sunday_late, zone)[0] == datetime(2026, 6, 13, 0, 0, tzinfo=zone)
    monday_early = sunday_late + timedelta(hours=1)
    assert weekend_of(monday_early, zone)[0] == datetime(2026, 6, 20, 0, 0, tzinfo=zone)
