"""Target seats without Telegram: what an import stores (all or none), where postcodes put them,
which events are tied to which target, and the sessions and helpers /targets shows. On SQLite, and
on PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.csv_files import BadRows
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access
from bot.domain.places import PlaceSource
from bot.domain.statuses import EventStatus, RsvpStatus
from bot.services import events as organising
from bot.services import targets as targeting
from db.schema import audit_log, events, postcodes, rsvps, shifts, targets, volunteers

ZONE = ZoneInfo("Europe/London")
COORDINATOR = Access(telegram_id=7, is_admin=True)
HEAD = "name,kind,priority,why,postcode,latitude,longitude,helpers_wanted"


async def _import(engine: AsyncEngine, *rows: str) -> targeting.Imported:
    async with engine.begin() as conn:
        return await targeting.import_file(
            conn, clock.now(), by=COORDINATOR, data="\n".join([HEAD, *rows]).encode()
        )


async def _stored(engine: AsyncEngine) -> dict[str, dict[str, object]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(targets).order_by(targets.c.id))
        return {row.name: dict(row._mapping) for row in rows}


async def _event(
    engine: AsyncEngine, area: str, *, target: str | None = None, days: float = 3, places: int = 5
) -> int:
    start = clock.now() + timedelta(days=days)
    draft = EventDraft(
        kind="canvass",
        title=f"Doors in {area}",
        area=area,
        address="Library",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), places),),
        target=target,
    )
    async with engine.begin() as conn:
        if target is None:
            return (await organising.create(conn, clock.now(), by=7, draft=draft)).id
        [made] = await organising.import_events(conn, clock.now(), by=COORDINATOR, drafts=[draft])
        return made.event.id


async def _tied(engine: AsyncEngine) -> dict[str, str | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(events.c.area, targets.c.name).select_from(
                events.outerjoin(targets, targets.c.id == events.c.target_id)
            )
        )
        return {row.area: row.name for row in rows}


async def test_an_import_adds_then_a_second_updates_by_name_in_any_case(
    each_engine: AsyncEngine,
) -> None:
    first = await _import(
        each_engine,
        "Battersea,seat,1,Won by 412 votes,SW11 1JW,,,20",
        "Peckham Rye,ward,2,By-election,,51.465,-0.064,",
    )
    assert (first.added, first.updated) == (["Battersea", "Peckham Rye"], [])
    before = await _stored(each_engine)
    battersea = before["Battersea"]
    # The packaged table places a postcode at its sector's centre, approximate.
    assert (battersea["postcode"], battersea["location_source"]) == ("SW11 1JW", "sector")
    assert (battersea["latitude"], battersea["longitude"]) == (51.4615, -0.1683)
    assert (battersea["helpers_wanted"], battersea["created_by"]) == (20, 7)
    assert before["Peckham Rye"]["location_source"] == PlaceSource.GIVEN

    clock.advance(timedelta(hours=1))
    second = await _import(
        each_engine,
        "BATTERSEA,seat,2,Now 380 votes,,51.46,-0.17,25",
        "Putney,seat,1,Ours to win,SW15 1AA,,,",
    )
    assert (second.added, second.updated) == (["Putney"], ["BATTERSEA"])
    after = await _stored(each_engine)
    assert set(after) == {"BATTERSEA", "Peckham Rye", "Putney"}
    moved = after["BATTERSEA"]
    assert moved["id"] == battersea["id"] and moved["created_at"] == battersea["created_at"]
    assert moved["updated_at"] == clock.now() > battersea["updated_at"]  # type: ignore[operator]
    assert (moved["priority"], moved["why"], moved["helpers_wanted"]) == (2, "Now 380 votes", 25)
    assert (moved["postcode"], moved["location_source"]) == (None, "given")
    async with each_engine.connect() as conn:
        log = (await conn.execute(select(audit_log.c.action, audit_log.c.detail))).all()
    assert [tuple(row) for row in log] == [
        ("targets_import", {"added": 2, "updated": 0, "tied": 0}),
        ("targets_import", {"added": 1, "updated": 1, "tied": 0}),
    ]


async def test_a_file_with_any_bad_row_changes_nothing(each_engine: AsyncEngine) -> None:
    await _import(each_engine, "Battersea,seat,1,Close,SW11 1JW,,,20")
    before = await _stored(each_engine)
    with pytest.raises(BadRows) as caught:
        await _import(
            each_engine,
            "Battersea,seat,3,Changed,SW11 1JW,,,5",
            "Putney,seat,1,Close,ZZ99 9ZZ,,,",
            "Tooting,seat,9,Close,SW17 0AA,,,",
        )
    assert [(e.line, e.column, e.reason) for e in caught.value.errors] == [
        (3, "postcode", "postcode_unknown"),
        (4, "priority", "priority"),
    ]
    assert await _stored(each_engine) == before
    async with each_engine.connect() as conn:
        assert len((await conn.execute(select(audit_log))).all()) == 1


async def test_an_imported_postcode_file_places_a_target_at_the_postcode_itself(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        await conn.execute(
            insert(postcodes).values(postcode="SW11 1JW", latitude=51.4701, longitude=-0.1702)
        )
    await _import(each_engine, "Battersea,seat,1,Close,sw11 1jw,,,")
    stored = (await _stored(each_engine))["Battersea"]
    assert (stored["latitude"], stored["location_source"]) == (51.4701, "postcode")


async def test_events_are_tied_to_the_target_their_area_or_row_names(
    each_engine: AsyncEngine,
) -> None:
    await _event(each_engine, "Putney")  # made before there is a target called Putney
    await _import(
        each_engine, "Battersea,seat,1,Close,,51.46,-0.17,", "Tooting,seat,2,Close,,51.43,-0.17,"
    )
    await _event(each_engine, "battersea")  # by /newevent: its area names a target
    await _event(each_engine, "Wandsworth", target="Tooting")  # by a CSV row's target column
    await _event(each_engine, "Peckham")  # names none
    tied_by_area = await _import(each_engine, "Putney,seat,1,Close,,51.46,-0.22,")
    assert tied_by_area.tied == 1
    assert await _tied(each_engine) == {
        "Putney": "Putney",
        "battersea": "Battersea",
        "Wandsworth": "Tooting",
        "Peckham": None,
    }


async def test_a_new_target_leaves_events_already_tied_to_another(
    each_engine: AsyncEngine,
) -> None:
    await _import(each_engine, "Tooting,seat,2,Close,,51.43,-0.17,")
    await _event(each_engine, "Balham", target="Tooting")
    done = await _import(each_engine, "Balham,ward,1,Close,,51.44,-0.15,")
    assert done.tied == 0
    assert await _tied(each_engine) == {"Balham": "Tooting"}


async def test_the_overview_shows_the_next_14_days_sessions_and_helpers_booked_per_day(
    each_engine: AsyncEngine,
) -> None:
    await _import(
        each_engine,
        "Putney,seat,2,Close,,51.46,-0.22,",
        "Battersea,seat,1,Closest,,51.46,-0.17,4",
    )
    soon = await _event(each_engine, "Battersea", days=3, places=5)
    await _event(each_engine, "Battersea", days=20)  # beyond 14 days
    cancelled = await _event(each_engine, "Battersea", days=4)
    async with each_engine.begin() as conn:
        await conn.execute(
            update(events)
            .where(events.c.id == cancelled)
            .values(status=EventStatus.CANCELLED, cancelled_at=clock.now())
        )
        # A second session the same day, later on.
        first = (await conn.execute(select(shifts).where(shifts.c.event_id == soon))).one()
        later = (
            await conn.execute(
                insert(shifts)
                .values(
                    event_id=soon,
                    starts_at=first.starts_at + timedelta(hours=4),
                    ends_at=first.ends_at + timedelta(hours=4),
                    capacity=5,
                    status=EventStatus.ACTIVE,
                )
                .returning(shifts.c.id)
            )
        ).scalar_one()
        people = []
        for n in range(3):
            people.append(
                (
                    await conn.execute(
                        insert(volunteers)
                        .values(
                            telegram_id=30_000 + n,
                            name=f"V{n}",
                            status="active",
                            editing=False,
                            paused=False,
                            created_at=clock.now(),
                        )
                        .returning(volunteers.c.id)
                    )
                ).scalar_one()
            )
        answers = [
            (first.id, people[0], RsvpStatus.GOING),
            (first.id, people[1], RsvpStatus.GOING),
            (first.id, people[2], RsvpStatus.MAYBE),
            (later, people[0], RsvpStatus.GOING),  # the same person twice in a day
        ]
        await conn.execute(
            insert(rsvps),
            [
                {"shift_id": s, "volunteer_id": v, "status": a, "responded_at": clock.now()}
                for s, v, a in answers
            ],
        )

    async with each_engine.connect() as conn:
        found = await targeting.overview(conn, clock.now(), ZONE)
    assert [one.target.name for one in found] == ["Battersea", "Putney"]
    battersea, putney = found
    [day] = battersea.days
    assert day.day == (clock.now() + timedelta(days=3)).astimezone(ZONE).date()
    assert (day.booked, day.wanted) == (2, 4)
    assert [(s.shift.id, len(s.going), s.title) for s in day.sessions] == [
        (first.id, 2, "Doors in Battersea"),
        (later, 1, "Doors in Battersea"),
    ]
    assert putney.days == []

    # Once a session is over it is no longer coming up.
    clock.advance(timedelta(days=3, hours=8))
    async with each_engine.connect() as conn:
        found = await targeting.overview(conn, clock.now(), ZONE)
    assert found[0].days == []
