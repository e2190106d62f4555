"""Volunteers, their answers, consent, roles and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("telegram_id", sa.BigInteger, nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("name", sa.String(64), nullable=True),
        sa.Column("postcode", sa.String(8), nullable=True),
        sa.Column("latitude", sa.Float, nullable=True),
        sa.Column("longitude", sa.Float, nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("step", sa.String(32), nullable=True),
        sa.Column("editing", sa.Boolean, nullable=False),
        sa.Column("start_payload", sa.String(64), nullable=True),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("paused_until", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("signed_up_at", UTCDateTime, nullable=True),
        sa.Column("forgotten_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_volunteers"),
        sa.UniqueConstraint("telegram_id", name="uq_volunteers_telegram_id"),
    )
    op.create_index("ix_volunteers_username_lower", "volunteers", ["username"])
    op.create_table(
        "volunteer_availability",
        sa.Column("volunteer_id", sa.Integer, nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name="fk_volunteer_availability_volunteer_id_volunteers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "slot", name="pk_volunteer_availability"),
    )
    op.create_table(
        "volunteer_activities",
        sa.Column("volunteer_id", sa.Integer, nullable=False),
        sa.Column("activity", sa.String(24), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name="fk_volunteer_activities_volunteer_id_volunteers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "activity", name="pk_volunteer_activities"),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("volunteer_id", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("notice_version", sa.String(16), nullable=False),
        sa.Column("given_at", UTCDateTime, nullable=False),
        sa.Column("withdrawn_at", UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name="fk_consents_volunteer_id_volunteers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
    )
    op.create_index("ix_consents_volunteer_id", "consents", ["volunteer_id"])
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("volunteer_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("area", sa.String(64), nullable=False),
        sa.Column("granted_by", sa.BigInteger, nullable=True),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name="fk_roles_volunteer_id_volunteers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.UniqueConstraint("volunteer_id", "role", "area", name="uq_roles_volunteer_role_area"),
    )
    op.create_index("ix_roles_volunteer_id", "roles", ["volunteer_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor_telegram_id", sa.BigInteger, nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_volunteer_id", sa.Integer, nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["target_volunteer_id"],
            ["volunteers.id"],
            name="fk_audit_log_target_volunteer_id_volunteers",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_roles_volunteer_id", table_name="roles")
    op.drop_table("roles")
    op.drop_index("ix_consents_volunteer_id", table_name="consents")
    op.drop_table("consents")
    op.drop_table("volunteer_activities")
    op.drop_table("volunteer_availability")
    op.drop_index("ix_volunteers_username_lower", table_name="volunteers")
    op.drop_table("volunteers")
