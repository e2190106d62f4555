"""`python -m bot import-postcodes FILE`: a full postcode file (Code-Point Open or ONSPD) goes
into the postcodes table, the lookup then prefers it, and volunteers who typed one of its
postcodes move to its centre. The grid conversion matches pyproj's."""

from __future__ import annotations

import asyncio
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.__main__ import main
from bot.domain.audience import distance_km
from bot.domain.places import PlaceSource
from bot.domain.postcode_files import Counts, UnknownPostcodeFile, osgb36_to_wgs84, read_postcodes
from db import migrate
from db.engine import create_engine
from db.places import lookup
from db.schema import postcodes, volunteers

FIXTURES = Path(__file__).parent / "fixtures"
CODE_POINT = FIXTURES / "codepoint-open-sample.csv"
ONSPD = FIXTURES / "onspd-sample.csv"
# As pyproj (EPSG:27700 to EPSG:4326) gives them, for SE15 4QR and EH1 1YZ.
SE15_4QR = (51.468776, -0.071742)
EH1_1YZ = (55.950332, -3.193017)


def test_grid_references_turn_into_latitude_and_longitude() -> None:
    for (easting, northing), expected in (
        ((534032, 176186), SE15_4QR),
        ((325597, 673676), EH1_1YZ),
    ):
        found = osgb36_to_wgs84(easting, northing)
        assert distance_km(*found, *expected) < 0.001  # within a metre


def test_both_kinds_of_file_are_read() -> None:
    counts = Counts()
    with CODE_POINT.open(newline="") as text:
        rows = list(read_postcodes(text, counts))
    assert [postcode for postcode, _, _ in rows] == [
        "SE15 4QR",
        "SE15 5EW",
        "SE15 6NX",
        "SE22 0AT",
        "EH1 1YZ",
    ]
    assert rows[0][1:] == SE15_4QR
    assert (counts.read, counts.skipped) == (5, 1)  # AB43 1AG has no grid reference

    counts = Counts()
    with ONSPD.open(newline="") as text:
        rows = list(read_postcodes(text, counts))
    assert rows == [("SE15 4QR", *SE15_4QR), ("BT1 5GS", 54.597018, -5.930139)]
    assert (counts.read, counts.skipped) == (2, 1)

    with pytest.raises(UnknownPostcodeFile):
        list(read_postcodes(["name,phone\n", "Sam,07700900123\n"], Counts()))


def _volunteer(
    telegram_id: int,
    postcode: str | None,
    place: tuple[float, float] | None,
    source: str | None,
) -> dict[str, object]:
    return {
        "telegram_id": telegram_id,
        "status": "active",
        "editing": False,
        "paused": False,
        "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        "postcode": postcode,
        "latitude": place[0] if place else None,
        "longitude": place[1] if place else None,
        "location_source": source,
    }


def test_import_postcodes_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'muster.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's

    async def ready() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(
                insert(volunteers),
                [
                    _volunteer(1, "SE15 4QR", (51.4663, -0.0708), "sector"),
                    _volunteer(2, "BT1 5GS", None, None),
                    _volunteer(3, None, (51.47, -0.07), "shared"),
                    _volunteer(4, "SE15 4AA", (51.4663, -0.0708), "sector"),
                ],
            )
        await engine.dispose()

    async def stored() -> tuple[dict, dict]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            people = {
                row.telegram_id: (row.latitude, row.longitude, row.location_source)
                for row in await conn.execute(select(volunteers))
            }
            found = {
                postcode: await lookup.locate(conn, postcode)
                for postcode in ("SE15 5EW", "SE15 4AA", "BT1 5GS")
            }
            assert (
                await conn.scalar(
                    select(postcodes.c.postcode).where(postcodes.c.postcode == "AB43 1AG")
                )
                is None
            )
        await engine.dispose()
        return people, found

    asyncio.run(ready())
    # Code-Point Open as published: a zip of a CSV per area, and a CSV of headers in Doc/.
    archive = tmp_path / "codepo_gb.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(CODE_POINT, "Data/CSV/se.csv")
        zipped.writestr("Doc/Code-Point_Open_Column_Headers.csv", "PC,PQ,EA,NO\n")
    assert main(["import-postcodes", str(archive)]) == 0
    assert "postcodes loaded: 5; rows without a place: 1" in capsys.readouterr().out
    assert main(["import-postcodes", str(ONSPD)]) == 0
    said = capsys.readouterr().out
    assert "postcodes loaded: 2; rows without a place: 1" in said
    assert "volunteers now placed at their own postcode's centre: 2" in said

    people, found = asyncio.run(stored())
    assert people == {
        1: (*SE15_4QR, "postcode"),  # moved to its own centre
        2: (54.597018, -5.930139, "postcode"),  # Northern Ireland, on the map from ONSPD
        3: (51.47, -0.07, "shared"),  # a shared location stays as it was
        4: (51.4663, -0.0708, "sector"),  # not in the file: still its sector
    }
    assert found["SE15 5EW"] is not None and found["SE15 5EW"].source is PlaceSource.POSTCODE
    assert found["SE15 4AA"] is not None and found["SE15 4AA"].source is PlaceSource.SECTOR
    assert found["BT1 5GS"] is not None and found["BT1 5GS"].source is PlaceSource.POSTCODE


def test_import_postcodes_refuses_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'muster.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["import-postcodes"]) == 2
    assert "usage: muster" in capsys.readouterr().err
    assert main(["import-postcodes", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    people = tmp_path / "people.csv"
    people.write_text("name,phone\nSam,07700900123\n")
    assert main(["import-postcodes", str(people)]) == 2
    assert "not a Code-Point Open or ONSPD postcode file" in capsys.readouterr().err

    async def count() -> int:
        engine = create_engine(url)
        async with engine.connect() as conn:
            rows = len((await conn.execute(select(postcodes))).all())
        await engine.dispose()
        return rows

    assert asyncio.run(count()) == 0
