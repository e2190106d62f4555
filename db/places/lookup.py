"""Where postcodes and meeting points are on the map: the imported exact postcode centres when a
deployment loaded them (``python -m bot import-postcodes``), else the packaged table of sector and
district centres (``postcode_places.csv.gz``, built by ``db.places.build_sectors``; see the README
for its source and licence). Nothing is downloaded at run time."""

from __future__ import annotations

import functools
import gzip
from collections.abc import Iterable
from importlib import resources

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.audience import Place
from bot.domain.events import Event
from bot.domain.places import Gazetteer, Located, PlaceSource, postcode_in
from db.schema import postcodes, volunteers

PACKAGED_TABLE = "postcode_places.csv.gz"


@functools.cache
def packaged() -> Gazetteer:
    """The packaged sector and district centres, read once per process."""
    raw = resources.files(__package__).joinpath(PACKAGED_TABLE).read_bytes()
    return Gazetteer.parse(gzip.decompress(raw).decode("ascii"))


async def locate(conn: AsyncConnection, postcode: str | None) -> Located | None:
    """Where a postcode (or the postcode in an address) is: its own centre when imported, else
    its sector's or district's; None when it is not on the map (Northern Ireland, unknown)."""
    found = postcode_in(postcode)
    if found is None:
        return None
    exact = (
        await conn.execute(
            select(postcodes.c.latitude, postcodes.c.longitude).where(
                postcodes.c.postcode == found
            )
        )
    ).first()
    if exact is not None:
        return Located(exact.latitude, exact.longitude, PlaceSource.POSTCODE)
    return packaged().locate(found)


async def locate_many(
    conn: AsyncConnection, addresses: Iterable[str]
) -> dict[str, Located]:
    """:func:`locate` for many postcodes or addresses at once (one query), by the postcode each
    holds ("SE15 4QR"); those not on the map are left out."""
    wanted = {found for found in map(postcode_in, addresses) if found is not None}
    if not wanted:
        return {}
    located: dict[str, Located] = {
        row.postcode: Located(row.latitude, row.longitude, PlaceSource.POSTCODE)
        for row in await conn.execute(
            select(postcodes.c.postcode, postcodes.c.latitude, postcodes.c.longitude).where(
                postcodes.c.postcode.in_(sorted(wanted))
            )
        )
    }
    table = packaged()
    for postcode in wanted - located.keys():
        found = table.locate(postcode)
        if found is not None:
            located[postcode] = found
    return located


async def meeting_place(conn: AsyncConnection, event: Event) -> Place:
    """An event's meeting point: its map pin when it has one (exact), else where the postcode in
    its address is (maybe approximate), else only that postcode."""
    if event.has_location:
        return Place(event.latitude, event.longitude, event.address)
    found = await locate(conn, event.address)
    if found is None:
        return Place(None, None, event.address)
    return Place(found.latitude, found.longitude, event.address, found.approximate)


IMPORT_BATCH = 5000


async def store_postcodes(conn: AsyncConnection, rows: Iterable[tuple[str, float, float]]) -> int:
    """Add or replace exact postcode centres (postcode normalised as "SE15 4QR"); how many rows
    were read. A postcode given twice keeps its last position."""
    count = 0
    batch: dict[str, dict[str, object]] = {}

    async def flush() -> None:
        await conn.execute(delete(postcodes).where(postcodes.c.postcode.in_(list(batch))))
        await conn.execute(insert(postcodes), list(batch.values()))
        batch.clear()

    for postcode, latitude, longitude in rows:
        batch[postcode] = {"postcode": postcode, "latitude": latitude, "longitude": longitude}
        count += 1
        if len(batch) >= IMPORT_BATCH:
            await flush()
    if batch:
        await flush()
    return count


async def place_typed_postcodes(conn: AsyncConnection) -> int:
    """Move volunteers who typed a postcode now imported to its exact centre; how many."""
    own = postcodes.c.postcode == volunteers.c.postcode
    done = await conn.execute(
        update(volunteers)
        .where(exists().where(own))
        .values(
            latitude=select(postcodes.c.latitude).where(own).scalar_subquery(),
            longitude=select(postcodes.c.longitude).where(own).scalar_subquery(),
            location_source=PlaceSource.POSTCODE,
        )
    )
    return done.rowcount
