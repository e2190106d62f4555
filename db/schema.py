"""The tables. Migrations in `db/migrations/versions` create exactly these.

Personal fields (name, username, phone, postcode, location, free text) live only where
`db.privacy.erase_volunteer` knows to clear them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from db.types import UTCDateTime

# Named constraints so that migrations can refer to them on both engines.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

volunteers = Table(
    "volunteers",
    metadata,
    Column("id", Integer, primary_key=True),
    # Null once the volunteer has asked to be forgotten: nothing can reach them any more.
    Column("telegram_id", BigInteger, nullable=True, unique=True),
    Column("username", String(64), nullable=True),
    Column("name", String(64), nullable=True),
    Column("postcode", String(8), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("phone", String(32), nullable=True),
    # signing_up -> active -> forgotten
    Column("status", String(16), nullable=False),
    # The question we are waiting on, so sign-up and profile edits survive restarts.
    Column("step", String(32), nullable=True),
    Column("editing", Boolean, nullable=False, default=False),
    Column("start_payload", String(64), nullable=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("paused_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("signed_up_at", UTCDateTime, nullable=True),
    Column("forgotten_at", UTCDateTime, nullable=True),
)
Index("ix_volunteers_username_lower", volunteers.c.username)

volunteer_availability = Table(
    "volunteer_availability",
    metadata,
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("slot", String(16), primary_key=True),
)

volunteer_activities = Table(
    "volunteer_activities",
    metadata,
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("activity", String(24), primary_key=True),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("purpose", String(32), nullable=False),
    Column("notice_version", String(16), nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime, nullable=True),
)

roles = Table(
    "roles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("role", String(16), nullable=False),
    # '' means every area; a real value keeps the unique constraint meaningful on both engines,
    # where NULLs would never count as duplicates.
    Column("area", String(64), nullable=False, default=""),
    Column("granted_by", BigInteger, nullable=True),
    Column("granted_at", UTCDateTime, nullable=False),
    UniqueConstraint("volunteer_id", "role", "area", name="uq_roles_volunteer_role_area"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor_telegram_id", BigInteger, nullable=True),
    Column("action", String(32), nullable=False),
    Column(
        "target_volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="SET NULL"),
        nullable=True,
    ),
    # Never personal data: ids, role names, areas, counts.
    Column("detail", JSON, nullable=False, default=dict),
)
