"""Reports for organisers and coordinators: /summary, /turnout, /export, /chart, /leaderboard; and
volunteers' /showme and /hideme, their choice to be named on the leaderboard.

Who may use what:

- /summary, /turnout and /export (its attendance file): organisers, coordinators and admins, each
  seeing only the areas they act in.
- /export's volunteers file (personal data), /chart and /leaderboard: coordinators and admins, an
  area-limited coordinator seeing only their areas (and only volunteers who answered for them).

The rules live in :mod:`bot.reports`, the queries in :mod:`db.reports`; this module reads the
command, asks, and answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from telegram import InputFile, Update

from bot import clock, texts
from bot.context import MusterContext
from bot.domain import reports
from bot.domain.permissions import Access, Role
from bot.domain.reports import BadPeriod, Period, ShiftFigures
from db import audit
from db import reports as queries
from handlers.common import load_volunteer, requires

# /turnout shows at most this many events; past it, it says how many more there are.
TURNOUT_EVENTS = 5
# Telegram allows 4,096 characters a message; blocks are packed up to this.
MESSAGE_LIMIT = 4000


@dataclass(frozen=True)
class Scope:
    """A report's period and areas (None: every area), and the one area asked for by name."""

    period: Period
    areas: frozenset[str] | None
    area: str | None
    today: date

    @property
    def label(self) -> str:
        return texts.period_label(self.period, self.today)

    def describe(self) -> str:
        return texts.report_scope(self.area, self.areas)


def _today(context: MusterContext) -> date:
    return clock.now().astimezone(context.settings.zone).date()


def _typed(context: MusterContext) -> str:
    return " ".join(context.args or []).strip()


async def _scope(
    update: Update, context: MusterContext, access: Access, role: Role, command: str
) -> Scope | None:
    """The period and area typed after the command, checked against where ``role`` lets this
    person look. Answers and returns None when they can't be used."""
    assert update.effective_message
    message = update.effective_message
    today = _today(context)
    mine = access.areas(role)
    try:
        request = reports.parse_request(_typed(context), today)
    except BadPeriod as bad:
        await message.reply_text(texts.BAD_REPORT_PERIOD[bad.reason])
        return None
    if request.area is None:
        return Scope(request.period, mine, None, today)
    async with context.db.connect() as conn:
        area = await queries.area_named(conn, request.area)
    if area is None:
        await message.reply_text(texts.report_unknown(request.area, command))
        return None
    if not reports.area_allowed(area, mine):
        await message.reply_text(texts.report_not_your_area(area, mine))
        return None
    return Scope(request.period, frozenset({area}), area, today)


async def _figures_so_far(context: MusterContext, scope: Scope) -> list[ShiftFigures]:
    """The shifts of the period that have started: reports are about what happened."""
    start, end = scope.period.bounds(context.settings.zone)
    now = clock.now()
    async with context.db.connect() as conn:
        return await queries.shift_figures(
            conn, at=now, areas=scope.areas, start=start, end=min(end, now)
        )


async def _reply_blocks(update: Update, blocks: Iterable[str]) -> None:
    """Send blocks of text, as few messages as fit; a block too long for one is cut at lines."""
    assert update.effective_message
    message, current = update.effective_message, ""
    for block in blocks:
        for part in _pieces(block):
            if current and len(current) + 2 + len(part) > MESSAGE_LIMIT:
                await message.reply_text(current)
                current = ""
            current = f"{current}\n\n{part}" if current else part
    if current:
        await message.reply_text(current)


def _pieces(block: str) -> list[str]:
    pieces, current = [], ""
    for line in block.split("\n"):
        if current and len(current) + 1 + len(line) > MESSAGE_LIMIT:
            pieces.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*pieces, current]


# --- /summary ------------------------------------------------------------------------------------


