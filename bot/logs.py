"""Logging that never shows the bot token and keeps request URLs (which contain it) out."""

from __future__ import annotations

import logging
from typing import TextIO

from telegram.error import InvalidToken

REDACTED = "[BOT_TOKEN]"
# Long enough that the secret half of a token (35 characters from @BotFather) is not some word.
_SECRET_HALF_MIN = 16


class RedactingFormatter(logging.Formatter):
    """Takes the token out of everything a record turns into: its message and arguments, a
    traceback (an exception's message) and stack info. Done here, on the finished text, rather
    than in a filter, since a filter never sees the traceback.

    Without ``tracebacks``, an exception shows only as its kind: a traceback is for debugging,
    and the exception's message may quote what it failed on."""

    def __init__(self, secret: str, fmt: str, *, tracebacks: bool) -> None:
        super().__init__(fmt)
        half = secret.partition(":")[2]
        self._secrets = [secret] + ([half] if len(half) >= _SECRET_HALF_MIN else [])
        self._tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if not self._tracebacks and (record.exc_info or record.stack_info):
            # A copy: other handlers of the same record keep what it carries.
            record = logging.makeLogRecord(record.__dict__)
            if record.exc_info and record.exc_info[0] is not None:
                record.msg = f"{record.getMessage()} [{record.exc_info[0].__name__}]"
                record.args = None
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


def _not_a_rejected_token(record: logging.LogRecord) -> bool:
    """Drops PTB's own line for a token Telegram rejects: `python -m bot` says it once, clearly,
    with what to do. At DEBUG the library's line and its (redacted) traceback are kept."""
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, InvalidToken)


def configure(level: str, secret: str, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        RedactingFormatter(
            secret,
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            tracebacks=logging.getLevelName(level) <= logging.DEBUG,
        )
    )
    if logging.getLevelName(level) > logging.DEBUG:
        handler.addFilter(_not_a_rejected_token)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # PTB logs whole updates (names, messages, locations) at DEBUG, and the database drivers log
    # every statement with its values (names, phone numbers): keep those out whatever the level,
    # since they are personal data.
    for name in ("telegram", "telegram.ext"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    for name in ("aiosqlite", "sqlalchemy", "asyncpg"):
        logging.getLogger(name).setLevel(logging.WARNING)
