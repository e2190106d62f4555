"""bot.services.nearest over a real database, on SQLite and PostgreSQL: which sessions the search
finds (in reach, open, in the next 14 days, not already answered; meeting points with a pin or
only a postcode), and helpers booked per target and local day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.audience import Place
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.nearest import DayNeed
from bot.services import nearest
from db import events
from db.schema import events as events_table
from db.schema import rsvps, targets, volunteers

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SAT_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
HERE = Place(51.4663, -0.0708, "SE15 4QR", approximate=True)


async def _event(
    conn: object,
    title: str,
    *,
    pin: tuple[float, float] | None,
    starts: tuple[datetime, ...] = (SAT_10,),
    address: str = "Somewhere, SE15 4QR",
    capacity: int = 10,
) -> int:
    return await events.create_event(
        conn,  # type: ignore[arg-type]
        EventDraft(
            "canvass",
            title,
            "Peckham",
            address=address,
            latitude=pin[0] if pin else None,
            longitude=pin[1] if pin else None,
            shifts=tuple(ShiftDraft(s, s + timedelta(hours=3), capacity) for s in starts),
        ),
        created_by=1,
        at=NOW,
    )


async def test_the_search_finds_open_sessions_in_reach_only(each_engine: AsyncEngine) -> None:
    clock.set_time(NOW)
    async with each_engine.begin() as conn:
        people = (
            (
                await conn.execute(
                    insert(volunteers).returning(volunteers.c.id),
                    [
                        {
                            "telegram_id": 70_000 + n,
                            "status": "active",
                            "editing": False,
                            "paused": False,
                            "created_at": NOW,
                        }
                        for n in range(6)
                    ],
                )
            )
            .scalars()
            .all()
        )
        near = await _event(conn, "Near", pin=(51.4700, -0.0690))
        await _event(conn, "Postcode only", pin=None, address="Rye Lane, SE22 0AT")
        await _event(conn, "Off the map", pin=None, address="Belfast, BT1 5GS")
        await _event(conn, "Edge of reach", pin=(51.4663, -0.0708 + 0.38))  # 26.3 km east
        await _event(conn, "Far", pin=(53.9611, -1.0803))
        await _event(conn, "Too late", pin=(51.4700, -0.0690), starts=(NOW + timedelta(days=15),))
        await _event(conn, "Started", pin=(51.4700, -0.0690), starts=(NOW - timedelta(hours=1),))
        cancelled = await _event(conn, "Cancelled", pin=(51.4700, -0.0690))
        await events.cancel_event(conn, cancelled, at=NOW)
        answered = await _event(conn, "Answered", pin=(51.4700, -0.0690))
        (answered_shift,) = await events.shifts_of(conn, answered)
        await conn.execute(
            insert(rsvps).values(
                shift_id=answered_shift.id,
                volunteer_id=people[0],
                status="cant",
                responded_at=NOW,
            )
        )
        (near_shift,) = await events.shifts_of(conn, near)
        await conn.execute(
            insert(rsvps),
            [
                {
                    "shift_id": near_shift.id,
                    "volunteer_id": person,
                    "status": status,
                    "responded_at": NOW,
                }
                for person, status in zip(
                    people[1:], ["going", "going", "maybe", "cant", "going"], strict=True
                )
            ],
        )

        found = await nearest.nearest(conn, NOW, origin=HERE, volunteer_id=people[0], zone=ZONE)
    titles = [s.session.event.title for s in found.suggestions]
    # The edge case: 26.3 km from a sector's centre is in reach (1.5 km allowed for it).
    assert sorted(titles) == ["Edge of reach", "Near", "Postcode only"]
    assert found.targets == []
    near_found = next(s for s in found.suggestions if s.session.event.title == "Near")
    assert (near_found.session.shift.going, near_found.weighed.why.places_left) == (3, 7)
    by_postcode = next(s for s in found.suggestions if s.session.event.title == "Postcode only")
    # Placed at SE22 0's centre, both ends approximate.
    assert by_postcode.session.meeting.approximate
    assert by_postcode.weighed.why.approximate
    assert 1.5 < by_postcode.weighed.why.km < 2.0


async def test_helpers_booked_are_counted_per_target_and_local_day(
    each_engine: AsyncEngine,
) -> None:
    clock.set_time(NOW)
    sun_10 = SAT_10 + timedelta(days=1)
    async with each_engine.begin() as conn:
        people = (
            (
                await conn.execute(
                    insert(volunteers).returning(volunteers.c.id),
                    [
                        {
                            "telegram_id": 71_000 + n,
                            "status": "active",
                            "editing": False,
                            "paused": False,
                            "created_at": NOW,
                        }
                        for n in range(5)
                    ],
                )
            )
            .scalars()
            .all()
        )
        target_id = (
            await conn.execute(
                insert(targets)
                .values(
                    name="Peckham",
                    kind="seat",
                    priority=1,
                    why="Close",
                    latitude=51.47,
                    longitude=-0.07,
                    location_source="shared",
                    helpers_wanted=4,
                    created_at=NOW,
                    updated_at=NOW,
                )
                .returning(targets.c.id)
            )
        ).scalar_one()
        morning = await _event(
            conn, "Saturday", pin=(51.4700, -0.0690), starts=(SAT_10, SAT_10 + timedelta(hours=4))
        )
        sunday = await _event(conn, "Sunday", pin=(51.4700, -0.0690), starts=(sun_10,))
        await conn.execute(
            update(events_table)
            .where(events_table.c.id.in_([morning, sunday]))
            .values(target_id=target_id)
        )
        sat_am, sat_pm = await events.shifts_of(conn, morning)
        (sun,) = await events.shifts_of(conn, sunday)
        # Saturday: three people going (one of them twice) and one on the waitlist; Sunday: one.
        answers = [
            (sat_am.id, people[0], "going"),
            (sat_pm.id, people[0], "going"),
            (sat_am.id, people[1], "going"),
            (sat_pm.id, people[2], "going"),
            (sat_pm.id, people[3], "waitlisted"),
            (sun.id, people[1], "going"),
        ]
        await conn.execute(
            insert(rsvps),
            [
                {"shift_id": s, "volunteer_id": v, "status": st, "responded_at": NOW}
                for s, v, st in answers
            ],
        )
        found = await nearest.nearest(conn, NOW, origin=HERE, volunteer_id=people[4], zone=ZONE)
    why = {s.session.shift.id: s.weighed.why for s in found.suggestions}
    assert (why[sat_am.id].day, why[sat_am.id].helpers_short) == (DayNeed.SHORT, 1)
    assert (why[sat_pm.id].day, why[sat_pm.id].helpers_short) == (DayNeed.SHORT, 1)
    assert (why[sun.id].day, why[sun.id].helpers_short) == (DayNeed.SHORT, 3)
    # Sunday needs more, so it comes first though all are equally near.
    assert found.suggestions[0].session.shift.id == sun.id
    # Nobody is counted twice in the going figure of a shift either.
    assert {s.session.shift.id: s.session.shift.going for s in found.suggestions} == {
        sat_am.id: 2,
        sat_pm.id: 2,
        sun.id: 1,
    }