@requires(Role.ORGANISER)
async def summary(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    scope = await _scope(update, context, access, Role.ORGANISER, "summary")
    if scope is None:
        return
    figures = await _figures_so_far(context, scope)
    start, end = scope.period.bounds(context.settings.zone)
    async with context.db.connect() as conn:
        joined = await queries.sign_ups(
            conn, start=start, end=min(end, clock.now()), areas=scope.areas
        )
    await update.effective_message.reply_text(
        texts.summary(
            scope.label,
            scope.describe(),
            reports.totals(figures, joined),
            within_areas=scope.areas is not None,
        )
    )


# --- /turnout ------------------------------------------------------------------------------------


@requires(Role.ORGANISER)
async def turnout(update: Update, context: MusterContext, access: Access) -> None:
    """Per shift: said going, came, no-shows, doors; for events found by title words, the shifts
    of a day or period, or an area's recent shifts."""
    assert update.effective_message
    message = update.effective_message
    typed = _typed(context)
    if not typed:
        await message.reply_text(texts.TURNOUT_USAGE)
        return
    zone, now, today = context.settings.zone, clock.now(), _today(context)
    mine = access.areas(Role.ORGANISER)
    try:
        request = reports.parse_request(typed, today)
    except BadPeriod as bad:
        await message.reply_text(texts.BAD_REPORT_PERIOD[bad.reason])
        return
    start, end = request.period.bounds(zone)
    # A period was typed when the words were not all taken as an area.
    period_given = request.area != " ".join(typed.split())
    more = 0
    async with context.db.connect() as conn:
        area = await queries.area_named(conn, request.area) if request.area else None
        if area is not None and not reports.area_allowed(area, mine):
            await message.reply_text(texts.report_not_your_area(area, mine))
            return
        if request.area is None or area is not None:
            # A period, an area, or both: every shift in it, upcoming ones too.
            figures = await queries.shift_figures(
                conn, at=now, areas=mine if area is None else [area], start=start, end=end
            )
            event_ids = list(dict.fromkeys(f.event_id for f in figures))
        else:
            # Words from a title, perhaps with a period: the events nearest in time first.
            found = await queries.events_titled(conn, request.area.split(), areas=mine, at=now)
            event_ids, more = found[:TURNOUT_EVENTS], max(len(found) - TURNOUT_EVENTS, 0)
            figures = await queries.shift_figures(
                conn,
                at=now,
                areas=mine,
                event_ids=event_ids,
                start=start if period_given else None,
                end=end if period_given else None,
            )
    if not figures:
        await message.reply_text(texts.turnout_none(typed))
        return
    if request.area is None or area is not None:
        more = max(len(event_ids) - TURNOUT_EVENTS, 0)
        event_ids = event_ids[:TURNOUT_EVENTS]
    blocks = []
    for event_id in event_ids:
        mine_shifts = [f for f in figures if f.event_id == event_id]
        if mine_shifts:
            first = mine_shifts[0]
            blocks.append(
                texts.turnout_event(
                    first.title,
                    first.area,
                    [texts.turnout_shift(f, zone, now) for f in mine_shifts],
                )
            )
    if more:
        blocks.append(texts.turnout_more(more))
    await _reply_blocks(update, blocks)


# --- /export -------------------------------------------------------------------------------------


def _file_day(day: date) -> str:
    return f"{day:%Y-%m-%d}"


@requires(Role.ORGANISER)
async def export(update: Update, context: MusterContext, access: Access) -> None:
    """The attendance per shift as CSV; for coordinators and admins also the volunteers with their
    consent, recorded in the audit log."""
    assert update.effective_message and update.effective_user
    message = update.effective_message
    scope = await _scope(update, context, access, Role.ORGANISER, "export")
    if scope is None:
        return
    zone = context.settings.zone
    figures = await _figures_so_far(context, scope)
    # Personal data is for coordinators, within the areas they coordinate.
    people_areas = access.areas(Role.COORDINATOR)
    with_people = access.has(Role.COORDINATOR) and (
        scope.area is None or reports.area_allowed(scope.area, people_areas)
    )
    if with_people and scope.area is not None:
        people_areas = frozenset({scope.area})
    files = ["attendance"] if figures else []
    async with context.db.begin() as conn:
        people = await queries.volunteer_records(conn, areas=people_areas) if with_people else []
        if with_people:
            files.append("volunteers")
        await audit.record(
            conn,
            actor_telegram_id=update.effective_user.id,
            action="export",
            files=files,
            shifts=len(figures),
            volunteers=len(people) if with_people else None,
            first=scope.period.first.isoformat(),
            last=scope.period.last.isoformat(),
            areas=sorted(scope.areas) if scope.areas is not None else None,
            at=clock.now(),
        )
    period = scope.label
    span = f"{_file_day(scope.period.first)}-to-{_file_day(scope.period.last)}"
    if figures:
        await message.reply_document(
            InputFile(
                reports.attendance_csv(figures, zone), filename=f"muster-attendance-{span}.csv"
            ),
            caption=texts.export_attendance_caption(period, len(figures)),
        )
    else:
        await message.reply_text(texts.export_no_shifts(period))
    if with_people:
        await message.reply_document(
            InputFile(
                reports.volunteers_csv(people, zone),
                filename=f"muster-volunteers-{_file_day(scope.today)}.csv",
            ),
            caption=texts.export_volunteers_caption(len(people)),
        )


# --- /chart --------------------------------------------------------------------------------------


@requires(Role.COORDINATOR)
async def chart(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    scope = await _scope(update, context, access, Role.COORDINATOR, "chart")
    if scope is None:
        return
    figures = await _figures_so_far(context, scope)
    bars = reports.chart_bars(figures, context.settings.zone, week_prefix=texts.CHART_WEEK)
    if not reports.has_data(bars):
        await update.effective_message.reply_text(texts.chart_nothing(scope.label))
        return
    # Drawing takes a moment: off the event loop, so other people's taps are not kept waiting.
    png = await asyncio.to_thread(
        reports.draw_chart,
        bars,
        title=texts.chart_title(scope.label),
        going_label=texts.CHART_GOING,
        came_label=texts.CHART_CAME,
        axis_label=texts.CHART_AXIS,
    )
    await update.effective_message.reply_photo(
        InputFile(png, filename="muster-turnout.png"),
        caption=texts.chart_caption(scope.label, scope.describe()),
    )


# --- /leaderboard, /showme, /hideme --------------------------------------------------------------


@requires(Role.COORDINATOR)
async def leaderboard(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    scope = await _scope(update, context, access, Role.COORDINATOR, "leaderboard")
    if scope is None:
        return
    start, end = scope.period.bounds(context.settings.zone)
    async with context.db.connect() as conn:
        lines = await queries.leaderboard(
            conn, start=start, end=min(end, clock.now()), areas=scope.areas
        )
    if not lines:
        await update.effective_message.reply_text(texts.leaderboard_nothing(scope.label))
        return
    await update.effective_message.reply_text(
        texts.leaderboard(scope.label, scope.describe(), lines)
    )


async def _set_shown(update: Update, context: MusterContext, shown: bool) -> None:
    assert update.effective_message and update.effective_user
    async with context.db.begin() as conn:
        volunteer = await load_volunteer(conn, update.effective_user)
        if volunteer is not None and volunteer.signed_up:
            await queries.set_on_leaderboard(conn, volunteer.id, shown)
    if volunteer is None or not volunteer.signed_up:
        await update.effective_message.reply_text(texts.NOT_SIGNED_UP)
        return
    await update.effective_message.reply_text(
        texts.SHOWN_ON_LEADERBOARD if shown else texts.HIDDEN_FROM_LEADERBOARD
    )


async def showme(update: Update, context: MusterContext) -> None:
    await _set_shown(update, context, True)


async def hideme(update: Update, context: MusterContext) -> None:
    await _set_shown(update, context, False)
