"""The plain rules behind reports: periods, figures, CSV cell safety and the chart."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.domain import reports
from bot.domain.reports import BadPeriod, Period, ShiftFigures

ZONE = ZoneInfo("Europe/London")
TODAY = date(2026, 11, 24)  # a Tuesday


def _period(text: str, today: date = TODAY) -> tuple[date, date] | None:
    found = reports.parse_period(text, today)
    return None if found is None else (found.first, found.last)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("", date(2026, 11, 18), date(2026, 11, 24)),
        ("today", TODAY, TODAY),
        ("  Yesterday ", date(2026, 11, 23), date(2026, 11, 23)),
        ("this week", date(2026, 11, 23), date(2026, 11, 29)),
        ("Last  Week", date(2026, 11, 16), date(2026, 11, 22)),
        ("this month", date(2026, 11, 1), date(2026, 11, 30)),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("7d", date(2026, 11, 18), date(2026, 11, 24)),
        ("30d", date(2026, 10, 26), date(2026, 11, 24)),
        ("30 days", date(2026, 10, 26), date(2026, 11, 24)),
        ("last 30 days", date(2026, 10, 26), date(2026, 11, 24)),
        ("1d", TODAY, TODAY),
        ("14/3", date(2026, 3, 14), date(2026, 3, 14)),
        ("14.03", date(2026, 3, 14), date(2026, 3, 14)),
        ("14/03/2027", date(2027, 3, 14), date(2027, 3, 14)),
        ("14/3/25", date(2025, 3, 14), date(2025, 3, 14)),
        ("2026-03-14", date(2026, 3, 14), date(2026, 3, 14)),
        ("Sat 14 Mar", date(2026, 3, 14), date(2026, 3, 14)),
        ("14th March 2025", date(2025, 3, 14), date(2025, 3, 14)),
        # Without a year: the latest such day, or one within the coming week.
        ("24/11", TODAY, TODAY),
        ("28/11", date(2026, 11, 28), date(2026, 11, 28)),
        ("1/12", date(2026, 12, 1), date(2026, 12, 1)),
        ("2/12", date(2025, 12, 2), date(2025, 12, 2)),
        ("29/2", date(2024, 2, 29), date(2024, 2, 29)),
    ],
)
def test_periods_are_read_as_local_days(text: str, first: date, last: date) -> None:
    assert _period(text) == (first, last)


def test_periods_across_the_turn_of_the_year() -> None:
    january = date(2027, 1, 5)
    assert _period("last month", january) == (date(2026, 12, 1), date(2026, 12, 31))
    assert _period("this week", january) == (date(2027, 1, 4), date(2027, 1, 10))
    assert _period("20/12", january) == (date(2026, 12, 20), date(2026, 12, 20))
    assert _period("3/1", date(2026, 12, 30)) == (date(2027, 1, 3), date(2027, 1, 3))
    assert _period("this month", date(2027, 2, 10)) == (date(2027, 2, 1), date(2027, 2, 28))


@pytest.mark.parametrize(
    "text", ["Peckham", "week", "Old Kent Road", "7", "next week", "banana 14 Mar"]
)
def test_words_that_are_not_a_period(text: str) -> None:
    assert reports.parse_period(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/2", "date"),
        ("32/1", "date"),
        ("14/13", "date"),
        ("2026-02-30", "date"),
        ("0d", "days"),
        ("400d", "days"),
        ("Sun 14/3/2026", "weekday"),  # a Saturday
    ],
)
def test_impossible_periods_are_refused(text: str, reason: str) -> None:
    with pytest.raises(BadPeriod) as raised:
        reports.parse_period(text, TODAY)
    assert raised.value.reason == reason


def test_a_period_is_whole_local_days_in_utc() -> None:
    start, end = Period(reports.ONE_DAY, TODAY, TODAY).bounds(ZONE)
    assert (start, end) == (
        datetime(2026, 11, 24, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 0, 0, tzinfo=UTC),
    )
    # In summer, local midnight is 23:00 UTC the day before.
    start, end = Period(reports.ONE_DAY, date(2026, 6, 6), date(2026, 6, 6)).bounds(ZONE)
    assert start == datetime(2026, 6, 5, 23, 0, tzinfo=UTC)
    # The day the clocks go forward has 23 hours.
    spring = date(2026, 3, 29)
    start, end = Period(reports.ONE_DAY, spring, spring).bounds(ZONE)
    assert end - start == timedelta(hours=23)


@pytest.mark.parametrize(
    ("text", "first", "area"),
    [
        ("", date(2026, 11, 18), None),
        ("last week", date(2026, 11, 16), None),
        ("Peckham", date(2026, 11, 18), "Peckham"),
        ("last week Peckham", date(2026, 11, 16), "Peckham"),
        ("Peckham  last week", date(2026, 11, 16), "Peckham"),
        ("Peckham Rye 14/3", date(2026, 3, 14), "Peckham Rye"),
        ("30d Old Kent Road", date(2026, 10, 26), "Old Kent Road"),
        ("Peckham 31/2", date(2026, 11, 18), "Peckham 31/2"),
    ],
)
def test_requests_are_a_period_an_area_or_both(text: str, first: date, area: str | None) -> None:
    request = reports.parse_request(text, TODAY)
    assert (request.period.first, request.area) == (first, area)


def test_areas_compare_in_any_case() -> None:
    assert reports.area_allowed("PECKHAM", None)
    assert reports.area_allowed("PECKHAM", frozenset({"peckham"}))
    assert not reports.area_allowed("Lewisham", frozenset({"Peckham"}))
    assert not reports.area_allowed("Lewisham", frozenset())


@pytest.mark.parametrize(
    ("kept", "going", "percent"),
    [
        (0, 0, None),
        (0, 5, 0),
        (3, 4, 75),
        (4, 7, 57),
        (2, 3, 67),
        (1, 8, 13),
        (5, 8, 63),
        (7, 7, 100),
        (199, 200, 99),  # not 100%: someone did not come
        (1, 201, 1),  # not 0%: someone did
    ],
)
def test_attendance_percent_rounds_half_up(kept: int, going: int, percent: int | None) -> None:
    assert reports.attendance_percent(kept, going) == percent


def _figures(
    shift_id: int, starts_at: datetime, *, going: int = 0, came: int = 0, over: bool = True, **kw
) -> ShiftFigures:
    values = {
        "shift_id": shift_id,
        "event_id": kw.pop("event_id", 1),
        "title": "Doors",
        "area": "Peckham",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "capacity": 10,
        "going": going,
        "came": came,
        "kept": 0,
        "walk_ins": 0,
        "late": 0,
        "doors": 0,
        "over": over,
    }
    values.update(kw)
    return ShiftFigures(**values)


def test_totals_count_no_shows_and_the_rate_only_for_shifts_that_are_over() -> None:
    at = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    figures = [
        _figures(1, at, going=4, came=3, kept=2, walk_ins=1, doors=80),
        _figures(2, at, going=1, came=1, kept=1, doors=20, event_id=2),
        _figures(3, at, going=5, came=1, kept=1, over=False),
    ]
    totals = reports.totals(figures, sign_ups=3)
    assert totals == reports.Totals(
        events=2,
        shifts=3,
        # Said going 10, of them came 4, one walk-in; the shift still on has no no-shows yet.
        turnout=reports.Turnout(
            said_going=10, came=4, walk_ins=1, running_late=0, not_here=2, over=True
        ),
        doors=100,
        sign_ups=3,
        percent=60,
        not_here_yet=4,  # the shift still on: 5 said going, 1 here so far
    )
    assert reports.totals([], 0).percent is None


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1-2", "'+1-2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("＝1+1", "'＝1+1"),
        ("+447700900001", "'+447700900001"),
        ("Ann", "Ann"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_open_as_text(cell: object, safe: str) -> None:
    assert reports.safe_cell(cell) == safe


def test_csv_files_have_every_cell_made_safe() -> None:
    data = reports.to_csv(("name", "=header"), [("=1+1", 3), ("Bob, Jr", None)])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "'=header"], ["'=1+1", "3"], ["Bob, Jr", ""]]


def test_attendance_csv_shows_local_times_and_no_no_shows_before_the_end() -> None:
    summer = datetime(2026, 6, 6, 9, 0, tzinfo=UTC)
    data = reports.attendance_csv(
        [_figures(1, summer, going=3, came=2, kept=2, late=1, over=False, title="=Doors")], ZONE
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(reports.ATTENDANCE_COLUMNS)
    assert rows[1] == [
        "'=Doors",
        "Peckham",
        "2026-06-06 10:00",
        "2026-06-06 13:00",
        "10",
        "3",  # said going
        "2",  # of them came
        "0",  # walk-ins
        "1",  # running late
        "",  # no-shows: not known before the end
        "0",
    ]


def test_chart_bars_per_shift_per_day_or_per_week() -> None:
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    few = [_figures(i, saturday + timedelta(hours=i), going=i, came=1) for i in range(3)]
    assert reports.chart_bars(few, ZONE, week_prefix="w/c") == [
        reports.Bar("Sat 21 Nov\n10:00", 0, 1),
        reports.Bar("Sat 21 Nov\n11:00", 1, 1),
        reports.Bar("Sat 21 Nov\n12:00", 2, 1),
    ]
    # 20 shifts over five days: one bar a day.
    many = [
        _figures(i, saturday + timedelta(days=i % 5, hours=i // 5), going=2, came=1)
        for i in range(20)
    ]
    bars = reports.chart_bars(many, ZONE, week_prefix="w/c")
    assert [bar.label for bar in bars] == [
        "Sat 21 Nov",
        "Sun 22 Nov",
        "Mon 23 Nov",
        "Tue 24 Nov",
        "Wed 25 Nov",
    ]
    assert {(bar.going, bar.came) for bar in bars} == {(8, 4)}
    # Shifts spread over ten weeks: one bar a week, from its Monday.
    spread = [_figures(i, saturday + timedelta(days=4 * i), going=1, came=1) for i in range(18)]
    bars = reports.chart_bars(spread, ZONE, week_prefix="w/c")
    assert bars[0] == reports.Bar("w/c Mon 16 Nov", 1, 1)
    assert sum(bar.going for bar in bars) == 18
    assert not reports.has_data([reports.Bar("x", 0, 0)])


def test_the_chart_is_a_png() -> None:
    bars = [reports.Bar("Sat 21 Nov\n10:00", 4, 3), reports.Bar("$x$ {}", 1, 0)]
    png = reports.draw_chart(
        bars,
        title="Going vs came, $5 day",
        going_label="Said going",
        came_label="Came",
        axis_label="Volunteers",
    )
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 5_000


class _Person:
    def __init__(self, said_going: bool, walk_in: bool, came: bool, running_late: bool) -> None:
        self.said_going, self.walk_in = said_going, walk_in
        self.came, self.running_late = came, running_late


def test_one_rule_puts_each_person_under_one_figure() -> None:
    people = [
        ("Amy", _Person(True, False, True, False)),  # said going, came
        ("Ben", _Person(True, False, True, True)),  # said running late, then came
        ("Cat", _Person(True, False, False, True)),  # running late, not here yet
        ("Dan", _Person(True, False, False, False)),  # not here
        ("Zoe", _Person(False, True, True, False)),  # walk-in
        ("Max", _Person(False, False, False, False)),  # said maybe or can't
    ]
    during = reports.tally(people, over=False)
    assert (during.came, during.walk_ins, during.running_late, during.not_here) == (
        ("Amy", "Ben"),
        ("Zoe",),
        ("Cat",),
        ("Dan",),
    )
    assert during.figures == reports.Turnout(4, 2, 1, 1, 1, over=False)
    assert during.figures.no_shows == 0  # not until the shift is over
    after = reports.tally(people, over=True)
    # Once it is over, whoever was running late and never came is a no-show.
    assert after.figures == reports.Turnout(4, 2, 1, 0, 2, over=True)
    assert after.figures.no_shows == 2 and after.not_here == ("Cat", "Dan")
    # Counted in SQL, the same figures come out of the same rule.
    assert reports.turnout(4, 2, 1, 1, over=False) == during.figures
    assert reports.turnout(4, 2, 1, 1, over=True) == after.figures
    assert texts.turnout_figures(during.figures) == (
        "said going 4, of them came 2, walk-ins 1, running late 1, not here yet 1"
    )
    assert texts.turnout_figures(after.figures) == (
        "said going 4, of them came 2, walk-ins 1, running late 0, no-shows 2"
    )
