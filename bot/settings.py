"""Settings, read from the environment and `.env` (pydantic-settings).

Every setting is documented in `.env.example` with its default. A missing or malformed one stops
start-up with one line naming it (see :func:`describe_errors`).
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.planning import BadOffsets, parse_offsets

DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{Path('data') / 'muster.db'}"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class DatabaseSettings(BaseSettings):
    """What `python -m bot migrate` needs: the database, and no token."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL


class Settings(DatabaseSettings):
    bot_token: SecretStr
    timezone: str = "Europe/London"
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_base_file_url: str = "https://api.telegram.org/file/bot"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # A chat (an admin's user id, or a group's id) told of unhandled errors, at most once a minute.
    error_chat_id: int | None = None
    # Dropping out of a shift closer to its start than this tells the organisers and asks why.
    late_cancel_hours: float = Field(default=24, ge=0)
    # How often the bot looks for scheduled work (calls, reminders, reports) whose time has come.
    schedule_poll_seconds: float = Field(default=30, gt=0)
    # When reminders go to those going, before each shift (an organiser can change them per event).
    reminder_offsets: str = "24h,2h"
    # A call's RSVP deadline, before its first shift; the one nudge to the silent goes this long
    # before the deadline.
    rsvp_deadline_hours: float = Field(default=48, ge=0)
    chase_before_hours: float = Field(default=24, gt=0)
    # Sharing a location this close to the meeting point checks a volunteer in.
    checkin_radius_metres: float = Field(default=300, gt=0)
    # How often a live polling-day board (/board) is brought up to date, in minutes.
    board_every_minutes: int = Field(default=2, ge=1, le=60)
    # When coordinators get their daily digest (local time, HH:MM).
    digest_time: time = time(8, 0)
    # The show rate assumed for volunteers with no past shifts, in staffing forecasts.
    newcomer_show_rate: float = Field(default=0.7, ge=0, le=1)
    # Telegram's budget for the bot's token (bot/budget.py), shared by the replies and the outbox:
    # messages a second overall (0 = no limit), the least time between two messages to one chat
    # (the direct answer to the person who acted excepted), and messages a minute to one group.
    send_rate: float = Field(default=30, ge=0)
    send_per_chat_seconds: float = Field(default=1.0, ge=0)
    send_group_per_minute: int = Field(default=20, ge=0)
    # Organisers may send urgent calls as paid broadcasts (allow_paid_broadcast: up to 1,000
    # messages a second, 0.1 Telegram Stars each, paid from the bot's balance).
    paid_broadcast: bool = False
    # A volunteer is asked by at most this many surges (/surge) a day.
    surge_daily_cap: int = Field(default=2, ge=1)
    # The outbox sender (schedules/outbox.py): tries before a message counts as failed.
    outbox_max_attempts: int = Field(default=5, ge=1)
    # How often the sender looks for due messages when nobody woke it (retries, late rows).
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    # The privacy notice's version: publishing a new one asks every volunteer to agree again, and
    # stops their shift calls until they do.
    privacy_notice_version: str = Field(default="2026-11", min_length=1, max_length=16)
    # Volunteers not in touch for this long are warned, then erased 14 days later.
    retention_months: int = Field(default=24, ge=1, le=120)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_SHAPE.match(value.get_secret_value().strip()):
            # The message must not echo the value: it is a secret even when it is wrong.
            raise ValueError(
                "does not look like a bot token (it should look like 123456:ABC-DEF...)"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, value: str) -> str:
        try:
            parse_offsets(value)
        except BadOffsets:
            raise ValueError(f"{value!r} should be times before a shift, like 24h,2h") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name (try Europe/London)") from None
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(part) for part in parts if part)
            except ValueError:
                raise ValueError(
                    "must be Telegram user ids separated by commas, e.g. 1234,5678"
                ) from None
        return value

    @field_validator("error_chat_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # `ERROR_CHAT_ID=` as .env.example has it means none.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def offsets(self) -> tuple[timedelta, ...]:
        return parse_offsets(self.reminder_offsets)


MISSING_TOKEN = (
    "BOT_TOKEN is not set. Get a token from @BotFather in Telegram (send it /newbot), then put "
    "BOT_TOKEN=<the token> in a .env file in this folder (see .env.example) or in the environment."
)


def describe_errors(error: ValidationError) -> list[str]:
    """One plain line per bad setting, named as it is in the environment, never echoing secrets."""
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "settings"
        if name == "BOT_TOKEN" and item["type"] == "missing":
            lines.append(MISSING_TOKEN)
        elif item["type"] == "missing":
            lines.append(f"{name} is required but not set (see .env.example).")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"{name} is not valid: {message} (see .env.example).")
    return lines
