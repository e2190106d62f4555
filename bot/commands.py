"""The commands each role has: for /help and for Telegram's command menus (setMyCommands)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.domain.permissions import Access, Role

log = logging.getLogger(__name__)

Commands = list[tuple[str, str]]

VOLUNTEER: Commands = [
    ("start", "Sign up, or see your details"),
    ("profile", "See and change your details"),
    ("pause", "Pause shift calls for a while"),
    ("resume", "Start shift calls again"),
    ("myshifts", "Your upcoming shifts: change, cancel or sort out a lift"),
    ("pledge", "Pledge to help on polling day, or change it"),
    ("nearest", "Where you're needed: sessions near you, most needed first"),
    ("here", "Check in at a session"),
    ("showme", "Show your name on the leaderboard"),
    ("hideme", "Hide your name from the leaderboard"),
    ("mydata", "Get a copy of everything we hold about you"),
    ("forget", "Delete everything we hold about you"),
    ("help", "What I can do"),
]

# Commands a role adds, shown once under the highest role that has them.
BY_ROLE: dict[Role, Commands] = {
    Role.ORGANISER: [
        ("newevent", "Set up an event with its shifts"),
        ("callout", "Ask volunteers to come to a shift"),
        ("pledgecall", "Ask volunteers to pledge polling day"),
        ("pledges", "Polling-day pledges per area and part of the day"),
        ("board", "Polling day's live board of your committee rooms"),
        ("surge", "Polling day: ask the nearest free helpers to your room now"),
        ("roster", "Who's coming to your events"),
        ("events", "Your upcoming events: edit or cancel"),
        ("template", "A CSV file for adding many events at once"),
        ("targets", "Target seats: sessions and helpers booked vs wanted"),
        ("summary", "Figures for a period, an area or polling day: /summary election"),
        ("turnout", "Who said going and who came, per shift"),
        ("export", "Attendance (and, for coordinators, volunteers) as CSV files"),
    ],
    Role.COORDINATOR: [
        ("election", "Set up an election: date, hours, areas, rooms"),
        ("roles", "Who has which role"),
        ("grant", "Make someone an organiser"),
        ("revoke", "Take a role away"),
        ("chart", "A chart of going vs came"),
        ("leaderboard", "Shifts and doors per volunteer, top 10"),
    ],
    Role.ADMIN: [
        ("status", "How the bot is doing: outbox, scheduler, database"),
        ("retention", "How long volunteers' details are kept; the campaign's end"),
    ],
}

TITLES = {
    Role.ORGANISER: "For organisers",
    Role.COORDINATOR: "For coordinators and admins",
    Role.ADMIN: "For admins",
}


def sections(access: Access | None) -> list[tuple[str, Commands]]:
    """Help sections for someone with ``access`` (None: a volunteer with no role)."""
    found = [("For everyone", VOLUNTEER)]
    if access is not None:
        found += [
            (TITLES[role], BY_ROLE[role]) for role in Role if access.has(role) and BY_ROLE[role]
        ]
    return found


def menu(access: Access) -> Commands:
    return [command for _, commands in sections(access) for command in commands]


def _bot_commands(commands: Commands) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in commands]


async def refresh_menu(bot: Bot, access: Access) -> None:
    """Give one person the menu of their roles, or the plain volunteer menu if they have none."""
    scope = BotCommandScopeChat(access.telegram_id)
    try:
        if access.roles:
            await bot.set_my_commands(_bot_commands(menu(access)), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as error:
        # Telegram refuses chat scopes for people who never pressed Start; their menu is set
        # again the next time the bot starts or their role changes.
        log.warning("could not set a role menu: %s", error.__class__.__name__)


async def publish_menus(bot: Bot, holders: list[Access]) -> None:
    """The volunteer menu for everyone, and each role holder's own menu on top."""
    await bot.set_my_commands(_bot_commands(VOLUNTEER), scope=BotCommandScopeAllPrivateChats())
    for access in holders:
        await refresh_menu(bot, access)
