"""Reports for organisers and coordinators (/summary, /turnout, /export, /chart, /leaderboard) and
volunteers' choice to be named on the leaderboard (/showme, /hideme).

Each report is looked for only within the areas the asker acts in; an area asked for by name
outside them is refused. Figures are about shifts that have started by ``at``: reports are about
what happened (/turnout alone also shows shifts to come). The rules live in bot.domain.reports,
the queries in db.reports.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import reports
from bot.domain.permissions import Access, Role
from bot.domain.reports import (
    LeaderLine,
    Period,
    Request,
    ShiftFigures,
    Totals,
    VolunteerRecord,
)
from bot.domain.volunteers import Purpose
from bot.services import actors, volunteers
from db import audit
from db import reports as queries

# /turnout shows at most this many events; past it, it says how many more there are.
TURNOUT_EVENTS = 5


@dataclass(frozen=True)
class Scope:
    """A report's period and areas (None: every area), and the one area asked for by name."""

    period: Period
    areas: frozenset[str] | None
    area: str | None


@dataclass(frozen=True)
class UnknownArea:
    """No event has ever been in an area of the name typed."""

    name: str


@dataclass(frozen=True)
class NotYourArea:
    """The area asked for is outside ``mine``, the areas the asker acts in."""

    area: str
    mine: frozenset[str] | None


Refused = UnknownArea | NotYourArea


@dataclass(frozen=True)
class Summary:
    scope: Scope
    totals: Totals


@dataclass(frozen=True)
class Turnout:
    """Each event's shifts, nearest first (at most TURNOUT_EVENTS), and how many more there were.
    No events: nothing matched."""

    events: tuple[tuple[ShiftFigures, ...], ...]
    more: int


@dataclass(frozen=True)
class VolunteersFile:
    """The volunteers export as CSV, and how many volunteers are in it. The CSV is in a temporary
    file, not in memory: a campaign's is 12 MB, and held as text, then bytes, then a request
    body, it took the bot from 112 MB to a peak of 167 MB. Whoever sends it closes it (the file
    goes then)."""

    count: int
    file: IO[bytes]


@dataclass(frozen=True)
class Export:
    """The attendance per shift; ``people`` is the volunteers file, None when the asker may not
    have personal data for this scope."""

    scope: Scope
    figures: list[ShiftFigures]
    people: VolunteersFile | None


@dataclass(frozen=True)
class Chart:
    scope: Scope
    figures: list[ShiftFigures]


@dataclass(frozen=True)
class Leaderboard:
    scope: Scope
    lines: list[LeaderLine]


async def _scope(
    conn: AsyncConnection, request: Request, mine: frozenset[str] | None
) -> Scope | Refused:
    """The request checked against ``mine``, the areas the asker acts in (None: every area)."""
    if request.area is None:
        return Scope(request.period, mine, None)
    area = await queries.area_named(conn, request.area)
    if area is None:
        return UnknownArea(request.area)
    if not reports.area_allowed(area, mine):
        return NotYourArea(area, mine)
    return Scope(request.period, frozenset({area}), area)


def _so_far(scope: Scope, zone: ZoneInfo, at: datetime) -> tuple[datetime, datetime]:
    """The period's bounds, cut at ``at``: what has started."""
    start, end = scope.period.bounds(zone)
    return start, min(end, at)


async def _figures_so_far(
    conn: AsyncConnection, scope: Scope, zone: ZoneInfo, at: datetime
) -> list[ShiftFigures]:
    start, end = _so_far(scope, zone, at)
    return await queries.shift_figures(conn, at=at, areas=scope.areas, start=start, end=end)


async def summary(
    conn: AsyncConnection,
    at: datetime,
    zone: ZoneInfo,
    request: Request,
    mine: frozenset[str] | None,
) -> Summary | Refused:
    """Totals of the shifts so far, with the volunteers who signed up in the period."""
    scope = await _scope(conn, request, mine)
    if not isinstance(scope, Scope):
        return scope
    figures = await _figures_so_far(conn, scope, zone, at)
    start, end = _so_far(scope, zone, at)
    joined = await queries.sign_ups(conn, start=start, end=end, areas=scope.areas)
    return Summary(scope, reports.totals(figures, joined))


