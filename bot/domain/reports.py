"""The rules behind coordinators' reports, free of Telegram: reading a period ("last week", "14/3",
"30d") or an area from what was typed, adding up per-shift figures, making CSV cells safe to open in
a spreadsheet, and drawing the going-vs-came chart.

Attendance itself (who came, who said going, who didn't come) is defined once, in
:mod:`db.attendance`; the figures here are sums of what its queries count.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from bot.domain.events import date_parts

# --- Periods -------------------------------------------------------------------------------------

DEFAULT_DAYS = 7
MAX_DAYS = 366
# A day typed without a year is the latest such day on or before today, or one this close ahead.
LOOK_AHEAD = timedelta(days=7)

# Period kinds; bot.texts names them for people.
LAST_DAYS = "days"
TODAY = "today"
YESTERDAY = "yesterday"
THIS_WEEK = "this week"
LAST_WEEK = "last week"
THIS_MONTH = "this month"
LAST_MONTH = "last month"
ONE_DAY = "day"


class BadPeriod(ValueError):
    """Typed as a period, but not a possible one: "31/2", "0d", "500d"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Period:
    """Whole local days, ``first`` to ``last`` inclusive."""

    kind: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period in UTC: from local midnight starting ``first`` to the one ending ``last``."""
        return local_midnight(self.first, zone), local_midnight(self.last + timedelta(days=1), zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def last_days(days: int, today: date) -> Period:
    return Period(LAST_DAYS, today - timedelta(days=days - 1), today)


def default_period(today: date) -> Period:
    return last_days(DEFAULT_DAYS, today)


_DAYS = re.compile(r"^(?:(?:last|past)\s+)?(\d{1,4})\s*(?:d|days?)$")


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _month_before(day: date) -> date:
    return _first_of_month(_first_of_month(day) - timedelta(days=1))


def _day(day: int, month: int, year: int | None, today: date) -> date:
    """A day from its parts; without a year, the latest on or before today unless it is at most
    :data:`LOOK_AHEAD` ahead (so "28/11" typed on a Tuesday means this Saturday)."""
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            raise BadPeriod("date") from None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise BadPeriod("date")
    # Back far enough to find a 29 February.
    for candidate in range(today.year + 1, today.year - 8, -1):
        try:
            found = date(candidate, month, day)
        except ValueError:
            continue
        if found <= today + LOOK_AHEAD:
            return found
    raise BadPeriod("date")


def parse_period(raw: str, today: date) -> Period | None:
    """A period typed the British way, or None when the words are not a period at all.

    today, yesterday, this week, last week (Monday to Sunday), this month, last month, a day
    ("14/3", "14/03/2027", "2027-03-14", "Sat 14 Mar"), or a number of days up to today ("7d",
    "30 days", "last 30 days"). Nothing typed means the last 7 days. Raises BadPeriod for a day or
    a number of days that cannot be.
    """
    text = " ".join(raw.lower().split())
    if text == "":
        return default_period(today)
    monday = today - timedelta(days=today.weekday())
    named = {
        TODAY: Period(TODAY, today, today),
        YESTERDAY: Period(YESTERDAY, today - timedelta(days=1), today - timedelta(days=1)),
        THIS_WEEK: Period(THIS_WEEK, monday, monday + timedelta(days=6)),
        LAST_WEEK: Period(LAST_WEEK, monday - timedelta(days=7), monday - timedelta(days=1)),
        THIS_MONTH: Period(
            THIS_MONTH,
            _first_of_month(today),
            _first_of_month(_first_of_month(today) + timedelta(days=31)) - timedelta(days=1),
        ),
        LAST_MONTH: Period(
            LAST_MONTH, _month_before(today), _first_of_month(today) - timedelta(days=1)
        ),
    }
    if text in named:
        return named[text]
    if match := _DAYS.match(text):
        days = int(match[1])
        if not 1 <= days <= MAX_DAYS:
            raise BadPeriod("days")
        return last_days(days, today)
    parts = date_parts(text)
    if parts is None:
        return None
    found = _day(parts.day, parts.month, parts.year, today)
    if parts.weekday is not None and parts.weekday != found.weekday():
        raise BadPeriod("weekday")
    return Period(ONE_DAY, found, found)


@dataclass(frozen=True)
class Request:
    """What a report was asked for: a period, and an area typed as a name (None: every area the
    person may see)."""

    period: Period
    area: str | None


def parse_request(raw: str, today: date) -> Request:
    """A period, an area, or both in either order ("last week Peckham", "Peckham 30d").

    Anything that is not a period is read as an area name, with the default period. Raises
    BadPeriod when the whole of it looks like a period that cannot be.
    """
    text = " ".join(raw.split())
    period = parse_period(text, today)
    if period is not None:
        return Request(period, None)
    words = text.split(" ")
    # The longest period at either end wins: "last week" before "week".
    for size in range(min(len(words) - 1, 3), 0, -1):
        for period_words, area_words in (
            (words[:size], words[size:]),
            (words[-size:], words[:-size]),
        ):
            try:
                period = parse_period(" ".join(period_words), today)
            except BadPeriod:
                continue
            if period is not None:
                return Request(period, " ".join(area_words))
    return Request(default_period(today), text)


def same_area(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def area_allowed(area: str, areas: Iterable[str] | None) -> bool:
    """Whether someone acting in ``areas`` (None: every area) may see ``area``."""
    return areas is None or any(same_area(area, mine) for mine in areas)


# --- Figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turnout:
    """A shift's turnout in the five figures every report gives, in this order and these words
    (bot.texts.turnout_figures), so that /roster, /turnout, /summary, the turnout and final
    reports and the digest never disagree:

    - said going: answered going before the day; walk-ins are not among them;
    - of them came: those of them who came (checked in, or marked present by an organiser);
    - walk-ins: came without having said going;
    - running late: said going, told us they are running late, not here yet; none once the
      shift is over, when they either came or did not;
    - no-shows: said going and did not come, once the shift is over; until then they are
      ``not_here`` (not here yet, not running late).
    """

    said_going: int
    came: int
    walk_ins: int
    running_late: int
    not_here: int
    over: bool

    @property
    def no_shows(self) -> int:
        return self.not_here if self.over else 0

    @property
    def everyone_who_came(self) -> int:
        return self.came + self.walk_ins


class Attendee(Protocol):
    """One person's answer and attendance for a shift, as the rule needs it."""

    @property
    def said_going(self) -> bool: ...

    @property
    def walk_in(self) -> bool: ...

    @property
    def came(self) -> bool: ...

    @property
    def running_late(self) -> bool: ...


