"""The test MaxMind DB writer (mmdb_writer.py) against real readers: Debian's
python3-maxminddb, both through its C extension (libmaxminddb) and in its
pure-Python mode, and libmaxminddb's own `mmdblookup`.

Checked: IPv6 and IPv4 databases with 24-, 28- and 32-bit records; IPv4
networks of an IPv6 database found by IPv4 lookups (and at ::/96 by IPv6
ones); nested networks inserted in any order, with the prefix length each
reader reports; misses; every data type, with the type libmaxminddb sees;
the metadata; pointers of every size; a data section big enough to need the
high bits of 28-bit records; the optional ::ffff:0:0/96 and 2002::/16
aliases; and what the writer refuses."""
import importlib
import ipaddress
import math
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

import sbtest
import mmdb_writer
from mmdb_writer import Float32, Int32, MMDBWriter, UInt16, UInt32, UInt64, UInt128

try:
    import maxminddb
    import maxminddb.decoder
except ImportError:
    maxminddb = None

MMDBLOOKUP = shutil.which("mmdblookup")
NEED_READER = unittest.skipUnless(maxminddb, "python3-maxminddb is not installed "
                                             "(apt-get install python3-maxminddb)")
NEED_MMDBLOOKUP = unittest.skipUnless(MMDBLOOKUP, "mmdblookup is not installed "
                                                  "(apt-get install mmdb-bin)")


def reader_modes():
    """name -> open_database mode: libmaxminddb through the C extension
    when it is there, and always the pure-Python reader."""
    modes = {"pure-python": maxminddb.MODE_MEMORY}
    try:
        extension = importlib.import_module("maxminddb.extension")
    except ImportError:
        extension = None
    if hasattr(extension, "Reader"):
        modes["c-extension"] = maxminddb.MODE_MMAP_EXT
    return modes


US = {"country": {"iso_code": "US"}}
CA = {"country": {"iso_code": "CA"}}
ON = {"country": {"iso_code": "CA"}, "subdivisions": [{"iso_code": "ON"}]}
DE = {"continent": {"code": "EU"}, "country": {"iso_code": "DE"},
      "subdivisions": [{"iso_code": "BY"}],
      "location": {"latitude": 48.1, "longitude": 11.6, "accuracy_radius": UInt16(50)}}
AT = {"continent": {"code": "EU"}, "country": {"iso_code": "AT"}}
HOST4 = {"country": {"iso_code": "NL"}, "traits": {"note": "one host"}}
GB = {"country": {"iso_code": "GB"}}
FR = {"country": {"iso_code": "FR"}}
PARIS = {"country": {"iso_code": "FR"}, "city": {"names": {"en": "Paris"}}}
HOST6 = {"country": {"iso_code": "FR"}, "traits": {"note": "one host"}}

IPV4_NETWORKS = [
    ("10.0.0.0/8", US),
    ("10.1.0.0/16", CA),          # inside 10.0.0.0/8
    ("10.1.2.0/24", ON),          # inside both
    ("192.0.2.0/24", DE),
    ("192.0.2.128/25", AT),       # the upper half of 192.0.2.0/24
    ("198.51.100.7/32", HOST4),
]
IPV6_NETWORKS = [
    ("2001:db8::/32", GB),
    ("2001:db8:1::/48", FR),
    ("2001:db8:1:2::/64", PARIS),
    ("2001:db8:1:2::1/128", HOST6),
]

