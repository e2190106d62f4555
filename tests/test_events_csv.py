"""The rules for importing events from a CSV file, and for editing a shift, without Telegram."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.csv_files import MAX_ROWS, BadFile, BadRows, RowError, check_document
from bot.domain.events import BadEventInput
from bot.domain.events_csv import (
    links_csv,
    parse_clock,
    parse_kind,
    parse_shift_change,
    read_events,
    shift_times,
    template,
    template_day,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 24 November 2026, GMT
TODAY = date(2026, 11, 24)
HEADER = "kind,title,area,address,latitude,longitude,date,start,end,capacity,note"


def read(text: str | bytes, areas: set[str] | None = None) -> list:
    data = text.encode() if isinstance(text, str) else text
    return read_events(data, today=TODAY, now=NOW, zone=LONDON, areas=areas)


def errors_of(text: str, areas: set[str] | None = None) -> list[tuple[int, str, str]]:
    with pytest.raises(BadRows) as caught:
        read(text, areas)
    return [(e.line, e.column, e.reason) for e in caught.value.errors]


def bad_file(data: bytes | str) -> tuple[str, str]:
    with pytest.raises(BadFile) as caught:
        read(data)
    return caught.value.reason, caught.value.detail


def test_rows_with_the_same_key_are_shifts_of_one_event() -> None:
    drafts = read(
        f"{HEADER}\n"
        "committee_room,Room 1,Peckham,1 High St,,,14/05/2027,07:00,10:00,8,\n"
        "committee_room,Room 1,Peckham,1 High St,,,14/05/2027,10:00,13:00,8,bring water\n"
        "Polling-day committee room,Room 2,peckham,2 High St,51.47,-0.07,14/05/2027,07:00,10:00,6\n"
    )
    assert [(d.kind, d.title, d.area, len(d.shifts)) for d in drafts] == [
        ("committee_room", "Room 1", "Peckham", 2),
        ("committee_room", "Room 2", "peckham", 1),
    ]
    first = drafts[0].shifts
    # 14 May is in British Summer Time: 07:00 local is 06:00 UTC.
    assert first[0].starts_at == datetime(2027, 5, 14, 6, 0, tzinfo=UTC)
    assert first[1].ends_at == datetime(2027, 5, 14, 12, 0, tzinfo=UTC)
    assert first[1].note == "bring water" and first[0].note is None
    assert (drafts[1].latitude, drafts[1].longitude, drafts[1].address) == (
        51.47,
        -0.07,
        "2 High St",
    )


def test_header_is_case_insensitive_in_any_order_with_bom_semicolons_and_extra_columns() -> None:
    text = (
        "\ufeffCapacity;END;Start;Date;Area;Title;Kind;Address;Ward code\r\n"
        "5;13:00;10:00;Sat 5 Dec;Peckham;Stall;street stall;Rye Lane;E05000\r\n"
        ";;;;;;;;\r\n"
    )
    [draft] = read(text)
    assert (draft.kind, draft.title, draft.address) == ("street_stall", "Stall", "Rye Lane")
    assert draft.shifts[0].starts_at == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # GMT
    assert draft.shifts[0].capacity == 5


def test_a_shift_ending_before_it_starts_runs_past_midnight_up_to_16_hours() -> None:
    [draft] = read(f"{HEADER}\ntraining,Count,Peckham,Hall,,,5/12/2026,22:00,02:00,10,\n")
    shift = draft.shifts[0]
    assert shift.starts_at == datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
    assert shift.ends_at == datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    # 13:00 to 10:00 would be 21 hours: start and end the wrong way round.
    assert errors_of(f"{HEADER}\ntraining,Count,Peckham,Hall,,,5/12/2026,13:00,10:00,10,\n") == [
        (2, "end", "too_long")
    ]


def test_every_bad_row_is_reported_by_line_and_column() -> None:
    text = (
        f"{HEADER}\n"
        "party,Fun,Peckham,Hall,,,5/12/2026,10:00,12:00,5,\n"  # 2: kind
        "canvass,Canvass,Peckham,Hall,,,31/02/2027,10:00,12:00,5,\n"  # 3: date
        "canvass,Canvass,Peckham,Hall,,,5/12/2026,10:00,12:00,0,\n"  # 4: capacity
        "canvass,,Peckham,Hall,,,5/12/2026,10:00,12:00,5,\n"  # 5: title
        "canvass,Canvass,Peckham,,51.5,,5/12/2026,10:00,12:00,5,\n"  # 6: longitude
        "canvass,Canvass,Lewisham,Hall,,,5/12/2026,10:00,12:00,5,\n"  # 7: area
        "canvass,Canvass,Peckham,Hall,,,5/12/2026,25:00,1pm,5,\n"  # 8: start and end
        "canvass,Canvass,Peckham,,,,1/1/2020,10:00,12:00,1001,\n"  # 9: address, date, capacity
        "canvass,Canvass,Peckham,Hall,95,-0.1,5/12/2026,10:00,12:00,5,\n"  # 10: latitude
        "canvass,Canvass,Peckham,Hall,,,24/11/2026,08:00,12:00,5,\n"  # 11: started (09:00 now)
    )
    assert errors_of(text, {"peckham"}) == [
        (2, "kind", "kind"),
        (3, "date", "date"),
        (4, "capacity", "capacity"),
        (5, "title", "missing"),
        (6, "longitude", "pair_missing"),
        (7, "area", "area_not_yours"),
        (8, "start", "time"),
        (8, "end", "time"),
        (9, "address", "no_place"),
        (9, "date", "date_past"),
        (9, "capacity", "capacity"),
        (10, "latitude", "latitude"),
        (11, "start", "started"),
    ]


def test_one_event_at_one_place_and_no_shift_twice() -> None:
    text = (
        f"{HEADER}\n"
        "canvass,C,Peckham,,51.1,-0.1,5/12/2026,10:00,12:00,5,\n"
        "canvass,C,Peckham,,51.2,-0.1,5/12/2026,12:00,14:00,5,\n"
        "canvass,C,Peckham,,51.1,-0.1,5/12/2026,10:00,12:00,9,\n"
    )
    with pytest.raises(BadRows) as caught:
        read(text)
    assert caught.value.errors == [
        RowError(3, "latitude", "other_place", other_line=2),
        RowError(4, "start", "duplicate", other_line=2),
    ]


def test_line_numbers_count_lines_of_the_file_not_rows() -> None:
    text = (
        f"{HEADER}\n\n"
        'canvass,"Two\nlines",Peckham,Hall,,,5/12/2026,10:00,12:00,5,\n'
        "canvass,C,Peckham,Hall,,,5/12/2026,10:00,12:00,x,\n"
    )
    assert errors_of(text) == [(5, "capacity", "capacity")]


@pytest.mark.parametrize(
    ("data", "reason", "detail"),
    [
        (b"", "empty", ""),
        (b"  \r\n\r\n", "empty", ""),
        (HEADER.encode() + b"\n", "no_rows", ""),
        (b"kind,title,area,date,start\ncanvass", "missing_columns", "end, capacity"),
        (b"kind,Kind,title,area,date,start,end,capacity\n", "duplicate_column", "kind"),
        ("kind,title\ncafé".encode("latin-1"), "not_utf8", ""),
        (b"PK\x03\x04\x00\x00binary", "not_csv", ""),
        (b"kind,title\n" + b"x" * 1_000_001, "too_big", ""),
        (f'{HEADER}\n\ncanvass,"C"x,P'.encode(), "unreadable", "3"),
        (f'{HEADER}\ncanvass,"C,P\n'.encode(), "unreadable", "2"),
    ],
)
def test_files_that_cannot_be_read(data: bytes, reason: str, detail: str) -> None:
    assert bad_file(data) == (reason, detail)


def test_too_many_rows() -> None:
    row = "canvass,C,Peckham,Hall,,,5/12/2026,{h:02d}:00,{h:02d}:30,5,\n"
    rows = "".join(row.format(h=n % 20) for n in range(MAX_ROWS + 1))
    assert bad_file(f"{HEADER}\n{rows}")[0] == "too_many_rows"


def test_check_document_before_download() -> None:
    check_document("events.csv", "text/csv", 1000)
    check_document("events.CSV", "application/vnd.ms-excel", 1000)
    check_document(None, "text/comma-separated-values", None)
    for name, mime, size, reason in [
        ("events.xlsx", "application/vnd.openxmlformats", 100, "spreadsheet"),
        ("photo.jpg", "image/jpeg", 100, "not_csv"),
        ("events.csv", "text/csv", 1_000_001, "too_big"),
    ]:
        with pytest.raises(BadFile) as caught:
            check_document(name, mime, size)
        assert caught.value.reason == reason


def test_kinds_clocks_and_shift_times() -> None:
    assert parse_kind("Phone bank") == "phone_bank"
    assert parse_kind(" CAMPAIGN-DAY ") == "campaign_day"
    assert parse_kind("polling day committee room") == "committee_room"
    with pytest.raises(BadEventInput):
        parse_kind("party")
    assert parse_clock("9:30") == time(9, 30) == parse_clock("09.30")
    for bad in ("24:00", "9", "9:5", "10am", ""):
        with pytest.raises(BadEventInput):
            parse_clock(bad)
    # The night the clocks go back: 00:30 to 03:00 local is three and a half hours.
    start, end = shift_times(date(2026, 10, 24), time(0, 30), time(3, 0), LONDON)
    assert (start, end) == (
        datetime(2026, 10, 23, 23, 30, tzinfo=UTC),
        datetime(2026, 10, 24, 2, 0, tzinfo=UTC),
    )


def test_the_template_imports_as_it_is() -> None:
    assert template_day(TODAY) == date(2026, 12, 5)  # the first Saturday a week or more away
    data = template(TODAY, "Lewisham")
    assert data.startswith("\ufeff".encode())
    [draft] = read(data, {"Lewisham"})
    assert (draft.kind, draft.area, draft.shifts[0].capacity) == ("canvass", "Lewisham", 20)


def test_links_file_keeps_typed_formulas_inert() -> None:
    data = links_csv([("=HYPERLINK(1)", "Peckham", "05/12/2026", "https://t.me/b?start=e-x")])
    assert "'=HYPERLINK(1),Peckham" in data.decode("utf-8-sig")


def test_shift_changes() -> None:
    day = date(2026, 12, 5)
    change = parse_shift_change("10:00-14:00 25", day, LONDON, NOW)
    assert (change.starts_at, change.ends_at, change.capacity) == (
        datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
        datetime(2026, 12, 5, 14, 0, tzinfo=UTC),
        25,
    )
    assert parse_shift_change("25", day, LONDON, NOW).starts_at is None
    assert parse_shift_change("9.30 to 12.00", day, LONDON, NOW).capacity is None
    for raw, reason in [
        ("", "shift_change"),
        ("soon", "shift_change"),
        ("10:00-14:00 0", "capacity"),
        ("13:00-10:00", "too_long"),
        ("25:00-26:00", "shift_change"),
    ]:
        with pytest.raises(BadEventInput) as caught:
            parse_shift_change(raw, day, LONDON, NOW)
        assert caught.value.reason == reason, raw
    with pytest.raises(BadEventInput) as caught:
        parse_shift_change("08:00-10:00", TODAY, LONDON, NOW)
    assert caught.value.reason == "started"
