"""Polling day's knock-up rounds from a committee room: "Out on a round", "Back", the doors of
each round, and what a helper who has checked in is offered. The rules are bot.domain.rounds;
each use case runs in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.rounds import (
    Refused,
    Standing,
    Tally,
    is_committee_room,
    may_come_back,
    may_go_out,
    may_say_doors,
    tally,
)
from bot.domain.volunteers import Volunteer
from bot.services.dayof import EARLY
from db import attendance
from db import rounds as stored


@dataclass(frozen=True)
class Offer:
    """The round button a helper checked in at a committee room is offered: Back while a round
    of theirs is open (``out``), else Out on a round; and their rounds so far."""

    shift_id: int
    out: bool
    so_far: Tally


async def offer(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, shift_id: int | None
) -> Offer | None:
    """What to offer with a check-in's answer on ``shift_id`` (None: the session /here or a
    shared location checked them in to, among those on now); None when it is not a committee
    room's shift on now that they came to (other kinds of session keep no rounds)."""
    candidates = [shift_id] if shift_id is not None else await attendance.on_now(conn, at, EARLY)
    for candidate in candidates:
        found = await stored.helper(conn, candidate, volunteer.id, at)
        if found is None or not (found.came and found.on and is_committee_room(found.kind)):
            continue
        theirs = await stored.rounds_of(conn, rsvp_id=found.rsvp_id)
        return Offer(candidate, any(r.out for r in theirs), tally(theirs))
    return None


@dataclass(frozen=True)
class Went:
    """Out on a round: which of theirs it is (1 for the first), or why not."""

    refused: Refused | None
    number: int = 0


async def go_out(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, shift_id: int
) -> Went:
    found = await stored.helper(conn, shift_id, volunteer.id, at)
    if found is None:
        return Went(Refused.NOT_HERE)
    theirs = await stored.rounds_of(conn, rsvp_id=found.rsvp_id)
    standing = Standing(
        committee_room=is_committee_room(found.kind),
        came=found.came,
        on=found.on,
        out=any(r.out for r in theirs),
    )
    refused = may_go_out(standing)
    if refused is not None:
        return Went(refused)
    await stored.go_out(conn, found.rsvp_id, at)
    return Went(None, len(theirs) + 1)


@dataclass(frozen=True)
class CameBack:
    """Back from a round: the round closed (whose doors are asked next), or why not."""

    refused: Refused | None
    round_id: int = 0


async def come_back(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, shift_id: int
) -> CameBack:
    found = await stored.helper(conn, shift_id, volunteer.id, at)
    open_round = await stored.open_round(conn, found.rsvp_id) if found else None
    if found is None or open_round is None:
        return CameBack(Refused.NOT_OUT)
    standing = Standing(is_committee_room(found.kind), found.came, found.on, out=True)
    refused = may_come_back(standing)
    if refused is not None:
        return CameBack(refused)
    await stored.come_back(conn, open_round.id, at)
    return CameBack(None, open_round.id)


@dataclass(frozen=True)
class Noted:
    """Doors said for a round: their rounds so far, the shift, and whether it is still on (so
    that Out on a round is offered again; else the session's debrief note is). Refused: nothing
    changed (``so_far`` is then None)."""

    refused: Refused | None
    so_far: Tally | None = None
    shift_id: int = 0
    on: bool = False


async def say_doors(
    conn: AsyncConnection, at: datetime, *, volunteer: Volunteer, round_id: int, doors: int
) -> Noted:
    """The doors of one round they came back from, said once; added to the shift's doors."""
    found = await stored.by_id(conn, round_id)
    refused = may_say_doors(found, volunteer.id, doors)
    if refused is not None or found is None:
        return Noted(refused or Refused.UNKNOWN)
    helper = await stored.helper(conn, found.shift_id, volunteer.id, at)
    # Two answers at once for the same round: the second finds it said once the first commits.
    if helper is None or not await stored.say_doors(conn, found, doors):
        return Noted(Refused.ALREADY_SAID)
    theirs = await stored.rounds_of(conn, rsvp_id=found.rsvp_id)
    return Noted(None, tally(theirs), found.shift_id, helper.on)
