"""A shift call's message stored once on the call, and the indexes its audience queries need.

The message every volunteer of a call gets (text and buttons) moves from each outbox row to the
call (``callouts.payload``), so that a call is queued with one INSERT ... SELECT; rows queued
before carry their own and still go as they are. ``outbox.volunteer_id`` is indexed for the
typed answers (the newest call a volunteer got) and erasure (the box a distance filter narrows
by first has its index from 0011). Two indexes grow a column, so that the audience
filters read them alone, not the rows behind them: ``outbox (callout_id, status)`` gains
``volunteer_id`` (whom an earlier call for the event reached), ``rsvps (shift_id)`` gains
``status`` and ``volunteer_id`` (who came to an area before; who answered a shift).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("callouts") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.create_index("ix_outbox_volunteer_id", ["volunteer_id"], unique=False)
        batch.drop_index("ix_outbox_callout_status")
        batch.create_index(
            "ix_outbox_callout_status_volunteer",
            ["callout_id", "status", "volunteer_id"],
            unique=False,
        )
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_index("ix_rsvps_shift_id")
        batch.create_index(
            "ix_rsvps_shift_status_volunteer", ["shift_id", "status", "volunteer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_index("ix_rsvps_shift_status_volunteer")
        batch.create_index("ix_rsvps_shift_id", ["shift_id"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_callout_status_volunteer")
        batch.create_index("ix_outbox_callout_status", ["callout_id", "status"], unique=False)
        batch.drop_index("ix_outbox_volunteer_id")
    with op.batch_alter_table("callouts") as batch:
        batch.drop_column("payload")
