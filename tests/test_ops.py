"""`muster check` and `muster backup`, as an operator (or the container's health check) runs them:
the real command, against the fake Bot API and the test's database."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock
from bot.settings import Settings
from db import migrate, work
from tests.fake_telegram import FakeTelegram
from tests.flows import run_scheduler, sign_up, until

ROOT = Path(__file__).resolve().parent.parent


async def muster(settings: Settings, *args: str, cwd: Path) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` as an operator would, with the test's settings in its
    environment."""
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": settings.bot_token.get_secret_value(),
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_API_BASE_URL": settings.telegram_api_base_url,
        "TELEGRAM_API_BASE_FILE_URL": settings.telegram_api_base_file_url,
        "SCHEDULE_POLL_SECONDS": str(settings.schedule_poll_seconds),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def real_time() -> None:
    """The command runs in its own process, on the real clock: so must the bot here."""
    clock.reset()


async def test_check_is_healthy_while_the_bot_runs(
    real_time: None, app: Application, engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    await run_scheduler(app, engine)
    code, out, err = await muster(settings, "check", cwd=tmp_path)
    assert (code, err) == (0, "")
    # The seconds are real ones (the command has its own clock): however slow the machine is.
    database = settings.database_url.split("///", 1)[1]
    assert re.fullmatch(
        f"muster: healthy: database {re.escape(database)} at migration {migrate.head()}, "
        r"scheduler ran \d+ s ago, bot @muster_test_bot\n",
        out,
    )


async def _scheduler_ran(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await work.record_pass(conn, clock.now(), clock.now())


async def test_check_says_when_the_bot_api_is_down(
    real_time: None, fake: FakeTelegram, engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    await _scheduler_ran(engine)
    assert (await muster(settings, "check", cwd=tmp_path))[0] == 0
    await fake.stop()
    code, out, err = await muster(settings, "check", cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err == "muster: unhealthy: the Telegram Bot API did not answer getMe (NetworkError)\n"


async def test_check_says_when_the_database_is_gone(
    real_time: None, engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    await _scheduler_ran(engine)
    await engine.dispose()
    database = Path(settings.database_url.split("///", 1)[1])
    os.rename(database, tmp_path / "moved.db")
    code, out, err = await muster(settings, "check", cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err == (
        f"muster: unhealthy: the database file {database} does not exist "
        "(check DATABASE_URL and MUSTER_HOME)\n"
    )
    assert not await asyncio.to_thread(database.exists)  # the check made no empty one


async def test_check_says_when_migrations_or_the_scheduler_are_behind(
    real_time: None, engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    code, _, err = await muster(settings, "check", cwd=tmp_path)
    assert (
        code == 1
        and err == "muster: unhealthy: the scheduler has never run (is the bot running?)\n"
    )

    async with engine.begin() as conn:
        poll = timedelta(seconds=settings.schedule_poll_seconds)
        await work.record_pass(
            conn,
            clock.now() - 3 * poll - timedelta(minutes=2),
            clock.now() - 3 * poll - timedelta(minutes=1),
        )
    code, _, err = await muster(settings, "check", cwd=tmp_path)
    assert code == 1
    assert re.fullmatch(
        r"muster: unhealthy: the scheduler last ran 2592\d\d s ago; it should run every 86400 s "
        r"\(is the bot running\?\)\n",
        err,
    )

    await _scheduler_ran(engine)
    await migrate.downgrade(engine, "0004")
    code, _, err = await muster(settings, "check", cwd=tmp_path)
    assert code == 1
    assert err == (
        f"muster: unhealthy: the database is at migration 0004, not {migrate.head()} "
        "(run: muster migrate)\n"
    )


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        names = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {name: db.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in names}


async def test_backup_copies_every_row(
    app: Application, fake: FakeTelegram, settings: Settings, tmp_path: Path
) -> None:
    for n in range(3):
        await sign_up(fake.user(7000 + n, first_name=f"V{n}"))
    source = Path(settings.database_url.split("///", 1)[1])
    code, out, err = await muster(settings, "backup", "copies/muster.db", cwd=tmp_path)
    copy = tmp_path / "copies" / "muster.db"
    assert (code, err) == (0, "")
    assert out == f"muster: backed up {copy.stat().st_size} bytes to {copy}\n"
    assert _tables(copy) == _tables(source)
    assert len(_tables(copy)["volunteers"]) == 3


async def test_backup_is_consistent_while_the_bot_writes(
    app: Application, fake: FakeTelegram, settings: Settings, tmp_path: Path
) -> None:
    source = Path(settings.database_url.split("///", 1)[1])

    def signed_up() -> set[tuple[int, int]]:
        with sqlite3.connect(source) as db:
            return set(db.execute("SELECT id, telegram_id FROM volunteers"))

    async def keep_signing_up() -> None:
        n = 0
        while True:
            await sign_up(fake.user(8000 + n, first_name=f"W{n}"))
            n += 1

    writer = asyncio.create_task(keep_signing_up())
    try:
        await until(lambda: len(signed_up()) >= 3, within=60)
        before = signed_up()
        code, _, err = await muster(settings, "backup", str(tmp_path / "copy.db"), cwd=tmp_path)
        after = signed_up()
    finally:
        writer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writer
    assert (code, err) == (0, "")
    copy = tmp_path / "copy.db"
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        in_copy = set(db.execute("SELECT id, telegram_id FROM volunteers"))
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.head(),)
        ]
    assert before <= in_copy <= after


async def test_backup_of_postgresql_points_to_pg_dump(settings: Settings, tmp_path: Path) -> None:
    postgres = settings.model_copy(update={"database_url": "postgresql://muster@db/muster"})
    code, out, err = await muster(postgres, "backup", "x.db", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        "muster: backup copies SQLite databases; for PostgreSQL use pg_dump (see README)\n"
    )
    assert not (tmp_path / "x.db").exists()


async def test_muster_home_holds_env_and_relative_paths(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    (home / ".env").write_text("DATABASE_URL=sqlite:///data/muster.db\n")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "MUSTER_HOME": str(home)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        cwd=elsewhere,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert (process.returncode, out, err) == (0, b"muster: database is up to date\n", b"")
    assert sorted(path.name for path in (home / "data").iterdir())[0] == "muster.db"
    assert list(elsewhere.iterdir()) == []

    env["MUSTER_HOME"] = str(tmp_path / "missing")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        cwd=elsewhere,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 2
    assert err.decode() == (
        f"muster: MUSTER_HOME is {str(tmp_path / 'missing')!r}, which is not a folder this user "
        "can open.\n"
    )
