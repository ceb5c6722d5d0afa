"""A small writer of MaxMind DB (.mmdb) files, for tests of geographic
routing: each test builds the few networks it needs, with data it chooses,
instead of depending on a downloaded GeoIP/GeoLite database (whose contents
change and whose licence forbids shipping it here). Standard library only.

What it writes (MaxMind DB format 2.0, https://maxmind.github.io/MaxMind-DB/):

  - IPv6 (ip_version=6) or IPv4 (ip_version=4) search trees with 24-, 28- or
    32-bit records. In an IPv6 database, IPv4 networks live in ::/96 (the
    IPv4-compatible range, as MaxMind's own databases store them), which is
    where readers look IPv4 addresses up. With ipv4_aliases=True the
    ::ffff:0:0/96 (IPv4-mapped) and 2002::/16 (6to4) records also point at
    the IPv4 part of the tree, as MaxMind's GeoIP databases do.
  - Longest-prefix semantics: a network inserted inside a larger one wins
    for its addresses whatever the order of the insert() calls; the rest of
    the larger network keeps the larger network's data. As in every MMDB
    file, a reader then reports for such an address the prefix length of the
    tree record that holds it (10.1.0.0/16 inside 10.0.0.0/8: 10.200.0.1 is
    reported as /9, 10.0.0.1 as /16).
  - Data types, picked from the Python value: dict -> map (str keys),
    list/tuple -> array, str -> utf8_string, bytes -> bytes, bool ->
    boolean, float -> double, int -> uint32 (uint64 / uint128 when larger,
    int32 when negative). Wrap an int in UInt16, UInt32, UInt64, UInt128 or
    Int32, or a float in Float32, to choose the type (GeoIP2 City, for
    example, has location.accuracy_radius as uint16).
  - Identical data is stored once; with dedup=True (the default) repeated
    strings, maps and arrays inside the data section are written once and
    referred to by pointers, as MaxMind's writer does.
  - The metadata map with every key of the spec: binary_format_major_version
    2, binary_format_minor_version 0, build_epoch, node_count, record_size,
    ip_version, database_type, languages, description.

Not written: data cache containers, end markers, or merging of adjacent
networks with equal data (each inserted network keeps its own records).

    w = MMDBWriter(ip_version=6, record_size=28,
                   database_type="Switchboard-Test-City", languages=["en"],
                   description={"en": "test data"})
    w.insert("192.0.2.0/24", {"country": {"iso_code": "DE"},
                              "location": {"latitude": 48.1, "longitude": 11.6,
                                           "accuracy_radius": UInt16(50)}})
    w.insert("2001:db8:1::/48", {"country": {"iso_code": "FR"}})
    w.write(path)        # atomically (rename), mode 0644

insert() raises ValueError for a malformed network (host bits set past the
prefix, a bad length), an IPv6 network in an IPv4 database, the same
network inserted again with different data, or an int out of its type's
range; TypeError for a value no MMDB type can hold (None, a set, a map key
that is not a str). write()/to_bytes() raise ValueError when the database
does not fit its record size.
"""
import collections
import ipaddress
import os
import struct
import tempfile
import time
from collections.abc import Mapping

__all__ = ["MMDBWriter", "UInt16", "UInt32", "UInt64", "UInt128", "Int32", "Float32"]

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
DATA_SECTION_SEPARATOR = b"\x00" * 16
MAX_METADATA_SIZE = 128 * 1024
MAX_PAYLOAD_SIZE = 65821 + (1 << 24) - 1  # 16,843,036 bytes (or pairs, or items)

# Type numbers of the data section.
_TYPE_NUMBER = {
    "pointer": 1, "utf8_string": 2, "double": 3, "bytes": 4, "uint16": 5,
    "uint32": 6, "map": 7, "int32": 8, "uint64": 9, "uint128": 10, "array": 11,
    "boolean": 14, "float": 15,
}


class _FixedInt(int):
    """An int that is written as one particular MMDB integer type."""
    mmdb_type = None
    low = high = 0

    def __new__(cls, value):
        obj = super().__new__(cls, value)
        if not cls.low <= obj <= cls.high:
            raise ValueError(f"{int(obj)} does not fit {cls.mmdb_type} "
                             f"({cls.low}..{cls.high})")
        return obj

    def __repr__(self):
        return f"{type(self).__name__}({int(self)})"


class UInt16(_FixedInt):
    mmdb_type, low, high = "uint16", 0, (1 << 16) - 1


