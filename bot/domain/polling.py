"""Polling day, free of Telegram and SQL: elections (a date, polling hours and the areas they
cover), the parts of the day a volunteer pledges, reading what organisers and volunteers type
for them, and the figures organisers see (pledges per area and part of the day, what the
committee rooms want)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.answers import Offer, choose_many
from bot.domain.audience import Place, gap_km
from bot.domain.events import AREA_MAX, BadEventInput, clean_text, read_time

COMMITTEE_ROOM = "committee_room"
DEFAULT_OPENS = time(7, 0)
DEFAULT_CLOSES = time(22, 0)
NAME_MAX = 80
AREAS_MAX = 20
# Where the day is cut into parts volunteers pledge (local time).
MIDDAY = time(12, 0)
TEA_TIME = time(17, 0)


class Part(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


PARTS = (Part.MORNING, Part.AFTERNOON, Part.EVENING)
ALL_DAY = "all"


class BadElectionInput(ValueError):
    """What an organiser typed cannot be an election's name, date, hours or areas; ``reason``
    names the answer to give (bot.texts.ELECTION_BAD)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Election:
    id: int
    name: str
    day: date
    opens: time
    closes: time
    areas: tuple[str, ...]

    def covers(self, area: str) -> bool:
        """Whether ``area`` is one of this election's (areas match in any case)."""
        return area.casefold() in {a.casefold() for a in self.areas}

    def opens_at(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.day, self.opens, tzinfo=zone)

    def closes_at(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.day, self.closes, tzinfo=zone)


def clean_name(raw: str) -> str:
    try:
        return clean_text(raw, NAME_MAX, "title")
    except BadEventInput:
        raise BadElectionInput("name") from None


_HOURS = re.compile(r"^\s*(.+?)\s*(?:-|–|to)\s*(.+?)\s*$", re.IGNORECASE)


def parse_hours(raw: str) -> tuple[time, time]:
    """Polling hours as typed: "07:00-22:00", "7am to 10pm"; closing after opening."""
    match = _HOURS.match(raw)
    if not match:
        raise BadElectionInput("hours")
    try:
        opens, closes = read_time(match[1]), read_time(match[2])
    except BadEventInput:
        raise BadElectionInput("hours") from None
    if closes <= opens:
        raise BadElectionInput("hours")
    return opens, closes


def parse_areas(raw: str) -> tuple[str, ...]:
    """Areas typed as a list: "Peckham, Camberwell and Dulwich" (each once, in the order typed)."""
    found: list[str] = []
    for part in re.split(r"\s*(?:,|;|\n|\band\b)\s*", raw):
        if not part.strip():
            continue
        try:
            area = clean_text(part, AREA_MAX, "area")
        except BadEventInput:
            raise BadElectionInput("areas") from None
        if area.casefold() not in {a.casefold() for a in found}:
            found.append(area)
    if not found or len(found) > AREAS_MAX:
        raise BadElectionInput("areas")
    return tuple(found)


def part_span(part: Part, opens: time, closes: time) -> tuple[time, time]:
    """The local times a part of polling day runs: the morning from the polls opening to midday,
    the afternoon to 17:00, the evening to the close."""
    starts, ends = {
        Part.MORNING: (opens, MIDDAY),
        Part.AFTERNOON: (MIDDAY, TEA_TIME),
        Part.EVENING: (TEA_TIME, closes),
    }[part]
    return max(starts, opens), min(ends, closes)


def parts_during(starts: time, ends: time, opens: time, closes: time) -> set[Part]:
    """The parts of the day a shift from ``starts`` to ``ends`` (local) overlaps."""
    found = set()
    for part in PARTS:
        begin, end = part_span(part, opens, closes)
        if starts < end and begin < ends:
            found.add(part)
    return found


