"""Typed postcodes on the map: where each volunteer's latitude and longitude came from, exact
postcode centres for deployments that import them, and approximate places for volunteers who
typed a postcode before this (the centre of its sector, from the packaged table).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.places.lookup import packaged

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as this migration knows it, whatever db/schema.py says later.
volunteers = sa.table(
    "volunteers",
    sa.column("id", sa.Integer()),
    sa.column("postcode", sa.String()),
    sa.column("latitude", sa.Float()),
    sa.column("longitude", sa.Float()),
    sa.column("location_source", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_source", sa.String(length=12), nullable=True))
    op.create_table(
        "postcodes",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcodes")),
    )
    bind = op.get_bind()
    # Until now a location on a volunteer was always one they shared.
    bind.execute(
        sa.update(volunteers)
        .where(volunteers.c.latitude.is_not(None))
        .values(location_source="shared")
    )
    typed = bind.execute(
        sa.select(volunteers.c.id, volunteers.c.postcode).where(
            volunteers.c.postcode.is_not(None), volunteers.c.latitude.is_(None)
        )
    ).all()
    table = packaged()
    placed = []
    for row in typed:
        found = table.locate(row.postcode)
        if found is not None:
            placed.append(
                {
                    "vid": row.id,
                    "lat": found.latitude,
                    "lon": found.longitude,
                    "source": found.source.value,
                }
            )
    if placed:
        bind.execute(
            sa.update(volunteers)
            .where(volunteers.c.id == sa.bindparam("vid"))
            .values(
                latitude=sa.bindparam("lat"),
                longitude=sa.bindparam("lon"),
                location_source=sa.bindparam("source"),
            ),
            placed,
        )


def downgrade() -> None:
    # Before this, a location meant one the volunteer shared: forget those found from postcodes.
    op.get_bind().execute(
        sa.update(volunteers)
        .where(volunteers.c.location_source != "shared")
        .values(latitude=None, longitude=None)
    )
    op.drop_table("postcodes")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("location_source")
