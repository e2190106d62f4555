"""The polling-day report without Telegram, on SQLite and on PostgreSQL (when TEST_POSTGRES_URL
is set): the figures read from shift_totals, rounds and pledges; the report planned at the close
of polls and queued once, to the right people, each seeing their areas; "/summary election" and
"/export election" with their choice of election and the volunteers file for coordinators."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Grant, Role
from bot.domain.polling import Part
from bot.domain.statuses import WorkStatus
from bot.services import closing, polling
from bot.services import work as due_work
from bot.settings import Settings
from db import events, roles, work
from db.schema import audit_log, outbox, pledges, rounds, rsvps, scheduled_work
from db.schema import volunteers as volunteers_table
from tests.flows import agreed_to_notice, read_csv

ZONE = ZoneInfo("Europe/London")
DAY = date(2027, 5, 6)  # a Thursday, in summer time
CLOSE_UTC = datetime(2027, 5, 6, 21, 0, tzinfo=UTC)  # 22:00 BST
COORD = 7_300
ADMIN = 7_399


def _local(hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 5, 6, hour, minute, tzinfo=ZONE).astimezone(UTC)


def _access(telegram_id: int, role: Role, *areas: str) -> Access:
    return Access(
        telegram_id, False, tuple(Grant(1, telegram_id, "X", role.value, a) for a in areas)
    )


async def _volunteer(conn: AsyncConnection, n: int) -> int:
    volunteer_id = (
        await conn.execute(
            insert(volunteers_table)
            .values(
                telegram_id=30_000 + n,
                name=f"Vol {n}",
                postcode="SE15 4QR",
                status="active",
                editing=False,
                paused=False,
                created_at=clock.now(),
            )
            .returning(volunteers_table.c.id)
        )
    ).scalar_one()
    await agreed_to_notice(conn, [volunteer_id])
    return volunteer_id


async def _room(conn: AsyncConnection, title: str, area: str, *spans: tuple[int, int]) -> list[int]:
    event_id = await events.create_event(
        conn,
        EventDraft(
            kind="committee_room",
            title=title,
            area=area,
            address="Somewhere",
            shifts=tuple(ShiftDraft(_local(a), _local(b), 10) for a, b in spans),
        ),
        created_by=COORD,
        at=clock.now(),
    )
    return [s.id for s in await events.shifts_of(conn, event_id)]


async def _came(
    conn: AsyncConnection,
    shift_id: int,
    volunteer_id: int,
    checked_in: datetime | None,
    *,
    rounds_doors: tuple[int, ...] = (),
    attendance: str | None = None,
) -> None:
    """Going, checked in (or marked present), and back from rounds: each round's doors added to
    the rsvp's, as coming back does."""
    rsvp_id = (
        await conn.execute(
            insert(rsvps)
            .values(
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                status="going",
                responded_at=clock.now(),
                checked_in_at=checked_in,
                attendance=attendance,
                doors=sum(rounds_doors) if rounds_doors else None,
            )
            .returning(rsvps.c.id)
        )
    ).scalar_one()
    start = checked_in or _local(9)
    for n, doors in enumerate(rounds_doors):
        out = start + timedelta(minutes=10 + 60 * n)
        await conn.execute(
            insert(rounds).values(
                rsvp_id=rsvp_id, out_at=out, back_at=out + timedelta(minutes=50), doors=doors
            )
        )


async def _pledge(
    conn: AsyncConnection, election_id: int, volunteer_id: int, area: str | None, parts: list[str]
) -> None:
    await conn.execute(
        insert(pledges).values(
            election_id=election_id,
            volunteer_id=volunteer_id,
            parts=parts,
            area=area,
            pledged_at=clock.now(),
            updated_at=clock.now(),
        )
    )


