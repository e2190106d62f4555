"""Target seats, wards and divisions: importing them from a coordinator's CSV file, seeing each
with its sessions and helpers booked vs wanted, and which target a new event works for.

Each use case runs in the caller's transaction; an import is all or nothing (the rules are
:mod:`bot.domain.targets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.events import EventDraft
from bot.domain.permissions import Access
from bot.domain.targets import (
    Day,
    Session,
    Target,
    by_day,
    named_by,
    place,
    read_targets,
)
from db import audit
from db import targets as db_targets
from db.places import lookup

# How far ahead /targets shows sessions.
SESSIONS_AHEAD = timedelta(days=14)


@dataclass(frozen=True)
class Imported:
    """What an import did: the names of the targets added and updated, in the file's order, and
    how many events it tied to new targets by their area."""

    added: list[str]
    updated: list[str]
    tied: int


async def import_file(conn: AsyncConnection, at: datetime, *, by: Access, data: bytes) -> Imported:
    """Every target in a CSV file, added or (same name, in any case) updated, all or none.
    Raises bot.domain.csv_files.BadFile or BadRows, having changed nothing. A new target takes
    in the events already made in an area of its name, not yet tied to another."""
    read = read_targets(data)
    located = {postcode: await lookup.locate(conn, postcode) for postcode in sorted(read.postcodes)}
    drafts = place(read, located)
    existing = {target.name.casefold(): target for target in await db_targets.every(conn)}
    added: list[str] = []
    updated: list[str] = []
    tied = 0
    for draft in drafts:
        found = existing.get(draft.name.casefold())
        if found is not None:
            await db_targets.change(conn, found.id, draft, at=at)
            updated.append(draft.name)
            continue
        target_id = await db_targets.add(conn, draft, by=by.telegram_id, at=at)
        tied += await db_targets.tie_events_in_area(conn, target_id, draft.name)
        added.append(draft.name)
    await audit.record(
        conn,
        actor_telegram_id=by.telegram_id,
        action="targets_import",
        added=len(added),
        updated=len(updated),
        tied=tied,
        at=at,
    )
    return Imported(added, updated, tied)


async def names(conn: AsyncConnection) -> list[str]:
    """Every target's name, as stored: what an events CSV's target column may name."""
    return [target.name for target in await db_targets.every(conn)]


async def for_event(conn: AsyncConnection, draft: EventDraft) -> int | None:
    """The target a new event works for (bot.domain.targets.named_by), if there is one."""
    return await db_targets.id_named(conn, named_by(draft))


@dataclass(frozen=True)
class Overview:
    """A target as /targets shows it: its days with sessions coming up."""

    target: Target
    days: list[Day]


async def overview(conn: AsyncConnection, at: datetime, zone: ZoneInfo) -> list[Overview]:
    """Every target, the most wanted first, with its sessions in the next 14 days by local day,
    helpers booked vs wanted on each."""
    every = await db_targets.every(conn)
    found = await db_targets.sessions(
        conn, [target.id for target in every], since=at, until=at + SESSIONS_AHEAD
    )
    sessions: dict[int, list[Session]] = {}
    for target_id, session in found:
        sessions.setdefault(target_id, []).append(session)
    return [
        Overview(target, by_day(sessions.get(target.id, []), zone, target.helpers_wanted))
        for target in every
    ]
