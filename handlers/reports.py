"""Reports for organisers and coordinators: /summary, /turnout, /export, /chart, /leaderboard; and
volunteers' /showme and /hideme, their choice to be named on the leaderboard.

Who may use what:

- /summary, /turnout and /export (its attendance file): organisers, coordinators and admins, each
  seeing only the areas they act in.
- /export's volunteers file (personal data), /chart and /leaderboard: coordinators and admins, an
  area-limited coordinator seeing only their areas (and only volunteers who answered for them).

The rules live in :mod:`bot.domain.reports`, the use cases in :mod:`bot.services.reports`; this
module reads the command, asks, and answers.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from telegram import InputFile, Message, Update

from bot import clock, texts
from bot.context import MusterContext
from bot.domain import closing, reports
from bot.domain.permissions import Access, Role
from bot.domain.reports import BadPeriod, Request
from bot.services import closing as polling_day
from bot.services import reports as svc
from handlers.common import load_volunteer, not_signed_up, reply_blocks, requires


def _label(scope: svc.Scope, today: date) -> str:
    return texts.period_label(scope.period, today)


def _describe(scope: svc.Scope) -> str:
    return texts.report_scope(scope.area, scope.areas)


def _today(context: MusterContext, at: datetime) -> date:
    return at.astimezone(context.settings.zone).date()


def _typed(context: MusterContext) -> str:
    return " ".join(context.args or []).strip()


async def _request(update: Update, context: MusterContext, today: date) -> Request | None:
    """The period and area typed after the command; answers and returns None when the period
    cannot be."""
    assert update.effective_message
    try:
        return reports.parse_request(_typed(context), today)
    except BadPeriod as bad:
        await update.effective_message.reply_text(texts.BAD_REPORT_PERIOD[bad.reason])
        return None


async def _refuse(update: Update, refused: svc.Refused, command: str) -> None:
    assert update.effective_message
    if isinstance(refused, svc.UnknownArea):
        await update.effective_message.reply_text(texts.report_unknown(refused.name, command))
    else:
        await update.effective_message.reply_text(
            texts.report_not_your_area(refused.area, refused.mine)
        )


# --- /summary ------------------------------------------------------------------------------------


async def _election_summary(
    update: Update, context: MusterContext, access: Access, name: str
) -> None:
    """The polling-day report for "/summary election [name]", and its chart when anyone came."""
    assert update.effective_message
    message, zone = update.effective_message, context.settings.zone
    async with context.db.connect() as conn:
        found = await polling_day.summary(conn, clock.now(), zone, access, name)
    if isinstance(found, polling_day.Choose):
        await message.reply_text(texts.election_choose(found.elections, found.name, "summary"))
        return
    for part in texts.polling_report(found.report, closed=found.closed):
        await message.reply_text(part)
    if found.png is not None:
        await message.reply_photo(
            InputFile(found.png, filename="muster-polling-day.png"),
            caption=texts.polling_chart_caption(found.report.election),
        )


@requires(Role.ORGANISER)
async def summary(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    name = closing.election_words(_typed(context))
    if name is not None:
        await _election_summary(update, context, access, name)
        return
    at = clock.now()
    today = _today(context, at)
    request = await _request(update, context, today)
    if request is None:
        return
    async with context.db.connect() as conn:
        found = await svc.summary(
            conn, at, context.settings.zone, request, access.areas(Role.ORGANISER)
        )
    if not isinstance(found, svc.Summary):
        await _refuse(update, found, "summary")
        return
    await update.effective_message.reply_text(
        texts.summary(
            _label(found.scope, today),
            _describe(found.scope),
            found.totals,
            within_areas=found.scope.areas is not None,
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
    zone, at = context.settings.zone, clock.now()
    request = await _request(update, context, _today(context, at))
    if request is None:
        return
    # A period was typed when the words were not all taken as an area.
    period_given = request.area != " ".join(typed.split())
    async with context.db.connect() as conn:
        found = await svc.turnout(
            conn, at, zone, request, access.areas(Role.ORGANISER), period_given=period_given
        )
    if isinstance(found, svc.NotYourArea):
        await _refuse(update, found, "turnout")
        return
    if not found.events:
        await message.reply_text(texts.turnout_none(typed))
        return
    blocks = [
        texts.turnout_event(
            shifts[0].title, shifts[0].area, [texts.turnout_shift(f, zone, at) for f in shifts]
        )
        for shifts in found.events
    ]
    if found.more:
        blocks.append(texts.turnout_more(found.more))
    await reply_blocks(update, blocks)


# --- /export -------------------------------------------------------------------------------------


def _file_day(day: date) -> str:
    return f"{day:%Y-%m-%d}"


async def _election_export(
    update: Update, context: MusterContext, access: Access, name: str
) -> None:
    """The election's room shifts as CSV for "/export election [name]", and for coordinators its
    people."""
    assert update.effective_message
    message, zone = update.effective_message, context.settings.zone
    async with context.db.begin() as conn:
        found = await polling_day.export(conn, clock.now(), zone, access, name)
    if isinstance(found, polling_day.Choose):
        await message.reply_text(texts.election_choose(found.elections, found.name, "export"))
        return
    election = found.report.election
    day = _file_day(election.day)
    sheet = (
        (
            InputFile(
                closing.export_csv(found.report, zone), filename=f"muster-polling-day-{day}.csv"
            ),
            texts.election_export_caption(election, len(found.report.shifts)),
        )
        if found.report.shifts
        else None
    )
    await _send_export(
        message,
        sheet,
        texts.election_export_none(election),
        found.people,
        f"muster-polling-day-volunteers-{day}.csv",
    )


async def _send_export(
    message: Message,
    sheet: tuple[InputFile, str] | None,
    nothing: str,
    people: svc.VolunteersFile | None,
    people_name: str,
) -> None:
    """An export's files: the figures with their caption (or ``nothing``, why there are none),
    then the volunteers file if there is one, closed once sent or if sending fails."""
    try:
        if sheet is not None:
            await message.reply_document(sheet[0], caption=sheet[1])
        else:
            await message.reply_text(nothing)
        if people is not None:
            # From the file as it is sent, 64 kB at a time (PTB's HTTPXRequest hands the file to
            # httpx, which streams it): PTB reads a file whole into memory unless told not to.
            await message.reply_document(
                InputFile(people.file, filename=people_name, read_file_handle=False),
                caption=texts.export_volunteers_caption(people.count),
            )
    finally:
        if people is not None:
            people.file.close()


@requires(Role.ORGANISER)
async def export(update: Update, context: MusterContext, access: Access) -> None:
    """The attendance per shift as CSV; for coordinators and admins also the volunteers with their
    consent, recorded in the audit log; "/export election" the polling day's."""
    assert update.effective_message
    message = update.effective_message
    name = closing.election_words(_typed(context))
    if name is not None:
        await _election_export(update, context, access, name)
        return
    zone, at = context.settings.zone, clock.now()
    today = _today(context, at)
    request = await _request(update, context, today)
    if request is None:
        return
    async with context.db.begin() as conn:
        found = await svc.export(conn, at, zone, request, access)
    if not isinstance(found, svc.Export):
        await _refuse(update, found, "export")
        return
    period = _label(found.scope, today)
    span = f"{_file_day(found.scope.period.first)}-to-{_file_day(found.scope.period.last)}"
    sheet = (
        (
            InputFile(
                reports.attendance_csv(found.figures, zone),
                filename=f"muster-attendance-{span}.csv",
            ),
            texts.export_attendance_caption(period, len(found.figures)),
        )
        if found.figures
        else None
    )
    await _send_export(
        message,
        sheet,
        texts.export_no_shifts(period),
        found.people,
        f"muster-volunteers-{_file_day(today)}.csv",
    )


