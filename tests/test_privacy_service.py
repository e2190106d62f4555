"""/mydata and /forget without Telegram: what the copy holds, and what erasure changes, frees and
queues, on a real database."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Role
from bot.domain.statuses import RsvpStatus, VolunteerStatus
from bot.domain.volunteers import Volunteer
from bot.services import privacy
from db import events, roles, rsvps, volunteers
from db.schema import audit_log, outbox
from db.schema import rsvps as rsvps_table
from tests.conftest import ADMIN_ID

ZONE = ZoneInfo("Europe/London")


async def _person(engine: AsyncEngine, telegram_id: int, name: str) -> Volunteer:
    async with engine.begin() as conn:
        person = await volunteers.start_signup(
            conn,
            telegram_id=telegram_id,
            username=name.lower(),
            notice_version="v1",
            start_payload=None,
            at=clock.now(),
        )
        await volunteers.update_fields(conn, person.id, name=name, postcode="SE15 4QR")
        await volunteers.finish_signup(conn, person.id, at=clock.now())
        signed_up = await volunteers.by_id(conn, person.id)
    assert signed_up is not None
    return signed_up


async def _shift(engine: AsyncEngine, places: int, starts_in: timedelta) -> int:
    start = clock.now() + starts_in
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        address="Rye Lane",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), places),),
    )
    async with engine.begin() as conn:
        event_id = await events.create_event(conn, draft, created_by=ADMIN_ID, at=clock.now())
        (shift,) = await events.shifts_of(conn, event_id)
    return shift.id


async def _going(engine: AsyncEngine, shift_id: int, *people: Volunteer) -> None:
    async with engine.begin() as conn:
        for person in people:
            await rsvps.respond(
                conn,
                shift_id=shift_id,
                volunteer_id=person.id,
                answer=RsvpStatus.GOING,
                at=clock.now(),
            )


async def _forget(
    engine: AsyncEngine, person: Volunteer, admin_ids: frozenset[int] = frozenset()
) -> Access:
    async with engine.begin() as conn:
        return await privacy.forget(
            conn, clock.now(), volunteer=person, admin_ids=admin_ids, zone=ZONE
        )


async def test_the_copy_holds_their_record_and_answers(each_engine: AsyncEngine) -> None:
    amy = await _person(each_engine, 6001, "Amy")
    shift_id = await _shift(each_engine, 2, timedelta(days=2))
    await _going(each_engine, shift_id, amy)
    async with each_engine.connect() as conn:
        data = await privacy.export(conn, clock.now(), amy)
    assert data["exported_at"] == clock.now().isoformat()
    assert (data["volunteer"]["name"], data["volunteer"]["telegram_id"]) == ("Amy", 6001)
    assert [(a["status"], a["title"]) for a in data["answers"]] == [("going", "Doors")]
    assert data["consents"][0]["notice_version"] == "v1"


async def test_forgetting_gives_their_place_to_the_next_in_line(each_engine: AsyncEngine) -> None:
    amy, ben = await _person(each_engine, 6001, "Amy"), await _person(each_engine, 6002, "Ben")
    shift_id = await _shift(each_engine, 1, timedelta(days=2))
    await _going(each_engine, shift_id, amy, ben)  # Ben waits behind Amy
    access = await _forget(each_engine, amy)
    assert access.roles == frozenset()
    async with each_engine.connect() as conn:
        answers = dict(
            (await conn.execute(select(rsvps_table.c.volunteer_id, rsvps_table.c.status))).all()
        )
        queued = (
            await conn.execute(select(outbox.c.chat_id, outbox.c.kind).order_by(outbox.c.id))
        ).all()
        audited = (await conn.execute(select(audit_log))).one()
        gone = await volunteers.by_id(conn, amy.id)
    assert answers == {amy.id: RsvpStatus.CANT, ben.id: RsvpStatus.GOING}
    # Ben hears through the outbox; nobody is left to tell Amy anything.
    assert [tuple(row) for row in queued] == [(6002, "rsvp_calendar")]
    assert (audited.action, audited.target_volunteer_id, audited.actor_telegram_id) == (
        "forget",
        amy.id,
        None,
    )
    assert audited.at == clock.now()
    assert gone is not None
    assert (gone.status, gone.telegram_id, gone.name) == (VolunteerStatus.FORGOTTEN, None, None)
    assert gone.forgotten_at == clock.now()


async def test_forgetting_leaves_past_shifts_as_they_were(each_engine: AsyncEngine) -> None:
    amy = await _person(each_engine, 6001, "Amy")
    shift_id = await _shift(each_engine, 1, timedelta(hours=1))
    await _going(each_engine, shift_id, amy)
    clock.advance(timedelta(hours=5))  # the shift is over: her turnout counts as it was
    await _forget(each_engine, amy)
    async with each_engine.connect() as conn:
        status = await conn.scalar(select(rsvps_table.c.status))
        queued = await conn.scalar(select(outbox.c.id))
    assert (status, queued) == (RsvpStatus.GOING, None)


async def test_forgetting_takes_their_roles_but_an_admin_keeps_theirs(
    each_engine: AsyncEngine,
) -> None:
    cat = await _person(each_engine, 6003, "Cat")
    ada = await _person(each_engine, ADMIN_ID, "Ada")
    async with each_engine.begin() as conn:
        for person in (cat, ada):
            await roles.grant(
                conn,
                volunteer_id=person.id,
                role=Role.ORGANISER.value,
                area="Peckham",
                granted_by=ADMIN_ID,
                at=clock.now(),
            )
    assert (await _forget(each_engine, cat)).roles == frozenset()
    kept = await _forget(each_engine, ada, admin_ids=frozenset({ADMIN_ID}))
    # Admins come from configuration, so forgetting their volunteer record leaves them admin.
    assert kept.has(Role.ADMIN) and kept.grants == ()