def turnout(
    said_going: int, came: int, walk_ins: int, late_not_here: int, *, over: bool
) -> Turnout:
    """The figures from counts: ``came`` of those who said going, ``late_not_here`` those of them
    running late and not here."""
    late = 0 if over else late_not_here
    return Turnout(said_going, came, walk_ins, late, said_going - came - late, over)


@dataclass(frozen=True)
class Named:
    """The same figures with the names behind each (for organisers only)."""

    said_going: tuple[str, ...]
    came: tuple[str, ...]
    walk_ins: tuple[str, ...]
    running_late: tuple[str, ...]
    not_here: tuple[str, ...]
    figures: Turnout


def tally(people: Iterable[tuple[str, Attendee]], *, over: bool) -> Named:
    """Each (name, attendee) where the rule puts them."""
    said, came, walk_ins, late, missing = [], [], [], [], []
    for name, person in people:
        if person.said_going:
            said.append(name)
            if person.came:
                came.append(name)
            elif person.running_late and not over:
                late.append(name)
            else:
                missing.append(name)
        elif person.walk_in and person.came:
            walk_ins.append(name)
    return Named(
        tuple(said),
        tuple(came),
        tuple(walk_ins),
        tuple(late),
        tuple(missing),
        Turnout(len(said), len(came), len(walk_ins), len(late), len(missing), over),
    )


@dataclass(frozen=True)
class ShiftFigures:
    """One shift's turnout, counted in SQL the way :func:`tally` counts people: ``going`` said
    going; ``kept`` of them came; ``came`` everyone who came, walk-ins included; ``late`` said
    going, running late and not here. See :attr:`turnout` for the figures reports give."""

    shift_id: int
    event_id: int
    title: str
    area: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    going: int
    came: int
    kept: int
    walk_ins: int
    late: int
    doors: int
    over: bool

    @property
    def turnout(self) -> Turnout:
        return turnout(self.going, self.kept, self.walk_ins, self.late, over=self.over)


@dataclass(frozen=True)
class Totals:
    events: int
    shifts: int
    turnout: Turnout
    doors: int
    sign_ups: int
    # Of those who said going for shifts that are over, the share who came (None: nobody).
    percent: int | None
    # Said going to a shift still on, neither here nor running late: no-shows only once it ends.
    not_here_yet: int = 0


