"""Lifts to a shift: who can drive others and who needs a lift, and the drivers suggested to
riders (issue 11, "Getting there").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_lifts_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_lifts_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifts")),
        sa.UniqueConstraint("shift_id", "volunteer_id", name="uq_lifts_shift_volunteer"),
    )
    op.create_index("ix_lifts_volunteer_id", "lifts", ["volunteer_id"], unique=False)
    op.create_table(
        "lift_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("driver_id", sa.Integer(), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("driver_agreed_at", UTCDateTime(), nullable=True),
        sa.Column("rider_agreed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_lift_matches_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["driver_id"],
            ["volunteers.id"],
            name=op.f("fk_lift_matches_driver_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rider_id"],
            ["volunteers.id"],
            name=op.f("fk_lift_matches_rider_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lift_matches")),
        sa.UniqueConstraint("shift_id", "driver_id", "rider_id", name="uq_lift_matches_shift_pair"),
    )
    op.create_index("ix_lift_matches_shift_id", "lift_matches", ["shift_id"], unique=False)
    op.create_index("ix_lift_matches_driver_id", "lift_matches", ["driver_id"], unique=False)
    op.create_index("ix_lift_matches_rider_id", "lift_matches", ["rider_id"], unique=False)


def downgrade() -> None:
    op.drop_table("lift_matches")
    op.drop_table("lifts")
