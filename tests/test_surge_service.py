"""Surges without Telegram, on SQLite and on PostgreSQL (when TEST_POSTGRES_URL is set): who a
surge asks (pledged for now or free on polling day, near, not checked in or going elsewhere, not
asked before, under the daily cap; nearest bands, then the most reliable), the first yes
confirmed, a later one sent to the room still short, Can't, the next batch ten minutes on, the
cap, Stop, and who may surge; surge asks in /mydata and gone on /forget."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Grant, Role
from bot.domain.surge import AfterYes, SurgeStatus
from bot.domain.volunteers import Volunteer
from bot.services import polling, privacy
from bot.services import surge as surges
from bot.settings import Settings
from db import events, volunteers
from db import polling as polls
from db import surges as found_surges
from db.schema import outbox, rsvps, scheduled_work, shifts, surge_asks, volunteer_availability
from db.schema import volunteers as volunteers_table
from tests.flows import agreed_to_notice

ZONE = ZoneInfo("Europe/London")
DAY = date(2027, 5, 6)
COORD = 7_100
PECKHAM = (51.4693, -0.0692)
BRIXTON = (51.4613, -0.1156)
SETTINGS = Settings(
    _env_file=None,  # type: ignore[call-arg]
    bot_token=SecretStr("1:test"),
    paid_broadcast=True,
)


def _at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def _near(km_north: float) -> tuple[float, float]:
    """A place ``km_north`` km north of Peckham's room."""
    return (PECKHAM[0] + km_north / 111.2, PECKHAM[1])


async def _room(
    conn: AsyncConnection, title: str, place: tuple[float, float], area: str, target: int
) -> int:
    event_id = await events.create_event(
        conn,
        EventDraft(
            kind="committee_room",
            title=title,
            area=area,
            address=f"{title}, SE15",
            latitude=place[0],
            longitude=place[1],
            shifts=(ShiftDraft(_at(7), _at(12), 20), ShiftDraft(_at(12), _at(17), 20)),
        ),
        created_by=COORD,
        at=clock.now(),
    )
    await events.update_event(conn, event_id, min_helpers=target)
    return event_id


async def _person(conn: AsyncConnection, n: int, place: tuple[float, float]) -> Volunteer:
    volunteer_id = (
        await conn.execute(
            insert(volunteers_table)
            .values(
                telegram_id=40_000 + n,
                name=f"Vol {n}",
                status="active",
                editing=False,
                paused=False,
                created_at=clock.now(),
                latitude=place[0],
                longitude=place[1],
                location_source="shared",
            )
            .returning(volunteers_table.c.id)
        )
    ).scalar_one()
    await agreed_to_notice(conn, [volunteer_id])
    found = await volunteers.by_id(conn, volunteer_id)
    assert found is not None
    return found


async def _election(conn: AsyncConnection) -> int:
    coordinator = Access(
        COORD,
        False,
        (
            Grant(1, COORD, "C", Role.COORDINATOR.value, "Peckham"),
            Grant(1, COORD, "C", Role.COORDINATOR.value, "Brixton"),
        ),
    )
    saved = await polling.save_election(
        conn,
        _at(6, day=DAY - timedelta(days=7)),
        coordinator,
        polling.ElectionFields("By-election", DAY, time(7), time(22), ("Peckham", "Brixton")),
        election_id=None,
        zone=ZONE,
    )
    assert saved.election is not None
    return saved.election.id


async def _rsvp(
    conn: AsyncConnection, shift_id: int, person: Volunteer, *, came: bool | None = None
) -> None:
    await conn.execute(
        insert(rsvps).values(
            shift_id=shift_id,
            volunteer_id=person.id,
            status="going",
            responded_at=clock.now(),
            checked_in_at=_at(7, 5) if came else None,
            attendance="no_show" if came is False else None,
        )
    )


async def _asked(conn: AsyncConnection, surge_id: int) -> set[int]:
    return set(
        await conn.scalars(
            select(surge_asks.c.volunteer_id).where(surge_asks.c.surge_id == surge_id)
        )
    )


async def _ask_id(conn: AsyncConnection, surge_id: int, person: Volunteer) -> int:
    found = await conn.scalar(
        select(surge_asks.c.id).where(
            surge_asks.c.surge_id == surge_id, surge_asks.c.volunteer_id == person.id
        )
    )
    assert found is not None
    return found


def _manager_access(telegram_id: int, area: str) -> Access:
    return Access(telegram_id, False, (Grant(1, telegram_id, "M", Role.ORGANISER.value, area),))


