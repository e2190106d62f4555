"""Where postcodes are on the map: the packaged table of sector and district centres with the
script that builds it (``build_sectors``, run on its own with only pyproj installed, so nothing
here imports the database), and the lookup over it and the imported postcodes (``lookup``)."""
