"""Reading a full postcode file for ``python -m bot import-postcodes``: Ordnance Survey's
Code-Point Open CSVs (grid references) or the ONS Postcode Directory (ONSPD, latitude and
longitude). Pure: lines in, ``(postcode, latitude, longitude)`` out."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.domain.places import postcode_in

# Code-Point Open's positional quality 90: no grid reference (the row carries 0, 0).
NO_GRID_REFERENCE = 90
# ONSPD's latitude for a postcode with no grid reference.
ONSPD_NO_LATITUDE = 99.999999


class UnknownPostcodeFile(ValueError):
    """Neither Code-Point Open nor ONSPD."""


@dataclass
class Counts:
    """What reading a file came to: rows with a place, and rows left out (no grid reference, or
    not a postcode)."""

    read: int = 0
    skipped: int = 0


def read_postcodes(lines: Iterable[str], counts: Counts) -> Iterator[tuple[str, float, float]]:
    """Each postcode in a Code-Point Open or ONSPD CSV with its WGS84 latitude and longitude.
    Raises UnknownPostcodeFile when the first row is neither a header naming pcds/pcd, lat and
    long (ONSPD) nor a Code-Point Open row (postcode, quality, easting, northing)."""
    rows = csv.reader(lines)
    first = next(rows, None)
    if first is None:
        return
    header = [cell.strip().lower() for cell in first]
    if "lat" in header and "long" in header:
        yield from _onspd(rows, header, counts)
    elif len(first) >= 4 and postcode_in(first[0]) and first[2].strip().isdigit():
        yield from _code_point([first], counts)
        yield from _code_point(rows, counts)
    elif header[:1] == ["postcode"] and len(header) >= 4:  # Code-Point Open with its header
        yield from _code_point(rows, counts)
    else:
        raise UnknownPostcodeFile


def _onspd(
    rows: Iterator[list[str]], header: list[str], counts: Counts
) -> Iterator[tuple[str, float, float]]:
    named = next((name for name in ("pcds", "pcd", "pcd2") if name in header), None)
    if named is None:
        raise UnknownPostcodeFile
    at_code, at_lat, at_long = header.index(named), header.index("lat"), header.index("long")
    for row in rows:
        try:
            postcode = postcode_in(row[at_code])
            latitude, longitude = float(row[at_lat]), float(row[at_long])
        except (IndexError, ValueError):
            postcode = None
        if postcode is None or latitude == ONSPD_NO_LATITUDE:
            counts.skipped += 1
            continue
        counts.read += 1
        yield postcode, latitude, longitude


def _code_point(rows: Iterable[list[str]], counts: Counts) -> Iterator[tuple[str, float, float]]:
    for row in rows:
        try:
            postcode = postcode_in(row[0])
            quality, easting, northing = int(row[1]), float(row[2]), float(row[3])
        except (IndexError, ValueError):
            postcode = None
        if postcode is None or quality == NO_GRID_REFERENCE:
            counts.skipped += 1
            continue
        counts.read += 1
        yield (postcode, *osgb36_to_wgs84(easting, northing))


# British National Grid on the Airy 1830 ellipsoid (OSGB36), and WGS84's GRS80 ellipsoid.
_AIRY_A, _AIRY_B = 6377563.396, 6356256.909
_GRS80_A, _GRS80_B = 6378137.000, 6356752.3141
_F0 = 0.9996012717
_LAT0, _LON0 = math.radians(49.0), math.radians(-2.0)
_E0, _N0 = 400000.0, -100000.0
# OSGB36 to WGS84 (Ordnance Survey's published 7-parameter Helmert transformation): metres,
# parts per million, arc-seconds.
_TX, _TY, _TZ = 446.448, -125.157, 542.060
_S = -20.4894e-6
_RX, _RY, _RZ = (math.radians(seconds / 3600) for seconds in (0.1502, 0.2470, 0.8421))


def osgb36_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """A British National Grid reference as WGS84 latitude and longitude (degrees, 6 places).

    Code-Point Open gives grid references, and the bot has no projection library (pyproj would be
    a large dependency for one command). This is Ordnance Survey's own recipe from "A guide to
    coordinate systems in Great Britain": undo the Transverse Mercator projection to OSGB36
    latitude and longitude, then a 7-parameter Helmert shift to WGS84. It is good to about 5 m
    (the exact OSTN15 grid shift is finer, but a postcode covers far more than that)."""
    latitude, longitude = _grid_to_airy(easting, northing)
    x, y, z = _to_cartesian(latitude, longitude, _AIRY_A, _AIRY_B)
    x, y, z = (
        _TX + (1 + _S) * x - _RZ * y + _RY * z,
        _TY + _RZ * x + (1 + _S) * y - _RX * z,
        _TZ - _RY * x + _RX * y + (1 + _S) * z,
    )
    latitude, longitude = _from_cartesian(x, y, z, _GRS80_A, _GRS80_B)
    return round(math.degrees(latitude), 6), round(math.degrees(longitude), 6)


def _meridional_arc(latitude: float) -> float:
    a, b = _AIRY_A, _AIRY_B
    n = (a - b) / (a + b)
    d, s = latitude - _LAT0, latitude + _LAT0
    return (
        b
        * _F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def _grid_to_airy(easting: float, northing: float) -> tuple[float, float]:
    a = _AIRY_A
    e2 = 1 - (_AIRY_B / a) ** 2
    latitude, arc = _LAT0, 0.0
    while abs(northing - _N0 - arc) >= 1e-5:
        latitude += (northing - _N0 - arc) / (a * _F0)
        arc = _meridional_arc(latitude)
    sin, cos, tan = math.sin(latitude), math.cos(latitude), math.tan(latitude)
    nu = a * _F0 / math.sqrt(1 - e2 * sin**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = 1 / (cos * nu)
    xi = 1 / (cos * 6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = 1 / (cos * 120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = 1 / (cos * 5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    de = easting - _E0
    return (
        latitude - vii * de**2 + viii * de**4 - ix * de**6,
        _LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7,
    )


def _to_cartesian(latitude: float, longitude: float, a: float, b: float) -> tuple[float, ...]:
    e2 = 1 - (b / a) ** 2
    nu = a / math.sqrt(1 - e2 * math.sin(latitude) ** 2)
    return (
        nu * math.cos(latitude) * math.cos(longitude),
        nu * math.cos(latitude) * math.sin(longitude),
        (1 - e2) * nu * math.sin(latitude),
    )


def _from_cartesian(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float]:
    e2 = 1 - (b / a) ** 2
    p = math.hypot(x, y)
    latitude = math.atan2(z, p * (1 - e2))
    for _ in range(10):  # converges to well under a millimetre in a few steps
        nu = a / math.sqrt(1 - e2 * math.sin(latitude) ** 2)
        latitude = math.atan2(z + e2 * nu * math.sin(latitude), p)
    return latitude, math.atan2(y, x)
