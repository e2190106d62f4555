"""The application as a newcomer meets it: start-up, settings errors, /help, errors, shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from telegram.ext import Application

from bot import texts
from bot.settings import Settings
from db.engine import create_engine
from db.schema import user_state
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.flows import sign_up

ROOT = Path(__file__).resolve().parent.parent


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "ADMIN"))}
    env.pop("DATABASE_URL", None)
    env.pop("TIMEZONE", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(overrides)
    return env


async def _run_bot(cwd: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_no_token_says_how_to_get_one(tmp_path: Path) -> None:
    process = await _run_bot(tmp_path, _env())
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode != 0
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0] and ".env" in lines[0]


async def test_bad_settings_name_the_setting_and_never_echo_the_token(tmp_path: Path) -> None:
    secret = "123456:AAHsecretsecretsecret"
    process = await _run_bot(tmp_path, _env(BOT_TOKEN=secret, TIMEZONE="Mars/Olympus"))
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode != 0
    assert "TIMEZONE" in err.decode() and "secret" not in err.decode()

    process = await _run_bot(tmp_path, _env(BOT_TOKEN="not a token"))
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode != 0
    assert "BOT_TOKEN is not valid" in err.decode() and "not a token" not in err.decode()


async def test_migrate_command_needs_no_token(tmp_path: Path) -> None:
    process = await _run_bot(
        tmp_path, _env(DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}"), "migrate"
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert (tmp_path / "m.db").exists()


async def _wait_for(predicate: Callable[[], bool]) -> None:
    """Polls state in another process's making, where there is no event to wait on."""
    async with asyncio.timeout(30):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_runs_stops_on_sigterm_and_handles_each_update_once(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    env = _env(
        BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_API_BASE_FILE_URL=fake.base_file_url,
        ADMIN_IDS=str(ADMIN_ID),
        LOG_LEVEL="DEBUG",
    )
    alice = fake.user(7001, first_name="Alice")

    def polls() -> int:
        return sum(1 for method, _ in fake.requests if method == "getUpdates")

    def last_text() -> str:
        return (alice.messages[-1].text or "") if alice.messages else ""

    logs: list[bytes] = []
    for run in range(2):
        polled = polls()
        process = await _run_bot(tmp_path, env)
        assert process.stderr is not None
        # Read the log as it comes: a full pipe would stop the bot mid-sentence.
        drain = asyncio.create_task(process.stderr.read())
        # Up once it asks for updates: migrated, menus published, start-up done. (A stop signal
        # in the middle of PTB's own start-up is PTB's to handle, and not what this tests.)
        await _wait_for(lambda: polls() > polled)  # noqa: B023
        if run == 0:
            # Personal details pass through the bot and its database while it logs at DEBUG.
            await alice.send("/start")
            await _wait_for(lambda: bool(alice.messages) and texts.CONSENT_YES in alice.buttons())
            await alice.press(texts.CONSENT_YES)
            await _wait_for(lambda: last_text() == texts.ASK_NAME)
            await alice.send("Alicia Pemberton")
            await _wait_for(lambda: last_text() == texts.ASK_LOCATION)
            await alice.send("SE15 4QR")
            await _wait_for(lambda: last_text() == texts.ASK_AVAILABILITY)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        logs.append(await drain)
        assert process.returncode == 0, logs[-1].decode()[-2000:]
    log = b"".join(logs).decode()
    assert "DEBUG" in log  # it did log at DEBUG
    assert fake.token not in log and fake.token.split(":")[1] not in log
    for personal in ("Alice", "Alicia", "Pemberton", "SE15", "7001"):
        assert personal not in log, personal
    # The second run did not see any update again: they were confirmed on the way down.
    assert sum(1 for m in alice.messages if m.text == texts.ASK_NAME) == 1
    assert (tmp_path / "data" / "muster.db").exists()  # the default database location


async def test_a_crash_half_way_through_newevent_loses_no_answer(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    """Killed outright (no flush on the way down) after the organiser's answers were saved,
    which they are as each is handled, not once a minute: the next run carries on."""
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    env = _env(
        BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_API_BASE_FILE_URL=fake.base_file_url,
        ADMIN_IDS=str(ADMIN_ID),
        DATABASE_URL=url,
    )
    ada = fake.user(ADMIN_ID, first_name="Ada")
    engine = create_engine(url)

    def polls() -> int:
        return sum(1 for method, _ in fake.requests if method == "getUpdates")

    def last_text() -> str:
        return (ada.messages[-1].text or "") if ada.messages else ""

    async def saved_draft() -> dict[str, object]:
        async with engine.connect() as conn:
            data = await conn.scalar(select(user_state.c.data))
        return (data or {}).get("new_event") or {}

    async def draft_saved(key: str, value: str) -> None:
        """Saved as the answer is handled: long before PTB's own 60-second timer."""
        async with asyncio.timeout(5):
            while (await saved_draft()).get(key) != value:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    async def run() -> tuple[asyncio.subprocess.Process, asyncio.Task[bytes]]:
        polled = polls()
        process = await _run_bot(tmp_path, env)
        assert process.stderr is not None
        drain = asyncio.create_task(process.stderr.read())
        await _wait_for(lambda: polls() > polled)
        return process, drain

    try:
        process, drain = await run()
        await ada.send("/newevent")
        await _wait_for(lambda: "Canvass session" in ada.buttons())
        await ada.press("Canvass session")
        await _wait_for(lambda: last_text() == texts.NEW_TITLE)
        await ada.send("Peckham Saturday doors")
        await _wait_for(lambda: last_text() == texts.NEW_AREA)
        await ada.send("Peckham")
        await _wait_for(lambda: last_text() == texts.NEW_PLACE)
        await draft_saved("area", "Peckham")
        process.kill()
        await asyncio.wait_for(process.wait(), 30)
        await drain

        process, drain = await run()
        await ada.send("Rye Lane Library, SE15 4QR")
        await _wait_for(lambda: last_text() == texts.NEW_DATE)
        await draft_saved("address", "Rye Lane Library, SE15 4QR")
        draft = await saved_draft()
        assert (draft["title"], draft["area"]) == ("Peckham Saturday doors", "Peckham")
        await ada.send("/cancel")
        await _wait_for(lambda: last_text() == texts.NEW_CANCELLED)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        log = (await drain).decode()
        assert process.returncode == 0, log[-2000:]
        assert await saved_draft() == {}
    finally:
        if process.returncode is None:
            process.kill()
        await engine.dispose()


async def test_help_shows_the_commands_of_the_callers_roles(
    app: Application, fake: FakeTelegram
) -> None:
    vol = fake.user(7002, first_name="Val")
    await vol.send("/help")
    assert "/start" in vol.last.text and "/forget" in vol.last.text
    assert "/grant" not in vol.last.text
    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/help")
    assert "/forget" in admin.last.text and "/grant" in admin.last.text
    assert "/roles" in admin.last.text


async def test_an_unexpected_error_gets_an_apology_and_logs_nothing_personal(
    app: Application,
    fake: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    name, postcode = "Wynstan", "CF10 1EP"
    wyn = fake.user(7003, first_name=name, username="wyn")
    await sign_up(wyn, postcode=postcode)

    async def broken(*_args: object) -> None:
        # Database errors quote the values they failed on, like this one.
        raise RuntimeError(f"database said no to {name} {postcode}")

    monkeypatch.setattr("db.volunteers.by_telegram_id", broken)
    with caplog.at_level(logging.INFO):
        await wyn.send("/profile")
    assert wyn.last.text == texts.SOMETHING_WENT_WRONG
    assert "RuntimeError" in caplog.text
    assert "Wynstan" not in caplog.text and "CF10" not in caplog.text


def test_settings_defaults() -> None:
    settings = Settings(_env_file=None, bot_token="1:abc")  # type: ignore[call-arg]
    assert settings.database_url.endswith("data/muster.db")
    assert settings.timezone == "Europe/London"
    assert settings.admin_ids == frozenset()
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert "abc" not in repr(settings)


def test_env_example_documents_every_setting_and_loads(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    named = {line.split("=")[0] for line in example.splitlines() if line and line[0].isupper()}
    assert named == {name.upper() for name in Settings.model_fields}
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in named), "a setting is missing from the README"
    env = tmp_path / ".env"
    env.write_text(example.replace("BOT_TOKEN=\n", "BOT_TOKEN=1:abc\n"))
    assert Settings(_env_file=env).digest_time.hour == 8  # type: ignore[call-arg]
