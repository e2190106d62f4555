"""Running one piece of due scheduled work: what each kind produces, queued in the outbox in the
caller's transaction, so the work is marked done exactly when its messages are queued.

- reminder: the day before, "Still coming?" with buttons; nearer the time, the meeting point (on
  the map where the event has a pin), to those going.
- check-in: a prompt to those going who have not checked in.
- debrief: asks those who came how many doors they knocked; at a committee room, where rounds
  counted the doors, only whether there is anything to report.
- turnout and final reports, and the staffing forecast when it falls short: to the organisers.
- chaser: to those a call reached who have answered none of its shifts; when the call's answers
  close, a report to the organisers.
- digest: yesterday's shifts and the week ahead, to each admin and coordinator for their areas.
- countdown: a week before polling day, the day before and on the morning, to those who
  pledged (bot.services.polling).
- polls_closed: at the close of polls, the polling-day report to the organisers and coordinators
  of the election's areas (bot.services.closing).
- board: a live polling-day board's next edit, and the turn after it (bot.services.board).
- retention: daily, warns volunteers whose details are due to go and erases those who did not
  tap Keep (bot.services.retention).

Work that fell due while the bot was down is done if it still means something (bot.domain.planning)
and skipped if not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts, timefmt
from bot.domain.events import Event, Shift
from bot.domain.permissions import Role
from bot.domain.planning import ASK_STILL_COMING_FROM, Kind, expected_turnout, still_meaningful
from bot.domain.reports import Named, area_allowed, tally, turnout
from bot.domain.rounds import Round, is_committee_room
from bot.domain.rounds import tally as round_tally
from bot.domain.statuses import RsvpStatus, WorkStatus
from bot.services import actors, board, closing, polling, retention, surge
from bot.settings import Settings
from db import attendance, callouts, cards, events, outbox, roles, rounds, rsvps
from db import reports as report_queries
from db.callouts import Callout
from db.outbox import Outgoing
from db.work import Work


async def _organisers(conn: AsyncConnection, event: Event) -> list[int]:
    return await roles.organisers_of(conn, event.area, event.created_by)


def _to(people: list[int], kind: str, text: str, markup: object = None) -> list[Outgoing]:
    return [
        Outgoing(
            chat_id=p,
            volunteer_id=None,
            kind=kind,
            text=text,
            reply_markup=markup.to_dict() if markup is not None else None,
        )  # type: ignore[attr-defined]
        for p in people
    ]


async def _reminder(
    conn: AsyncConnection, settings: Settings, item: Work, shift: Shift, event: Event
) -> list[Outgoing]:
    """The day before: "Still coming?" with buttons. Nearer the time: the meeting point, on the
    map where the event has a pin."""
    zone = settings.zone
    ahead = timedelta(minutes=int(item.detail.removesuffix("m") or 0)) >= ASK_STILL_COMING_FROM
    messages = []
    for person in await attendance.reachable_going(conn, shift.id):
        assert person.telegram_id is not None
        if ahead:
            messages.append(
                Outgoing(
                    person.telegram_id,
                    person.volunteer_id,
                    "reminder",
                    texts.reminder_ahead(shift, event, zone),
                    keyboards.still_coming(shift.id).to_dict(),
                    card=cards.marker(cards.REMINDER, event.id, [shift.id]),
                )
            )
            continue
        messages.append(
            Outgoing(
                person.telegram_id,
                person.volunteer_id,
                "reminder",
                texts.reminder_soon(shift, event, zone),
                card=cards.marker(cards.SOON, event.id, [shift.id]),
            )
        )
        if event.has_location:
            messages.append(
                Outgoing(
                    person.telegram_id,
                    person.volunteer_id,
                    "reminder",
                    "",
                    venue={
                        "latitude": event.latitude,
                        "longitude": event.longitude,
                        "title": event.title,
                        "address": event.address or event.area,
                    },
                )
            )
    return messages


async def _checkin(
    conn: AsyncConnection, settings: Settings, item: Work, shift: Shift, event: Event
) -> list[Outgoing]:
    text = texts.checkin_prompt(shift, event, settings.zone)
    markup = keyboards.check_in(shift.id).to_dict()
    card = cards.marker(cards.CHECKIN, event.id, [shift.id])
    return [
        Outgoing(p.telegram_id, p.volunteer_id, "checkin", text, markup, card=card)  # type: ignore[arg-type]
        for p in await attendance.reachable_going(conn, shift.id)
        if not p.came
    ]


async def _debrief(
    conn: AsyncConnection, settings: Settings, item: Work, shift: Shift, event: Event
) -> list[Outgoing]:
    """ "How many doors?" to those who came and have not said. At a committee room, whose
    doors each knock-up round counted when they came back, only whether there is anything to
    report; and to someone still out, that Back (on this message too) will ask for the doors
    of the round they are on."""
    text, markup = texts.debrief_prompt(event), keyboards.doors(shift.id).to_dict()
    card = cards.marker(cards.DEBRIEF, event.id, [shift.id])
    by_helper: dict[int, list[Round]] = {}
    if is_committee_room(event.kind):
        for done in await rounds.rounds_of(conn, shift_id=shift.id):
            by_helper.setdefault(done.volunteer_id, []).append(done)
    messages = []
    for p in await attendance.reachable_going(conn, shift.id):
        assert p.telegram_id is not None
        theirs = by_helper.get(p.volunteer_id)
        if not p.came or (theirs is None and p.doors is not None):
            continue
        if theirs is None:
            messages.append(
                Outgoing(p.telegram_id, p.volunteer_id, "debrief", text, markup, card=card)
            )
        elif any(r.out for r in theirs):
            back = keyboards.back_from_round(shift.id).to_dict()
            messages.append(
                Outgoing(
                    p.telegram_id, p.volunteer_id, "debrief", texts.still_out_debrief(event), back
                )
            )
        else:
            note = keyboards.room_debrief(shift.id).to_dict()
            said = texts.room_debrief(event, round_tally(theirs))
            messages.append(Outgoing(p.telegram_id, p.volunteer_id, "debrief", said, note))
    return messages


def _named(people: list[attendance.OnShift], *, over: bool) -> Named:
    return tally(((p.name or "?", p) for p in people), over=over)


async def _turnout(
    conn: AsyncConnection, settings: Settings, item: Work, shift: Shift, event: Event
) -> list[Outgoing]:
    named = _named(await attendance.people(conn, shift.id), over=False)
    text = texts.turnout_report(shift, event, settings.zone, named)
    return _to(await _organisers(conn, event), "report", text)


async def _final(
    conn: AsyncConnection, settings: Settings, item: Work, shift: Shift, event: Event
) -> list[Outgoing]:
    people = await attendance.people(conn, shift.id)
    doors = sum(p.doors or 0 for p in people if p.came)
    text = texts.final_report(shift, event, settings.zone, _named(people, over=True), doors)
    return _to(await _organisers(conn, event), "report", text)


async def _forecast(
    conn: AsyncConnection, settings: Settings, item: Work, shift: Shift, event: Event
) -> list[Outgoing]:
    going = [p for p in await attendance.people(conn, shift.id) if p.status == RsvpStatus.GOING]
    rates = await attendance.show_rates(conn, [p.volunteer_id for p in going], shift.starts_at)
    expected = expected_turnout(
        rates.get(p.volunteer_id, settings.newcomer_show_rate) for p in going
    )
    needed = max(shift.capacity, event.min_helpers or 0)
    if expected >= needed:
        return []
    text = texts.forecast_warning(shift, event, settings.zone, expected, needed)
    return _to(await _organisers(conn, event), "report", text, keyboards.top_up(shift.id))


ShiftWork = Callable[[AsyncConnection, Settings, Work, Shift, Event], Awaitable[list[Outgoing]]]
FOR_SHIFTS: dict[Kind, ShiftWork] = {
    Kind.REMINDER: _reminder,
    Kind.CHECKIN: _checkin,
    Kind.DEBRIEF: _debrief,
    Kind.TURNOUT: _turnout,
    Kind.FINAL: _final,
    Kind.FORECAST: _forecast,
}


async def _call_work(
    conn: AsyncConnection, at: datetime, settings: Settings, item: Work, call: Callout
) -> list[Outgoing]:
    event = await events.by_id(conn, call.event_id)
    call_shifts = [s for s in await events.shifts_by_ids(conn, call.shift_ids) if s.open_at(at)]
    if event is None or not call_shifts:
        return []
    if item.kind is Kind.CHASER:
        assert call.rsvp_deadline is not None  # only calls with a deadline get a chaser
        markup = keyboards.rsvp(call_shifts, event.id, settings.zone).to_dict()
        text = texts.chaser(event, call.rsvp_deadline, settings.zone)
        card = cards.marker(cards.EVENT, event.id, [s.id for s in call_shifts])
        # The database queues a row for each of the silent, with their own chat and volunteer
        # (the ones here are placeholders): as many as a call reached, too many to build here.
        chaser = Outgoing(0, None, "chaser", text, markup, card=card)
        await callouts.chase(conn, call, at, chaser)
        return []
    counts = [(shift, await rsvps.answers_by_status(conn, shift.id)) for shift in call_shifts]
    silent = await callouts.count_silent(conn, call, at)
    text = texts.close_report(event, counts, silent, settings.zone)
    return _to(await _organisers(conn, event), "report", text)


async def _digest(
    conn: AsyncConnection, at: datetime, settings: Settings, item: Work
) -> list[Outgoing]:
    zone = settings.zone
    today = date.fromisoformat(item.detail)
    midnight = datetime.combine(today, time(0), tzinfo=zone).astimezone(UTC)
    yesterday = datetime.combine(today - timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    # Admins and coordinators, each seeing their own areas (the same rule as everywhere).
    telegram_ids = set(settings.admin_ids) | {
        g.telegram_id
        for g in await roles.all_grants(conn)
        if g.role == Role.COORDINATOR and g.telegram_id
    }
    readers = {
        telegram_id: (await actors.access(conn, settings.admin_ids, telegram_id)).areas(
            Role.COORDINATOR
        )
        for telegram_id in telegram_ids
    }
    # Every area's lines are read once, from each shift's totals, and each reader gets theirs:
    # reading everyone on every shift for each reader took a third of a second at 100,000
    # volunteers. Yesterday's shifts are all over, whatever the hour the digest goes out at.
    past = await report_queries.shift_figures(
        conn, at=at, areas=None, start=yesterday, end=midnight
    )
    doors = await attendance.doors_of_those_who_came(conn, [f.shift_id for f in past])
    ahead = await events.starting_between(conn, at, at + timedelta(days=7))
    messages = []
    for telegram_id, areas in sorted(readers.items()):
        past_lines = [
            (
                f"{timefmt.day_and_time(f.starts_at, zone)} {f.title}",
                turnout(f.going, f.kept, f.walk_ins, f.late, over=True),
                doors.get(f.shift_id, 0),
            )
            for f in past
            if area_allowed(f.area, areas)
        ]
        ahead_lines = [
            (
                f"{timefmt.day_and_time(shift.starts_at, zone)} {event.title}",
                shift.going,
                shift.capacity,
            )
            for shift, event in ahead
            if area_allowed(event.area, areas)
        ]
        text = texts.digest(timefmt.day(midnight, zone), past_lines, ahead_lines)
        messages.append(Outgoing(telegram_id, None, "digest", text))
    return messages


async def run(
    conn: AsyncConnection, at: datetime, settings: Settings, item: Work, *, bot_username: str
) -> WorkStatus:
    """Do one piece of due work in the caller's transaction, queueing its messages in the
    outbox; returns its final status (skipped when it no longer means anything at ``at``).
    ``bot_username``: for the share links some messages carry."""
    if item.kind is Kind.COUNTDOWN:
        found = await polling.countdown(
            conn,
            at,
            detail=item.detail,
            due_at=item.due_at,
            zone=settings.zone,
            bot_username=bot_username,
        )
        if found is None:
            return WorkStatus.SKIPPED
        await outbox.enqueue(conn, found, at=at)
        return WorkStatus.DONE
    if item.kind is Kind.POLLS_CLOSED:
        report = await closing.close_of_polls(
            conn, at, settings, detail=item.detail, due_at=item.due_at
        )
        if report is None:
            return WorkStatus.SKIPPED
        await outbox.enqueue(conn, report, at=at)
        return WorkStatus.DONE
    if item.kind is Kind.BOARD:
        return await board.refresh(
            conn, at, item.detail, settings.zone, every=settings.board_every_minutes
        )
    if item.kind is Kind.SURGE:
        asked = await surge.next_batch(conn, at, item.detail, settings)
        return WorkStatus.DONE if asked else WorkStatus.SKIPPED
    if item.kind is Kind.RETENTION:
        await retention.sweep(
            conn,
            at,
            months=settings.retention_months,
            admin_ids=settings.admin_ids,
            zone=settings.zone,
        )
        return WorkStatus.DONE
    if item.kind is Kind.DIGEST:
        if not still_meaningful(
            item.kind, at, starts_at=item.due_at, ends_at=item.due_at, deadline=None
        ):
            return WorkStatus.SKIPPED
        messages = await _digest(conn, at, settings, item)
    elif item.shift_id is not None:
        (shift,) = await events.shifts_by_ids(conn, [item.shift_id])
        event = await events.by_id(conn, shift.event_id)
        assert event is not None
        if not still_meaningful(
            item.kind, at, starts_at=shift.starts_at, ends_at=shift.ends_at, deadline=None
        ):
            return WorkStatus.SKIPPED
        messages = await FOR_SHIFTS[item.kind](conn, settings, item, shift, event)
    else:
        assert item.callout_id is not None
        call = await callouts.by_id(conn, item.callout_id)
        assert call is not None
        starts = min(
            (s.starts_at for s in await events.shifts_by_ids(conn, call.shift_ids)), default=None
        )
        if starts is None or not still_meaningful(
            item.kind, at, starts_at=starts, ends_at=starts, deadline=call.rsvp_deadline
        ):
            return WorkStatus.SKIPPED
        messages = await _call_work(conn, at, settings, item, call)
    await outbox.enqueue(conn, messages, at=at)
    return WorkStatus.DONE
