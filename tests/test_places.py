"""Postcodes to places: the packaged table, the lookup (sector, then district, never Northern
Ireland), and the distance rules that allow for a place known only roughly."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pytest

from bot.domain.audience import Place, bounding_box, distance_km, gap_km, near
from bot.domain.places import (
    APPROXIMATE_ALLOWANCE_KM,
    Gazetteer,
    PlaceSource,
    district,
    postcode_in,
    sector,
)
from db.places.lookup import PACKAGED_TABLE, packaged


def test_the_packaged_table_is_small_and_covers_great_britain() -> None:
    size = resources.files("db.places").joinpath(PACKAGED_TABLE).read_bytes()
    assert len(size) < 150_000
    table = packaged()
    assert 10_000 < len(table) < 15_000  # about 10,800 sectors and 2,900 districts
    for postcode in ("SE15 4QR", "EH1 1YZ", "CF10 1EP", "IV27 4JB", "ZE2 9AD", "TR21 0JQ"):
        assert table.locate(postcode) is not None, postcode


def test_a_postcode_is_placed_at_its_sectors_centre() -> None:
    found = packaged().locate("SE15 4QR")
    assert found is not None
    assert found.source is PlaceSource.SECTOR and found.approximate
    assert (found.latitude, found.longitude) == (51.4663, -0.0708)
    # The same sector, whatever the rest of the postcode and however it is typed.
    assert packaged().locate("se15 4aa") == found


def test_a_sector_the_table_lacks_falls_back_to_its_district() -> None:
    # SE15 has sectors 1-6 and 9; a (new) SE15 7 is placed at the district's centre.
    found = packaged().locate("SE15 7ZZ")
    assert found is not None
    assert found.source is PlaceSource.DISTRICT and found.approximate
    assert (found.latitude, found.longitude) == (51.4728, -0.0657)


def test_northern_ireland_and_unknown_postcodes_are_not_on_the_map() -> None:
    table = packaged()
    assert table.locate("BT1 5GS") is None  # Code-Point Open does not cover Northern Ireland
    assert table.locate("ZZ9 9ZZ") is None
    assert table.locate("not a postcode") is None
    assert table.locate(None) is None
    assert table.locate("") is None


def test_a_small_table_reads_as_built() -> None:
    table = Gazetteer.parse("N1,51.5400,-0.1000\nN1 9,51.5300,-0.1200\n")
    assert len(table) == 2
    assert table.locate("N1 9GU") is not None
    assert table.locate("N1 9GU").source is PlaceSource.SECTOR  # type: ignore[union-attr]
    assert table.locate("N1 0AA").source is PlaceSource.DISTRICT  # type: ignore[union-attr]


def test_postcodes_in_addresses() -> None:
    address = "Rye Lane Library, 12 Rye Lane, London se15 5ew"
    assert postcode_in(address) == "SE15 5EW"
    assert (sector(address), district(address)) == ("SE15 5", "SE15")
    assert postcode_in("SW1A1AA") == "SW1A 1AA"
    assert postcode_in("Moved from N1 9GU to E8 1DY") == "E8 1DY"  # the last one
    assert postcode_in("Peckham Rye") is None and district(None) is None


PECKHAM = Place(51.48636, -0.07467, "Old Kent Road, SE15 6NX")  # a map pin


def test_a_typed_postcode_is_near_within_the_radius_plus_the_allowance() -> None:
    east_dulwich = Place(51.4510, -0.0660, "SE22 0AT", approximate=True)  # sector SE22 0
    away = distance_km(51.4510, -0.0660, PECKHAM.latitude, PECKHAM.longitude)  # type: ignore[arg-type]
    assert 3.9 < away < 4.0
    assert gap_km(east_dulwich, PECKHAM) == pytest.approx(away - APPROXIMATE_ALLOWANCE_KM)
    assert near(east_dulwich, PECKHAM, 5)
    assert not near(east_dulwich, PECKHAM, 2)
    # Someone who shared a location that far away is measured exactly: not within 3 km.
    shared = Place(51.4510, -0.0660, None)
    assert not near(shared, PECKHAM, 3) and near(shared, PECKHAM, 4)
    # A meeting point known only by its postcode allows for it too; so do both ends at once.
    rough_meeting = Place(51.48636, -0.07467, "SE15 6NX", approximate=True)
    assert near(shared, rough_meeting, 3)
    assert gap_km(east_dulwich, rough_meeting) == pytest.approx(away - 2 * APPROXIMATE_ALLOWANCE_KM)


def test_off_the_map_falls_back_to_the_postcode_district() -> None:
    belfast = Place(54.5973, -5.9301, "Belfast City Hall, BT1 5GS")
    assert near(Place(None, None, "BT1 6AA"), belfast, 2)
    assert not near(Place(None, None, "BT7 1NN"), belfast, 25)
    meeting_off_map = Place(None, None, "Shankill Road, BT13 1AA")
    assert near(Place(None, None, "BT13 3AB"), meeting_off_map, 2)
    assert not near(Place(54.60, -5.95, None), meeting_off_map, 25)  # a pin, but no district


@pytest.mark.parametrize("latitude", [50.0, 51.48, 58.6, -33.9])
def test_the_box_holds_every_point_within_reach(latitude: float) -> None:
    south, north, west, east = bounding_box(latitude, -0.07, 6.5)
    for degrees in range(0, 360, 5):
        # A point just inside 6.5 km, in each direction.
        bearing = math.radians(degrees)
        dlat = math.degrees(6.49 / 6371.0088) * math.cos(bearing)
        lat = latitude + dlat
        dlon = math.degrees(6.49 / 6371.0088) * math.sin(bearing) / math.cos(math.radians(lat))
        lon = -0.07 + dlon
        assert distance_km(latitude, -0.07, lat, lon) <= 6.5
        assert south <= lat <= north and west <= lon <= east, degrees


def test_the_build_script_averages_each_sector_and_district_on_the_grid(tmp_path: Path) -> None:
    from db.places.build_sectors import grid_means

    sample = Path(__file__).parent / "fixtures" / "codepoint-open-sample.csv"
    (tmp_path / "se.csv").write_bytes(sample.read_bytes())
    means = grid_means(tmp_path)
    assert means["SE15 4"] == (534032, 176186)
    assert means["SE15"] == pytest.approx(
        ((534032 + 534233 + 533777) / 3, (176186 + 176632 + 178136) / 3)
    )
    assert means["EH1 1"] == (325597, 673676)
    assert "AB43 1" not in means and "AB43" not in means  # no grid reference
