"""Organisers' bulk and edit input, free of Telegram: events from a CSV file (one row per shift),
the template file, and the new time or places typed when editing a shift.

A CSV import is all or nothing: :func:`read_events` checks every row and either returns every event
or raises with every problem found, by line and column, so nothing half-made ends up stored.

Times are the campaign's local wall-clock time, read by the same rule as /newevent
(bot.domain.events.shift_times): an end at or before the start runs past midnight into the next
day (a late count, say); such a shift over 12 hours must say so ("01:00 next day"), or it could be
a slip for the afternoon; over 16 hours is refused, which catches start and end the wrong way round.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.csv_files import BadFile, BadRows, Row, RowError, coordinates, rows
from bot.domain.events import (
    ADDRESS_MAX,
    AREA_MAX,
    CAPACITY_MAX,
    KINDS,
    NOTE_MAX,
    TITLE_MAX,
    AmbiguousShift,
    BadEventInput,
    EventDraft,
    ShiftDraft,
    parse_date,
    shift_times,
)
from bot.domain.reports import safe_cell

COLUMNS = (
    "kind",
    "title",
    "area",
    "address",
    "latitude",
    "longitude",
    "date",
    "start",
    "end",
    "capacity",
    "note",
    "target",
)
REQUIRED = ("kind", "title", "area", "date", "start", "end", "capacity")

TEMPLATE_FILE_NAME = "muster-events-template.csv"


def _norm(value: str) -> str:
    return " ".join(value.replace("-", " ").replace("_", " ").split()).casefold()


_KIND_NAMES = {
    **{_norm(code): code for code in KINDS},
    **{_norm(label): code for code, label in KINDS.items()},
}
_HHMM = re.compile(r"^(\d{1,2})[:.](\d{2})$")
# An end written "01:00 next day" or "01:00+1": past midnight on purpose, however long.
_NEXT_DAY = re.compile(r"\s*(?:\+\s*1|\(?next day\)?)$", re.IGNORECASE)


def parse_kind(raw: str) -> str:
    code = _KIND_NAMES.get(_norm(raw))
    if code is None:
        raise BadEventInput("kind")
    return code


def next_day_marked(raw: str) -> tuple[str, bool]:
    """An end time without its "next day" (or "+1") mark, and whether it had one."""
    marked = _NEXT_DAY.search(raw.strip())
    return (raw.strip()[: marked.start()], True) if marked else (raw, False)


def parse_clock(raw: str) -> time:
    """ "09:30" or "9.30": a 24-hour wall-clock time."""
    match = _HHMM.match(raw.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise BadEventInput("time")
    return time(int(match[1]), int(match[2]))


def parse_capacity(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= CAPACITY_MAX:
        raise BadEventInput("capacity")
    return int(text)


@dataclass
class _Event:
    """An event being gathered from rows, keyed by kind, title, area, date and address."""

    line: int
    kind: str
    title: str
    area: str
    address: str | None
    latitude: float | None
    longitude: float | None
    target: str | None
    shifts: list[ShiftDraft] = field(default_factory=list)
    shift_lines: dict[tuple[datetime, datetime], int] = field(default_factory=dict)

    def draft(self) -> EventDraft:
        return EventDraft(
            kind=self.kind,
            title=self.title,
            area=self.area,
            address=self.address,
            latitude=self.latitude,
            longitude=self.longitude,
            shifts=tuple(sorted(self.shifts, key=lambda s: (s.starts_at, s.ends_at))),
            target=self.target,
        )


def _check_row(
    row: Row,
    *,
    today: date,
    now: datetime,
    zone: ZoneInfo,
    areas: Collection[str] | None,
    targets: Mapping[str, str],
) -> tuple[tuple[str, ...], _Event, ShiftDraft] | None:
    kind = None
    if not row.raw("kind"):
        row.fail("kind", "missing")
    else:
        try:
            kind = parse_kind(row.raw("kind"))
        except BadEventInput:
            row.fail("kind", "kind")

    title = row.text("title", TITLE_MAX, required=True)
    area = row.text("area", AREA_MAX, required=True)
    if (
        area is not None
        and areas is not None
        and area.casefold() not in {allowed.casefold() for allowed in areas}
    ):
        row.fail("area", "area_not_yours")
    address = row.text("address", ADDRESS_MAX, required=False)

    latitude = longitude = None
    pin = coordinates(row)
    if pin is not None:
        latitude, longitude = pin
    elif not row.raw("latitude") and not row.raw("longitude") and not row.raw("address"):
        row.fail("address", "no_place")

    day = None
    if not row.raw("date"):
        row.fail("date", "missing")
    else:
        try:
            day = parse_date(row.raw("date"), today)
        except BadEventInput as bad:
            row.fail("date", bad.reason)

    start = end = None
    end_raw, next_day = next_day_marked(row.raw("end"))
    for column in ("start", "end"):
        if not row.raw(column):
            row.fail(column, "missing")
            continue
        try:
            at = parse_clock(end_raw if column == "end" else row.raw(column))
        except BadEventInput:
            row.fail(column, "time")
            continue
        if column == "start":
            start = at
        else:
            end = at

    capacity = None
    if not row.raw("capacity"):
        row.fail("capacity", "missing")
    else:
        try:
            capacity = parse_capacity(row.raw("capacity"))
        except BadEventInput:
            row.fail("capacity", "capacity")

    note = row.text("note", NOTE_MAX, required=False)

    target = None
    if row.raw("target"):
        target = targets.get(" ".join(row.raw("target").split()).casefold())
        if target is None:
            row.fail("target", "target_unknown")

    times = None
    if day is not None and start is not None and end is not None:
        try:
            times = shift_times(day, start, end, zone, next_day=next_day)
        except AmbiguousShift:
            row.fail("end", "ambiguous")
        except BadEventInput:
            row.fail("end", "too_long")
        else:
            if times[0] <= now:
                row.fail("start", "started")

    if row.errors:
        return None
    assert kind and title and area and day and times and capacity is not None
    key = (kind, title.casefold(), area.casefold(), day.isoformat(), (address or "").casefold())
    event = _Event(row.line, kind, title, area, address, latitude, longitude, target)
    shift = ShiftDraft(starts_at=times[0], ends_at=times[1], capacity=capacity, note=note)
    return key, event, shift


def read_events(
    data: bytes,
    *,
    today: date,
    now: datetime,
    zone: ZoneInfo,
    areas: Collection[str] | None,
    targets: Collection[str] = (),
) -> list[EventDraft]:
    """Every event in a CSV file, or BadFile / BadRows with every problem found.

    ``areas`` limits where events may be (None: anywhere), matched in any case. Rows with the same
    kind, title, area, date and address are shifts of one event, in the order of the file. The
    optional ``target`` column names one of ``targets`` (in any case; the event gets its name as
    stored); a row of an event may leave it empty, but two rows may not name different ones.
    """
    known = {name.casefold(): name for name in targets}
    gathered: dict[tuple[str, ...], _Event] = {}
    errors: list[RowError] = []
    for row in rows(data, COLUMNS, REQUIRED):
        checked = _check_row(row, today=today, now=now, zone=zone, areas=areas, targets=known)
        if checked is None:
            errors.extend(row.errors)
            continue
        key, fresh, shift = checked
        event = gathered.setdefault(key, fresh)
        if (event.latitude, event.longitude) != (fresh.latitude, fresh.longitude):
            errors.append(RowError(row.line, "latitude", "other_place", other_line=event.line))
            continue
        if event.target and fresh.target and event.target != fresh.target:
            errors.append(RowError(row.line, "target", "other_target", other_line=event.line))
            continue
        times = (shift.starts_at, shift.ends_at)
        if times in event.shift_lines:
            errors.append(
                RowError(row.line, "start", "duplicate", other_line=event.shift_lines[times])
            )
            continue
        event.target = event.target or fresh.target
        event.shift_lines[times] = row.line
        event.shifts.append(shift)
    if errors:
        raise BadRows(errors)
    if not gathered:
        raise BadFile("no_rows")
    return [event.draft() for event in gathered.values()]


def template_day(today: date) -> date:
    """A real-looking date for the template: the first Saturday at least a week away."""
    ahead = today + timedelta(days=7)
    return ahead + timedelta(days=(5 - ahead.weekday()) % 7)


def template(today: date, area: str) -> bytes:
    """The CSV organisers fill in: the header and one example row that imports as it is."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "canvass",
            "Saturday canvass",
            area,
            "Library steps, 122 Peckham Hill Street, SE15 5JR",
            "51.4740",
            "-0.0690",
            f"{template_day(today):%d/%m/%Y}",
            "10:00",
            "13:00",
            "20",
            "Bring comfy shoes",
            "",
        ]
    )
    # A BOM so that Excel opens it as UTF-8; the import accepts it.
    return "\ufeff".encode() + out.getvalue().encode()


