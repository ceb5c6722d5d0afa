"""Routing by where the client is, end to end: geo profiles (subdivision,
then country, then continent, then the default endpoints), closest profiles
(great-circle distance to the client's location), a geo profile leading to
nested weighted pools (min-usable), the configuration errors `check`
reports for them, and reloads that read a replaced location database or
change a profile's method while an endpoint is down.

Each test builds its own small MaxMind DB with mmdb_writer.py, in a
directory the daemon's user owns, and asks the real daemon over UDP and TCP:
with EDNS Client Subnet, and without it from source addresses in
127.0.0.0/8 that the database places too. The ECS scope of a response must
be the prefix length of the database network the client fell in (for IPv4
in an IPv6 database, less the 96 bits of ::/96), whatever the source
prefix; for an address the database does not know, the length libmaxminddb
reports for the miss."""
import importlib.util
import math
import os
import shutil
import subprocess

import dns.edns
import dns.message
import dns.query

import sbtest
from mmdb_writer import MMDBWriter, UInt16
from sbtest import ScenarioCase, wait_until

# Short probes, so that failover is quick: a killed endpoint is refused at
# once and is down after one probe.
MONITOR = "monitor http interval=200ms timeout=150ms fall=1 rise=1"
INTERVAL = 0.2
FAILOVER = 3.0  # seconds: a few probe rounds, with room for a loaded machine

# Every test client sends from 127.0.0.0/8 (RRL counts per source /24).
ARGS_RRL = ["--rrl-exempt", "127.0.0.0/8"]


def place(continent, country, subdivision=None, location=None):
    """A GeoIP2-City-shaped record."""
    data = {"continent": {"code": continent}, "country": {"iso_code": country}}
    if subdivision is not None:
        data["subdivisions"] = [{"iso_code": subdivision}]
    if location is not None:
        data["location"] = {"latitude": location[0], "longitude": location[1],
                            "accuracy_radius": UInt16(20)}
    return data


MUNICH = (48.14, 11.58)
PARIS = (48.86, 2.35)
SAN_FRANCISCO = (37.77, -122.42)
NEW_YORK = (40.71, -74.01)
TOKYO = (35.68, 139.69)
SYDNEY = (-33.87, 151.21)
MELBOURNE = (-37.81, 144.96)

DE_BY = place("EU", "DE", "BY", MUNICH)
FR = place("EU", "FR", None, PARIS)
US_CA = place("NA", "US", "CA", SAN_FRANCISCO)
US_NY = place("NA", "US", "NY", NEW_YORK)
JP = place("AS", "JP", None, TOKYO)

# The networks every database of these tests has: ECS clients in 10/8 and
# 2001:db8::/32, source-address clients in 127.0.0.0/24 and 127.0.1.0/24.
NETWORKS = {
    "10.1.0.0/16": DE_BY,
    "10.2.0.0/16": FR,
    "10.3.0.0/16": US_CA,
    "10.4.0.0/16": US_NY,
    "10.5.0.0/16": JP,
    "127.0.0.0/24": DE_BY,
    "127.0.1.0/24": US_CA,
    "2001:db8:de::/48": DE_BY,
    "2001:db8:f7::/48": FR,
    "2001:db8:ca::/48": US_CA,
}


def have_maxminddb():
    return importlib.util.find_spec("maxminddb") is not None


class GeoCase(ScenarioCase):
    """Helpers: a location database in a directory the daemon can read, and
    questions from a chosen client."""

    def geo_dir(self):
        path = sbtest.tempdir("sb-geo-")
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        return path

    def write_db(self, path, networks, ip_version=6):
        w = MMDBWriter(ip_version=ip_version, record_size=28,
                       database_type="Switchboard-Test-City", languages=["en"],
                       description={"en": "test_routing_geo"})
        for net, data in networks.items():
            if ip_version == 6 or ":" not in net:
                w.insert(net, data)
        w.write(path)
        return path

    def db_prefix(self, db, address):
        """The prefix length libmaxminddb reports for `address` (IPv4: in
        IPv4 bits), through python3-maxminddb when it is installed: an
        independent reader's view to hold the expected scopes against.
        None when that reader is missing."""
        if not have_maxminddb():
            return None
        import maxminddb
        with maxminddb.open_database(db) as reader:
            return reader.get_with_prefix_len(address)[1]

    def ask(self, srv, name, ecs=None, tcp=False, source="127.0.0.1", rdtype="A"):
        """(answer section as presentation lines, ECS scope or None) for a
        query from `source`, with ECS (address, source prefix) when given."""
        if ecs is not None:
            q = dns.message.make_query(name, rdtype, use_edns=0,
                                       options=[dns.edns.ECSOption(ecs[0], ecs[1])])
        else:
            q = dns.message.make_query(name, rdtype)
        if tcp:
            r = dns.query.tcp(q, "127.0.0.1", port=srv.port, timeout=2.0, source=source)
        else:
            r = dns.query.udp(q, "127.0.0.1", port=srv.port, timeout=2.0, source=source,
                              ignore_trailing=False)
        self.assertEqual(r.rcode(), 0, r)
        scope = None
        for opt in r.options:
            if isinstance(opt, dns.edns.ECSOption):
                self.assertIsNone(scope, "two ECS options in one response")
                self.assertEqual((opt.address, opt.srclen), (str(ecs[0]), ecs[1]),
                                 "the response's ECS must echo the query's")
                scope = opt.scopelen
        if ecs is not None:
            self.assertIsNotNone(scope, f"no ECS option in the response to {ecs}: {r}")
        else:
            self.assertIsNone(scope, "an ECS option in the response to a query without one")
        return sbtest.answer_texts(r), scope


