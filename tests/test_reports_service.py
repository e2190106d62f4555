"""The reports use cases without Telegram, on SQLite and PostgreSQL: which areas each asker may
look at, what each report finds, the audit record of an export, and /showme and /hideme.

The world is tests.test_reports's: the clock at Tue 24 Nov 2026 09:00 (GMT); Peckham had a
Saturday with two shifts, Lewisham a Sunday; Cora coordinates Peckham, Olly organises Lewisham.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain import reports
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Role
from bot.services import actors
from bot.services import reports as svc
from db import events
from db import reports as queries
from db.schema import audit_log, volunteer_availability, volunteers
from tests.conftest import ADMIN_ID
from tests.flows import agreed_to_notice, read_csv
from tests.test_reports import CORA, OLLY, SAT, World, _world

ZONE = ZoneInfo("Europe/London")
ADMINS = frozenset({ADMIN_ID})


@pytest.fixture
def db(each_engine: AsyncEngine) -> AsyncEngine:
    """The same test on SQLite and on PostgreSQL (see tests/conftest.py)."""
    return each_engine


def _asked(typed: str) -> reports.Request:
    return reports.parse_request(typed, clock.now().astimezone(ZONE).date())


async def _access(engine: AsyncEngine, telegram_id: int) -> Access:
    async with engine.connect() as conn:
        return await actors.access(conn, ADMINS, telegram_id)


async def _audit(engine: AsyncEngine) -> list[tuple[int | None, str, dict[str, object]]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(audit_log.c.actor_telegram_id, audit_log.c.action, audit_log.c.detail)
        )
        return [(row.actor_telegram_id, row.action, row.detail) for row in rows]


async def test_an_area_is_found_in_any_case_and_refused_outside_the_askers(
    db: AsyncEngine,
) -> None:
    await _world(db)
    peckham_only = frozenset({"Peckham"})
    async with db.connect() as conn:
        unknown = await svc.summary(conn, clock.now(), ZONE, _asked("Atlantis"), None)
        elsewhere = await svc.summary(conn, clock.now(), ZONE, _asked("lewisham"), peckham_only)
        named = await svc.summary(conn, clock.now(), ZONE, _asked("PECKHAM"), peckham_only)
        everywhere = await svc.summary(conn, clock.now(), ZONE, _asked(""), None)
    assert unknown == svc.UnknownArea("Atlantis")
    assert elsewhere == svc.NotYourArea("Lewisham", peckham_only)
    assert isinstance(named, svc.Summary)
    assert (named.scope.area, named.scope.areas) == ("Peckham", peckham_only)
    # The last 7 days in Peckham: the two Saturday shifts; of the four who joined, two (Ann and
    # the one named like a formula) have answered there.
    assert (named.totals.shifts, named.totals.events, named.totals.sign_ups) == (2, 1, 2)
    assert isinstance(everywhere, svc.Summary)
    assert everywhere.scope == svc.Scope(_asked("").period, None, None)
    assert (everywhere.totals.shifts, everywhere.totals.sign_ups) == (3, 4)


async def test_turnout_by_title_area_or_period_and_how_many_more(db: AsyncEngine) -> None:
    world: World = await _world(db)
    s = world.shifts
    async with db.connect() as conn:
        titled = await svc.turnout(
            conn, clock.now(), ZONE, _asked("saturday"), None, period_given=False
        )
        refused = await svc.turnout(
            conn, clock.now(), ZONE, _asked("lewisham"), frozenset({"Peckham"}), period_given=False
        )
        nothing = await svc.turnout(
            conn, clock.now(), ZONE, _asked("bake sale"), None, period_given=False
        )
        area = await svc.turnout(
            conn, clock.now(), ZONE, _asked("peckham"), None, period_given=False
        )
    assert isinstance(titled, svc.Turnout)
    # The one most recently on first, then the one to come.
    assert [[f.shift_id for f in shifts] for shifts in titled.events] == [
        [s["s1"], s["s2"]],
        [s["s5"]],
    ]
    assert titled.more == 0
    assert refused == svc.NotYourArea("Lewisham", frozenset({"Peckham"}))
    assert nothing == svc.Turnout((), 0)
    # An area alone: its shifts in the last 7 days (the old canvass is outside them).
    assert isinstance(area, svc.Turnout)
    assert [[f.shift_id for f in shifts] for shifts in area.events] == [[s["s1"], s["s2"]]]

    async with db.begin() as conn:
        for n in range(svc.TURNOUT_EVENTS + 2):
            start = SAT - timedelta(days=n + 1)
            await events.create_event(
                conn,
                EventDraft(
                    "canvass",
                    f"Leaflet run {n}",
                    "Peckham",
                    shifts=(ShiftDraft(start, start + timedelta(hours=2), 4),),
                ),
                created_by=ADMIN_ID,
                at=clock.now(),
            )
    async with db.connect() as conn:
        many = await svc.turnout(
            conn, clock.now(), ZONE, _asked("leaflet run"), None, period_given=False
        )
    assert isinstance(many, svc.Turnout)
    assert len(many.events) == svc.TURNOUT_EVENTS
    assert many.more == 2
    # Nearest in time first: the run the day before Saturday.
    assert many.events[0][0].title == "Leaflet run 0"


async def test_export_gives_personal_data_only_to_coordinators_and_is_audited(
    db: AsyncEngine,
) -> None:
    world = await _world(db)
    cora, olly = await _access(db, CORA), await _access(db, OLLY)
    async with db.begin() as conn:
        by_coordinator = await svc.export(conn, clock.now(), ZONE, _asked(""), cora)
        by_organiser = await svc.export(conn, clock.now(), ZONE, _asked(""), olly)
        refused = await svc.export(conn, clock.now(), ZONE, _asked("peckham"), olly)
    assert isinstance(by_coordinator, svc.Export)
    assert [f.shift_id for f in by_coordinator.figures] == [world.shifts["s1"], world.shifts["s2"]]
    assert by_coordinator.people is not None
    # Within Peckham: those who answered for a shift there, and nobody else.
    answered_in_peckham = {"ann", "bob", "hyp", "plus", "sum"}
    listed = read_csv(by_coordinator.people.file)
    assert {int(row[0]) for row in listed[1:]} == {world.people[key] for key in answered_in_peckham}
    assert by_coordinator.people.count == len(answered_in_peckham)
    assert isinstance(by_organiser, svc.Export)
    assert [f.shift_id for f in by_organiser.figures] == [world.shifts["s3"]]
    assert by_organiser.people is None
    assert refused == svc.NotYourArea("Peckham", frozenset({"lewisham"}))
    period = _asked("").period
    dates = {"first": period.first.isoformat(), "last": period.last.isoformat()}
    # One record per export that happened, none for the refusal; counts, never names.
    assert await _audit(db) == [
        (
            CORA,
            "export",
            {
                "files": ["attendance", "volunteers"],
                "shifts": 2,
                "volunteers": len(answered_in_peckham),
                **dates,
                "areas": ["Peckham"],
            },
        ),
        (
            OLLY,
            "export",
            {
                "files": ["attendance"],
                "shifts": 1,
                "volunteers": None,
                **dates,
                "areas": ["lewisham"],
            },
        ),
    ]


async def test_an_area_coordinator_exporting_another_area_gets_no_personal_data(
    db: AsyncEngine,
) -> None:
    await _world(db)
    cora = await _access(db, CORA)
    # Organising Lewisham too, but coordinating only Peckham.
    both = Access(cora.telegram_id, False, (*cora.grants, *(await _access(db, OLLY)).grants))
    assert both.areas(Role.COORDINATOR) == frozenset({"Peckham"})
    async with db.begin() as conn:
        found = await svc.export(conn, clock.now(), ZONE, _asked("lewisham"), both)
    assert isinstance(found, svc.Export)
    assert len(found.figures) == 1
    assert found.people is None
    ((_, _, detail),) = await _audit(db)
    assert detail["files"] == ["attendance"]


async def test_chart_and_leaderboard_see_the_shifts_so_far_within_the_areas(
    db: AsyncEngine,
) -> None:
    world = await _world(db)
    peckham_only = frozenset({"Peckham"})
    async with db.connect() as conn:
        chart = await svc.chart(conn, clock.now(), ZONE, _asked(""), peckham_only)
        board = await svc.leaderboard(conn, clock.now(), ZONE, _asked(""), None)
        board_here = await svc.leaderboard(conn, clock.now(), ZONE, _asked(""), peckham_only)
        refused = await svc.leaderboard(conn, clock.now(), ZONE, _asked("Narnia"), None)
    assert isinstance(chart, svc.Chart)
    assert [f.shift_id for f in chart.figures] == [world.shifts["s1"], world.shifts["s2"]]
    assert isinstance(board, svc.Leaderboard) and isinstance(board_here, svc.Leaderboard)
    # Shifts came to, then doors; a name only where its owner chose to be shown.
    assert [(line.name, line.shifts, line.doors) for line in board.lines] == [
        ("Ann", 2, 60),
        (None, 1, 30),
        (None, 1, 15),
        ("@SUM(A1)", 1, 10),
    ]
    assert [(line.name, line.shifts, line.doors) for line in board_here.lines] == [
        ("Ann", 2, 60),
        (None, 1, 30),
        ("@SUM(A1)", 1, 10),
    ]
    assert refused == svc.UnknownArea("Narnia")


async def _on_leaderboard(engine: AsyncEngine, telegram_id: int) -> bool:
    async with engine.connect() as conn:
        return bool(
            await conn.scalar(
                select(volunteers.c.on_leaderboard).where(volunteers.c.telegram_id == telegram_id)
            )
        )


async def test_only_signed_up_volunteers_choose_to_be_shown(db: AsyncEngine) -> None:
    await _world(db)
    async with db.begin() as conn:
        await conn.execute(
            insert(volunteers).values(
                telegram_id=8_000,
                status="onboarding",
                editing=False,
                paused=False,
                created_at=clock.now(),
            )
        )
    async with db.begin() as conn:
        assert await svc.set_shown(
            conn, clock.now(), telegram_id=CORA, username="cora", shown=True, notice_version="v1"
        )
        assert not await svc.set_shown(
            conn, clock.now(), telegram_id=8_000, username=None, shown=True, notice_version="v1"
        )
        assert not await svc.set_shown(
            conn, clock.now(), telegram_id=9_999, username=None, shown=True, notice_version="v1"
        )
    assert await _on_leaderboard(db, CORA)
    assert not await _on_leaderboard(db, 8_000)
    async with db.begin() as conn:
        assert await svc.set_shown(
            conn, clock.now(), telegram_id=CORA, username="cora", shown=False, notice_version="v1"
        )
    assert not await _on_leaderboard(db, CORA)


async def test_the_volunteers_export_holds_a_campaigns_worth_on_both_engines(
    db: AsyncEngine,
) -> None:
    """More volunteers than PostgreSQL takes bound parameters in one statement (32,767): the
    export reads them with subqueries, never a list of their ids."""
    count = 33_000
    async with db.begin() as conn:
        ids = list(
            await conn.scalars(
                insert(volunteers).returning(volunteers.c.id),
                [
                    {
                        "telegram_id": 5_000_000 + n,
                        "name": f"V{n}",
                        "status": "active",
                        "editing": False,
                        "created_at": clock.now(),
                    }
                    for n in range(count)
                ],
            )
        )
        await agreed_to_notice(conn, ids)
        await conn.execute(
            insert(volunteer_availability), [{"volunteer_id": v, "slot": "sat"} for v in ids]
        )
    async with db.connect() as conn:
        records = [r async for batch in queries.volunteer_records(conn, areas=None) for r in batch]
    assert len(records) == count
    assert all(r.availability and r.notice_version and r.consent_given for r in records)
