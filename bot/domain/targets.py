"""Target seats, wards and divisions: the places a campaign points its volunteers at.

Coordinators send them as a CSV file (one row per target; :data:`COLUMNS`), read here free of
Telegram and of the database. Reading is in two steps, because a postcode's place on the map is a
look-up: :func:`read_targets` checks every row and says which postcodes it needs placed;
:func:`place` takes where those are and gives every target, or raises BadRows with every
problem of the file (the first step's and unknown postcodes alike), so an import is all or nothing.

A target's name is its key: the same name (in any case) in a later file updates it. An event works
for the target named in the events CSV's ``target`` column, else for the one its area names
(:func:`named_by`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.audience import Place
from bot.domain.csv_files import BadFile, BadRows, Row, RowError, coordinates, rows
from bot.domain.events import EventDraft, Shift
from bot.domain.events_csv import COLUMNS as EVENT_COLUMNS
from bot.domain.places import APPROXIMATE, Located, PlaceSource, postcode_in
from bot.domain.reports import safe_cell


class TargetKind(StrEnum):
    SEAT = "seat"  # a parliamentary constituency
    WARD = "ward"  # a council ward
    DIVISION = "division"  # a county council division


# 1 is the most wanted.
PRIORITIES = (1, 2, 3)
NAME_MAX = 80
WHY_MAX = 140
HELPERS_MAX = 1000

COLUMNS = ("name", "kind", "priority", "why", "postcode", "latitude", "longitude", "helpers_wanted")
REQUIRED = ("name", "kind", "priority", "why")
TEMPLATE_FILE_NAME = "muster-targets.csv"

# Columns only a targets file has, and only an events file has: a file is read as the kind whose
# own columns it names more of, so a targets file missing a column is still told so as targets.
_OWN = frozenset(COLUMNS) - frozenset(EVENT_COLUMNS)
_EVENTS_OWN = frozenset(EVENT_COLUMNS) - frozenset(COLUMNS)


def is_targets_file(header: Collection[str]) -> bool:
    """Whether a CSV file with these column names (lower case) is targets rather than events."""
    names = set(header)
    return len(names & _OWN) > len(names & _EVENTS_OWN)


@dataclass(frozen=True)
class Target:
    id: int
    name: str
    kind: str
    priority: int
    why: str
    postcode: str | None
    latitude: float
    longitude: float
    location_source: str
    helpers_wanted: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def place(self) -> Place:
        """Its centre, approximate when it was given as a postcode."""
        return Place(
            self.latitude, self.longitude, self.postcode, self.location_source in APPROXIMATE
        )


@dataclass(frozen=True)
class TargetDraft:
    """A checked row of a file, placed on the map: what is stored for the target it names."""

    name: str
    kind: TargetKind
    priority: int
    why: str
    postcode: str | None
    latitude: float
    longitude: float
    location_source: PlaceSource
    helpers_wanted: int | None


@dataclass(frozen=True)
class _Checked:
    """A row with nothing wrong in itself; placed by its coordinates, else by its postcode."""

    line: int
    name: str
    kind: TargetKind
    priority: int
    why: str
    postcode: str | None
    pin: tuple[float, float] | None
    helpers_wanted: int | None


@dataclass(frozen=True)
class TargetsFile:
    """A file read but not yet placed: its good rows and the problems of the others."""

    checked: tuple[_Checked, ...]
    errors: tuple[RowError, ...]

    @property
    def postcodes(self) -> frozenset[str]:
        """The postcodes to look up: of rows without coordinates."""
        return frozenset(row.postcode for row in self.checked if row.pin is None and row.postcode)


def parse_postcode(raw: str) -> str | None:
    """A full postcode ("sw11 1aa", "SW111AA") as "SW11 1AA"; None when the cell is not one."""
    found = postcode_in(raw)
    squashed = "".join(raw.split()).upper()
    return found if found is not None and found.replace(" ", "") == squashed else None


def _check(row: Row) -> _Checked | None:
    name = row.text("name", NAME_MAX, required=True)

    kind = None
    if not row.raw("kind"):
        row.fail("kind", "missing")
    else:
        try:
            kind = TargetKind(row.raw("kind").casefold())
        except ValueError:
            row.fail("kind", "target_kind")

    priority = None
    if not row.raw("priority"):
        row.fail("priority", "missing")
    elif row.raw("priority") in {str(p) for p in PRIORITIES}:
        priority = int(row.raw("priority"))
    else:
        row.fail("priority", "priority")

    why = row.text("why", WHY_MAX, required=True)

    postcode = None
    if row.raw("postcode"):
        postcode = parse_postcode(row.raw("postcode"))
        if postcode is None:
            row.fail("postcode", "postcode")
    pin = coordinates(row)
    if not row.raw("postcode") and not row.raw("latitude") and not row.raw("longitude"):
        row.fail("postcode", "no_centre")

    helpers = None
    raw_helpers = row.raw("helpers_wanted")
    if raw_helpers:
        if raw_helpers.isascii() and raw_helpers.isdigit() and 1 <= int(raw_helpers) <= HELPERS_MAX:
            helpers = int(raw_helpers)
        else:
            row.fail("helpers_wanted", "helpers")

    if row.errors:
        return None
    assert name is not None and kind is not None and priority is not None and why is not None
    return _Checked(row.line, name, kind, priority, why, postcode, pin, helpers)


def read_targets(data: bytes) -> TargetsFile:
    """Every row of a targets file checked (BadFile when the file as a whole cannot be read). A
    name given twice, in any case, is a problem on its second line."""
    checked: list[_Checked] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows(data, COLUMNS, REQUIRED):
        good = _check(row)
        if good is not None and good.name.casefold() in first_line:
            row.fail("name", "duplicate_target", other_line=first_line[good.name.casefold()])
            good = None
        if good is None:
            errors.extend(row.errors)
            continue
        first_line[good.name.casefold()] = row.line
        checked.append(good)
    return TargetsFile(tuple(checked), tuple(errors))


def place(file: TargetsFile, located: Mapping[str, Located | None]) -> list[TargetDraft]:
    """Every target of a read file on the map: at its coordinates when given (exact; a postcode
    beside them is kept to show), else at its postcode's place from ``located`` (approximate
    unless an imported postcode file has it). Raises BadRows with every problem of the file, a
    postcode not on the map among them, or BadFile when it has no rows."""
    errors = list(file.errors)
    drafts: list[TargetDraft] = []
    for row in file.checked:
        if row.pin is not None:
            latitude, longitude = row.pin
            source = PlaceSource.GIVEN
        else:
            assert row.postcode is not None
            found = located.get(row.postcode)
            if found is None:
                errors.append(RowError(row.line, "postcode", "postcode_unknown", row.postcode))
                continue
            latitude, longitude, source = found.latitude, found.longitude, found.source
        drafts.append(
            TargetDraft(
                name=row.name,
                kind=row.kind,
                priority=row.priority,
                why=row.why,
                postcode=row.postcode,
                latitude=latitude,
                longitude=longitude,
                location_source=source,
                helpers_wanted=row.helpers_wanted,
            )
        )
    if errors:
        raise BadRows(sorted(errors, key=lambda error: error.line))
    if not drafts:
        raise BadFile("no_rows")
    return drafts


_EXAMPLES = (
    ("Battersea", "seat", "1", "Won by 412 votes last time: every door counts", "SW11 1JW", "", ""),
    ("Peckham Rye", "ward", "2", "Council by-election on 14 May", "", "51.4650", "-0.0640"),
)


def template(targets: Sequence[Target]) -> bytes:
    """The CSV coordinators fill in: the targets there are now, to change and send back (a
    target placed by its postcode keeps only the postcode, so it stays placed by it), or two
    example rows that import as they are."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    if not targets:
        for name, kind, priority, why, postcode, latitude, longitude in _EXAMPLES:
            writer.writerow([name, kind, priority, why, postcode, latitude, longitude, "20"])
    for target in targets:
        given = target.location_source == PlaceSource.GIVEN
        writer.writerow(
            [
                # Opened in spreadsheets: keep a typed "=..." from becoming a formula.
                safe_cell(target.name),
                target.kind,
                target.priority,
                safe_cell(target.why),
                target.postcode or "",
                f"{target.latitude:.5f}" if given else "",
                f"{target.longitude:.5f}" if given else "",
                target.helpers_wanted or "",
            ]
        )
    # A BOM so that Excel opens it as UTF-8; the import accepts it.
    return "\ufeff".encode() + out.getvalue().encode()


def named_by(draft: EventDraft) -> str:
    """The name of the target an event works for, if there is one by that name: the one its
    CSV row named, else its area (a target's name in any case)."""
    return draft.target or draft.area


# --- Booked vs wanted ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """A shift of an event tied to a target, and who said going to it (volunteer ids)."""

    title: str
    shift: Shift
    going: frozenset[int]


@dataclass(frozen=True)
class Day:
    """A campaign day at a target: its sessions, the helpers booked on it (each counted once,
    however many of its sessions they go to) and how many the coordinator wants (None: not
    said)."""

    day: date
    sessions: tuple[Session, ...]
    booked: int
    wanted: int | None


def by_day(sessions: Iterable[Session], zone: ZoneInfo, wanted: int | None) -> list[Day]:
    """Sessions grouped by the local day they start on, in time order."""
    days: dict[date, list[Session]] = {}
    for session in sorted(sessions, key=lambda s: (s.shift.starts_at, s.shift.id)):
        days.setdefault(session.shift.starts_at.astimezone(zone).date(), []).append(session)
    return [
        Day(day, tuple(found), len(frozenset().union(*(s.going for s in found))), wanted)
        for day, found in days.items()
    ]