def links_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    """The share links of imported events as a CSV (title, area, first day, link)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("title", "area", "date", "link"))
    for title, area, day, link in rows:
        # These cells are opened in spreadsheets: keep a typed "=..." from becoming a formula.
        writer.writerow([safe_cell(title), safe_cell(area), day, link])
    return "\ufeff".encode() + out.getvalue().encode()


# --- Editing a shift ------------------------------------------------------------------------------

_CHANGE = re.compile(
    r"^(?:(?P<start>\d{1,2}[:.]\d{2})\s*(?:-|–|to)\s*(?P<end>\d{1,2}[:.]\d{2})"
    r"(?P<next>\s*(?:\+\s*1|\(?next day\)?))?)?"
    r"\s*(?P<capacity>\d+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ShiftChange:
    """New times (UTC) and/or a new number of places; None where unchanged."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None


def parse_shift_change(raw: str, day: date, zone: ZoneInfo, now: datetime) -> ShiftChange:
    """ "10:00-14:00", "25" or "10:00-14:00 25": new times on the shift's own day, new places, or
    both; an end marked "next day" or "+1" is past midnight on purpose. Raises BadEventInput:
    "shift_change" (unreadable), "capacity", "too_long", "started", or AmbiguousShift (see
    bot.domain.events.shift_times)."""
    match = _CHANGE.match(raw.strip())
    if not match or not (match["start"] or match["capacity"]):
        raise BadEventInput("shift_change")
    change = ShiftChange()
    if match["start"]:
        try:
            start, end = parse_clock(match["start"]), parse_clock(match["end"])
        except BadEventInput:
            raise BadEventInput("shift_change") from None
        try:
            starts_at, ends_at = shift_times(day, start, end, zone, next_day=bool(match["next"]))
        except AmbiguousShift as unsure:
            places = parse_capacity(match["capacity"]) if match["capacity"] else 0
            raise AmbiguousShift(unsure.readings, places) from None
        if starts_at <= now:
            raise BadEventInput("started")
        change = ShiftChange(starts_at=starts_at, ends_at=ends_at)
    if match["capacity"]:
        capacity = parse_capacity(match["capacity"])
        change = ShiftChange(change.starts_at, change.ends_at, capacity)
    return change


def change_forms(unsure: AmbiguousShift, zone: ZoneInfo) -> list[str]:
    """Each reading of an ambiguous shift change written so it cannot be misread ("10:00-13:00",
    "10:00-01:00 next day", with the places if they were given): the answers to offer."""
    forms = []
    for starts_at, ends_at in unsure.readings:
        start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        next_day = " next day" if end.date() > start.date() else ""
        places = f" {unsure.capacity}" if unsure.capacity else ""
        forms.append(f"{start:%H:%M}-{end:%H:%M}{next_day}{places}")
    return forms
