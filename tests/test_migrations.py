"""Every migration runs up and down, on SQLite and (when TEST_POSTGRES_URL is set) PostgreSQL, and
the migrated database matches `db/schema.py` exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Boolean, Integer, String, column, insert, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.engine import create_engine, normalise_url
from db.schema import consents, metadata, volunteers
from db.types import UTCDateTime


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


# SQLite's indexes on expressions cannot be reflected, so the comparison leaves them out (and
# says so): the test checks the one there is by name.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
async def test_sqlite_up_and_down(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await _check_up_and_down(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            expressions = await conn.scalars(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_volunteers_last_contact'")
            )
            assert list(expressions) == [
                "CREATE INDEX ix_volunteers_last_contact ON volunteers "
                "(coalesce(last_contact_at, signed_up_at, created_at))"
            ]
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


async def _fill_in_places(engine: AsyncEngine) -> None:
    """0008 puts volunteers who typed a postcode before it on the map (approximately), marks
    shared locations as such, and going back down forgets only what it worked out."""
    await migrate.upgrade(engine, "0005")
    before = sa.table(
        "volunteers",
        sa.column("telegram_id", sa.BigInteger()),
        sa.column("status", sa.String()),
        sa.column("editing", sa.Boolean()),
        sa.column("paused", sa.Boolean()),
        sa.column("created_at", UTCDateTime()),
        sa.column("postcode", sa.String()),
        sa.column("latitude", sa.Float()),
        sa.column("longitude", sa.Float()),
    )
    people = {
        1: ("SE15 4QR", None, None),  # typed: its sector is known
        2: ("SE15 7ZZ", None, None),  # typed: only its district is known
        3: ("BT1 5GS", None, None),  # Northern Ireland: not on the map
        4: (None, 51.47, -0.07),  # shared a location
        5: (None, None, None),  # said nothing (yet)
    }
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(before),
            [
                {
                    "telegram_id": tid,
                    "status": "active",
                    "editing": False,
                    "paused": False,
                    "created_at": datetime(2026, 11, 1, tzinfo=UTC),
                    "postcode": postcode,
                    "latitude": lat,
                    "longitude": lon,
                }
                for tid, (postcode, lat, lon) in people.items()
            ],
        )
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        rows = {
            row.telegram_id: (row.latitude, row.longitude, row.location_source)
            for row in await conn.execute(sa.select(volunteers))
        }
    assert rows == {
        1: (51.4663, -0.0708, "sector"),
        2: (51.4728, -0.0657, "district"),
        3: (None, None, None),
        4: (51.47, -0.07, "shared"),
        5: (None, None, None),
    }
    await migrate.downgrade(engine, "0005")
    async with engine.connect() as conn:
        back = {
            row.telegram_id: (row.postcode, row.latitude, row.longitude)
            for row in await conn.execute(sa.select(before))
        }
    assert back == people


async def test_sqlite_fills_in_places_for_typed_postcodes(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await _fill_in_places(engine)
    finally:
        await engine.dispose()


async def _choices_and_contact_carried_over(engine: AsyncEngine) -> None:
    """0006 on a database in use: /showme becomes a consent row, and everyone's last contact
    starts from their sign-up."""
    signed_up = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    old_volunteers = table(
        "volunteers",
        column("id", Integer),
        column("telegram_id", Integer),
        column("status", String),
        column("editing", Boolean),
        column("paused", Boolean),
        column("created_at", UTCDateTime),
        column("signed_up_at", UTCDateTime),
        column("on_leaderboard", Boolean),
    )
    old_consents = table(
        "consents",
        column("volunteer_id", Integer),
        column("purpose", String),
        column("notice_version", String),
        column("given_at", UTCDateTime),
    )
    await migrate.upgrade(engine, "0005")
    async with engine.begin() as conn:
        for volunteer_id, shown in ((1, True), (2, False)):
            await conn.execute(
                insert(old_volunteers).values(
                    id=volunteer_id,
                    telegram_id=100 + volunteer_id,
                    status="active",
                    editing=False,
                    paused=False,
                    created_at=signed_up,
                    signed_up_at=signed_up,
                    on_leaderboard=shown,
                )
            )
            await conn.execute(
                insert(old_consents).values(
                    volunteer_id=volunteer_id,
                    purpose="volunteering",
                    notice_version="2026-01",
                    given_at=signed_up,
                )
            )
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    consents.c.volunteer_id,
                    consents.c.purpose,
                    consents.c.choice,
                    consents.c.notice_version,
                ).order_by(consents.c.id)
            )
        ).all()
        contact = set(await conn.scalars(select(volunteers.c.last_contact_at)))
    assert [tuple(row) for row in rows] == [
        (1, "volunteering", True, "2026-01"),
        (2, "volunteering", True, "2026-01"),
        (1, "leaderboard", True, "2026-01"),
    ]
    assert contact == {signed_up}


async def test_sqlite_0006_carries_choices_over(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await _choices_and_contact_carried_over(engine)
    finally:
        await engine.dispose()


async def test_postgres_fills_in_places_for_typed_postcodes(postgres_engine: AsyncEngine) -> None:
    await _fill_in_places(postgres_engine)


async def test_postgres_0006_carries_choices_over(postgres_engine: AsyncEngine) -> None:
    await _choices_and_contact_carried_over(postgres_engine)