def attendance_percent(kept: int, going: int) -> int | None:
    """Came ÷ said going as a whole percentage, rounded half up; None when nobody said going.
    Never 100% while someone did not come, nor 0% once someone did (199 of 200 is 99%)."""
    if going <= 0:
        return None
    percent = (200 * kept + going) // (2 * going)
    if 0 < kept < going:
        return min(max(percent, 1), 99)
    return percent


def totals(figures: Sequence[ShiftFigures], sign_ups: int) -> Totals:
    finished = [f for f in figures if f.over]
    each = [f.turnout for f in figures]
    return Totals(
        events=len({f.event_id for f in figures}),
        shifts=len(figures),
        # Over as a whole only when every shift is: otherwise "not here yet" is not a no-show.
        turnout=Turnout(
            said_going=sum(t.said_going for t in each),
            came=sum(t.came for t in each),
            walk_ins=sum(t.walk_ins for t in each),
            running_late=sum(t.running_late for t in each),
            not_here=sum(t.no_shows for t in each),
            over=True,
        ),
        doors=sum(f.doors for f in figures),
        sign_ups=sign_ups,
        percent=attendance_percent(sum(f.kept for f in finished), sum(f.going for f in finished)),
        not_here_yet=sum(t.not_here for t in each if not t.over),
    )


@dataclass(frozen=True)
class LeaderLine:
    """One volunteer's effort; ``name`` is None unless they chose to be shown."""

    volunteer_id: int
    name: str | None
    shifts: int
    doors: int


# --- CSV exports ---------------------------------------------------------------------------------

# Characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection), with the
# full-width forms some spreadsheets also accept.
_FORMULA_START = frozenset("=+-@\t\r＝＋－＠")

ATTENDANCE_COLUMNS = (
    "event",
    "area",
    "shift start",
    "shift end",
    "capacity",
    "said going",
    "of them came",
    "walk-ins",
    "running late",
    "no-shows",
    "doors",
)
VOLUNTEER_COLUMNS = (
    "id",
    "status",
    "name",
    "postcode",
    "availability",
    "activities",
    "phone",
    "consent given",
    "consent withdrawn",
    "notice version",
)


def safe_cells(values: Iterable[object]) -> list[str]:
    """Every cell of every export goes through here: text a spreadsheet would run as a formula
    gets a leading single quote, so it opens as the text it is. A row at a time, with no call per
    cell: the volunteers export has a million cells."""
    texts = ["" if v is None else v if v.__class__ is str else str(v) for v in values]
    return ["'" + text if text[:1] in _FORMULA_START else text for text in texts]


def safe_cell(value: object) -> str:
    return safe_cells((value,))[0]


class CsvFile:
    """A CSV file written a row at a time into a binary stream: UTF-8 with a byte-order mark (so
    Excel reads it as UTF-8), every cell made safe. Rows are encoded and passed on a few
    kilobytes at a time, so a file on disk is never held in memory whole; :meth:`finish` writes
    out the last of them and leaves the stream open."""

    def __init__(self, header: Sequence[str], into: IO[bytes]) -> None:
        # utf-8-sig starts the stream with the byte-order mark.
        self._text = io.TextIOWrapper(into, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text, lineterminator="\r\n")
        self._writer.writerow(safe_cells(header))
        self.rows = 0

    def add(self, row: Sequence[object]) -> None:
        self._writer.writerow(safe_cells(row))
        self.rows += 1

    def finish(self) -> None:
        self._text.flush()
        # Detached, the wrapper no longer closes the stream when it goes.
        self._text.detach()


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A small CSV file (a row per shift, say) in memory."""
    memory = io.BytesIO()
    sheet = CsvFile(header, memory)
    for row in rows:
        sheet.add(row)
    sheet.finish()
    return memory.getvalue()


def local_stamp(moment: datetime | None, zone: ZoneInfo) -> str:
    """2026-03-14 10:00, local (isoformat: strftime took twice as long, twice a volunteer)."""
    return "" if moment is None else moment.astimezone(zone).isoformat(" ", "minutes")[:16]


def attendance_csv(figures: Sequence[ShiftFigures], zone: ZoneInfo) -> bytes:
    return to_csv(
        ATTENDANCE_COLUMNS,
        (
            (
                f.title,
                f.area,
                local_stamp(f.starts_at, zone),
                local_stamp(f.ends_at, zone),
                f.capacity,
                t.said_going,
                t.came,
                t.walk_ins,
                t.running_late,
                # Not known until the shift is over.
                t.no_shows if t.over else "",
                f.doors,
            )
            for f, t in ((f, f.turnout) for f in figures)
        ),
    )


class VolunteerRecord(NamedTuple):
    """A volunteer as the export shows them: labels, not codes; None where nothing is held. A
    named tuple: an export makes a hundred thousand, and a frozen dataclass is slow to make."""

    id: int
    status: str
    name: str | None
    postcode: str | None
    availability: tuple[str, ...]
    activities: tuple[str, ...]
    phone: str | None
    consent_given: datetime | None
    consent_withdrawn: datetime | None
    notice_version: str | None


def volunteer_cells(p: VolunteerRecord, zone: ZoneInfo) -> tuple[object, ...]:
    """A volunteer's row of the volunteers export (VOLUNTEER_COLUMNS)."""
    return (
        p.id,
        p.status,
        p.name,
        p.postcode,
        "; ".join(p.availability),
        "; ".join(p.activities),
        p.phone,
        local_stamp(p.consent_given, zone),
        local_stamp(p.consent_withdrawn, zone),
        p.notice_version,
    )


