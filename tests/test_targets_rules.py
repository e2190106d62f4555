"""The rules for target seats without Telegram or a database: reading a coordinator's CSV file,
placing it on the map, telling it from an events file, the template, helpers booked per day, and
the events CSV's target column."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.csv_files import BadFile, BadRows, header
from bot.domain.events import EventDraft, Shift
from bot.domain.events_csv import COLUMNS as EVENT_COLUMNS
from bot.domain.events_csv import read_events
from bot.domain.places import Located, PlaceSource
from bot.domain.targets import (
    COLUMNS,
    Session,
    Target,
    TargetKind,
    by_day,
    is_targets_file,
    named_by,
    parse_postcode,
    place,
    read_targets,
    template,
)

LONDON = ZoneInfo("Europe/London")
HEAD = "name,kind,priority,why,postcode,latitude,longitude,helpers_wanted"
# Where the look-up puts the postcodes these tests use (a sector's centre: approximate).
MAP = {
    "SW11 1JW": Located(51.4615, -0.1683, PlaceSource.SECTOR),
    "EN5 1AA": Located(51.6453, -0.1785, PlaceSource.SECTOR),
}


def targets_of(text: str) -> list:
    return place(read_targets(text.encode()), MAP)


def errors_of(text: str) -> list[tuple[int, str, str]]:
    read = read_targets(text.encode())
    with pytest.raises(BadRows) as caught:
        place(read, {code: MAP.get(code) for code in read.postcodes})
    return [(e.line, e.column, e.reason) for e in caught.value.errors]


def test_a_good_file_gives_every_target_placed_by_coordinates_or_postcode() -> None:
    first, second = targets_of(
        f"{HEAD}\n"
        "Battersea,seat,1,Won by 412 votes,sw111jw,,,20\n"
        "Peckham Rye, Ward ,2,  By-election   on 14 May ,,51.465,-0.064,\n"
    )
    assert (first.name, first.kind, first.priority, first.why) == (
        "Battersea",
        TargetKind.SEAT,
        1,
        "Won by 412 votes",
    )
    # A postcode is placed where the look-up says, approximate, and kept as typed properly.
    assert (first.postcode, first.latitude, first.longitude, first.location_source) == (
        "SW11 1JW",
        51.4615,
        -0.1683,
        PlaceSource.SECTOR,
    )
    assert first.helpers_wanted == 20
    # Coordinators' coordinates are exact; spaces in the text are folded.
    assert (second.kind, second.why, second.location_source) == (
        TargetKind.WARD,
        "By-election on 14 May",
        PlaceSource.GIVEN,
    )
    assert (second.latitude, second.longitude, second.helpers_wanted) == (51.465, -0.064, None)


def test_coordinates_beside_a_postcode_are_the_centre_and_the_postcode_is_kept() -> None:
    [target] = targets_of(f"{HEAD}\nChipping Barnet,seat,1,Close,EN5 1AA,51.65,-0.2,\n")
    assert (target.latitude, target.postcode, target.location_source) == (
        51.65,
        "EN5 1AA",
        PlaceSource.GIVEN,
    )


def test_the_file_reads_only_the_postcodes_it_needs_placed() -> None:
    rows = ["A,seat,1,x,SW11 1JW,,,", "B,seat,1,x,EN5 1AA,51.6,-0.2,", "C,ward,3,x,,51.4,-0.1,"]
    read = read_targets("\n".join([HEAD, *rows]).encode())
    assert read.postcodes == {"SW11 1JW"}


def test_every_problem_is_named_by_line_and_column_and_nothing_is_given() -> None:
    assert errors_of(
        f"{HEAD}\n"
        "Battersea,seat,1,Fine,SW11 1JW,,,20\n"
        ",county,4,,,,,\n"
        "Putney,seat,high," + "x" * 141 + ",SW15,,,0\n"
        "Wimbledon,division,3,Fine,,51.4,,lots\n"
        "Barnet,seat,2,Fine,ZZ99 9ZZ,,,\n"
        "battersea,ward,2,Twice,,51.46,-0.16,\n"
        "Kingston,seat,1,Tab\there,,91,-0.3,\n"
    ) == [
        (3, "name", "missing"),
        (3, "kind", "target_kind"),
        (3, "priority", "priority"),
        (3, "why", "missing"),
        (3, "postcode", "no_centre"),
        (4, "priority", "priority"),
        (4, "why", "too_long"),
        (4, "postcode", "postcode"),
        (4, "helpers_wanted", "helpers"),
        (5, "longitude", "pair_missing"),
        (5, "helpers_wanted", "helpers"),
        (6, "postcode", "postcode_unknown"),
        (7, "name", "duplicate_target"),
        (8, "why", "control"),
        (8, "latitude", "latitude"),
    ]


def test_a_name_given_twice_points_at_its_first_line() -> None:
    read = read_targets(
        f"{HEAD}\nBattersea,seat,1,x,,51.4,-0.1,\nBATTERSEA,seat,2,y,,51.4,-0.1,\n".encode()
    )
    [error] = read.errors
    assert (error.line, error.reason, error.other_line) == (3, "duplicate_target", 2)


def test_the_file_as_a_whole() -> None:
    with pytest.raises(BadFile) as caught:
        read_targets(b"name,kind,why,postcode\nA,seat,x,SW11 1JW\n")
    assert (caught.value.reason, caught.value.detail) == ("missing_columns", "priority")
    with pytest.raises(BadFile) as caught:
        place(read_targets(f"{HEAD}\n\n".encode()), {})
    assert caught.value.reason == "no_rows"
    # Semicolons and a byte-order mark, columns in any order and case, others ignored.
    [target] = targets_of(
        "\ufeffWhy;Name;KIND;Priority;Latitude;Longitude;Notes\nx;A;seat;3;51;0;-\n"
    )
    assert (target.name, target.priority) == ("A", 3)


@pytest.mark.parametrize(
    ("raw", "postcode"),
    [
        ("sw11 1jw", "SW11 1JW"),
        ("SW111JW", "SW11 1JW"),
        (" EN5  1AA ", "EN5 1AA"),
        ("SW11", None),
        ("SW11 1", None),
        ("Battersea SW11 1JW", None),
        ("12345", None),
    ],
)
def test_a_postcode_cell_holds_one_full_postcode(raw: str, postcode: str | None) -> None:
    assert parse_postcode(raw) == postcode


def test_a_file_is_targets_when_it_names_more_of_their_own_columns() -> None:
    assert is_targets_file(set(COLUMNS))
    assert not is_targets_file(set(EVENT_COLUMNS))
    # A targets file short of a column is still read as targets, to be told which is missing.
    assert is_targets_file({"name", "kind", "why", "postcode"})
    assert not is_targets_file({"kind", "title", "area", "date", "start", "end"})
    assert header("\ufeffName;Kind;PRIORITY\r\nA;seat;1\r\n".encode()) == {
        "name",
        "kind",
        "priority",
    }


def _target(name: str, source: PlaceSource, **values: object) -> Target:
    at = datetime(2026, 11, 24, tzinfo=UTC)
    fields: dict[str, object] = {
        "id": 1,
        "name": name,
        "kind": "seat",
        "priority": 1,
        "why": "Close",
        "postcode": None,
        "latitude": 51.46153,
        "longitude": -0.16834,
        "location_source": source,
        "helpers_wanted": None,
        "created_by": 1,
        "created_at": at,
        "updated_at": at,
    }
    return Target(**(fields | values))  # type: ignore[arg-type]


def test_the_template_imports_as_it_is_and_holds_the_targets_there_are() -> None:
    examples = read_targets(template([]))
    assert [row.name for row in examples.checked] == ["Battersea", "Peckham Rye"]
    assert not examples.errors and examples.postcodes == {"SW11 1JW"}

    data = template(
        [
            _target("Battersea", PlaceSource.SECTOR, postcode="SW11 1JW", helpers_wanted=20),
            _target("=Sum", PlaceSource.GIVEN, kind="ward", why="-5 points"),
        ]
    )
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == HEAD
    # Placed by its postcode: only the postcode, so sending it back keeps it placed by it.
    assert lines[1] == "Battersea,seat,1,Close,SW11 1JW,,,20"
    # Typed coordinates go back as they are; a cell a spreadsheet would run is made text.
    assert lines[2] == "'=Sum,ward,1,'-5 points,,51.46153,-0.16834,"
    again = place(read_targets(data), MAP)
    assert again[0].location_source == PlaceSource.SECTOR and again[1].latitude == 51.46153


def _session(shift_id: int, starts: datetime, hours: int, going: set[int]) -> Session:
    shift = Shift(
        id=shift_id,
        event_id=1,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=10,
        note=None,
        status="active",
        cancelled_at=None,
        going=len(going),
    )
    return Session("Doors", shift, frozenset(going))


def test_helpers_booked_per_local_day_count_each_person_once() -> None:
    saturday = datetime(2027, 3, 27, 10, 0, tzinfo=UTC)  # Sat 27 March, the day before BST
    sunday_night = datetime(2027, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 BST on Monday 29 March
    days = by_day(
        [
            _session(2, saturday + timedelta(hours=4), 3, {1, 3}),
            _session(1, saturday, 3, {1, 2}),
            _session(3, sunday_night, 2, {4}),
        ],
        LONDON,
        wanted=5,
    )
    assert [(d.day, d.booked, d.wanted, [s.shift.id for s in d.sessions]) for d in days] == [
        (date(2027, 3, 27), 3, 5, [1, 2]),
        (date(2027, 3, 29), 1, 5, [3]),
    ]


def test_an_event_works_for_the_target_its_row_names_else_its_area() -> None:
    assert named_by(EventDraft(kind="canvass", title="T", area="Battersea")) == "Battersea"
    assert named_by(EventDraft(kind="canvass", title="T", area="SW", target="Putney")) == "Putney"


# --- The events CSV's target column ---------------------------------------------------------

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
EVENTS = "kind,title,area,address,date,start,end,capacity,target"


def _events(text: str) -> list[EventDraft]:
    return read_events(
        text.encode(),
        today=NOW.date(),
        now=NOW,
        zone=LONDON,
        areas=None,
        targets=["Battersea", "Putney"],
    )


def test_the_target_column_names_a_known_target_in_any_case() -> None:
    first, second = _events(
        f"{EVENTS}\n"
        "canvass,Doors,Wandsworth,Library,05/12/2026,10:00,13:00,5,battersea\n"
        "canvass,Doors,Wandsworth,Library,05/12/2026,14:00,16:00,5,\n"
        "canvass,Stall,Wandsworth,Market,05/12/2026,10:00,13:00,5,\n"
    )
    # One row of an event naming it is enough; the name is the one stored.
    assert (first.title, first.target, len(first.shifts)) == ("Doors", "Battersea", 2)
    assert second.target is None


def test_an_unknown_target_or_two_for_one_event_is_a_line_error() -> None:
    with pytest.raises(BadRows) as caught:
        _events(
            f"{EVENTS}\n"
            "canvass,Doors,Wandsworth,Library,05/12/2026,10:00,13:00,5,Battersea\n"
            "canvass,Doors,Wandsworth,Library,05/12/2026,14:00,16:00,5,Putney\n"
            "canvass,Stall,Wandsworth,Market,05/12/2026,10:00,13:00,5,Tooting\n"
        )
    assert [(e.line, e.column, e.reason, e.other_line) for e in caught.value.errors] == [
        (3, "target", "other_target", 2),
        (4, "target", "target_unknown", None),
    ]
