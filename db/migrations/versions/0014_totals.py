"""Running totals per shift and per volunteer, kept by triggers on rsvps, so that reports over any
period read one row per shift (and the leaderboard few per volunteer) instead of every answer
(issue 10). Filled from the answers already there. And the indexes the leaderboard's short
periods and /summary's sign-ups read.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db import totals

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shift_totals",
        sa.Column("shift_id", sa.Integer(), autoincrement=False, nullable=False),
        *(
            sa.Column(name, sa.Integer(), server_default="0", nullable=False)
            for name in ("going", "came", "kept", "walk_ins", "late", "doors")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_shift_totals_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shift_id", name=op.f("pk_shift_totals")),
    )
    op.create_table(
        "volunteer_totals",
        sa.Column("volunteer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shifts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("doors", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_totals_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", name=op.f("pk_volunteer_totals")),
    )
    op.create_index(
        "ix_volunteer_totals_rank", "volunteer_totals", ["shifts", "doors", "volunteer_id"]
    )
    op.create_index(
        "ix_rsvps_shift_attendance",
        "rsvps",
        ["shift_id", "volunteer_id", "attendance", "checked_in_at", "doors"],
    )
    op.create_index("ix_volunteers_signed_up_at", "volunteers", ["signed_up_at"])
    bind = op.get_bind()
    # Triggers first: on PostgreSQL creating them locks rsvps against writes until this commits,
    # so nothing can change between the count below and the triggers taking over.
    for statement in totals.create_triggers(bind.dialect):
        op.execute(statement)
    for statement in totals.recount():
        bind.execute(statement)


def downgrade() -> None:
    for statement in totals.drop_triggers(op.get_bind().dialect):
        op.execute(statement)
    op.drop_index("ix_volunteers_signed_up_at", table_name="volunteers")
    op.drop_index("ix_rsvps_shift_attendance", table_name="rsvps")
    op.drop_index("ix_volunteer_totals_rank", table_name="volunteer_totals")
    op.drop_table("volunteer_totals")
    op.drop_table("shift_totals")
