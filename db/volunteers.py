"""Queries about volunteers and their sign-up answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.places import PlaceSource
from bot.domain.signup import ORDER, Step
from bot.domain.statuses import VolunteerStatus
from bot.domain.volunteers import OPTIONAL_PURPOSES, Purpose, Volunteer
from db.schema import (
    consents,
    data_policy,
    volunteer_activities,
    volunteer_availability,
    volunteers,
)

_OPTIONAL = {purpose.value for purpose in OPTIONAL_PURPOSES}

# bot.domain.volunteers.can_message, in SQL.
CAN_MESSAGE = and_(volunteers.c.telegram_id.is_not(None), volunteers.c.unreachable_at.is_(None))

# The privacy notice version the bot shows now (bot.services.retention.publish_notice).
_CURRENT_NOTICE = (
    select(data_policy.c.notice_version).where(data_policy.c.id == 1).scalar_subquery()
)

# They agreed to the notice the bot shows now (or none has been published: a database that no
# running bot has opened, as in service tests).
_AGREED = and_(
    consents.c.purpose == Purpose.VOLUNTEERING.value,
    consents.c.choice.is_(True),
    consents.c.withdrawn_at.is_(None),
    consents.c.notice_version == _CURRENT_NOTICE,
)
# A subquery that does not refer back to the volunteer, so the database finds everyone who
# agreed once rather than once per volunteer: for calls that reach many.
AGREED_TO_NOTICE = or_(
    _CURRENT_NOTICE.is_(None),
    volunteers.c.id.in_(select(consents.c.volunteer_id).where(_AGREED)),
)
# The same, looked up per volunteer on the consents index: for a few picked out by other
# conditions first (a surge's box round a room), where listing everyone who agreed costs more.
AGREED_TO_NOTICE_EACH = or_(
    _CURRENT_NOTICE.is_(None),
    exists().where(consents.c.volunteer_id == volunteers.c.id, _AGREED),
)


def may_call(at: datetime, *, each: bool = False) -> ColumnElement[bool]:
    """Signed-up volunteers a shift call may go to now: reachable, agreed to the privacy notice as
    it is now (a new version stops calls until they agree again), and not paused. ``each``: the
    agreement looked up per volunteer (AGREED_TO_NOTICE_EACH)."""
    return and_(
        volunteers.c.status == VolunteerStatus.ACTIVE,
        CAN_MESSAGE,
        AGREED_TO_NOTICE_EACH if each else AGREED_TO_NOTICE,
        or_(
            volunteers.c.paused.is_(False),
            and_(volunteers.c.paused_until.is_not(None), volunteers.c.paused_until <= at),
        ),
    )


def latest_choice(purpose: Purpose) -> ColumnElement[bool]:
    """A volunteer's latest choice for an optional purpose, in SQL (false when never asked)."""
    return func.coalesce(
        select(consents.c.choice)
        .where(consents.c.volunteer_id == volunteers.c.id, consents.c.purpose == purpose.value)
        .order_by(consents.c.id.desc())
        .limit(1)
        .scalar_subquery(),
        False,
    )


def _belongings(volunteer_id: int) -> CompoundSelect:
    """A volunteer's availability, activities and consents in one round trip: each lookup of a
    volunteer (several a tap) used to cost four."""
    no_choice = cast(null(), Boolean)
    no_text = cast(null(), String)
    return union_all(
        select(
            literal("slot").label("part"),
            volunteer_availability.c.slot.label("value"),
            literal(0).label("seq"),
            no_choice.label("choice"),
            no_text.label("notice_version"),
            literal(False).label("withdrawn"),
        ).where(volunteer_availability.c.volunteer_id == volunteer_id),
        select(
            literal("activity"),
            volunteer_activities.c.activity,
            literal(0),
            no_choice,
            no_text,
            literal(False),
        ).where(volunteer_activities.c.volunteer_id == volunteer_id),
        select(
            literal("consent"),
            consents.c.purpose,
            consents.c.id,
            consents.c.choice,
            consents.c.notice_version,
            consents.c.withdrawn_at.is_not(None),
        ).where(consents.c.volunteer_id == volunteer_id),
    ).order_by("part", "seq")


