"""Volunteers looking after their own record, without Telegram: consent, each sign-up answer and
where it leaves them, profile edits, pausing and resuming, on a real database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.permissions import Role
from bot.domain.places import PlaceSource
from bot.domain.signup import Step
from bot.domain.statuses import VolunteerStatus
from bot.domain.volunteers import Volunteer
from bot.services import volunteers
from db import volunteers as db_volunteers
from db.schema import consents
from tests.conftest import ADMIN_ID

SAM = 5001


async def _consent(engine: AsyncEngine, payload: str | None = None) -> Volunteer:
    async with engine.begin() as conn:
        return await volunteers.consent(
            conn,
            clock.now(),
            telegram_id=SAM,
            username="sam_v",
            notice_version="v9",
            payload=payload,
        )


async def _signed_up(engine: AsyncEngine) -> Volunteer:
    """Sam, through every question with the fewest answers."""
    at = clock.now()
    sam = await _consent(engine)
    async with engine.begin() as conn:
        sam = (await volunteers.give_name(conn, at, sam, "Sam")).volunteer
        sam = (await volunteers.give_postcode(conn, at, sam, "SE15 4QR")).volunteer
        await volunteers.toggle_choice(conn, sam, Step.AVAILABILITY, "sat")
        sam = (await volunteers.done_choosing(conn, at, sam)).volunteer
        await volunteers.toggle_choice(conn, sam, Step.ACTIVITIES, "doors")
        sam = (await volunteers.done_choosing(conn, at, sam)).volunteer
        answered = await volunteers.give_phone(conn, at, sam, None, notice_version="v1")
    assert answered.finished
    return answered.volunteer


async def test_consent_stores_them_and_asks_the_first_question(each_engine: AsyncEngine) -> None:
    sam = await _consent(each_engine, payload="event-7")
    assert (sam.telegram_id, sam.username) == (SAM, "sam_v")
    assert (sam.status, sam.step, sam.editing) == (VolunteerStatus.SIGNING_UP, Step.NAME, False)
    assert sam.start_payload == "event-7"
    assert sam.created_at == clock.now()
    async with each_engine.connect() as conn:
        given = (await conn.execute(select(consents))).one()
    assert (given.volunteer_id, given.purpose) == (sam.id, "volunteering")
    assert (given.notice_version, given.given_at) == ("v9", clock.now())


async def test_each_answer_moves_on_to_the_next_question(each_engine: AsyncEngine) -> None:
    at = clock.now()
    sam = await _consent(each_engine, payload="event-7")
    async with each_engine.begin() as conn:
        named = await volunteers.give_name(conn, at, sam, "Sam")
        assert (named.volunteer.name, named.volunteer.step) == ("Sam", Step.LOCATION)
        assert (named.finished, named.payload) == (False, None)
        placed = await volunteers.give_location(conn, at, named.volunteer, 51.47, -0.07)
        assert placed.volunteer.step is Step.AVAILABILITY
        assert (placed.volunteer.latitude, placed.volunteer.longitude) == (51.47, -0.07)

        ticked = await volunteers.toggle_choice(conn, placed.volunteer, Step.AVAILABILITY, "sat")
        ticked = await volunteers.toggle_choice(conn, ticked, Step.AVAILABILITY, "sun")
        assert ticked.availability == {"sat", "sun"}
        # A second tap on an option unticks it.
        ticked = await volunteers.toggle_choice(conn, ticked, Step.AVAILABILITY, "sat")
        assert ticked.availability == {"sun"}
        chosen = await volunteers.done_choosing(conn, at, ticked)
        assert chosen.volunteer.step is Step.ACTIVITIES

        ticked = await volunteers.toggle_choice(conn, chosen.volunteer, Step.ACTIVITIES, "doors")
        chosen = await volunteers.done_choosing(conn, at, ticked)
        assert chosen.volunteer.step is Step.PHONE
        assert chosen.volunteer.status == VolunteerStatus.SIGNING_UP

    clock.advance(timedelta(minutes=5))
    async with each_engine.begin() as conn:
        done = await volunteers.give_phone(
            conn, clock.now(), chosen.volunteer, "+447700900123", notice_version="v1"
        )
    # The last answer finishes sign-up and hands back the link they came with, once.
    assert (done.finished, done.payload) == (True, "event-7")
    sam = done.volunteer
    assert (sam.status, sam.step, sam.start_payload) == (VolunteerStatus.ACTIVE, None, None)
    assert sam.signed_up_at == clock.now()
    assert (sam.phone, sam.availability, sam.activities) == ("+447700900123", {"sun"}, {"doors"})


async def test_a_postcode_and_a_location_replace_each_other(each_engine: AsyncEngine) -> None:
    at = clock.now()
    sam = await _signed_up(each_engine)
    # A typed postcode is on the map at its sector's centre, known to be approximate.
    assert (sam.postcode, sam.latitude, sam.longitude) == ("SE15 4QR", 51.4663, -0.0708)
    assert sam.location_source is PlaceSource.SECTOR
    async with each_engine.begin() as conn:
        sam = await volunteers.edit(conn, sam, Step.LOCATION)
        sam = (await volunteers.give_location(conn, at, sam, 51.5, -0.1)).volunteer
    assert (sam.postcode, sam.latitude, sam.longitude) == (None, 51.5, -0.1)
    assert sam.location_source is PlaceSource.SHARED
    async with each_engine.begin() as conn:
        sam = await volunteers.edit(conn, sam, Step.LOCATION)
        sam = (await volunteers.give_postcode(conn, at, sam, "BT1 5GS")).volunteer
    # Northern Ireland is not in the packaged table: no place, only the postcode's district.
    assert (sam.postcode, sam.latitude, sam.longitude) == ("BT1 5GS", None, None)
    assert sam.location_source is None


async def test_an_edit_goes_back_to_the_profile(each_engine: AsyncEngine) -> None:
    at = clock.now()
    sam = await _signed_up(each_engine)
    signed_up_at = sam.signed_up_at
    clock.advance(timedelta(days=2))
    async with each_engine.begin() as conn:
        await volunteers.edit(conn, sam, Step.NAME)
    async with each_engine.connect() as conn:
        arrival = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload=None
        )
    assert arrival.volunteer is not None
    editing = arrival.volunteer
    assert (editing.step, editing.editing) == (Step.NAME, True)
    async with each_engine.begin() as conn:
        answered = await volunteers.give_name(conn, at, editing, "Samira")
    # Not the end of a sign-up: nothing handed on, and the first sign-up date stays.
    assert (answered.finished, answered.payload) == (False, None)
    sam = answered.volunteer
    assert (sam.name, sam.step, sam.editing) == ("Samira", None, False)
    assert (sam.status, sam.signed_up_at) == (VolunteerStatus.ACTIVE, signed_up_at)


async def test_skipping_the_phone_drops_one_given_before(each_engine: AsyncEngine) -> None:
    sam = await _signed_up(each_engine)
    async with each_engine.begin() as conn:
        sam = await volunteers.edit(conn, sam, Step.PHONE)
        sam = (
            await volunteers.give_phone(
                conn, clock.now(), sam, "+447700900123", notice_version="v1"
            )
        ).volunteer
        assert sam.phone == "+447700900123"
        sam = await volunteers.edit(conn, sam, Step.PHONE)
        sam = (
            await volunteers.give_phone(conn, clock.now(), sam, None, notice_version="v1")
        ).volunteer
    assert (sam.phone, sam.step) == (None, None)


async def test_arriving_with_a_link(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        stranger = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload="event-1"
        )
    # Nothing is stored before consent.
    assert stranger.volunteer is None
    assert stranger.access.roles == frozenset()

    sam = await _consent(each_engine, payload="event-1")
    async with each_engine.begin() as conn:
        again = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_new", payload="event-2"
        )
    # Half-way through sign-up, the newer link is the one handed on at the end; and the
    # @username they have now is kept.
    assert again.volunteer is not None and again.volunteer.id == sam.id
    async with each_engine.connect() as conn:
        now = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_new", payload=None
        )
    assert now.volunteer is not None
    assert (now.volunteer.start_payload, now.volunteer.username) == ("event-2", "sam_new")


async def test_a_link_after_sign_up_is_not_kept(each_engine: AsyncEngine) -> None:
    await _signed_up(each_engine)
    async with each_engine.begin() as conn:
        await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload="event-3"
        )
    async with each_engine.connect() as conn:
        now = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload=None
        )
    assert now.volunteer is not None and now.volunteer.start_payload is None


async def test_an_admin_arriving_has_their_menu(each_engine: AsyncEngine) -> None:
    async with each_engine.begin() as conn:
        arrival = await volunteers.arrive(
            conn,
            admin_ids=frozenset({ADMIN_ID}),
            telegram_id=ADMIN_ID,
            username=None,
            payload=None,
        )
    assert arrival.volunteer is None
    assert arrival.access.has(Role.ADMIN)


async def test_pause_for_a_week_then_resume(each_engine: AsyncEngine) -> None:
    sam = await _signed_up(each_engine)
    at = clock.now()
    async with each_engine.begin() as conn:
        until = await volunteers.pause(conn, at, sam, timedelta(days=7))
        paused = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload=None
        )
    assert until == at + timedelta(days=7)
    assert paused.volunteer is not None
    assert paused.volunteer.paused_until == until
    assert paused.volunteer.is_paused(at)
    assert not paused.volunteer.is_paused(until)

    async with each_engine.begin() as conn:
        assert await volunteers.resume(conn, at, paused.volunteer)
        resumed = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload=None
        )
        assert resumed.volunteer is not None
        assert (resumed.volunteer.paused, resumed.volunteer.paused_until) == (False, None)
        # Not paused now: nothing to resume, and nothing changes.
        assert not await volunteers.resume(conn, at, resumed.volunteer)


async def test_a_pause_with_no_end_lasts_until_they_resume(each_engine: AsyncEngine) -> None:
    sam = await _signed_up(each_engine)
    async with each_engine.begin() as conn:
        assert await volunteers.pause(conn, clock.now(), sam, None) is None
        paused = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload=None
        )
    assert paused.volunteer is not None
    assert paused.volunteer.is_paused(clock.now() + timedelta(days=365))


async def test_a_pause_that_ran_out_is_not_resumed(each_engine: AsyncEngine) -> None:
    sam = await _signed_up(each_engine)
    async with each_engine.begin() as conn:
        await volunteers.pause(conn, clock.now(), sam, timedelta(days=7))
        paused = await volunteers.arrive(
            conn, admin_ids=frozenset(), telegram_id=SAM, username="sam_v", payload=None
        )
    assert paused.volunteer is not None
    later = clock.now() + timedelta(days=8)
    async with each_engine.begin() as conn:
        assert not await volunteers.resume(conn, later, paused.volunteer)


async def test_blocking_marks_them_unreachable_once_and_unblocking_clears_it(
    each_engine: AsyncEngine,
) -> None:
    await _signed_up(each_engine)
    blocked_at = clock.now()
    async with each_engine.begin() as conn:
        await volunteers.set_blocked(conn, blocked_at, SAM, True)
        # Told twice (Telegram may repeat itself): the first time stands.
        await volunteers.set_blocked(conn, blocked_at + timedelta(hours=1), SAM, True)
        # Someone who never signed up: nothing to mark, nothing stored.
        await volunteers.set_blocked(conn, blocked_at, SAM + 1, True)
    async with each_engine.connect() as conn:
        sam = await db_volunteers.by_telegram_id(conn, SAM)
    assert sam is not None and sam.unreachable_at == blocked_at
    async with each_engine.begin() as conn:
        await volunteers.set_blocked(conn, clock.now(), SAM, False)
    async with each_engine.connect() as conn:
        sam = await db_volunteers.by_telegram_id(conn, SAM)
    assert sam is not None and sam.unreachable_at is None
