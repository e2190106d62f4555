"""Organisers' events without Telegram: what each use case stores, what it refuses, and exactly
which notices it queues in the outbox, to whom. On SQLite, and on PostgreSQL when
TEST_POSTGRES_URL is set."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock, texts
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Grant
from bot.domain.statuses import EventStatus, RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import events as organising
from bot.services import rsvps as answering
from db import migrate, volunteers
from db.engine import create_engine
from db.schema import audit_log, outbox
from db.schema import volunteers as volunteers_table
from tests.conftest import throwaway_postgres

ZONE = ZoneInfo("Europe/London")
ADMIN = Access(telegram_id=1, is_admin=True)
PECKHAM = Access(
    telegram_id=2,
    is_admin=False,
    grants=(Grant(volunteer_id=1, telegram_id=2, name="Pat", role="organiser", area="Peckham"),),
)


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[AsyncEngine]:
    async with _url(request, database_url) as url:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        yield engine
        await engine.dispose()


def _url(request: pytest.FixtureRequest, sqlite_url: str) -> Any:
    if request.param == "sqlite":
        return contextlib.nullcontext(sqlite_url)
    return throwaway_postgres(request.getfixturevalue("postgres_url"))


def _draft(
    *capacities: int,
    title: str = "Doors",
    area: str = "Peckham",
    starts_in: timedelta = timedelta(days=3),
) -> EventDraft:
    start = clock.now() + starts_in
    return EventDraft(
        kind="canvass",
        title=title,
        area=area,
        address="Rye Lane Library",
        latitude=None,
        longitude=None,
        shifts=tuple(
            ShiftDraft(start + timedelta(hours=4 * n), start + timedelta(hours=4 * n + 3), places)
            for n, places in enumerate(capacities)
        ),
    )


async def _create(engine: AsyncEngine, draft: EventDraft) -> organising.Target:
    async with engine.begin() as conn:
        event = await organising.create(conn, clock.now(), by=ADMIN.telegram_id, draft=draft)
        found = await organising.find(conn, clock.now(), by=ADMIN, event_id=event.id)
    assert found.target is not None
    return found.target


async def _people(engine: AsyncEngine, *names: str) -> list[Volunteer]:
    found = []
    async with engine.begin() as conn:
        for n, name in enumerate(names):
            await conn.execute(
                insert(volunteers_table).values(
                    telegram_id=20_000 + n,
                    name=name,
                    status="active",
                    editing=False,
                    paused=False,
                    created_at=clock.now(),
                )
            )
            person = await volunteers.by_telegram_id(conn, 20_000 + n)
            assert person is not None
            found.append(person)
    return found


async def _answer(engine: AsyncEngine, person: Volunteer, shift_id: int, answer: str) -> None:
    async with engine.begin() as conn:
        await answering.answer(
            conn,
            at=clock.now(),
            volunteer=person,
            shift_ids=[shift_id],
            answer=answer,
            callout_id=None,
            zone=ZONE,
            late_cancel=timedelta(hours=24),
        )


async def _queued(engine: AsyncEngine) -> list[tuple[int, str, str]]:
    """(chat, kind, text) of every row queued, in order; then empties the outbox."""
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.kind, outbox.c.payload).order_by(outbox.c.id)
            )
        ).all()
        await conn.execute(outbox.delete())
    return [(row.chat_id, row.kind, row.payload["text"]) for row in rows]


async def _audit(engine: AsyncEngine) -> list[tuple[str, dict[str, Any]]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(audit_log.c.action, audit_log.c.detail).order_by(audit_log.c.id)
        )
        return [(row.action, row.detail) for row in rows]


async def test_create_stores_the_event_and_audits_it(db: AsyncEngine) -> None:
    target = await _create(db, _draft(5, 3))
    assert target.event.title == "Doors"
    assert target.event.link_payload.startswith("e-")
    assert [s.capacity for s in target.shifts] == [5, 3]
    assert await _audit(db) == [("create_event", {"event_id": target.event.id, "shifts": 2})]


async def test_import_makes_every_event_with_its_first_start(db: AsyncEngine) -> None:
    drafts = [_draft(5, title="One"), _draft(2, 2, title="Two", starts_in=timedelta(days=5))]
    async with db.begin() as conn:
        made = await organising.import_events(conn, clock.now(), by=ADMIN, drafts=drafts)
    assert [(m.event.title, m.first_start) for m in made] == [
        ("One", drafts[0].shifts[0].starts_at),
        ("Two", drafts[1].shifts[0].starts_at),
    ]
    assert await _audit(db) == [("events_import", {"events": 2, "shifts": 3})]


async def test_upcoming_is_the_organisers_areas_with_live_shifts_only(db: AsyncEngine) -> None:
    early = await _create(db, _draft(5, 5, starts_in=timedelta(hours=2)))
    await _create(db, _draft(5, area="Brixton", starts_in=timedelta(days=1)))
    cancelled = await _create(db, _draft(5, starts_in=timedelta(days=2)))
    async with db.begin() as conn:
        await organising.cancel_event(
            conn, clock.now(), by=ADMIN, event_id=cancelled.event.id, zone=ZONE
        )
    # The first shift (09:00 + 2h to + 5h) has ended by then; the second has not.
    later = clock.now() + timedelta(hours=6)
    async with db.connect() as conn:
        mine = await organising.upcoming(conn, later, by=PECKHAM)
        everyone = await organising.upcoming(conn, later, by=ADMIN)
    assert [(t.event.id, [s.id for s in t.shifts]) for t in mine] == [
        (early.event.id, [early.shifts[1].id])
    ]
    assert [t.event.area for t in everyone] == ["Peckham", "Brixton"]


async def test_find_says_why_a_button_no_longer_applies(db: AsyncEngine) -> None:
    brixton = await _create(db, _draft(5, area="Brixton"))
    peckham = await _create(db, _draft(5, 5))
    async with db.begin() as conn:
        at = clock.now()
        assert (await organising.find(conn, at, by=PECKHAM, event_id=999)).problem == (
            texts.EXPIRED_BUTTON
        )
        assert (await organising.find(conn, at, by=PECKHAM, shift_id=999)).problem == (
            texts.EXPIRED_BUTTON
        )
        not_mine = await organising.find(conn, at, by=PECKHAM, event_id=brixton.event.id)
        assert not_mine.problem == texts.EVENT_NOT_YOURS
        first = peckham.shifts[0]
        await organising.cancel_shift(conn, at, by=PECKHAM, shift_id=first.id, zone=ZONE)
        gone = await organising.find(conn, at, by=PECKHAM, shift_id=first.id)
        assert gone.problem == texts.SHIFT_GONE
        assert gone.target is not None and len(gone.target.shifts) == 1
        ok = await organising.find(conn, at, by=PECKHAM, shift_id=peckham.shifts[1].id)
        assert ok.problem is None and ok.target is not None
        assert ok.target.shift == peckham.shifts[1]
        await organising.cancel_event(conn, at, by=PECKHAM, event_id=peckham.event.id, zone=ZONE)
        over = await organising.find(conn, at, by=PECKHAM, event_id=peckham.event.id)
        assert over.problem == texts.EVENT_ALREADY_CANCELLED
        assert over.target is not None and over.target.shifts == ()


async def test_cancel_event_tells_everyone_interested_once(db: AsyncEngine) -> None:
    target = await _create(db, _draft(1, 5))
    amy, ben, cat, dan = await _people(db, "Amy", "Ben", "Cat", "Dan")
    first, second = target.shifts
    await _answer(db, amy, first.id, RsvpStatus.GOING)
    await _answer(db, amy, second.id, RsvpStatus.GOING)
    await _answer(db, ben, first.id, RsvpStatus.GOING)  # waitlisted: one place
    await _answer(db, cat, second.id, RsvpStatus.MAYBE)
    await _answer(db, dan, second.id, RsvpStatus.CANT)
    await _queued(db)
    async with db.connect() as conn:
        asked = await organising.to_cancel(conn, clock.now(), by=PECKHAM, event_id=target.event.id)
    assert asked.people == 3
    async with db.begin() as conn:
        done = await organising.cancel_event(
            conn, clock.now(), by=PECKHAM, event_id=target.event.id, zone=ZONE
        )
    assert (done.problem, done.told) == (None, 3)
    assert done.target is not None and done.target.event.status == EventStatus.CANCELLED
    notice = texts.event_cancelled_notice(target.event, target.shifts, ZONE)
    assert await _queued(db) == [
        (person.telegram_id, "event_cancelled", notice) for person in (amy, ben, cat)
    ]
    assert (await _audit(db))[-1] == (
        "event_cancel",
        {"event_id": target.event.id, "told": 3},
    )
    async with db.begin() as conn:
        again = await organising.cancel_event(
            conn, clock.now(), by=PECKHAM, event_id=target.event.id, zone=ZONE
        )
    assert again.problem == texts.EVENT_ALREADY_CANCELLED
    assert await _queued(db) == []


async def test_cancel_shift_tells_only_that_shifts_people(db: AsyncEngine) -> None:
    target = await _create(db, _draft(5, 5))
    amy, ben = await _people(db, "Amy", "Ben")
    first, second = target.shifts
    await _answer(db, amy, first.id, RsvpStatus.GOING)
    await _answer(db, ben, second.id, RsvpStatus.GOING)
    await _queued(db)
    async with db.connect() as conn:
        asked = await organising.to_cancel(conn, clock.now(), by=PECKHAM, shift_id=first.id)
    assert asked.people == 1
    async with db.begin() as conn:
        done = await organising.cancel_shift(
            conn, clock.now(), by=PECKHAM, shift_id=first.id, zone=ZONE
        )
    assert done.told == 1
    assert done.target is not None and [s.id for s in done.target.shifts] == [second.id]
    assert await _queued(db) == [
        (
            amy.telegram_id,
            "shift_cancelled",
            texts.shift_cancelled_notice(target.event, first, ZONE),
        )
    ]


async def test_not_an_organiser_of_the_area_changes_nothing(db: AsyncEngine) -> None:
    target = await _create(db, _draft(5, area="Brixton"))
    async with db.begin() as conn:
        done = await organising.cancel_event(
            conn, clock.now(), by=PECKHAM, event_id=target.event.id, zone=ZONE
        )
        assert done.problem == texts.EVENT_NOT_YOURS
        with pytest.raises(organising.Gone):
            await organising.change_title(
                conn, clock.now(), by=PECKHAM, event_id=target.event.id, typed="X", zone=ZONE
            )
    async with db.connect() as conn:
        found = await organising.find(conn, clock.now(), by=ADMIN, event_id=target.event.id)
    assert found.target is not None and found.target.event == target.event


async def test_change_title_tells_those_coming(db: AsyncEngine) -> None:
    target = await _create(db, _draft(5))
    (amy,) = await _people(db, "Amy")
    await _answer(db, amy, target.shifts[0].id, RsvpStatus.MAYBE)
    await _queued(db)
    event_id = target.event.id
    async with db.begin() as conn:
        with pytest.raises(organising.Retry) as bad:
            await organising.change_title(
                conn, clock.now(), by=PECKHAM, event_id=event_id, typed="   ", zone=ZONE
            )
        assert bad.value.text == texts.BAD_TITLE
        same = await organising.change_title(
            conn, clock.now(), by=PECKHAM, event_id=event_id, typed="Doors", zone=ZONE
        )
        assert same.told is None
        changed = await organising.change_title(
            conn, clock.now(), by=PECKHAM, event_id=event_id, typed="Leaflets", zone=ZONE
        )
    assert (changed.told, changed.promoted, changed.target.event.title) == (1, 0, "Leaflets")
    ((chat, kind, text),) = await _queued(db)
    assert (chat, kind) == (amy.telegram_id, "event_changed")
    assert texts.changed_title("Doors") in text and "Leaflets" in text
    assert (await _audit(db))[-1] == (
        "event_edit",
        {"event_id": event_id, "field": "title", "told": 1},
    )


async def test_change_place_by_pin_or_words(db: AsyncEngine) -> None:
    target = await _create(db, _draft(5))
    event_id = target.event.id
    async with db.begin() as conn:
        with pytest.raises(organising.Retry) as bad:
            await organising.change_place(
                conn,
                clock.now(),
                by=PECKHAM,
                event_id=event_id,
                typed="",
                pin=(91.0, 0.0),
                zone=ZONE,
            )
        assert bad.value.text == texts.BAD_PIN
        pinned = await organising.change_place(
            conn,
            clock.now(),
            by=PECKHAM,
            event_id=event_id,
            typed="",
            pin=(51.5, -0.1),
            zone=ZONE,
        )
        same = await organising.change_place(
            conn,
            clock.now(),
            by=PECKHAM,
            event_id=event_id,
            typed="Rye Lane Library",
            pin=None,
            zone=ZONE,
        )
        typed = await organising.change_place(
            conn,
            clock.now(),
            by=PECKHAM,
            event_id=event_id,
            typed="Peckham Square",
            pin=None,
            zone=ZONE,
        )
    assert (pinned.target.event.latitude, pinned.target.event.longitude) == (51.5, -0.1)
    assert same.told is None
    assert (typed.told, typed.target.event.address) == (0, "Peckham Square")
    assert [detail["field"] for action, detail in await _audit(db) if action == "event_edit"] == [
        "address",
        "address",
    ]


async def test_change_reminders(db: AsyncEngine) -> None:
    target = await _create(db, _draft(5))
    event_id = target.event.id
    async with db.begin() as conn:
        with pytest.raises(organising.Retry):
            await organising.change_reminders(
                conn, clock.now(), by=PECKHAM, event_id=event_id, typed="soon"
            )
        set_ = await organising.change_reminders(
            conn, clock.now(), by=PECKHAM, event_id=event_id, typed="2h, 1D"
        )
        again = await organising.change_reminders(
            conn, clock.now(), by=PECKHAM, event_id=event_id, typed="1d,2h"
        )
        back = await organising.change_reminders(
            conn, clock.now(), by=PECKHAM, event_id=event_id, typed="Default"
        )
    assert (set_.told, set_.target.event.reminder_offsets) == (0, "1d,2h")
    assert again.told is None
    assert back.target.event.reminder_offsets is None
    assert await _queued(db) == []


async def test_more_places_move_the_waitlist_up(db: AsyncEngine) -> None:
    target = await _create(db, _draft(1))
    amy, ben, cat = await _people(db, "Amy", "Ben", "Cat")
    shift_id = target.shifts[0].id
    for person in (amy, ben, cat):
        await _answer(db, person, shift_id, RsvpStatus.GOING)
    await _queued(db)
    async with db.begin() as conn:
        changed = await organising.change_shift(
            conn, clock.now(), by=PECKHAM, shift_id=shift_id, typed="2", zone=ZONE
        )
    assert (changed.told, changed.promoted) == (0, 1)
    assert changed.target.shifts[0].going == 2
    assert [(chat, kind) for chat, kind, _ in await _queued(db)] == [
        (ben.telegram_id, "rsvp_calendar")
    ]
    assert (await _audit(db))[-1][1]["promoted"] == 1


async def test_new_shift_times_are_told_and_places_cannot_go_below_going(db: AsyncEngine) -> None:
    target = await _create(db, _draft(3))
    amy, ben = await _people(db, "Amy", "Ben")
    shift = target.shifts[0]
    await _answer(db, amy, shift.id, RsvpStatus.GOING)
    await _answer(db, ben, shift.id, RsvpStatus.GOING)
    await _queued(db)
    async with db.begin() as conn:
        with pytest.raises(organising.Retry) as bad:
            await organising.change_shift(
                conn, clock.now(), by=PECKHAM, shift_id=shift.id, typed="1", zone=ZONE
            )
        assert bad.value.text == texts.capacity_below_going(2)
        with pytest.raises(organising.Retry):
            await organising.change_shift(
                conn, clock.now(), by=PECKHAM, shift_id=shift.id, typed="whenever", zone=ZONE
            )
        changed = await organising.change_shift(
            conn, clock.now(), by=PECKHAM, shift_id=shift.id, typed="14:00-17:00", zone=ZONE
        )
    assert changed.told == 2
    assert changed.target.shifts[0].starts_at.astimezone(ZONE).hour == 14
    queued = await _queued(db)
    assert [(chat, kind) for chat, kind, _ in queued] == [
        (amy.telegram_id, "event_changed"),
        (ben.telegram_id, "event_changed"),
    ]