async def _start(
    conn: AsyncConnection,
    at: datetime,
    access: Access,
    manager: Volunteer,
    event_id: int,
    *,
    wanted: int = 1,
    minutes: int = 0,
    chat_id: int,
    message_id: int,
) -> surges.Started | str:
    """A surge started from the manager's chat, as its handler starts one."""
    return await surges.start(
        conn,
        at,
        access=access,
        manager=manager,
        event_id=event_id,
        wanted=wanted,
        minutes=minutes,
        chat_id=chat_id,
        message_id=message_id,
        settings=SETTINGS,
    )


async def test_a_surge_asks_the_best_people_now_and_answers_go_where_they_are_needed(
    each_engine: AsyncEngine,
) -> None:
    at = _at(9)
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        peckham = await _room(conn, "Peckham room", PECKHAM, "Peckham", 4)
        brixton = await _room(conn, "Brixton room", BRIXTON, "Brixton", 3)
        (brixton_morning, _) = await events.shifts_of(conn, brixton)
        manager = await _person(conn, 1, PECKHAM)
        await polls.set_manager(conn, peckham, manager.id)

        async def pledged(n: int, km: float, parts: set[str]) -> Volunteer:
            person = await _person(conn, n, _near(km))
            await polling.pledge(
                conn, at, volunteer=person, election_id=election_id, parts=parts, zone=ZONE
            )
            return person

        near = await pledged(10, 0.3, {"morning"})
        free = await _person(conn, 11, _near(1.0))  # free on polling day, no pledge
        await conn.execute(
            insert(volunteer_availability).values(volunteer_id=free.id, slot="polling")
        )
        flaky = await pledged(12, 0.2, {"morning", "afternoon", "evening"})
        steady = await pledged(13, 1.5, {"morning", "afternoon"})
        later_band = await pledged(14, 2.5, {"morning"})
        evening_only = await pledged(15, 0.4, {"evening"})
        checked_in = await pledged(16, 0.5, {"morning"})
        await _rsvp(conn, brixton_morning.id, checked_in, came=True)
        going_elsewhere = await pledged(17, 0.6, {"morning"})
        await _rsvp(conn, brixton_morning.id, going_elsewhere)
        await _person(conn, 18, _near(0.7))  # neither pledged nor free on polling day
        await pledged(19, 200.0, {"morning"})  # far beyond reach

        # Their record: flaky said going to a past shift and never came; steady came.
        past = await events.create_event(
            conn,
            EventDraft(
                kind="canvass",
                title="Last week",
                area="Peckham",
                address="SE15",
                latitude=PECKHAM[0],
                longitude=PECKHAM[1],
                shifts=(
                    ShiftDraft(_at(10, day=DAY - timedelta(7)), _at(12, day=DAY - timedelta(7)), 9),
                ),
            ),
            created_by=COORD,
            at=clock.now(),
        )
        (past_shift,) = await events.shifts_of(conn, past)
        await _rsvp(conn, past_shift.id, flaky, came=False)
        await _rsvp(conn, past_shift.id, steady, came=True)

        # An organiser of another area cannot surge Peckham; its manager can.
        other = await _person(conn, 2, BRIXTON)
        # (Brixton has no manager: its area's organisers may surge it.)
        theirs = await surges.rooms_for(
            conn, at, _manager_access(40_002, "Brixton"), other.id, ZONE
        )
        assert [r.event.id for r in theirs] == [brixton]
        refused = await _start(
            conn,
            at,
            _manager_access(40_002, "Brixton"),
            other,
            peckham,
            chat_id=40_002,
            message_id=5,
        )
        assert isinstance(refused, str)
        mine = _manager_access(40_001, "Peckham")
        assert [r.event.id for r in await surges.rooms_for(conn, at, mine, manager.id, ZONE)] == [
            peckham
        ]

        # One wanted now: a batch of three, the nearest band first and in it the most reliable.
        started = await _start(conn, at, mine, manager, peckham, chat_id=40_001, message_id=77)
        assert not isinstance(started, str)
        surge_id = started.surge.id
        assert await _asked(conn, surge_id) == {steady.id, near.id, free.id}
        assert started.count.asked == 3 and started.count.coming == 0
        assert "1 wanted now" in started.text
        sent = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.kind, outbox.c.payload)
                .where(outbox.c.kind.in_(["surge_ask", "surge_pin"]))
                .order_by(outbox.c.id)
            )
        ).all()
        assert [row.kind for row in sent] == ["surge_ask"] * 3 + ["surge_pin"] * 3
        assert all(row.payload["paid"] for row in sent)
        ask_text = next(r.payload["text"] for r in sent if r.chat_id == near.telegram_id)
        assert "Peckham room</b> urgently needs helpers" in ask_text
        assert "Can you come now?" in ask_text and "under 1 km from you" in ask_text
        assert sent[-1].payload["venue"]["title"] == "Peckham room"
        # Another surge for the same room waits for this one to end.
        again = await _start(conn, at, mine, manager, peckham, chat_id=40_001, message_id=78)
        assert again == surges.texts.SURGE_ALREADY

        # The first yes is confirmed: going to the morning shift, and it has filled.
        first = await surges.answer(
            conn,
            _at(9, 2),
            volunteer=near,
            ask_id=await _ask_id(conn, surge_id, near),
            yes=True,
            settings=SETTINGS,
        )
        assert first is not None and first.after is AfterYes.CONFIRM
        assert [status for _, status, _ in first.taken] == ["going"]
        surge = await found_surges.by_id(conn, surge_id)
        assert surge is not None and surge.status is SurgeStatus.FILLED
        # Answering twice changes nothing.
        assert (
            await surges.answer(
                conn,
                _at(9, 3),
                volunteer=near,
                ask_id=await _ask_id(conn, surge_id, near),
                yes=True,
                settings=SETTINGS,
            )
            is None
        )
        # Nor can someone answer another's ask.
        assert (
            await surges.answer(
                conn,
                _at(9, 3),
                volunteer=free,
                ask_id=await _ask_id(conn, surge_id, near),
                yes=False,
                settings=SETTINGS,
            )
            is None
        )
        # A later yes goes to Brixton, still short of its 3, with how far it is.
        late = await surges.answer(
            conn,
            _at(9, 4),
            volunteer=steady,
            ask_id=await _ask_id(conn, surge_id, steady),
            yes=True,
            settings=SETTINGS,
        )
        assert late is not None and late.after is AfterYes.REDIRECT
        assert late.other is not None and late.other.id == brixton
        assert 3.8 < late.other_km < 4.2
        went = await surges.go_instead(
            conn,
            _at(9, 5),
            volunteer=steady,
            ask_id=await _ask_id(conn, surge_id, steady),
            settings=SETTINGS,
        )
        assert went is not None and went[0].id == brixton
        assert [status for _, status, _ in went[1]] == ["going"]
        cant = await surges.answer(
            conn,
            _at(9, 6),
            volunteer=free,
            ask_id=await _ask_id(conn, surge_id, free),
            yes=False,
            settings=SETTINGS,
        )
        assert cant is not None and cant.after is None
        # The manager's message is edited as answers come: the newest edit has the final count.
        edits = (
            (
                await conn.execute(
                    select(outbox.c.payload)
                    .where(outbox.c.kind == surges.SURGE_COUNT, outbox.c.chat_id == 40_001)
                    .order_by(outbox.c.id)
                )
            )
            .scalars()
            .all()
        )
        assert edits and all(p["edit_of"] == 77 for p in edits)
        assert "✅ 1 of 1 coming · ❌ 1 can't" in edits[-1]["text"]
        assert not edits[-1].get("reply_markup")  # filled: no Stop any more

        # Ten minutes on, a filled surge asks nobody else.
        assert not await surges.next_batch(conn, _at(9, 10), str(surge_id), SETTINGS)
        assert await _asked(conn, surge_id) == {steady.id, near.id, free.id}
        assert evening_only.id not in await _asked(conn, surge_id)

        # A coordinator surges Brixton for 3 in half an hour: everyone eligible is asked (there
        # are fewer than nine), never those checked in or going to a shift then.
        coordinator = Access(
            COORD, False, (Grant(1, COORD, "C", Role.COORDINATOR.value, "Brixton"),)
        )
        brix = await _start(
            conn,
            at,
            coordinator,
            manager,
            brixton,
            wanted=3,
            minutes=30,
            chat_id=40_001,
            message_id=90,
        )
        assert not isinstance(brix, str)
        assert await _asked(conn, brix.surge.id) == {free.id, flaky.id, later_band.id}
        # Ten minutes on, nobody is left: the surge says so, and those asked may still say yes.
        assert await surges.next_batch(conn, _at(9, 10), str(brix.surge.id), SETTINGS)
        surge = await found_surges.by_id(conn, brix.surge.id)
        assert surge is not None and surge.status is SurgeStatus.EXHAUSTED
        # The daily cap: free has been asked by two surges today, and a third passes them by
        # (as it does those going to a room's shift now, and those pledged for the evening).
        third = await _start(
            conn, _at(9, 30), mine, manager, peckham, wanted=5, chat_id=40_001, message_id=95
        )
        assert not isinstance(third, str)
        assert await _asked(conn, third.surge.id) == {flaky.id, later_band.id}