class Geo(GeoCase):
    ADDR = {"eu": "127.0.0.10", "de": "127.0.0.11", "us-west": "127.0.0.12",
            "other": "127.0.0.13"}

    def start(self):
        eps = {name: self.endpoint("http", bind=addr) for name, addr in self.ADDR.items()}
        db = self.write_db(os.path.join(self.geo_dir(), "city.mmdb"), NETWORKS)
        zone = sbtest.ZONE_HEADER + f"""www   profile geo ttl=20 {{
          {MONITOR}
          endpoint eu 127.0.0.10 regions=continent:EU port={eps['eu'].port}
          endpoint de 127.0.0.11 regions=DE port={eps['de'].port}
          endpoint us-west 127.0.0.12 regions=US-CA port={eps['us-west'].port}
          endpoint other 127.0.0.13 regions=default port={eps['other'].port}
      }}
"""
        srv = self.server({"example.com.zone": zone}, ["--geo-database", db, *ARGS_RRL])
        return srv, eps, db

    def who(self, srv, ecs=None, tcp=False, source="127.0.0.1"):
        """(endpoint name, scope) answering a client."""
        texts, scope = self.ask(srv, "www.example.com", ecs=ecs, tcp=tcp, source=source)
        by_addr = {a: n for n, a in self.ADDR.items()}
        self.assertEqual(len(texts), 1, texts)
        owner, ttl, rtype, addr = texts[0].split()
        self.assertEqual((owner, ttl, rtype), ("www.example.com.", "20", "A"))
        return by_addr[addr], scope

    def test_the_file_changed_in_place_changes_nothing_until_a_reload(self):
        # The server maps a private copy of the database: rewriting or
        # truncating the file under it (not by rename, as geoipupdate does)
        # neither crashes it (SIGBUS) nor changes its answers before a reload.
        srv, eps, db = self.start()
        before = self.who(srv, ecs=("10.3.1.0", 24))
        self.assertEqual(before, ("us-west", 16))
        with open(db, "r+b") as f:
            f.seek(0)
            f.write(b"\0" * 4096)
        self.assertEqual(self.who(srv, ecs=("10.3.1.0", 24)), before)
        os.truncate(db, 0)
        self.assertEqual(self.who(srv, ecs=("10.3.1.0", 24)), before)
        self.assertIsNone(srv.proc.poll())
        rc, _, err = srv.ctl("reload", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("location database", err)
        self.assertEqual(self.who(srv, ecs=("10.3.1.0", 24)), before)

    def assert_routes(self, srv, table):
        """Each (ECS, endpoint, scope) of `table`, over UDP and over TCP."""
        for tcp in (False, True):
            for ecs, want, scope in table:
                self.assertEqual(self.who(srv, ecs=ecs, tcp=tcp), (want, scope),
                                 f"client {ecs[0]}/{ecs[1]} over {'TCP' if tcp else 'UDP'}")

    def test_places_scopes_and_fallback_to_continent_then_default(self):
        srv, eps, db = self.start()
        # The unknown client: 10.9.0.0 leaves every network of the tree
        # after 12 bits (10.1-10.5 are 0000 1010 0000 0xxx), so the record
        # libmaxminddb finds empty is a /13.
        unknown4, unknown6 = ("10.9.0.0", 24), ("2001:db8:ff00::", 56)
        for address, want in (("10.9.0.0", 13), ("2001:db8:ff00::", 33), ("10.1.2.0", 16)):
            seen = self.db_prefix(db, address)
            self.assertIn(seen, (None, want), f"python3-maxminddb's prefix for {address}")

        table = [
            (("10.1.2.0", 24), "de", 16),        # DE-BY: no endpoint lists BY; DE does
            (("10.1.0.0", 16), "de", 16),
            (("10.2.3.0", 24), "eu", 16),        # FR: its continent
            (("10.3.4.0", 24), "us-west", 16),   # US-CA: the subdivision
            (("10.3.4.128", 25), "us-west", 16),  # a narrower source, the same network
            (("10.4.5.0", 24), "other", 16),     # US-NY: nothing lists it, NA or US
            (("10.5.6.0", 24), "other", 16),     # JP
            (unknown4, "other", 13),
            (("2001:db8:de:1200::", 56), "de", 48),
            (("2001:db8:f7::", 48), "eu", 48),
            (("2001:db8:ca:ff00::", 56), "us-west", 48),
            (unknown6, "other", 33),
        ]
        self.assert_routes(srv, table)

        # Without ECS, the source address is the client: 127.0.0.0/24 is in
        # Bavaria, 127.0.1.0/24 in California. No ECS option comes back.
        for tcp in (False, True):
            self.assertEqual(self.who(srv, tcp=tcp, source="127.0.0.1"), ("de", None))
            self.assertEqual(self.who(srv, tcp=tcp, source="127.0.1.7"), ("us-west", None))
            # A source prefix of 0 asks that the source address be used:
            # scope 0 (RFC 7871 7.2.1).
            self.assertEqual(self.who(srv, ecs=("0.0.0.0", 0), tcp=tcp, source="127.0.1.7"),
                             ("us-west", 0))

        # de down: German clients go to their continent's endpoint.
        mark = len(srv.lines)
        eps["de"].kill()
        wait_until(lambda: self.who(srv, ecs=("10.1.2.0", 24))[0] == "eu", FAILOVER,
                   "German clients to move to eu")
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. family=ipv4 "
                     r"from=eu,de,us-west,other to=eu,us-west,other cause=probe", 1.0, start=mark)
        table_de_down = [
            (("10.1.2.0", 24), "eu", 16),
            (("2001:db8:de:1200::", 56), "eu", 48),
            (("10.2.3.0", 24), "eu", 16),
            (("10.3.4.0", 24), "us-west", 16),
            (unknown4, "other", 13),
        ]
        self.assert_routes(srv, table_de_down)
        self.assertEqual(self.who(srv, source="127.0.0.1"), ("eu", None))

        # eu down too: Europe goes to the default endpoint.
        eps["eu"].kill()
        wait_until(lambda: self.who(srv, ecs=("10.1.2.0", 24))[0] == "other", FAILOVER,
                   "European clients to move to the default endpoint")
        self.assert_routes(srv, [
            (("10.1.2.0", 24), "other", 16),
            (("10.2.3.0", 24), "other", 16),
            (("2001:db8:f7::", 48), "other", 48),
            (("10.3.4.0", 24), "us-west", 16),
            (unknown6, "other", 33),
        ])

        # de back: German clients return to it; France stays on the default.
        eps["de"].restart()
        wait_until(lambda: self.who(srv, ecs=("10.1.2.0", 24))[0] == "de", FAILOVER,
                   "German clients to return to de")
        self.assertEqual(self.who(srv, ecs=("10.2.3.0", 24)), ("other", 16))
        srv.stop()


