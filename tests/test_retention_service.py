"""The retention rule as plain cases, and the retention services on both databases: the daily
sweep, the notice version that gates shift calls, old audit ids, /retention's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock
from bot.domain.retention import NOTICE, Due, Rule, add_months, contact_worth_noting
from bot.domain.statuses import VolunteerStatus
from bot.domain.volunteers import Purpose, Volunteer
from bot.services import retention
from bot.services import volunteers as volunteer_service
from db import audit, volunteers
from db.schema import audit_log, outbox
from db.schema import volunteers as volunteers_table
from db.volunteers import may_call
from tests.conftest import ADMIN_ID

ZONE = ZoneInfo("Europe/London")
T0 = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


def test_months_are_calendar_months() -> None:
    assert add_months(T0, 1) == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    assert add_months(T0, 24) == datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    assert add_months(T0, -24) == datetime(2023, 1, 31, 12, 0, tzinfo=UTC)


def test_warned_14_days_before_the_time_is_up_then_erased_14_days_after() -> None:
    rule = Rule(24)
    warn = add_months(T0, 24) - NOTICE

    def due(at: datetime, warned_at: datetime | None = None, last: datetime = T0) -> Due | None:
        return rule.due(at, last_contact=last, warned_at=warned_at, keeps_for_future=False)

    assert due(warn - timedelta(seconds=1)) is None
    assert due(warn) is Due.WARN
    assert due(warn + NOTICE - timedelta(seconds=1), warned_at=warn) is None
    assert due(warn + NOTICE, warned_at=warn) is Due.ERASE
    # In touch after the warning: it no longer counts, and the clock starts again.
    assert due(warn + NOTICE, warned_at=warn, last=warn + timedelta(days=1)) is None


def test_after_the_campaign_only_keep_saves_those_who_did_not_choose_to_stay() -> None:
    end = T0 + timedelta(days=100)
    rule = Rule(24, end)
    assert rule.due(end, last_contact=end, warned_at=None, keeps_for_future=False) is Due.WARN
    assert rule.due(end, last_contact=end, warned_at=None, keeps_for_future=True) is None
    # Opening the bot after the warning does not keep them: the campaign is still over.
    later = end + NOTICE
    assert rule.due(later, last_contact=later, warned_at=end, keeps_for_future=False) is Due.ERASE


def test_nobody_in_touch_after_quiet_since_is_due_anything() -> None:
    """The daily sweep reads only those in touch by Rule.quiet_since: every moment of contact
    for which the rule says anything is due lies on or before it, month-ends and leap days too,
    and only a day or so of those it reads are not yet due."""
    for months in (1, 6, 24):
        rule = Rule(months)
        for day in range(0, 800, 3):
            at = datetime(2027, 1, 1, 3, 0, tzinfo=UTC) + timedelta(days=day)
            line = rule.quiet_since(at)
            assert line is not None
            # Around the line: a month each side.
            for back in range(months * 28 - 31, months * 31 + 31):
                last = at - timedelta(days=back, hours=5)
                due = rule.due(at, last_contact=last, warned_at=None, keeps_for_future=False)
                if last > line:
                    assert due is None, (months, at, last)
                elif line - last > timedelta(days=5):
                    assert due is Due.WARN, (months, at, last)
    # Once the campaign is over, whoever is not staying on is due, however recently in touch.
    end = T0 + timedelta(days=100)
    assert Rule(24, end).quiet_since(end) is None
    assert Rule(24, end).quiet_since(end - timedelta(seconds=1)) is not None


def test_contact_is_noted_at_most_daily_but_always_after_a_warning() -> None:
    assert contact_worth_noting(None, None, T0)
    assert not contact_worth_noting(T0, None, T0 + timedelta(hours=23))
    assert contact_worth_noting(T0, None, T0 + timedelta(days=1))
    assert contact_worth_noting(T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2))


async def _person(engine: AsyncEngine, telegram_id: int, version: str = "v1") -> Volunteer:
    async with engine.begin() as conn:
        person = await volunteers.start_signup(
            conn,
            telegram_id=telegram_id,
            username=None,
            notice_version=version,
            start_payload=None,
            at=clock.now(),
        )
        await volunteers.update_fields(conn, person.id, name=f"P{telegram_id}")
        await volunteers.finish_signup(conn, person.id, at=clock.now())
        found = await volunteers.by_id(conn, person.id)
    assert found is not None
    return found


async def _sweep(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await retention.sweep(
            conn, clock.now(), months=24, admin_ids=frozenset({ADMIN_ID}), zone=ZONE
        )


async def test_the_sweep_warns_once_then_erases(each_engine: AsyncEngine) -> None:
    amy = await _person(each_engine, 6101)
    start = clock.now()
    clock.set_time(add_months(start, 24) - NOTICE)
    await _sweep(each_engine)
    await _sweep(each_engine)  # the same day again: one warning only
    async with each_engine.connect() as conn:
        warnings = (await conn.execute(select(outbox.c.chat_id, outbox.c.kind))).all()
        warned = await volunteers.by_id(conn, amy.id)
    assert [tuple(row) for row in warnings] == [(6101, "retention")]
    assert warned is not None and warned.retention_warned_at == clock.now()

    clock.advance(NOTICE)
    await _sweep(each_engine)
    async with each_engine.connect() as conn:
        gone = await volunteers.by_id(conn, amy.id)
        logged = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert gone is not None and gone.status == VolunteerStatus.FORGOTTEN
    assert (gone.telegram_id, gone.name) == (None, None)
    assert logged == ["forget"]


async def test_keep_counts_as_contact(each_engine: AsyncEngine) -> None:
    ben = await _person(each_engine, 6102)
    clock.set_time(add_months(clock.now(), 24) - NOTICE)
    await _sweep(each_engine)
    async with each_engine.begin() as conn:
        warned = await volunteers.by_id(conn, ben.id)
        assert warned is not None
        await retention.keep(conn, clock.now(), warned, months=24, notice_version="v1")
    clock.advance(NOTICE)
    await _sweep(each_engine)
    async with each_engine.connect() as conn:
        kept = await volunteers.by_id(conn, ben.id)
    assert kept is not None and kept.status == VolunteerStatus.ACTIVE
    assert kept.last_contact_at == clock.now() - NOTICE and kept.retention_warned_at is None


async def test_a_new_notice_takes_volunteers_off_calls_until_they_agree(
    each_engine: AsyncEngine,
) -> None:
    cat = await _person(each_engine, 6103, version="v1")

    async def callable_ids() -> list[int]:
        async with each_engine.connect() as conn:
            found = await conn.scalars(select(volunteers_table.c.id).where(may_call(clock.now())))
            return list(found)

    assert await callable_ids() == [cat.id]  # no notice published yet: nothing to compare
    async with each_engine.begin() as conn:
        await retention.publish_notice(conn, "v2")
    assert await callable_ids() == []
    async with each_engine.begin() as conn:
        assert await retention.note_contact(conn, clock.now(), cat, "v2")  # asked once
        asked = await volunteers.by_id(conn, cat.id)
        assert asked is not None
        assert not await retention.note_contact(conn, clock.now(), asked, "v2")
        assert await volunteer_service.agree_again(conn, clock.now(), asked, "v2")
    assert await callable_ids() == [cat.id]


async def test_old_audit_rows_lose_their_ids_and_the_campaign_end_is_audited(
    each_engine: AsyncEngine,
) -> None:
    dan = await _person(each_engine, 6104)
    async with each_engine.begin() as conn:
        await audit.record(
            conn,
            actor_telegram_id=ADMIN_ID,
            action="grant",
            target_volunteer_id=dan.id,
            at=clock.now(),
        )
    clock.advance(timedelta(days=1))
    async with each_engine.begin() as conn:
        await retention.set_campaign_end(conn, clock.now(), by=ADMIN_ID, ends_at=None)
    # Dan keeps in touch; the log forgets who did what once it is older than the period.
    clock.set_time(add_months(clock.now(), 24) - timedelta(hours=1))
    async with each_engine.begin() as conn:
        await retention.keep(conn, clock.now(), dan, months=24, notice_version="v1")
    await _sweep(each_engine)
    async with each_engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    audit_log.c.action,
                    audit_log.c.actor_telegram_id,
                    audit_log.c.target_volunteer_id,
                    audit_log.c.detail,
                ).order_by(audit_log.c.id)
            )
        ).all()
    assert [tuple(row[:3]) for row in rows] == [
        ("grant", None, None),
        ("campaign_end", ADMIN_ID, None),
    ]
    assert rows[1].detail == {"ends_at": None}


async def test_the_summary_counts_whom_the_rule_touches(each_engine: AsyncEngine) -> None:
    eve, fay = await _person(each_engine, 6105), await _person(each_engine, 6106)
    async with each_engine.begin() as conn:
        await volunteer_service.choose(conn, clock.now(), fay, Purpose.FUTURE, True, "v1")
        await retention.set_campaign_end(
            conn, clock.now(), by=ADMIN_ID, ends_at=clock.now() + timedelta(days=60)
        )
    async with each_engine.connect() as conn:
        now = await retention.summary(conn, clock.now(), 24)
        later = await retention.summary(conn, add_months(clock.now(), 24) - timedelta(days=20), 24)
    assert (now.warned_now, now.warned_soon, now.by_campaign) == (0, 0, 1)
    assert (later.warned_now, later.warned_soon, later.by_campaign) == (0, 2, 0)
    assert eve.id != fay.id
