"""Shift calls without Telegram: the events an organiser may call for, the live count, creating a
call now or for later (with its audit record), launching those that fall due, and the top-up to
the best standby volunteers. On SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock, texts
from bot.domain.audience import DISTANCES_KM, Audience, Place, near, top_up_size
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Grant, Role
from bot.domain.planning import can_send_at
from bot.domain.sending import lane_of
from bot.services import calls
from db import events, migrate
from db.engine import create_engine
from db.schema import (
    audit_log,
    callouts,
    outbox,
    rsvps,
    volunteer_availability,
    volunteers,
)
from tests.conftest import START, throwaway_postgres

ZONE = ZoneInfo("Europe/London")
SAT_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
OLGA = 7_000  # the organiser: no volunteer row of their own
RSVP_BEFORE = timedelta(hours=24)
# Rye Lane, Peckham; then pins about 1 km, 4 km and 20 km north of it.
MEETING = (51.4693, -0.0692)
NORTH = {1: 51.4783, 4: 51.5053, 20: 51.6493}


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The same test on SQLite and on PostgreSQL (skipped there without TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        yield engine
        return
    async with throwaway_postgres(request.getfixturevalue("postgres_url")) as url:
        postgres = create_engine(url)
        await migrate.upgrade(postgres)
        try:
            yield postgres
        finally:
            await postgres.dispose()


def _organiser(area: str = "Peckham") -> Access:
    return Access(OLGA, False, (Grant(1, OLGA, "Olga", Role.ORGANISER.value, area),))


async def _people(db: AsyncEngine, *specs: tuple[str, int | None, bool]) -> dict[str, int]:
    """Volunteers by name: (name, km north of the meeting point or None, free on Saturdays)."""
    found = {}
    async with db.begin() as conn:
        for n, (name, km, saturdays) in enumerate(specs):
            volunteer_id = (
                await conn.execute(
                    insert(volunteers)
                    .values(
                        telegram_id=10_000 + n,
                        name=name,
                        status="active",
                        editing=False,
                        paused=False,
                        created_at=clock.now(),
                        latitude=NORTH[km] if km else None,
                        longitude=MEETING[1] if km else None,
                    )
                    .returning(volunteers.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(volunteer_availability).values(
                    volunteer_id=volunteer_id, slot="sat" if saturdays else "sun"
                )
            )
            found[name] = volunteer_id
    return found


async def _event(
    db: AsyncEngine, *capacities: int, area: str = "Peckham", start: datetime = SAT_10
) -> tuple[int, list[int]]:
    async with db.begin() as conn:
        event_id = await events.create_event(
            conn,
            EventDraft(
                kind="canvass",
                title="Doors",
                area=area,
                address="Rye Lane Library, SE15 4QR",
                latitude=MEETING[0],
                longitude=MEETING[1],
                shifts=tuple(
                    ShiftDraft(
                        start + timedelta(hours=4 * n), start + timedelta(hours=4 * n + 3), c
                    )
                    for n, c in enumerate(capacities)
                ),
            ),
            created_by=OLGA,
            at=clock.now(),
        )
        return event_id, [s.id for s in await events.shifts_of(conn, event_id)]


def _call(event_id: int, shift_ids: list[int]) -> calls.NewCall:
    return calls.NewCall(
        event_id=event_id,
        shift_ids=tuple(shift_ids),
        filters=Audience(),
        line="Bring a brolly",
        by=OLGA,
        progress_chat_id=OLGA,
    )


async def _outbox(db: AsyncEngine) -> list[tuple[int, str]]:
    """(chat, kind) of every row, in the order the sender takes them: lane by lane."""
    async with db.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.chat_id, outbox.c.kind).order_by(outbox.c.next_attempt_at, outbox.c.id)
        )
        return [
            (row.chat_id, row.kind)
            for row in sorted(rows, key=lambda row: lane_of(row.kind))  # stable: in id order
        ]


def test_a_call_may_be_scheduled_only_between_now_and_its_first_shift() -> None:
    now = SAT_10 - timedelta(days=2)
    starts = [SAT_10 + timedelta(hours=4), SAT_10]
    assert can_send_at(now + timedelta(minutes=1), now, starts)
    assert not can_send_at(now, now, starts)
    assert not can_send_at(SAT_10, now, starts)
    assert not can_send_at(now + timedelta(hours=1), now, [])


def test_a_top_up_asks_twice_the_places_to_fill_and_never_nobody() -> None:
    assert top_up_size(6, 1) == 10
    assert top_up_size(3, 3) == 1
    assert top_up_size(2, 5) == 1


async def test_only_events_in_their_areas_with_a_shift_still_open_are_offered(
    db: AsyncEngine,
) -> None:
    soon, _ = await _event(db, 5, start=clock.now() + timedelta(days=1))
    later, _ = await _event(db, 5)
    await _event(db, 5, area="Lewisham")
    begun, _ = await _event(db, 5, start=clock.now() - timedelta(hours=1))  # running now
    async with db.connect() as conn:
        mine = await calls.events_to_call(conn, clock.now(), ["peckham"])
        everyone = await calls.events_to_call(conn, clock.now(), None)
    assert [c.event.id for c in mine] == [soon, later]
    assert begun not in [c.event.id for c in everyone] and len(everyone) == 3


async def test_the_live_count_follows_the_chosen_shifts_and_filters(db: AsyncEngine) -> None:
    people = await _people(db, ("Amy", 1, True), ("Ben", 4, False), ("Cat", 20, True))
    event_id, (first, second) = await _event(db, 5, 5)
    async with db.begin() as conn:
        await conn.execute(
            insert(rsvps).values(
                shift_id=second, volunteer_id=people["Amy"], status="going", responded_at=START
            )
        )
    async with db.connect() as conn:
        every = await calls.live_count(
            conn, clock.now(), event_id=event_id, shift_ids=[first], filters=Audience(), zone=ZONE
        )
        both = await calls.live_count(
            conn,
            clock.now(),
            event_id=event_id,
            shift_ids=[first, second],
            filters=Audience(),
            zone=ZONE,
        )
        near_and_free = await calls.live_count(
            conn,
            clock.now(),
            event_id=event_id,
            shift_ids=[first],
            filters=Audience(within_km=5, fits_availability=True),
            zone=ZONE,
        )
        plain = await calls.event_to_call(conn, clock.now(), event_id)
    assert [s.id for s in every.shifts] == [first, second] and every.reaches == 3
    assert both.reaches == 2  # Amy answered for the second shift already
    assert near_and_free.reaches == 1  # Amy only: Ben is not free, Cat is 20 km away
    assert plain.reaches is None and plain.chosen([second]) == [plain.shifts[1]]


async def test_sending_now_queues_the_progress_message_first_then_one_call_each(
    db: AsyncEngine,
) -> None:
    await _people(db, ("Amy", 1, True), ("Ben", 4, False))
    event_id, (first, _) = await _event(db, 5, 5)
    at = clock.now()
    async with db.begin() as conn:
        reached = await calls.send_now(
            conn, at, _call(event_id, [first]), rsvp_before=RSVP_BEFORE, zone=ZONE
        )
    assert reached == 2
    assert await _outbox(db) == [(OLGA, "call_progress"), (10_000, "callout"), (10_001, "callout")]
    async with db.connect() as conn:
        call = (await conn.execute(select(callouts))).one()
        audit = (await conn.execute(select(audit_log))).one()
        row = (await conn.execute(select(outbox).where(outbox.c.chat_id == 10_000))).one()
    assert (call.status, call.recipients, call.message) == ("sending", 2, "Bring a brolly")
    assert call.rsvp_deadline.replace(tzinfo=UTC) == SAT_10 - RSVP_BEFORE
    assert (audit.action, audit.actor_telegram_id) == ("callout", OLGA)
    assert audit.detail == {
        "event_id": event_id,
        "callout_id": call.id,
        "shifts": 1,
        "audience": Audience().to_json(),
        "scheduled": False,
    }
    # The message is stored once, on the call; its rows only say whom it is for.
    assert row.payload == {} and "Bring a brolly" in call.payload["text"]
    assert call.payload["reply_markup"]["inline_keyboard"]


async def test_a_call_reaching_nobody_is_done_at_once(db: AsyncEngine) -> None:
    event_id, (first,) = await _event(db, 5)
    async with db.begin() as conn:
        reached = await calls.send_now(
            conn, clock.now(), _call(event_id, [first]), rsvp_before=RSVP_BEFORE, zone=ZONE
        )
    assert reached == 0
    assert await _outbox(db) == [(OLGA, "call_progress")]
    async with db.connect() as conn:
        assert await conn.scalar(select(callouts.c.status)) == "done"


async def test_a_call_for_later_waits_then_launches_once_when_due(db: AsyncEngine) -> None:
    await _people(db, ("Amy", 1, True))
    event_id, (first, _) = await _event(db, 5, 5)
    at = clock.now()
    send_at = at + timedelta(hours=5)
    async with db.begin() as conn:
        for refused in (at, at - timedelta(hours=1), SAT_10, SAT_10 + timedelta(hours=1)):
            assert not await calls.send_later(
                conn, at, _call(event_id, [first]), send_at=refused, rsvp_before=RSVP_BEFORE
            )
        assert await calls.send_later(
            conn, at, _call(event_id, [first]), send_at=send_at, rsvp_before=RSVP_BEFORE
        )
    async with db.connect() as conn:
        (call,) = (await conn.execute(select(callouts))).all()
        audit = (await conn.execute(select(audit_log))).one()
    assert call.status == "scheduled" and audit.detail["scheduled"] is True
    assert await _outbox(db) == []

    async with db.begin() as conn:
        assert await calls.launch_due(conn, send_at - timedelta(minutes=1), ZONE) == 0
        assert await calls.launch_due(conn, send_at, ZONE) == 1
        assert await calls.launch_due(conn, send_at + timedelta(minutes=1), ZONE) == 0
    assert await _outbox(db) == [(OLGA, "call_progress"), (10_000, "callout")]


async def test_a_call_for_later_needs_a_chosen_shift_still_open(db: AsyncEngine) -> None:
    event_id, (first,) = await _event(db, 5, start=clock.now() + timedelta(minutes=30))
    later = clock.now() + timedelta(minutes=10)
    async with db.begin() as conn:
        assert not await calls.send_later(
            conn, clock.now(), _call(event_id, []), send_at=later, rsvp_before=RSVP_BEFORE
        )
        await events.cancel_shift(conn, first, at=clock.now())
        assert not await calls.send_later(
            conn, clock.now(), _call(event_id, [first]), send_at=later, rsvp_before=RSVP_BEFORE
        )
    async with db.connect() as conn:
        assert (await conn.execute(select(callouts))).all() == []
        assert (await conn.execute(select(audit_log))).all() == []


async def test_a_top_up_calls_the_nearest_free_people_not_asked_lately(db: AsyncEngine) -> None:
    people = await _people(
        db,
        ("Amy", 1, True),  # going already
        ("Ben", 20, True),
        ("Cat", 4, True),
        ("Dan", 1, False),  # not free on Saturdays
        ("Eve", 1, True),  # asked two days ago
        ("Fay", None, True),  # no idea where she is
        ("Gus", 1, True),
    )
    _, (shift_id,) = await _event(db, 2)
    async with db.begin() as conn:
        await conn.execute(
            insert(rsvps).values(
                shift_id=shift_id, volunteer_id=people["Amy"], status="going", responded_at=START
            )
        )
        await conn.execute(
            insert(outbox).values(
                chat_id=10_004,
                volunteer_id=people["Eve"],
                kind="callout",
                payload={"text": "an earlier call"},
                status="sent",
                created_at=START - timedelta(days=2),
                next_attempt_at=START - timedelta(days=2),
                sent_at=START - timedelta(days=2),
            )
        )
    async with db.begin() as conn:
        result = await calls.top_up(
            conn,
            clock.now(),
            access=_organiser(),
            shift_id=shift_id,
            progress_chat_id=OLGA,
            newcomer_show_rate=0.6,
            zone=ZONE,
        )
    assert result == "sent"
    async with db.connect() as conn:
        call = (await conn.execute(select(callouts))).one()
        audit = (await conn.execute(select(audit_log))).one()
        called = set(
            await conn.scalars(
                select(outbox.c.volunteer_id).where(
                    outbox.c.kind == "callout", outbox.c.status == "pending"
                )
            )
        )
    # One place to fill, so two asked: Gus (1 km), then Cat (4 km) over Ben (20 km) and Fay.
    assert called == {people["Gus"], people["Cat"]}
    assert call.audience["only"] == sorted(called)
    assert call.message == texts.TOP_UP_LINE and call.status == "sending"
    assert audit.detail["audience"] == {"top_up": 2} and audit.detail["scheduled"] is False


async def test_a_top_up_is_refused_outside_their_areas_when_closed_or_with_nobody_free(
    db: AsyncEngine,
) -> None:
    await _people(db, ("Dan", 1, False))
    _, (shift_id,) = await _event(db, 2)
    _, (begun,) = await _event(db, 2, start=clock.now() - timedelta(hours=1))

    async def tap(access: Access, shift: int) -> str:
        async with db.begin() as conn:
            return await calls.top_up(
                conn,
                clock.now(),
                access=access,
                shift_id=shift,
                progress_chat_id=OLGA,
                newcomer_show_rate=0.6,
                zone=ZONE,
            )

    assert await tap(_organiser("Lewisham"), shift_id) == "not_allowed"
    assert await tap(_organiser(), 999_999) == "not_allowed"
    assert await tap(_organiser(), begun) == "closed"
    assert await tap(_organiser(), shift_id) == "nobody"  # Dan is not free on Saturdays
    async with db.connect() as conn:
        assert (await conn.execute(select(callouts))).all() == []
    assert await _outbox(db) == []


async def test_the_audience_query_agrees_with_the_distance_rule(each_engine: AsyncEngine) -> None:
    """db.callouts narrows by a box in SQL before bot.domain.audience.near decides: over people
    scattered all round (shared pins, typed postcodes on the map, postcodes off it), a call
    reaches exactly those the rule alone would, for every radius and both kinds of meeting point."""
    spread = random.Random(11)
    people = []
    for i in range(300):
        lat = MEETING[0] + spread.uniform(-0.1, 0.1)
        lon = MEETING[1] + spread.uniform(-0.16, 0.16)
        kind = i % 4
        people.append(
            {
                "telegram_id": 40_000 + i,
                "name": f"P{i}",
                "status": "active",
                "editing": False,
                "paused": False,
                "created_at": clock.now(),
                "latitude": lat if kind < 2 else None,
                "longitude": lon if kind < 2 else None,
                "location_source": ["shared", "sector", None, None][kind],
                "postcode": [None, "SE15 4QR", "SE15 9ZZ", "BT1 5GS"][kind],
            }
        )
    async with each_engine.begin() as conn:
        await conn.execute(insert(volunteers), people)
        pinned = await events.create_event(
            conn,
            EventDraft(
                "canvass",
                "Pinned",
                "Peckham",
                address="Rye Lane, SE15 4QR",
                latitude=MEETING[0],
                longitude=MEETING[1],
                shifts=(ShiftDraft(SAT_10, SAT_10 + timedelta(hours=3), 5),),
            ),
            created_by=OLGA,
            at=clock.now(),
        )
        by_postcode = await events.create_event(
            conn,
            EventDraft(
                "canvass",
                "Postcode only",
                "Peckham",
                address="Rye Lane, SE15 4QR",
                shifts=(ShiftDraft(SAT_10, SAT_10 + timedelta(hours=3), 5),),
            ),
            created_by=OLGA,
            at=clock.now(),
        )
    for event_id, meeting in (
        (pinned, Place(*MEETING, "Rye Lane, SE15 4QR")),
        (by_postcode, Place(51.4663, -0.0708, "Rye Lane, SE15 4QR", approximate=True)),
    ):
        for within in DISTANCES_KM:
            rule = {
                row["telegram_id"]
                for row in people
                if near(
                    Place(
                        row["latitude"],
                        row["longitude"],
                        row["postcode"],
                        row["location_source"] == "sector",
                    ),
                    meeting,
                    within,
                )
            }
            async with each_engine.connect() as conn:
                event = await events.by_id(conn, event_id)
                assert event is not None
                found = await calls.plan(
                    conn,
                    event,
                    await events.shifts_of(conn, event_id),
                    Audience(within_km=within),
                    ZONE,
                    clock.now(),
                )
            assert {person.telegram_id for person in found} == rule, (event_id, within)
            assert 0 < len(rule) < len(people)
