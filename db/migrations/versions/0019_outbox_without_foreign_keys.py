"""A call queued without checking two foreign keys per row, and the leaderboard read from an index.

``outbox.callout_id`` and ``outbox.volunteer_id`` lose their foreign keys: checking both for each
row was 40-70% of queueing a call to 100,000 volunteers on PostgreSQL. Rows are queued from the
call's and the volunteers' own rows, and neither is ever deleted (erasure empties a volunteer's
row and their outbox rows, see db.privacy), so the keys guarded against nothing that happens.
``rsvps (volunteer_id)`` becomes ``(volunteer_id, shift_id, attendance, checked_in_at, doors)``,
so the leaderboard counts the figures of its busiest volunteers from the index alone.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_callout_id_callouts", type_="foreignkey")
        batch.drop_constraint("fk_outbox_volunteer_id_volunteers", type_="foreignkey")
    op.drop_index("ix_rsvps_volunteer_id", table_name="rsvps")
    op.create_index(
        "ix_rsvps_volunteer_came",
        "rsvps",
        ["volunteer_id", "shift_id", "attendance", "checked_in_at", "doors"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_rsvps_volunteer_came", table_name="rsvps")
    op.create_index("ix_rsvps_volunteer_id", "rsvps", ["volunteer_id"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.create_foreign_key(
            "fk_outbox_volunteer_id_volunteers",
            "volunteers",
            ["volunteer_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            "fk_outbox_callout_id_callouts", "callouts", ["callout_id"], ["id"], ondelete="CASCADE"
        )
