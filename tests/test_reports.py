"""Reports end to end: /summary, /turnout, /export, /chart and /leaderboard as coordinators,
area-limited organisers and coordinators see them, refusals for everyone else, and volunteers'
/showme and /hideme.

The world: the clock stands at Tue 24 Nov 2026 09:00 (GMT, so local time is UTC). Peckham had a
Saturday with two shifts, Lewisham a Sunday phone bank; an older Peckham canvass is outside the
last 7 days, a Peckham session next Saturday has not happened yet, and a cancelled stall is left
out of everything.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain import reports
from bot.domain.events import EventDraft, ShiftDraft
from db import events, migrate
from db import reports as queries
from db.engine import create_engine
from db.schema import (
    audit_log,
    consents,
    roles,
    rsvps,
    volunteer_activities,
    volunteer_availability,
    volunteers,
)
from tests.conftest import ADMIN_ID, START
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row

CORA, OLLY, VAL, ANN_TG = 7001, 7002, 7003, 7100
HYPERLINK = '=HYPERLINK("http://x","click")'
SAT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SUN = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
OLD = datetime(2026, 11, 7, 10, 0, tzinfo=UTC)
NEXT_SAT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _day(day: int) -> datetime:
    return datetime(2026, 11, day, 12, 0, tzinfo=UTC)


@dataclass
class World:
    people: dict[str, int]
    shifts: dict[str, int]


async def _world(engine: AsyncEngine) -> World:
    people: dict[str, int] = {}

    async with engine.begin() as conn:

        async def person(key: str, **values: Any) -> int:
            row = {
                "status": "active",
                "editing": False,
                "paused": False,
                "created_at": values.get("signed_up_at") or LONG_AGO,
                "on_leaderboard": False,
                **values,
            }
            people[key] = (
                await conn.execute(insert(volunteers).returning(volunteers.c.id), [row])
            ).scalar_one()
            if row["status"] != "forgotten" or values.get("signed_up_at"):
                await conn.execute(
                    insert(consents).values(
                        volunteer_id=people[key],
                        purpose="volunteering",
                        notice_version="2026-11",
                        given_at=row["created_at"],
                        withdrawn_at=_day(23) if row["status"] == "forgotten" else None,
                    )
                )
            # Choices as consent rows: sharing a phone, and /showme.
            for purpose, chosen in (
                ("phone", values.get("phone")),
                ("leaderboard", row["on_leaderboard"]),
            ):
                if chosen:
                    await conn.execute(
                        insert(consents).values(
                            volunteer_id=people[key],
                            purpose=purpose,
                            notice_version="2026-11",
                            given_at=row["created_at"],
                        )
                    )
            return people[key]

        ann = await person(
            "ann",
            telegram_id=ANN_TG,
            name="Ann",
            postcode="SE15 4QR",
            phone="+447700900001",
            signed_up_at=_day(20),
            on_leaderboard=True,
        )
        await conn.execute(insert(volunteer_availability).values(volunteer_id=ann, slot="sat"))
        await conn.execute(
            insert(volunteer_activities),
            [{"volunteer_id": ann, "activity": a} for a in ("phones", "doors")],
        )
        await person(
            "bob", telegram_id=7101, name="Bob", signed_up_at=datetime(2026, 10, 1, tzinfo=UTC)
        )
        await person("hyp", telegram_id=7102, name=HYPERLINK, signed_up_at=_day(23))
        await person("plus", telegram_id=7103, name="+1-2", signed_up_at=LONG_AGO)
        await person(
            "sum", telegram_id=7104, name="@SUM(A1)", signed_up_at=LONG_AGO, on_leaderboard=True
        )
        await person("gone", status="forgotten", signed_up_at=_day(19), forgotten_at=_day(23))
        await person("cat", telegram_id=7105, name="Cat", signed_up_at=_day(22))
        # Role holders and a plain volunteer, signed up long ago.
        for key, telegram_id, name in (
            ("cora", CORA, "Cora"),
            ("olly", OLLY, "Olly"),
            ("val", VAL, "Val"),
        ):
            await person(key, telegram_id=telegram_id, name=name, signed_up_at=LONG_AGO)
        await conn.execute(
            insert(roles),
            [
                {
                    "volunteer_id": people["cora"],
                    "role": "coordinator",
                    "area": "Peckham",
                    "granted_at": LONG_AGO,
                },
                {
                    "volunteer_id": people["olly"],
                    "role": "organiser",
                    "area": "lewisham",
                    "granted_at": LONG_AGO,
                },
            ],
        )

        async def event(title: str, area: str, *starts: datetime, capacity: int = 10) -> list[int]:
            event_id = await events.create_event(
                conn,
                EventDraft(
                    kind="canvass",
                    title=title,
                    area=area,
                    address="Rye Lane Library",
                    shifts=tuple(
                        ShiftDraft(start, start + timedelta(hours=3), capacity) for start in starts
                    ),
                ),
                created_by=ADMIN_ID,
                at=clock.now(),
            )
            return [shift.id for shift in await events.shifts_of(conn, event_id)]

        s1, s2 = await event("Peckham Saturday doors", "Peckham", SAT, SAT + timedelta(hours=4))
        (s3,) = await event("Lewisham phone bank", "Lewisham", SUN, capacity=5)
        (s4,) = await event("=1+1 Old canvass", "peckham", OLD)
        (s5,) = await event("Peckham next Saturday", "Peckham", NEXT_SAT)
        cancelled = await events.create_event(
            conn,
            EventDraft(
                "street_stall",
                "Cancelled stall",
                "Peckham",
                shifts=(ShiftDraft(SUN, SUN + timedelta(hours=2), 5),),
            ),
            created_by=ADMIN_ID,
            at=clock.now(),
        )
        (s6,) = [shift.id for shift in await events.shifts_of(conn, cancelled)]
        await events.cancel_event(conn, cancelled, at=clock.now())

        def rsvp(shift: int, who: str, status: str = "going", **values: Any) -> dict[str, Any]:
            return {
                "shift_id": shift,
                "volunteer_id": people[who],
                "status": status,
                "responded_at": _day(15),
                "checked_in_at": None,
                "running_late_at": None,
                "walk_in": False,
                "attendance": None,
                "doors": None,
                **values,
            }

        here = SAT + timedelta(minutes=5)
        await conn.execute(
            insert(rsvps),
            [
                # Saturday morning: 4 said going, 3 came (one a walk-in), 2 no-shows.
                rsvp(s1, "ann", checked_in_at=here, running_late_at=SAT, doors=40),
                rsvp(s1, "bob"),
                rsvp(s1, "hyp", checked_in_at=here, doors=30),
                rsvp(s1, "plus", checked_in_at=here, attendance="no_show"),
                rsvp(s1, "sum", checked_in_at=here, walk_in=True, doors=10),
                # Saturday afternoon: Ann marked present by an organiser.
                rsvp(s2, "ann", attendance="present", doors=20),
                rsvp(s2, "bob", "cant"),
                rsvp(s2, "hyp", "waitlisted", waitlist_seq=1),
                # Sunday in Lewisham.
                rsvp(s3, "cat", checked_in_at=SUN, doors=15),
                rsvp(s3, "bob"),
                # Earlier in the month.
                rsvp(s4, "ann", checked_in_at=OLD, doors=50),
                # Next Saturday, and the cancelled stall.
                rsvp(s5, "bob"),
                rsvp(s5, "ann"),
                rsvp(s6, "ann", checked_in_at=SUN, doors=999),
            ],
        )
    return World(people, {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "s5": s5})


def _summary(period: str, scope: str, lines: list[str]) -> str:
    return f"📊 Summary for {period}\n{scope}\n\n" + "\n".join(lines)


LAST_7_DAYS = "the last 7 days (Wed 18 Nov - Tue 24 Nov)"


def _row(event: str, area: str, start: str, end: str, *figures: int) -> list[str]:
    """An attendance row as the file has it; times are 2026's, month-day first."""
    return [event, area, f"2026-{start}", f"2026-{end}", *(str(f) for f in figures)]


