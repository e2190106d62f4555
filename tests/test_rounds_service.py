"""Knock-up rounds without Telegram, on a real database (SQLite, and PostgreSQL when
TEST_POSTGRES_URL is set): what a check-in offers, going out and coming back, each round's doors
added to the shift's and the volunteer's totals, the end-of-shift debrief at a committee room,
and rounds in /mydata and gone on /forget."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock, texts
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.planning import Kind
from bot.domain.rounds import Refused, Tally
from bot.domain.statuses import OutboxStatus, RsvpStatus, WorkStatus
from bot.domain.volunteers import Volunteer
from bot.services import dayof, privacy, rounds
from bot.services import work as due_work
from bot.services.dayof import CheckInAction, Said
from bot.settings import Settings
from db import attendance, events, rsvps, volunteers
from db import rounds as stored
from db.schema import outbox, shift_totals, volunteer_totals
from db.schema import rounds as rounds_table
from db.schema import rsvps as rsvps_table
from db.schema import volunteers as volunteers_table
from db.work import Work
from tests.conftest import ADMIN_ID

ZONE = ZoneInfo("Europe/London")
SETTINGS = Settings(
    _env_file=None,  # type: ignore[call-arg]
    bot_token=SecretStr("1:test"),
    admin_ids=frozenset({ADMIN_ID}),
)


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


async def _shift(conn: AsyncConnection, kind: str = "committee_room") -> int:
    """A three-hour session starting in ten minutes (check-in is open)."""
    start = clock.now() + timedelta(minutes=10)
    draft = EventDraft(
        kind=kind,
        title="Peckham committee room",
        area="Peckham",
        address="12 Rye Lane",
        shifts=(ShiftDraft(start, start + timedelta(hours=3), 20),),
    )
    event_id = await events.create_event(conn, draft, created_by=ADMIN_ID, at=clock.now())
    (shift,) = await events.shifts_of(conn, event_id)
    return shift.id


async def _checked_in(conn: AsyncConnection, shift_id: int, person: Volunteer) -> None:
    await rsvps.respond(
        conn, shift_id=shift_id, volunteer_id=person.id, answer=RsvpStatus.GOING, at=clock.now()
    )
    said = await dayof.check_in_button(
        conn,
        clock.now(),
        volunteer=person,
        shift_id=shift_id,
        action=CheckInAction.HERE,
        zone=ZONE,
    )
    assert said == Said.CHECKED_IN


async def _doors(conn: AsyncConnection, shift_id: int, person: Volunteer) -> dict[str, Any]:
    """The doors of their answer, the shift's and the volunteer's totals."""
    return {
        "rsvp": await conn.scalar(
            select(rsvps_table.c.doors).where(
                rsvps_table.c.shift_id == shift_id, rsvps_table.c.volunteer_id == person.id
            )
        ),
        "shift": await conn.scalar(
            select(shift_totals.c.doors).where(shift_totals.c.shift_id == shift_id)
        ),
        "volunteer": await conn.scalar(
            select(volunteer_totals.c.doors).where(volunteer_totals.c.volunteer_id == person.id)
        ),
    }


async def _round_trip(
    conn: AsyncConnection, at: datetime, person: Volunteer, shift_id: int, doors: int
) -> rounds.Noted:
    went = await rounds.go_out(conn, at, volunteer=person, shift_id=shift_id)
    assert went.refused is None
    back = await rounds.come_back(
        conn, at + timedelta(minutes=40), volunteer=person, shift_id=shift_id
    )
    assert back.refused is None
    return await rounds.say_doors(
        conn, at + timedelta(minutes=41), volunteer=person, round_id=back.round_id, doors=doors
    )


async def test_rounds_out_and_back_add_each_rounds_doors(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        shift_id = await _shift(conn)
        await _checked_in(conn, shift_id, amy)
    at = clock.now()
    async with each_engine.begin() as conn:
        offer = await rounds.offer(conn, at, volunteer=amy, shift_id=shift_id)
        assert offer == rounds.Offer(shift_id, out=False, so_far=Tally(0, 0))
        went = await rounds.go_out(conn, at, volunteer=amy, shift_id=shift_id)
        assert went == rounds.Went(None, 1)
    async with each_engine.begin() as conn:
        # Out: a second Out is refused, and /here (no shift named) offers Back.
        again = await rounds.go_out(conn, at, volunteer=amy, shift_id=shift_id)
        assert again.refused == Refused.ALREADY_OUT
        offer = await rounds.offer(conn, at, volunteer=amy, shift_id=None)
        assert offer is not None and offer.out
        (open_round,) = await stored.rounds_of(conn, shift_id=shift_id)
        assert open_round.out and open_round.doors is None
        # Doors for a round still out are refused.
        early = await rounds.say_doors(conn, at, volunteer=amy, round_id=open_round.id, doors=5)
        assert early.refused == Refused.STILL_OUT
    back_at = at + timedelta(minutes=45)
    async with each_engine.begin() as conn:
        back = await rounds.come_back(conn, back_at, volunteer=amy, shift_id=shift_id)
        assert back == rounds.CameBack(None, open_round.id)
        assert (await rounds.come_back(conn, back_at, volunteer=amy, shift_id=shift_id)).refused
        noted = await rounds.say_doors(
            conn, back_at, volunteer=amy, round_id=back.round_id, doors=30
        )
        assert noted == rounds.Noted(None, Tally(1, 30), shift_id, on=True)
        assert await _doors(conn, shift_id, amy) == {"rsvp": 30, "shift": 30, "volunteer": 30}
        # Said once: a second answer for the same round changes nothing.
        twice = await rounds.say_doors(
            conn, back_at, volunteer=amy, round_id=back.round_id, doors=99
        )
        assert twice.refused == Refused.ALREADY_SAID
    async with each_engine.begin() as conn:
        noted = await _round_trip(conn, back_at + timedelta(minutes=5), amy, shift_id, 57)
        assert noted.so_far == Tally(2, 87)
        assert await _doors(conn, shift_id, amy) == {"rsvp": 87, "shift": 87, "volunteer": 87}
        mine = await stored.rounds_of(conn, rsvp_id=open_round.rsvp_id)
        assert [(r.doors, r.out) for r in mine] == [(30, False), (57, False)]
        assert mine == await stored.rounds_of(conn, shift_id=shift_id)
        assert (await rounds.offer(conn, at, volunteer=amy, shift_id=shift_id)) == rounds.Offer(
            shift_id, out=False, so_far=Tally(2, 87)
        )


async def test_who_may_go_out_and_what_is_refused(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        ben = await _person(conn, "Ben", 10_002)
        room = await _shift(conn)
        canvass = await _shift(conn, kind="canvass")
        await _checked_in(conn, canvass, amy)
        # Ben said going to the room but has not checked in.
        await rsvps.respond(
            conn, shift_id=room, volunteer_id=ben.id, answer=RsvpStatus.GOING, at=clock.now()
        )
    at = clock.now()
    async with each_engine.begin() as conn:
        assert (await rounds.go_out(conn, at, volunteer=amy, shift_id=canvass)).refused == (
            Refused.NOT_A_ROOM
        )
        assert await rounds.offer(conn, at, volunteer=amy, shift_id=canvass) is None
        assert await rounds.offer(conn, at, volunteer=amy, shift_id=None) is None
        # Amy has no answer for the room at all; Ben has one but is not here.
        assert (await rounds.go_out(conn, at, volunteer=amy, shift_id=room)).refused == (
            Refused.NOT_HERE
        )
        assert (await rounds.go_out(conn, at, volunteer=ben, shift_id=room)).refused == (
            Refused.NOT_HERE
        )
        assert (await rounds.come_back(conn, at, volunteer=ben, shift_id=room)).refused == (
            Refused.NOT_OUT
        )
        assert await rounds.offer(conn, at, volunteer=ben, shift_id=room) is None
        await _checked_in(conn, room, ben)
        # After the session: no new round.
        ended = at + timedelta(hours=3, minutes=10)
        assert (await rounds.go_out(conn, ended, volunteer=ben, shift_id=room)).refused == (
            Refused.OVER
        )
        # Someone else's round, or none: the button has expired.
        went = await rounds.go_out(conn, at, volunteer=ben, shift_id=room)
        assert went.refused is None
        back = await rounds.come_back(conn, at, volunteer=ben, shift_id=room)
        stranger = await rounds.say_doors(conn, at, volunteer=amy, round_id=back.round_id, doors=10)
        assert stranger.refused == Refused.UNKNOWN
        missing = await rounds.say_doors(conn, at, volunteer=ben, round_id=9_999, doors=10)
        assert missing.refused == Refused.UNKNOWN
        too_many = await rounds.say_doors(
            conn, at, volunteer=ben, round_id=back.round_id, doors=5_000
        )
        assert too_many.refused == Refused.TOO_MANY
        assert await stored.rounds_of(conn, shift_id=canvass) == []
        assert (await _doors(conn, room, ben))["rsvp"] is None


async def test_a_cancelled_session_starts_no_round_but_one_out_comes_back(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        shift_id = await _shift(conn)
        await _checked_in(conn, shift_id, amy)
    at = clock.now()
    async with each_engine.begin() as conn:
        assert (await rounds.go_out(conn, at, volunteer=amy, shift_id=shift_id)).refused is None
        await events.cancel_shift(conn, shift_id, at=at)
    async with each_engine.begin() as conn:
        back = await rounds.come_back(conn, at, volunteer=amy, shift_id=shift_id)
        assert back.refused is None
        noted = await rounds.say_doors(conn, at, volunteer=amy, round_id=back.round_id, doors=12)
        # Counted, and not offered Out again.
        assert noted == rounds.Noted(None, Tally(1, 12), shift_id, on=False)
        assert (await rounds.go_out(conn, at, volunteer=amy, shift_id=shift_id)).refused == (
            Refused.OVER
        )


async def _debriefs(engine: AsyncEngine, shift_id: int, at: datetime) -> dict[int, tuple]:
    async with engine.begin() as conn:
        status = await due_work.run(
            conn,
            at,
            SETTINGS,
            Work(1, Kind.DEBRIEF, shift_id, None, "", at),
            bot_username="muster_bot",
        )
        assert status == WorkStatus.DONE
        rows = await conn.execute(
            select(outbox.c.chat_id, outbox.c.payload).where(
                outbox.c.kind == "debrief", outbox.c.status == OutboxStatus.PENDING
            )
        )
        return {
            row.chat_id: (
                row.payload["text"],
                [
                    button["text"]
                    for line in (row.payload.get("reply_markup") or {}).get("inline_keyboard", [])
                    for button in line
                ],
            )
            for row in rows
        }


async def test_the_debrief_at_a_committee_room_asks_doors_only_of_those_without_rounds(
    each_engine: AsyncEngine,
) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)  # two rounds, back
        ben = await _person(conn, "Ben", 10_002)  # still out when it ends
        cat = await _person(conn, "Cat", 10_003)  # no rounds
        shift_id = await _shift(conn)
        for person in (amy, ben, cat):
            await _checked_in(conn, shift_id, person)
    at = clock.now()
    async with each_engine.begin() as conn:
        await _round_trip(conn, at, amy, shift_id, 30)
        await _round_trip(conn, at + timedelta(hours=1), amy, shift_id, 57)
        await rounds.go_out(conn, at, volunteer=ben, shift_id=shift_id)
    ended = at + timedelta(hours=3, minutes=10)
    sent = await _debriefs(each_engine, shift_id, ended)
    async with each_engine.begin() as conn:
        event = (await events.shift_with_event(conn, shift_id) or (None, None))[1]
    assert event is not None
    assert sent[10_001] == (
        texts.room_debrief(event, Tally(2, 87)),
        [texts.ADD_NOTE, texts.NOTHING_TO_REPORT],
    )
    assert sent[10_002] == (texts.still_out_debrief(event), [texts.BACK_FROM_ROUND])
    assert sent[10_003][0] == texts.debrief_prompt(event)
    assert sent[10_003][1] == [str(n) if n != 100 else "100+" for n in texts.DOORS_BUTTONS]
    # Ben, still out, keeps his round open until he is back, and its doors count then.
    async with each_engine.begin() as conn:
        back = await rounds.come_back(conn, ended, volunteer=ben, shift_id=shift_id)
        noted = await rounds.say_doors(conn, ended, volunteer=ben, round_id=back.round_id, doors=20)
        assert noted == rounds.Noted(None, Tally(1, 20), shift_id, on=False)
        assert (await _doors(conn, shift_id, ben))["shift"] == 107
        # A number typed after the session is no debrief answer for a shift of rounds.
        assert await attendance.awaiting_doors(conn, ben.id, ended, timedelta(days=1)) is None


async def test_rounds_are_in_the_copy_and_go_on_forget(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        amy = await _person(conn, "Amy", 10_001)
        ben = await _person(conn, "Ben", 10_002)
        shift_id = await _shift(conn)
        await _checked_in(conn, shift_id, amy)
        await _checked_in(conn, shift_id, ben)
    at = clock.now()
    async with each_engine.begin() as conn:
        await _round_trip(conn, at, amy, shift_id, 30)
        await rounds.go_out(conn, at + timedelta(hours=1), volunteer=amy, shift_id=shift_id)
        await _round_trip(conn, at, ben, shift_id, 15)
    async with each_engine.begin() as conn:
        copy = await privacy.export(conn, at, amy)
    assert [(r["doors"], r["back_at"] is None) for r in copy["rounds"]] == [
        (30, False),
        (None, True),
    ]
    assert copy["rounds"][0]["out_at"] == at.isoformat()
    async with each_engine.begin() as conn:
        await privacy.forget(conn, at, volunteer=amy, admin_ids=frozenset(), zone=ZONE)
    async with each_engine.begin() as conn:
        left = await stored.rounds_of(conn, shift_id=shift_id)
        # Hers are gone, open one too; Ben's stay; her doors stay counted, anonymously.
        assert [(r.volunteer_id, r.doors) for r in left] == [(ben.id, 15)]
        assert await _doors(conn, shift_id, amy) == {"rsvp": 30, "shift": 45, "volunteer": 30}
        # An answer deleted takes its rounds with it (the foreign key cascades, both engines).
        await conn.execute(delete(rsvps_table).where(rsvps_table.c.volunteer_id == ben.id))
        assert (await conn.scalar(select(rounds_table.c.id))) is None
