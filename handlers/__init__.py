"""The Telegram-facing layer: one module per flow. :func:`register` wires them all, in order."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import keyboards
from handlers import common, privacy, profile, roles, signup

PRIVATE = filters.ChatType.PRIVATE


def _pattern(namespace: str) -> str:
    return rf"^{namespace}:"


def register(application: Application) -> None:
    # Groups first: in a group the only answer is a link to a private chat.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, common.group_redirect)
    )

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
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, common.unknown_command))

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
    }
    for namespace, callback in buttons.items():
        application.add_handler(
            CallbackQueryHandler(common.offered_only(callback), pattern=_pattern(namespace))
        )
    application.add_handler(CallbackQueryHandler(common.expired_button))

    application.add_error_handler(common.on_error)
