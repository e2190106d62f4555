"""How long a volunteer's details are kept: the rule the daily retention work applies.

A volunteer who has not answered, come to a session or opened the bot for ``months`` is warned 14
days before that time is up, and erased 14 days after the warning unless they tap Keep. When an
admin has set the campaign's end, volunteers who did not choose to stay on the list for future
campaigns are warned at that end instead (if sooner), and only Keep, which records that choice,
saves them: merely opening the bot does not.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# The warning comes this long before deletion.
NOTICE = timedelta(days=14)


class Due(StrEnum):
    WARN = "warn"
    ERASE = "erase"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the month's last day when it has fewer days)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


@dataclass(frozen=True)
class Rule:
    months: int
    campaign_ends_at: datetime | None = None

    def cutoff(self, at: datetime) -> datetime:
        """Anything older than this is past the retention period (audit-log ids, for one)."""
        return add_months(at, -self.months)

    def campaign_over(self, at: datetime, keeps_for_future: bool) -> bool:
        return (
            self.campaign_ends_at is not None
            and not keeps_for_future
            and at >= self.campaign_ends_at
        )

    def warn_from(self, last_contact: datetime, keeps_for_future: bool) -> datetime:
        """When a volunteer last in touch at ``last_contact`` is to be warned."""
        warn = add_months(last_contact, self.months) - NOTICE
        if self.campaign_ends_at is not None and not keeps_for_future:
            warn = min(warn, self.campaign_ends_at)
        return warn

    def quiet_since(self, at: datetime) -> datetime | None:
        """Nobody in touch after this is due anything at ``at`` (their warning is still to come),
        so the daily work need look at no one else; None once the campaign is over, when everyone
        not staying on for future campaigns is due. A month-end is moved earlier by up to three
        days by add_months, hence the margin."""
        if self.campaign_ends_at is not None and at >= self.campaign_ends_at:
            return None
        return add_months(at + NOTICE, -self.months) + timedelta(days=4)

    def due(
        self,
        at: datetime,
        *,
        last_contact: datetime,
        warned_at: datetime | None,
        keeps_for_future: bool,
    ) -> Due | None:
        """What is due for one volunteer at ``at``: a warning, erasure, or nothing. Contact after
        a warning for being away voids it; after the campaign's end only Keep does."""
        if at < self.warn_from(last_contact, keeps_for_future):
            return None
        campaign_over = self.campaign_over(at, keeps_for_future)
        if warned_at is None or (not campaign_over and last_contact > warned_at):
            return Due.WARN
        return Due.ERASE if at >= warned_at + NOTICE else None


# Lifts offered and asked for, and who was paired with whom, are kept this long after their
# shift ends (as the roster keeps the shift), then deleted by the daily work: they are needed
# only to get there.
LIFTS_KEPT = timedelta(days=1)


def lifts_expire_before(at: datetime) -> datetime:
    """Lifts of shifts that ended before this are deleted."""
    return at - LIFTS_KEPT


# Opening the bot is noted at most this often, so that not every tap is a write; Keep and any
# contact after a warning are always noted.
CONTACT_GRAIN = timedelta(days=1)


def contact_worth_noting(
    last_contact: datetime | None, warned_at: datetime | None, at: datetime
) -> bool:
    if last_contact is None or at - last_contact >= CONTACT_GRAIN:
        return True
    return warned_at is not None and last_contact <= warned_at


def campaign_end(last_day: date, zone: ZoneInfo) -> datetime:
    """The moment a campaign whose last day is ``last_day`` is over: midnight after it, local."""
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def last_day(ends_at: datetime, zone: ZoneInfo) -> date:
    return (ends_at.astimezone(zone) - timedelta(days=1)).date()
