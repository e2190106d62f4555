"""The live polling-day board end to end through the fake Bot API: a room's manager opens it in
a private chat and sees it edited as helpers check in and go out on rounds and come back (a
restart in between), nothing sent when nothing changed, then Stop; in a committee room's group
it is posted and kept there with figures only, until the bot is removed from the group; a
deleted board stops; and
volunteers and organisers of other areas are refused, in private and in the group (where every
other command still points to a private chat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.settings import Settings
from db import polling
from db import volunteers as volunteer_rows
from db.schema import boards, rounds, rsvps, shifts, volunteers
from tests.conftest import start_application, stop_application
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import new_event, outbox_drained, run_scheduler
from tests.test_polling import ROOM, _people, _set_up_election

NINE = datetime(2027, 5, 6, 8, 0, tzinfo=UTC)  # 09:00 BST on polling day
GROUP = -100_777


async def _polling_day(people: dict[str, FakeUser], engine: AsyncEngine) -> dict[str, int]:
    """Cora's election, Olly's committee room (a morning and an afternoon shift, 8 helpers
    each) with Olly as its manager; Vera, Will and Xan going in the morning, Yas in the
    afternoon. Returns each one's RSVP id for the room."""
    await _set_up_election(people["cora"])
    await new_event(
        people["olly"],
        kind="Polling-day committee room",
        title=ROOM,
        area="Peckham",
        address="Rye Lane Library, SE15 4QR",
        day="6/5/2027",
        shifts=("07:00-12:00 8", "12:00-17:00 8"),
    )
    answers = {}
    async with engine.begin() as conn:
        olly = await volunteer_rows.by_telegram_id(conn, people["olly"].id)
        assert olly is not None
        morning, afternoon = (await conn.execute(select(shifts).order_by(shifts.c.id))).all()
        await polling.set_manager(conn, morning.event_id, olly.id)
        for name in ("vera", "will", "xan", "yas"):
            person = await volunteer_rows.by_telegram_id(conn, people[name].id)
            assert person is not None
            answers[name] = (
                await conn.execute(
                    insert(rsvps)
                    .values(
                        shift_id=afternoon.id if name == "yas" else morning.id,
                        volunteer_id=person.id,
                        status="going",
                        responded_at=clock.now(),
                    )
                    .returning(rsvps.c.id)
                )
            ).scalar_one()
    return answers


async def _later(app: Application, engine: AsyncEngine, minutes: int = 2) -> None:
    clock.set_time(clock.now() + timedelta(minutes=minutes))
    await run_scheduler(app, engine)


def _shown(user: FakeUser, message_id: int) -> str:
    found = user.chat.bot_message(message_id)
    assert found is not None
    return found.text or ""


async def test_a_managers_board_in_a_private_chat_edited_as_people_arrive(
    fake: FakeTelegram, engine: AsyncEngine, settings: Settings, deep_links: list[DeepLinkHandler]
) -> None:
    app = await start_application(fake, settings, engine, deep_links)
    try:
        people = await _people(fake, engine)
        olly, lou, vera, will = people["olly"], people["lou"], people["vera"], people["will"]
        answers = await _polling_day(people, engine)
        clock.set_time(NINE)

        # A volunteer and an organiser of another area have no board.
        await vera.send("/board")
        assert vera.last.text == texts.not_allowed("organiser")
        await lou.send("/board")
        assert lou.last.text == texts.BOARD_NONE

        await olly.send("/board")
        board = olly.last
        assert board.buttons == [texts.BOARD_STOP]
        assert (board.text or "").startswith("📋 Board: Peckham by-election")
        assert "⚠️ Peckham committee room: 8 short" in (board.text or "")
        assert "In 0 of 8 · out on rounds 0 · back 0 · not arrived 3" in (board.text or "")
        assert "Next shift 12:00: 1 expected · doors 0" in (board.text or "")
        assert "Last change 09:00, checked every 2 min" in (board.text or "")

        # Vera and Will arrive: the same message says so at the next turn.
        await vera.send("/here")
        await will.send("/here")
        assert will.last.text == texts.ROOM_CHECKED_IN
        await _later(app, engine)
        text = _shown(olly, board.message_id)
        assert "⚠️ Peckham committee room: 6 short" in text
        assert "In 2 of 8 · out on rounds 0 · back 0 · not arrived 1" in text
        assert "Last change 09:02" in text

        # Vera goes out on a round (the rounds table the round buttons fill).
        async with engine.begin() as conn:
            await conn.execute(insert(rounds).values(rsvp_id=answers["vera"], out_at=clock.now()))
        await _later(app, engine)
        assert "out on rounds 1 · back 0" in _shown(olly, board.message_id)

        # Nothing changes: nothing is sent.
        edits = len(fake.calls("editMessageText"))
        await _later(app, engine)
        assert len(fake.calls("editMessageText")) == edits

        # The bot restarts; the board carries on. Vera comes back with 25 doors.
        await stop_application(app)
        app = await start_application(fake, settings, engine, deep_links)
        async with engine.begin() as conn:
            await conn.execute(
                update(rounds)
                .where(rounds.c.rsvp_id == answers["vera"])
                .values(back_at=clock.now(), doors=25)
            )
            await conn.execute(update(rsvps).where(rsvps.c.id == answers["vera"]).values(doors=25))
        await _later(app, engine)
        text = _shown(olly, board.message_id)
        assert "In 2 of 8 · out on rounds 0 · back 1 · not arrived 1" in text
        assert "doors 25" in text
        assert len(olly.messages) == len(
            [m for m in olly.messages if m.message_id <= board.message_id]
        )

        # Stop (typed, as the button says): the board stays as it stands, without its button,
        # and is no longer edited.
        await olly.send("stop")
        stopped = olly.chat.bot_message(board.message_id)
        assert stopped is not None and stopped.buttons == []
        assert "Stopped at 09:08" in (stopped.text or "")
        async with engine.connect() as conn:
            assert (await conn.execute(select(boards.c.ended))).scalars().all() == ["stop"]
        await people["xan"].send("/here")
        edits = len(fake.calls("editMessageText"))
        await _later(app, engine)
        assert len(fake.calls("editMessageText")) == edits
    finally:
        await stop_application(app)


