"""`muster` (or `python -m bot`): `run` (the default) starts the bot with long polling, `migrate`
only migrates, `check` says whether the running bot is well, `backup PATH` copies a SQLite
database, `import-postcodes FILE` loads a full postcode file (see bot.services.places). With
MUSTER_HOME set, everything relative (`.env`, `data/muster.db`) is found there; otherwise in the
working directory."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pydantic import ValidationError
from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot import logs, ops
from bot.app import build_application
from bot.domain.postcode_files import UnknownPostcodeFile
from bot.services import places
from bot.services.places import Imported
from bot.settings import DatabaseSettings, Settings, describe_errors
from db import migrate
from db.engine import create_engine

USAGE = "usage: muster [run | migrate | check | backup PATH | import-postcodes FILE]"
START_UP_RETRIES = 5


def _fail(lines: list[str]) -> int:
    for line in lines:
        print(f"muster: {line}", file=sys.stderr)
    return 2


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def _import_postcodes(url: str, path: Path) -> Imported:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            return await places.import_postcodes(conn, path)
    finally:
        await engine.dispose()


def import_postcodes(args: list[str]) -> int:
    if len(args) != 1:
        return _fail([USAGE])
    path = Path(args[0])
    if not path.is_file():
        return _fail([f"no such file: {path}"])
    try:
        settings = DatabaseSettings()  # type: ignore[call-arg]
    except ValidationError as error:
        return _fail(describe_errors(error))
    try:
        done = asyncio.run(_import_postcodes(settings.database_url, path))
    except UnknownPostcodeFile:
        return _fail([f"{path} is not a Code-Point Open or ONSPD postcode file (CSV)."])
    print(f"muster: postcodes loaded: {done.postcodes:,}; rows without a place: {done.skipped:,}")
    print(f"muster: volunteers now placed at their own postcode's centre: {done.volunteers:,}")
    return 0


def _check() -> int:
    try:
        settings = Settings()  # type: ignore[call-arg]
    except ValidationError as error:
        return _fail(describe_errors(error))
    try:
        print(f"muster: {asyncio.run(ops.check(settings))}")
    except ops.Unwell as unwell:
        print(f"muster: unhealthy: {unwell}", file=sys.stderr)
        return 1
    return 0


def _backup(target: Path) -> int:
    try:
        settings = DatabaseSettings()
    except ValidationError as error:
        return _fail(describe_errors(error))
    try:
        size = ops.backup(settings.database_url, target)
    except (ops.Unwell, OSError) as error:
        return _fail([str(error)])
    print(f"muster: backed up {size} bytes to {target}")
    return 0


def main(argv: list[str]) -> int:
    # A file named on the command line is the caller's, relative to where they are, before
    # MUSTER_HOME applies.
    if len(argv) == 2 and argv[0] in ("backup", "import-postcodes"):
        argv = [argv[0], str(Path(argv[1]).resolve())]
    if home := os.environ.get("MUSTER_HOME"):
        try:
            os.chdir(home)
        except OSError:
            return _fail([f"MUSTER_HOME is {home!r}, which is not a folder this user can open."])
    match argv:
        case ["check"]:
            return _check()
        case ["backup", path]:
            return _backup(Path(path))
        case ["import-postcodes", *rest]:
            return import_postcodes(rest)
        case ["run"]:
            argv = []
    if argv not in ([], ["migrate"]):
        return _fail([USAGE])
    try:
        settings = DatabaseSettings() if argv == ["migrate"] else Settings()  # type: ignore[call-arg]
    except ValidationError as error:
        return _fail(describe_errors(error))

    if argv == ["migrate"]:
        asyncio.run(_migrate(settings.database_url))
        print("muster: database is up to date")
        return 0

    assert isinstance(settings, Settings)
    logs.configure(settings.log_level, settings.bot_token.get_secret_value())
    application = build_application(settings, create_engine(settings.database_url))
    try:
        # run_polling stops cleanly on SIGINT/SIGTERM: it finishes the update in hand and tells
        # Telegram which updates were handled, so none is lost or handled twice.
        application.run_polling(
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            # Reaching Telegram at start-up can fail for a moment (a network blip): try again a
            # few times before giving up. A token Telegram rejects still ends it at once.
            bootstrap_retries=START_UP_RETRIES,
        )
    except InvalidToken:
        return _fail(["Telegram did not accept BOT_TOKEN. Check it with @BotFather (/token)."])
    except NetworkError as error:
        return _fail([f"could not reach the Telegram Bot API ({error.__class__.__name__})."])
    return 0


def console() -> None:
    """The `muster` command."""
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    console()
