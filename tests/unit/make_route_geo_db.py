#!/usr/bin/python3
"""Write the location database the geo and closest unit tests route with
(test_route_geo.c, test_route_alloc.c), with the test suite's MaxMind DB
writer. The build writes it into the build directory; the tests find it
through SB_TEST_GEO_DATABASE.

  192.0.2.0/24     Europe, Germany, Bavaria         Munich
  198.51.100.0/24  North America, United States, CA San Francisco
  203.0.113.0/24   Asia, Japan, 13                  Tokyo
  2001:db8::/32    Europe, France, IDF              Paris
  10.20.0.0/16     Oceania, Australia, NSW          Sydney
  10.30.0.0/16     Africa, South Africa             no coordinates
  100.64.0.0/10    registered in Brazil only        no coordinates

Usage: make_route_geo_db.py OUTPUT.mmdb
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenario"))
from mmdb_writer import MMDBWriter  # noqa: E402

PLACES = [
    ("192.0.2.0/24", "EU", "DE", "BY", (48.14, 11.58)),
    ("198.51.100.0/24", "NA", "US", "CA", (37.77, -122.42)),
    ("203.0.113.0/24", "AS", "JP", "13", (35.68, 139.69)),
    ("2001:db8::/32", "EU", "FR", "IDF", (48.86, 2.35)),
    ("10.20.0.0/16", "OC", "AU", "NSW", (-33.87, 151.21)),
    ("10.30.0.0/16", "AF", "ZA", None, None),
]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    w = MMDBWriter(ip_version=6, record_size=28, database_type="Switchboard-Test-City",
                   languages=["en"], build_epoch=1764547200,
                   description={"en": "unit tests of geographic routing"})
    for net, continent, country, sub, where in PLACES:
        data = {"continent": {"code": continent}, "country": {"iso_code": country}}
        if sub is not None:
            data["subdivisions"] = [{"iso_code": sub}]
        if where is not None:
            data["location"] = {"latitude": where[0], "longitude": where[1]}
        w.insert(net, data)
    w.insert("100.64.0.0/10", {"registered_country": {"iso_code": "BR"}})
    w.write(sys.argv[1])


if __name__ == "__main__":
    main()
