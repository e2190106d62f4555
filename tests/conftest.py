"""The harness every end-to-end test uses: a fake Bot API server, the real Application talking to
it over HTTP with long polling, a fresh migrated database, and a clock the test controls."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import clock, logs
from bot.app import build_application
from bot.context import BACKGROUND, DeepLinkHandler
from bot.settings import Settings
from db import migrate
from db.engine import create_engine, normalise_url
from tests.fake_telegram import FakeTelegram

ADMIN_ID = 900_001
# A Tuesday in November, so tests read naturally against local (GMT) time.
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.set_time(START)
    yield
    clock.reset()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def debug_log(fake: FakeTelegram) -> Iterator[io.StringIO]:
    """Everything logged while the test runs, as the bot logs it with LOG_LEVEL=DEBUG."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    stream = io.StringIO()
    logs.configure("DEBUG", fake.token, stream)
    yield stream
    # configure() replaced pytest's own handlers too: put everything back as it was.
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in levels.items():
        logging.getLogger(name).setLevel(was)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'muster.db'}"


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set")
    return url


@pytest.fixture
async def postgres_database_url(postgres_url: str) -> AsyncIterator[str]:
    """A throwaway database on the PostgreSQL server, dropped afterwards."""
    async with throwaway_postgres(postgres_url) as url:
        yield url


@contextlib.asynccontextmanager
async def throwaway_postgres(postgres_url: str, template: str | None = None) -> AsyncIterator[str]:
    """The URL of a new database on the server at ``postgres_url``, dropped afterwards (for
    fixtures that choose the database by parameter), a copy of ``template`` if named."""
    name = f"muster_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    copied = f' TEMPLATE "{template}"' if template else ""
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield (
            make_url(normalise_url(postgres_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def settings(fake: FakeTelegram, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(fake.token),
        database_url=database_url,
        admin_ids=frozenset({ADMIN_ID}),
        telegram_api_base_url=fake.base_url,
        telegram_api_base_file_url=fake.base_file_url,
        # Scheduled work runs when a test says so (see tests.flows.run_scheduler), after moving
        # the clock, never on its own in the middle of a test's before-and-after comparison.
        schedule_poll_seconds=24 * 3600,
        # Telegram's pace is tested on its own (tests/test_outbox.py); elsewhere it only waits.
        send_rate=0,
        send_per_chat_seconds=0,
        send_group_per_minute=0,
    )


@pytest.fixture
def deep_links() -> list[DeepLinkHandler]:
    """Payload handlers the application is built with; a test may append its own."""
    return []


async def start_application(
    fake: FakeTelegram, settings: Settings, engine: AsyncEngine, deep_links: list[DeepLinkHandler]
) -> Application:
    application = build_application(settings, engine, deep_links=deep_links)
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    await application.start()

    # A user's action returns once the bot has fully handled it, background work included.
    async def settled() -> None:
        await application.update_queue.join()
        while pending := application.bot_data.get(BACKGROUND):
            await asyncio.gather(*pending, return_exceptions=True)

    fake.after_delivery = settled
    return application


async def stop_application(application: Application) -> None:
    assert application.updater is not None
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


@pytest.fixture
async def app(
    fake: FakeTelegram,
    settings: Settings,
    engine: AsyncEngine,
    deep_links: list[DeepLinkHandler],
) -> AsyncIterator[Application]:
    application = await start_application(fake, settings, engine, deep_links)
    yield application
    await stop_application(application)


@pytest.fixture(params=["sqlite", "postgresql"])
async def each_engine(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[AsyncEngine]:
    """A migrated database on SQLite, and the same test again on PostgreSQL (skipped there unless
    TEST_POSTGRES_URL is set), for service tests whose queries must agree on both."""
    async with contextlib.AsyncExitStack() as stack:
        url = database_url
        if request.param == "postgresql":
            url = await stack.enter_async_context(
                throwaway_postgres(request.getfixturevalue("postgres_url"))
            )
        engine = create_engine(url)
        stack.push_async_callback(engine.dispose)
        await migrate.upgrade(engine)
        yield engine