async def _load(conn: AsyncConnection, row: Any) -> Volunteer:
    slots: set[str] = set()
    acts: set[str] = set()
    agreed: str | None = None
    chosen: dict[Purpose, bool] = {}
    for part, value, _seq, choice, notice_version, withdrawn in await conn.execute(
        _belongings(row.id)
    ):
        if part == "slot":
            slots.add(value)
        elif part == "activity":
            acts.add(value)
        elif value == Purpose.VOLUNTEERING:
            agreed = None if withdrawn else notice_version
        elif value in _OPTIONAL:
            chosen[Purpose(value)] = choice
    data = dict(row._mapping)
    data["step"] = Step(data["step"]) if data["step"] else None
    source = data["location_source"]
    data["location_source"] = PlaceSource(source) if source else None
    return Volunteer(
        **data,
        availability=frozenset(slots),
        activities=frozenset(acts),
        agreed_notice=agreed,
        consents=chosen,
    )


async def by_telegram_id(conn: AsyncConnection, telegram_id: int) -> Volunteer | None:
    row = (
        await conn.execute(select(volunteers).where(volunteers.c.telegram_id == telegram_id))
    ).first()
    return await _load(conn, row) if row else None


async def by_username(conn: AsyncConnection, username: str) -> Volunteer | None:
    row = (
        await conn.execute(
            select(volunteers).where(
                func.lower(volunteers.c.username) == username.lstrip("@").lower(),
                volunteers.c.status != VolunteerStatus.FORGOTTEN,
            )
        )
    ).first()
    return await _load(conn, row) if row else None


async def by_id(conn: AsyncConnection, volunteer_id: int) -> Volunteer | None:
    row = (await conn.execute(select(volunteers).where(volunteers.c.id == volunteer_id))).first()
    return await _load(conn, row) if row else None


async def start_signup(
    conn: AsyncConnection,
    *,
    telegram_id: int,
    username: str | None,
    notice_version: str,
    start_payload: str | None,
    at: datetime,
) -> Volunteer:
    """Create the volunteer at the moment they consent, with the consent recorded beside them."""
    volunteer_id = (
        await conn.execute(
            insert(volunteers)
            .values(
                telegram_id=telegram_id,
                username=username,
                status=VolunteerStatus.SIGNING_UP,
                step=ORDER[0].value,
                editing=False,
                start_payload=start_payload,
                paused=False,
                created_at=at,
                last_contact_at=at,
            )
            .returning(volunteers.c.id)
        )
    ).scalar_one()
    await record_consent(conn, volunteer_id, Purpose.VOLUNTEERING, True, notice_version, at=at)
    volunteer = await by_id(conn, volunteer_id)
    assert volunteer is not None
    return volunteer


async def update_fields(conn: AsyncConnection, volunteer_id: int, **values: Any) -> None:
    await conn.execute(update(volunteers).where(volunteers.c.id == volunteer_id).values(**values))


async def set_step(
    conn: AsyncConnection, volunteer_id: int, step: Step | None, *, editing: bool = False
) -> None:
    await update_fields(
        conn, volunteer_id, step=step.value if step else None, editing=editing and step is not None
    )


async def finish_signup(conn: AsyncConnection, volunteer_id: int, *, at: datetime) -> None:
    await update_fields(
        conn,
        volunteer_id,
        status=VolunteerStatus.ACTIVE,
        step=None,
        editing=False,
        start_payload=None,
        signed_up_at=at,
    )


async def toggle_choice(conn: AsyncConnection, volunteer_id: int, step: Step, code: str) -> None:
    table, column = (
        (volunteer_availability, volunteer_availability.c.slot)
        if step is Step.AVAILABILITY
        else (volunteer_activities, volunteer_activities.c.activity)
    )
    removed = await conn.execute(
        delete(table).where(table.c.volunteer_id == volunteer_id, column == code)
    )
    if removed.rowcount == 0:
        await conn.execute(insert(table).values({"volunteer_id": volunteer_id, column.key: code}))


async def set_pause(
    conn: AsyncConnection, volunteer_id: int, *, paused: bool, until: datetime | None
) -> None:
    await update_fields(conn, volunteer_id, paused=paused, paused_until=until if paused else None)


async def record_consent(
    conn: AsyncConnection,
    volunteer_id: int,
    purpose: Purpose,
    choice: bool,
    notice_version: str,
    *,
    at: datetime,
) -> None:
    """One choice, as a new row: the latest row of a purpose is the choice that counts, and the
    ones before it show what they said when. /leaderboard reads its own flag, kept in step here."""
    await conn.execute(
        insert(consents).values(
            volunteer_id=volunteer_id,
            purpose=purpose.value,
            choice=choice,
            notice_version=notice_version,
            given_at=at,
        )
    )
    if purpose is Purpose.LEADERBOARD:
        await update_fields(conn, volunteer_id, on_leaderboard=choice)