POOLS = "127.0.0.21", "127.0.0.22", "127.0.0.31", "127.0.0.32"


class Nested(GeoCase):
    """The issue's example: Europe answered by a weighted pool of two EU
    regions that must both be up (min-usable=2), everyone else and Europe's
    fallback by a US pool."""

    EU_CLIENTS = [(("10.1.2.0", 24), 16), (("10.2.3.0", 24), 16), (("2001:db8:f7::", 48), 48)]
    US_CLIENTS = [(("10.3.4.0", 24), 16), (("10.5.6.0", 24), 16)]

    def start(self, kill_eu2=False):
        eps = [self.endpoint("http", bind=a) for a in POOLS]
        if kill_eu2:
            eps[1].kill()  # its port stays known, and refused
        db = self.write_db(os.path.join(self.geo_dir(), "city.mmdb"), NETWORKS)
        zone = sbtest.ZONE_HEADER + f"""eu-pool profile weighted ttl=10 {{
          {MONITOR}
          endpoint eu-1 127.0.0.21 weight=1 port={eps[0].port}
          endpoint eu-2 127.0.0.22 weight=1 port={eps[1].port}
      }}
us-pool profile weighted ttl=10 {{
          {MONITOR}
          endpoint us-1 127.0.0.31 weight=1 port={eps[2].port}
          endpoint us-2 127.0.0.32 weight=1 port={eps[3].port}
      }}
www     profile geo ttl=30 {{
          monitor none
          endpoint europe eu-pool.example.com. regions=continent:EU min-usable=2
          endpoint america us-pool.example.com. regions=default
      }}
"""
        self.srv = self.server({"example.com.zone": zone}, ["--geo-database", db, *ARGS_RRL])
        return self.srv, eps

    def route(self, ecs=None, tcp=False, source="127.0.0.1"):
        """(pool, address, scope) for a client; checks the CNAME chain's
        shape on the way."""
        texts, scope = self.ask(self.srv, "www.example.com", ecs=ecs, tcp=tcp, source=source)
        self.assertEqual(len(texts), 2, texts)
        owner, ttl, rtype, target = texts[0].split()
        self.assertEqual((owner, ttl, rtype), ("www.example.com.", "30", "CNAME"), texts)
        self.assertIn(target, ("eu-pool.example.com.", "us-pool.example.com."), texts)
        owner, ttl, rtype, addr = texts[1].split()
        self.assertEqual((owner, ttl, rtype), (target, "10", "A"), texts)
        return target.split(".")[0], addr, scope

    def check_all(self, europe_pool):
        """Every client, over UDP and TCP: Europe on `europe_pool`, the
        rest on the US pool."""
        for tcp in (False, True):
            for ecs, scope in self.EU_CLIENTS:
                pool, addr, got = self.route(ecs=ecs, tcp=tcp)
                self.assertEqual((pool, got), (europe_pool, scope), ecs)
                self.assertIn(addr, POOLS[:2] if pool == "eu-pool" else POOLS[2:])
            for ecs, scope in self.US_CLIENTS:
                pool, addr, got = self.route(ecs=ecs, tcp=tcp)
                self.assertEqual((pool, got), ("us-pool", scope), ecs)
                self.assertIn(addr, POOLS[2:])
            # Without ECS: 127.0.0.0/24 is in Germany, 127.0.1.0/24 in
            # California.
            self.assertEqual(self.route(tcp=tcp, source="127.0.0.1")[0], europe_pool)
            self.assertEqual(self.route(tcp=tcp, source="127.0.1.9")[0], "us-pool")

    def europe_on(self, pool, what):
        wait_until(lambda: self.route(ecs=("10.1.2.0", 24))[0] == pool, FAILOVER, what)

    def test_europe_leaves_its_pool_when_one_region_fails(self):
        srv, eps = self.start()
        eu2 = eps[1]
        self.check_all("eu-pool")
        # Both EU regions answer, shared by weight.
        seen = {self.route(ecs=("10.1.2.0", 24))[1] for _ in range(60)}
        self.assertEqual(seen, set(POOLS[:2]))

        # One EU region down: the pool has 1 usable endpoint of the 2 it
        # needs, so Europe moves to the US pool.
        mark = len(srv.lines)
        eu2.kill()
        self.europe_on("us-pool", "European clients to move to the US pool")
        srv.wait_log(r"event=answer-change profile=eu-pool\.example\.com\. family=ipv4 "
                     r"from=eu-1,eu-2 to=eu-1 cause=probe", 1.0, start=mark)
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=europe,america "
                     r"to=america cause=nested", 1.0, start=mark)
        self.check_all("us-pool")
        # The pool itself still answers with its remaining region.
        self.assertEqual(sbtest.answer_texts(srv.query("eu-pool.example.com")),
                         ["eu-pool.example.com. 10 A 127.0.0.21"])

        # Back: Europe returns to its pool.
        mark = len(srv.lines)
        eu2.restart()
        self.europe_on("eu-pool", "European clients to return to the EU pool")
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=america "
                     r"to=europe,america cause=nested", 1.0, start=mark)
        self.check_all("eu-pool")

        # A drained region is not usable either: the operator's drain in
        # the pool moves Europe at once, and undraining brings it back.
        mark = len(srv.lines)
        srv.ctl("drain", "eu-pool.example.com", "eu-1")
        self.check_all("us-pool")
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=europe,america "
                     r"to=america cause=nested", 1.0, start=mark)
        srv.ctl("undrain", "eu-pool.example.com", "eu-1")
        self.check_all("eu-pool")
        srv.stop()

    def test_a_region_down_at_start_sends_europe_to_the_us_from_the_first_answer(self):
        srv, _ = self.start(kill_eu2=True)
        self.check_all("us-pool")
        srv.wait_log(r"event=endpoint-state profile=eu-pool\.example\.com\. endpoint=eu-2 "
                     r".*from=checking to=down", 1.0)
        srv.stop()


