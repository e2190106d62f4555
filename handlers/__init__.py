"""The Telegram-facing layer: one module per flow. :func:`register` wires them all, in order."""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import callbacks
from handlers import (
    board,
    callout,
    common,
    dayof,
    events,
    lifts,
    membership,
    nearest,
    newevent,
    polling,
    privacy,
    profile,
    reports,
    roles,
    rounds,
    router,
    rsvp,
    signup,
    status,
    surge,
    targets,
)

PRIVATE = filters.ChatType.PRIVATE
# Before every other group, so that no handler, conversations included, ever sees an edited
# message (see common.edited).
EDITED_GROUP = -2

# Our conversations mix buttons and typed answers, tracked per chat and user rather than per
# message, which is what PTB's warning about per_message=False is about.
warnings.filterwarnings("ignore", message=r".*per_message=False", category=UserWarning)


# /start payloads the bot itself understands; see bot.context.DeepLinkHandler.
DEEP_LINKS = (rsvp.open_event_link,)


# Before everything else, on every update: noting that a volunteer was in touch.
CONTACT_GROUP = -100


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, privacy.note_contact), group=CONTACT_GROUP)
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED, common.edited), group=EDITED_GROUP
    )
    application.add_handler(
        ChatMemberHandler(membership.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    # Groups first: in a group the only answer is a link to a private chat, but for /board, a
    # committee room's live board, which a manager posts and the bot keeps there.
    application.add_handler(
        CommandHandler("board", board.board_in_group, filters=filters.ChatType.GROUPS)
    )
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
    application.add_handler(polling.election_conversation())

    commands = {
        "start": signup.start,
        "profile": profile.profile,
        "pause": profile.pause,
        "resume": profile.resume,
        "mydata": privacy.mydata,
        "forget": privacy.forget,
        "retention": privacy.retention_rule,
        "help": common.help_command,
        "grant": roles.grant,
        "revoke": roles.revoke,
        "roles": roles.list_roles,
        "events": events.list_events,
        "template": events.template,
        "targets": targets.show,
        "myshifts": rsvp.myshifts,
        "pledge": polling.pledge_command,
        "pledgecall": polling.pledgecall,
        "pledges": polling.pledges,
        "board": board.board,
        "surge": surge.surge,
        "nearest": nearest.nearest,
        "roster": rsvp.roster,
        "here": dayof.here,
        "summary": reports.summary,
        "turnout": reports.turnout,
        "export": reports.export,
        "chart": reports.chart,
        "leaderboard": reports.leaderboard,
        "showme": reports.showme,
        "hideme": reports.hideme,
        "status": status.status,
        "cancel": common.nothing_to_cancel,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, common.unknown_command))
    # Files: an organiser's CSV of events, or a coordinator's of targets, to import (anyone else
    # gets a plain answer).
    application.add_handler(MessageHandler(PRIVATE & filters.Document.ALL, events.on_document))

    application.add_handler(MessageHandler(PRIVATE & filters.LOCATION, router.on_location))
    application.add_handler(MessageHandler(PRIVATE & filters.CONTACT, signup.on_contact))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT, router.on_text))

    # Each pattern takes only well-formed data of its kind; anything else is an expired button.
    buttons: dict[type[callbacks.CallbackData], common.Handler] = {
        callbacks.Consent: signup.consent,
        callbacks.UseName: signup.use_telegram_name,
        callbacks.CarryOn: signup.carry_on,
        callbacks.Choice: signup.on_choice,
        callbacks.EditProfile: profile.edit,
        callbacks.Pause: profile.pause_chosen,
        callbacks.Forget: privacy.forget_confirmed,
        callbacks.Keep: privacy.keep,
        callbacks.ChooseConsent: profile.choose_consent,
        callbacks.EventAdmin: events.on_button,
        callbacks.Rsvp: rsvp.tap_shift,
        callbacks.CantMakeIt: rsvp.tap_cant,
        callbacks.MyShiftChange: rsvp.myshift_change,
        callbacks.MyShiftCancel: rsvp.myshift_cancel,
        callbacks.OpenSession: rsvp.open_session,
        callbacks.SkipReason: rsvp.skip_reason,
        callbacks.RosterMore: rsvp.roster_more,
        callbacks.LiftAnswer: lifts.tap_answer,
        callbacks.LiftAsk: lifts.ask,
        callbacks.LiftReply: lifts.tap_reply,
        callbacks.Preview: newevent.preview_pressed,
        callbacks.StillComing: dayof.still_coming,
        callbacks.CheckIn: dayof.checkin_button,
        callbacks.Doors: dayof.doors_button,
        callbacks.SkipNote: dayof.skip_note,
        callbacks.RoundTap: rounds.round_button,
        callbacks.RoundDoors: rounds.doors_button,
        callbacks.AddNote: rounds.add_note,
        callbacks.CorrectAttendance: dayof.correct_start,
        callbacks.Mark: dayof.mark,
        callbacks.TopUp: callout.top_up,
        callbacks.PledgePart: polling.pledge_part,
        callbacks.PledgeFor: polling.pledge_for,
        callbacks.PledgeCall: polling.pledgecall_button,
        callbacks.RoomOffer: polling.offer_button,
        callbacks.BoardStop: board.stop_button,
        callbacks.SurgeRoom: surge.room_button,
        callbacks.SurgeWanted: surge.wanted_button,
        callbacks.SurgeSoon: surge.soon_button,
        callbacks.SurgeAnswer: surge.answer_button,
        callbacks.SurgeStop: surge.stop_button,
    }
    for kind, callback in buttons.items():
        application.add_handler(
            CallbackQueryHandler(common.offered_only(callback), pattern=kind.PATTERN)
        )
    application.add_handler(CallbackQueryHandler(common.expired_button))

    application.add_error_handler(common.on_error)
