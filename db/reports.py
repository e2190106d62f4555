"""The queries behind coordinators' reports: per-shift turnout, new sign-ups, the leaderboard and
the volunteers export.

Who came, who said going and who did not come are :mod:`db.attendance`'s expressions, summed here;
nothing in this module decides attendance on its own. Cancelled events and shifts are left out.
Areas compare in any case; ``areas`` None means every area.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import Subquery

from bot.domain.reports import LeaderLine, ShiftFigures, VolunteerRecord
from bot.domain.signup import ACTIVITIES, AVAILABILITY
from bot.domain.statuses import EventStatus, VolunteerStatus
from bot.domain.volunteers import Purpose
from db.attendance import CAME
from db.schema import (
    consents,
    events,
    rsvps,
    shift_totals,
    shifts,
    volunteer_activities,
    volunteer_availability,
    volunteer_totals,
    volunteers,
)

_SLOTS = tuple(AVAILABILITY.items())
_ACTS = tuple(ACTIVITIES.items())


def _in_areas(areas: Iterable[str] | None) -> ColumnElement[bool]:
    if areas is None:
        return true()
    return func.lower(events.c.area).in_([area.lower() for area in areas])


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _live() -> ColumnElement[bool]:
    return and_(shifts.c.status == EventStatus.ACTIVE, events.c.status == EventStatus.ACTIVE)


async def shift_figures(
    conn: AsyncConnection,
    *,
    at: datetime,
    areas: Iterable[str] | None,
    start: datetime | None = None,
    end: datetime | None = None,
    event_ids: Sequence[int] | None = None,
) -> list[ShiftFigures]:
    """Turnout of every live shift starting in [start, end) (and/or of ``event_ids``), in time
    order. No-shows count only for shifts that have ended by ``at``."""

    # Each shift's figures are its row in shift_totals (db.totals), kept as answers change: a
    # report reads one row per shift however many answered. No row: nobody has answered yet.
    def total(name: str) -> ColumnElement[int]:
        return func.coalesce(shift_totals.c[name], 0).label(name)

    query = (
        select(
            shifts.c.id,
            shifts.c.event_id,
            events.c.title,
            events.c.area,
            shifts.c.starts_at,
            shifts.c.ends_at,
            shifts.c.capacity,
            *(total(name) for name in ("going", "came", "kept", "walk_ins", "late", "doors")),
        )
        .select_from(
            shifts.join(events, events.c.id == shifts.c.event_id).outerjoin(
                shift_totals, shift_totals.c.shift_id == shifts.c.id
            )
        )
        .where(_live(), _in_areas(areas))
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    if start is not None:
        query = query.where(shifts.c.starts_at >= start)
    if end is not None:
        query = query.where(shifts.c.starts_at < end)
    if event_ids is not None:
        query = query.where(shifts.c.event_id.in_(list(event_ids)))
    found = []
    for row in await conn.execute(query):
        over = row.ends_at <= at
        found.append(
            ShiftFigures(
                shift_id=row.id,
                event_id=row.event_id,
                title=row.title,
                area=row.area,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                capacity=row.capacity,
                going=int(row.going),
                came=int(row.came),
                # No-shows are those who said going less those of them who came, once over
                # (bot.domain.reports.Turnout).
                kept=int(row.kept),
                walk_ins=int(row.walk_ins),
                late=int(row.late),
                doors=int(row.doors),
                over=over,
            )
        )
    return found


async def sign_ups(
    conn: AsyncConnection, *, start: datetime, end: datetime, areas: Iterable[str] | None
) -> int:
    """Volunteers who finished signing up in [start, end). Volunteers have no area: within
    areas, those who have also answered for a shift of an event there."""
    query = select(func.count()).where(
        volunteers.c.signed_up_at >= start, volunteers.c.signed_up_at < end
    )
    if areas is not None:
        query = query.where(_answered_in(areas))
    return int(await conn.scalar(query) or 0)


def _answered_in(areas: Iterable[str]) -> ColumnElement[bool]:
    return exists(
        select(rsvps.c.id)
        .join(shifts, shifts.c.id == rsvps.c.shift_id)
        .join(events, events.c.id == shifts.c.event_id)
        .where(rsvps.c.volunteer_id == volunteers.c.id, _in_areas(areas))
    )


async def area_named(conn: AsyncConnection, name: str) -> str | None:
    """The area as events spell it, if any event (even a cancelled one) is in an area of that
    name in any case."""
    return await conn.scalar(
        select(events.c.area)
        .where(func.lower(events.c.area) == name.strip().lower())
        .order_by(events.c.id.desc())
        .limit(1)
    )


async def events_titled(
    conn: AsyncConnection, words: Sequence[str], *, areas: Iterable[str] | None, at: datetime
) -> list[int]:
    """Live events whose title has every one of ``words`` (any case), nearest in time to ``at``
    first: the one on now or most recently, then the next to come."""
    query = (
        select(
            events.c.id,
            func.min(shifts.c.starts_at).label("first"),
            func.max(shifts.c.starts_at).label("last"),
        )
        .join(shifts, shifts.c.event_id == events.c.id)
        .where(_live(), _in_areas(areas))
        .group_by(events.c.id)
    )
    for word in words:
        query = query.where(func.lower(events.c.title).contains(word.lower(), autoescape=True))
    found = [(row.id, row.first, row.last) for row in await conn.execute(query)]

    def nearness(item: tuple[int, datetime, datetime]) -> tuple[int, float]:
        _, first, last = item
        if first <= at:  # started: the most recently started first
            return (0, max((at - last).total_seconds(), 0.0))
        return (1, (first - at).total_seconds())

    return [event_id for event_id, _, _ in sorted(found, key=nearness)]


# The leaderboard counts a period's answers directly when the shifts in it have at most this many
# people who came, or fewer than half of all who ever came; past that it walks down
# volunteer_totals, twice as many volunteers each step as the last (from two for each line), for
# at most this many steps before it, too, counts directly. The busiest volunteers come first and
# have the most answers to count, so the first steps are small.
DIRECT_LEADERS = 20_000
LEADER_STEPS = 8


async def leaderboard(
    conn: AsyncConnection,
    *,
    start: datetime,
    end: datetime,
    areas: Iterable[str] | None,
    limit: int = 10,
) -> list[LeaderLine]:
    """Shifts came to and doors knocked per volunteer in [start, end), most first. Names only of
    volunteers who chose to be shown; nobody else's name leaves the database.

    Over a long period, counting every answer in it per volunteer would read most of the table.
    Instead it walks volunteers in order of their totals over all time (volunteer_totals, which
    no period can exceed), counting each one's figures in the period, and stops once the next
    volunteer's all-time figures fall short of the last place: nobody further down can reach it.
    """
    within = and_(_live(), _in_areas(areas), shifts.c.starts_at >= start, shifts.c.starts_at < end)
    period, overall = (
        await conn.execute(
            select(
                func.coalesce(func.sum(case((within, shift_totals.c.came), else_=0)), 0),
                func.coalesce(func.sum(shift_totals.c.came), 0),
            ).select_from(
                shift_totals.join(shifts, shifts.c.id == shift_totals.c.shift_id).join(
                    events, events.c.id == shifts.c.event_id
                )
            )
        )
    ).one()
    # All-time figures bound a short period's loosely: the walk would go a long way down.
    if int(period) <= DIRECT_LEADERS or 2 * int(period) < int(overall):
        return await _leaders(conn, within, limit)
    ranked = (volunteer_totals.c.shifts, volunteer_totals.c.doors, volunteer_totals.c.volunteer_id)
    lines: list[LeaderLine] = []
    after: tuple[int, int, int] | None = None
    size = 2 * limit
    for _ in range(LEADER_STEPS):
        query = (
            select(*ranked)
            .where((volunteer_totals.c.shifts > 0) | (volunteer_totals.c.doors > 0))
            .order_by(*(c.desc() for c in ranked))
            .limit(size)
        )
        if after is not None:
            query = query.where(tuple_(*ranked) < after)
        step = [tuple(row) for row in await conn.execute(query)]
        if step:
            found = await _leaders(conn, within, limit, [row[2] for row in step])
            lines = sorted([*lines, *found], key=_rank)[:limit]
        if len(step) < size:
            return lines
        size *= 2
        after = (step[-1][0], step[-1][1], step[-1][2])
        if len(lines) == limit and after[:2] < (lines[-1].shifts, lines[-1].doors):
            return lines
    return await _leaders(conn, within, limit)


def _rank(line: LeaderLine) -> tuple[int, int, int]:
    return (-line.shifts, -line.doors, line.volunteer_id)


async def _leaders(
    conn: AsyncConnection,
    within: ColumnElement[bool],
    limit: int,
    volunteer_ids: Sequence[int] | None = None,
) -> list[LeaderLine]:
    """The top ``limit`` by answers ``within`` (among ``volunteer_ids``, if given)."""
    shifts_came = _count(CAME).label("shifts")
    doors = func.coalesce(func.sum(rsvps.c.doors), 0).label("doors")
    # Counted per volunteer id first; only the few on the board are looked up for their names.
    top = (
        select(rsvps.c.volunteer_id, shifts_came, doors)
        .select_from(
            rsvps.join(shifts, shifts.c.id == rsvps.c.shift_id).join(
                events, events.c.id == shifts.c.event_id
            )
        )
        .where(within)
        .group_by(rsvps.c.volunteer_id)
        .having((shifts_came > 0) | (doors > 0))
        .order_by(shifts_came.desc(), doors.desc(), rsvps.c.volunteer_id)
        .limit(limit)
    )
    if volunteer_ids is not None:
        top = top.where(rsvps.c.volunteer_id.in_(volunteer_ids))
    board = top.subquery()
    rows = await conn.execute(
        select(
            board.c.volunteer_id,
            case((volunteers.c.on_leaderboard.is_(True), volunteers.c.name), else_=None).label(
                "name"
            ),
            board.c.shifts,
            board.c.doors,
        )
        .join(volunteers, volunteers.c.id == board.c.volunteer_id)
        .order_by(board.c.shifts.desc(), board.c.doors.desc(), board.c.volunteer_id)
    )
    return [LeaderLine(row.volunteer_id, row.name, int(row.shifts), int(row.doors)) for row in rows]


def _codes_per_volunteer(volunteer_id: ColumnElement[int], code: ColumnElement[str]) -> Subquery:
    """Each volunteer's codes in one comma-joined string (their sign-up answers, one row each)."""
    return (
        select(volunteer_id, func.aggregate_strings(code, ",").label("codes"))
        .group_by(volunteer_id)
        .subquery()
    )