class UInt32(_FixedInt):
    mmdb_type, low, high = "uint32", 0, (1 << 32) - 1


class UInt64(_FixedInt):
    mmdb_type, low, high = "uint64", 0, (1 << 64) - 1


class UInt128(_FixedInt):
    mmdb_type, low, high = "uint128", 0, (1 << 128) - 1


class Int32(_FixedInt):
    mmdb_type, low, high = "int32", -(1 << 31), (1 << 31) - 1


class Float32(float):
    """A float written as the 4-byte float type (a plain float is a double)."""

    def __repr__(self):
        return f"Float32({float(self)!r})"


def _typed(value, where="data"):
    """`value` as a hashable tree of (type, payload) pairs: the type chosen
    once, checked once, and usable as a dictionary key (equal trees encode
    to equal bytes; doubles are compared by their bytes, so -0.0 != 0.0)."""
    if isinstance(value, _FixedInt):
        return (value.mmdb_type, int(value))
    if isinstance(value, Float32):
        try:
            return ("float", struct.pack(">f", value))
        except OverflowError:
            raise ValueError(f"{where}: {float(value)!r} does not fit a float32") from None
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int):
        if 0 <= value <= UInt32.high:
            return ("uint32", value)
        if 0 <= value <= UInt64.high:
            return ("uint64", value)
        if 0 <= value <= UInt128.high:
            return ("uint128", value)
        if Int32.low <= value < 0:
            return ("int32", value)
        raise ValueError(f"{where}: the integer {value} fits no MMDB integer type")
    if isinstance(value, float):
        return ("double", struct.pack(">d", value))
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(f"{where}: string is not valid UTF-8: {e}") from None
        return ("utf8_string", value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("bytes", bytes(value))
    if isinstance(value, Mapping):
        pairs = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: map key {k!r} is not a str")
            pairs.append((k, _typed(v, f"{where}.{k}")))
        return ("map", tuple(pairs))
    if isinstance(value, (list, tuple)):
        return ("array", tuple(_typed(v, f"{where}[{i}]") for i, v in enumerate(value)))
    raise TypeError(f"{where}: no MMDB type holds {type(value).__name__} ({value!r})")


def _control(type_name, size):
    """The control byte(s) of a field: type (extended when above 7), then
    the payload size (or pair/item count) in 5 bits plus 0-3 more bytes."""
    if size < 0 or size > MAX_PAYLOAD_SIZE:
        raise ValueError(f"a {type_name} of size {size} cannot be encoded "
                         f"(at most {MAX_PAYLOAD_SIZE})")
    if size < 29:
        low, extra = size, b""
    elif size < 29 + 256:
        low, extra = 29, (size - 29).to_bytes(1, "big")
    elif size < 285 + 65536:
        low, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        low, extra = 31, (size - 65821).to_bytes(3, "big")
    number = _TYPE_NUMBER[type_name]
    if number <= 7:
        return bytes([number << 5 | low]) + extra
    return bytes([low, number - 7]) + extra


def _pointer(offset):
    """A pointer field to `offset` in the data section: control byte
    001SSVVV, SS choosing 1-4 more bytes (and a bias for SS 1 and 2)."""
    if offset < 0:
        raise ValueError(f"negative pointer {offset}")
    if offset < 2048:
        return bytes([0x20 | offset >> 8, offset & 0xFF])
    if offset < 526336:
        v = offset - 2048
        return bytes([0x28 | v >> 16]) + (v & 0xFFFF).to_bytes(2, "big")
    if offset < 134744064:
        v = offset - 526336
        return bytes([0x30 | v >> 24]) + (v & 0xFFFFFF).to_bytes(3, "big")
    if offset < 1 << 32:
        return b"\x38" + offset.to_bytes(4, "big")
    raise ValueError(f"pointer {offset} is past the 4 GiB a pointer can reach")


def _uint_bytes(value):
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


class _Encoder:
    """Builds a data section (or the metadata map, with dedup off)."""

    def __init__(self, dedup):
        self.buf = bytearray()
        self.dedup = dedup
        self.seen = {}  # typed value -> offset of its full (non-pointer) encoding

    def add(self, typed):
        """Offset of `typed` in the section, written now if it is not there."""
        offset = self.seen.get(typed)
        if offset is None:
            offset = len(self.buf)
            self.emit(typed)
        return offset

    def emit(self, typed):
        kind, value = typed
        if kind in ("utf8_string", "bytes"):
            payload = value.encode("utf-8") if kind == "utf8_string" else value
            field = _control(kind, len(payload)) + payload
            if self.dedup:
                offset = self.seen.get(typed)
                if offset is None:
                    self.seen[typed] = len(self.buf)
                else:
                    pointer = _pointer(offset)
                    if len(pointer) < len(field):
                        self.buf += pointer
                        return
            self.buf += field
        elif kind in ("map", "array"):
            if self.dedup and value:
                offset = self.seen.get(typed)
                if offset is not None:
                    self.buf += _pointer(offset)
                    return
                self.seen[typed] = len(self.buf)
            self.buf += _control(kind, len(value))
            if kind == "map":
                for key, item in value:
                    self.emit(("utf8_string", key))
                    self.emit(item)
            else:
                for item in value:
                    self.emit(item)
        elif kind in ("uint16", "uint32", "uint64", "uint128"):
            payload = _uint_bytes(value)
            self.buf += _control(kind, len(payload)) + payload
        elif kind == "int32":
            # Readers zero-extend short int32 payloads: a negative one needs
            # all four bytes to keep its sign.
            payload = _uint_bytes(value) if value >= 0 else (value & 0xFFFFFFFF).to_bytes(4, "big")
            self.buf += _control(kind, len(payload)) + payload
        elif kind in ("double", "float"):
            self.buf += _control(kind, len(value)) + value
        elif kind == "boolean":
            self.buf += _control(kind, 1 if value else 0)
        else:
            raise AssertionError(f"unknown typed value {typed!r}")


class _Leaf:
    """A tree record that holds data (one per distinct data value)."""
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


class MMDBWriter:
    def __init__(self, ip_version=6, record_size=28, database_type="Switchboard-Test",
                 languages=(), description=None, build_epoch=None, ipv4_aliases=False,
                 dedup=True):
        if ip_version not in (4, 6):
            raise ValueError(f"ip_version must be 4 or 6, not {ip_version!r}")
        if record_size not in (24, 28, 32):
            raise ValueError(f"record_size must be 24, 28 or 32, not {record_size!r}")
        if ipv4_aliases and ip_version != 6:
            raise ValueError("ipv4_aliases needs an IPv6 database")
        if not isinstance(database_type, str):
            raise TypeError("database_type must be a str")
        languages = list(languages)
        if not all(isinstance(x, str) for x in languages):
            raise TypeError("languages must be strs")
        description = dict(description or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in description.items()):
            raise TypeError("description must map str to str")
        self.ip_version = ip_version
        self.record_size = record_size
        self.database_type = database_type
        self.languages = languages
        self.description = description
        self.build_epoch = int(time.time()) if build_epoch is None else int(build_epoch)
        self.ipv4_aliases = ipv4_aliases
        self.dedup = dedup
        self._bits = 128 if ip_version == 6 else 32
        self._networks = {}  # (first address as int, prefix length in tree bits) -> _Leaf
        self._leaves = {}    # typed data -> _Leaf

    def _tree_network(self, network):
        """(address as int, prefix length) of `network` in this tree."""
        if isinstance(network, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            net = network
        elif isinstance(network, str):
            try:
                net = ipaddress.ip_network(network, strict=True)
            except ValueError as e:
                raise ValueError(f"bad network {network!r}: {e}") from None
        else:
            raise TypeError(f"network must be a str or an ipaddress network, not {network!r}")
        if net.version == 6:
            if self.ip_version == 4:
                raise ValueError(f"{net} is an IPv6 network; this is an IPv4 database")
            if self.ipv4_aliases and (net.subnet_of(_IPV4_MAPPED) or net.subnet_of(_SIX_TO_FOUR)):
                raise ValueError(f"{net} is inside an alias of the IPv4 tree "
                                 f"({_IPV4_MAPPED} or {_SIX_TO_FOUR}); insert the IPv4 network")
            return int(net.network_address), net.prefixlen
        if self.ip_version == 6:
            return int(net.network_address), 96 + net.prefixlen
        return int(net.network_address), net.prefixlen

    def insert(self, network, data):
        """Map `network` (a CIDR string or an ipaddress network) to `data`."""
        key = self._tree_network(network)
        typed = _typed(data)
        leaf = self._leaves.setdefault(typed, _Leaf(typed))
        old = self._networks.get(key)
        if old is not None and old is not leaf:
            raise ValueError(f"{network} was already inserted with different data")
        self._networks[key] = leaf

    # -- the search tree ---------------------------------------------------

    def _set_record(self, root, value, prefix_len, record):
        """Make the record of `value`/`prefix_len` hold `record`, splitting
        records above it (a split record's both halves keep its value)."""
        if prefix_len == 0:
            root[0] = root[1] = record
            return
        node = root
        for depth in range(prefix_len - 1):
            bit = value >> (self._bits - 1 - depth) & 1
            child = node[bit]
            if type(child) is not list:
                child = [child, child]
                node[bit] = child
            node = child
        node[value >> (self._bits - prefix_len) & 1] = record

    def _build_tree(self):
        """The tree as nested [left, right] lists; a record is a list (a
        node), a _Leaf, or None (no data)."""
        root = [None, None]
        # Larger networks first: a smaller one then splits the larger one's
        # record and takes its part, whichever order insert() saw them in.
        for (value, prefix_len), leaf in sorted(self._networks.items(), key=lambda kv: kv[0][1]):
            self._set_record(root, value, prefix_len, leaf)
        if self.ipv4_aliases:
            ipv4_root = root
            for _ in range(96):
                if type(ipv4_root) is not list:
                    break
                ipv4_root = ipv4_root[0]
            for alias in (_IPV4_MAPPED, _SIX_TO_FOUR):
                self._set_record(root, int(alias.network_address), alias.prefixlen, ipv4_root)
        return root

    def to_bytes(self):
        """The whole database file."""
        root = self._build_tree()
        # Number the nodes breadth first from the root (node 0). With
        # aliases a node has several parents: it gets one number.
        number = {id(root): 0}
        nodes = []
        queue = collections.deque([root])
        while queue:
            node = queue.popleft()
            nodes.append(node)
            for child in node:
                if type(child) is list and id(child) not in number:
                    number[id(child)] = len(number)
                    queue.append(child)
        node_count = len(nodes)

        data = _Encoder(self.dedup)
        data_offset = {}  # id(_Leaf) -> offset in the data section
        for node in nodes:
            for child in node:
                if type(child) is _Leaf and id(child) not in data_offset:
                    data_offset[id(child)] = data.add(child.data)

        def record(child):
            if child is None:
                return node_count
            if type(child) is list:
                return number[id(child)]
            return node_count + len(DATA_SECTION_SEPARATOR) + data_offset[id(child)]

        largest = node_count + len(DATA_SECTION_SEPARATOR) + len(data.buf)
        if largest >= 1 << self.record_size:
            raise ValueError(f"{node_count} nodes and {len(data.buf)} bytes of data do not "
                             f"fit {self.record_size}-bit records; use a larger record_size")

        tree = bytearray()
        for node in nodes:
            left, right = record(node[0]), record(node[1])
            if self.record_size == 24:
                tree += left.to_bytes(3, "big") + right.to_bytes(3, "big")
            elif self.record_size == 28:
                tree += (left & 0xFFFFFF).to_bytes(3, "big")
                tree.append((left >> 24) << 4 | right >> 24)
                tree += (right & 0xFFFFFF).to_bytes(3, "big")
            else:
                tree += left.to_bytes(4, "big") + right.to_bytes(4, "big")

        metadata = _Encoder(dedup=False)
        metadata.emit(("map", (
            ("binary_format_major_version", ("uint16", 2)),
            ("binary_format_minor_version", ("uint16", 0)),
            ("build_epoch", ("uint64", self.build_epoch)),
            ("database_type", ("utf8_string", self.database_type)),
            ("description", ("map", tuple((k, ("utf8_string", v))
                                          for k, v in self.description.items()))),
            ("ip_version", ("uint16", self.ip_version)),
            ("languages", ("array", tuple(("utf8_string", x) for x in self.languages))),
            ("node_count", ("uint32", node_count)),
            ("record_size", ("uint16", self.record_size)),
        )))
        if len(METADATA_MARKER) + len(metadata.buf) > MAX_METADATA_SIZE:
            raise ValueError("the metadata is over the 128 KiB the format allows")
        return b"".join((tree, DATA_SECTION_SEPARATOR, data.buf, METADATA_MARKER, metadata.buf))

    def write(self, path):
        """Write the database to `path`, replacing any file there at once
        (a reader never sees half a file); mode 0644, so a daemon that has
        dropped privileges can read it."""
        blob = self.to_bytes()
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".mmdb-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
