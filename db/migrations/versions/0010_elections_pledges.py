"""Elections (a polling day's date, hours and areas), pledges to take it off, and a committee
room's manager (issue 12).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
    )
    op.create_index("ix_elections_day", "elections", ["day"], unique=False)
    op.create_table(
        "election_areas",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_election_areas_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", "area", name=op.f("pk_election_areas")),
    )
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=True),
        sa.Column("pledged_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_pledges_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_pledges_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint(
            "election_id", "volunteer_id", name="uq_pledges_election_volunteer"
        ),
    )
    op.create_index("ix_pledges_volunteer_id", "pledges", ["volunteer_id"], unique=False)
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("manager_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_events_manager_id_volunteers"),
            "volunteers",
            ["manager_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("fk_events_manager_id_volunteers"), type_="foreignkey")
        batch.drop_column("manager_id")
    op.drop_index("ix_pledges_volunteer_id", table_name="pledges")
    op.drop_table("pledges")
    op.drop_table("election_areas")
    op.drop_index("ix_elections_day", table_name="elections")
    op.drop_table("elections")
