"""Lifts without Telegram, on SQLite and PostgreSQL: what each answer stores and exactly what it
queues for whom, and that nothing about a person reaches the other before both agree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import lifts as sharing
from bot.services import privacy, retention
from bot.services import rsvps as answering
from bot.services.lifts import Reply, Said
from db import events, volunteers
from db.schema import lift_matches, lifts, outbox
from db.schema import volunteers as volunteers_table

ZONE = ZoneInfo("Europe/London")
# Places in south-east London, exact (shared locations).
PECKHAM = (51.4663, -0.0708)
NEAR_PECKHAM = (51.4738, -0.0715)  # under 1 km away
BROCKLEY = (51.4606, -0.0308)  # about 3 km away
CROYDON = (51.3762, -0.0982)  # about 10 km away


async def _person(
    engine: AsyncEngine,
    n: int,
    name: str,
    place: tuple[float, float] | None = None,
    *,
    username: str | None = None,
    postcode: str | None = None,
) -> Volunteer:
    async with engine.begin() as conn:
        await conn.execute(
            insert(volunteers_table).values(
                telegram_id=10_000 + n,
                username=username,
                name=name,
                postcode=postcode,
                latitude=place[0] if place else None,
                longitude=place[1] if place else None,
                location_source="shared" if place else None,
                status="active",
                editing=False,
                paused=False,
                created_at=clock.now(),
            )
        )
        person = await volunteers.by_telegram_id(conn, 10_000 + n)
    assert person is not None
    return person


async def _shift(engine: AsyncEngine, starts_in: timedelta = timedelta(days=3)) -> int:
    start = clock.now() + starts_in
    draft = EventDraft(
        kind="canvass",
        title="Doors",
        area="Peckham",
        address="Rye Lane Library",
        latitude=51.47,
        longitude=-0.07,
        shifts=(ShiftDraft(start, start + timedelta(hours=3), 20),),
    )
    async with engine.begin() as conn:
        event_id = await events.create_event(conn, draft, created_by=7_000, at=clock.now())
        (shift,) = await events.shifts_of(conn, event_id)
    return shift.id


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


async def _lift(engine: AsyncEngine, person: Volunteer, shift_id: int, code: str) -> Said:
    async with engine.begin() as conn:
        chosen = await sharing.choose(
            conn, clock.now(), volunteer=person, shift_id=shift_id, code=code, zone=ZONE
        )
    return chosen.said


async def _reply(
    engine: AsyncEngine, person: Volunteer, match_id: int, agree: bool
) -> sharing.Replied:
    async with engine.begin() as conn:
        return await sharing.reply(
            conn, clock.now(), volunteer=person, match_id=match_id, agree=agree, zone=ZONE
        )


async def _queued(engine: AsyncEngine) -> list[tuple[int, str, dict[str, Any]]]:
    """(chat, kind, payload) of every lift message queued since last asked, in order; then
    empties the outbox."""
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.chat_id, outbox.c.kind, outbox.c.payload).order_by(outbox.c.id)
            )
        ).all()
        await conn.execute(outbox.delete())
    return [(row.chat_id, row.kind, row.payload) for row in rows if row.kind.startswith("lift")]


async def _matches(engine: AsyncEngine) -> list[tuple[int, int, int, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(lift_matches).order_by(lift_matches.c.id))
        return [(row.id, row.driver_id, row.rider_id, row.status) for row in rows]


async def _going(engine: AsyncEngine, shift_id: int, *people: Volunteer) -> None:
    for person in people:
        await _answer(engine, person, shift_id, RsvpStatus.GOING)
    await _queued(engine)


async def test_both_agree_before_names_and_usernames_are_shared(each_engine: AsyncEngine) -> None:
    engine = each_engine
    dan = await _person(engine, 1, "Dan Driver", PECKHAM, username="dan_drives")
    rita = await _person(engine, 2, "Rita Rider", BROCKLEY, username="rita_rides")
    shift_id = await _shift(engine)
    await _going(engine, shift_id, dan, rita)

    assert await _lift(engine, dan, shift_id, "2") == Said.NOTED
    assert await _queued(engine) == []  # nobody to suggest yet
    assert await _lift(engine, dan, shift_id, "2") == Said.UNCHANGED
    assert await _lift(engine, rita, shift_id, "need") == Said.NOTED
    (to_rita, to_dan) = await _queued(engine)
    ((match_id, *_),) = await _matches(engine)
    assert to_rita[:2] == (rita.telegram_id, "lift_suggestion")
    assert to_rita[2]["text"].startswith("🚗 Dan (about 3 km from you) could give you a lift")
    assert to_rita[2]["about"] == dan.id  # cleared if Dan is erased before it goes
    assert to_dan[:2] == (dan.telegram_id, "lift_suggestion")
    assert to_dan[2]["text"].startswith("🚗 Rita (about 3 km from you) needs a lift")
    for _chat, _kind, payload in (to_rita, to_dan):
        assert "Driver" not in payload["text"] and "Rider" not in payload["text"]
        assert "@" not in payload["text"]
        assert payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == (
            f"lr:y.{match_id}"
        )

    said = await _reply(engine, rita, match_id, True)
    assert said.said is Reply.WAITING and "rita_rides" not in said.text
    assert await _queued(engine) == []  # Dan hears nothing of her yet
    assert (await _reply(engine, rita, match_id, True)).said is Reply.WAITING  # twice: once
    said = await _reply(engine, dan, match_id, True)
    assert said.said is Reply.BOTH
    assert "Rita is @rita_rides on Telegram" in said.text
    ((chat, kind, payload),) = await _queued(engine)
    assert (chat, kind) == (rita.telegram_id, "lift_agreed")
    assert "Dan is @dan_drives on Telegram" in payload["text"]
    assert (await _matches(engine))[0][3] == "agreed"
    # Agreed: the buttons no longer do anything.
    assert (await _reply(engine, rita, match_id, False)).said is Reply.LAPSED
    outsider = await _person(engine, 3, "Olly", PECKHAM)
    assert (await _reply(engine, outsider, match_id, True)).said is Reply.LAPSED


async def test_no_thanks_rules_the_pair_out_and_tries_the_next_driver(
    each_engine: AsyncEngine,
) -> None:
    engine = each_engine
    near = await _person(engine, 1, "Nina", NEAR_PECKHAM)
    far = await _person(engine, 2, "Fred", BROCKLEY)
    rider = await _person(engine, 3, "Rosa", PECKHAM)
    shift_id = await _shift(engine)
    await _going(engine, shift_id, near, far, rider)
    await _lift(engine, far, shift_id, "1")
    await _lift(engine, near, shift_id, "1")
    await _lift(engine, rider, shift_id, "need")
    await _queued(engine)
    ((first, driver, _rider, _status),) = await _matches(engine)
    assert driver == near.id  # the nearest first

    said = await _reply(engine, rider, first, False)
    assert said.said is Reply.DECLINED
    queued = await _queued(engine)
    # Nina never agreed and her card was not delivered: nothing to her; both new ones go out.
    assert [(chat, kind) for chat, kind, _ in queued] == [
        (rider.telegram_id, "lift_suggestion"),
        (far.telegram_id, "lift_suggestion"),
    ]
    assert queued[0][2]["text"].startswith("🚗 Fred (about 3 km from you)")
    (_declined, (_second, driver, _r, status)) = await _matches(engine)
    assert (driver, status) == (far.id, "suggested")

    # Fred drops out: Rosa is not offered Nina again, who she turned down.
    await _answer(engine, far, shift_id, RsvpStatus.CANT)
    assert [m[3] for m in await _matches(engine)] == ["declined"]
    assert await _queued(engine) == []
    assert await _lift(engine, near, shift_id, "3") == Said.NOTED
    assert [m[3] for m in await _matches(engine)] == ["declined"]


async def test_dropping_out_releases_the_match_and_tells_the_other(
    each_engine: AsyncEngine,
) -> None:
    engine = each_engine
    dan = await _person(engine, 1, "Dan", PECKHAM)
    rita = await _person(engine, 2, "Rita", BROCKLEY)
    ray = await _person(engine, 3, "Ray", NEAR_PECKHAM)
    shift_id = await _shift(engine)
    await _going(engine, shift_id, dan, rita, ray)
    await _lift(engine, dan, shift_id, "1")
    await _lift(engine, rita, shift_id, "need")
    await _lift(engine, ray, shift_id, "need")  # waits: Dan's one seat is Rita's
    ((match_id, *_),) = await _matches(engine)
    await _reply(engine, rita, match_id, True)
    await _reply(engine, dan, match_id, True)
    await _queued(engine)

    await _answer(engine, rita, shift_id, RsvpStatus.CANT)
    queued = await _queued(engine)
    assert [(chat, kind) for chat, kind, _ in queued] == [
        (dan.telegram_id, "lift_off"),
        # The seat is free again: Ray, who was waiting, is offered it.
        (ray.telegram_id, "lift_suggestion"),
        (dan.telegram_id, "lift_suggestion"),
    ]
    assert queued[0][2]["text"].startswith("🚗 Sorry: Rita can't share the lift to Doors")
    assert queued[0][2]["text"].endswith("Your seat is free again.")
    assert [(d, r, s) for _id, d, r, s in await _matches(engine)] == [(dan.id, ray.id, "suggested")]
    async with engine.connect() as conn:
        kept = (await conn.execute(select(lifts.c.volunteer_id))).scalars().all()
    assert sorted(kept) == sorted([dan.id, ray.id])

    # Dan needs a lift himself now: his match goes (Ray had agreed, so he is told).
    ((second, *_),) = await _matches(engine)
    await _reply(engine, ray, second, True)
    await _lift(engine, dan, shift_id, "need")
    (off,) = await _queued(engine)
    assert off[:2] == (ray.telegram_id, "lift_off")
    assert off[2]["text"].endswith("I'll look for another driver near you.")


async def test_forgetting_tells_the_other_without_a_name_and_erases_every_lift(
    each_engine: AsyncEngine,
) -> None:
    engine = each_engine
    dan = await _person(engine, 1, "Dan", PECKHAM, username="dan_drives")
    rita = await _person(engine, 2, "Rita", BROCKLEY)
    shift_id = await _shift(engine)
    await _going(engine, shift_id, dan, rita)
    await _lift(engine, dan, shift_id, "2")
    await _lift(engine, rita, shift_id, "need")
    ((match_id, *_),) = await _matches(engine)
    await _reply(engine, rita, match_id, True)
    await _queued(engine)

    async with engine.connect() as conn:
        mine = await privacy.export(conn, clock.now(), dan)
    assert [(row["role"], row["seats"], row["title"]) for row in mine["lifts"]] == [
        ("driver", 2, "Doors")
    ]
    assert [(row["you_were"], row["status"]) for row in mine["lift_matches"]] == [
        ("driver", "suggested")
    ]
    assert "Rita" not in str(mine)  # the other person is not his data

    async with engine.begin() as conn:
        await privacy.forget(conn, clock.now(), volunteer=dan, admin_ids=frozenset(), zone=ZONE)
    ((chat, kind, payload),) = await _queued(engine)
    assert (chat, kind) == (rita.telegram_id, "lift_off")
    assert payload["text"].startswith("🚗 Sorry: The person you were sharing a lift with")
    assert "Dan" not in payload["text"]
    assert await _matches(engine) == []
    async with engine.connect() as conn:
        left = (await conn.execute(select(lifts.c.volunteer_id))).scalars().all()
    assert left == [rita.id]


async def test_only_those_going_to_an_open_shift_answer(each_engine: AsyncEngine) -> None:
    engine = each_engine
    dan = await _person(engine, 1, "Dan", PECKHAM)
    shift_id = await _shift(engine, starts_in=timedelta(hours=2))
    assert await _lift(engine, dan, shift_id, "2") == Said.NOT_GOING
    await _answer(engine, dan, shift_id, RsvpStatus.MAYBE)
    assert await _lift(engine, dan, shift_id, "2") == Said.NOT_GOING
    await _answer(engine, dan, shift_id, RsvpStatus.GOING)
    assert await _lift(engine, dan, shift_id, "2") == Said.NOTED
    clock.set_time(clock.now() + timedelta(hours=3))  # it has started
    assert await _lift(engine, dan, shift_id, "need") == Said.CLOSED
    async with engine.connect() as conn:
        assert await sharing.question(conn, clock.now(), volunteer=dan, shift_id=shift_id) is None


async def test_far_apart_or_off_the_map_are_not_paired(each_engine: AsyncEngine) -> None:
    engine = each_engine
    far = await _person(engine, 1, "Fay", CROYDON)
    nowhere = await _person(engine, 2, "Nell", None, postcode="BT1 1AA")
    rider = await _person(engine, 3, "Rob", PECKHAM)
    neighbour = await _person(engine, 4, "Nia", None, postcode="BT1 2BB")
    shift_id = await _shift(engine)
    await _going(engine, shift_id, far, nowhere, rider, neighbour)
    await _lift(engine, far, shift_id, "4")
    await _lift(engine, nowhere, shift_id, "4")
    await _lift(engine, rider, shift_id, "need")
    assert await _matches(engine) == []  # Croydon is too far; Belfast is off the map
    await _lift(engine, neighbour, shift_id, "need")
    ((_id, driver, who, _status),) = await _matches(engine)
    assert (driver, who) == (nowhere.id, neighbour.id)  # the same postcode district
    to_neighbour = next(p for chat, _k, p in await _queued(engine) if chat == neighbour.telegram_id)
    assert to_neighbour["text"].startswith("🚗 Nell (near you) could give you a lift")


async def test_lifts_go_a_day_after_their_shift(each_engine: AsyncEngine) -> None:
    engine = each_engine
    dan = await _person(engine, 1, "Dan", PECKHAM)
    rita = await _person(engine, 2, "Rita", BROCKLEY)
    shift_id = await _shift(engine)
    await _going(engine, shift_id, dan, rita)
    await _lift(engine, dan, shift_id, "2")
    await _lift(engine, rita, shift_id, "need")

    async def sweep(days: float) -> tuple[int, int]:
        async with engine.begin() as conn:
            await retention.sweep(
                conn,
                clock.now() + timedelta(days=days),
                months=24,
                admin_ids=frozenset(),
                zone=ZONE,
            )
            return (
                len((await conn.execute(select(lifts))).all()),
                len((await conn.execute(select(lift_matches))).all()),
            )

    assert await sweep(4) == (2, 1)  # the shift (in 3 days) ended hours ago
    assert await sweep(4.5) == (0, 0)


async def test_an_erased_drivers_name_is_not_repeated_on_the_riders_card(
    each_engine: AsyncEngine,
) -> None:
    engine = each_engine
    dan = await _person(engine, 1, "Dan", PECKHAM)
    rita = await _person(engine, 2, "Rita", BROCKLEY)
    shift_id = await _shift(engine)
    await _going(engine, shift_id, dan, rita)
    await _lift(engine, dan, shift_id, "2")
    await _lift(engine, rita, shift_id, "need")
    async with engine.begin() as conn:  # her suggestion was delivered, as message 77
        await conn.execute(
            outbox.update()
            .where(outbox.c.chat_id == rita.telegram_id, outbox.c.kind == "lift_suggestion")
            .values(status="sent", message_id=77)
        )
        await conn.execute(outbox.delete().where(outbox.c.chat_id == dan.telegram_id))

    async with engine.begin() as conn:
        await privacy.forget(conn, clock.now(), volunteer=dan, admin_ids=frozenset(), zone=ZONE)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).all()
    # Her delivered card (about Dan) keeps no text; its edit says the lift is off, nameless.
    (delivered, edit) = [row for row in rows if row.chat_id == rita.telegram_id]
    assert delivered.payload == {}
    assert edit.kind == "card_edit" and edit.payload["edit_of"] == 77
    assert "Dan" not in edit.payload["text"]
    assert "This one didn't work out, sorry." in edit.payload["text"]
    assert await _matches(engine) == []
