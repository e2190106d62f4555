"""The polling-day report, free of Telegram and SQL: what an election's committee rooms gave on
the day (pledged, came, hours given, knock-up rounds, doors), per room, per area and in all. It
goes to organisers and coordinators at the close of polls (bot.services.closing) and is what
"/summary election" and "/export election" show.

Who came is db.attendance's rule (counted in SQL); the figures here are sums of those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.polling import PARTS, Election, Part, in_order
from bot.domain.reports import Bar, local_stamp, to_csv

# What "/summary" and "/export" take to mean an election rather than a period or an area.
ELECTION_WORDS = ("election", "elections", "polling day")


def election_words(raw: str) -> str | None:
    """The name typed after "election" ("/summary election", "/summary election Peckham
    by-election"): "" for none, None when the words do not ask for an election at all."""
    text = " ".join(raw.split())
    lowered = text.casefold()
    for word in ELECTION_WORDS:
        if lowered == word:
            return ""
        if lowered.startswith(word + " "):
            return text[len(word) + 1 :]
    return None


def choose_election(found: Sequence[Election], name: str, today: date) -> list[Election]:
    """The elections ``name`` can mean among ``found`` (soonest first): with no name, the one
    there is, else the one held today; with a name, the one of that name, else those whose names
    have every word typed. One left: that is it; more: the asker chooses; none: nothing matched."""
    if not name:
        if len(found) <= 1:
            return list(found)
        held_today = [e for e in found if e.day == today]
        return held_today if len(held_today) == 1 else list(found)
    wanted = name.casefold()
    exact = [e for e in found if e.name.casefold() == wanted]
    if exact:
        return exact
    words = wanted.split()
    return [e for e in found if all(word in e.name.casefold() for word in words)]


def hours_given(checked_in_at: datetime | None, starts_at: datetime, ends_at: datetime) -> float:
    """Hours someone who came gave a shift: from their check-in to the shift's end (from its
    start when an organiser marked them present without a check-in), as of ``ends_at``."""
    begun = checked_in_at if checked_in_at is not None else starts_at
    return max((ends_at - begun).total_seconds(), 0.0) / 3600


@dataclass(frozen=True)
class RoomShiftTotals:
    """One committee-room shift's figures as SQL counts them: ``going`` said going, ``came``
    everyone who came (walk-ins too), ``doors`` knocked (rounds' doors included), ``rounds``
    knock-up rounds gone out."""

    shift_id: int
    room_id: int
    title: str
    area: str
    starts_at: datetime
    ends_at: datetime
    going: int
    came: int
    doors: int
    rounds: int


@dataclass(frozen=True)
class Came:
    """Someone who came to a room shift: when they checked in, and whether they had pledged."""

    shift_id: int
    volunteer_id: int
    checked_in_at: datetime | None
    pledged: bool


@dataclass(frozen=True)
class Figures:
    """What a room, an area or the whole election gave. ``came`` counts people (someone at two
    shifts counts once), ``pledged_came`` those of them who had pledged; ``pledged`` and
    ``by_part`` are pledges (people, and per part of the day), None for a room: pledges are to
    an area, not a room."""

    name: str
    area: str | None
    said_going: int = 0
    came: int = 0
    pledged_came: int = 0
    hours: float = 0.0
    rounds: int = 0
    doors: int = 0
    pledged: int | None = None
    by_part: dict[Part, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    election: Election
    total: Figures
    areas: tuple[Figures, ...]
    rooms: tuple[Figures, ...]
    shifts: tuple[RoomShiftTotals, ...]
    # Hours given per shift (for the export).
    shift_hours: dict[int, float]


@dataclass
class _Sum:
    said_going: int = 0
    rounds: int = 0
    doors: int = 0
    hours: float = 0.0
    people: set[int] = field(default_factory=set)
    pledgers: set[int] = field(default_factory=set)
    pledged: int = 0
    by_part: dict[Part, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))

    def shift(self, shift: RoomShiftTotals) -> None:
        self.said_going += shift.going
        self.rounds += shift.rounds
        self.doors += shift.doors

    def person(self, person: Came, hours: float) -> None:
        self.hours += hours
        self.people.add(person.volunteer_id)
        if person.pledged:
            self.pledgers.add(person.volunteer_id)

    def pledge(self, parts: Iterable[str]) -> None:
        self.pledged += 1
        for part in in_order(parts):
            self.by_part[part] += 1

    def figures(self, name: str, area: str | None, *, with_pledges: bool) -> Figures:
        return Figures(
            name=name,
            area=area,
            said_going=self.said_going,
            came=len(self.people),
            pledged_came=len(self.pledgers),
            hours=self.hours,
            rounds=self.rounds,
            doors=self.doors,
            pledged=self.pledged if with_pledges else None,
            by_part=dict(self.by_part) if with_pledges else {},
        )


def report(
    election: Election,
    shifts: Iterable[RoomShiftTotals],
    came: Iterable[Came],
    pledges: Iterable[tuple[str | None, Iterable[str]]],
    *,
    at: datetime,
) -> Report:
    """The figures of ``election`` as of ``at`` (hours of shifts still on count up to ``at``):
    per committee room (in title order), per area of the election (in its order; pledges placed
    in no area count only in the total) and in all."""
    ordered = sorted(shifts, key=lambda s: (s.title.casefold(), s.room_id, s.starts_at))
    by_id = {s.shift_id: s for s in ordered}
    names = {a.casefold(): a for a in election.areas}
    total = _Sum()
    areas = {key: _Sum() for key in names}
    rooms: dict[int, _Sum] = {}
    shift_hours: dict[int, float] = dict.fromkeys(by_id, 0.0)
    for shift in ordered:
        total.shift(shift)
        rooms.setdefault(shift.room_id, _Sum()).shift(shift)
        areas.setdefault(shift.area.casefold(), _Sum()).shift(shift)
    for person in came:
        shift = by_id.get(person.shift_id)
        if shift is None:
            continue
        hours = hours_given(person.checked_in_at, shift.starts_at, min(shift.ends_at, at))
        shift_hours[shift.shift_id] += hours
        total.person(person, hours)
        rooms[shift.room_id].person(person, hours)
        areas[shift.area.casefold()].person(person, hours)
    for area, parts in pledges:
        parts = list(parts)
        total.pledge(parts)
        if area is not None and area.casefold() in areas:
            areas[area.casefold()].pledge(parts)
    room_info = {s.room_id: s for s in ordered}
    return Report(
        election=election,
        total=total.figures(election.name, None, with_pledges=True),
        areas=tuple(
            areas[key].figures(names.get(key, key), names.get(key, key), with_pledges=True)
            for key in [*names, *(k for k in areas if k not in names)]
        ),
        rooms=tuple(
            rooms[room_id].figures(info.title, info.area, with_pledges=False)
            for room_id, info in room_info.items()
        ),
        shifts=tuple(ordered),
        shift_hours=shift_hours,
    )


def within(found: Report, areas: Iterable[str] | None) -> Report:
    """The report as someone acting in ``areas`` (None: every area) may see it: only their
    areas and rooms, the total theirs alone. Those who see every area of the election see it
    whole (pledges placed in no area included)."""
    if areas is None:
        return found
    mine = {a.casefold() for a in areas}
    if {a.casefold() for a in found.election.areas} <= mine:
        return found
    kept = tuple(a for a in found.areas if (a.area or "").casefold() in mine)
    by_part = {part: sum(a.by_part.get(part, 0) for a in kept) for part in PARTS}
    total = replace(
        found.total,
        said_going=sum(a.said_going for a in kept),
        # People are counted once per area; one person at rooms of two areas is rare, and an
        # organiser's total of their own areas adds their areas' figures.
        came=sum(a.came for a in kept),
        pledged_came=sum(a.pledged_came for a in kept),
        hours=sum(a.hours for a in kept),
        rounds=sum(a.rounds for a in kept),
        doors=sum(a.doors for a in kept),
        pledged=sum(a.pledged or 0 for a in kept),
        by_part=by_part,
    )
    shifts = tuple(s for s in found.shifts if s.area.casefold() in mine)
    return Report(
        election=found.election,
        total=total,
        areas=kept,
        rooms=tuple(r for r in found.rooms if (r.area or "").casefold() in mine),
        shifts=shifts,
        shift_hours={s.shift_id: found.shift_hours[s.shift_id] for s in shifts},
    )


# Up to this many rooms get a bar each on the chart; past it, each area gets one, so that the
# labels stay readable.
ROOM_BARS = 20


def bars(found: Report) -> list[Bar]:
    """Said going against came, per committee room (per area when there are many), for the
    chart."""
    shown = found.rooms if len(found.rooms) <= ROOM_BARS else found.areas
    return [Bar(f.name, f.said_going, f.came) for f in shown]


EXPORT_COLUMNS = (
    "committee room",
    "area",
    "shift start",
    "shift end",
    "said going",
    "came",
    "hours given",
    "rounds",
    "doors",
)


def export_csv(found: Report, zone: ZoneInfo) -> bytes:
    """The election's room shifts, one row each: no names (the volunteers file has people)."""
    return to_csv(
        EXPORT_COLUMNS,
        (
            (
                s.title,
                s.area,
                local_stamp(s.starts_at, zone),
                local_stamp(s.ends_at, zone),
                s.going,
                s.came,
                f"{found.shift_hours[s.shift_id]:.1f}",
                s.rounds,
                s.doors,
            )
            for s in found.shifts
        ),
    )
