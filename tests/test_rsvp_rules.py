"""RSVP rules without Telegram: capacity, the waitlist, promotion, and taps racing for the last
places on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.rsvp import Outcome, Promotion, ShiftClosed
from bot.domain.statuses import Attendance, RsvpStatus
from db import events, migrate, rsvps
from db.engine import create_engine
from db.schema import rsvps as rsvps_table
from db.schema import volunteers


async def _volunteers(engine: AsyncEngine, count: int) -> list[int]:
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(volunteers).returning(volunteers.c.id),
            [
                {
                    "telegram_id": 10_000 + n,
                    "name": f"V{n}",
                    "status": "active",
                    "editing": False,
                    "paused": False,
                    "created_at": clock.now(),
                }
                for n in range(count)
            ],
        )
        return sorted(result.scalars())


async def _shift(engine: AsyncEngine, capacity: int) -> int:
    start = clock.now() + timedelta(days=3)
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), capacity),),
    )
    async with engine.begin() as conn:
        event_id = await events.create_event(conn, draft, created_by=1, at=clock.now())
        (shift,) = await events.shifts_of(conn, event_id)
    return shift.id


async def _answer(
    engine: AsyncEngine, shift_id: int, volunteer_id: int, answer: str
) -> rsvps.Outcome:
    async with engine.begin() as conn:
        return await rsvps.respond(
            conn,
            shift_id=shift_id,
            volunteer_id=volunteer_id,
            answer=answer,
            at=clock.now(),
        )


async def test_full_shift_waitlists_and_a_cancel_promotes(engine: AsyncEngine) -> None:
    shift_id = await _shift(engine, capacity=2)
    a, b, c, d = await _volunteers(engine, 4)
    assert (await _answer(engine, shift_id, a, RsvpStatus.GOING)).status == RsvpStatus.GOING
    assert (await _answer(engine, shift_id, b, RsvpStatus.GOING)).status == RsvpStatus.GOING
    third = await _answer(engine, shift_id, c, RsvpStatus.GOING)
    assert (third.status, third.position) == (RsvpStatus.WAITLISTED, 1)
    fourth = await _answer(engine, shift_id, d, RsvpStatus.GOING)
    assert (fourth.status, fourth.position) == (RsvpStatus.WAITLISTED, 2)
    again = await _answer(
        engine, shift_id, d, RsvpStatus.GOING
    )  # tapping again keeps the place in line
    assert (again.status, again.position, again.changed) == (RsvpStatus.WAITLISTED, 2, False)

    cancel = await _answer(engine, shift_id, a, RsvpStatus.CANT)
    assert cancel.status == RsvpStatus.CANT and [p.volunteer_id for p in cancel.promoted] == [c]
    async with engine.connect() as conn:
        assert await rsvps.position(conn, shift_id, d) == 1
        (shift,) = await events.shifts_by_ids(conn, [shift_id])
    assert (shift.going, shift.waitlisted, shift.places_left) == (2, 1, 0)

    # Someone waiting who says maybe leaves the queue without promoting anyone.
    maybe = await _answer(engine, shift_id, d, RsvpStatus.MAYBE)
    assert maybe.status == RsvpStatus.MAYBE and maybe.promoted == ()


async def test_closed_shifts_take_no_answers(engine: AsyncEngine) -> None:
    shift_id = await _shift(engine, capacity=5)
    (vol,) = await _volunteers(engine, 1)
    async with engine.begin() as conn:
        await events.cancel_shift(conn, shift_id, at=clock.now())
    with pytest.raises(ShiftClosed):
        await _answer(engine, shift_id, vol, RsvpStatus.GOING)

    started = await _shift(engine, capacity=5)
    clock.advance(timedelta(days=3, minutes=1))
    with pytest.raises(ShiftClosed):
        await _answer(engine, started, vol, RsvpStatus.GOING)


async def _race_for_the_last_places(engine: AsyncEngine) -> None:
    shift_id = await _shift(engine, capacity=20)
    people = await _volunteers(engine, 65)
    for early in people[:15]:
        await _answer(engine, shift_id, early, RsvpStatus.GOING)
    outcomes = await asyncio.gather(
        *(_answer(engine, shift_id, person, RsvpStatus.GOING) for person in people[15:])
    )
    assert sorted(o.status for o in outcomes).count(RsvpStatus.GOING) == 5
    assert sorted(o.position for o in outcomes if o.status == RsvpStatus.WAITLISTED) == list(
        range(1, 46)
    )
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(rsvps_table.c.status, rsvps_table.c.waitlist_seq).where(
                    rsvps_table.c.shift_id == shift_id
                )
            )
        ).all()
    assert sum(1 for status, _ in rows if status == RsvpStatus.GOING) == 20
    assert sorted(seq for status, seq in rows if status == RsvpStatus.WAITLISTED) == list(
        range(1, 46)
    )


async def test_fifty_taps_for_the_last_five_places_sqlite(engine: AsyncEngine) -> None:
    await _race_for_the_last_places(engine)


@pytest.fixture
async def postgres_engine(postgres_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_database_url, pool_size=20, max_overflow=40)
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


async def test_fifty_taps_for_the_last_five_places_postgres(postgres_engine: AsyncEngine) -> None:
    await _race_for_the_last_places(postgres_engine)


async def test_attendance_expressions_count_every_row(engine: AsyncEngine) -> None:
    """came / no-show in SQL agree with the rule in Python for every combination, NULLs too."""
    from sqlalchemy import func as sql_func
    from sqlalchemy import update

    from db.attendance import CAME, DID_NOT_COME, came

    shift_id = await _shift(engine, capacity=10)
    people = await _volunteers(engine, 6)
    cases = [  # (checked in?, organiser's correction)
        (False, None),
        (True, None),
        (False, Attendance.PRESENT),
        (True, Attendance.NO_SHOW),
        (False, Attendance.NO_SHOW),
        (True, Attendance.PRESENT),
    ]
    for person, (checked, correction) in zip(people, cases, strict=True):
        await _answer(engine, shift_id, person, RsvpStatus.GOING)
        async with engine.begin() as conn:
            await conn.execute(
                update(rsvps_table)
                .where(rsvps_table.c.volunteer_id == person)
                .values(checked_in_at=clock.now() if checked else None, attendance=correction)
            )
    expected_came = sum(came(clock.now() if c else None, a) for c, a in cases)
    async with engine.connect() as conn:
        came_count = await conn.scalar(select(sql_func.count()).where(CAME))
        missing = await conn.scalar(select(sql_func.count()).where(DID_NOT_COME))
    assert (came_count, missing) == (expected_came, len(cases) - expected_came) == (3, 3)


def test_who_moves_the_waitlist() -> None:
    left = Outcome(1, RsvpStatus.CANT, RsvpStatus.WAITLISTED)
    freed = Outcome(1, RsvpStatus.CANT, RsvpStatus.GOING, promoted=(Promotion(1, 2, 3),))
    nobody_waiting = Outcome(1, RsvpStatus.CANT, RsvpStatus.GOING)
    same = Outcome(1, RsvpStatus.WAITLISTED, RsvpStatus.WAITLISTED, position=2)
    assert left.moves_queue and freed.moves_queue
    assert not nobody_waiting.moves_queue and not same.moves_queue
