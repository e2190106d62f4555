"""The pure rules behind typed answers, times and dates: bot.domain.answers, the date and shift
readers of bot.domain.events, and how bot.timefmt shows a shift past midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot import timefmt
from bot.domain.answers import Meaning, Offer, Pick, choose, fold, means, pick
from bot.domain.csv_files import BadRows
from bot.domain.events import (
    AmbiguousShift,
    BadEventInput,
    WrongWeekday,
    date_parts,
    parse_date,
    parse_shift,
    shift_times,
)
from bot.domain.events_csv import parse_shift_change, read_events

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 11, 24)  # a Tuesday
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_labels_in_any_case_and_marks_ignored() -> None:
    assert fold("  ✅ Saturdays! ") == "saturdays"
    assert fold("« Back") == "back"
    assert fold("I’m in") == "i'm in"
    assert fold("Door-knocking") == fold("door knocking") == "door knocking"
    assert fold("-") == "-"
    offers = [Offer("sat", "Saturdays"), Offer("done", "Done ✔", Meaning.DONE)]
    assert choose("SATURDAYS", offers) == "sat"
    assert choose("done.", offers) == "done"
    assert choose("all done", offers) == "done"
    assert choose("Sundays", offers) is None
    assert choose("", offers) is None
    assert choose("done " * 20, offers) is None


@pytest.mark.parametrize(
    ("words", "meaning"),
    [
        ("skip", Meaning.SKIP),
        ("No thanks", Meaning.SKIP),
        ("later", Meaning.SKIP),
        ("none", Meaning.SKIP),
        ("Yes", Meaning.YES),
        ("👍", Meaning.YES),
        ("nope", Meaning.NO),
        ("maybe", Meaning.MAYBE),
        ("Go back", Meaning.BACK),
        ("never mind", Meaning.CANCEL),
        ("that's all", Meaning.DONE),
    ],
)
def test_plain_words_mean_what_the_buttons_do(words: str, meaning: Meaning) -> None:
    assert means(words, meaning) is meaning


def test_shared_words_go_to_whichever_is_offered_first() -> None:
    # "no thanks" is a Skip where Skip is offered, a No where No is.
    assert means("no thanks", Meaning.SKIP) is Meaning.SKIP
    assert means("no thanks", Meaning.YES, Meaning.NO) is Meaning.NO
    assert means("SE15 4QR", Meaning.SKIP) is None
    assert means("Peckham doors", Meaning.BACK, Meaning.CANCEL) is None


SESSIONS = [
    [
        Offer("ci:1", "10:00 Rye Lane doors"),
        Offer("ci:1", meaning=Meaning.HERE),
        Offer("ci:2", "10:00 Peckham stall"),
        Offer("ci:2", meaning=Meaning.HERE),
    ]
]
MY_SHIFTS = [
    [Offer("mc:1", "Change"), Offer("mx:1", "Cancel"), Offer("mx:1", meaning=Meaning.NO)],
    [Offer("mc:2", "Change"), Offer("mx:2", "Cancel"), Offer("mx:2", meaning=Meaning.NO)],
]
ROSTER = [[Offer("ab:1", "Correct attendance")], [Offer("ab:2", "Correct attendance")]]


@pytest.mark.parametrize(
    ("words", "messages", "picked"),
    [
        # A label in any case, its number, words found in one label only.
        ("10:00 PECKHAM STALL", SESSIONS, Pick("ci:2")),
        ("2", SESSIONS, Pick("ci:2")),
        ("1", SESSIONS, Pick("ci:1")),
        ("3", SESSIONS, Pick()),
        ("rye lane", SESSIONS, Pick("ci:1")),
        # A plain word two buttons mean is not a pick of either.
        ("I'm here", SESSIONS, Pick(several=True)),
        ("10:00", SESSIONS, Pick(several=True)),
        ("banana", SESSIONS, Pick()),
        # Several messages: which one, by its number.
        ("cancel", MY_SHIFTS, Pick(several=True)),
        ("can't", MY_SHIFTS, Pick(several=True)),
        ("cancel 2", MY_SHIFTS, Pick("mx:2")),
        ("2 change", MY_SHIFTS, Pick("mc:2")),
        ("can't #1", MY_SHIFTS, Pick("mx:1")),
        ("cancel 3", MY_SHIFTS, Pick()),
        ("2", MY_SHIFTS, Pick(several=True)),
        ("2", ROSTER, Pick("ab:2")),
        ("correct attendance", ROSTER, Pick(several=True)),
        ("", SESSIONS, Pick()),
    ],
)
def test_typed_words_pick_a_button_among_messages(
    words: str, messages: list[list[Offer[str]]], picked: Pick[str]
) -> None:
    assert pick(words, messages) == picked


@pytest.mark.parametrize(
    "written",
    [
        "14 Mar 27",
        "14 Mar 2027",
        "14/3/27",
        "14-3-2027",
        "14.3.27",
        "14 3 27",
        "2027-03-14",
        "Sun 14 Mar 27",
        "Sunday, 14th March 2027",
        "March 14 2027",
        "14 March",
    ],
)
def test_the_same_date_with_every_separator(written: str) -> None:
    assert parse_date(written, TODAY) == date(2027, 3, 14)


def test_today_tomorrow_and_weekdays_are_local_days() -> None:
    assert parse_date("today", TODAY) == TODAY
    assert parse_date("Tomorrow", TODAY) == date(2026, 11, 25)
    assert parse_date("saturday", TODAY) == date(2026, 11, 28)
    assert parse_date("Sat", TODAY) == date(2026, 11, 28)
    # On a Tuesday, "Tuesday" is next week's: today is "today".
    assert parse_date("tuesday", TODAY) == date(2026, 12, 1)
    assert parse_date("next Monday", TODAY) == date(2026, 11, 30)


def test_a_weekday_that_does_not_fit_is_asked_about_and_other_words_refused() -> None:
    with pytest.raises(WrongWeekday) as caught:
        parse_date("Sat 14 Mar", TODAY)
    assert (caught.value.written, caught.value.nearest) == (date(2027, 3, 14), date(2027, 3, 13))
    with pytest.raises(WrongWeekday) as caught:
        parse_date("Mon 14/3/27", TODAY)
    assert caught.value.nearest == date(2027, 3, 15)
    # Today is a Tuesday: "Mon 24 Nov" could be yesterday, which has gone, so next Monday.
    with pytest.raises(WrongWeekday) as caught:
        parse_date("Mon 24 Nov", TODAY)
    assert caught.value.nearest == date(2026, 11, 30)
    assert date_parts("banana 14 Mar") is None
    for bad in ("banana 14 Mar", "14 Banana", "31/02", "soon", "14/3/27/1"):
        with pytest.raises(BadEventInput) as refused:
            parse_date(bad, TODAY)
        assert refused.value.reason == "date", bad
    with pytest.raises(BadEventInput) as past:
        parse_date("1/11/2026", TODAY)
    assert past.value.reason == "date_past"


def test_a_long_night_is_asked_about_a_short_one_is_not() -> None:
    day = date(2026, 11, 28)
    with pytest.raises(AmbiguousShift) as caught:
        shift_times(day, time(10), time(1), LONDON)
    assert caught.value.readings == (
        (datetime(2026, 11, 28, 10, tzinfo=UTC), datetime(2026, 11, 28, 13, tzinfo=UTC)),
        (datetime(2026, 11, 28, 10, tzinfo=UTC), datetime(2026, 11, 29, 1, tzinfo=UTC)),
    )
    # 22:00-12:00 (14 hours) has no afternoon reading: only the night is offered.
    with pytest.raises(AmbiguousShift) as only_night:
        shift_times(day, time(22), time(12), LONDON)
    assert len(only_night.value.readings) == 1
    # Twelve hours or less past midnight is clearly a night: taken.
    assert shift_times(day, time(22), time(10), LONDON)[1] == datetime(2026, 11, 29, 10, tzinfo=UTC)
    assert shift_times(day, time(10), time(1), LONDON, next_day=True)[1] == datetime(
        2026, 11, 29, 1, tzinfo=UTC
    )
    with pytest.raises(BadEventInput) as long:
        shift_times(day, time(13), time(10), LONDON)
    assert long.value.reason == "too_long" and not isinstance(long.value, AmbiguousShift)


def test_typed_shift_lines() -> None:
    day = date(2026, 11, 28)
    with pytest.raises(AmbiguousShift) as caught:
        parse_shift("10-1 5 bring a torch", day, LONDON)
    first, overnight = caught.value.drafts()
    assert (first.capacity, first.note, overnight.ends_at) == (
        5,
        "bring a torch",
        datetime(2026, 11, 29, 1, tzinfo=UTC),
    )
    # "1am" says which day: not asked.
    assert parse_shift("10am-1am 5", day, LONDON).ends_at == datetime(2026, 11, 29, 1, tzinfo=UTC)
    with pytest.raises(BadEventInput) as long:
        parse_shift("13:00-10:00 5", day, LONDON)
    assert long.value.reason == "too_long"
    # "8-1": overnight would be 17 hours, but a bare "1" may be 13:00: asked, not refused.
    with pytest.raises(AmbiguousShift) as afternoon:
        parse_shift("8-1 5", day, LONDON)
    assert afternoon.value.readings == (
        (datetime(2026, 11, 28, 8, tzinfo=UTC), datetime(2026, 11, 28, 13, tzinfo=UTC)),
    )
    with pytest.raises(BadEventInput) as long:
        parse_shift("8:00-1:00 5", day, LONDON)  # minutes given: a 24-hour time
    assert long.value.reason == "too_long"


def test_shift_edits_ask_about_long_nights_and_take_next_day() -> None:
    day = date(2026, 12, 5)
    with pytest.raises(AmbiguousShift):
        parse_shift_change("10:00-01:00", day, LONDON, NOW)
    change = parse_shift_change("10:00-01:00 next day 4", day, LONDON, NOW)
    assert (change.ends_at, change.capacity) == (datetime(2026, 12, 6, 1, tzinfo=UTC), 4)
    assert parse_shift_change("10:00-01:00+1", day, LONDON, NOW).ends_at == datetime(
        2026, 12, 6, 1, tzinfo=UTC
    )


def _csv(*rows: str) -> bytes:
    header = "kind,title,area,address,date,start,end,capacity"
    return "\n".join([header, *rows]).encode()


def test_csv_long_nights_and_weekdays_are_errors_by_line() -> None:
    data = _csv(
        "canvass,Count,Peckham,Hall,05/12/2026,10:00,01:00,5",
        "canvass,Count,Peckham,Hall,Sun 5/12/2026,10:00,13:00,5",
        "canvass,Night,Peckham,Hall,05/12/2026,10:00,01:00 next day,5",
    )
    with pytest.raises(BadRows) as caught:
        read_events(data, today=TODAY, now=NOW, zone=LONDON, areas=None)
    assert [(e.line, e.column, e.reason) for e in caught.value.errors] == [
        (2, "end", "ambiguous"),
        (3, "date", "weekday"),
    ]
    [night] = read_events(
        _csv("canvass,Night,Peckham,Hall,Sat 05/12/2026,10:00,01:00 next day,5"),
        today=TODAY,
        now=NOW,
        zone=LONDON,
        areas=None,
    )
    assert night.shifts[0].ends_at == datetime(2026, 12, 6, 1, tzinfo=UTC)


def test_a_shift_past_midnight_says_next_day() -> None:
    start = datetime(2026, 11, 28, 22, tzinfo=UTC)
    assert timefmt.span(start, datetime(2026, 11, 29, 2, tzinfo=UTC), LONDON) == (
        "Sat 28 Nov, 22:00-02:00 (next day)"
    )
    assert timefmt.span(start, datetime(2026, 11, 28, 23, tzinfo=UTC), LONDON) == (
        "Sat 28 Nov, 22:00-23:00"
    )
