"""Target seats, wards and divisions: /targets, and importing them from a coordinator's CSV file
(which reaches :func:`import_file` through the one handler of files, handlers.events.on_document).

Every organiser may see them; only coordinators add or change them (bot.domain.permissions).
"""

from __future__ import annotations

from telegram import InputFile, Message, Update

from bot import clock, texts
from bot.context import MusterContext
from bot.domain import targets as rules
from bot.domain.csv_files import BadFile, BadRows
from bot.domain.permissions import SEE_TARGETS, SET_TARGETS, Access
from bot.services import targets as targeting
from handlers.common import reply_blocks, requires


@requires(SEE_TARGETS)
async def show(update: Update, context: MusterContext, access: Access) -> None:
    """Each target with its sessions in the next 14 days and helpers booked vs wanted; for
    coordinators, then the targets as a CSV file to change and send back."""
    message = update.effective_message
    assert message
    zone = context.settings.zone
    async with context.db.connect() as conn:
        found = await targeting.overview(conn, clock.now(), zone)
    coordinator = access.has(SET_TARGETS)
    if not found:
        await message.reply_text(
            texts.TARGETS_NONE_COORDINATOR if coordinator else texts.TARGETS_NONE
        )
    else:
        blocks = [texts.target_block(one.target, one.days, zone) for one in found]
        await reply_blocks(update, [texts.TARGETS_HEAD, *blocks])
    if coordinator:
        await message.reply_document(
            InputFile(
                rules.template([one.target for one in found]), filename=rules.TEMPLATE_FILE_NAME
            ),
            caption=texts.TARGETS_TEMPLATE_CAPTION,
        )


async def import_file(
    message: Message, context: MusterContext, access: Access, data: bytes
) -> None:
    """A targets file someone sent: stored all or none when they are a coordinator."""
    if not access.has(SET_TARGETS):
        await message.reply_text(texts.TARGETS_NOT_ALLOWED)
        return
    try:
        async with context.db.begin() as conn:
            done = await targeting.import_file(conn, clock.now(), by=access, data=data)
    except BadFile as bad:
        await message.reply_text(texts.csv_bad_file(bad.reason, bad.detail, targets=True))
        return
    except BadRows as bad:
        problems = [
            texts.csv_row_error(
                error.line, error.column, error.reason, error.value, error.other_line
            )
            for error in bad.errors
        ]
        await message.reply_text(texts.csv_rejected(problems))
        return
    await message.reply_text(texts.targets_imported(done.added, done.updated, done.tied))
