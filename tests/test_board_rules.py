"""The live board's rules: what a committee room's line counts, short rooms first, the text
(figures only, no names; local times), and its edits in the urgent lane of the one budget, which
holds a group to its messages a minute."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.budget import Budget
from bot.domain.board import (
    OnShift,
    RoomLine,
    RoomShift,
    fingerprint,
    next_turn,
    ordered,
    room_line,
    wanted,
)
from bot.domain.polling import Election
from bot.domain.sending import BOARD_EDIT, Lane, lane_of

ZONE = ZoneInfo("Europe/London")
NINE = datetime(2027, 5, 6, 8, 0, tzinfo=UTC)  # 09:00 BST
MORNING = RoomShift(1, NINE - timedelta(hours=2), NINE + timedelta(hours=3), 4)
AFTERNOON = RoomShift(2, NINE + timedelta(hours=3), NINE + timedelta(hours=8), 6)


def _line(title: str, here: int, wanted_now: int) -> RoomLine:
    return RoomLine(len(title), title, here, 0, 0, wanted_now, 0, None, 0, 0)


def test_a_rooms_line_counts_in_out_back_expected_not_arrived_and_doors() -> None:
    people = [
        OnShift(1, came=True, out=False, rounds_back=0, doors=0),
        OnShift(1, came=True, out=True, rounds_back=1, doors=30),
        OnShift(1, came=True, out=False, rounds_back=2, doors=55),
        OnShift(1, came=False, out=False, rounds_back=0, doors=0),
        OnShift(2, came=False, out=False, rounds_back=0, doors=0),
        OnShift(2, came=False, out=False, rounds_back=0, doors=0),
        OnShift(2, came=True, out=False, rounds_back=0, doors=0),  # early for the afternoon
    ]
    line = room_line(7, "Peckham", [MORNING, AFTERNOON], people, NINE)
    assert (line.here, line.out, line.back, line.not_arrived) == (4, 1, 1, 1)
    assert (line.wanted, line.short) == (4, 0)
    assert (line.next_starts, line.expected, line.doors) == (AFTERNOON.starts_at, 3, 85)
    # After the morning shift, its helpers are no longer in; nobody has come for the afternoon.
    later = room_line(7, "Peckham", [MORNING, AFTERNOON], people[:4], AFTERNOON.starts_at)
    assert (later.here, later.wanted, later.short, later.next_starts) == (0, 6, 6, None)


def test_the_target_wins_over_places_and_short_rooms_come_first() -> None:
    assert wanted(8, 20) == 8
    assert wanted(None, 20) == 20
    rooms = [
        _line("Brixton", 5, 5),
        _line("Camberwell", 1, 4),
        _line("Anerley", 0, 0),
        _line("Deptford", 2, 4),
        _line("Peckham", 0, 6),
    ]
    assert [r.title for r in ordered(rooms)] == [
        "Peckham",
        "Camberwell",
        "Deptford",
        "Anerley",
        "Brixton",
    ]


def test_the_board_text_has_figures_and_local_times_and_its_fingerprint_ignores_the_hour() -> None:
    election = Election(1, "Peckham by-election", date(2027, 5, 6), time(7), time(22), ("Peckham",))
    line = room_line(
        7, "Peckham committee room", [MORNING, AFTERNOON], [OnShift(1, True, True, 0, 12)], NINE
    )
    body = texts.board_body([line], ZONE)
    assert body == (
        "⚠️ <b>Peckham committee room</b>: 3 short\n"
        "In 1 of 4 · out on rounds 1 · back 0\n"
        "Next shift 12:00: 0 expected · doors 12"
    )
    text = texts.board(election, body, NINE, ZONE, every=2, state="live")
    assert text.startswith("📋 <b>Board: Peckham by-election</b>")
    assert "Last change 09:00, checked every 2 min" in text
    assert texts.board_body([], ZONE) == "No committee rooms yet."
    assert fingerprint(body) == fingerprint(body) != fingerprint(body + " ")


def test_board_edits_go_in_the_urgent_lane() -> None:
    assert lane_of(BOARD_EDIT) == Lane.URGENT


async def test_the_one_budget_holds_a_groups_board_edits_to_its_messages_a_minute() -> None:
    budget = Budget(rate=0, per_chat=0, group_per_minute=3)
    group = -100_777
    for _ in range(3):
        async with budget.slot(group, lane_of(BOARD_EDIT)):
            pass
    # The group's fourth message this minute waits; a private chat's does not.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await budget.turn(group, lane_of(BOARD_EDIT))
    async with asyncio.timeout(0.2), budget.slot(20_001, lane_of(BOARD_EDIT)):
        pass


def test_a_board_is_brought_up_to_date_every_few_minutes_and_at_the_close_of_polls() -> None:
    closes = datetime(2027, 5, 6, 21, 0, tzinfo=UTC)
    assert next_turn(closes - timedelta(minutes=10), 2, closes) == closes - timedelta(minutes=8)
    assert next_turn(closes - timedelta(minutes=1), 2, closes) == closes
    assert next_turn(closes - timedelta(seconds=5), 2, closes) == closes
