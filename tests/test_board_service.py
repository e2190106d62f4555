"""The live board without Telegram, on SQLite and on PostgreSQL (when TEST_POSTGRES_URL is set):
who may open it, what it counts from check-ins and rounds, edits queued only when it changed and
not while the last is on its way, a deleted message stopping it, the close of polls, Stop, and
/mydata and /forget."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.domain.permissions import Access, Grant, Role
from bot.domain.planning import Kind
from bot.domain.sending import BOARD_EDIT
from bot.domain.statuses import WorkStatus
from bot.services import board, privacy
from db import events, polling, volunteers
from db.schema import boards, outbox, rounds, rsvps, scheduled_work
from tests.test_polling_service import OPENS_UTC, ZONE, _election, _room, _volunteer

EVERY = 2


def _organiser(telegram_id: int, area: str) -> Access:
    return Access(telegram_id, False, (Grant(1, telegram_id, "O", Role.ORGANISER.value, area),))


def _coordinator(telegram_id: int) -> Access:
    return Access(
        telegram_id, False, (Grant(1, telegram_id, "C", Role.COORDINATOR.value, "Peckham"),)
    )


async def _going(conn: AsyncConnection, shift_id: int, volunteer_id: int) -> int:
    return (
        await conn.execute(
            insert(rsvps)
            .values(
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                status="going",
                responded_at=clock.now(),
            )
            .returning(rsvps.c.id)
        )
    ).scalar_one()


async def _edits(conn: AsyncConnection) -> list[dict]:
    rows = await conn.execute(
        select(outbox.c.id, outbox.c.chat_id, outbox.c.payload, outbox.c.status)
        .where(outbox.c.kind == BOARD_EDIT)
        .order_by(outbox.c.id)
    )
    return [dict(row._mapping) for row in rows]


async def _refresh(conn: AsyncConnection, at: datetime) -> WorkStatus:
    detail = await conn.scalar(
        select(scheduled_work.c.detail)
        .where(scheduled_work.c.kind == Kind.BOARD.value, scheduled_work.c.status == "pending")
        .order_by(scheduled_work.c.id.desc())
        .limit(1)
    )
    assert detail is not None
    return await board.refresh(conn, at, detail, ZONE, every=EVERY)


async def test_a_managers_board_follows_check_ins_and_rounds(each_engine: AsyncEngine) -> None:
    at = OPENS_UTC + timedelta(hours=1)
    async with each_engine.begin() as conn:
        await _volunteer(conn, 0, None)  # a coordinator of Peckham
        manager = await _volunteer(conn, 1, None)
        await _volunteer(conn, 2, None)  # an organiser of Lewisham
        helpers = [await _volunteer(conn, n, None) for n in range(3, 6)]
        election_id = await _election(conn)
        room = await _room(conn)
        await _room(conn, title="Camberwell committee room")
        await polling.set_manager(conn, room, manager)
        (shift,) = await events.shifts_of(conn, room)
        answers = [await _going(conn, shift.id, h) for h in helpers]
        manager_access = _organiser(20_001, "Peckham")

        # Volunteers and organisers of other areas have no board; a manager has their room's.
        assert await board.open_board(conn, at, Access(20_003, False), ZONE, every=EVERY) is None
        assert (
            await board.open_board(conn, at, _organiser(20_002, "Lewisham"), ZONE, every=2) is None
        )
        coordinator = await board.open_board(conn, at, _coordinator(20_000), ZONE, every=EVERY)
        assert coordinator is not None and coordinator.scope.whole
        assert "Camberwell" in coordinator.text
        opened = await board.open_board(conn, at, manager_access, ZONE, every=EVERY)
        assert opened is not None and not opened.scope.whole
        assert opened.scope.election.id == election_id
        assert "Camberwell" not in opened.text
        assert "In 0 of 8 · out on rounds 0 · back 0 · not arrived 3" in opened.text
        board_id = await board.remember(
            conn, at, opened, chat_id=20_001, message_id=50, every=EVERY
        )

        # Nothing changed: no edit, but the next turn is planned.
        at += timedelta(minutes=EVERY)
        assert await _refresh(conn, at) == WorkStatus.DONE
        assert await _edits(conn) == []

        # Two check in, one goes out on a round: one edit, of the board's message, with Stop.
        await conn.execute(
            update(rsvps).where(rsvps.c.id.in_(answers[:2])).values(checked_in_at=at)
        )
        await conn.execute(insert(rounds).values(rsvp_id=answers[0], out_at=at))
        at += timedelta(minutes=EVERY)
        await _refresh(conn, at)
        (edit,) = await _edits(conn)
        assert edit["chat_id"] == 20_001 and edit["payload"]["edit_of"] == 50
        assert "In 2 of 8 · out on rounds 1 · back 0 · not arrived 1" in edit["payload"]["text"]
        assert edit["payload"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "⏹ Stop"

        # While that edit is still on its way, a change waits for the next turn.
        await conn.execute(
            update(rounds).where(rounds.c.rsvp_id == answers[0]).values(back_at=at, doors=40)
        )
        await conn.execute(update(rsvps).where(rsvps.c.id == answers[0]).values(doors=40))
        at += timedelta(minutes=EVERY)
        await _refresh(conn, at)
        assert len(await _edits(conn)) == 1
        await conn.execute(update(outbox).where(outbox.c.id == edit["id"]).values(status="sent"))
        at += timedelta(minutes=EVERY)
        await _refresh(conn, at)
        edits = await _edits(conn)
        assert len(edits) == 2
        assert "out on rounds 0 · back 1" in edits[1]["payload"]["text"]
        assert "doors 40" in edits[1]["payload"]["text"]

        # Telegram said the message is gone (deleted): the board stops, nothing more planned.
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == edits[1]["id"])
            .values(status="failed", last_error="BadRequest")
        )
        at += timedelta(minutes=EVERY)
        await _refresh(conn, at)
        stored = (await conn.execute(select(boards).where(boards.c.id == board_id))).one()
        assert (stored.stopped_at, stored.ended) == (at, "gone")
        pending = await conn.scalar(
            select(scheduled_work.c.id).where(
                scheduled_work.c.kind == Kind.BOARD.value, scheduled_work.c.status == "pending"
            )
        )
        assert pending is not None  # the turn planned before it stopped, which now skips
        assert await _refresh(conn, at + timedelta(minutes=EVERY)) == WorkStatus.SKIPPED


async def test_polls_closing_stop_and_privacy(each_engine: AsyncEngine) -> None:
    at = OPENS_UTC + timedelta(hours=14, minutes=58)  # 21:58 BST
    async with each_engine.begin() as conn:
        manager = await _volunteer(conn, 1, None)
        helper = await _volunteer(conn, 3, None)
        await _election(conn)
        room = await _room(conn)
        await polling.set_manager(conn, room, manager)
        access = _organiser(20_001, "Peckham")
        opened = await board.open_board(conn, at, access, ZONE, every=EVERY)
        assert opened is not None
        first = await board.remember(conn, at, opened, chat_id=-100_5, message_id=7, every=EVERY)
        # A second board in the same group takes over; the first says it moved.
        second = await board.remember(conn, at, opened, chat_id=-100_5, message_id=9, every=EVERY)
        (moved,) = await _edits(conn)
        assert moved["payload"]["edit_of"] == 7 and "moved" in moved["payload"]["text"]
        await conn.execute(update(outbox).values(status="sent"))

        # At the close of polls: the last edit, without Stop, and no more turns.
        await _refresh(conn, at + timedelta(minutes=EVERY))
        edits = await _edits(conn)
        assert edits[-1]["payload"]["edit_of"] == 9
        assert "Polls closed" in edits[-1]["payload"]["text"]
        assert edits[-1]["payload"]["reply_markup"] is None
        ended = dict((await conn.execute(select(boards.c.id, boards.c.ended))).all())
        assert ended == {first: "replaced", second: "closed"}

        # Stop: only whoever may see it; a stopped board says so, and an edit of it still
        # waiting to go is dropped (it would undo what Stop shows).
        third = await board.remember(conn, at, opened, chat_id=20_001, message_id=11, every=EVERY)
        await conn.execute(
            insert(rsvps).values(
                shift_id=(await events.shifts_of(conn, room))[0].id,
                volunteer_id=helper,
                status="going",
                responded_at=at,
                checked_in_at=at,
                doors=12,
            )
        )
        await board.refresh(conn, at, f"{third}@0", ZONE, every=EVERY)
        waiting = (await _edits(conn))[-1]
        assert waiting["status"] == "pending" and waiting["payload"]["edit_of"] == 11
        refused = await board.stop(
            conn, at, Access(20_003, False), chat_id=20_001, message_id=11, zone=ZONE, every=2
        )
        assert refused.result == "not_yours"
        done = await board.stop(
            conn, at, access, chat_id=20_001, message_id=11, zone=ZONE, every=EVERY
        )
        assert done.result == "stopped" and "Stopped at 21:58" in (done.text or "")
        assert (await _edits(conn))[-1]["status"] == "failed"
        again = await board.stop(
            conn, at, access, chat_id=20_001, message_id=11, zone=ZONE, every=EVERY
        )
        assert again.result == "already"

        person = await volunteers.by_id(conn, manager)
        assert person is not None
        exported = await privacy.export(conn, at, person)
        assert [b["chat_id"] for b in exported["boards"]] == [-100_5, -100_5, 20_001]
        await privacy.forget(conn, at, volunteer=person, admin_ids=frozenset(), zone=ZONE)
        assert (await conn.execute(select(boards.c.id))).all() == []

        # Opened after the close of polls: as it ends, without Stop, and never edited.
        late = await board.open_board(
            conn, at + timedelta(minutes=10), _organiser(20_003, "Peckham"), ZONE, every=EVERY
        )
        assert late is None  # Vol 3 manages nothing
        await polling.set_manager(conn, room, helper)
        late = await board.open_board(
            conn, at + timedelta(minutes=10), _organiser(20_003, "Peckham"), ZONE, every=EVERY
        )
        assert late is not None and not late.live and "Polls closed" in late.text
        assert third > second > first
