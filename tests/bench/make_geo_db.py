#!/usr/bin/python3
"""A location database the size a routing benchmark needs: every /24 of
10.0.0.0/16 .. 10.255.0.0/16 (65,536 networks) placed in one of 5,000
cities spread over the seven continents, countries, subdivisions and
coordinates — so that lookups walk a deep tree and decode many distinct
records, as with a real city database (bench_route.c's NETWORKS mode).

Usage: make_geo_db.py OUTPUT.mmdb
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenario"))
from mmdb_writer import MMDBWriter  # noqa: E402

CONTINENTS = ["EU", "NA", "AS", "SA", "AF", "OC", "AN"]
COUNTRIES = ["DE", "US", "JP", "BR", "ZA", "AU", "AQ", "FR", "CA", "IN", "AR", "EG", "NZ"]


def city(k):
    return {"continent": {"code": CONTINENTS[k % 7]},
            "country": {"iso_code": COUNTRIES[k % len(COUNTRIES)]},
            "subdivisions": [{"iso_code": "S%d" % (k % 97)}],
            "location": {"latitude": (k * 37 % 170) - 85.0, "longitude": (k * 73 % 350) - 175.0},
            "city": {"names": {"en": "City %d" % k}}}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    w = MMDBWriter(ip_version=6, record_size=28, database_type="Switchboard-Bench-City",
                   languages=["en"], build_epoch=1764547200,
                   description={"en": "benchmark data (not real)"})
    places = [city(k) for k in range(5000)]
    for i in range(65536):
        w.insert("10.%d.%d.0/24" % (i >> 8, i & 255), places[(i * 7919) % 5000])
    w.write(sys.argv[1])


if __name__ == "__main__":
    main()