def _csv(document: bytes | None) -> list[list[str]]:
    assert document is not None
    return list(csv.reader(io.StringIO(document.decode("utf-8-sig"))))


async def test_summary_for_everyone_an_area_and_other_periods(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine)
    admin = fake.user(ADMIN_ID, first_name="Ada")

    await admin.send("/summary")
    assert admin.last.text == _summary(
        LAST_7_DAYS,
        "All areas",
        [
            "Events: 2",
            "Shifts: 3",
            "Said going: 7",
            "Of them came: 4",
            "Walk-ins: 1",
            "Running late: 0",
            "No-shows: 3",
            "Attendance rate: 57% of those who said going came",
            "Doors knocked: 115",
            "New sign-ups: 4",
        ],
    )

    await admin.send("/summary 30d")
    assert admin.last.text.splitlines()[0] == (
        "📊 Summary for the last 30 days (Mon 26 Oct - Tue 24 Nov)"
    )
    assert admin.last.text.splitlines()[3:] == [
        "Events: 3",
        "Shifts: 4",
        "Said going: 8",
        "Of them came: 5",
        "Walk-ins: 1",
        "Running late: 0",
        "No-shows: 3",
        "Attendance rate: 63% of those who said going came",
        "Doors knocked: 165",
        "New sign-ups: 4",
    ]

    await admin.send("/summary yesterday")
    assert admin.last.text == _summary(
        "yesterday (Mon 23 Nov)",
        "All areas",
        [
            "Events: 0",
            "Shifts: 0",
            "Said going: 0",
            "Of them came: 0",
            "Walk-ins: 0",
            "Running late: 0",
            "No-shows: 0",
            "Attendance rate: n/a (nobody said going)",
            "Doors knocked: 0",
            "New sign-ups: 1",
        ],
    )

    # An area typed in any case, with a period after it.
    await admin.send("/summary PECKHAM last week")
    assert admin.last.text == _summary(
        "last week (Mon 16 Nov - Sun 22 Nov)",
        "Area: Peckham",
        [
            "Events: 1",
            "Shifts: 2",
            "Said going: 5",
            "Of them came: 3",
            "Walk-ins: 1",
            "Running late: 0",
            "No-shows: 2",
            "Attendance rate: 60% of those who said going came",
            "Doors knocked: 100",
            "New sign-ups who answered for a shift here: 1",
        ],
    )

    await admin.send("/summary Narnia")
    assert admin.last.text == texts.report_unknown("Narnia", "summary")
    await admin.send("/summary 31/2")
    assert admin.last.text == texts.BAD_REPORT_PERIOD["date"]


