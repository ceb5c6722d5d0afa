#!/usr/bin/python3
"""Write the demo location database the shipped zone routes with.

zones/example.com.zone has a `geo` profile (app.example.com), and geo
profiles need a MaxMind-format database (--geo-database). Real deployments
use GeoIP2 or GeoLite2 City from MaxMind (downloaded under MaxMind's
licence, kept fresh with geoipupdate); this demo places the documentation
networks and loopback so that the walkthrough works on any machine:

  192.0.2.0/24     Germany (Bavaria), Europe       -> app: the EU pool
  198.51.100.0/24  United States (California)      -> app: the US pool
  203.0.113.0/24   Japan, Asia                     -> app: the US pool
  2001:db8::/32    France, Europe                  -> app: the EU pool
  127.0.0.0/8      United States (New York)        -> app: the US pool

Usage: demo_geo.py OUTPUT.mmdb
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "scenario"))
from mmdb_writer import MMDBWriter  # noqa: E402  (the test suite's writer)

PLACES = [
    ("192.0.2.0/24", "EU", "DE", "BY", 48.14, 11.58),
    ("198.51.100.0/24", "NA", "US", "CA", 37.77, -122.42),
    ("203.0.113.0/24", "AS", "JP", "13", 35.68, 139.69),
    ("2001:db8::/32", "EU", "FR", "IDF", 48.86, 2.35),
    ("127.0.0.0/8", "NA", "US", "NY", 40.71, -74.01),
]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    w = MMDBWriter(ip_version=6, record_size=28, database_type="Switchboard-Demo-City",
                   languages=["en"], build_epoch=1764547200,
                   description={"en": "Switchboard demo locations (not real data)"})
    for net, continent, country, sub, lat, lon in PLACES:
        w.insert(net, {"continent": {"code": continent}, "country": {"iso_code": country},
                       "subdivisions": [{"iso_code": sub}],
                       "location": {"latitude": lat, "longitude": lon}})
    w.write(sys.argv[1])


if __name__ == "__main__":
    main()