async def _polling_day(conn: AsyncConnection) -> dict[str, int]:
    """An election over Peckham and Camberwell: a room in each, pledges, people who came (one
    marked present by an organiser), one who said going and did not come, rounds and doors."""
    saved = await polling.save_election(
        conn,
        clock.now(),
        _access(COORD, Role.COORDINATOR, "Peckham", "Camberwell"),
        polling.ElectionFields("By-election", DAY, time(7), time(22), ("Peckham", "Camberwell")),
        election_id=None,
        zone=ZONE,
    )
    assert saved.election is not None
    election_id = saved.election.id
    morning, afternoon = await _room(conn, "Peckham room", "Peckham", (7, 12), (12, 17))
    (camberwell,) = await _room(conn, "Camberwell room", "Camberwell", (17, 22))
    # A canvass the same day is not a committee room.
    (canvass,) = await events.shifts_of(
        conn,
        await events.create_event(
            conn,
            EventDraft(
                kind="canvass",
                title="Doors",
                area="Peckham",
                address="x",
                shifts=(ShiftDraft(_local(10), _local(12), 5),),
            ),
            created_by=COORD,
            at=clock.now(),
        ),
    )
    ids = {f"v{n}": await _volunteer(conn, n) for n in range(1, 7)}
    await _came(conn, morning, ids["v1"], _local(7), rounds_doors=(40, 35))
    await _came(conn, morning, ids["v2"], _local(8, 30), rounds_doors=(20,))
    await _came(conn, afternoon, ids["v1"], None, attendance="present", rounds_doors=(30,))
    await _came(conn, camberwell, ids["v3"], _local(18))
    await conn.execute(
        insert(rsvps).values(
            shift_id=camberwell, volunteer_id=ids["v4"], status="going", responded_at=clock.now()
        )
    )
    await _came(conn, canvass.id, ids["v5"], _local(10), rounds_doors=(99,))
    await _pledge(conn, election_id, ids["v1"], "Peckham", ["morning", "afternoon", "evening"])
    await _pledge(conn, election_id, ids["v3"], "Camberwell", ["evening"])
    await _pledge(conn, election_id, ids["v6"], "Peckham", ["morning"])
    await _pledge(conn, election_id, ids["v4"], None, ["evening"])
    # The organisers: one of Peckham, one of Lewisham (not the election's), the coordinator.
    organiser = await _volunteer(conn, 50)
    elsewhere = await _volunteer(conn, 51)
    coordinator = await _volunteer(conn, 52)
    for who, role, area in (
        (organiser, Role.ORGANISER, "Peckham"),
        (elsewhere, Role.ORGANISER, "Lewisham"),
        (coordinator, Role.COORDINATOR, "Camberwell"),
        (coordinator, Role.COORDINATOR, "Peckham"),
    ):
        await roles.grant(
            conn, volunteer_id=who, role=role.value, area=area, granted_by=ADMIN, at=clock.now()
        )
    return {"election": election_id, **ids}


def _settings() -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="1:x",  # type: ignore[arg-type]
        admin_ids=frozenset({ADMIN}),
        timezone="Europe/London",
    )


async def test_the_figures_come_from_shift_totals_rounds_and_pledges(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        made = await _polling_day(conn)
    async with each_engine.connect() as conn:
        election = await polling.polls.by_id(conn, made["election"])
        assert election is not None
        found = await closing.figures(conn, election, ZONE, CLOSE_UTC)
    total = found.total
    assert (total.said_going, total.came, total.pledged_came) == (5, 3, 2)
    assert (total.rounds, total.doors) == (4, 125)
    assert total.hours == 5 + 3.5 + 5 + 4
    assert (total.pledged, total.by_part) == (
        4,
        {Part.MORNING: 2, Part.AFTERNOON: 1, Part.EVENING: 3},
    )
    camberwell, peckham = found.areas  # in the election's order (by name)
    assert (peckham.name, peckham.came, peckham.rounds, peckham.doors, peckham.pledged) == (
        "Peckham",
        2,
        4,
        125,
        2,
    )
    assert (camberwell.said_going, camberwell.came, camberwell.hours, camberwell.pledged) == (
        2,
        1,
        4,
        1,
    )
    assert [(r.name, r.said_going, r.came) for r in found.rooms] == [
        ("Camberwell room", 2, 1),
        ("Peckham room", 3, 2),
    ]


async def _run_due(conn: AsyncConnection, at: datetime, settings: Settings) -> list[str]:
    changes = await work.plan(
        conn, at=at, zone=ZONE, default_offsets=settings.offsets, chase_before=timedelta(hours=24)
    )
    await work.apply(conn, changes, at)
    kinds = []
    while (item := await work.claim_next(conn, at)) is not None:
        status = await due_work.run(conn, at, settings, item, bot_username="muster_bot")
        await work.finish(conn, item.id, status, at)
        kinds.append(f"{item.kind.value}:{status}")
    return kinds


async def test_the_report_goes_once_at_the_close_to_each_reader_for_their_areas(
    each_engine: AsyncEngine,
) -> None:
    settings = _settings()
    async with each_engine.begin() as conn:
        made = await _polling_day(conn)
    clock.set_time(CLOSE_UTC - timedelta(minutes=1))
    async with each_engine.begin() as conn:
        ran = await _run_due(conn, clock.now(), settings)
    assert not any(kind.startswith("polls_closed") for kind in ran)
    # A late change to the closing time moves the report with it.
    async with each_engine.begin() as conn:
        await polling.polls.update_election(conn, clock.now(), made["election"], closes=time(22))
    clock.set_time(CLOSE_UTC)
    async with each_engine.begin() as conn:
        ran = await _run_due(conn, clock.now(), settings)
    assert f"polls_closed:{WorkStatus.DONE}" in ran
    async with each_engine.connect() as conn:
        sent = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.payload).where(outbox.c.kind == "report")
            )
        ).all()
    # Shifts' own turnout reports go as "report" too: the polling-day ones are these.
    texts_to = {chat: p["text"] for chat, p in sent if "Close of polls" in p["text"]}
    photos_to = sorted(chat for chat, p in sent if "photo" in p)
    organiser, coordinator = 30_050, 30_052
    # The organiser of Peckham, the coordinator of both areas and the admin; not Lewisham's.
    assert sorted(texts_to) == sorted([organiser, coordinator, ADMIN]) == photos_to
    assert "Close of polls: By-election" in texts_to[ADMIN]
    assert "Camberwell room" in texts_to[coordinator]
    # Olly sees Peckham alone: its room, its figures.
    assert "Camberwell" not in texts_to[organiser]
    assert "Pledged: 2 (morning 2, afternoon 1, evening 1); 1 of them came" in texts_to[organiser]
    assert "Pledged: 4 (morning 2, afternoon 1, evening 3); 2 of them came" in texts_to[ADMIN]
    assert "Doors knocked: 125" in texts_to[ADMIN]
    assert "Knock-up rounds: 4" in texts_to[ADMIN]
    assert "Hours given: 17.5 h" in texts_to[ADMIN]

    # Never twice: later passes, and a pass after a restart, find nothing to do.
    for later in (CLOSE_UTC + timedelta(minutes=5), CLOSE_UTC + timedelta(hours=2)):
        clock.set_time(later)
        async with each_engine.begin() as conn:
            assert not any(
                k.startswith("polls_closed") for k in await _run_due(conn, later, settings)
            )
    async with each_engine.connect() as conn:
        assert (
            await conn.scalar(
                select(scheduled_work.c.status).where(scheduled_work.c.kind == "polls_closed")
            )
        ) == WorkStatus.DONE
        again = (
            (await conn.execute(select(outbox.c.payload).where(outbox.c.kind == "report")))
            .scalars()
            .all()
        )
    assert sum("Close of polls" in p["text"] or "photo" in p for p in again) == 6


