"""The Telegram-facing layer: one module per flow. :func:`register` wires them all, in order."""

from __future__ import annotations

import warnings

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import keyboards
from handlers import (
    callout,
    common,
    dayof,
    events,
    newevent,
    privacy,
    profile,
    reports,
    roles,
    rsvp,
    signup,
)

PRIVATE = filters.ChatType.PRIVATE

# Our conversations mix buttons and typed answers, tracked per chat and user rather than per
# message, which is what PTB's warning about per_message=False is about.
warnings.filterwarnings("ignore", message=r".*per_message=False", category=UserWarning)


def _pattern(namespace: str) -> str:
    return rf"^{namespace}:"


# /start payloads the bot itself understands; see bot.context.DeepLinkHandler.
DEEP_LINKS = (rsvp.open_event_link,)


def register(application: Application) -> None:
    # Groups first: in a group the only answer is a link to a private chat.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, common.group_redirect)
    )
    # An organiser's typed answer to an event edit, while one waits; else it falls through.
    application.add_handler(
        MessageHandler(PRIVATE & (filters.TEXT | filters.LOCATION), events.on_edit_reply),
        group=events.EDIT_GROUP,
    )

    # Conversations first, so that while one is open its text goes to it, not to sign-up.
    application.add_handler(newevent.conversation())
    application.add_handler(callout.conversation())

    commands = {
        "start": signup.start,
        "profile": profile.profile,
        "pause": profile.pause,
        "resume": profile.resume,
        "mydata": privacy.mydata,
        "forget": privacy.forget,
        "help": common.help_command,
        "grant": roles.grant,
        "revoke": roles.revoke,
        "roles": roles.list_roles,
        "events": events.list_events,
        "template": events.template,
        "myshifts": rsvp.myshifts,
        "roster": rsvp.roster,
        "here": dayof.here,
        "summary": reports.summary,
        "turnout": reports.turnout,
        "export": reports.export,
        "chart": reports.chart,
        "leaderboard": reports.leaderboard,
        "showme": reports.showme,
        "hideme": reports.hideme,
        "cancel": common.nothing_to_cancel,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, common.unknown_command))
    # Files: an organiser's CSV of events to import (anyone else gets a plain answer).
    application.add_handler(MessageHandler(PRIVATE & filters.Document.ALL, events.on_document))

    application.add_handler(MessageHandler(PRIVATE & filters.LOCATION, signup.on_location))
    application.add_handler(MessageHandler(PRIVATE & filters.CONTACT, signup.on_contact))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT, signup.on_text))

    buttons = {
        keyboards.CONSENT: signup.consent,
        keyboards.NAME: signup.use_telegram_name,
        keyboards.CHOICE[signup.Step.AVAILABILITY]: signup.on_choice,
        keyboards.CHOICE[signup.Step.ACTIVITIES]: signup.on_choice,
        keyboards.EDIT: profile.edit,
        keyboards.PAUSE: profile.pause_chosen,
        keyboards.FORGET: privacy.forget_confirmed,
        keyboards.EVENT_ADMIN: events.on_button,
        keyboards.RSVP_CANT: rsvp.tap_cant,
        keyboards.REASON: rsvp.skip_reason,
        keyboards.PREVIEW: newevent.preview_pressed,
        keyboards.STILL_COMING: dayof.still_coming,
        keyboards.CHECK_IN: dayof.checkin_button,
        keyboards.DOORS: dayof.doors_button,
        keyboards.NOTE_SKIP: dayof.skip_note,
    }
    for namespace, callback in buttons.items():
        application.add_handler(
            CallbackQueryHandler(common.offered_only(callback), pattern=_pattern(namespace))
        )
    # Buttons that carry a shift id: the pattern guarantees the id is a number.
    by_shift = {
        keyboards.RSVP: rsvp.tap_shift,
        keyboards.MYSHIFT_CHANGE: rsvp.myshift_change,
        keyboards.MYSHIFT_CANCEL: rsvp.myshift_cancel,
    }
    by_shift[keyboards.CORRECT] = dayof.correct_start
    by_shift[keyboards.TOP_UP] = callout.top_up
    for namespace, callback in by_shift.items():
        application.add_handler(
            CallbackQueryHandler(common.offered_only(callback), pattern=rf"^{namespace}:\d+$")
        )
    application.add_handler(
        CallbackQueryHandler(
            common.offered_only(dayof.mark), pattern=rf"^{keyboards.MARK}:\d+\.\d+$"
        )
    )
    application.add_handler(CallbackQueryHandler(common.expired_button))

    application.add_error_handler(common.on_error)