async def test_area_limited_people_see_only_their_area(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine)
    cora = fake.user(CORA, first_name="Cora")  # coordinator for Peckham
    olly = fake.user(OLLY, first_name="Olly")  # organiser for Lewisham

    await cora.send("/summary")
    assert cora.last.text == _summary(
        LAST_7_DAYS,
        "Your area: Peckham",
        [
            "Events: 1",
            "Shifts: 2",
            "Said going: 5",
            "Of them came: 3",
            "Walk-ins: 1",
            "Running late: 0",
            "No-shows: 2",
            "Attendance rate: 60% of those who said going came",
            "Doors knocked: 100",
            "New sign-ups who answered for a shift here: 2",
        ],
    )
    await cora.send("/summary Lewisham")
    assert cora.last.text == "Sorry, you can't see reports for Lewisham. Your area: Peckham."

    await olly.send("/summary")
    assert olly.last.text == _summary(
        LAST_7_DAYS,
        "Your area: lewisham",
        [
            "Events: 1",
            "Shifts: 1",
            "Said going: 2",
            "Of them came: 1",
            "Walk-ins: 0",
            "Running late: 0",
            "No-shows: 1",
            "Attendance rate: 50% of those who said going came",
            "Doors knocked: 15",
            "New sign-ups who answered for a shift here: 1",
        ],
    )
    await olly.send("/turnout Saturday doors")
    assert olly.last.text == texts.turnout_none("Saturday doors")
    await olly.send("/turnout 22/11")
    assert olly.last.text == (
        "Lewisham phone bank (Lewisham)\n"
        "• Sun 22 Nov, 11:00-14:00: said going 2, of them came 1, walk-ins 0, running late 0, "
        "no-shows 1, doors 15"
    )
    await olly.send("/turnout Peckham")
    assert olly.last.text == "Sorry, you can't see reports for Peckham. Your area: lewisham."

    # Olly's export is the attendance of Lewisham only, without the volunteers' file.
    before = len(olly.messages)
    await olly.send("/export")
    sent = olly.messages[before:]
    assert [m.file_name for m in sent] == ["muster-attendance-2026-11-18-to-2026-11-24.csv"]
    rows = _csv(sent[0].document)
    assert [row[:2] for row in rows[1:]] == [["Lewisham phone bank", "Lewisham"]]

    await cora.send("/leaderboard")
    assert cora.last.text.splitlines()[1:6] == [
        "Your area: Peckham",
        "",
        "1. Ann: 2 shifts, 60 doors",
        "2. A volunteer: 1 shift, 30 doors",
        "3. @SUM(A1): 1 shift, 10 doors",
    ]

    # Cora's volunteers are those who answered for Peckham's events.
    before = len(cora.messages)
    await cora.send("/export")
    files = {m.file_name: m for m in cora.messages[before:]}
    attendance = _csv(files["muster-attendance-2026-11-18-to-2026-11-24.csv"].document)
    assert [row[0] for row in attendance[1:]] == ["Peckham Saturday doors"] * 2
    people = _csv(files["muster-volunteers-2026-11-24.csv"].document)
    assert [row[2] for row in people[1:]] == [
        "Ann",
        "Bob",
        "'" + HYPERLINK,
        "'+1-2",
        "'@SUM(A1)",
    ]
    async with engine.connect() as conn:
        (olly_entry, entry) = (await conn.execute(select(audit_log).order_by(audit_log.c.id))).all()
    assert (olly_entry.actor_telegram_id, olly_entry.detail["volunteers"]) == (OLLY, None)
    assert entry.actor_telegram_id == CORA
    assert entry.detail["areas"] == ["Peckham"]
    assert entry.detail["volunteers"] == 5


