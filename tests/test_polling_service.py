"""Polling day without Telegram, on SQLite and on PostgreSQL (when TEST_POSTGRES_URL is set):
elections and their refusals, which committee rooms belong to one, who a pledge call reaches,
pledging and changing and withdrawing, the figures organisers see, the countdown, the "polling
day" availability, and /mydata and /forget."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.domain.audience import Audience
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Grant, Role
from bot.services import calls, polling, privacy, retention
from db import events, volunteers
from db.schema import events as events_table
from db.schema import outbox, pledges, rsvps, volunteer_availability
from db.schema import volunteers as volunteers_table
from tests.flows import agreed_to_notice

ZONE = ZoneInfo("Europe/London")
DAY = date(2027, 5, 6)  # a Thursday, in summer time
OPENS_UTC = datetime(2027, 5, 6, 6, 0, tzinfo=UTC)  # 07:00 BST
PECKHAM = (51.4693, -0.0692)
COORD = 7_100


def _coordinator(*areas: str) -> Access:
    return Access(
        COORD, False, tuple(Grant(1, COORD, "Cora", Role.COORDINATOR.value, a) for a in areas)
    )


def _fields(areas: tuple[str, ...] = ("Peckham",), day: date = DAY) -> polling.ElectionFields:
    return polling.ElectionFields("By-election", day, time(7), time(22), areas)


async def _volunteer(
    conn: AsyncConnection, n: int, place: tuple[float, float] | None, **values: object
) -> int:
    volunteer_id = (
        await conn.execute(
            insert(volunteers_table)
            .values(
                telegram_id=20_000 + n,
                name=f"Vol {n}",
                status="active",
                **{
                    "editing": False,
                    "paused": False,
                    "created_at": clock.now(),
                    "latitude": place[0] if place else None,
                    "longitude": place[1] if place else None,
                    "location_source": "shared" if place else None,
                    **values,
                },
            )
            .returning(volunteers_table.c.id)
        )
    ).scalar_one()
    await agreed_to_notice(conn, [volunteer_id])
    return volunteer_id


async def _room(
    conn: AsyncConnection,
    *,
    title: str = "Peckham committee room",
    area: str = "Peckham",
    kind: str = "committee_room",
    starts: datetime = OPENS_UTC,
) -> int:
    return await events.create_event(
        conn,
        EventDraft(
            kind=kind,
            title=title,
            area=area,
            address="Rye Lane Library, SE15 4QR",
            latitude=PECKHAM[0],
            longitude=PECKHAM[1],
            shifts=(ShiftDraft(starts, starts + timedelta(hours=5), 8),),
        ),
        created_by=COORD,
        at=clock.now(),
    )


async def _election(conn: AsyncConnection, areas: tuple[str, ...] = ("Peckham",)) -> int:
    saved = await polling.save_election(
        conn, clock.now(), _coordinator(*areas), _fields(areas), election_id=None, zone=ZONE
    )
    assert saved.election is not None
    return saved.election.id


async def test_elections_are_refused_outside_the_coordinators_areas_and_twice_a_day(
    each_engine: AsyncEngine,
) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        peckham = _coordinator("Peckham")
        refused = await polling.save_election(
            conn, at, peckham, _fields(("Peckham", "Lewisham")), election_id=None, zone=ZONE
        )
        assert refused.refused == "not_your_area"
        past = await polling.save_election(
            conn, at, peckham, _fields(day=date(2026, 1, 1)), election_id=None, zone=ZONE
        )
        assert past.refused == "past"
        made = await polling.save_election(
            conn, at, peckham, _fields(), election_id=None, zone=ZONE
        )
        assert made.election is not None and made.election.areas == ("Peckham",)
        again = await polling.save_election(
            conn, at, _coordinator("peckham", "Dulwich"), _fields(("Dulwich", "PECKHAM")),
            election_id=None, zone=ZONE,
        )
        assert (again.refused, again.area) == ("same_day", "PECKHAM")
        # Changing it is not taking its own day twice; someone of another area may not.
        moved = await polling.save_election(
            conn, at, peckham, _fields(day=date(2027, 5, 7)), election_id=made.election.id,
            zone=ZONE,
        )
        assert moved.election is not None and moved.election.day == date(2027, 5, 7)
        other = await polling.save_election(
            conn, at, _coordinator("Dulwich"), _fields(("Dulwich",)),
            election_id=made.election.id, zone=ZONE,
        )
        assert other.refused == "gone"
        assert [e.id for e in await polling.elections_for(conn, at, peckham, ZONE)] == [
            made.election.id
        ]
        assert await polling.elections_for(conn, at, _coordinator("Dulwich"), ZONE) == []


async def test_rooms_pledge_call_pledges_and_figures(each_engine: AsyncEngine) -> None:
    at = clock.now()
    organiser = Access(COORD, False, (Grant(1, COORD, "O", Role.ORGANISER.value, "Peckham"),))
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        room = await _room(conn)
        await _room(conn, title="Another day", starts=OPENS_UTC + timedelta(days=1))
        await _room(conn, title="Lewisham room", area="Lewisham")
        await _room(conn, title="A canvass", kind="canvass")
        near = await _volunteer(conn, 1, (51.4700, -0.0650))
        far = await _volunteer(conn, 2, (53.4808, -2.2426))
        paused = await _volunteer(conn, 3, (51.4700, -0.0650), paused=True)
        unplaced = await _volunteer(conn, 4, None)
        # Someone far away who came to a Peckham shift before is in Peckham too.
        came = await _volunteer(conn, 5, (53.4808, -2.2426))
        old = await _room(conn, title="Old canvass", kind="canvass", starts=at - timedelta(days=3))
        (old_shift,) = await events.shifts_of(conn, old)
        await conn.execute(
            insert(rsvps).values(
                shift_id=old_shift.id, volunteer_id=came, status="going", responded_at=at
            )
        )
        found = await polling.election(conn, _coordinator("Peckham"), election_id)
        assert found is not None
        rooms = await polling.rooms(conn, found, ZONE)
        assert [r.event.title for r in rooms] == ["Peckham committee room"]

        preview = await polling.pledge_call_preview(conn, at, organiser, election_id, ZONE)
        assert preview is not None and preview.reaches == 2
        lewisham = Access(9, False, (Grant(2, 9, "L", Role.ORGANISER.value, "Lewisham"),))
        assert await polling.pledge_call_preview(conn, at, lewisham, election_id, ZONE) is None
        assert await polling.send_pledge_call(conn, at, organiser, election_id, ZONE) == 2
        asked = set(await conn.scalars(select(outbox.c.volunteer_id)))
        assert asked == {near, came}
        assert not asked & {far, paused, unplaced}

        me = await volunteers.by_id(conn, near)
        assert me is not None
        assert [e.id for e in await polling.elections_to_pledge(conn, at, me, ZONE)] == [
            election_id
        ]
        pledge = polling.pledge
        assert (await pledge(conn, at, volunteer=me, election_id=election_id, parts=set(),
                             zone=ZONE))[0] == "pick_one"
        assert (await pledge(conn, at, volunteer=me, election_id=election_id,
                             parts={"evening", "morning"}, zone=ZONE))[0] == "saved"
        assert (await pledge(conn, at, volunteer=me, election_id=election_id,
                             parts={"afternoon"}, zone=ZONE))[0] == "changed"
        other = await volunteers.by_id(conn, came)
        assert other is not None
        await pledge(conn, at, volunteer=other, election_id=election_id,
                     parts={"morning", "afternoon", "evening"}, zone=ZONE)
        rows = {
            r.volunteer_id: (list(r.parts), r.area) for r in await conn.execute(select(pledges))
        }
        assert rows == {
            near: (["afternoon"], "Peckham"),
            came: (["morning", "afternoon", "evening"], None),  # too far to be placed
        }
        # Those who pledged are not asked again.
        again = await polling.pledge_call_preview(conn, at, organiser, election_id, ZONE)
        assert again is not None and again.reaches == 0
        assert {m[0].id for m in await polling.my_pledges(conn, at, me, ZONE)} == {election_id}

        await polling.set_target(conn, _coordinator("Peckham"), event_id=room, target=10)
        (view,) = await polling.pledge_views(conn, at, _coordinator("Peckham"), ZONE)
        assert [(f.area, f.pledged["morning"], f.wanted["morning"]) for f in view.figures] == [
            ("Peckham", 0, 10),
            (None, 1, 0),
        ]
        assert [(e.title, want) for e, _, want in view.short] == [("Peckham committee room", 10)]

        # Withdrawn; and after the polls close nothing is taken.
        assert (await pledge(conn, at, volunteer=me, election_id=election_id, parts=set(),
                             zone=ZONE))[0] == "withdrawn"
        late = datetime(2027, 5, 6, 21, 0, tzinfo=UTC)  # 22:00 BST
        assert (await pledge(conn, late, volunteer=me, election_id=election_id,
                             parts={"morning"}, zone=ZONE))[0] == "closed"


async def test_countdown_brings_the_room_or_the_rooms_to_pick(each_engine: AsyncEngine) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        room = await _room(conn)
        (shift,) = await events.shifts_of(conn, room)
        placed = await _volunteer(conn, 1, (51.4700, -0.0650))
        waiting = await _volunteer(conn, 2, (51.4700, -0.0650))
        nowhere = await _volunteer(conn, 3, None)  # not on the map: no room can be offered
        for volunteer_id in (placed, waiting, nowhere):
            person = await volunteers.by_id(conn, volunteer_id)
            assert person is not None
            await polling.pledge(conn, at, volunteer=person, election_id=election_id,
                                 parts={"morning"}, zone=ZONE)
        await conn.execute(
            insert(rsvps).values(
                shift_id=shift.id, volunteer_id=placed, status="going", responded_at=at
            )
        )
        eve = datetime(2027, 5, 5, 17, 0, tzinfo=UTC)
        messages = await polling.countdown(
            conn, eve, detail=f"e{election_id}.eve", due_at=eve, zone=ZONE,
            bot_username="muster_bot",
        )
        assert messages is not None
        by_chat = {}
        for m in messages:
            by_chat.setdefault(m.chat_id, []).append(m)
        placed_texts = [m.text for m in by_chat[20_001]]
        assert "Your committee room: <b>Peckham committee room</b>" in placed_texts[0]
        assert "Your shift: 07:00-12:00." in placed_texts[0]
        assert by_chat[20_001][1].venue is not None
        # The one waiting is offered the room again, in the countdown message itself.
        (asked,) = by_chat[20_002]
        assert "Peckham committee room</b> needs 7 more from 07:00: can you be there?" in (
            asked.text
        )
        assert asked.reply_markup is not None
        assert "https://t.me/muster_bot?start=e-" in by_chat[20_003][0].text
        assert by_chat[20_003][0].reply_markup is None
        # Days late, the eve's message is no longer sent.
        assert await polling.countdown(
            conn, eve + timedelta(days=1), detail=f"e{election_id}.eve", due_at=eve, zone=ZONE,
            bot_username="muster_bot",
        ) is None


async def test_polling_availability_reaches_only_on_an_election_day(
    each_engine: AsyncEngine,
) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        free = await _volunteer(conn, 1, None)
        await conn.execute(insert(volunteer_availability).values(volunteer_id=free, slot="polling"))
        room = await _room(conn)
        shift_ids = [s.id for s in await events.shifts_of(conn, room)]

        async def reaches() -> int | None:
            counted = await calls.live_count(
                conn, at, event_id=room, shift_ids=shift_ids,
                filters=Audience(fits_availability=True), zone=ZONE,
            )
            return counted.reaches

        assert await reaches() == 0  # no election on that day yet
        await _election(conn)
        assert await reaches() == 1


async def test_pledges_in_mydata_and_gone_with_forget(each_engine: AsyncEngine) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        room = await _room(conn)
        volunteer_id = await _volunteer(conn, 1, (51.4700, -0.0650))
        person = await volunteers.by_id(conn, volunteer_id)
        assert person is not None
        await polling.pledge(conn, at, volunteer=person, election_id=election_id,
                             parts={"evening"}, zone=ZONE)
        await conn.execute(
            update(events_table).where(events_table.c.id == room).values(manager_id=volunteer_id)
        )
        data = await privacy.export(conn, at, person)
        assert data["pledges"] == [
            {
                "election": "By-election",
                "day": "2027-05-06",
                "parts": ["evening"],
                "area": "Peckham",
                "pledged_at": at.isoformat(),
                "updated_at": at.isoformat(),
            }
        ]
        await privacy.forget(conn, at, volunteer=person, admin_ids=frozenset(), zone=ZONE)
        assert (await conn.execute(select(pledges))).all() == []
        manager = select(events_table.c.manager_id).where(events_table.c.id == room)
        assert await conn.scalar(manager) is None


async def test_pledges_go_once_their_election_is_past_the_retention_period(
    each_engine: AsyncEngine,
) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        volunteer_id = await _volunteer(conn, 1, (51.4700, -0.0650))
        person = await volunteers.by_id(conn, volunteer_id)
        assert person is not None
        await polling.pledge(conn, at, volunteer=person, election_id=election_id,
                             parts={"evening"}, zone=ZONE)

        async def sweep(when: datetime) -> int:
            # They keep in touch, so only the pledge's age counts.
            await conn.execute(
                update(volunteers_table).values(last_contact_at=when, retention_warned_at=None)
            )
            await retention.sweep(conn, when, months=24, admin_ids=frozenset(), zone=ZONE)
            return len((await conn.execute(select(pledges))).all())

        assert await sweep(datetime(2029, 5, 6, 12, tzinfo=UTC)) == 1  # 24 months to the day
        assert await sweep(datetime(2029, 5, 7, 12, tzinfo=UTC)) == 0