async def test_stop_ends_the_batches_and_thanks_later_yeses(each_engine: AsyncEngine) -> None:
    at = _at(9)
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        peckham = await _room(conn, "Peckham room", PECKHAM, "Peckham", 4)
        manager = await _person(conn, 1, PECKHAM)
        await polls.set_manager(conn, peckham, manager.id)
        people = []
        for n in range(8):
            person = await _person(conn, 10 + n, _near(0.1 * (n + 1)))
            await polling.pledge(
                conn,
                at,
                volunteer=person,
                election_id=election_id,
                parts={"morning", "afternoon", "evening"},
                zone=ZONE,
            )
            people.append(person)
        mine = _manager_access(40_001, "Peckham")
        started = await _start(
            conn, at, mine, manager, peckham, wanted=2, chat_id=40_001, message_id=77
        )
        assert not isinstance(started, str)
        surge_id = started.surge.id
        assert await _asked(conn, surge_id) == {p.id for p in people[:6]}
        # Nobody says yes: ten minutes on, the next batch asks the two left (not the same six).
        assert not await surges.next_batch(conn, _at(9, 9), str(surge_id), SETTINGS)
        assert await surges.next_batch(conn, _at(9, 10), str(surge_id), SETTINGS)
        assert await _asked(conn, surge_id) == {p.id for p in people}
        pending = await conn.scalar(
            select(func.count())
            .select_from(scheduled_work)
            .where(scheduled_work.c.kind == "surge", scheduled_work.c.status == "pending")
        )
        assert pending == 2
        # Someone else cannot stop it; its manager can.
        assert (
            await surges.stop(
                conn,
                at,
                access=_manager_access(40_002, "Brixton"),
                volunteer_id=people[0].id,
                surge_id=surge_id,
                zone=ZONE,
            )
            is None
        )
        stopped = await surges.stop(
            conn, _at(9, 11), access=mine, volunteer_id=manager.id, surge_id=surge_id, zone=ZONE
        )
        assert stopped is not None and "Stopped" in stopped[0] and not stopped[1]
        assert not await surges.next_batch(conn, _at(9, 20), str(surge_id), SETTINGS)
        late = await surges.answer(
            conn,
            _at(9, 21),
            volunteer=people[0],
            ask_id=await _ask_id(conn, surge_id, people[0]),
            yes=True,
            settings=SETTINGS,
        )
        assert late is not None and late.after is AfterYes.STOPPED
        assert not (
            await conn.execute(select(rsvps).where(rsvps.c.volunteer_id == people[0].id))
        ).first()

        # /mydata shows the surge that asked them; /forget erases it.
        data = await privacy.export(conn, at, people[0])
        assert [(row["room"], row["answer"]) for row in data["surge_asks"]] == [
            ("Peckham room", "late")
        ]
        await privacy.forget(conn, at, volunteer=people[0], admin_ids=frozenset(), zone=ZONE)
        assert people[0].id not in await _asked(conn, surge_id)


