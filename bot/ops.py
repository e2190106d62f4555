"""What an operator runs beside the bot: `muster check` (is it well?) and `muster backup PATH`
(a consistent copy of a SQLite database, taken while the bot writes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot import clock
from bot.settings import Settings
from db import migrate, work
from db.engine import create_engine, normalise_url

# The scheduler must have finished a pass within this many poll periods to count as running.
MISSED_PASSES = 3
# How long each part of the check may take before it counts as not answering (seconds).
TIMEOUT = 10.0


class Unwell(Exception):
    """One line saying what is wrong."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database (None for PostgreSQL or an in-memory database)."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


async def _database(settings: Settings) -> str:
    path = sqlite_path(settings.database_url)
    # Connecting would create an empty database in its place, and call that healthy.
    if path is not None and not path.exists():
        raise Unwell(
            f"the database file {path} does not exist (check DATABASE_URL and MUSTER_HOME)"
        )
    engine = create_engine(settings.database_url)
    try:
        async with asyncio.timeout(TIMEOUT), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            passed = await work.last_pass(conn)
        current, expected = await migrate.current(engine), migrate.head()
    except TimeoutError:
        raise Unwell("the database did not answer within 10 seconds") from None
    except Exception as error:
        raise Unwell(f"the database did not answer ({error.__class__.__name__})") from None
    finally:
        await engine.dispose()
    if current != expected:
        raise Unwell(
            f"the database is at migration {current}, not {expected} (run: muster migrate)"
        )
    poll = timedelta(seconds=settings.schedule_poll_seconds)
    if passed is None:
        raise Unwell("the scheduler has never run (is the bot running?)")
    ago = clock.now() - passed[1]
    if ago > MISSED_PASSES * poll:
        raise Unwell(
            f"the scheduler last ran {ago.total_seconds():.0f} s ago; it should run every "
            f"{poll.total_seconds():.0f} s (is the bot running?)"
        )
    where = path or make_url(normalise_url(settings.database_url)).get_backend_name()
    return f"database {where} at migration {current}, scheduler ran {ago.total_seconds():.0f} s ago"


async def _telegram(settings: Settings) -> str:
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_base_file_url,
        request=HTTPXRequest(connect_timeout=TIMEOUT, read_timeout=TIMEOUT),
    )
    try:
        me = await bot.get_me()
    except InvalidToken:
        raise Unwell("Telegram did not accept BOT_TOKEN (check it with @BotFather)") from None
    except TelegramError as error:
        raise Unwell(
            f"the Telegram Bot API did not answer getMe ({error.__class__.__name__})"
        ) from None
    finally:
        await bot.shutdown()
    return f"bot @{me.username}"


async def check(settings: Settings) -> str:
    """What is well, in one line; raises Unwell with what is not."""
    database = await _database(settings)
    return f"healthy: {database}, {await _telegram(settings)}"


def backup(database_url: str, target: Path) -> int:
    """Copy the SQLite database to ``target`` with SQLite's backup API, which gives a consistent
    copy however the bot writes meanwhile; returns its size in bytes. The copy is written beside
    ``target`` and renamed into place, so ``target`` is never half written."""
    source = sqlite_path(database_url)
    if source is None:
        raise Unwell("backup copies SQLite databases; for PostgreSQL use pg_dump (see README)")
    if not source.exists():
        raise Unwell(f"the database file {source} does not exist (check DATABASE_URL)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # Read-only: the backup must never change what it copies.
    try:
        with contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as src:
            src.execute("PRAGMA busy_timeout=10000")
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise Unwell(f"the backup failed: {error}") from None
    os.replace(partial, target)
    return target.stat().st_size
