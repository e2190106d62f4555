"""Postcodes to places on the map, offline and approximate.

A typed postcode is placed at the centre of its sector ("SE15 4"), or of its district ("SE15") when
the sector is not in the table; a deployment that imported a full postcode file places it at the
centre of the postcode itself. The table comes in as text (``Gazetteer.parse``), so this module
stays pure: ``db.places.lookup`` loads the packaged copy and the imported postcodes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class PlaceSource(StrEnum):
    """Where a volunteer's (or a meeting point's, or a target's) map position came from."""

    SHARED = "shared"  # a location they shared: exact
    POSTCODE = "postcode"  # the centre of the full postcode (an imported postcode file)
    SECTOR = "sector"  # the centre of the postcode's sector: approximate
    DISTRICT = "district"  # the centre of the postcode's district: approximate
    GIVEN = "given"  # coordinates typed in (a target's centre in a CSV file): exact


APPROXIMATE = frozenset({PlaceSource.SECTOR, PlaceSource.DISTRICT})

# How far a place known only by its sector may be from where the person really is, added to
# every radius it is measured against. Measured over Code-Point Open when the table was built:
# half of all GB postcodes lie within 0.74 km of their sector's centre, three in four within
# 1.4 km, and in cities nine in ten within 1.5 km. So 1.5 km rarely leaves out someone who really
# is within the radius, and asks at most 1.5 km beyond it otherwise (a district centre, the rare
# fallback, can be further out still; this is not meant to cover it fully).
APPROXIMATE_ALLOWANCE_KM = 1.5

# A UK postcode anywhere in a text (an address ends with one): outward code, then inward code.
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")


def postcode_in(text: str | None) -> str | None:
    """The postcode ("SE15 4QR") in a postcode or an address (the last one, if several)."""
    if not text:
        return None
    found = _POSTCODE_IN_TEXT.findall(text.upper())
    return f"{found[-1][0]} {found[-1][1]}" if found else None


def district(text: str | None) -> str | None:
    """The postcode district ("SE15") of a postcode, or of the last postcode in an address."""
    postcode = postcode_in(text)
    return postcode.split(" ")[0] if postcode else None


def sector(text: str | None) -> str | None:
    """The postcode sector ("SE15 4") of a postcode, or of the last postcode in an address."""
    postcode = postcode_in(text)
    return postcode[:-2] if postcode else None


@dataclass(frozen=True)
class Located:
    """Where a postcode is on the map, and how that is known."""

    latitude: float
    longitude: float
    source: PlaceSource

    @property
    def approximate(self) -> bool:
        return self.source in APPROXIMATE


class Gazetteer:
    """Centres of postcode sectors and districts (Northern Ireland, BT, is not in Code-Point
    Open, so it is never found here)."""

    def __init__(self, centres: Mapping[str, tuple[float, float]]) -> None:
        self._centres = centres

    @classmethod
    def parse(cls, text: str) -> Gazetteer:
        """From the packaged table: ``key,latitude,longitude`` a line, key "SE15 4" or "SE15"."""
        centres: dict[str, tuple[float, float]] = {}
        for line in text.splitlines():
            if line:
                key, latitude, longitude = line.split(",")
                centres[key] = (float(latitude), float(longitude))
        return cls(centres)

    def __len__(self) -> int:
        return len(self._centres)

    def locate(self, postcode: str | None) -> Located | None:
        """The centre of the postcode's sector, else of its district; None when neither is known
        (Northern Ireland, a district too new for the table, or no postcode at all)."""
        for key, source in (
            (sector(postcode), PlaceSource.SECTOR),
            (district(postcode), PlaceSource.DISTRICT),
        ):
            if key is not None and key in self._centres:
                latitude, longitude = self._centres[key]
                return Located(latitude, longitude, source)
        return None