# address -> (data, prefix length the reader reports) or None for a miss.
# The prefix length is the depth of the tree record that holds the address:
# where a smaller network splits a larger one, the rest of the larger one is
# reported in pieces (10.200.0.1 is in 10.128.0.0/9 of 10.0.0.0/8, since
# 10.1.0.0/16 took a part of 10.0.0.0/9).
IPV4_EXPECT = {
    "10.1.2.3": (ON, 24),
    "10.1.3.3": (CA, 24),
    "10.1.0.1": (CA, 23),
    "10.1.128.1": (CA, 17),
    "10.0.0.1": (US, 16),
    "10.200.0.1": (US, 9),
    "10.255.255.255": (US, 9),
    "192.0.2.1": (DE, 25),
    "192.0.2.127": (DE, 25),
    "192.0.2.128": (AT, 25),
    "192.0.2.255": (AT, 25),
    "198.51.100.7": (HOST4, 32),
    "198.51.100.6": None,
    "198.51.100.8": None,
    "11.0.0.1": None,
    "9.255.255.255": None,
    "0.0.0.0": None,
    "255.255.255.255": None,
}
IPV6_EXPECT = {
    "2001:db8:1:2::1": (HOST6, 128),
    "2001:db8:1:2::2": (PARIS, 127),
    "2001:db8:1:2::": (PARIS, 128),
    "2001:db8:1:2:8000::": (PARIS, 65),
    "2001:db8:1:3::1": (FR, 64),
    "2001:db8:1:8000::": (FR, 49),
    "2001:db8:2::1": (GB, 47),
    "2001:db8:ffff::": (GB, 33),
    "2001:db9::": None,
    "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff": None,
    "::1": None,
    "::": None,
    # IPv4 data lives in ::/96: the IPv4-compatible address finds it.
    "::192.0.2.1": (DE, 121),
    "::10.200.0.1": (US, 105),
    # IPv4-mapped addresses are not aliased unless asked for.
    "::ffff:192.0.2.1": None,
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": None,
}


def orders(networks):
    """The networks in the given order, reversed, and shuffled."""
    shuffled = list(networks)
    random.Random(7).shuffle(shuffled)
    return {"given": list(networks), "reversed": list(reversed(networks)), "shuffled": shuffled}


