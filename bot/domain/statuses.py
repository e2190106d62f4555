"""Every status the database stores, as enums: one spelling of each, found in one place.

They are ``StrEnum``s, so a member is the very string stored in its column and compares equal
to it; rows read back as plain strings still match.
"""

from __future__ import annotations

from enum import StrEnum


class RsvpStatus(StrEnum):
    GOING = "going"
    WAITLISTED = "waitlisted"
    MAYBE = "maybe"
    CANT = "cant"


# What a volunteer can answer; WAITLISTED is where GOING lands when the shift is full.
ANSWERS = (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.CANT)
# Answers that hold or wait for a place, or might: the people to tell when a shift changes.
INTERESTED = (RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.MAYBE)


class EventStatus(StrEnum):
    """Of an event, and of each of its shifts."""

    ACTIVE = "active"
    CANCELLED = "cancelled"


class VolunteerStatus(StrEnum):
    SIGNING_UP = "signing_up"
    ACTIVE = "active"
    FORGOTTEN = "forgotten"


class Attendance(StrEnum):
    """An organiser's correction of who came; with none, a check-in means they came."""

    PRESENT = "present"
    NO_SHOW = "no_show"


class CallStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


class WorkStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    DROPPED = "dropped"
