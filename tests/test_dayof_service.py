"""The day's use cases without Telegram, on a real database (SQLite, and PostgreSQL when
TEST_POSTGRES_URL is set): checking in by button, /here and a shared location, running late,
"can't come", the debrief's doors and note, and organisers correcting attendance."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Grant, Role
from bot.domain.statuses import Attendance, RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import cards, dayof
from bot.services.dayof import CheckInAction, Here, NotOrganiser, Said
from db import events, rsvps, volunteers
from db.schema import outbox
from db.schema import rsvps as rsvps_table
from db.schema import volunteers as volunteers_table

ZONE = ZoneInfo("Europe/London")
ORGANISER = 7_000  # created the events; has no volunteer row of their own
# Rye Lane Library, and a street corner about 150 metres away.
VENUE = (51.4700, -0.0700)
NEAR = (51.4713, -0.0700)


async def _person(conn: AsyncConnection, name: str, telegram_id: int) -> Volunteer:
    await conn.execute(
        insert(volunteers_table).values(
            telegram_id=telegram_id,
            name=name,
            status="active",
            editing=False,
            paused=False,
            created_at=clock.now(),
        )
    )
    person = await volunteers.by_telegram_id(conn, telegram_id)
    assert person is not None
    return person


async def _session(
    conn: AsyncConnection, title: str, starts_in: timedelta, *, pin: bool = True
) -> int:
    start = clock.now() + starts_in
    draft = EventDraft(
        kind="canvass",
        title=title,
        area="Peckham",
        address="Rye Lane Library",
        latitude=VENUE[0] if pin else None,
        longitude=VENUE[1] if pin else None,
        shifts=(ShiftDraft(start, start + timedelta(hours=3), 5),),
    )
    event_id = await events.create_event(conn, draft, created_by=ORGANISER, at=clock.now())
    (shift,) = await events.shifts_of(conn, event_id)
    return shift.id


async def _going(conn: AsyncConnection, shift_id: int, person: Volunteer) -> None:
    await rsvps.respond(
        conn, shift_id=shift_id, volunteer_id=person.id, answer=RsvpStatus.GOING, at=clock.now()
    )


async def _row(conn: AsyncConnection, shift_id: int, person: Volunteer) -> dict:
    row = (
        await conn.execute(
            select(rsvps_table).where(
                rsvps_table.c.shift_id == shift_id, rsvps_table.c.volunteer_id == person.id
            )
        )
    ).one()
    return dict(row._mapping)


async def test_the_check_in_button_works_only_while_the_session_is_on(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        shift_id = await _session(conn, "Doors", timedelta(hours=2))
        await _going(conn, shift_id, amy)
    here = {"volunteer": amy, "shift_id": shift_id, "action": CheckInAction.HERE, "zone": ZONE}
    async with each_engine.begin() as conn:
        # Two hours before: check-in has not opened.
        assert await dayof.check_in_button(conn, clock.now(), **here) == Said.OVER
        assert (await _row(conn, shift_id, amy))["checked_in_at"] is None
    at = clock.now() + timedelta(hours=1, minutes=30)
    async with each_engine.begin() as conn:
        assert await dayof.check_in_button(conn, at, **here) == Said.CHECKED_IN
        assert (await _row(conn, shift_id, amy))["checked_in_at"] == at
    async with each_engine.begin() as conn:
        later = at + timedelta(minutes=20)
        assert await dayof.check_in_button(conn, later, **here) == Said.ALREADY_HERE
        assert (await _row(conn, shift_id, amy))["checked_in_at"] == at  # the first time stays
    async with each_engine.begin() as conn:
        ended = clock.now() + timedelta(hours=6)
        assert await dayof.check_in_button(conn, ended, **here) == Said.OVER


async def test_running_late_is_kept_and_the_organisers_alert_is_queued(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        shift_id = await _session(conn, "Doors", timedelta(minutes=10))
        await _going(conn, shift_id, amy)
    at = clock.now()
    async with each_engine.begin() as conn:
        said = await dayof.check_in_button(
            conn, at, volunteer=amy, shift_id=shift_id, action=CheckInAction.LATE, zone=ZONE
        )
    assert said == Said.LATE
    async with each_engine.connect() as conn:
        assert (await _row(conn, shift_id, amy))["running_late_at"] == at
        alerts = (
            await conn.execute(select(outbox.c.chat_id, outbox.c.kind, outbox.c.payload))
        ).all()
    assert [(a.chat_id, a.kind) for a in alerts] == [(ORGANISER, "organiser_alert")]
    assert "Amy" in alerts[0].payload["text"]


async def test_cant_come_at_the_start_gives_up_the_place(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        shift_id = await _session(conn, "Doors", timedelta(minutes=10))
        await _going(conn, shift_id, amy)
        said = await dayof.check_in_button(
            conn,
            clock.now(),
            volunteer=amy,
            shift_id=shift_id,
            action=CheckInAction.CANT_COME,
            zone=ZONE,
        )
        assert said == Said.CANT_COME
        assert (await _row(conn, shift_id, amy))["status"] == RsvpStatus.CANT


async def test_here_checks_in_to_ones_own_session_or_offers_those_on(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        ben = await _person(conn, "Ben", 10_002)
        assert await dayof.here(conn, clock.now(), amy, zone=ZONE) == Here(None, ())  # nothing on
        doors = await _session(conn, "Doors", timedelta(minutes=30))
        stall = await _session(conn, "Stall", timedelta(minutes=-30))
        await _going(conn, doors, amy)
    async with each_engine.begin() as conn:
        assert await dayof.here(conn, clock.now(), amy, zone=ZONE) == Here(Said.CHECKED_IN)
        assert (await _row(conn, doors, amy))["checked_in_at"] == clock.now()
        # Ben said nothing: both sessions on now are offered, soonest first.
        offered = await dayof.here(conn, clock.now(), ben, zone=ZONE)
    assert offered.said is None
    assert [(shift.id, event.title) for shift, event in offered.sessions] == [
        (stall, "Stall"),
        (doors, "Doors"),
    ]


async def test_a_shared_location_checks_in_only_nearby(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        where = {"volunteer": amy, "latitude": NEAR[0], "longitude": NEAR[1], "radius_km": 0.3}
        assert await dayof.by_location(conn, clock.now(), **where, zone=ZONE) is None  # nothing on
        shift_id = await _session(conn, "Doors", timedelta(minutes=15))
    async with each_engine.begin() as conn:
        far = dict(where, radius_km=0.1)
        assert await dayof.by_location(conn, clock.now(), **far, zone=ZONE) == Said.TOO_FAR
        assert await dayof.by_location(conn, clock.now(), **where, zone=ZONE) == Said.CHECKED_IN
        row = await _row(conn, shift_id, amy)
    # She had not said going: a walk-in.
    assert (row["status"], row["walk_in"]) == (RsvpStatus.GOING, True)


async def test_a_meeting_point_known_by_its_postcode_allows_for_it(
    each_engine: AsyncEngine,
) -> None:
    # No map pin, only a postcode: the meeting point is at its sector's centre (SE15 4:
    # 51.4663, -0.0708), give or take APPROXIMATE_ALLOWANCE_KM, which the radius allows for.
    start = clock.now() + timedelta(minutes=15)
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        address="Rye Lane Library, SE15 4QR",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), 5),),
    )
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        event_id = await events.create_event(conn, draft, created_by=ORGANISER, at=clock.now())
        (shift,) = await events.shifts_of(conn, event_id)
    two_km_north = {
        "volunteer": amy,
        "latitude": 51.4843,
        "longitude": -0.0708,
        "radius_km": 0.3,
        "zone": ZONE,
    }
    one_km_north = dict(two_km_north, latitude=51.4753)
    async with each_engine.begin() as conn:
        assert await dayof.by_location(conn, clock.now(), **two_km_north) == Said.TOO_FAR
        assert await dayof.by_location(conn, clock.now(), **one_km_north) == Said.CHECKED_IN
        assert (await _row(conn, shift.id, amy))["checked_in_at"] == clock.now()


async def test_doors_typed_after_a_session_and_the_note(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        shift_id = await _session(conn, "Doors", timedelta(minutes=10))
        await _going(conn, shift_id, amy)
        # Not come yet, and the session not over: a number is not a debrief answer.
        assert (
            await dayof.typed_doors(conn, clock.now(), volunteer=amy, doors=12, zone=ZONE) is None
        )
        await dayof.check_in_button(
            conn,
            clock.now(),
            volunteer=amy,
            shift_id=shift_id,
            action=CheckInAction.HERE,
            zone=ZONE,
        )
    after = clock.now() + timedelta(hours=4)
    async with each_engine.begin() as conn:
        typo = await dayof.typed_doors(
            conn, after, volunteer=amy, doors=dayof.DOORS_MAX + 1, zone=ZONE
        )
        assert typo == dayof.TypedDoors(shift_id, kept=False)
        assert (await _row(conn, shift_id, amy))["doors"] is None
        kept = await dayof.typed_doors(conn, after, volunteer=amy, doors=40, zone=ZONE)
        assert kept == dayof.TypedDoors(shift_id, kept=True)
        await dayof.record_note(conn, volunteer=amy, shift_id=shift_id, note="Lots of dogs")
        row = await _row(conn, shift_id, amy)
        assert (row["doors"], row["debrief_note"]) == (40, "Lots of dogs")
        # Answered: another number is not taken for that session.
        assert await dayof.typed_doors(conn, after, volunteer=amy, doors=3, zone=ZONE) is None
        await dayof.record_doors(conn, volunteer=amy, shift_id=shift_id, doors=25)
        assert (await _row(conn, shift_id, amy))["doors"] == 25
    # A day later the session is past the debrief.
    async with each_engine.begin() as conn:
        await conn.execute(update(rsvps_table).values(doors=None))
        next_day = after + timedelta(hours=24)
        assert await dayof.typed_doors(conn, next_day, volunteer=amy, doors=3, zone=ZONE) is None


def _organiser(area: str) -> Access:
    return Access(
        telegram_id=ORGANISER + 1,
        is_admin=False,
        grants=(Grant(1, ORGANISER + 1, "Olu", Role.ORGANISER.value, area),),
    )


async def test_organisers_correct_attendance_of_their_area_only(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        ben = await _person(conn, "Ben", 10_002)
        dan = await _person(conn, "Dan", 10_003)
        shift_id = await _session(conn, "Doors", timedelta(minutes=10))
        for person in (amy, ben):
            await _going(conn, shift_id, person)
        await rsvps.respond(
            conn, shift_id=shift_id, volunteer_id=dan.id, answer=RsvpStatus.MAYBE, at=clock.now()
        )
        await dayof.check_in_button(
            conn,
            clock.now(),
            volunteer=amy,
            shift_id=shift_id,
            action=CheckInAction.HERE,
            zone=ZONE,
        )
        # Ben blocked the bot: he is still on the shift, and can be corrected.
        await conn.execute(
            update(volunteers_table)
            .where(volunteers_table.c.id == ben.id)
            .values(unreachable_at=clock.now())
        )
    olu = _organiser("peckham")
    async with each_engine.begin() as conn:
        with pytest.raises(NotOrganiser):
            await dayof.attendance_sheet(conn, _organiser("Lewisham"), shift_id)
        with pytest.raises(NotOrganiser):
            await dayof.toggle_attendance(
                conn, _organiser("Lewisham"), shift_id, ben.id, at=clock.now(), zone=ZONE
            )
        with pytest.raises(NotOrganiser):
            await dayof.attendance_sheet(conn, olu, shift_id + 99)
        sheet = await dayof.attendance_sheet(conn, olu, shift_id)
        assert (sheet.shift.id, sheet.event.title) == (shift_id, "Doors")
        assert [(p.name, p.came) for p in sheet.going] == [("Amy", True), ("Ben", False)]
        sheet = await dayof.toggle_attendance(
            conn, olu, shift_id, ben.id, at=clock.now(), zone=ZONE
        )
        assert sheet is not None
        assert [(p.name, p.came) for p in sheet.going] == [("Amy", True), ("Ben", True)]
        sheet = await dayof.toggle_attendance(
            conn, olu, shift_id, amy.id, at=clock.now(), zone=ZONE
        )
        assert sheet is not None
        assert [(p.name, p.came) for p in sheet.going] == [("Amy", False), ("Ben", True)]
        assert (await _row(conn, shift_id, amy))["attendance"] == Attendance.NO_SHOW
        assert (await _row(conn, shift_id, ben))["attendance"] == Attendance.PRESENT
        stranger = await _person(conn, "Eve", 10_004)
        assert (
            await dayof.toggle_attendance(
                conn, olu, shift_id, stranger.id, at=clock.now(), zone=ZONE
            )
            is None
        )


async def test_the_last_prompt_is_the_newest_card_unless_a_call_or_an_event_card_came_after(
    each_engine: AsyncEngine,
) -> None:
    """Typed "yes" or "running late" answers the newest "Still coming?" or check-in prompt a
    volunteer got, as long as no shift call or event card came after it."""

    def sent(kind: str, message_id: int, markup: object) -> dict[str, object]:
        return {
            "chat_id": 4242,
            "kind": kind,
            "payload": {"text": kind, "reply_markup": markup},
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": clock.now(),
            "sent_at": clock.now(),
            "message_id": message_id,
            "created_at": clock.now(),
        }

    start = clock.now() + timedelta(days=1)
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        address="Rye Lane Library, SE15 4QR",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), 5),),
    )
    buttons = {"inline_keyboard": [[{"text": "I'm here", "callback_data": "ci:h.7"}]]}
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 4242)
        event_id = await events.create_event(conn, draft, created_by=ORGANISER, at=clock.now())
        assert await dayof.last_prompt(conn, 4242, amy.id) is None
        await conn.execute(insert(outbox).values(sent("checkin", 10, buttons)))
        await conn.execute(insert(outbox).values(sent("reminder", 11, None)))  # no buttons
        prompt = await dayof.last_prompt(conn, 4242, amy.id)
        assert prompt == dayof.Prompt(10, (("I'm here", "ci:h.7"),))
        # An event card opened later (a share link): words answer that, not the prompt.
        await cards.remember(
            conn,
            clock.now(),
            volunteer_id=amy.id,
            chat_id=4242,
            message_id=12,
            kind=cards.EVENT,
            event_id=event_id,
            shift_ids=[],
        )
        assert await dayof.last_prompt(conn, 4242, amy.id) is None
        await conn.execute(insert(outbox).values(sent("checkin", 13, buttons)))
        assert await dayof.last_prompt(conn, 4242, amy.id) == dayof.Prompt(13, prompt.buttons)
        await conn.execute(insert(outbox).values(sent("callout", 14, buttons)))
        assert await dayof.last_prompt(conn, 4242, amy.id) is None
