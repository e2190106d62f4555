"""Loading a full postcode file (``python -m bot import-postcodes FILE``), for deployments that
want each postcode placed at its own centre rather than its sector's."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.postcode_files import Counts, read_postcodes
from db.places import lookup


@dataclass(frozen=True)
class Imported:
    postcodes: int  # rows with a place, stored
    skipped: int  # rows without a grid reference, or not a postcode
    volunteers: int  # volunteers who typed one of them, now placed at its centre


def _data_files(names: list[str]) -> list[str]:
    """The postcode CSVs in a zip as published: Code-Point Open has one per postcode area in
    Data/CSV/ (and a CSV of column headers in Doc/), ONSPD one for the whole UK in Data/ (with
    lookup tables in Documents/, and the same rows again split by area in Data/multi_csv/)."""
    found = [name for name in names if name.lower().endswith(".csv")]
    data = [name for name in found if "data/" in name.lower()] or found
    whole = [name for name in data if "multi_csv" not in name.lower()]
    return sorted(whole or data)


def _texts(path: Path) -> Iterator[io.TextIOBase]:
    """The CSVs in a file: itself (``.csv``, ``.csv.gz``), or the postcode CSVs in a ``.zip``
    as Ordnance Survey or the ONS publish it."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in _data_files(archive.namelist()):
                with archive.open(name) as member:
                    yield io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as text:  # type: ignore[operator]
        yield text


async def import_postcodes(conn: AsyncConnection, path: Path) -> Imported:
    """Store every postcode in the file with its centre (adding to or replacing any imported
    before), then move volunteers who typed one of them to it. Raises
    bot.domain.postcode_files.UnknownPostcodeFile for a file of neither kind."""
    counts = Counts()
    for text in _texts(path):
        await lookup.store_postcodes(conn, read_postcodes(text, counts))
    return Imported(counts.read, counts.skipped, await lookup.place_typed_postcodes(conn))