class Case(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sb-mmdb-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def build(self, networks, name="test.mmdb", **kw):
        kw.setdefault("database_type", "Switchboard-Test-City")
        kw.setdefault("languages", ["en"])
        kw.setdefault("description", {"en": "Switchboard test database"})
        w = MMDBWriter(**kw)
        for network, data in networks:
            w.insert(network, data)
        path = os.path.join(self.dir, name)
        w.write(path)
        return path

    def readers(self, path):
        """(mode name, open reader) for every reader mode."""
        out = []
        for name, mode in reader_modes().items():
            r = maxminddb.open_database(path, mode)
            self.addCleanup(r.close)
            out.append((name, r))
        return out

    def check_lookups(self, path, expect):
        for mode, reader in self.readers(path):
            for address, want in expect.items():
                with self.subTest(mode=mode, address=address):
                    data, prefix_len = reader.get_with_prefix_len(address)
                    if want is None:
                        self.assertIsNone(data)
                        self.assertIsNone(reader.get(address))
                    else:
                        self.assertEqual((data, prefix_len), want)
                        self.assertEqual(reader.get(address), want[0])


@NEED_READER
class Lookups(Case):
    def test_the_c_extension_and_the_pure_reader_both_run(self):
        # Only the pure reader here would still test something, but say so.
        modes = reader_modes()
        self.assertIn("pure-python", modes)
        path = self.build(IPV4_NETWORKS)
        for name, reader in self.readers(path):
            kind = type(reader).__module__
            if name == "c-extension":
                self.assertNotEqual(kind, "maxminddb.reader", "MODE_MMAP_EXT gave the pure reader")
            else:
                self.assertEqual(kind, "maxminddb.reader")

    def test_ipv6_database_every_record_size_and_insert_order(self):
        for record_size in (24, 28, 32):
            for order, networks in orders(IPV4_NETWORKS + IPV6_NETWORKS).items():
                with self.subTest(record_size=record_size, order=order):
                    path = self.build(networks, record_size=record_size, ip_version=6,
                                      name=f"v6-{record_size}-{order}.mmdb")
                    self.check_lookups(path, {**IPV4_EXPECT, **IPV6_EXPECT})

    def test_ipv4_database_every_record_size_and_insert_order(self):
        for record_size in (24, 28, 32):
            for order, networks in orders(IPV4_NETWORKS).items():
                with self.subTest(record_size=record_size, order=order):
                    path = self.build(networks, record_size=record_size, ip_version=4,
                                      name=f"v4-{record_size}-{order}.mmdb")
                    self.check_lookups(path, IPV4_EXPECT)
                    for mode, reader in self.readers(path):
                        with self.assertRaises(ValueError, msg=mode):
                            reader.get("2001:db8::1")

    def test_ipv6_database_without_ipv4_networks(self):
        path = self.build(IPV6_NETWORKS)
        self.check_lookups(path, {**IPV6_EXPECT, **{a: None for a in IPV4_EXPECT},
                                  "::192.0.2.1": None, "::10.200.0.1": None})

    def test_whole_address_space(self):
        # A /0 holds the root node's both records; more specific networks
        # still win.
        for version, everything, inner, outside in ((4, "0.0.0.0/0", "10.0.0.0/8", "11.0.0.1"),
                                                    (6, "::/0", "2001:db8::/32", "2001:db9::")):
            with self.subTest(ip_version=version):
                path = self.build([(inner, CA), (everything, US)], ip_version=version,
                                  name=f"all-{version}.mmdb")
                address = inner.split("/")[0]
                self.check_lookups(path, {address: (CA, int(inner.split("/")[1])),
                                          outside: (US, 8 if version == 4 else 32)})

    def test_same_network_same_data_twice_is_one_insert(self):
        path = self.build([("192.0.2.0/24", DE), ("192.0.2.0/24", dict(DE)),
                           ("::192.0.2.0/120", DE)])
        self.check_lookups(path, {"192.0.2.1": (DE, 24), "::192.0.2.1": (DE, 120)})

    def test_ipv4_aliases(self):
        path = self.build(IPV4_NETWORKS + IPV6_NETWORKS, ipv4_aliases=True)
        self.check_lookups(path, {
            **IPV4_EXPECT,
            **{k: v for k, v in IPV6_EXPECT.items() if k != "::ffff:192.0.2.1"},
            "::ffff:192.0.2.1": (DE, 96 + 25),
            "::ffff:192.0.2.200": (AT, 96 + 25),
            "::ffff:10.200.0.1": (US, 96 + 9),
            "::ffff:11.0.0.1": None,
            "2002:c000:201::": (DE, 16 + 25),        # 6to4 of 192.0.2.1
            "2002:c000:2c8:1234::1": (AT, 16 + 25),  # 6to4 of 192.0.2.200
            "2002:a01:203::": (ON, 16 + 24),         # 6to4 of 10.1.2.3
            "2002:cb00:7101::": None,                # 6to4 of 203.0.113.1
            "2003::": None,
        })
        # With no IPv4 data the aliases lead nowhere.
        path = self.build(IPV6_NETWORKS, ipv4_aliases=True, name="no-v4.mmdb")
        self.check_lookups(path, {"::ffff:192.0.2.1": None, "2002:c000:201::": None,
                                  "2001:db8:1:3::1": (FR, 64)})

    def test_every_data_type_round_trips(self):
        record = {
            "city": {"geoname_id": 2867714,
                     "names": {"en": "Munich", "de": "München", "ja": "ミュンヘン"}},
            "country": {"iso_code": "DE", "geoname_id": UInt32(2921044),
                        "is_in_european_union": True},
            "location": {"latitude": 48.1375, "longitude": 11.575,
                         "accuracy_radius": UInt16(20), "time_zone": "Europe/Berlin"},
            "subdivisions": [{"iso_code": "BY", "names": {"en": "Bavaria"}}],
            "traits": {"is_anycast": False},
            "types": {
                "u16": UInt16(65535), "u32": UInt32(2**32 - 1), "u64": UInt64(2**64 - 1),
                "u128": UInt128(2**128 - 1), "u32_zero": 0, "u64_auto": 2**40,
                "u128_auto": 2**100, "i32_min": -2**31, "i32_max": Int32(2**31 - 1),
                "i32_minus_one": -1, "i32_small": Int32(200), "i32_zero": Int32(0),
                "float32": Float32(0.25), "double_neg_zero": -0.0, "double_tiny": 5e-324,
                "double_big": 1.7976931348623157e308, "bytes": b"\x00\x01\xfe\xff",
                "empty_bytes": b"", "empty_string": "", "empty_map": {}, "empty_array": [],
                "nested": [[1, [2, {"k": [True, False, "x"]}]], {"": ""}],
            },
            # Payload sizes at each boundary of the size encoding.
            "sizes": {f"s{n}": chr(97 + i) * n
                      for i, n in enumerate((0, 28, 29, 284, 285, 65820, 65821, 100000))},
            "array_300": list(range(300)),
            "map_40": {f"k{i}": i for i in range(40)},
        }
        for record_size in (24, 28, 32):
            path = self.build([("192.0.2.0/24", record), ("2001:db8::/32", record)],
                              record_size=record_size, name=f"types-{record_size}.mmdb")
            for mode, reader in self.readers(path):
                for address in ("192.0.2.1", "2001:db8::1"):
                    with self.subTest(record_size=record_size, mode=mode, address=address):
                        got = reader.get(address)
                        self.assertEqual(got, record)
                        t = got["types"]
                        self.assertIsInstance(got["location"]["latitude"], float)
                        self.assertEqual(math.copysign(1, t["double_neg_zero"]), -1)
                        self.assertEqual(t["double_tiny"], 5e-324)
                        # The C extension gives bytearray, the pure reader bytes.
                        self.assertIsInstance(t["bytes"], (bytes, bytearray))
                        self.assertIs(t["nested"][0][1][1]["k"][0], True)

    def test_metadata(self):
        path = self.build([("192.0.2.0/24", DE)], ip_version=6, record_size=28,
                          database_type="Switchboard-Test-Country", languages=["en", "de"],
                          description={"en": "test", "de": "Prüfung"}, build_epoch=1700000000)
        for mode, reader in self.readers(path):
            with self.subTest(mode=mode):
                m = reader.metadata()
                self.assertEqual(m.binary_format_major_version, 2)
                self.assertEqual(m.binary_format_minor_version, 0)
                self.assertEqual(m.build_epoch, 1700000000)
                self.assertEqual(m.ip_version, 6)
                self.assertEqual(m.record_size, 28)
                self.assertEqual(m.database_type, "Switchboard-Test-Country")
                self.assertEqual(m.languages, ["en", "de"])
                self.assertEqual(m.description, {"en": "test", "de": "Prüfung"})
                # One node per bit of the path to ::192.0.2.0/120.
                self.assertEqual(m.node_count, 120)
        with open(path, "rb") as f:
            blob = f.read()
        tree_size = 120 * 28 * 2 // 8
        self.assertEqual(blob[tree_size:tree_size + 16], bytes(16))
        self.assertNotEqual(blob[tree_size + 16], 0)  # the data starts with a map
        self.assertEqual(blob.count(b"\xab\xcd\xefMaxMind.com"), 1)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)

        # The default epoch is now; an empty database is one node, no data.
        before = int(time.time())
        path = self.build([], ip_version=4, record_size=24, name="empty.mmdb")
        for mode, reader in self.readers(path):
            with self.subTest(mode=mode, database="empty"):
                m = reader.metadata()
                self.assertEqual(m.node_count, 1)
                self.assertLessEqual(before, m.build_epoch)
                self.assertLessEqual(m.build_epoch, int(time.time()))
                self.assertIsNone(reader.get("192.0.2.1"))

    def test_write_replaces_a_database(self):
        path = self.build([("192.0.2.0/24", DE)])
        self.build([("192.0.2.0/24", AT)])
        self.check_lookups(path, {"192.0.2.1": (AT, 24)})
        self.assertEqual(os.listdir(self.dir), ["test.mmdb"])

    def test_pointers_of_every_size(self):
        # Strings shared between two records are written once; the second
        # record reaches them by pointers into the first, one of each size.
        near, mid, far = "shared-near-value", "shared-mid-value", "shared-far-value"
        first = {"near": near, "pad": "x" * 3000, "mid": mid, "pad2": "y" * 600000, "far": far}
        second = {"far": far, "mid": mid, "near": near, "list": [near, mid, far]}
        path = self.build([("10.0.0.0/8", first), ("192.0.2.0/24", second)], ip_version=4)
        with open(path, "rb") as f:
            blob = f.read()
        for s in (near, mid, far):
            self.assertEqual(blob.count(s.encode()), 1, s)
        self.assertGreater(blob.index(far.encode()), 526336)
        self.assertGreater(blob.index(mid.encode()), 2048)
        self.check_lookups(path, {"10.0.0.1": (first, 8), "192.0.2.1": (second, 24)})

    def test_without_dedup_same_answers_bigger_file(self):
        networks = [(f"10.{i}.0.0/16", {"country": {"iso_code": "DE", "names":
                                                    {"en": "Germany", "de": "Deutschland"}}})
                    for i in range(50)]
        networks += [(f"11.{i}.0.0/16", {"n": i, "country": {"names": {"en": "Germany"}}})
                     for i in range(50)]
        small = self.build(networks, name="dedup.mmdb")
        big = self.build(networks, name="plain.mmdb", dedup=False)
        self.assertLess(os.path.getsize(small), os.path.getsize(big))
        with open(big, "rb") as f:
            self.assertEqual(f.read().count(b"Deutschland"), 1)  # equal records: one copy
        with open(small, "rb") as f:
            self.assertEqual(f.read().count(b"Germany"), 1)      # shared part: one copy
        expect = {f"10.{i}.1.1": (networks[i][1], 16) for i in range(0, 50, 7)}
        expect.update({f"11.{i}.1.1": (networks[50 + i][1], 16) for i in range(0, 50, 7)})
        self.check_lookups(small, expect)
        self.check_lookups(big, expect)

    def test_data_section_past_24_bits(self):
        # Records past 2**24 use the high nibbles of 28-bit records (and do
        # not fit 24-bit ones). A 16.8 MB record comes first in the data;
        # the records of the two nodes under the root are then [big, US]
        # (small, past 2**24) and [CA, empty] (past 2**24, small).
        big = {"pad": "z" * 16_800_000}
        networks = [("0.0.0.0/2", big), ("64.0.0.0/2", US), ("128.0.0.0/2", CA)]
        with self.assertRaisesRegex(ValueError, "record_size"):
            self.build(networks, ip_version=4, record_size=24, name="too-big.mmdb")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "too-big.mmdb")))
        for record_size in (28, 32):
            for version in (4, 6):
                with self.subTest(record_size=record_size, ip_version=version):
                    path = self.build(networks, ip_version=version, record_size=record_size,
                                      name=f"big-{version}-{record_size}.mmdb")
                    self.check_lookups(path, {"64.0.0.1": (US, 2), "191.0.0.1": (CA, 2),
                                              "192.0.0.1": None, "255.0.0.1": None})
                    for mode, reader in self.readers(path):
                        self.assertEqual(len(reader.get("1.2.3.4")["pad"]), 16_800_000, mode)
                    if MMDBLOOKUP:
                        self.assertEqual(mmdblookup(path, "191.0.0.1", "country", "iso_code"),
                                         '"CA" <utf8_string>')