async def test_turnout_per_shift_by_title_date_or_area(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    saturday = (
        "Peckham Saturday doors (Peckham)\n"
        "• Sat 21 Nov, 10:00-13:00: said going 4, of them came 2, walk-ins 1, running late 0, "
        "no-shows 2, doors 80\n"
        "• Sat 21 Nov, 14:00-17:00: said going 1, of them came 1, walk-ins 0, running late 0, "
        "no-shows 0, doors 20"
    )
    await admin.send("/turnout saturday DOORS")
    assert admin.last.text == saturday
    await admin.send("/turnout 21/11")
    assert admin.last.text == saturday
    await admin.send("/turnout Peckham")
    assert admin.last.text == saturday

    # Next Saturday, typed without a year, is this coming one: said going, nothing yet.
    await admin.send("/turnout 28/11")
    assert admin.last.text == (
        "Peckham next Saturday (Peckham)\n• Sat 28 Nov, 10:00-13:00: said going 2, not started yet"
    )
    # Several events: all of them, nearest in time first; the cancelled stall never.
    before = len(admin.messages)
    await admin.send("/turnout peckham 30d")
    (answer,) = admin.messages[before:]
    assert [line for line in answer.text.splitlines() if not line.startswith("•")] == [
        "=1+1 Old canvass (peckham)",
        "",
        "Peckham Saturday doors (Peckham)",
    ]
    await admin.send("/turnout stall")
    assert admin.last.text == texts.turnout_none("stall")
    await admin.send("/turnout")
    assert admin.last.text == (
        "Which turnout would you like? Send /turnout with words from an event's title, a date "
        "or an area, for example /turnout Saturday doors, /turnout 14/3 or /turnout Peckham."
    )


async def test_export_is_two_safe_csv_files_and_is_audited(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    world = await _world(engine)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    before = len(admin.messages)
    await admin.send("/export 30d")
    sent = admin.messages[before:]
    assert [m.file_name for m in sent] == [
        "muster-attendance-2026-10-26-to-2026-11-24.csv",
        "muster-volunteers-2026-11-24.csv",
    ]
    assert sent[0].caption == (
        "Attendance for the last 30 days (Mon 26 Oct - Tue 24 Nov): 4 shifts, one a row."
    )
    assert sent[1].caption.startswith("10 volunteers with their consent.")

    assert _csv(sent[0].document) == [
        list(reports.ATTENDANCE_COLUMNS),
        _row("'=1+1 Old canvass", "peckham", "11-07 10:00", "11-07 13:00", 10, 1, 1, 0, 0, 0, 50),
        _row(
            "Peckham Saturday doors", "Peckham", "11-21 10:00", "11-21 13:00", 10, 4, 2, 1, 0, 2, 80
        ),
        _row(
            "Peckham Saturday doors", "Peckham", "11-21 14:00", "11-21 17:00", 10, 1, 1, 0, 0, 0, 20
        ),
        _row("Lewisham phone bank", "Lewisham", "11-22 11:00", "11-22 14:00", 5, 2, 1, 0, 0, 1, 15),
    ]
    assert reports.ATTENDANCE_COLUMNS == (
        "event",
        "area",
        "shift start",
        "shift end",
        "capacity",
        "said going",
        "of them came",
        "walk-ins",
        "running late",
        "no-shows",
        "doors",
    )

    people = {row[0]: row for row in _csv(sent[1].document)[1:]}
    assert len(people) == 10
    assert people[str(world.people["ann"])] == [
        str(world.people["ann"]),
        "active",
        "Ann",
        "SE15 4QR",
        "Saturdays",
        "Door-knocking; Phone banking",
        "'+447700900001",
        "2026-11-20 12:00",
        "",
        "2026-11",
    ]
    assert people[str(world.people["hyp"])][2] == '\'=HYPERLINK("http://x","click")'
    assert people[str(world.people["plus"])][2] == "'+1-2"
    assert people[str(world.people["sum"])][2] == "'@SUM(A1)"
    assert people[str(world.people["gone"])] == [
        str(world.people["gone"]),
        "forgotten",
        "",
        "",
        "",
        "",
        "",
        "2026-11-19 12:00",
        "2026-11-23 12:00",
        "2026-11",
    ]

    async with engine.connect() as conn:
        (entry,) = (await conn.execute(select(audit_log))).all()
    assert (entry.action, entry.actor_telegram_id) == ("export", ADMIN_ID)
    assert entry.detail == {
        "files": ["attendance", "volunteers"],
        "shifts": 4,
        "volunteers": 10,
        "first": "2026-10-26",
        "last": "2026-11-24",
        "areas": None,
    }
    # Nothing personal in the log.
    logged = json.dumps(entry.detail)
    assert not any(word in logged for word in ("Ann", "SE15", "+4477", "HYPERLINK"))

    # A period with no shifts: no attendance file, but the volunteers still come.
    before = len(admin.messages)
    await admin.send("/export yesterday")
    sent = admin.messages[before:]
    assert (
        sent[0].text
        == "There were no shifts in yesterday (Mon 23 Nov), so there is no attendance file."
    )
    assert sent[1].file_name == "muster-volunteers-2026-11-24.csv"


async def test_chart_is_a_png_of_going_vs_came(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/chart")
    photo = admin.last
    assert photo.method == "sendPhoto"
    assert photo.photo is not None
    assert photo.photo.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(photo.photo) > 10_000
    assert photo.caption == f"📈 Going vs came for {LAST_7_DAYS}. All areas."

    await admin.send("/chart yesterday")
    assert admin.last.text == texts.chart_nothing("yesterday (Mon 23 Nov)")

    cora = fake.user(CORA, first_name="Cora")
    await cora.send("/chart 30d")
    assert cora.last.method == "sendPhoto"
    assert cora.last.caption.endswith("Your area: Peckham.")


async def test_leaderboard_names_only_those_who_chose_it(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    world = await _world(engine)
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/leaderboard")
    assert admin.last.text == (
        f"🏆 Leaderboard for {LAST_7_DAYS}\nAll areas\n\n"
        "1. Ann: 2 shifts, 60 doors\n"
        "2. A volunteer: 1 shift, 30 doors\n"
        "3. A volunteer: 1 shift, 15 doors\n"
        "4. @SUM(A1): 1 shift, 10 doors\n\n"
        "Names show only for volunteers who chose it with /showme."
    )

    ann = fake.user(ANN_TG, first_name="Ann")
    await ann.send("/hideme")
    assert ann.last.text == texts.HIDDEN_FROM_LEADERBOARD
    cat = fake.user(7105, first_name="Cat")
    await cat.send("/showme")
    assert cat.last.text == texts.SHOWN_ON_LEADERBOARD
    async with engine.connect() as conn:
        shown = dict(
            (await conn.execute(select(volunteers.c.id, volunteers.c.on_leaderboard))).all()
        )
    assert (shown[world.people["ann"]], shown[world.people["cat"]]) == (False, True)
    await admin.send("/leaderboard")
    assert admin.last.text.splitlines()[3:7] == [
        "1. A volunteer: 2 shifts, 60 doors",
        "2. A volunteer: 1 shift, 30 doors",
        "3. Cat: 1 shift, 15 doors",
        "4. @SUM(A1): 1 shift, 10 doors",
    ]

    # Someone not signed up has nothing to show or hide.
    stranger = fake.user(7999, first_name="Sam")
    await stranger.send("/showme")
    assert stranger.last.text == texts.NOT_SIGNED_UP

    await admin.send("/leaderboard yesterday")
    assert admin.last.text == texts.leaderboard_nothing("yesterday (Mon 23 Nov)")


async def _refused(user: FakeUser, engine: AsyncEngine, command: str, role: str) -> None:
    before = await every_row(engine)
    count = len(user.messages)
    await user.send(command)
    assert user.last.text == texts.not_allowed(role), command
    assert len(user.messages) == count + 1  # one answer
    assert await every_row(engine) == before


async def test_volunteers_and_organisers_are_refused(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    await _world(engine)
    val = fake.user(VAL, first_name="Val")  # signed up, no role
    for command in ("/summary", "/turnout Saturday doors", "/export 30d"):
        await _refused(val, engine, command, "organiser")
    for command in ("/chart", "/leaderboard 30d"):
        await _refused(val, engine, command, "coordinator")
    olly = fake.user(OLLY, first_name="Olly")  # an organiser, not a coordinator
    for command in ("/chart", "/leaderboard"):
        await _refused(olly, engine, command, "coordinator")


async def _figures_of(engine: AsyncEngine) -> tuple[Any, ...]:
    """Every query of the reports over the test world, at the test's clock."""
    now = START
    start, end = datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
    async with engine.connect() as conn:
        return (
            await queries.shift_figures(conn, at=now, areas=None, start=start, end=now),
            await queries.shift_figures(conn, at=now, areas=["PECKHAM"], event_ids=[1, 4]),
            await queries.sign_ups(conn, start=start, end=end, areas=None),
            await queries.sign_ups(conn, start=start, end=end, areas=["lewisham"]),
            await queries.area_named(conn, "peckham"),
            await queries.events_titled(conn, ["peckham"], areas=None, at=now),
            await queries.leaderboard(conn, start=start, end=now, areas=None),
            [
                r
                async for batch in queries.volunteer_records(conn, areas=["Peckham"])
                for r in batch
            ],
        )


async def test_the_queries_agree_on_postgresql(
    engine: AsyncEngine, postgres_database_url: str
) -> None:
    postgres = create_engine(postgres_database_url)
    try:
        await migrate.upgrade(postgres)
        await _world(engine)
        await _world(postgres)
        on_sqlite, on_postgres = await _figures_of(engine), await _figures_of(postgres)
    finally:
        await postgres.dispose()
    assert on_postgres == on_sqlite
    figures, by_event, joined, joined_here, area, titled, leaders, people = on_sqlite
    assert [f.going for f in figures] == [1, 4, 1, 2]
    assert [f.turnout.no_shows for f in by_event] == [2, 0, 0]
    assert (joined, joined_here, area) == (4, 1, "Peckham")
    assert titled == [1, 4]
    assert [(line.name, line.shifts, line.doors) for line in leaders][:2] == [
        ("Ann", 3, 110),
        (None, 1, 30),
    ]
    assert [person.name for person in people][:2] == ["Ann", "Bob"]


async def test_a_long_turnout_comes_in_messages_that_fit(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        first = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
        await events.create_event(
            conn,
            EventDraft(
                "committee_room",
                "Long committee room",
                "Peckham",
                shifts=tuple(
                    ShiftDraft(first + timedelta(days=i), first + timedelta(days=i, hours=2), 5)
                    for i in range(70)
                ),
            ),
            created_by=ADMIN_ID,
            at=clock.now(),
        )
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/turnout long committee")
    sent = admin.messages
    assert len(sent) == 2
    assert all(len(m.text) <= 4096 for m in sent)
    assert sum(m.text.count("• ") for m in sent) == 70
    assert sent[0].text.startswith("Long committee room (Peckham)\n• Tue 1 Sep, 11:00-13:00")  # BST
