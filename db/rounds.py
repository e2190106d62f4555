"""Knock-up rounds (bot.domain.rounds): going out, coming back, the doors of each, and reading
them back for a helper, a shift or a volunteer. Someone is out while a round of theirs has no
``back_at``; the board and the close-of-polls report read that meaning from this table too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.rounds import Round
from bot.domain.statuses import EventStatus
from db.attendance import came
from db.schema import events, rounds, rsvps, shifts


def _rounds() -> Select[Any]:
    return select(
        rounds.c.id,
        rounds.c.rsvp_id,
        rsvps.c.volunteer_id,
        rsvps.c.shift_id,
        rounds.c.out_at,
        rounds.c.back_at,
        rounds.c.doors,
    ).join(rsvps, rsvps.c.id == rounds.c.rsvp_id)


async def rounds_of(
    conn: AsyncConnection, *, rsvp_id: int | None = None, shift_id: int | None = None
) -> list[Round]:
    """The rounds of one answer (a helper on a shift) or of a whole shift, oldest first."""
    if (rsvp_id is None) == (shift_id is None):
        raise ValueError("rounds_of takes an rsvp_id or a shift_id")
    query = _rounds().where(
        rounds.c.rsvp_id == rsvp_id if rsvp_id is not None else rsvps.c.shift_id == shift_id
    )
    rows = await conn.execute(query.order_by(rounds.c.out_at, rounds.c.id))
    return [Round(*row) for row in rows]


async def by_id(conn: AsyncConnection, round_id: int) -> Round | None:
    row = (await conn.execute(_rounds().where(rounds.c.id == round_id))).first()
    return Round(*row) if row else None


async def volunteer_rounds(conn: AsyncConnection, volunteer_id: int) -> list[Round]:
    """Every round of one volunteer (for /mydata), oldest first."""
    rows = await conn.execute(
        _rounds().where(rsvps.c.volunteer_id == volunteer_id).order_by(rounds.c.out_at)
    )
    return [Round(*row) for row in rows]


@dataclass(frozen=True)
class Helper:
    """One answer for a shift as the rules of rounds read it (see :func:`helper`)."""

    rsvp_id: int
    came: bool
    kind: str
    on: bool


async def helper(
    conn: AsyncConnection, shift_id: int, volunteer_id: int, at: datetime
) -> Helper | None:
    """Someone's answer for a shift, locked for the rest of the transaction on PostgreSQL so two
    taps at once cannot both open a round (SQLite writers take turns already): whether they
    came, the event's kind, and whether the shift is on (active and not ended) at ``at``."""
    row = (
        await conn.execute(
            select(
                rsvps.c.id,
                rsvps.c.checked_in_at,
                rsvps.c.attendance,
                events.c.kind,
                shifts.c.status,
                events.c.status.label("event_status"),
                shifts.c.ends_at,
            )
            .join(shifts, shifts.c.id == rsvps.c.shift_id)
            .join(events, events.c.id == shifts.c.event_id)
            .where(rsvps.c.shift_id == shift_id, rsvps.c.volunteer_id == volunteer_id)
            .with_for_update(of=rsvps)
        )
    ).first()
    if row is None:
        return None
    on = (
        row.status == EventStatus.ACTIVE
        and row.event_status == EventStatus.ACTIVE
        and row.ends_at > at
    )
    return Helper(row.id, came(row.checked_in_at, row.attendance), row.kind, on)


async def open_round(conn: AsyncConnection, rsvp_id: int) -> Round | None:
    row = (
        await conn.execute(_rounds().where(rounds.c.rsvp_id == rsvp_id, rounds.c.back_at.is_(None)))
    ).first()
    return Round(*row) if row else None


async def go_out(conn: AsyncConnection, rsvp_id: int, at: datetime) -> int:
    """A new open round; its id."""
    result = await conn.execute(rounds.insert().values(rsvp_id=rsvp_id, out_at=at))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


async def come_back(conn: AsyncConnection, round_id: int, at: datetime) -> None:
    await conn.execute(
        update(rounds).where(rounds.c.id == round_id, rounds.c.back_at.is_(None)).values(back_at=at)
    )


async def say_doors(conn: AsyncConnection, found: Round, doors: int) -> bool:
    """Keep a closed round's doors and add them to its answer's doors (so the shift's and the
    volunteer's totals, kept by triggers on rsvps, count them). False, and nothing changed,
    if its doors were said already."""
    said = await conn.execute(
        update(rounds)
        .where(rounds.c.id == found.id, rounds.c.doors.is_(None), rounds.c.back_at.is_not(None))
        .values(doors=doors)
    )
    if said.rowcount != 1:
        return False
    await conn.execute(
        update(rsvps)
        .where(rsvps.c.id == found.rsvp_id)
        .values(doors=func.coalesce(rsvps.c.doors, 0) + doors)
    )
    return True


async def erase(conn: AsyncConnection, volunteer_id: int) -> None:
    """A forgotten volunteer's rounds: when they went out and came back goes; the doors they
    said stay counted in their (anonymous) answers, as a debrief's doors do."""
    await conn.execute(
        rounds.delete().where(
            rounds.c.rsvp_id.in_(select(rsvps.c.id).where(rsvps.c.volunteer_id == volunteer_id))
        )
    )
