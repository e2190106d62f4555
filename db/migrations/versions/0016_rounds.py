"""Knock-up rounds on polling day: out, back and the doors of each (issue 12, "on the day").

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rsvp_id", sa.Integer(), nullable=False),
        sa.Column("out_at", UTCDateTime(), nullable=False),
        sa.Column("back_at", UTCDateTime(), nullable=True),
        sa.Column("doors", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rsvp_id"],
            ["rsvps.id"],
            name=op.f("fk_rounds_rsvp_id_rsvps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )
    op.create_index("ix_rounds_rsvp_out", "rounds", ["rsvp_id", "out_at"], unique=False)


def downgrade() -> None:
    op.drop_table("rounds")
