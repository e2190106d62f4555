"""Running totals of the rsvps table, so that reports over any period read one row per shift (and
the leaderboard one per volunteer) instead of every answer: ``shift_totals`` holds each shift's
figures (bot.domain.reports.ShiftFigures), ``volunteer_totals`` each volunteer's shifts came to and
doors knocked, over all time.

Triggers on rsvps keep both, in the statement that changes an answer: every insert, update or
delete adds the new row's share and takes away the old one's. Being in the database, they cannot
be missed by a write path (an answer, a promotion, a check-in, a walk-in, "can't come", a
correction, the doors of a debrief, or one added later), and adding and taking away is safe with
concurrent writers on PostgreSQL, where each delta is applied under the totals row's lock.

Each row's share is worked out from :mod:`db.attendance`'s rules, compiled into the trigger, so who
came and who said going are still defined once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Integer, String, and_, case, column, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import TableClause, table
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from db.attendance import came_in, said_going_in
from db.schema import rsvps, shift_totals, volunteer_totals
from db.types import UTCDateTime

Row = ReadOnlyColumnCollection[str, Any]

# The rsvps columns a share depends on: updates of anything else (a reason, a note, the time of
# an answer) leave the totals alone.
_WATCHED = (
    "shift_id",
    "volunteer_id",
    "status",
    "walk_in",
    "checked_in_at",
    "running_late_at",
    "attendance",
    "doors",
)
_TYPES = {"status": String(), "walk_in": Boolean(), "attendance": String(), "doors": Integer()}
_FUNCTION = "muster_rsvps_totals"
_TRIGGER = "rsvps_totals"


def _one(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def shift_share(row: Row) -> dict[str, ColumnElement[int]]:
    """One rsvps row's part in its shift's figures (the counts of db.reports.shift_figures)."""
    came, said_going = came_in(row), said_going_in(row)
    return {
        "going": _one(said_going),
        "came": _one(came),
        "kept": _one(and_(said_going, came)),
        "walk_ins": _one(and_(came, row.walk_in.is_(True))),
        # Running late and not here (yet): bot.domain.reports.Turnout.
        "late": _one(and_(said_going, ~came, row.running_late_at.is_not(None))),
        "doors": func.coalesce(row.doors, 0),
    }


def volunteer_share(row: Row) -> dict[str, ColumnElement[int]]:
    """One rsvps row's part in its volunteer's leaderboard figures."""
    return {"shifts": _one(came_in(row)), "doors": func.coalesce(row.doors, 0)}


def _targets(row: Row) -> list[tuple[TableClause, str, ColumnElement[Any], dict[str, Any]]]:
    return [
        (shift_totals, "shift_id", row.shift_id, shift_share(row)),
        (volunteer_totals, "volunteer_id", row.volunteer_id, volunteer_share(row)),
    ]


def _trigger_row(name: str) -> Row:
    """The trigger's ``new`` or ``old`` row, as columns that compile to ``new.status`` etc."""
    return table(
        name,
        *(
            column(n, _TYPES.get(n, UTCDateTime() if n.endswith("_at") else Integer()))
            for n in _WATCHED
        ),
    ).c


def _sql(expression: ColumnElement[Any], dialect: Dialect) -> str:
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _add(dialect: Dialect) -> list[str]:
    """Statements adding the ``new`` row's share (creating the totals rows it is the first for)."""
    statements = []
    for target, key, value, share in _targets(_trigger_row("new")):
        names = ", ".join([key, *share])
        values = ", ".join([_sql(value, dialect), *(_sql(v, dialect) for v in share.values())])
        sums = ", ".join(f"{n} = {target.name}.{n} + excluded.{n}" for n in share)
        statements.append(
            f"INSERT INTO {target.name} ({names}) VALUES ({values}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {sums}"
        )
    return statements


def _take_away(dialect: Dialect) -> list[str]:
    """Statements taking away the ``old`` row's share. Its totals rows exist, since adding it made
    them; a plain update also leaves alone a shift or volunteer being deleted with its rows."""
    statements = []
    for target, key, value, share in _targets(_trigger_row("old")):
        sets = ", ".join(f"{n} = {n} - {_sql(v, dialect)}" for n, v in share.items())
        statements.append(f"UPDATE {target.name} SET {sets} WHERE {key} = {_sql(value, dialect)}")
    return statements


def create_triggers(dialect: Dialect) -> list[str]:
    """The DDL that makes the database keep the totals from now on."""
    watched = ", ".join(_WATCHED)
    if dialect.name == "postgresql":
        take_away = "".join(f"    {s};\n" for s in _take_away(dialect))
        add = "".join(f"    {s};\n" for s in _add(dialect))
        return [
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP <> 'INSERT' THEN\n{take_away}  END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN\n{add}  END IF;\n"
            "  RETURN NULL;\n"
            "END $$",
            f"CREATE TRIGGER {_TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF {watched} ON rsvps "
            f"FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()",
        ]
    take_away = "".join(f"  {s};\n" for s in _take_away(dialect))
    add = "".join(f"  {s};\n" for s in _add(dialect))
    return [
        f"CREATE TRIGGER {_TRIGGER}_insert AFTER INSERT ON rsvps BEGIN\n{add}END",
        f"CREATE TRIGGER {_TRIGGER}_update AFTER UPDATE OF {watched} ON rsvps BEGIN\n"
        f"{take_away}{add}END",
        f"CREATE TRIGGER {_TRIGGER}_delete AFTER DELETE ON rsvps BEGIN\n{take_away}END",
    ]


def drop_triggers(dialect: Dialect) -> list[str]:
    if dialect.name == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {_TRIGGER} ON rsvps",
            f"DROP FUNCTION IF EXISTS {_FUNCTION}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {_TRIGGER}_{op}" for op in ("insert", "update", "delete")]


def recount() -> list[Any]:
    """Statements filling both tables from the rsvps as they are (the tables start empty): for
    the migration that adds them, and for bulk loads made with the triggers off."""
    statements: list[Any] = []
    for target, key, value, share in _targets(rsvps.c):
        sums = [func.sum(v) for v in share.values()]
        statements.append(
            target.insert().from_select([key, *share], select(value, *sums).group_by(value))
        )
    return statements
