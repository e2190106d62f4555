"""Creating the async engine, with the SQLite settings a busy bot needs."""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
from collections.abc import AsyncIterator, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# An execution option marking connections that only read (see Database.connect).
READS_ONLY = "muster_reads_only"


def normalise_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs and pick the async driver for them."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if parsed.drivername == "postgres":
        driver = _ASYNC_DRIVERS["postgresql"]
    if driver:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers work while the outbox writes; foreign keys are off in SQLite by
        # default; the busy timeout makes concurrent writers wait instead of failing.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        with_math_functions(dbapi_connection)
        # Let SQLAlchemy, not the driver, say when transactions begin (see _begin).
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes fails at once, whatever the busy
        # timeout, if another writer committed in between (WAL snapshots cannot be upgraded).
        # Taking the write lock up front makes such transactions wait their turn instead.
        # Reading needs no lock in WAL mode, and must not hold up writers while it lasts.
        reads_only = conn.get_execution_options().get(READS_ONLY)
        conn.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


# The SQL math functions db.callouts measures distances with, which PostgreSQL always has and
# SQLite only when built with them (most builds are, since 3.35).
MATH_FUNCTIONS = {
    "radians": math.radians,
    "sin": math.sin,
    "cos": math.cos,
    "asin": math.asin,
    "sqrt": math.sqrt,
}


def with_math_functions(dbapi_connection: Any) -> None:
    """Give a SQLite connection the math functions its build lacks, as Python functions."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT radians(0), sin(0), cos(0), asin(0), sqrt(0)")
    except sqlite3.OperationalError:
        for name, function in MATH_FUNCTIONS.items():
            dbapi_connection.create_function(name, 1, _null_safe(function), deterministic=True)
    finally:
        cursor.close()


def _null_safe(function: Any) -> Any:
    return lambda value: None if value is None else function(value)


# What the update being handled has read, for a second read of the same thing in that update
# (note_contact, then the handler, both want the volunteer): bot.app gives each update its own,
# and every writing transaction begun while it is handled forgets all of it, so nothing the update
# wrote is ever answered from before the write. Only the update's own task keeps and answers:
# work it starts in the background (bot.context.in_background) may read while the update writes,
# and must not leave what it read behind; its writes still make the update forget. None outside
# updates: nothing is kept there.
@dataclass
class _Reads:
    task: asyncio.Task[Any] | None
    found: dict[Hashable, Any] = field(default_factory=dict)

    def mine(self) -> bool:
        return asyncio.current_task() is self.task


_READ: ContextVar[_Reads | None] = ContextVar("muster_read", default=None)


@contextlib.contextmanager
def reads_kept() -> Iterator[None]:
    """While one update is handled: what it reads may be kept for it (see :func:`kept`)."""
    token = _READ.set(_Reads(asyncio.current_task()))
    try:
        yield
    finally:
        _READ.reset(token)


def kept(key: Hashable) -> Any:
    """What this update read under ``key`` since it last began a write; None if nothing."""
    reads = _READ.get()
    return reads.found.get(key) if reads is not None and reads.mine() else None


def keep(key: Hashable, value: Any) -> None:
    """Keep ``value`` as read under ``key`` for the rest of this update (until it writes)."""
    reads = _READ.get()
    if reads is not None and reads.mine():
        reads.found[key] = value


def _forget() -> None:
    reads = _READ.get()
    if reads is not None:
        reads.found.clear()


class Database:
    """The application's database: ``begin()`` for work that writes (committed at the end), and
    ``connect()`` for work that only reads, which never holds up a writer."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reader = engine.execution_options(**{READS_ONLY: True})
        # SQLite lets one transaction write at a time, and those waiting for it poll rather than
        # queue: with several people's updates handled at once (bot.updates), some waited past
        # busy_timeout in a burst and failed. Here they take turns, first come first served.
        self._turns = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        # What was read before may change here, and what is read meanwhile may miss the change.
        _forget()
        try:
            if self._turns is None:
                async with self.engine.begin() as conn:
                    yield conn
                return
            async with self._turns, self.engine.begin() as conn:
                yield conn
        finally:
            _forget()

    def connect(self) -> Any:
        return self._reader.connect()


def reads_only(conn: AsyncConnection) -> bool:
    """Whether ``conn`` came from Database.connect() (writing there would not be kept)."""
    return bool(
        conn.sync_connection and conn.sync_connection.get_execution_options().get(READS_ONLY)
    )