PART_OFFERS: list[Offer[str]] = [
    Offer(ALL_DAY, "all day"),
    Offer(ALL_DAY, "whole day"),
    Offer(ALL_DAY, "the whole day"),
    Offer(ALL_DAY, "all of it"),
    Offer(ALL_DAY, "all"),
    Offer(ALL_DAY, "day off"),
    Offer(ALL_DAY, "morning afternoon and evening"),
    Offer(Part.MORNING.value, "morning"),
    Offer(Part.MORNING.value, "mornings"),
    Offer(Part.MORNING.value, "the morning"),
    Offer(Part.MORNING.value, "am"),
    Offer(Part.AFTERNOON.value, "afternoon"),
    Offer(Part.AFTERNOON.value, "the afternoon"),
    Offer(Part.AFTERNOON.value, "lunchtime"),
    Offer(Part.EVENING.value, "evening"),
    Offer(Part.EVENING.value, "the evening"),
    Offer(Part.EVENING.value, "night"),
    Offer(Part.EVENING.value, "after work"),
]


def read_parts(text: str) -> frozenset[Part] | None:
    """The parts of the day typed ("morning and evening", "all day", "the afternoon"), or None
    when the words are not parts of the day."""
    chosen = choose_many(text, PART_OFFERS)
    if chosen is None:
        return None
    if ALL_DAY in chosen:
        return frozenset(PARTS)
    return frozenset(Part(value) for value in chosen)


def in_order(parts: Iterable[str]) -> list[Part]:
    """Parts as stored (any order, unknown ones dropped), in the order of the day."""
    held = set(parts)
    return [part for part in PARTS if part.value in held]


# A volunteer's polling-day area is that of the nearest place the election works from, if it is
# this close; further away, they are not counted in any of its areas by where they are.
IN_AREA_KM = 15.0


def area_for(person: Place | None, places: Iterable[tuple[str, Place]]) -> str | None:
    """The area (of ``places``: the election's events) nearest ``person``, within IN_AREA_KM."""
    if person is None:
        return None
    best: tuple[float, str] | None = None
    for area, place in places:
        gap = gap_km(person, place)
        if gap is not None and gap <= IN_AREA_KM and (best is None or gap < best[0]):
            best = (gap, area)
    return best[1] if best else None


@dataclass(frozen=True)
class AreaPledges:
    """Pledges in one area (None: not placed in any), by part of the day, and what its committee
    rooms want at the most in each part."""

    area: str | None
    pledged: dict[Part, int]
    wanted: dict[Part, int]

    @property
    def people(self) -> int:
        return max(self.pledged.values(), default=0)

    def short(self) -> list[Part]:
        return [part for part in PARTS if self.pledged[part] < self.wanted[part]]


@dataclass(frozen=True)
class RoomShift:
    """A committee room's shift as the pledge figures weigh it: local times and the helpers it
    wants (its target, else its places)."""

    room_id: int
    area: str
    starts: time
    ends: time
    wanted: int


def pledge_figures(
    election: Election,
    pledges: Iterable[tuple[str | None, Iterable[str]]],
    room_shifts: Iterable[RoomShift],
) -> list[AreaPledges]:
    """Per area of the election (and, last, pledges placed in none): how many pledged each part
    of the day, against the helpers its rooms want in that part (the sum over its shifts of
    room of the most its shifts in that part want at once: a pledge for a part covers it all)."""
    names = {a.casefold(): a for a in election.areas}
    pledged: dict[str | None, dict[Part, int]] = {a: dict.fromkeys(PARTS, 0) for a in names}
    wanted: dict[str | None, dict[Part, int]] = {a: dict.fromkeys(PARTS, 0) for a in names}
    for area, parts in pledges:
        key = area.casefold() if area and area.casefold() in names else None
        counts = pledged.setdefault(key, dict.fromkeys(PARTS, 0))
        for part in in_order(parts):
            counts[part] += 1
    most: dict[tuple[str, int, Part], int] = {}
    for shift in room_shifts:
        key = shift.area.casefold()
        if key not in wanted:
            continue
        for part in parts_during(shift.starts, shift.ends, election.opens, election.closes):
            slot = (key, shift.room_id, part)
            most[slot] = max(most.get(slot, 0), shift.wanted)
    for (key, _room, part), want in most.items():
        wanted[key][part] += want
    order = [*names, *([None] if None in pledged else [])]
    return [
        AreaPledges(
            names[key] if key is not None else None,
            pledged[key],
            wanted.get(key, dict.fromkeys(PARTS, 0)),
        )
        for key in order
    ]
