"""An index on where volunteers are, so that a call's "within N km" narrows 100,000 volunteers to
a latitude band by index rather than reading every row (issue 11: a 5 km audience count within
200 ms).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.create_index("ix_volunteers_place", ["latitude", "longitude"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteers_place")