@NEED_READER
class PointerEncoding(unittest.TestCase):
    def test_pointer_boundaries_read_back(self):
        # Every pointer size at its edges, read by the reader's own decoder.
        for offset, size in ((0, 2), (1, 2), (2047, 2), (2048, 3), (2049, 3), (526335, 3),
                             (526336, 4), (526337, 4), (134744063, 4), (134744064, 5),
                             (2**32 - 1, 5)):
            with self.subTest(offset=offset):
                encoded = mmdb_writer._pointer(offset)
                self.assertEqual(len(encoded), size)
                decoded, end = maxminddb.decoder.Decoder(encoded, pointer_test=True).decode(0)
                self.assertEqual((decoded, end), (offset, size))
        with self.assertRaises(ValueError):
            mmdb_writer._pointer(2**32)


class Refusals(unittest.TestCase):
    def test_bad_networks(self):
        w = MMDBWriter(ip_version=6)
        for bad in ("192.0.2.1/24", "10.0.0.0/33", "2001:db8::1/32", "2001:db8::/129",
                    "192.0.2.0/", "not-a-network", ""):
            with self.subTest(network=bad), self.assertRaises(ValueError):
                w.insert(bad, US)
        with self.assertRaises(TypeError):
            w.insert(3232235520, US)

    def test_ipv6_in_an_ipv4_database(self):
        w = MMDBWriter(ip_version=4)
        for bad in ("2001:db8::/32", "::ffff:192.0.2.0/120", "::/0",
                    ipaddress.ip_network("2001:db8::/48")):
            with self.subTest(network=bad), self.assertRaises(ValueError):
                w.insert(bad, US)
        w.insert(ipaddress.ip_network("192.0.2.0/24"), US)

    def test_same_network_different_data(self):
        w = MMDBWriter(ip_version=6)
        w.insert("192.0.2.0/24", DE)
        w.insert("192.0.2.0/24", DE)
        for network, data in (("192.0.2.0/24", AT), ("::192.0.2.0/120", AT),
                              ("192.0.2.0/24", {**DE, "extra": 1}),
                              # Same value, different MMDB type.
                              ("192.0.2.0/24", {**DE, "location": {
                                  **DE["location"], "accuracy_radius": 50}})):
            with self.subTest(network=network, data=data), self.assertRaises(ValueError):
                w.insert(network, data)

    def test_aliased_ranges_refused(self):
        w = MMDBWriter(ip_version=6, ipv4_aliases=True)
        for bad in ("::ffff:192.0.2.0/120", "::ffff:0:0/96", "2002::/16", "2002:c000:200::/40"):
            with self.subTest(network=bad), self.assertRaises(ValueError):
                w.insert(bad, US)
        w.insert("2002::/15", US)  # holds the alias; loses that part to it
        with self.assertRaises(ValueError):
            MMDBWriter(ip_version=4, ipv4_aliases=True)

    def test_bad_values(self):
        w = MMDBWriter()
        for bad in (None, {1: "x"}, {"k": None}, {"k": {1, 2}}, [object()]):
            with self.subTest(data=bad), self.assertRaises(TypeError):
                w.insert("192.0.2.0/24", bad)
        for bad in (2**128, -2**31 - 1, "\ud800", {"k": [Float32(1e39)]}):
            with self.subTest(data=bad), self.assertRaises(ValueError):
                w.insert("192.0.2.0/24", bad)
        for make, value in ((UInt16, 65536), (UInt16, -1), (UInt32, 2**32), (UInt64, 2**64),
                            (UInt128, 2**128), (Int32, 2**31), (Int32, -2**31 - 1)):
            with self.subTest(type=make.__name__, value=value), self.assertRaises(ValueError):
                make(value)

    def test_bad_parameters(self):
        for kw in ({"ip_version": 5}, {"record_size": 16}, {"record_size": 64},
                   {"ip_version": 4, "ipv4_aliases": True}):
            with self.subTest(**kw), self.assertRaises(ValueError):
                MMDBWriter(**kw)
        for kw in ({"languages": [1]}, {"description": {"en": 1}}, {"database_type": None}):
            with self.subTest(**kw), self.assertRaises(TypeError):
                MMDBWriter(**kw)