async def turnout(
    conn: AsyncConnection,
    at: datetime,
    zone: ZoneInfo,
    request: Request,
    mine: frozenset[str] | None,
    *,
    period_given: bool,
) -> Turnout | NotYourArea:
    """Per shift of a period or an area (upcoming shifts too), or of the events whose titles
    have the words typed, perhaps within a period (``period_given``)."""
    start, end = request.period.bounds(zone)
    area = await queries.area_named(conn, request.area) if request.area else None
    if area is not None and not reports.area_allowed(area, mine):
        return NotYourArea(area, mine)
    if request.area is None or area is not None:
        # A period, an area, or both: every shift in it, upcoming ones too.
        figures = await queries.shift_figures(
            conn, at=at, areas=mine if area is None else [area], start=start, end=end
        )
        found = list(dict.fromkeys(f.event_id for f in figures))
    else:
        # Words from a title, perhaps with a period: the events nearest in time first.
        found = await queries.events_titled(conn, request.area.split(), areas=mine, at=at)
        figures = await queries.shift_figures(
            conn,
            at=at,
            areas=mine,
            event_ids=found[:TURNOUT_EVENTS],
            start=start if period_given else None,
            end=end if period_given else None,
        )
    shown = found[:TURNOUT_EVENTS]
    if not figures:
        return Turnout((), 0)
    per_event = (tuple(f for f in figures if f.event_id == event_id) for event_id in shown)
    return Turnout(tuple(s for s in per_event if s), max(len(found) - TURNOUT_EVENTS, 0))


async def export(
    conn: AsyncConnection, at: datetime, zone: ZoneInfo, request: Request, by: Access
) -> Export | Refused:
    """The attendance per shift so far, and for coordinators, within the areas they coordinate,
    the volunteers with their consent. What was exported is recorded in the audit log (so the
    caller's transaction writes)."""
    scope = await _scope(conn, request, by.areas(Role.ORGANISER))
    if not isinstance(scope, Scope):
        return scope
    figures = await _figures_so_far(conn, scope, zone, at)
    # Personal data is for coordinators, within the areas they coordinate.
    people_areas = by.areas(Role.COORDINATOR)
    with_people = by.has(Role.COORDINATOR) and (
        scope.area is None or reports.area_allowed(scope.area, people_areas)
    )
    if with_people and scope.area is not None:
        people_areas = frozenset({scope.area})
    people = (
        await volunteers_file(queries.volunteer_records(conn, areas=people_areas), zone)
        if with_people
        else None
    )
    files = ["attendance"] if figures else []
    if people is not None:
        files.append("volunteers")
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="export",
        files=files,
        shifts=len(figures),
        volunteers=people.count if people is not None else None,
        first=scope.period.first.isoformat(),
        last=scope.period.last.isoformat(),
        areas=sorted(scope.areas) if scope.areas is not None else None,
        at=at,
    )
    return Export(scope, figures, people)


async def volunteers_file(
    records: AsyncIterator[list[VolunteerRecord]], zone: ZoneInfo
) -> VolunteersFile:
    """The volunteers export of ``records``, written as they are read, a batch at a time, so
    that they are never all held at once, nor is the file."""
    with contextlib.ExitStack() as on_failure:
        file = on_failure.enter_context(tempfile.TemporaryFile())
        sheet = reports.CsvFile(reports.VOLUNTEER_COLUMNS, file)
        async for batch in records:
            for person in batch:
                sheet.add(reports.volunteer_cells(person, zone))
        sheet.finish()
        # Written: kept open for the caller.
        on_failure.pop_all()
    return VolunteersFile(sheet.rows, file)


async def chart(
    conn: AsyncConnection,
    at: datetime,
    zone: ZoneInfo,
    request: Request,
    mine: frozenset[str] | None,
) -> Chart | Refused:
    """The shifts so far, for a chart of said going against came."""
    scope = await _scope(conn, request, mine)
    if not isinstance(scope, Scope):
        return scope
    return Chart(scope, await _figures_so_far(conn, scope, zone, at))


async def leaderboard(
    conn: AsyncConnection,
    at: datetime,
    zone: ZoneInfo,
    request: Request,
    mine: frozenset[str] | None,
) -> Leaderboard | Refused:
    """Shifts came to and doors knocked per volunteer so far; names only of those shown."""
    scope = await _scope(conn, request, mine)
    if not isinstance(scope, Scope):
        return scope
    start, end = _so_far(scope, zone, at)
    lines = await queries.leaderboard(conn, start=start, end=end, areas=scope.areas)
    return Leaderboard(scope, lines)


async def set_shown(
    conn: AsyncConnection,
    at: datetime,
    *,
    telegram_id: int,
    username: str | None,
    shown: bool,
    notice_version: str,
) -> bool:
    """Show or hide a volunteer's name on the leaderboard, recorded as their consent choice;
    False when they have not signed up (nothing changes then)."""
    volunteer = await actors.load_volunteer(conn, telegram_id, username)
    if volunteer is None or not volunteer.signed_up:
        return False
    await volunteers.choose(conn, at, volunteer, Purpose.LEADERBOARD, shown, notice_version)
    return True