async def test_a_surge_helper_is_going_even_when_the_shift_has_no_places_left(
    each_engine: AsyncEngine,
) -> None:
    """The room's places are taken by two who have not come: the helper its manager calls in now
    is going, not put on a waitlist while being told to come."""
    at = _at(9)
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        peckham = await _room(conn, "Peckham room", PECKHAM, "Peckham", 4)
        (morning, _) = await events.shifts_of(conn, peckham)
        await conn.execute(update(shifts).where(shifts.c.id == morning.id).values(capacity=2))
        manager = await _person(conn, 1, PECKHAM)
        await polls.set_manager(conn, peckham, manager.id)
        for n in (20, 21):
            await _rsvp(conn, morning.id, await _person(conn, n, _near(5.0)))
        helper = await _person(conn, 10, _near(0.3))
        await polling.pledge(
            conn, at, volunteer=helper, election_id=election_id, parts={"morning"}, zone=ZONE
        )
        started = await _start(
            conn,
            at,
            _manager_access(40_001, "Peckham"),
            manager,
            peckham,
            chat_id=40_001,
            message_id=77,
        )
        assert not isinstance(started, str)
        answered = await surges.answer(
            conn,
            at,
            volunteer=helper,
            ask_id=await _ask_id(conn, started.surge.id, helper),
            yes=True,
            settings=SETTINGS,
        )
        assert answered is not None and answered.after is AfterYes.CONFIRM
        assert [status for _, status, _ in answered.taken] == ["going"]
        status = await conn.scalar(
            select(rsvps.c.status).where(
                rsvps.c.shift_id == morning.id, rsvps.c.volunteer_id == helper.id
            )
        )
        assert status == "going"
