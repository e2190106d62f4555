"""The polling-day report: at the close of polls, to the organisers and coordinators of an
election's areas (each seeing only their areas), with a chart of said going against came per
committee room; and on demand, "/summary election" and "/export election".

The figures are bot.domain.closing's rules over db.closing's queries.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.domain import closing as rules
from bot.domain.closing import Report
from bot.domain.permissions import Access, Role
from bot.domain.planning import polls_closed_meaningful, read_countdown_detail
from bot.domain.polling import Election
from bot.domain.reports import draw_chart, local_midnight
from bot.services import actors
from bot.services.reports import VolunteersFile, volunteers_file
from bot.settings import Settings
from db import audit
from db import closing as queries
from db import polling as polls
from db import reports as report_queries
from db.outbox import Outgoing


def _day(election: Election, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Polling day in UTC, midnight to midnight local time."""
    return local_midnight(election.day, zone), local_midnight(
        election.day + timedelta(days=1), zone
    )


async def figures(
    conn: AsyncConnection, election: Election, zone: ZoneInfo, at: datetime
) -> Report:
    """The whole election's figures as of ``at``."""
    start, end = _day(election, zone)
    shifts = await queries.room_shifts(conn, election, start, end)
    came = await queries.came(conn, election, [s.shift_id for s in shifts])
    pledged = await queries.pledged(conn, election.id)
    return rules.report(election, shifts, came, pledged, at=at)


async def chart(found: Report, *, closed: bool) -> bytes | None:
    """The chart of said going against came per room (None: no room had anyone). Drawn off the
    event loop: it takes a moment."""
    bars = rules.bars(found)
    if not any(bar.going or bar.came for bar in bars):
        return None
    return await asyncio.to_thread(
        draw_chart,
        bars,
        title=texts.polling_chart_title(found.election, closed=closed),
        going_label=texts.CHART_GOING,
        came_label=texts.CHART_CAME,
        axis_label=texts.CHART_AXIS,
    )


async def close_of_polls(
    conn: AsyncConnection, at: datetime, settings: Settings, *, detail: str, due_at: datetime
) -> list[Outgoing] | None:
    """The report of an election whose polls have closed, to each organiser and coordinator of
    its areas (and admins): the figures of their areas, then the chart. None when it no longer
    means anything (the election is gone, or it is long past)."""
    election_id, _ = read_countdown_detail(detail)
    election = await polls.by_id(conn, election_id)
    if election is None or not polls_closed_meaningful(at, due_at):
        return None
    zone = settings.zone
    whole = await figures(conn, election, zone, election.closes_at(zone))
    readers = set(settings.admin_ids) | set(await queries.readers(conn, election))
    drawn: dict[frozenset[str] | None, tuple[Report, bytes | None]] = {}
    messages = []
    for telegram_id in sorted(readers):
        access = await actors.access(conn, settings.admin_ids, telegram_id)
        areas = access.areas(Role.ORGANISER)
        key = None if areas is None else frozenset(a.casefold() for a in areas)
        if key not in drawn:
            mine = rules.within(whole, areas)
            drawn[key] = (mine, await chart(mine, closed=True))
        mine, png = drawn[key]
        if not mine.areas:
            continue
        messages += [
            Outgoing(telegram_id, None, "report", part)
            for part in texts.polling_report(mine, closed=True)
        ]
        if png is not None:
            messages.append(
                Outgoing(
                    telegram_id,
                    None,
                    "report",
                    texts.polling_chart_caption(election),
                    photo={
                        "filename": "muster-polling-day.png",
                        "png": base64.b64encode(png).decode(),
                    },
                )
            )
    return messages


# --- On demand -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choose:
    """The words did not pick one election: those the asker can see (none: there are none),
    and the name typed ("" for none)."""

    elections: tuple[Election, ...]
    name: str


@dataclass(frozen=True)
class Shown:
    report: Report
    # Before the close of polls the figures are so far.
    closed: bool
    png: bytes | None


@dataclass(frozen=True)
class Exported:
    report: Report
    # The election's people within the asker's areas, for coordinators; else None.
    people: VolunteersFile | None


async def _visible(conn: AsyncConnection, access: Access) -> list[Election]:
    return [e for e in await polls.listed(conn) if access.areas_of(Role.ORGANISER, e.areas)]


async def _pick(
    conn: AsyncConnection, at: datetime, zone: ZoneInfo, access: Access, name: str
) -> Election | Choose:
    found = await _visible(conn, access)
    chosen = rules.choose_election(found, name, at.astimezone(zone).date())
    if len(chosen) == 1:
        return chosen[0]
    return Choose(tuple(chosen or found), name if not chosen else "")


async def _mine(
    conn: AsyncConnection, at: datetime, zone: ZoneInfo, access: Access, election: Election
) -> tuple[Report, bool]:
    closes = election.closes_at(zone)
    whole = await figures(conn, election, zone, min(at, closes))
    return rules.within(whole, access.areas(Role.ORGANISER)), at >= closes


async def summary(
    conn: AsyncConnection, at: datetime, zone: ZoneInfo, access: Access, name: str
) -> Shown | Choose:
    """ "/summary election [name]": the polling-day report of the election named (or the one
    there is), within the asker's areas: final after the close of polls, so far before."""
    election = await _pick(conn, at, zone, access, name)
    if isinstance(election, Choose):
        return election
    found, closed = await _mine(conn, at, zone, access, election)
    return Shown(found, closed, await chart(found, closed=closed))


async def export(
    conn: AsyncConnection, at: datetime, zone: ZoneInfo, access: Access, name: str
) -> Exported | Choose:
    """ "/export election [name]": the election's room shifts as CSV; for coordinators also its
    people (who pledged, who answered for a room shift) within the areas they coordinate, with
    their consent. Recorded in the audit log (the caller's transaction writes)."""
    election = await _pick(conn, at, zone, access, name)
    if isinstance(election, Choose):
        return election
    found, _ = await _mine(conn, at, zone, access, election)
    people = None
    coordinated = access.areas_of(Role.COORDINATOR, election.areas)
    if coordinated:
        every = len(coordinated) == len(election.areas)
        start, end = _day(election, zone)
        among = queries.people_of(election, start, end, None if every else coordinated)
        people = await volunteers_file(
            report_queries.volunteer_records(conn, areas=None, among=among), zone
        )
    await audit.record(
        conn,
        actor_telegram_id=access.telegram_id,
        action="export",
        files=["election"] + (["volunteers"] if people is not None else []),
        shifts=len(found.shifts),
        volunteers=people.count if people is not None else None,
        election=election.id,
        areas=sorted(a.area or "" for a in found.areas),
        at=at,
    )
    return Exported(found, people)
