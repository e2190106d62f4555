"""The rules of polling day, without a database or Telegram: reading what is typed, the parts of
the day, the pledge figures, which area a volunteer is in, when the countdown goes, and the
"polling day" availability matching only committee rooms on an election's date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.answers import Offer, choose_many
from bot.domain.audience import Place, slots_for
from bot.domain.permissions import Access, Grant, Role
from bot.domain.planning import (
    Countdown,
    countdown_detail,
    countdown_meaningful,
    countdown_work,
    read_countdown_detail,
)
from bot.domain.polling import (
    BadElectionInput,
    Election,
    Part,
    RoomShift,
    area_for,
    parse_areas,
    parse_hours,
    parts_during,
    pledge_figures,
    read_parts,
)

ZONE = ZoneInfo("Europe/London")
OPENS, CLOSES = time(7), time(22)
M, A, E = Part.MORNING, Part.AFTERNOON, Part.EVENING


@pytest.mark.parametrize(
    ("typed", "parts"),
    [
        ("morning and evening", {M, E}),
        ("Morning, afternoon", {M, A}),
        ("ALL DAY!", {M, A, E}),
        ("the whole day", {M, A, E}),
        ("the afternoon", {A}),
        ("evening & morning", {M, E}),
        ("am + after work", {M, E}),
        ("morning and all day", {M, A, E}),
    ],
)
def test_parts_of_the_day_typed(typed: str, parts: set[Part]) -> None:
    assert read_parts(typed) == parts


@pytest.mark.parametrize("typed", ["", "sometime", "morning and maybe", "yes", "12:00", "and"])
def test_words_that_are_not_parts_of_the_day(typed: str) -> None:
    assert read_parts(typed) is None


def test_choose_many_keeps_the_order_typed_and_each_once() -> None:
    offers = [Offer("a", "apple"), Offer("p", "pear")]
    assert choose_many("pear, apple and pear", offers) == ["p", "a"]
    assert choose_many("pear and plum", offers) is None


def test_polling_hours() -> None:
    assert parse_hours("07:00-22:00") == (time(7), time(22))
    assert parse_hours("7am to 10:30pm") == (time(7), time(22, 30))
    for bad in ("22:00-07:00", "soon", "7-22", "07:00"):
        with pytest.raises(BadElectionInput):
            parse_hours(bad)


def test_areas_typed_as_a_list() -> None:
    assert parse_areas("Peckham, Camberwell and Dulwich") == ("Peckham", "Camberwell", "Dulwich")
    assert parse_areas("Peckham; peckham\nLewisham") == ("Peckham", "Lewisham")
    for bad in ("", " , ", ", ".join(f"A{i}" for i in range(21)), "x" * 65):
        with pytest.raises(BadElectionInput):
            parse_areas(bad)


def test_parts_a_shift_overlaps() -> None:
    assert parts_during(time(7), time(10), OPENS, CLOSES) == {M}
    assert parts_during(time(10), time(13), OPENS, CLOSES) == {M, A}
    assert parts_during(time(16), time(22), OPENS, CLOSES) == {A, E}
    assert parts_during(time(12), time(17), OPENS, CLOSES) == {A}


def test_pledge_figures_per_area_and_part() -> None:
    election = Election(1, "By-election", date(2027, 5, 6), OPENS, CLOSES, ("Peckham", "Dulwich"))
    figures = pledge_figures(
        election,
        [
            ("Peckham", ["morning", "evening"]),
            ("peckham", ["morning", "afternoon", "evening"]),
            (None, ["morning"]),
            ("Lewisham", ["evening"]),  # not one of its areas: placed in none
        ],
        [
            # Room 1: two morning shifts want 8 and 6 (a morning pledge covers both: 8), one
            # evening shift wants 4. Room 2 wants 3 in the morning. Dulwich's room wants 5.
            RoomShift(1, "Peckham", time(7), time(10), 8),
            RoomShift(1, "Peckham", time(10), time(12), 6),
            RoomShift(1, "Peckham", time(17), time(22), 4),
            RoomShift(2, "Peckham", time(7), time(12), 3),
            RoomShift(3, "Dulwich", time(12), time(17), 5),
            RoomShift(4, "Lewisham", time(7), time(12), 9),
        ],
    )
    assert [(f.area, f.pledged, f.wanted) for f in figures] == [
        ("Peckham", {M: 2, A: 1, E: 2}, {M: 11, A: 0, E: 4}),
        ("Dulwich", {M: 0, A: 0, E: 0}, {M: 0, A: 5, E: 0}),
        (None, {M: 1, A: 0, E: 1}, {M: 0, A: 0, E: 0}),
    ]
    assert figures[0].short() == [M, E]
    assert figures[1].short() == [A]


def test_a_volunteer_is_in_the_area_of_the_nearest_place_within_15_km() -> None:
    peckham = Place(51.4693, -0.0692, None)
    lewisham = Place(51.4613, -0.0106, None)
    places = [("Peckham", peckham), ("Lewisham", lewisham)]
    assert area_for(Place(51.4700, -0.0650, None), places) == "Peckham"
    assert area_for(Place(51.4620, -0.0150, None), places) == "Lewisham"
    assert area_for(Place(53.4808, -2.2426, None), places) is None  # Manchester
    assert area_for(Place(None, None, "SE15 4QR"), places) is None
    assert area_for(None, places) is None


def test_countdown_times_are_local() -> None:
    # Summer time: 18:00 BST is 17:00 UTC; the morning message an hour before 07:00 polls.
    may = {p.detail: p.due_at for p in countdown_work(date(2027, 5, 6), OPENS, ZONE)}
    assert may == {
        Countdown.WEEK: datetime(2027, 4, 29, 17, 0, tzinfo=UTC),
        Countdown.EVE: datetime(2027, 5, 5, 17, 0, tzinfo=UTC),
        Countdown.MORNING: datetime(2027, 5, 6, 5, 0, tzinfo=UTC),
    }
    # The clocks go forward between the week's message and polling day.
    march = {p.detail: p.due_at for p in countdown_work(date(2027, 4, 1), time(9), ZONE)}
    assert march[Countdown.WEEK] == datetime(2027, 3, 25, 18, 0, tzinfo=UTC)
    assert march[Countdown.MORNING] == datetime(2027, 4, 1, 6, 0, tzinfo=UTC)  # 07:00 BST


def test_countdown_late_and_its_detail() -> None:
    due = datetime(2027, 5, 5, 17, 0, tzinfo=UTC)
    closes = datetime(2027, 5, 6, 21, 0, tzinfo=UTC)
    def meaningful(which: str, hour: int) -> bool:
        at = datetime(2027, 5, 6, hour, 0, tzinfo=UTC)
        return countdown_meaningful(which, at, due_at=due, closes_at=closes)

    assert meaningful("eve", 4)  # eleven hours late: still before polling day's morning
    assert not meaningful("eve", 6)
    assert meaningful("morning", 20)
    assert not meaningful("morning", 21)
    assert read_countdown_detail(countdown_detail(42, "eve")) == (42, "eve")


def test_polling_availability_only_for_committee_rooms_on_an_election_day() -> None:
    thursday = datetime(2027, 5, 6, 7, 0, tzinfo=UTC)
    days = {date(2027, 5, 6)}
    assert slots_for(thursday, "committee_room", ZONE, days) == {"polling"}
    assert slots_for(thursday, "committee_room", ZONE, set()) == {"wkday"}
    assert slots_for(datetime(2027, 5, 13, 7, tzinfo=UTC), "committee_room", ZONE, days) == {
        "wkday"
    }
    assert slots_for(thursday, "canvass", ZONE, days) == {"wkday"}


def test_who_may_run_an_election() -> None:
    peckham = Access(1, False, (Grant(1, 1, "C", Role.COORDINATOR.value, "Peckham"),))
    assert peckham.covers_all(Role.COORDINATOR, ["Peckham", "peckham"])
    assert not peckham.covers_all(Role.COORDINATOR, ["Peckham", "Lewisham"])
    assert peckham.areas_of(Role.ORGANISER, ["Lewisham", "PECKHAM"]) == ["PECKHAM"]
    organiser = Access(2, False, (Grant(2, 2, "O", Role.ORGANISER.value, "Peckham"),))
    assert not organiser.covers_all(Role.COORDINATOR, ["Peckham"])
    assert Access(3, True).covers_all(Role.COORDINATOR, ["Anywhere"])
