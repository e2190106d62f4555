"""Room offers: the committee rooms offered to someone who pledged, in the offer chain now
running (issue 12, polling day, "a pledge is an intent").

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "room_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_room_offers_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_room_offers_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_room_offers_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_offers")),
        sa.UniqueConstraint(
            "election_id",
            "volunteer_id",
            "event_id",
            name="uq_room_offers_election_volunteer_event",
        ),
        # Ids are on buttons: never reused (bot.services.offers).
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_room_offers_volunteer_id", "room_offers", ["volunteer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("room_offers")
