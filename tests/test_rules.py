"""The rules underneath sign-up and roles, without Telegram."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.events import open_for_answers
from bot.domain.permissions import Access, BadRoleRequest, Grant, Role, parse_role_request
from bot.domain.signup import (
    ORDER,
    InvalidAnswer,
    Step,
    clean_name,
    next_step,
    normalise_phone,
    normalise_postcode,
)
from bot.domain.statuses import EventStatus


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("se15 4qr", "SE15 4QR"),
        ("SE154QR", "SE15 4QR"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("m1 1ae", "M1 1AE"),
        ("b33 8th", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("dn55 1pt", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_postcodes_are_normalised(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "SE15", "SE15 4Q", "12345", "SE15 4QRR", "QQ1 1AA1", "SE15 4CI", "hello", "S E 1"]
)
def test_bad_postcodes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        normalise_postcode(raw)
    assert caught.value.reason == "postcode"


def test_names() -> None:
    assert clean_name("  Ann   Marie  ") == "Ann Marie"
    assert clean_name("Zoë O'Brien-Smith") == "Zoë O'Brien-Smith"
    assert clean_name("<b>bold</b>") == "<b>bold</b>"  # escaped when shown, not refused
    assert clean_name("x" * 64) == "x" * 64
    for bad, reason in [
        ("", "name_empty"),
        ("   ", "name_empty"),
        ("x" * 65, "name_long"),
        ("Ann\nMarie", "name_control"),
        ("Ann\u200bMarie", "name_control"),
        ("/start", "name_command"),
    ]:
        with pytest.raises(InvalidAnswer) as caught:
            clean_name(bad)
        assert caught.value.reason == reason, bad


def test_phones() -> None:
    assert normalise_phone("447700900123") == "+447700900123"
    assert normalise_phone("+44 7700 900123") == "+447700900123"
    with pytest.raises(InvalidAnswer):
        normalise_phone("12")


def test_steps_run_in_order_and_end() -> None:
    step: Step | None = ORDER[0]
    seen = []
    while step is not None:
        seen.append(step)
        step = next_step(step)
    assert seen == [Step.NAME, Step.LOCATION, Step.AVAILABILITY, Step.ACTIVITIES, Step.PHONE]


def _grant(role: str, area: str = "") -> Grant:
    return Grant(volunteer_id=1, telegram_id=10, name="x", role=role, area=area)


def test_role_powers() -> None:
    admin = Access(telegram_id=1, is_admin=True)
    assert admin.has(Role.ORGANISER) and admin.has(Role.COORDINATOR)
    assert admin.can_manage(Role.COORDINATOR, "") and admin.areas(Role.ORGANISER) is None

    volunteer = Access(telegram_id=2, is_admin=False)
    assert volunteer.roles == frozenset()
    assert not volunteer.can_manage(Role.ORGANISER, "Peckham")

    organiser = Access(telegram_id=3, is_admin=False, grants=(_grant("organiser", "Peckham"),))
    assert organiser.has(Role.ORGANISER) and not organiser.has(Role.COORDINATOR)
    assert organiser.areas(Role.ORGANISER) == {"Peckham"}
    assert not organiser.can_manage(Role.ORGANISER, "Peckham")

    local = Access(telegram_id=4, is_admin=False, grants=(_grant("coordinator", "Peckham"),))
    assert local.has(Role.ORGANISER) and local.areas(Role.ORGANISER) == {"Peckham"}
    assert local.can_manage(Role.ORGANISER, "PECKHAM")
    assert not local.can_manage(Role.ORGANISER, "Lewisham")
    assert not local.can_manage(Role.ORGANISER, "")
    assert not local.can_manage(Role.COORDINATOR, "Peckham")

    national = Access(telegram_id=5, is_admin=False, grants=(_grant("coordinator"),))
    assert national.areas(Role.COORDINATOR) is None
    assert national.can_manage(Role.ORGANISER, "") and national.can_manage(Role.ORGANISER, "Any")


def test_role_requests() -> None:
    request = parse_role_request(["@alice", "Organiser", "Bethnal", "Green"])
    assert (request.who, request.role, request.area) == ("@alice", Role.ORGANISER, "Bethnal Green")
    assert parse_role_request(["123", "coordinator"]).area == ""
    for args, reason in [
        ([], "usage"),
        (["@alice"], "usage"),
        (["alice", "organiser"], "usage"),
        (["@", "organiser"], "usage"),
        (["@alice", "admin"], "role"),
        (["@alice", "boss"], "role"),
        (["@alice", "organiser", "x" * 65], "area"),
    ]:
        with pytest.raises(BadRoleRequest) as caught:
            parse_role_request(args)
        assert caught.value.reason == reason, args


def test_best_standby_is_nearest_then_most_reliable() -> None:
    from bot.domain.audience import Place, Standby, best_standby

    meeting = Place(51.4693, -0.0692, "Rye Lane, SE15 4QR")
    people = [
        Standby(1, Place(51.4700, -0.0692, None), 0.2),  # next door, unreliable
        Standby(2, Place(51.4710, -0.0692, None), 0.9),  # next door, reliable
        Standby(3, Place(51.6500, -0.0692, None), 1.0),  # 20 km away, always comes
        Standby(4, Place(None, None, "SE15 2AA"), None),  # typed postcode nearby, newcomer
        Standby(5, Place(None, None, "N1 9GU"), 1.0),  # elsewhere
    ]
    assert best_standby(people, meeting, newcomer_rate=0.7, count=3) == [2, 4, 1]
    assert best_standby(people, meeting, newcomer_rate=0.7, count=10) == [2, 4, 1, 3, 5]
    assert best_standby([], meeting, newcomer_rate=0.7, count=3) == []


def test_best_standby_measures_typed_postcodes_from_their_sectors() -> None:
    from bot.domain.audience import Place, Standby, best_standby

    meeting = Place(51.48636, -0.07467, "Old Kent Road, SE15 6NX")
    people = [
        # Typed SE22 0AT: its sector's centre is 3.98 km away, so the 2-4 km band.
        Standby(1, Place(51.4510, -0.0660, "SE22 0AT", approximate=True), 1.0),
        Standby(2, Place(51.4800, -0.0756, None), 0.1),  # shared, 0.7 km: first band
        Standby(3, Place(51.5053, -0.0692, None), 1.0),  # shared, 2.1 km: 2-4 km band
        Standby(4, Place(None, None, "BT1 5GS"), 1.0),  # off the map, another district
    ]
    assert best_standby(people, meeting, newcomer_rate=0.7, count=4) == [2, 1, 3, 4]


async def test_reads_only_tells_reading_from_writing(engine: object) -> None:
    from db.engine import Database, reads_only

    db = Database(engine)  # type: ignore[arg-type]
    async with db.connect() as reading:
        assert reads_only(reading)
    async with db.begin() as writing:
        assert not reads_only(writing)


async def test_writers_take_turns_in_the_order_they_came(engine: AsyncEngine) -> None:
    # SQLite's own wait for its write lock polls, so in a burst some waited past busy_timeout;
    # Database.begin() queues them, first come first served.
    from db.engine import Database

    db = Database(engine)
    entered: list[int] = []

    async def write(n: int) -> None:
        async with db.begin() as conn:
            entered.append(n)
            await conn.execute(text("SELECT 1"))
            await asyncio.sleep(0.01)

    await asyncio.gather(*(write(n) for n in range(20)))
    assert entered == list(range(20))


def test_a_shift_takes_answers_only_while_it_and_its_event_are_on_and_it_has_not_started() -> None:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    later, earlier = at + timedelta(hours=1), at - timedelta(minutes=1)
    on, off = EventStatus.ACTIVE, EventStatus.CANCELLED
    assert open_for_answers(on, on, later, at)
    assert not open_for_answers(off, on, later, at)  # the event was cancelled
    assert not open_for_answers(on, off, later, at)  # the shift was cancelled
    assert not open_for_answers(on, on, at, at)  # it starts now
    assert not open_for_answers(on, on, earlier, at)