# --- /chart --------------------------------------------------------------------------------------


@requires(Role.COORDINATOR)
async def chart(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    zone, at = context.settings.zone, clock.now()
    today = _today(context, at)
    request = await _request(update, context, today)
    if request is None:
        return
    async with context.db.connect() as conn:
        found = await svc.chart(conn, at, zone, request, access.areas(Role.COORDINATOR))
    if not isinstance(found, svc.Chart):
        await _refuse(update, found, "chart")
        return
    label = _label(found.scope, today)
    bars = reports.chart_bars(found.figures, zone, week_prefix=texts.CHART_WEEK)
    if not reports.has_data(bars):
        await update.effective_message.reply_text(texts.chart_nothing(label))
        return
    # Drawing takes a moment: off the event loop, so other people's taps are not kept waiting.
    png = await asyncio.to_thread(
        reports.draw_chart,
        bars,
        title=texts.chart_title(label),
        going_label=texts.CHART_GOING,
        came_label=texts.CHART_CAME,
        axis_label=texts.CHART_AXIS,
    )
    await update.effective_message.reply_photo(
        InputFile(png, filename="muster-turnout.png"),
        caption=texts.chart_caption(label, _describe(found.scope)),
    )


# --- /leaderboard, /showme, /hideme --------------------------------------------------------------


@requires(Role.COORDINATOR)
async def leaderboard(update: Update, context: MusterContext, access: Access) -> None:
    assert update.effective_message
    at = clock.now()
    today = _today(context, at)
    request = await _request(update, context, today)
    if request is None:
        return
    async with context.db.connect() as conn:
        found = await svc.leaderboard(
            conn, at, context.settings.zone, request, access.areas(Role.COORDINATOR)
        )
    if not isinstance(found, svc.Leaderboard):
        await _refuse(update, found, "leaderboard")
        return
    label = _label(found.scope, today)
    if not found.lines:
        await update.effective_message.reply_text(texts.leaderboard_nothing(label))
        return
    await update.effective_message.reply_text(
        texts.leaderboard(label, _describe(found.scope), found.lines)
    )


async def _set_shown(update: Update, context: MusterContext, shown: bool) -> None:
    assert update.effective_message and update.effective_user
    user = update.effective_user
    async with context.db.begin() as conn:
        changed = await svc.set_shown(
            conn,
            clock.now(),
            telegram_id=user.id,
            username=user.username,
            shown=shown,
            notice_version=context.settings.privacy_notice_version,
        )
        volunteer = None if changed else await load_volunteer(conn, user)
    if not changed:
        await not_signed_up(update, context, volunteer)
        return
    await update.effective_message.reply_text(
        texts.SHOWN_ON_LEADERBOARD if shown else texts.HIDDEN_FROM_LEADERBOARD
    )


async def showme(update: Update, context: MusterContext) -> None:
    await _set_shown(update, context, True)


async def hideme(update: Update, context: MusterContext) -> None:
    await _set_shown(update, context, False)
