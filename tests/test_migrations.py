"""Every migration runs up and down, on SQLite and (when TEST_POSTGRES_URL is set) PostgreSQL, and
the migrated database matches `db/schema.py` exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.engine import create_engine, normalise_url
from db.schema import metadata


async def _check_up_and_down(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    assert await migrate.current(engine) is not None
    async with engine.connect() as conn:
        drift = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert drift == [], "db/schema.py and the migrations disagree"
    assert {table.name for table in metadata.sorted_tables} <= tables

    await migrate.downgrade(engine)
    async with engine.connect() as conn:
        left = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert left <= {"alembic_version"}
    await migrate.upgrade(engine)  # and back up again from nothing
    assert await migrate.current(engine) is not None


async def test_sqlite_up_and_down(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await _check_up_and_down(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_engine(postgres_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_database_url)
    yield engine
    await engine.dispose()


async def test_postgres_up_and_down(postgres_engine: AsyncEngine) -> None:
    await _check_up_and_down(postgres_engine)


def test_urls_get_async_drivers() -> None:
    assert normalise_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_url("postgresql://u:p@h/d") == "postgresql+asyncpg://u:p@h/d"
    assert normalise_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert normalise_url("postgresql+asyncpg://u@h/d") == "postgresql+asyncpg://u@h/d"
