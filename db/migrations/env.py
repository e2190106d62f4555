"""Alembic environment. Migrations run through `db.migrate`, which hands us a connection."""

from __future__ import annotations

from typing import Any

from alembic import context

from db.schema import metadata
from db.types import UTCDateTime

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m bot migrate`, which supplies the database")


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Autogenerate would otherwise write "db.types.UTCDateTime(timezone=True)" unimported.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from db.types import UTCDateTime")
        return "UTCDateTime()"
    return False


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_item=_render_item,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