# --- The chart -----------------------------------------------------------------------------------

# Up to this many shifts get a bar each; more are added up per day, and past this many days per
# week, so that the labels stay readable.
BARS_PER_SHIFT = 14
BARS_PER_DAY = 31


@dataclass(frozen=True)
class Bar:
    label: str
    going: int
    came: int


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def chart_bars(figures: Sequence[ShiftFigures], zone: ZoneInfo, *, week_prefix: str) -> list[Bar]:
    """Going vs came per shift, per day when there are many shifts, per week when many days."""
    ordered = sorted(figures, key=lambda f: (f.starts_at, f.shift_id))
    if len(ordered) <= BARS_PER_SHIFT:
        return [
            Bar(
                f"{_day_label(f.starts_at.astimezone(zone).date())}\n"
                f"{f.starts_at.astimezone(zone):%H:%M}",
                f.going,
                f.came,
            )
            for f in ordered
        ]
    days = sorted({f.starts_at.astimezone(zone).date() for f in ordered})
    by_week = (days[-1] - days[0]).days >= BARS_PER_DAY

    def bucket(f: ShiftFigures) -> date:
        day = f.starts_at.astimezone(zone).date()
        return day - timedelta(days=day.weekday()) if by_week else day

    sums: dict[date, tuple[int, int]] = {}
    for f in ordered:
        going, came = sums.get(bucket(f), (0, 0))
        sums[bucket(f)] = (going + f.going, came + f.came)
    return [
        Bar(f"{week_prefix} {_day_label(key)}" if by_week else _day_label(key), going, came)
        for key, (going, came) in sorted(sums.items())
    ]


def has_data(bars: Sequence[Bar]) -> bool:
    return any(bar.going or bar.came for bar in bars)


def draw_chart(
    bars: Sequence[Bar], *, title: str, going_label: str, came_label: str, axis_label: str
) -> bytes:
    """A PNG bar chart of going vs came. Uses matplotlib's Agg renderer: no display needed, and no
    pyplot, so nothing global changes and it is safe to run in a worker thread."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(max(6.0, min(16.0, 1.0 + 0.6 * len(bars))), 5.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(bars)))
    width = 0.4
    going = axes.bar(
        [x - width / 2 for x in positions],
        [bar.going for bar in bars],
        width,
        label=going_label,
        color="#9bb7d4",
    )
    came = axes.bar(
        [x + width / 2 for x in positions],
        [bar.came for bar in bars],
        width,
        label=came_label,
        color="#2a6f3e",
    )
    for group in (going, came):
        axes.bar_label(group, padding=2, fontsize=8)
    # Titles and labels are shown as typed: "$" must not start mathematical notation.
    axes.set_xticks(
        positions,
        [bar.label for bar in bars],
        rotation=45 if len(bars) > 7 else 0,
        ha="right" if len(bars) > 7 else "center",
        fontsize=8,
        parse_math=False,
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(axis_label, parse_math=False)
    axes.set_title(title, parse_math=False, pad=28)
    # Above the bars, under the title, so it never hides one.
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    axes.margins(y=0.15)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