def _latest(purpose: Purpose, *columns: ColumnElement[Any]) -> Select[Any]:
    """A volunteer's latest choice for ``purpose`` (the last given wins), as a subquery about the
    volunteer of the enclosing query."""
    return (
        select(*columns)
        .where(consents.c.volunteer_id == volunteers.c.id, consents.c.purpose == purpose)
        .order_by(consents.c.given_at.desc(), consents.c.id.desc())
        .limit(1)
    )


def _records_looked_up() -> Select[Any]:
    """The export's columns, each volunteer's codes and consents looked up by their index. How
    SQLite runs it fastest: joined to grouped subqueries, it built and indexed all three first
    (twice the time of looking up 100,000 volunteers' one by one)."""
    agreed = consents.alias("agreed")
    slots = volunteer_availability.c.slot
    acts = volunteer_activities.c.activity
    return select(
        volunteers.c.id,
        volunteers.c.status,
        volunteers.c.name,
        volunteers.c.postcode,
        volunteers.c.phone,
        select(func.aggregate_strings(slots, ","))
        .where(volunteer_availability.c.volunteer_id == volunteers.c.id)
        .scalar_subquery()
        .label("slots"),
        select(func.aggregate_strings(acts, ","))
        .where(volunteer_activities.c.volunteer_id == volunteers.c.id)
        .scalar_subquery()
        .label("acts"),
        agreed.c.given_at.label("given"),
        agreed.c.withdrawn_at.label("withdrawn"),
        agreed.c.notice_version.label("version"),
        _latest(Purpose.PHONE, case((consents.c.choice.is_(True), 1), else_=0))
        .scalar_subquery()
        .label("may_phone"),
    ).select_from(
        volunteers.outerjoin(
            agreed,
            agreed.c.id == _latest(Purpose.VOLUNTEERING, consents.c.id).scalar_subquery(),
        )
    )