def great_circle_km(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class Closest(GeoCase):
    # Priority order: nrt, fra, iad, syd (what clients without a location get).
    SITES = {"fra": ("127.0.0.41", (50.11, 8.68)), "iad": ("127.0.0.42", (38.95, -77.45)),
             "nrt": ("127.0.0.43", (35.76, 140.39)), "syd": ("127.0.0.44", SYDNEY)}

    def test_nearest_usable_endpoint(self):
        eps = {n: self.endpoint("http", bind=a) for n, (a, _) in self.SITES.items()}
        networks = {
            "10.1.0.0/16": DE_BY,                                   # Munich
            "10.3.0.0/16": US_CA,                                   # San Francisco
            "10.5.0.0/16": JP,                                      # Tokyo
            "10.6.0.0/16": place("OC", "AU", "VIC", MELBOURNE),
            "10.7.0.0/16": place("SA", "BR"),                       # no location
            "127.0.0.0/24": place("EU", "FR", None, PARIS),
            "127.0.0.44/32": place("OC", "AU", "NSW", SYDNEY),      # the syd endpoint
            "127.0.1.0/24": US_NY,
        }
        db = self.write_db(os.path.join(self.geo_dir(), "city.mmdb"), networks)
        loc = {n: f"{ll[0]},{ll[1]}" for n, (_, ll) in self.SITES.items()}
        zone = sbtest.ZONE_HEADER + f"""cdn   profile closest ttl=20 {{
          {MONITOR}
          endpoint nrt 127.0.0.43 priority=1 location={loc['nrt']} port={eps['nrt'].port}
          endpoint fra 127.0.0.41 priority=2 location={loc['fra']} port={eps['fra'].port}
          endpoint iad 127.0.0.42 priority=3 location={loc['iad']} port={eps['iad'].port}
          endpoint syd 127.0.0.44 priority=4 port={eps['syd'].port}
      }}
"""
        srv = self.server({"example.com.zone": zone}, ["--geo-database", db, *ARGS_RRL])
        by_addr = {a: n for n, (a, _) in self.SITES.items()}

        def who(ecs=None, tcp=False, source="127.0.0.1"):
            texts, scope = self.ask(srv, "cdn.example.com", ecs=ecs, tcp=tcp, source=source)
            self.assertEqual(len(texts), 1, texts)
            return by_addr[texts[0].split()[3]], scope

        def nearest(where, up):
            return min(up, key=lambda n: great_circle_km(where, self.SITES[n][1]))

        clients = [(("10.1.2.0", 24), MUNICH, 16), (("10.3.4.0", 24), SAN_FRANCISCO, 16),
                   (("10.5.6.0", 24), TOKYO, 16), (("10.6.7.0", 24), MELBOURNE, 16)]
        everyone = set(self.SITES)
        # The test's own expectations, by the haversine formula.
        self.assertEqual([nearest(ll, everyone) for _, ll, _ in clients],
                         ["fra", "iad", "nrt", "syd"])
        self.assertEqual(nearest(MUNICH, everyone - {"fra"}), "iad")
        for tcp in (False, True):
            for ecs, where, scope in clients:
                self.assertEqual(who(ecs=ecs, tcp=tcp), (nearest(where, everyone), scope),
                                 f"{ecs} over {'TCP' if tcp else 'UDP'}")
            # Placed without a location, or not at all: the first endpoint
            # in priority order.
            self.assertEqual(who(ecs=("10.7.8.0", 24), tcp=tcp), ("nrt", 16))
            self.assertEqual(who(ecs=("10.9.0.0", 24), tcp=tcp), ("nrt", 13))
            # Source addresses: Paris and New York.
            self.assertEqual(who(tcp=tcp, source="127.0.0.1"), ("fra", None))
            self.assertEqual(who(tcp=tcp, source="127.0.1.5"), ("iad", None))

        # fra down: Munich and Paris go to the next nearest, Virginia.
        eps["fra"].kill()
        wait_until(lambda: who(ecs=("10.1.2.0", 24))[0] != "fra", FAILOVER,
                   "Munich to move away from fra")
        up = everyone - {"fra"}
        for tcp in (False, True):
            self.assertEqual(who(ecs=("10.1.2.0", 24), tcp=tcp), (nearest(MUNICH, up), 16))
            self.assertEqual(who(tcp=tcp, source="127.0.0.1"), (nearest(PARIS, up), None))
            self.assertEqual(who(ecs=("10.5.6.0", 24), tcp=tcp), ("nrt", 16))
            self.assertEqual(who(ecs=("10.7.8.0", 24), tcp=tcp), ("nrt", 16))

        # nrt down too: Tokyo goes to Sydney, and clients without a
        # location to the first usable endpoint in priority order, iad.
        eps["nrt"].kill()
        wait_until(lambda: who(ecs=("10.5.6.0", 24))[0] != "nrt", FAILOVER,
                   "Tokyo to move away from nrt")
        up -= {"nrt"}
        for tcp in (False, True):
            self.assertEqual(who(ecs=("10.5.6.0", 24), tcp=tcp), (nearest(TOKYO, up), 16))
            self.assertEqual(nearest(TOKYO, up), "syd")
            self.assertEqual(who(ecs=("10.7.8.0", 24), tcp=tcp), ("iad", 16))
            self.assertEqual(who(ecs=("10.9.0.0", 24), tcp=tcp), ("iad", 13))
        srv.stop()


def run(*args, timeout=20):
    return subprocess.run([sbtest.BINARY, *args], capture_output=True, text=True,
                          timeout=timeout)


class ConfigErrors(GeoCase):
    """`switchboard check`: each mistake named at file:line:col with the
    exact words an operator reads."""

    def setUp(self):
        self.dir = sbtest.tempdir("sb-geo-check-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.db = self.write_db(os.path.join(self.dir, "city.mmdb"), NETWORKS)
        self.zones = os.path.join(self.dir, "zones")
        os.mkdir(self.zones)

    def check(self, body, db=True):
        """Write a zone of ZONE_HEADER + body; (exit status, stderr lines,
        zone path)."""
        path = os.path.join(self.zones, "example.com.zone")
        with open(path, "w") as f:
            f.write(sbtest.ZONE_HEADER + body)
        args = ["check", "--zones", self.zones] + (["--geo-database", db if isinstance(db, str)
                                                     else self.db] if db else [])
        r = run(*args)
        if r.returncode == 0:
            self.assertEqual(r.stdout.splitlines()[0], "configuration OK")
        else:
            self.assertEqual(r.stdout, "")
        return r.returncode, r.stderr.splitlines(), path

    GEO = """www profile geo {
    monitor none
    endpoint eu 192.0.2.1 regions=continent:EU
    endpoint rest 192.0.2.2 regions=default
}
"""

    def test_a_valid_geo_profile_passes(self):
        rc, err, _ = self.check(self.GEO)
        self.assertEqual((rc, err), (0, []))

    def test_geo_without_a_database_names_the_option(self):
        rc, err, path = self.check(self.GEO, db=False)
        self.assertEqual(rc, 1)
        self.assertEqual(err, [
            f"{path}:6:1: profile www.example.com. routes by location (geo) but the server has "
            "no location database; start it with --geo-database PATH",
            "1 error in the configuration"])
        rc, err, path = self.check(self.GEO.replace("geo {", "closest {")
                                   .replace("regions=continent:EU", "location=50,8")
                                   .replace("regions=default", "location=40,-70"), db=False)
        self.assertEqual(rc, 1)
        self.assertEqual(err[0], f"{path}:6:1: profile www.example.com. routes by location "
                         "(closest) but the server has no location database; start it with "
                         "--geo-database PATH")

    def test_unknown_country_code(self):
        rc, err, path = self.check(self.GEO.replace("regions=continent:EU",
                                                    "regions=DE,XX"))
        self.assertEqual(rc, 1)
        self.assertEqual(err, [
            f"{path}:8:38: bad region 'XX': XX is not an ISO 3166-1 country code",
            "1 error in the configuration"])

    def test_a_place_on_two_endpoints(self):
        rc, err, path = self.check("""www profile geo {
    monitor none
    endpoint a 192.0.2.1 regions=DE,continent:EU
    endpoint b 192.0.2.2 regions=FR,DE
    endpoint rest 192.0.2.3 regions=default
}
""")
        self.assertEqual(rc, 1)
        self.assertEqual(err, [
            f"{path}:9:26: endpoint 'b' lists DE, which endpoint 'a' serves already; a place "
            "has one endpoint (use a nested profile for failover within it)",
            "1 error in the configuration"])

    def test_geo_without_default(self):
        body = """www profile geo {
    monitor none
    endpoint eu 192.0.2.1 regions=continent:EU
    endpoint na 192.0.2.2 regions=continent:NA,US
}
"""
        rc, err, path = self.check(body)
        self.assertEqual(rc, 1)
        self.assertEqual(err, [
            f"{path}:6:1: profile www.example.com.: clients from places no endpoint lists have "
            "no endpoint; add 'default' to the regions= of the endpoints that serve them",
            "1 error in the configuration"])
        # Every continent listed is a default of its own.
        all7 = body.replace("continent:NA,US",
                            "continent:NA,continent:SA,continent:AF,continent:AS,"
                            "continent:OC,continent:AN")
        self.assertEqual(self.check(all7)[:2], (0, []))

    def test_nested_loop(self):
        rc, err, path = self.check("""a profile priority {
    monitor none
    endpoint to-b b.example.com. priority=1
}
b profile priority {
    monitor none
    endpoint to-a a.example.com. priority=1
}
""", db=False)
        self.assertEqual(rc, 1)
        self.assertEqual(err, [
            f"{path}:12:5: endpoint 'to-a' leads back to the profile a.example.com. through "
            "nested profiles: a loop",
            "1 error in the configuration"])

    def test_missing_database_file(self):
        missing = os.path.join(self.dir, "no-such.mmdb")
        rc, err, path = self.check(self.GEO, db=missing)
        self.assertEqual(rc, 1)
        self.assertEqual(err, [
            f"{missing}: cannot read the location database: Error opening the "
            "specified MaxMind DB file: No such file or directory",
            "1 error in the configuration"])

    def test_a_file_that_is_not_a_database(self):
        bad = os.path.join(self.dir, "bad.mmdb")
        with open(bad, "wb") as f:
            f.write(b"not a MaxMind DB\n" * 10)
        rc, err, _ = self.check(self.GEO, db=bad)
        self.assertEqual(rc, 1)
        self.assertEqual(err, [
            f"{bad}: cannot read the location database: The MaxMind DB file contains "
            "invalid metadata",
            "1 error in the configuration"])


class Reload(GeoCase):
    def write_zone(self, srv, text):
        path = os.path.join(srv.zones_dir, "example.com.zone")
        with open(path + ".new", "w") as f:
            f.write(text)
        os.replace(path + ".new", path)

    def test_a_replaced_database_is_read_at_reload(self):
        de, fr, rest = (self.endpoint("http", bind=a)
                        for a in ("127.0.0.51", "127.0.0.52", "127.0.0.53"))
        db = os.path.join(self.geo_dir(), "city.mmdb")
        self.write_db(db, {**NETWORKS, "10.8.0.0/16": DE_BY})
        zone = sbtest.ZONE_HEADER + f"""www   profile geo ttl=20 {{
          {MONITOR}
          endpoint de 127.0.0.51 regions=DE port={de.port}
          endpoint fr 127.0.0.52 regions=FR port={fr.port}
          endpoint rest 127.0.0.53 regions=default port={rest.port}
      }}
"""
        srv = self.server({"example.com.zone": zone}, ["--geo-database", db, *ARGS_RRL])

        def answer(ecs):
            texts, scope = self.ask(srv, "www.example.com", ecs=ecs)
            return [t.split()[3] for t in texts], scope

        self.assertEqual(answer(("10.8.1.0", 24)), (["127.0.0.51"], 16))

        # 10.8.0.0/16 moves to France, as a /17 and a /17; the file is
        # replaced (renamed over) and the server told to reload.
        moved = dict(NETWORKS)
        moved.update({"10.8.0.0/17": FR, "10.8.128.0/17": FR})
        self.write_db(db, moved)
        self.assertEqual(answer(("10.8.1.0", 24)), (["127.0.0.51"], 16),
                         "the database is read at reload, not before")
        mark = len(srv.lines)
        srv.ctl("reload")
        srv.wait_log(r"event=reload-done generation=2 ", 5.0, start=mark)
        self.assertEqual(answer(("10.8.1.0", 24)), (["127.0.0.52"], 17))
        self.assertEqual(answer(("10.1.2.0", 24)), (["127.0.0.51"], 16))

        # An IPv4 database: IPv4 networks have their own lengths (no ::/96
        # to take off); IPv6 clients, which it cannot place, get the
        # default endpoint for all of IPv6 (scope 0).
        self.write_db(db, moved, ip_version=4)
        mark = len(srv.lines)
        srv.ctl("reload")
        srv.wait_log(r"event=reload-done generation=3 ", 5.0, start=mark)
        self.assertEqual(answer(("10.8.1.0", 24)), (["127.0.0.52"], 17))
        # 10.128.0.0 leaves every network after 8 bits: a /9 miss.
        self.assertIn(self.db_prefix(db, "10.128.0.0"), (None, 9))
        self.assertEqual(answer(("10.128.0.0", 24)), (["127.0.0.53"], 9))
        self.assertEqual(answer(("2001:db8:de::", 56)), (["127.0.0.53"], 0))

        # A database that cannot be read fails the reload, with the reason;
        # the one read before keeps answering.
        with open(db + ".new", "wb") as f:
            f.write(b"\x00" * 4096)
        os.chmod(db + ".new", 0o644)
        os.replace(db + ".new", db)
        mark = len(srv.lines)
        rc, _, err = srv.ctl("reload", check=False)
        self.assertEqual(rc, 1)
        self.assertIn(f"cannot read the location database: The MaxMind DB file contains "
                      "invalid metadata", err)
        srv.wait_log(r"event=reload-failed errors=1 generation=3", 1.0, start=mark)
        self.assertEqual(answer(("10.8.1.0", 24)), (["127.0.0.52"], 17))

        # Nor can one the server's user may not open (it reads the file
        # again at each reload, after dropping root): it says why.
        self.write_db(db, NETWORKS)
        os.chmod(db, 0)
        mark = len(srv.lines)
        rc, _, err = srv.ctl("reload", check=False)
        self.assertEqual(rc, 1)
        self.assertIn(f"cannot read the location database: Error opening the specified "
                      "MaxMind DB file: Permission denied", err)
        srv.wait_log(r"event=reload-failed errors=1 generation=3", 1.0, start=mark)
        self.assertEqual(answer(("10.8.1.0", 24)), (["127.0.0.52"], 17))
        srv.stop()

    def test_health_is_carried_across_a_change_of_method(self):
        east = self.endpoint("http", bind="127.0.0.10")
        west = self.endpoint("http", bind="127.0.0.11")
        # rise=10: a down endpoint needs 2 s of good probes to come back,
        # where a fresh start would believe its first.
        monitor = "monitor http interval=200ms timeout=150ms fall=1 rise=10"

        def zone(method, east_extra, west_extra):
            return sbtest.ZONE_HEADER + f"""www   profile {method} ttl=5 {{
          {monitor}
          endpoint east 127.0.0.10 {east_extra} port={east.port}
          endpoint west 127.0.0.11 {west_extra} port={west.port}
      }}
"""
        srv = self.server({"example.com.zone": zone("priority", "priority=1", "priority=2")},
                          ARGS_RRL)

        def answers(n=40):
            """The addresses of n answers, to a client each method would
            send to east while east is usable."""
            out = set()
            for i in range(n):
                texts, _ = self.ask(srv, "www.example.com", ecs=("10.1.2.0", 24), tcp=i % 2 == 1)
                out.update(t.split()[3] for t in texts)
            return out

        self.assertEqual(answers(4), {"127.0.0.10"})
        east.kill()
        wait_until(lambda: answers(1) == {"127.0.0.11"}, FAILOVER, "the answer to move to west")
        srv.wait_log(r"endpoint=east .*from=up to=down", 1.0)
        checking = srv.log_count(r"endpoint=east .*from=checking")

        # Weighted, half each: east is still down and answers nobody.
        mark = len(srv.lines)
        self.write_zone(srv, zone("weighted", "weight=1", "weight=1"))
        srv.ctl("reload")
        line = srv.wait_log(r"event=reload-done generation=2 ", 1.0, start=mark)
        self.assertIn("carried=2", line)
        self.assertEqual(answers(), {"127.0.0.11"})

        # east is healthy again but has not risen (10 good probes) when the
        # profile becomes subnet, east's network first: still not answered,
        # as its carried health is down.
        east.restart()
        mark = len(srv.lines)
        self.write_zone(srv, zone("subnet", "subnets=10.0.0.0/8", "subnets=default"))
        srv.ctl("reload")
        line = srv.wait_log(r"event=reload-done generation=3 ", 1.0, start=mark)
        self.assertIn("carried=2", line)
        self.assertEqual(answers(), {"127.0.0.11"})
        self.assertEqual(srv.log_count(r"endpoint=east .*from=down to=up"), 0,
                         "east rose already: the test was too slow to show anything")
        self.assertEqual(srv.log_count(r"endpoint=east .*from=checking"), checking,
                         "east was checked afresh after a reload")

        # Its rise counted on: east answers its network once it is up.
        wait_until(lambda: answers(1) == {"127.0.0.10"}, 10 * INTERVAL + FAILOVER,
                   "east to rise and answer 10.0.0.0/8")
        srv.wait_log(r"endpoint=east .*from=down to=up", 1.0)
        self.assertEqual(self.ask(srv, "www.example.com", ecs=("192.0.2.0", 24))[0],
                         ["www.example.com. 5 A 127.0.0.11"])
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
