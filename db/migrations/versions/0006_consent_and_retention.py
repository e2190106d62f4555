"""Consent per purpose (a choice on every consent row), when each volunteer was last in touch and
warned before deletion, and the data policy the bot runs with (the privacy notice version it shows
and the campaign's end).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consents") as batch_op:
        # Every row until now was an "I agree" to the notice.
        batch_op.add_column(
            sa.Column("choice", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("volunteers") as batch_op:
        batch_op.add_column(sa.Column("last_contact_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("retention_warned_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("notice_asked", sa.String(length=16), nullable=True))
    # Nobody has been away longer than since they signed up (or started to).
    op.execute(
        "UPDATE volunteers SET last_contact_at = COALESCE(signed_up_at, created_at) "
        "WHERE status != 'forgotten'"
    )
    # Those who chose /showme get it as a consent row, like every choice from now on.
    op.execute(
        "INSERT INTO consents (volunteer_id, purpose, choice, notice_version, given_at) "
        "SELECT v.id, 'leaderboard', TRUE, COALESCE((SELECT MAX(c.notice_version) FROM consents c "
        "WHERE c.volunteer_id = v.id AND c.purpose = 'volunteering'), ''), "
        "COALESCE(v.signed_up_at, v.created_at) FROM volunteers v WHERE v.on_leaderboard"
    )
    op.create_table(
        "data_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_version", sa.String(length=16), nullable=True),
        sa.Column("campaign_ends_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_policy")),
    )


def downgrade() -> None:
    op.drop_table("data_policy")
    op.execute("DELETE FROM consents WHERE purpose != 'volunteering'")
    with op.batch_alter_table("volunteers") as batch_op:
        batch_op.drop_column("notice_asked")
        batch_op.drop_column("retention_warned_at")
        batch_op.drop_column("last_contact_at")
    with op.batch_alter_table("consents") as batch_op:
        batch_op.drop_column("choice")