async def test_a_board_in_a_rooms_group_with_figures_only(
    fake: FakeTelegram, app: Application, engine: AsyncEngine
) -> None:
    people = await _people(fake, engine)
    olly, lou, vera, will = people["olly"], people["lou"], people["vera"], people["will"]
    await _polling_day(people, engine)
    async with engine.begin() as conn:
        await conn.execute(
            update(volunteers).where(volunteers.c.telegram_id == vera.id).values(name="Vera Quinn")
        )
    clock.set_time(NINE)
    group = fake.group(GROUP, title="Peckham committee room")

    # Anyone else who tries is refused kindly, and told nothing; other commands still point to
    # a private chat.
    for refused in (vera, lou):
        await group.send(refused, "/board")
        assert group.last.text == texts.BOARD_GROUP_REFUSED
    await group.send(olly, "/myshifts")
    assert group.last.text == texts.GROUP_ONLY_PRIVATE

    await group.send(olly, "/board")
    board = group.last
    assert "In 0 of 8 · out on rounds 0 · back 0 · not arrived 3" in (board.text or "")
    assert board.buttons == [texts.BOARD_STOP]
    posted = len(group.messages)

    await vera.send("/here")
    await will.send("/here")
    await _later(app, engine)
    text = group.bot_message(board.message_id).text or ""  # type: ignore[union-attr]
    assert "In 2 of 8 · out on rounds 0 · back 0 · not arrived 1" in text
    for name in ("Vera", "Quinn", "Will", "Xan", "Yas", "Olly"):
        assert name not in text
    assert len(group.messages) == posted  # edited, not posted again

    # A volunteer in the group cannot stop it.
    await group.press(vera, texts.BOARD_STOP)
    assert fake.calls("answerCallbackQuery")[-1]["text"] == texts.BOARD_NOT_YOURS
    assert group.bot_message(board.message_id).buttons == [texts.BOARD_STOP]  # type: ignore[union-attr]

    # The bot is removed from the group: its next edit is refused, and the board stops.
    fake.block(GROUP)
    await people["xan"].send("/here")
    await _later(app, engine)
    await _later(app, engine)
    async with engine.connect() as conn:
        (ended,) = (await conn.execute(select(boards.c.ended))).scalars().all()
        assert ended == "gone"
        # A group that is gone is nobody's chat: Olly is still reachable.
        unreachable = await conn.scalar(
            select(volunteers.c.unreachable_at).where(volunteers.c.telegram_id == olly.id)
        )
        assert unreachable is None
    calls = len(fake.calls("editMessageText"))
    await _later(app, engine)
    await outbox_drained(engine)
    assert len(fake.calls("editMessageText")) == calls


async def test_a_board_whose_message_was_deleted_stops(
    fake: FakeTelegram, app: Application, engine: AsyncEngine
) -> None:
    people = await _people(fake, engine)
    olly = people["olly"]
    await _polling_day(people, engine)
    clock.set_time(NINE)
    await olly.send("/board")
    board = olly.last
    # Olly deletes the board; Telegram refuses the next edit, and the board stops.
    board.deleted = True
    await people["vera"].send("/here")
    await _later(app, engine)
    async with engine.connect() as conn:
        assert (await conn.execute(select(boards.c.ended))).scalars().all() == [None]
    await _later(app, engine)
    async with engine.connect() as conn:
        assert (await conn.execute(select(boards.c.ended))).scalars().all() == ["gone"]
    await people["will"].send("/here")
    calls = len(fake.calls("editMessageText"))
    await _later(app, engine)
    assert len(fake.calls("editMessageText")) == calls
