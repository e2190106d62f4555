"""Every keyboard the bot shows, and the callback data its buttons carry.

Callback data is ``<namespace>:<value>``, well under Telegram's 64 bytes. Handlers check every press
against the volunteer's current state, so a stale or forged press changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot import texts
from bot.signup import OPTIONS, Step

CONSENT = "consent"
NAME = "name"
CHOICE = {Step.AVAILABILITY: "av", Step.ACTIVITIES: "ac"}
EDIT = "edit"
PAUSE = "pause"
FORGET = "forget"
DONE = "done"


def data(namespace: str, value: str) -> str:
    return f"{namespace}:{value}"


def parse(callback_data: str | None) -> tuple[str, str]:
    """('namespace', 'value'); ('', '') for anything we did not make."""
    namespace, _, value = (callback_data or "").partition(":")
    return (namespace, value) if value else ("", "")


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def consent() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.CONSENT_YES, callback_data=data(CONSENT, "yes"))],
            [InlineKeyboardButton(texts.CONSENT_NO, callback_data=data(CONSENT, "no"))],
        ]
    )


def use_name(first_name: str) -> InlineKeyboardMarkup:
    label = texts.USE_NAME.format(name=first_name)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data(NAME, "tg"))]])


def share_location() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_LOCATION, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Or type your postcode",
    )


def share_phone() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_PHONE, request_contact=True)], [KeyboardButton(texts.SKIP)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def choices(step: Step, selected: Iterable[str]) -> InlineKeyboardMarkup:
    chosen = set(selected)
    namespace = CHOICE[step]
    buttons = [
        InlineKeyboardButton(
            f"✅ {label}" if code in chosen else label, callback_data=data(namespace, code)
        )
        for code, label in OPTIONS[step].items()
    ]
    rows = _rows(buttons, 2)
    rows.append([InlineKeyboardButton(texts.DONE, callback_data=data(namespace, DONE))])
    return InlineKeyboardMarkup(rows)


def profile() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(label, callback_data=data(EDIT, step.value))
        for step, label in texts.CHANGE.items()
    ]
    return InlineKeyboardMarkup(_rows(buttons, 2))


PAUSE_CHOICES = {"week": texts.PAUSE_WEEK, "month": texts.PAUSE_MONTH, "open": texts.PAUSE_OPEN}


def pause() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data(PAUSE, code))]
            for code, label in PAUSE_CHOICES.items()
        ]
    )


def forget() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.FORGET_YES, callback_data=data(FORGET, "yes"))],
            [InlineKeyboardButton(texts.FORGET_NO, callback_data=data(FORGET, "no"))],
        ]
    )


def private_chat(bot_username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.OPEN_PRIVATE_CHAT, url=f"https://t.me/{bot_username}")]]
    )
