"""Surges: a room manager's urgent call for helpers now, and who it asked (issue 12, "on the
day").

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("needed_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("batches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_surges_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_surges_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_surges_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["volunteers.id"],
            name=op.f("fk_surges_manager_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surges")),
    )
    op.create_table(
        "surge_asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surge_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("km", sa.Float(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("redirect_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["surge_id"],
            ["surges.id"],
            name=op.f("fk_surge_asks_surge_id_surges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_surge_asks_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["redirect_event_id"],
            ["events.id"],
            name=op.f("fk_surge_asks_redirect_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surge_asks")),
        sa.UniqueConstraint("surge_id", "volunteer_id", name="uq_surge_asks_surge_volunteer"),
    )
    op.create_index(
        "ix_surge_asks_volunteer_asked",
        "surge_asks",
        ["volunteer_id", "asked_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("surge_asks")
    op.drop_table("surges")
