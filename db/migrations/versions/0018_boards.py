"""Live polling-day boards: the message edited in a private chat or a committee room's group,
who started it and what it shows now (issue 12, "the live board").

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "boards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=False),
        sa.Column("whole", sa.Boolean(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("ended", sa.String(length=12), nullable=True),
        sa.Column("shown", sa.String(length=64), nullable=True),
        sa.Column("last_edit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_boards_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["volunteers.id"],
            name=op.f("fk_boards_started_by_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boards")),
        # Ids are on Stop buttons: never reused.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_boards_started_by", "boards", ["started_by"], unique=False)
    op.create_index("ix_boards_chat_live", "boards", ["chat_id", "stopped_at"], unique=False)


def downgrade() -> None:
    op.drop_table("boards")
