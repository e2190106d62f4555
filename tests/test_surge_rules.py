"""The surge rules (bot.domain.surge) as plain values: what a yes comes to, how many a batch
asks, the number of helpers typed, the part of the day and the shift a surge is for, who is
asked first, and the nearest other room still short."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.domain.events import Shift
from bot.domain.polling import Part
from bot.domain.surge import (
    AfterYes,
    BadSurgeInput,
    Person,
    SurgeStatus,
    after_yes,
    band_end_km,
    batch_size,
    best,
    nearest_short,
    parse_wanted,
    part_at,
    shift_for,
)


def _shift(n: int, starts: int, ends: int) -> Shift:
    return Shift(
        id=n,
        event_id=1,
        starts_at=datetime(2027, 5, 6, starts, tzinfo=UTC),
        ends_at=datetime(2027, 5, 6, ends, tzinfo=UTC),
        capacity=10,
        note=None,
        status="active",
        cancelled_at=None,
    )


def test_the_first_yeses_up_to_the_number_wanted_are_confirmed() -> None:
    assert after_yes(SurgeStatus.OPEN, 0, 2) is AfterYes.CONFIRM
    assert after_yes(SurgeStatus.OPEN, 1, 2) is AfterYes.CONFIRM
    assert after_yes(SurgeStatus.FILLED, 2, 2) is AfterYes.REDIRECT
    # Nobody left to ask, but those asked still count until it fills.
    assert after_yes(SurgeStatus.EXHAUSTED, 1, 2) is AfterYes.CONFIRM
    assert after_yes(SurgeStatus.STOPPED, 0, 2) is AfterYes.STOPPED


def test_a_batch_asks_three_times_the_helpers_still_wanted() -> None:
    assert batch_size(5, 0) == 15
    assert batch_size(5, 4) == 3
    assert batch_size(5, 5) == 0
    assert batch_size(5, 7) == 0


@pytest.mark.parametrize(("typed", "wanted"), [("4", 4), (" 12 helpers", 12), ("50", 50)])
def test_a_number_of_helpers_is_read(typed: str, wanted: int) -> None:
    assert parse_wanted(typed) == wanted


@pytest.mark.parametrize("typed", ["0", "51", "lots", "", "-3", "4.5"])
def test_anything_else_is_not_a_number_of_helpers(typed: str) -> None:
    with pytest.raises(BadSurgeInput):
        parse_wanted(typed)


def test_the_part_of_polling_day_a_time_falls_in() -> None:
    opens, closes = time(7), time(22)
    assert part_at(time(7), opens, closes) is Part.MORNING
    assert part_at(time(13), opens, closes) is Part.AFTERNOON
    assert part_at(time(21, 59), opens, closes) is Part.EVENING
    assert part_at(time(6, 59), opens, closes) is None
    assert part_at(time(22), opens, closes) is None


def test_a_surge_is_for_the_shift_running_then_or_the_next() -> None:
    morning, afternoon = _shift(1, 6, 11), _shift(2, 11, 16)
    at = datetime(2027, 5, 6, 9, tzinfo=UTC)
    assert shift_for([afternoon, morning], at) == morning
    assert shift_for([afternoon, morning], datetime(2027, 5, 6, 11, tzinfo=UTC)) == afternoon
    assert shift_for([morning], datetime(2027, 5, 6, 5, tzinfo=UTC)) == morning
    assert shift_for([morning], datetime(2027, 5, 6, 12, tzinfo=UTC)) is None


def test_nearest_band_first_then_the_most_reliable_then_the_nearest() -> None:
    people = [
        Person(1, 0.2, 0.0),  # on the doorstep, never came
        Person(2, 1.9, 1.0),  # same band, always came
        Person(3, 1.0, None),  # a newcomer
        Person(4, 2.1, 1.0),  # the next band
        Person(5, 0.5, None),
    ]
    assert [p.volunteer_id for p in best(people, 4, newcomer_rate=0.7)] == [2, 5, 3, 1]
    assert [p.volunteer_id for p in best(people, 2, newcomer_rate=0.0)] == [2, 1]
    assert band_end_km(0.3) == 2.0 and band_end_km(2.0) == 4.0


def test_a_late_yes_goes_to_the_nearest_room_still_short_within_reach() -> None:
    assert nearest_short([("a", 3.0, 2), ("b", 1.0, 0), ("c", 2.0, 1)]) == ("c", 2.0)
    assert nearest_short([("b", 1.0, 0), ("far", 40.0, 5)]) is None
    assert nearest_short([]) is None
