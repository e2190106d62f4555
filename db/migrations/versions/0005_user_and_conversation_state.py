"""What a person is in the middle of, and the question each open conversation is on, so that
both survive a restart.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_state",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_user_state")),
    )
    op.create_table(
        "conversation_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "chat_id", "user_id", name=op.f("pk_conversation_state")),
    )


def downgrade() -> None:
    op.drop_table("conversation_state")
    op.drop_table("user_state")
