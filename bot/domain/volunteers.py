"""A volunteer as the rules see them: who they are, what they answered at sign-up, and whether
the bot can reach them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.places import PlaceSource
from bot.domain.signup import Step
from bot.domain.statuses import VolunteerStatus


def can_message(telegram_id: int | None, unreachable_at: datetime | None) -> bool:
    """The one rule for whether the bot can message someone: we still have their Telegram id
    (``/forget`` erases it) and they have not blocked the bot. Being on a shift does not depend
    on it: someone who blocked the bot still came, or didn't. The same rule in SQL is
    ``db.volunteers.CAN_MESSAGE``."""
    return telegram_id is not None and unreachable_at is None


class Purpose(StrEnum):
    """What a volunteer's details are used for. Being called to sessions is the core purpose, agreed
    to with the privacy notice; the others are separate choices, off unless they say yes."""

    VOLUNTEERING = "volunteering"
    PHONE = "phone"
    LEADERBOARD = "leaderboard"
    FUTURE = "future_campaigns"


OPTIONAL_PURPOSES = (Purpose.PHONE, Purpose.LEADERBOARD, Purpose.FUTURE)


@dataclass(frozen=True)
class Volunteer:
    id: int
    telegram_id: int | None
    username: str | None
    name: str | None
    postcode: str | None
    latitude: float | None
    longitude: float | None
    location_source: PlaceSource | None
    phone: str | None
    status: str
    step: Step | None
    editing: bool
    start_payload: str | None
    paused: bool
    paused_until: datetime | None
    created_at: datetime
    signed_up_at: datetime | None
    forgotten_at: datetime | None
    unreachable_at: datetime | None
    on_leaderboard: bool
    last_contact_at: datetime | None
    retention_warned_at: datetime | None
    notice_asked: str | None
    availability: frozenset[str] = field(default_factory=frozenset)
    activities: frozenset[str] = field(default_factory=frozenset)
    # The privacy notice version they last agreed to (None once withdrawn), and their latest
    # choice for each optional purpose (absent: never asked, which counts as no).
    agreed_notice: str | None = None
    consents: dict[Purpose, bool] = field(default_factory=dict)

    @property
    def signed_up(self) -> bool:
        return self.status == VolunteerStatus.ACTIVE

    def is_paused(self, at: datetime) -> bool:
        return self.paused and (self.paused_until is None or self.paused_until > at)

    def must_agree_again(self, notice_version: str) -> bool:
        """Signed up, but not to the privacy notice as it is now: no shift calls until they agree
        (``db.volunteers.AGREED_TO_NOTICE`` in SQL)."""
        return self.signed_up and self.agreed_notice != notice_version

    def consents_to(self, purpose: Purpose) -> bool:
        return self.consents.get(purpose, False)

    def choices(self, step: Step) -> frozenset[str]:
        return self.availability if step is Step.AVAILABILITY else self.activities
