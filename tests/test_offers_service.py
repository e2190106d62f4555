"""Room offers without Telegram, on SQLite and on PostgreSQL (when TEST_POSTGRES_URL is set):
which room a pledge is offered (the /nearest rule over the room's shifts in the parts pledged),
Another room down the chain until none is left, Yes as an RSVP, and offers that have lapsed or
are someone else's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import clock
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.permissions import Access, Grant, Role
from bot.domain.statuses import RsvpStatus
from bot.domain.volunteers import Volunteer
from bot.services import offers, polling, privacy
from db import events, volunteers
from db import polling as polls
from db.schema import outbox, room_offers, rsvps
from db.schema import volunteers as volunteers_table
from tests.flows import agreed_to_notice

ZONE = ZoneInfo("Europe/London")
DAY = date(2027, 5, 6)  # in summer time: 07:00 BST is 06:00 UTC
LATE = timedelta(hours=24)
HOME = (51.4700, -0.0650)
COORD = 7_100


def _at(hour: int) -> datetime:
    return datetime.combine(DAY, time(hour), ZONE).astimezone(UTC)


async def _room(
    conn: AsyncConnection,
    title: str,
    place: tuple[float, float],
    shifts: list[tuple[int, int, int]],
    *,
    target: int | None = None,
) -> int:
    event_id = await events.create_event(
        conn,
        EventDraft(
            kind="committee_room",
            title=title,
            area="Peckham",
            address=f"{title}, SE15",
            latitude=place[0],
            longitude=place[1],
            shifts=tuple(ShiftDraft(_at(a), _at(b), cap) for a, b, cap in shifts),
        ),
        created_by=COORD,
        at=clock.now(),
    )
    if target is not None:
        await events.update_event(conn, event_id, min_helpers=target)
    return event_id


async def _person(conn: AsyncConnection, n: int, place: tuple[float, float] | None) -> Volunteer:
    volunteer_id = (
        await conn.execute(
            insert(volunteers_table)
            .values(
                telegram_id=30_000 + n,
                name=f"Vol {n}",
                status="active",
                editing=False,
                paused=False,
                created_at=clock.now(),
                latitude=place[0] if place else None,
                longitude=place[1] if place else None,
                location_source="shared" if place else None,
            )
            .returning(volunteers_table.c.id)
        )
    ).scalar_one()
    await agreed_to_notice(conn, [volunteer_id])
    found = await volunteers.by_id(conn, volunteer_id)
    assert found is not None
    return found


async def _going(conn: AsyncConnection, event_id: int, people: int, first: int) -> None:
    (shift, *_) = await events.shifts_of(conn, event_id)
    for n in range(people):
        person = await _person(conn, first + n, None)
        await conn.execute(
            insert(rsvps).values(
                shift_id=shift.id, volunteer_id=person.id, status="going", responded_at=clock.now()
            )
        )


async def _offered_to(conn: AsyncConnection, person: Volunteer) -> tuple[int, str]:
    """The newest offer queued for someone: its id and text."""
    text = (
        await conn.execute(
            select(outbox.c.payload)
            .where(outbox.c.chat_id == person.telegram_id, outbox.c.kind == offers.ROOM_OFFER)
            .order_by(outbox.c.id.desc())
        )
    ).first()
    offer_id = await conn.scalar(
        select(room_offers.c.id)
        .where(room_offers.c.volunteer_id == person.id)
        .order_by(room_offers.c.id.desc())
    )
    assert text is not None and offer_id is not None
    return offer_id, text.payload["text"]


async def _election(conn: AsyncConnection) -> int:
    coordinator = Access(COORD, False, (Grant(1, COORD, "C", Role.COORDINATOR.value, "Peckham"),))
    saved = await polling.save_election(
        conn,
        clock.now(),
        coordinator,
        polling.ElectionFields("By-election", DAY, time(7), time(22), ("Peckham",)),
        election_id=None,
        zone=ZONE,
    )
    assert saved.election is not None
    return saved.election.id


async def test_a_pledge_is_offered_the_neediest_room_near_then_the_next_until_none_is_left(
    each_engine: AsyncEngine,
) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        # Next door, short of its 8 a shift, with an evening shift besides.
        peckham = await _room(
            conn, "Peckham room", (51.4693, -0.0692), [(7, 10, 10), (10, 13, 10), (18, 21, 10)],
            target=8,
        )
        camberwell = await _room(conn, "Camberwell room", (51.4740, -0.0930), [(7, 12, 6)])
        # Near, but it has the 2 a shift it wants: it drops below Camberwell.
        nunhead = await _room(conn, "Nunhead room", (51.4660, -0.0560), [(7, 10, 10)], target=2)
        await _going(conn, nunhead, 2, 100)
        full = await _room(conn, "Full room", (51.4701, -0.0651), [(7, 10, 1)])
        await _going(conn, full, 1, 110)
        await _room(conn, "Manchester room", (53.4808, -2.2426), [(7, 10, 10)])  # out of reach

        me = await _person(conn, 1, HOME)
        saved = await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts={"morning"}, zone=ZONE
        )
        assert saved[0] == "saved"
        first, text = await _offered_to(conn, me)
        assert "Peckham room</b> needs 16 more from 07:00: can you be there?" in text
        assert "Thu 6 May: 07:00-10:00, 10:00-13:00 · Peckham room, SE15 · under 1 km" in text

        chain = []
        offer_id = first
        while True:
            following = await offers.another(
                conn, at, volunteer=me, offer_id=offer_id, zone=ZONE
            )
            assert following is not None
            if following.offer is None:
                break
            offer_id = following.offer.id
            chain.append((following.offer.need.event.id, following.offer.need.still_wanted))
        # Never the same room twice; the full and the far rooms never.
        assert chain == [(camberwell, 6), (nunhead, 0)]
        rooms = await conn.scalars(
            select(room_offers.c.event_id).where(room_offers.c.volunteer_id == me.id)
        )
        assert sorted(rooms) == sorted([peckham, camberwell, nunhead])

        # Someone else's offer is not theirs to answer.
        other = await _person(conn, 2, HOME)
        assert await offers.accept(
            conn, at, volunteer=other, offer_id=first, zone=ZONE, late_cancel=LATE
        ) is None
        assert not await offers.stands(conn, other, first)
        assert await offers.stands(conn, me, first)

        # Yes to Peckham: going to its two morning shifts, as any RSVP, with its confirmations.
        accepted = await offers.accept(
            conn, at, volunteer=me, offer_id=first, zone=ZONE, late_cancel=LATE
        )
        assert accepted is not None and accepted.event.id == peckham
        assert [(s.starts_at, status) for s, status, _ in accepted.taken] == [
            (_at(7), RsvpStatus.GOING),
            (_at(10), RsvpStatus.GOING),
        ]
        mine = (
            await conn.execute(select(rsvps.c.status).where(rsvps.c.volunteer_id == me.id))
        ).scalars().all()
        assert mine == ["going", "going"]
        kinds = (
            await conn.execute(select(outbox.c.kind).where(outbox.c.chat_id == me.telegram_id))
        ).scalars().all()
        assert kinds.count("rsvp_calendar") == 2

        # Changing the pledge with a room already: no new offer.
        await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts={"morning", "evening"},
            zone=ZONE,
        )
        assert (await _offered_to(conn, me))[0] == offer_id


async def test_offers_lapse_with_a_new_chain_or_a_withdrawn_pledge_and_follow_the_parts(
    each_engine: AsyncEngine,
) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        await _room(conn, "Peckham room", (51.4693, -0.0692), [(7, 10, 10), (18, 21, 4)])
        me = await _person(conn, 1, HOME)
        await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts={"evening"}, zone=ZONE
        )
        old, text = await _offered_to(conn, me)
        assert "Peckham room</b> needs 4 more from 18:00" in text
        assert "07:00" not in text
        # A change of pledge starts a new chain: the old offer's buttons have lapsed.
        await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts={"morning"}, zone=ZONE
        )
        new, text = await _offered_to(conn, me)
        assert new != old and "needs 10 more from 07:00" in text
        assert await offers.accept(
            conn, at, volunteer=me, offer_id=old, zone=ZONE, late_cancel=LATE
        ) is None
        assert await offers.another(conn, at, volunteer=me, offer_id=old, zone=ZONE) is None
        # A change to a part no room works in offers nothing, and the last offer lapses too.
        queued = select(func.count()).where(outbox.c.kind == offers.ROOM_OFFER)
        before = await conn.scalar(queued)
        await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts={"afternoon"}, zone=ZONE
        )
        assert await conn.scalar(queued) == before
        assert not await offers.stands(conn, me, new)
        await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts={"morning"}, zone=ZONE
        )
        new, _ = await _offered_to(conn, me)
        assert await offers.stands(conn, me, new)
        # Withdrawing the pledge takes its offers with it.
        await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts=set(), zone=ZONE
        )
        assert not await offers.stands(conn, me, new)
        assert (await conn.execute(select(room_offers))).all() == []
        # Someone not on the map is offered nothing (the countdown lists the rooms instead).
        nowhere = await _person(conn, 2, None)
        await polling.pledge(
            conn, at, volunteer=nowhere, election_id=election_id, parts={"morning"}, zone=ZONE
        )
        kinds = await conn.scalars(
            select(outbox.c.kind).where(outbox.c.chat_id == nowhere.telegram_id)
        )
        assert list(kinds) == []


async def test_offers_in_mydata_and_gone_with_forget(each_engine: AsyncEngine) -> None:
    at = clock.now()
    async with each_engine.begin() as conn:
        election_id = await _election(conn)
        await _room(conn, "Peckham room", (51.4693, -0.0692), [(7, 10, 10)])
        me = await _person(conn, 1, HOME)
        await polling.pledge(
            conn, at, volunteer=me, election_id=election_id, parts={"morning"}, zone=ZONE
        )
        data = await privacy.export(conn, at, me)
        assert data["room_offers"] == [
            {"election": "By-election", "room": "Peckham room", "offered_at": at.isoformat()}
        ]
        await privacy.forget(conn, at, volunteer=me, admin_ids=frozenset(), zone=ZONE)
        assert (await conn.execute(select(room_offers))).all() == []
        # Others' go with their election's pledges, once it is past the retention period.
        other = await _person(conn, 2, HOME)
        await polling.pledge(
            conn, at, volunteer=other, election_id=election_id, parts={"morning"}, zone=ZONE
        )
        assert await polls.forget_pledges_before(conn, DAY) == 0
        assert len((await conn.execute(select(room_offers))).all()) == 1
        assert await polls.forget_pledges_before(conn, DAY + timedelta(days=1)) == 1
        assert (await conn.execute(select(room_offers))).all() == []