def mmdblookup(path, address, *lookup_path, verbose=False, check=True):
    r = subprocess.run([MMDBLOOKUP, *(["--verbose"] if verbose else []), "--file", path,
                        "--ip", address, *lookup_path],
                       capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, f"mmdblookup {address}: rc {r.returncode}: {r.stderr}"
        return r.stdout.strip()
    return r


@NEED_MMDBLOOKUP
class Mmdblookup(Case):
    def test_country_iso_code_every_record_size(self):
        for record_size in (24, 28, 32):
            path = self.build(IPV4_NETWORKS + IPV6_NETWORKS, record_size=record_size,
                              name=f"v6-{record_size}.mmdb")
            for address, code in (("192.0.2.1", "DE"), ("192.0.2.200", "AT"),
                                  ("10.200.0.1", "US"), ("10.1.2.3", "CA"),
                                  ("198.51.100.7", "NL"), ("2001:db8:1::1", "FR"),
                                  ("2001:db8:ffff::1", "GB"), ("::192.0.2.1", "DE")):
                with self.subTest(record_size=record_size, address=address):
                    self.assertEqual(mmdblookup(path, address, "country", "iso_code"),
                                     f'"{code}" <utf8_string>')
            self.assertEqual(mmdblookup(path, "10.1.2.3", "subdivisions", "0", "iso_code"),
                             '"ON" <utf8_string>')
            for address in ("203.0.113.1", "2001:db9::1", "::ffff:192.0.2.1"):
                with self.subTest(record_size=record_size, address=address):
                    r = mmdblookup(path, address, "country", "iso_code", check=False)
                    self.assertNotEqual(r.returncode, 0)
                    self.assertIn(f"Could not find an entry for this IP address ({address})",
                                  r.stderr)
                    self.assertNotIn("utf8_string", r.stdout)

    def test_ipv4_database(self):
        path = self.build(IPV4_NETWORKS, ip_version=4, record_size=24)
        self.assertEqual(mmdblookup(path, "192.0.2.1", "country", "iso_code"),
                         '"DE" <utf8_string>')
        r = mmdblookup(path, "2001:db8::1", "country", "iso_code", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("IPv6 address in an IPv4-only database", r.stdout + r.stderr)

    def test_types_as_libmaxminddb_sees_them(self):
        record = {"location": {"latitude": 48.1, "accuracy_radius": UInt16(50)},
                  "country": {"geoname_id": 2921044, "is_in_european_union": True},
                  "names": {"de": "München"},
                  "t": {"u64": UInt64(2**64 - 1), "u128": UInt128(2**128 - 1),
                        "neg": -2**31, "pos": Int32(5), "f": Float32(0.25),
                        "b": b"\x00\x01\xfe\xff", "no": False},
                  "list": ["a", "b"]}
        path = self.build([("192.0.2.0/24", record)])
        for lookup_path, want in (
                (("location", "latitude"), "48.100000 <double>"),
                (("location", "accuracy_radius"), "50 <uint16>"),
                (("country", "geoname_id"), "2921044 <uint32>"),
                (("country", "is_in_european_union"), "true <boolean>"),
                (("names", "de"), '"München" <utf8_string>'),
                (("t", "u64"), "18446744073709551615 <uint64>"),
                (("t", "u128"), "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF <uint128>"),
                (("t", "neg"), "-2147483648 <int32>"),
                (("t", "pos"), "5 <int32>"),
                (("t", "f"), "0.250000 <float>"),
                (("t", "b"), "0001FEFF <bytes>"),
                (("t", "no"), "false <boolean>"),
                (("list", "1"), '"b" <utf8_string>')):
            with self.subTest(path=lookup_path):
                self.assertEqual(mmdblookup(path, "192.0.2.1", *lookup_path), want)

    def test_verbose_metadata_and_prefix_length(self):
        path = self.build(IPV4_NETWORKS + IPV6_NETWORKS, record_size=28,
                          languages=["en", "de"], description={"en": "the test data"},
                          build_epoch=1700000000)
        out = mmdblookup(path, "192.0.2.1", "country", "iso_code", verbose=True)
        for pattern in (r"Record size:\s+28 bits", r"IP version:\s+IPv6",
                        r"Binary format:\s+2\.0", r"Build epoch:\s+1700000000 ",
                        r"Type:\s+Switchboard-Test-City", r"Languages:\s+en de",
                        r"en:\s+the test data", r"Node count:\s+\d+",
                        # libmaxminddb counts the prefix in the IPv6 tree.
                        r"Record prefix length: 121\n"):
            self.assertRegex(out, pattern)
        self.assertTrue(out.endswith('"DE" <utf8_string>'), out)
        out = mmdblookup(path, "2001:db8:1:2::2", verbose=True)
        self.assertRegex(out, r"Record prefix length: 127\n")
        path = self.build(IPV4_NETWORKS, ip_version=4, name="v4.mmdb")
        out = mmdblookup(path, "10.200.0.1", verbose=True)
        self.assertRegex(out, r"IP version:\s+IPv4")
        self.assertRegex(out, r"Record prefix length: 9\n")


if __name__ == "__main__":
    sbtest.main()
