"""Which messages go first when Telegram's budget is short: the lane of each kind of message.

The lane is read from what a message is (its outbox ``kind``), so the outbox needs no column for
it; the outbox claims its rows lane by lane, and the budget (``bot.budget``) lets waiting sends
go lane by lane.
"""

from __future__ import annotations

from enum import IntEnum


class Lane(IntEnum):
    """Who goes first when the budget is short, lowest first."""

    ANSWER = 0  # the direct answer to the person who acted: the answer, the card edit, a reply
    FOLLOW_UP = 1  # what follows their action: confirmation, venue, calendar file, alerts
    URGENT = 2  # urgent shift calls
    REMINDER = 3  # reminders, nudges, reports and notices from scheduled work or edits
    BULK = 4  # shift calls


# A shift call's message to one volunteer; an urgent call's.
CALL = "callout"
URGENT_CALL = "urgent_call"
# A surge's "Can you come now?" to one volunteer, and the room's map pin after it.
SURGE_ASK = "surge_ask"
SURGE_PIN = "surge_pin"
# "Can you take polling day off?" to one volunteer.
PLEDGE_CALL = "pledge_call"
# An edit of a live polling-day board: urgent, as what it shows is about now.
BOARD_EDIT = "board_edit"

# Kinds not named here follow someone's action (rsvp_*, organiser_alert, call_progress,
# callout_report, role, lift_* suggestions and news, which the other person is waiting on, and
# the room_offer that follows a pledge, the surge_count a surge's manager watches):
# FOLLOW_UP.
KINDS: dict[Lane, tuple[str, ...]] = {
    Lane.URGENT: (URGENT_CALL, BOARD_EDIT, SURGE_ASK, SURGE_PIN),
    Lane.REMINDER: (
        "reminder",
        "checkin",
        "debrief",
        "chaser",
        "report",
        "digest",
        "event_cancelled",
        "shift_cancelled",
        "event_changed",
        "countdown",
    ),
    Lane.BULK: (CALL, PLEDGE_CALL),
}
CALL_KINDS = (CALL, URGENT_CALL)
# Stars a message sent with allow_paid_broadcast costs (Telegram's price).
STARS_PER_PAID_MESSAGE = 0.1


def lane_of(kind: str) -> Lane:
    for lane, kinds in KINDS.items():
        if kind in kinds:
            return lane
    return Lane.FOLLOW_UP


def paid_cost_stars(messages: int) -> float:
    """What sending ``messages`` with allow_paid_broadcast costs, in Telegram Stars."""
    return round(messages * STARS_PER_PAID_MESSAGE, 1)