async def test_a_report_the_bot_was_down_for_goes_only_within_a_day(
    each_engine: AsyncEngine,
) -> None:
    settings = _settings()
    async with each_engine.begin() as conn:
        await _polling_day(conn)
        # Planned the day before, then the bot was down until two days after.
        clock.set_time(CLOSE_UTC - timedelta(days=1))
        await _run_due(conn, clock.now(), settings)
    clock.set_time(CLOSE_UTC + timedelta(days=1, minutes=1))
    async with each_engine.begin() as conn:
        ran = await _run_due(conn, clock.now(), settings)
    assert f"polls_closed:{WorkStatus.SKIPPED}" in ran


async def test_summary_and_export_of_an_election(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        made = await _polling_day(conn)
    organiser = _access(30_050, Role.ORGANISER, "Peckham")
    coordinator = _access(30_052, Role.COORDINATOR, "Peckham")
    lewisham = _access(30_051, Role.ORGANISER, "Lewisham")
    noon = _local(12)
    async with each_engine.begin() as conn:
        shown = await closing.summary(conn, noon, ZONE, organiser, "")
        assert isinstance(shown, closing.Shown)
        assert not shown.closed and shown.png is not None and shown.png.startswith(b"\x89PNG")
        # At noon the afternoon shift has just begun; the morning's hours are in.
        assert shown.report.total.hours == 5 + 3.5
        assert [r.name for r in shown.report.rooms] == ["Peckham room"]
        later = await closing.summary(conn, CLOSE_UTC, ZONE, organiser, "by-election")
        assert isinstance(later, closing.Shown) and later.closed
        nothing = await closing.summary(conn, noon, ZONE, lewisham, "")
        assert nothing == closing.Choose((), "")
        wrong = await closing.summary(conn, noon, ZONE, organiser, "county")
        assert isinstance(wrong, closing.Choose) and wrong.name == "county"
        assert [e.name for e in wrong.elections] == ["By-election"]

        # The organiser: the room shifts, no personal data.
        files = await closing.export(conn, CLOSE_UTC, ZONE, organiser, "")
        assert isinstance(files, closing.Exported) and files.people is None
        assert len(files.report.shifts) == 2
        # The coordinator of Peckham: also Peckham's people (pledged or answered there).
        files = await closing.export(conn, CLOSE_UTC, ZONE, coordinator, "")
        assert isinstance(files, closing.Exported) and files.people is not None
        header, *rows = read_csv(files.people.file)
        ids = [int(row[header.index("id")]) for row in rows]
        assert sorted(ids) == sorted([made["v1"], made["v2"], made["v6"]])
        logged = (await conn.execute(select(audit_log.c.detail))).scalars().all()
    assert [d.get("files") for d in logged if d.get("election")] == [
        ["election"],
        ["election", "volunteers"],
    ]
