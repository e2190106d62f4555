"""Who a shift call reaches, counted and listed by the database: over a generated population
(shared pins and typed postcodes just inside and just outside every radius, postcodes off the map,
paused, blocked, half signed up, without consent, answered already, called before), the count
equals the list's length and the list is exactly what the rules say, for every filter and every
combination of them. On SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import itertools
import math
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.audience import DISTANCES_KM, EARTH_RADIUS_KM, Audience, Place, near
from bot.domain.events import EventDraft, ShiftDraft
from bot.domain.places import APPROXIMATE_ALLOWANCE_KM
from bot.services import calls
from db import engine as db_engine
from db import events
from db.schema import (
    callouts,
    consents,
    data_policy,
    outbox,
    rsvps,
    volunteer_activities,
    volunteer_availability,
    volunteers,
)

ZONE = ZoneInfo("Europe/London")
SAT_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday: the "sat" slot
MEETING = (51.4693, -0.0692)  # Rye Lane, Peckham
ADDRESS = "Rye Lane Library, SE15 4QR"
NOTICE = "2026-11"
OLGA = 7_000
# How far inside or outside a radius the people at its edge are.
EDGE_KM = 0.05


def _towards(km: float, bearing: float) -> tuple[float, float]:
    """The point ``km`` from the meeting point on ``bearing`` (radians), on the same sphere
    bot.domain.audience measures on."""
    lat1, lon1 = math.radians(MEETING[0]), math.radians(MEETING[1])
    angle = km / EARTH_RADIUS_KM
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    return math.degrees(lat2), math.degrees(lon2)


@dataclass
class Person:
    n: int
    latitude: float | None = None
    longitude: float | None = None
    postcode: str | None = None
    source: str | None = None
    status: str = "active"
    paused: bool = False
    unreachable: bool = False
    consented: bool = True
    slots: set[str] = field(default_factory=set)
    activities: set[str] = field(default_factory=set)
    came_to_area: bool = False
    answered_call: bool = False  # for the shift the call is for
    answered_event: bool = False  # for another shift of the event
    called_before: bool = False
    # At the edge of a radius: (the radius, inside it).
    edge: tuple[float, bool] | None = None

    @property
    def place(self) -> Place:
        return Place(self.latitude, self.longitude, self.postcode, self.source in APPROXIMATE)

    @property
    def callable(self) -> bool:
        return self.status == "active" and not (self.paused or self.unreachable) and self.consented


APPROXIMATE = {"sector", "district"}


def _population() -> list[Person]:
    spread = random.Random(10)
    people: list[Person] = []

    def add(**where: object) -> None:
        person = Person(len(people), **where)  # type: ignore[arg-type]
        person.status = "signing_up" if spread.random() < 0.04 else "active"
        person.paused = spread.random() < 0.05
        person.unreachable = spread.random() < 0.04
        person.consented = spread.random() > 0.05
        person.slots = set(spread.sample(["sat", "sun", "wkeve", "wkday"], spread.randint(0, 2)))
        person.activities = set(
            spread.sample(["doors", "phones", "driving", "anything"], spread.randint(0, 2))
        )
        person.came_to_area = spread.random() < 0.2
        person.answered_call = spread.random() < 0.05
        person.called_before = spread.random() < 0.3
        person.answered_event = person.called_before and spread.random() < 0.3
        people.append(person)

    for radius in DISTANCES_KM:
        for side in (-EDGE_KM, EDGE_KM):
            edge = (radius, side < 0)
            for _ in range(4):
                bearing = spread.uniform(0, 2 * math.pi)
                # A shared location just inside or outside the radius...
                add(**_pin(radius + side, bearing), source="shared", edge=edge)
                # ...and a typed postcode placed at its sector's centre, whose edge is further
                # out by the allowance.
                add(
                    **_pin(radius + APPROXIMATE_ALLOWANCE_KM + side, bearing),
                    source=spread.choice(["sector", "district"]),
                    postcode="SE15 4QR",
                    edge=edge,
                )
                # An exact postcode centre (an imported postcode file) counts as a shared one.
                add(
                    **_pin(radius + side, bearing),
                    source="postcode",
                    postcode="SE22 8AA",
                    edge=edge,
                )
    for _ in range(60):  # scattered all round
        bearing, km = spread.uniform(0, 2 * math.pi), spread.uniform(0, 40)
        add(**_pin(km, bearing), source=spread.choice(["shared", "sector"]), postcode="SE5 7HN")
    for postcode in ("SE15 9ZZ", "SE15 3AB", "BT1 5GS", "N1 9GU", None, None):  # off the map
        for _ in range(5):
            add(postcode=postcode)
    return people


def _pin(km: float, bearing: float) -> dict[str, float]:
    latitude, longitude = _towards(km, bearing)
    return {"latitude": latitude, "longitude": longitude}


@dataclass(frozen=True)
class World:
    people: list[Person]
    ids: list[int]  # volunteer id of each person
    pinned: int  # an event with a map pin
    by_postcode: int  # an event known only by the postcode in its address


async def _world(engine: AsyncEngine) -> World:
    people = _population()
    at = clock.now()
    past = at - timedelta(days=10)
    async with engine.begin() as conn:
        await conn.execute(insert(data_policy).values(id=1, notice_version=NOTICE))
        ids = list(
            (
                await conn.execute(
                    insert(volunteers).returning(volunteers.c.id),
                    [
                        {
                            "telegram_id": 50_000 + p.n,
                            "status": p.status,
                            "editing": False,
                            "paused": p.paused,
                            "unreachable_at": at if p.unreachable else None,
                            "created_at": at,
                            "latitude": p.latitude,
                            "longitude": p.longitude,
                            "postcode": p.postcode,
                            "location_source": p.source,
                        }
                        for p in people
                    ],
                )
            ).scalars()
        )
        ids.sort()
        await conn.execute(
            insert(consents),
            [
                {
                    "volunteer_id": ids[p.n],
                    "purpose": "volunteering",
                    # Not agreed: to an older notice, or said no to this one.
                    "notice_version": NOTICE if p.consented or p.n % 2 else "2025-01",
                    "choice": p.consented or p.n % 2 == 0,
                    "given_at": at,
                }
                for p in people
            ],
        )
        slots = [{"volunteer_id": ids[p.n], "slot": s} for p in people for s in p.slots]
        await conn.execute(insert(volunteer_availability), slots)
        liked = [{"volunteer_id": ids[p.n], "activity": a} for p in people for a in p.activities]
        await conn.execute(insert(volunteer_activities), liked)

        async def event(area: str, title: str, start: datetime, pin: bool) -> tuple[int, list[int]]:
            event_id = await events.create_event(
                conn,
                EventDraft(
                    kind="canvass",
                    title=title,
                    area=area,
                    address=ADDRESS,
                    latitude=MEETING[0] if pin else None,
                    longitude=MEETING[1] if pin else None,
                    shifts=(
                        ShiftDraft(start, start + timedelta(hours=3), 20),
                        ShiftDraft(start + timedelta(hours=4), start + timedelta(hours=7), 20),
                    ),
                ),
                created_by=OLGA,
                at=at,
            )
            return event_id, [s.id for s in await events.shifts_of(conn, event_id)]

        pinned, (first, second) = await event("Peckham", "Doors", SAT_10, True)
        by_postcode, _ = await event("Peckham", "Doors too", SAT_10, False)
        _, (here, _) = await event("peckham", "Old", past, True)  # areas match in any case
        _, (elsewhere, _) = await event("Lewisham", "Old there", past, True)
        answers = [(here if p.came_to_area else elsewhere, p, "going") for p in people]
        answers += [(first, p, "maybe") for p in people if p.answered_call]
        answers += [(second, p, "cant") for p in people if p.answered_event]
        await conn.execute(
            insert(rsvps),
            [
                {"shift_id": s, "volunteer_id": ids[p.n], "status": status, "responded_at": past}
                for s, p, status in answers
            ],
        )
        earlier = (
            await conn.execute(
                insert(callouts)
                .values(
                    event_id=pinned,
                    shift_ids=[first, second],
                    audience={},
                    created_at=past,
                    send_at=past,
                    status="done",
                )
                .returning(callouts.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(outbox),
            [
                {
                    "callout_id": earlier,
                    "volunteer_id": ids[p.n],
                    "chat_id": 50_000 + p.n,
                    "kind": "callout",
                    "payload": {},
                    # Only a call that got there counts as one they did not answer.
                    "status": "sent" if p.called_before else "failed",
                    "next_attempt_at": past,
                    "created_at": past,
                }
                for p in people
                if p.called_before or p.n % 7 == 0
            ],
        )
    return World(people, ids, pinned, by_postcode)


def _rule(person: Person, filters: Audience, meeting: Place, pinned: bool) -> bool:
    """Whom a call for the first shift of the pinned event (or of the postcode-only one, which
    nobody has answered or been called to) should reach, one person at a time."""
    slots, liked = {"sat"}, filters.activities | {"anything"}
    if not pinned:
        return person.callable and near(person.place, meeting, filters.within_km or 0)
    return (
        person.callable
        and not person.answered_call
        and (not filters.fits_availability or bool(person.slots & slots))
        and (not filters.activities or bool(person.activities & liked))
        and (not filters.came_to_area or person.came_to_area)
        and (not filters.not_answered_earlier or person.called_before)
        and (not filters.not_answered_earlier or not person.answered_event)
        and (filters.within_km is None or near(person.place, meeting, filters.within_km))
    )


EVERY_FILTER = [
    Audience(
        within_km=within,
        fits_availability=free,
        activities=frozenset(liked),
        came_to_area=came,
        not_answered_earlier=silent,
    )
    for within, free, liked, came, silent in itertools.product(
        (None, *DISTANCES_KM), (False, True), ((), ("doors",)), (False, True), (False, True)
    )
]


async def test_the_count_is_the_list_and_the_list_is_the_rules_for_every_filter(
    each_engine: AsyncEngine,
) -> None:
    world = await _world(each_engine)
    chosen = frozenset(world.ids[n] for n in range(0, len(world.people), 3))
    combinations = [
        (world.pinned, Place(*MEETING, ADDRESS), filters) for filters in EVERY_FILTER
    ] + [
        # Met at the postcode's sector centre: approximate, so its allowance widens every radius.
        (world.by_postcode, Place(51.4663, -0.0708, ADDRESS, approximate=True), filters)
        for filters in (Audience(within_km=within) for within in DISTANCES_KM)
    ]
    combinations.append(
        (world.pinned, Place(*MEETING, ADDRESS), Audience(within_km=5, only=chosen))
    )
    sizes: dict[float | None, set[int]] = {}
    async with each_engine.connect() as conn:
        for event_id, meeting, filters in combinations:
            event = await events.by_id(conn, event_id)
            assert event is not None
            first = (await events.shifts_of(conn, event_id))[:1]
            found = await calls.plan(conn, event, first, filters, ZONE, clock.now())
            counted = await calls.live_count(
                conn,
                clock.now(),
                event_id=event_id,
                shift_ids=[first[0].id],
                filters=filters,
                zone=ZONE,
            )
            want = {
                world.ids[p.n]
                for p in world.people
                if _rule(p, filters, meeting, event_id == world.pinned)
                and (not filters.only or world.ids[p.n] in filters.only)
            }
            assert counted.reaches == len(found), filters
            assert {person.volunteer_id for person in found} == want, filters
            sizes.setdefault(filters.within_km, set()).add(len(want))
            radius = filters.within_km
            if event_id == world.pinned and radius and filters == Audience(within_km=radius):
                # Those 50 m inside the radius (with the allowance, for a sector's centre) are
                # reached, and those 50 m outside it are not.
                at_edge = {
                    (world.ids[p.n] in want, p.edge[1])
                    for p in world.people
                    if p.edge
                    and p.edge[0] == radius
                    and p.callable
                    and not p.answered_call
                }
                assert at_edge == {(True, True), (False, False)}, filters
    # The population tells the filters apart: at every radius the combinations reach many
    # different numbers of people, and never everyone.
    assert all(len(reached) > 3 and max(reached) < len(world.people) for reached in sizes.values())


def test_sqlite_without_math_functions_gets_them_from_python() -> None:
    """Some SQLite builds lack the math functions distances are measured with."""

    class Bare:
        """A connection whose SQLite has no math functions until given them."""

        def __init__(self) -> None:
            self.inner = sqlite3.connect(":memory:")
            self.given: set[str] = set()

        def cursor(self) -> Bare:
            return self

        def execute(self, sql: str) -> None:
            if not self.given:
                raise sqlite3.OperationalError("no such function: radians")

        def close(self) -> None:
            pass

        def create_function(self, name: str, arity: int, function: object, **kw: object) -> None:
            self.given.add(name)
            self.inner.create_function(name, arity, function, **kw)  # type: ignore[arg-type]

    bare = Bare()
    db_engine.with_math_functions(bare)
    assert bare.given == set(db_engine.MATH_FUNCTIONS)
    (row,) = bare.inner.execute(
        "SELECT radians(180), sin(0), cos(0), asin(1), sqrt(4), sqrt(NULL)"
    ).fetchall()
    assert row == (math.pi, 0.0, 1.0, math.pi / 2, 2.0, None)
