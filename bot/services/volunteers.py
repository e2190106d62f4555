"""Volunteers looking after their own record: consent, sign-up one question at a time, changing an
answer from /profile, pausing and resuming.

The question being asked is kept on the volunteer (``step``), so an answer saved here moves them on
to the next one; ``editing`` means the question came from /profile and goes back there when done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.permissions import Access
from bot.domain.places import PlaceSource
from bot.domain.signup import Step, next_step
from bot.domain.statuses import VolunteerStatus
from bot.domain.volunteers import Purpose, Volunteer
from bot.services import actors
from db import volunteers
from db.places import lookup


@dataclass(frozen=True)
class Arrival:
    """Who pressed Start (None before they consent), and what they may do."""

    volunteer: Volunteer | None
    access: Access


@dataclass(frozen=True)
class Answered:
    """Where a saved answer left the volunteer: as stored now (``step`` is the next question, if
    any), whether it finished sign-up, and the /start payload kept through sign-up when it did."""

    volunteer: Volunteer
    finished: bool = False
    payload: str | None = None


async def arrive(
    conn: AsyncConnection,
    *,
    admin_ids: frozenset[int],
    telegram_id: int,
    username: str | None,
    payload: str | None,
) -> Arrival:
    """Someone pressed Start. A link followed half-way through sign-up replaces the one they came
    with, to be handed on when they finish."""
    volunteer = await actors.load_volunteer(conn, telegram_id, username)
    if volunteer is not None and volunteer.status == VolunteerStatus.SIGNING_UP and payload:
        await volunteers.update_fields(conn, volunteer.id, start_payload=payload)
    return Arrival(volunteer, await actors.access(conn, admin_ids, telegram_id))


async def consent(
    conn: AsyncConnection,
    at: datetime,
    *,
    telegram_id: int,
    username: str | None,
    notice_version: str,
    payload: str | None,
) -> Volunteer:
    """They agreed to the privacy notice: the first moment anything about them is stored."""
    return await volunteers.start_signup(
        conn,
        telegram_id=telegram_id,
        username=username,
        notice_version=notice_version,
        start_payload=payload,
        at=at,
    )


async def give_name(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, name: str
) -> Answered:
    await volunteers.update_fields(conn, volunteer.id, name=name)
    return await _move_on(conn, at, volunteer)


async def give_postcode(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, postcode: str
) -> Answered:
    # One answer to "where are you?": a typed postcode replaces a shared location. It is put on
    # the map where the postcode is known (its sector's centre, usually: approximate).
    found = await lookup.locate(conn, postcode)
    await volunteers.update_fields(
        conn,
        volunteer.id,
        postcode=postcode,
        latitude=found.latitude if found else None,
        longitude=found.longitude if found else None,
        location_source=found.source if found else None,
    )
    return await _move_on(conn, at, volunteer)


async def give_location(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, latitude: float, longitude: float
) -> Answered:
    # One answer to "where are you?": a shared location replaces a typed postcode.
    await volunteers.update_fields(
        conn,
        volunteer.id,
        latitude=latitude,
        longitude=longitude,
        location_source=PlaceSource.SHARED,
        postcode=None,
    )
    return await _move_on(conn, at, volunteer)


async def give_phone(
    conn: AsyncConnection,
    at: datetime,
    volunteer: Volunteer,
    phone: str | None,
    *,
    notice_version: str,
) -> Answered:
    """Their own number, or None when they skip the question (dropping one given before).
    Sharing it is their choice that organisers may phone them, recorded as such; skipping is no."""
    await volunteers.update_fields(conn, volunteer.id, phone=phone)
    await _record_choice(conn, at, volunteer, Purpose.PHONE, phone is not None, notice_version)
    return await _move_on(conn, at, volunteer)


async def choose(
    conn: AsyncConnection,
    at: datetime,
    volunteer: Volunteer,
    purpose: Purpose,
    choice: bool,
    notice_version: str,
) -> Volunteer:
    """Their yes or no to one optional purpose, from /profile; the volunteer as it leaves them."""
    await _record_choice(conn, at, volunteer, purpose, choice, notice_version)
    return await _fresh(conn, volunteer.id)


async def _record_choice(
    conn: AsyncConnection,
    at: datetime,
    volunteer: Volunteer,
    purpose: Purpose,
    choice: bool,
    notice_version: str,
) -> None:
    """A consent row with the notice version and time, unless the choice that counts now is
    already this one (a repeated tap records nothing new; never asked counts as no)."""
    if volunteer.consents_to(purpose) != choice:
        await volunteers.record_consent(conn, volunteer.id, purpose, choice, notice_version, at=at)


async def agree_again(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, notice_version: str
) -> bool:
    """They agreed to the privacy notice as it is now; False, changing nothing, if they had."""
    if volunteer.agreed_notice == notice_version:
        return False
    await volunteers.record_consent(
        conn, volunteer.id, Purpose.VOLUNTEERING, True, notice_version, at=at
    )
    return True


async def toggle_choice(
    conn: AsyncConnection, volunteer: Volunteer, step: Step, code: str
) -> Volunteer:
    """Tick or untick one option of a multi-select question; the volunteer as it leaves them."""
    await volunteers.toggle_choice(conn, volunteer.id, step, code)
    return await _fresh(conn, volunteer.id)


async def done_choosing(conn: AsyncConnection, at: datetime, volunteer: Volunteer) -> Answered:
    """Done on a multi-select question; the caller has checked something is ticked."""
    return await _move_on(conn, at, volunteer)


async def edit(conn: AsyncConnection, volunteer: Volunteer, step: Step) -> Volunteer:
    """Put one sign-up question again from /profile; answering it goes back to the profile."""
    await volunteers.set_step(conn, volunteer.id, step, editing=True)
    return await _fresh(conn, volunteer.id)


async def pause(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, length: timedelta | None
) -> datetime | None:
    """No calls for ``length`` (until they resume, when None). Returns when the pause ends."""
    until = at + length if length else None
    await volunteers.set_pause(conn, volunteer.id, paused=True, until=until)
    return until


async def resume(conn: AsyncConnection, at: datetime, volunteer: Volunteer) -> bool:
    """Calls again; False, changing nothing, if they were not paused."""
    if not volunteer.is_paused(at):
        return False
    await volunteers.set_pause(conn, volunteer.id, paused=False, until=None)
    return True


async def _move_on(conn: AsyncConnection, at: datetime, volunteer: Volunteer) -> Answered:
    """After the current question was answered and saved: back to the profile when editing, else
    the next question, or the end of sign-up after the last."""
    assert volunteer.step is not None
    if volunteer.editing:
        await volunteers.set_step(conn, volunteer.id, None)
        return Answered(await _fresh(conn, volunteer.id))
    following = next_step(volunteer.step)
    if following is not None:
        await volunteers.set_step(conn, volunteer.id, following)
        return Answered(await _fresh(conn, volunteer.id))
    await volunteers.finish_signup(conn, volunteer.id, at=at)
    return Answered(await _fresh(conn, volunteer.id), True, volunteer.start_payload)


async def _fresh(conn: AsyncConnection, volunteer_id: int) -> Volunteer:
    volunteer = await volunteers.by_id(conn, volunteer_id)
    assert volunteer is not None
    return volunteer


async def set_blocked(conn: AsyncConnection, at: datetime, telegram_id: int, blocked: bool) -> None:
    """The person blocked the bot, or unblocked it (Telegram tells us at once): shift calls leave
    them out, or reach them again, from now on, not only after a message to them has failed."""
    volunteer = await volunteers.by_telegram_id(conn, telegram_id)
    if volunteer is None or (volunteer.unreachable_at is not None) == blocked:
        return
    await volunteers.update_fields(conn, volunteer.id, unreachable_at=at if blocked else None)
