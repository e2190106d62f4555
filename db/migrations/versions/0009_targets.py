"""Target seats, wards and divisions that coordinators point volunteers at, and the tie from an
event to the target it works for (issue 11). /targets, /nearest and polling day read them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("why", sa.String(length=140), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("location_source", sa.String(length=12), nullable=False),
        sa.Column("helpers_wanted", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint("name", name=op.f("uq_targets_name")),
    )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("target_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_events_target_id_targets"),
            "targets",
            ["target_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_events_target_id", ["target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_target_id")
        batch.drop_constraint(op.f("fk_events_target_id_targets"), type_="foreignkey")
        batch.drop_column("target_id")
    op.drop_table("targets")
