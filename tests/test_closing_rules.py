"""The polling-day report's rules (bot.domain.closing): reading "election" after /summary and
/export, choosing the election meant, hours given, the figures per room, per area and in all,
what an organiser of some areas sees, the chart's bars, the CSV, and when it is planned."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from bot.domain import closing
from bot.domain.closing import Came, RoomShiftTotals
from bot.domain.planning import Kind, polls_closed_meaningful, polls_closed_work
from bot.domain.polling import Election, Part

ZONE = ZoneInfo("Europe/London")
DAY = date(2027, 5, 6)
ELECTION = Election(1, "By-election", DAY, time(7), time(22), ("Peckham", "Camberwell"))


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 5, 6, hour, minute, tzinfo=ZONE).astimezone(UTC)


def _shift(
    shift_id: int, room: int, title: str, area: str, start: int, end: int, **counts: int
) -> RoomShiftTotals:
    return RoomShiftTotals(
        shift_id,
        room,
        title,
        area,
        _at(start),
        _at(end),
        counts.get("going", 0),
        counts.get("came", 0),
        counts.get("doors", 0),
        counts.get("rounds", 0),
    )


def test_election_words() -> None:
    assert closing.election_words("election") == ""
    assert closing.election_words("  Election  ") == ""
    assert closing.election_words("polling day") == ""
    assert closing.election_words("election Peckham  by-election") == "Peckham by-election"
    assert closing.election_words("last week") is None
    assert closing.election_words("electioneering") is None
    assert closing.election_words("") is None


def test_choosing_the_election() -> None:
    other = Election(2, "County elections", date(2027, 5, 13), time(7), time(22), ("Peckham",))
    both = [ELECTION, other]
    assert closing.choose_election([ELECTION], "", DAY) == [ELECTION]
    # Several: the one held today, else the asker chooses.
    assert closing.choose_election(both, "", DAY) == [ELECTION]
    assert closing.choose_election(both, "", date(2027, 5, 7)) == both
    assert closing.choose_election(both, "county ELECTIONS", DAY) == [other]
    assert closing.choose_election(both, "county", DAY) == [other]
    assert closing.choose_election(both, "election", DAY) == both
    assert closing.choose_election(both, "Lewisham", DAY) == []
    assert closing.choose_election([], "", DAY) == []


def test_hours_given_run_from_check_in_to_the_end() -> None:
    assert closing.hours_given(_at(8, 30), _at(7), _at(12)) == 3.5
    # Marked present without a check-in: the whole shift.
    assert closing.hours_given(None, _at(7), _at(12)) == 5
    assert closing.hours_given(_at(13), _at(7), _at(12)) == 0


def test_figures_per_room_area_and_in_all() -> None:
    shifts = [
        _shift(10, 1, "Peckham room", "Peckham", 7, 12, going=3, came=2, doors=120, rounds=3),
        _shift(11, 1, "Peckham room", "Peckham", 12, 17, going=2, came=2, doors=80, rounds=2),
        _shift(20, 2, "Camberwell room", "camberwell", 7, 12, going=1, came=1, doors=30, rounds=1),
    ]
    came = [
        Came(10, 100, _at(7), pledged=True),
        Came(10, 101, _at(9), pledged=False),
        # Person 100 stays on: one person, both shifts' hours.
        Came(11, 100, None, pledged=True),
        Came(11, 102, _at(16), pledged=True),
        Came(20, 103, _at(8), pledged=False),
        Came(99, 104, _at(8), pledged=True),  # not a room shift of the election
    ]
    pledges = [
        ("Peckham", ["morning", "afternoon", "evening"]),
        ("peckham", ["evening"]),
        ("Camberwell", ["morning"]),
        (None, ["afternoon"]),
    ]
    found = closing.report(ELECTION, shifts, came, pledges, at=_at(22))
    total = found.total
    assert (total.said_going, total.came, total.pledged_came) == (6, 4, 2)
    assert (total.rounds, total.doors, total.pledged) == (6, 230, 4)
    assert total.hours == 5 + 3 + 5 + 1 + 4
    assert total.by_part == {Part.MORNING: 2, Part.AFTERNOON: 2, Part.EVENING: 2}
    peckham, camberwell = found.areas
    assert (peckham.name, peckham.came, peckham.hours, peckham.pledged) == ("Peckham", 3, 14, 2)
    assert (camberwell.name, camberwell.came, camberwell.doors, camberwell.pledged) == (
        "Camberwell",
        1,
        30,
        1,
    )
    # Rooms in title order; pledges are not a room's.
    assert [(r.name, r.came, r.rounds, r.pledged) for r in found.rooms] == [
        ("Camberwell room", 1, 1, None),
        ("Peckham room", 3, 5, None),
    ]
    assert found.shift_hours == {10: 8, 11: 6, 20: 4}
    assert [(b.label, b.going, b.came) for b in closing.bars(found)] == [
        ("Camberwell room", 1, 1),
        ("Peckham room", 5, 3),
    ]

    # Before the close, a shift still on counts hours up to now.
    early = closing.report(ELECTION, shifts, came, pledges, at=_at(10))
    assert early.shift_hours[10] == 3 + 1


def test_an_organiser_sees_only_their_areas() -> None:
    shifts = [
        _shift(10, 1, "Peckham room", "Peckham", 7, 12, going=3, came=1, doors=50, rounds=2),
        _shift(20, 2, "Camberwell room", "Camberwell", 7, 12, going=1, came=1, doors=30),
    ]
    came = [Came(10, 100, _at(7), pledged=True), Came(20, 103, _at(8), pledged=False)]
    pledges = [("Peckham", ["morning"]), ("Camberwell", ["evening"]), (None, ["morning"])]
    found = closing.report(ELECTION, shifts, came, pledges, at=_at(22))
    assert closing.within(found, None) == found
    assert closing.within(found, ["peckham", "CAMBERWELL", "Dulwich"]) == found
    mine = closing.within(found, ["Peckham"])
    assert [a.name for a in mine.areas] == ["Peckham"]
    assert [r.name for r in mine.rooms] == ["Peckham room"]
    assert [s.shift_id for s in mine.shifts] == [10]
    total = mine.total
    assert (total.said_going, total.came, total.hours, total.doors, total.rounds) == (
        3,
        1,
        5,
        50,
        2,
    )
    # Pledges placed in no area are not theirs.
    assert total.pledged == 1 and total.by_part[Part.MORNING] == 1
    assert closing.within(found, ["Lewisham"]).areas == ()


def test_the_csv_has_one_row_a_shift_and_no_names() -> None:
    shifts = [_shift(10, 1, "=Peckham room", "Peckham", 7, 12, going=3, came=1, doors=50, rounds=2)]
    found = closing.report(ELECTION, shifts, [Came(10, 100, _at(8), pledged=True)], [], at=_at(22))
    rows = list(csv.reader(io.StringIO(closing.export_csv(found, ZONE).decode("utf-8-sig"))))
    assert rows == [
        list(closing.EXPORT_COLUMNS),
        [
            "'=Peckham room",
            "Peckham",
            "2027-05-06 07:00",
            "2027-05-06 12:00",
            "3",
            "1",
            "4.0",
            "2",
            "50",
        ],
    ]


def test_the_report_is_planned_at_the_close_of_polls_local_time() -> None:
    planned = polls_closed_work(DAY, time(22), ZONE)
    assert planned.kind is Kind.POLLS_CLOSED
    assert planned.due_at == datetime(2027, 5, 6, 21, 0, tzinfo=UTC)  # 22:00 BST
    winter = polls_closed_work(date(2027, 12, 9), time(22), ZONE)
    assert winter.due_at == datetime(2027, 12, 9, 22, 0, tzinfo=UTC)
    assert polls_closed_meaningful(planned.due_at + timedelta(hours=23), planned.due_at)
    assert not polls_closed_meaningful(planned.due_at + timedelta(hours=24), planned.due_at)


def test_a_long_report_goes_in_parts_within_telegrams_limit() -> None:
    shifts = [
        _shift(
            n,
            n,
            f"Committee room number {n:03d} on the long high street",
            "Peckham",
            7,
            12,
            going=5,
            came=4,
            doors=100,
            rounds=3,
        )
        for n in range(1, 121)
    ]
    found = closing.report(ELECTION, shifts, [], [], at=_at(22))
    parts = texts.polling_report(found, closed=True)
    assert len(parts) > 1
    assert all(len(part) <= texts.REPORT_PART_LIMIT for part in parts)
    assert parts[0].startswith("🗳 <b>Close of polls: By-election</b>")
    joined = "\n".join(parts)
    assert all(f"number {n:03d}" in joined for n in range(1, 121))
    # Too many rooms for a bar each: a bar per area.
    assert [(b.label, b.going, b.came) for b in closing.bars(found)] == [
        ("Peckham", 600, 0),
        ("Camberwell", 0, 0),
    ]
