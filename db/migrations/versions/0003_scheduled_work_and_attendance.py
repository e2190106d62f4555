"""Scheduled work; attendance, debriefs and reminder settings for issue 4.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("callout_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=32), server_default="", nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["callout_id"],
            ["callouts.id"],
            name=op.f("fk_scheduled_work_callout_id_callouts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_scheduled_work_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_work")),
        sa.UniqueConstraint(
            "kind", "shift_id", "callout_id", "detail", name="uq_scheduled_work_kind_subject"
        ),
    )
    with op.batch_alter_table("scheduled_work", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_work_due", ["status", "due_at"], unique=False)

    with op.batch_alter_table("callouts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rsvp_deadline", UTCDateTime(), nullable=True))

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_offsets", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("min_helpers", sa.Integer(), nullable=True))

    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_in_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("running_late_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("walk_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("attendance", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("doors", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("debrief_note", sa.String(length=500), nullable=True))

    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("on_leaderboard", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("on_leaderboard")

    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_column("debrief_note")
        batch_op.drop_column("doors")
        batch_op.drop_column("attendance")
        batch_op.drop_column("walk_in")
        batch_op.drop_column("running_late_at")
        batch_op.drop_column("checked_in_at")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("min_helpers")
        batch_op.drop_column("reminder_offsets")

    with op.batch_alter_table("callouts", schema=None) as batch_op:
        batch_op.drop_column("rsvp_deadline")

    with op.batch_alter_table("scheduled_work", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_work_due")

    op.drop_table("scheduled_work")