def _records_joined() -> Select[Any]:
    """The export's columns, each volunteer's codes and consents grouped per volunteer and
    joined. How PostgreSQL runs it fastest (merging the four in id order; looking each
    volunteer's up took three to four times as long)."""
    # The latest choice per purpose (the last given wins), one row per volunteer.
    choices = select(
        consents.c.volunteer_id,
        consents.c.purpose,
        consents.c.choice,
        consents.c.given_at,
        consents.c.withdrawn_at,
        consents.c.notice_version,
        func.row_number()
        .over(
            partition_by=(consents.c.volunteer_id, consents.c.purpose),
            order_by=(consents.c.given_at.desc(), consents.c.id.desc()),
        )
        .label("latest"),
    ).where(consents.c.purpose.in_([Purpose.VOLUNTEERING, Purpose.PHONE]))
    choices_sq = choices.subquery()

    def of(purpose: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.max(case((choices_sq.c.purpose == purpose, value), else_=None))

    consent = (
        select(
            choices_sq.c.volunteer_id,
            of(Purpose.VOLUNTEERING, choices_sq.c.given_at).label("given"),
            of(Purpose.VOLUNTEERING, choices_sq.c.withdrawn_at).label("withdrawn"),
            of(Purpose.VOLUNTEERING, choices_sq.c.notice_version).label("version"),
            of(Purpose.PHONE, case((choices_sq.c.choice.is_(True), 1), else_=0)).label("phone"),
        )
        .where(choices_sq.c.latest == 1)
        .group_by(choices_sq.c.volunteer_id)
        .subquery()
    )
    slots = _codes_per_volunteer(
        volunteer_availability.c.volunteer_id, volunteer_availability.c.slot
    )
    acts = _codes_per_volunteer(
        volunteer_activities.c.volunteer_id, volunteer_activities.c.activity
    )
    return select(
        volunteers.c.id,
        volunteers.c.status,
        volunteers.c.name,
        volunteers.c.postcode,
        volunteers.c.phone,
        slots.c.codes.label("slots"),
        acts.c.codes.label("acts"),
        consent.c.given,
        consent.c.withdrawn,
        consent.c.version,
        consent.c.phone.label("may_phone"),
    ).select_from(
        volunteers.outerjoin(slots, slots.c.volunteer_id == volunteers.c.id)
        .outerjoin(acts, acts.c.volunteer_id == volunteers.c.id)
        .outerjoin(consent, consent.c.volunteer_id == volunteers.c.id)
    )


async def volunteer_records(
    conn: AsyncConnection, *, areas: Iterable[str] | None, among: Select[Any] | None = None
) -> AsyncIterator[list[VolunteerRecord]]:
    """Every volunteer with their latest consent, in id order, a batch at a time; within areas,
    only those who have answered for a shift of an event there; with ``among`` (a query of
    volunteer ids), only those (an election's people, db.closing.people_of). Forgotten
    volunteers keep no personal fields, so show none.

    One query, a row per volunteer, read as it comes (a server-side cursor on PostgreSQL): a
    campaign's worth of volunteers is never held at once, and no list of ids is bound (past
    PostgreSQL's 32,767 parameters). The same columns either way; each engine gets the form its
    planner runs fastest."""
    sqlite = conn.dialect.name == "sqlite"
    query = (_records_looked_up() if sqlite else _records_joined()).order_by(volunteers.c.id)
    if areas is not None:
        query = query.where(_answered_in(list(areas)))
    if among is not None:
        query = query.where(volunteers.c.id.in_(among))
    result = await conn.stream(query)
    async for rows in result.partitions(2000):
        yield [_record(*row) for row in rows]


def _record(
    id_: int,
    status: str,
    name: str | None,
    postcode: str | None,
    phone: str | None,
    slot_codes: str | None,
    act_codes: str | None,
    given: datetime | None,
    withdrawn: datetime | None,
    version: str | None,
    may_phone: int | None,
) -> VolunteerRecord:
    if status == VolunteerStatus.FORGOTTEN:
        return VolunteerRecord(id_, status, None, None, (), (), None, given, withdrawn, version)
    return VolunteerRecord(
        id=id_,
        status=status,
        name=name,
        postcode=postcode,
        availability=_labels(slot_codes, _SLOTS),
        activities=_labels(act_codes, _ACTS),
        # Only for those who said organisers may phone them.
        phone=phone if may_phone else None,
        consent_given=given,
        consent_withdrawn=withdrawn,
        notice_version=version,
    )


@functools.cache
def _labels(codes: str | None, names: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Labels, from codes joined by commas, in the order the sign-up questions show them (a
    campaign has few distinct mixes of answers, so each is worked out once)."""
    chosen = set(codes.split(",")) if codes else set()
    return tuple(label for code, label in names if code in chosen)
