"""Keeping volunteers' details no longer than the rule says (bot.domain.retention), and the
privacy notice they agreed to.

- The daily sweep warns those whose time is nearly up, erases (exactly as /forget does) those
  warned 14 days ago who did not tap Keep, and takes the ids out of audit-log rows older than the
  retention period.
- Any message or tap from a volunteer is contact: it keeps them (noted at most daily), and, once a
  new privacy notice is published, asks them once to agree to it again.
- /retention shows the rule and how many it touches; an admin sets the campaign's end there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.domain.retention import Due, Rule, contact_worth_noting, lifts_expire_before
from bot.domain.volunteers import Purpose, Volunteer
from bot.services import privacy
from bot.services import volunteers as volunteer_choices
from db import audit, lifts, outbox, polling, retention, volunteers
from db.outbox import Outgoing

# /retention counts who is to be warned this far ahead.
LOOK_AHEAD = timedelta(days=30)


async def publish_notice(conn: AsyncConnection, notice_version: str) -> None:
    """The privacy notice the bot shows from now on (PRIVACY_NOTICE_VERSION, at start-up):
    volunteers who agreed to another get no shift calls until they agree to this one."""
    if (await retention.policy(conn)).notice_version != notice_version:
        await retention.set_policy(conn, notice_version=notice_version)


async def rule(conn: AsyncConnection, months: int) -> Rule:
    return Rule(months, (await retention.policy(conn)).campaign_ends_at)


async def note_contact(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, notice_version: str
) -> bool:
    """They messaged or tapped: note it, and say whether to ask them (once) to agree to the
    privacy notice as it is now. :func:`as_noted` is them afterwards."""
    if contact_worth_noting(volunteer.last_contact_at, volunteer.retention_warned_at, at):
        await retention.touch(conn, volunteer.id, at)
    ask = _to_ask(volunteer, notice_version)
    if ask:
        await volunteers.update_fields(conn, volunteer.id, notice_asked=notice_version)
    return ask


def as_noted(volunteer: Volunteer, at: datetime, notice_version: str) -> Volunteer:
    """``volunteer`` as :func:`note_contact` leaves them, without reading them again."""
    if contact_worth_noting(volunteer.last_contact_at, volunteer.retention_warned_at, at):
        volunteer = replace(volunteer, last_contact_at=at)
    if _to_ask(volunteer, notice_version):
        volunteer = replace(volunteer, notice_asked=notice_version)
    return volunteer


def needs_to_note(volunteer: Volunteer, at: datetime, notice_version: str) -> bool:
    """Whether ``note_contact`` would change anything: most taps need no write at all."""
    return contact_worth_noting(
        volunteer.last_contact_at, volunteer.retention_warned_at, at
    ) or _to_ask(volunteer, notice_version)


def _to_ask(volunteer: Volunteer, notice_version: str) -> bool:
    """Asked once per version: after that, /start shows the notice when they want it."""
    return volunteer.must_agree_again(notice_version) and volunteer.notice_asked != notice_version


async def keep(
    conn: AsyncConnection, at: datetime, volunteer: Volunteer, *, months: int, notice_version: str
) -> None:
    """They tapped Keep: contact, and after the campaign's end the choice to stay on the list
    for future campaigns (the only reason to keep them then)."""
    current = await rule(conn, months)
    if current.campaign_over(at, volunteer.consents_to(Purpose.FUTURE)):
        await volunteer_choices.choose(conn, at, volunteer, Purpose.FUTURE, True, notice_version)
    await retention.touch(conn, volunteer.id, at, retention_warned_at=None)


async def sweep(
    conn: AsyncConnection, at: datetime, *, months: int, admin_ids: frozenset[int], zone: ZoneInfo
) -> None:
    """The daily work: warnings queued in the outbox, erasures, old audit ids taken out, and
    pledges for elections held longer ago than the retention period and lifts of shifts over a
    day ago deleted."""
    current = await rule(conn, months)
    warn: list[int] = []
    messages = []
    # Only those the rule may touch today: reading everyone held the write lock for 1.5 s.
    for person in await retention.people(conn, quiet_since=current.quiet_since(at)):
        due = current.due(
            at,
            last_contact=person.last_contact,
            warned_at=person.warned_at,
            keeps_for_future=person.keeps_for_future,
        )
        if due is Due.WARN:
            warn.append(person.volunteer_id)
            if person.telegram_id is not None:
                over = current.campaign_over(at, person.keeps_for_future)
                text = texts.CAMPAIGN_OVER_WARNING if over else texts.RETENTION_WARNING
                messages.append(
                    Outgoing(
                        person.telegram_id,
                        person.volunteer_id,
                        "retention",
                        text,
                        keyboards.keep().to_dict(),
                    )
                )
        elif due is Due.ERASE:
            volunteer = await volunteers.by_id(conn, person.volunteer_id)
            assert volunteer is not None
            await privacy.forget(conn, at, volunteer=volunteer, admin_ids=admin_ids, zone=zone)
    await retention.warned(conn, warn, at)
    await outbox.enqueue(conn, messages, at=at)
    await retention.strip_old_audit_ids(conn, current.cutoff(at))
    # A pledge says how someone meant to vote with their feet: kept no longer than the rest.
    await polling.forget_pledges_before(conn, current.cutoff(at).astimezone(zone).date())
    await lifts.delete_ended(conn, lifts_expire_before(at))


@dataclass(frozen=True)
class Summary:
    rule: Rule
    warned_now: int
    warned_soon: int
    by_campaign: int


async def summary(conn: AsyncConnection, at: datetime, months: int) -> Summary:
    """For /retention: who waits for Keep now, who is warned in the next 30 days for being
    away, and who at the campaign's end."""
    current = await rule(conn, months)
    away = Rule(months)
    now = soon = by_campaign = 0
    for person in await retention.people(conn):
        if (
            person.warned_at is not None
            and current.due(
                at,
                last_contact=person.last_contact,
                warned_at=person.warned_at,
                keeps_for_future=person.keeps_for_future,
            )
            is not Due.WARN
        ):
            now += 1
            continue
        if away.warn_from(person.last_contact, True) <= at + LOOK_AHEAD:
            soon += 1
        elif current.campaign_ends_at is not None and not person.keeps_for_future:
            by_campaign += 1
    return Summary(current, now, soon, by_campaign)


async def set_campaign_end(
    conn: AsyncConnection, at: datetime, *, by: int, ends_at: datetime | None
) -> None:
    """An admin set (or cleared) the campaign's end: saved, and written to the audit log."""
    await retention.set_policy(conn, campaign_ends_at=ends_at)
    await audit.record(
        conn,
        actor_telegram_id=by,
        action="campaign_end",
        at=at,
        ends_at=ends_at.isoformat() if ends_at else None,
    )
