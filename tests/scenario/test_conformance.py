"""Table-driven DNS conformance: every case is a query and the exact response
expected, checked field by field against the real daemon over UDP and over
TCP (RFC 7766 framing on a raw socket).

A case names its query (built with dnspython, or byte by byte where dnspython
cannot express it) and everything about the response: the full rcode
(extended bits included), every header flag (QR AA TC RD RA Z AD CD), the
opcode, the section counts, the question (echoed byte for byte, or absent),
each record of the answer, authority and additional sections (owner, TTL,
class, type, rdata text), and the OPT record: presence, version, UDP size,
DO, the other EDNS flag bits (zero), and the exact set of EDNS options with
their contents. Every response must also parse with libldns.

One unittest method is generated per (case, transport), named after the
case, and a failure lists every field that differs, not just the first.
Cases marked UDP-only (truncation) or TCP-only (answers only TCP can carry)
run on that transport alone. "No reply" cases send a valid probe after the
bad message on the same socket or connection: the first reply must be the
probe's, so nothing waits for a timeout.

Cases that need a server without --nsid, --version-string, --identity and
a cookie secret run against a second server (BareServer).

The ednscomp_* cases are the checks of ISC's EDNS compliance tester
(ednscomp.isc.org), sent as dig sends them (+norec, +nocookie unless the
check is about cookies).
"""
import os
import socket
import struct
import tempfile
import time
import unittest
import zlib
from dataclasses import dataclass, field
from typing import Optional

import dns.edns
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

import sbtest

# --- server configuration ---------------------------------------------------

NSID = "sb-conformance-1"
VERSION = "Switchboard conformance"
IDENTITY = "node-7.conformance.test"
COOKIE_SECRET = bytes.fromhex("5a1e0f3c9b2d4e6f708192a3b4c5d6e7")
OTHER_SECRET = bytes.fromhex("00112233445566778899aabbccddeeff")
CLIENT_IP = bytes([127, 0, 0, 1])  # the address our queries come from

MAIN_ARGS = ["--nsid", NSID, "--version-string", VERSION, "--identity", IDENTITY]


def main_args():
    """MAIN_ARGS and the cookie secret, in a file of its own as an operator
    keeps it (never on the command line); (options, that file to remove)."""
    fd, path = tempfile.mkstemp(prefix="sb-cookie-")
    os.write(fd, COOKIE_SECRET.hex().encode() + b"\n")
    os.close(fd)
    return MAIN_ARGS + ["--cookie-secret-file", path], path

# --- zones -------------------------------------------------------------------

BIG1 = [f"{i}{'x' * 99}" for i in range(6)]  # ~700 bytes: over 512, under 1232
BIG2 = [f"{i:03d}{'y' * 247}" for i in range(200)]  # ~53 KB: TCP only

CHAIN7 = "".join(f"h{i} CNAME h{i + 1}\n" for i in range(1, 7)) + "h7 CNAME a\n"
# Eight CNAMEs (g8, then h1 to h7) are followed to the end; nine (g9 first)
# are written, the last not followed.
CHAIN7 += "g8 CNAME h1\ng9 CNAME g8\n"
# A DNAME whose rewritten names are long: a 40-byte label below it makes an
# answer over 512 bytes that ends at a name that does not exist.
DNLONG_TARGET = f"{'l' * 60}.{'m' * 60}.{'n' * 60}.example.net."
DNLONG_QUERY = f"{'a' * 40}.dnlong.example.com"

EXAMPLE_COM = """$ORIGIN example.com.
$TTL 3600
@        SOA   ns1 hostmaster 2026112101 7200 900 1209600 60
@        NS    ns1
@        MX    10 mail
ns1      A     127.0.0.1
a        A     192.0.2.1
a        AAAA  2001:db8::1
mail     A     192.0.2.25
mail     AAAA  2001:db8::25
txt      TXT   "hello world"
unk      TYPE666 \\# 2 abcd
c1       CNAME c2
c2       CNAME a
loop1    CNAME loop2
loop2    CNAME loop1
dangle   CNAME nothere
out      CNAME www.example.org.
xz       CNAME www.target.example.net.
*.wild   A     192.0.2.50
deep.e.wild A  192.0.2.51
*.wc     CNAME a
x.ent    A     192.0.2.60
sub      NS    ns.sub
ns.sub   A     192.0.2.53
child    NS    ns.child
ns.child A     192.0.2.54
dn       DNAME target.example.net.
todn     CNAME www.dn
tosub    CNAME host.sub
tocut    CNAME sub
sib      NS    ns.sub
pw       profile priority ttl=30 {
             monitor none
             endpoint first  a.example.com.    priority=1
             endpoint second mail.example.com. priority=2
         }
pa       profile priority ttl=20 {
             monitor none
             endpoint v4 192.0.2.80   priority=1
             endpoint v6 2001:db8::80 priority=2
         }
pa       TXT   "address profile"
""" + CHAIN7 + f"dnlong DNAME {DNLONG_TARGET}\n" + "".join(f'big1 TXT "{t}"\n' for t in BIG1) \
    + "".join(f'big2 TXT "{t}"\n' for t in BIG2)

CHILD = """$ORIGIN child.example.com.
$TTL 300
@        SOA   ns hostmaster 7 7200 900 1209600 30
@        NS    ns
ns       A     192.0.2.54
www      A     192.0.2.70
"""

EXAMPLE_NET = """$ORIGIN example.net.
$TTL 3600
@            SOA   ns1.example.com. hostmaster.example.com. 2026112201 7200 900 1209600 120
@            NS    ns1.example.com.
www.target   A     192.0.2.100
alias.target CNAME www.target
"""

ZONES = {"example.com.zone": EXAMPLE_COM, "child.example.com.zone": CHILD,
         "example.net.zone": EXAMPLE_NET}

SOA_COM = "example.com. 60 IN SOA ns1.example.com. hostmaster.example.com. 2026112101 7200 900 1209600 60"
SOA_NET = ("example.net. 120 IN SOA ns1.example.com. hostmaster.example.com. "
           "2026112201 7200 900 1209600 120")
SOA_CHILD = ("child.example.com. 30 IN SOA ns.child.example.com. "
             "hostmaster.child.example.com. 7 7200 900 1209600 30")
SOA_APEX = SOA_COM.replace("example.com. 60", "example.com. 3600", 1)
A_A = "a.example.com. 3600 IN A 192.0.2.1"

# --- SipHash-2-4 and RFC 9018 cookies ----------------------------------------

_M64 = (1 << 64) - 1


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & _M64


def siphash24(key, msg):
    """SipHash-2-4 of `msg` under the 16-byte `key`: 8 bytes, little-endian
    (the byte order RFC 9018 puts in the cookie, as libsodium returns it)."""
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & _M64; v[1] = _rotl(v[1], 13); v[1] ^= v[0]; v[0] = _rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & _M64; v[3] = _rotl(v[3], 16); v[3] ^= v[2]
            v[0] = (v[0] + v[3]) & _M64; v[3] = _rotl(v[3], 21); v[3] ^= v[0]
            v[2] = (v[2] + v[1]) & _M64; v[1] = _rotl(v[1], 17); v[1] ^= v[2]; v[2] = _rotl(v[2], 32)

    end = len(msg) - len(msg) % 8
    words = [struct.unpack_from("<Q", msg, i)[0] for i in range(0, end, 8)]
    words.append(((len(msg) & 0xFF) << 56) | int.from_bytes(msg[end:], "little"))
    for m in words:
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    v[2] ^= 0xFF
    rounds(4)
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


def server_cookie(client, ts, secret=COOKIE_SECRET, version=1, ip=CLIENT_IP):
    """An RFC 9018 server cookie: version, 3 reserved bytes, timestamp, hash."""
    head = bytes([version, 0, 0, 0]) + struct.pack("!I", ts & 0xFFFFFFFF)
    return head + siphash24(secret, client + head + ip)


NOW = int(time.time())
CC = bytes.fromhex("0123456789abcdef")  # client cookies
CC2 = bytes.fromhex("fedcba9876543210")
SC_VALID = server_cookie(CC, NOW - 60)
SC_OLD = server_cookie(CC, NOW - 40 * 60)  # valid, but due for renewal
SC_EXPIRED = server_cookie(CC, NOW - 2 * 3600)
SC_BADHASH = SC_VALID[:15] + bytes([SC_VALID[15] ^ 0x01])
SC_VERSION2 = server_cookie(CC, NOW - 60, version=2)
SC_OTHER = server_cookie(CC, NOW - 60, secret=OTHER_SECRET)
SC_OTHER_ADDR = server_cookie(CC, NOW - 60, ip=bytes([192, 0, 2, 99]))
SC_SOON = server_cookie(CC, NOW + 4 * 60)  # clock skew in a cluster: valid
SC_FUTURE = server_cookie(CC, NOW + 10 * 60)


def fresh_cookie(client, secret=COOKIE_SECRET, not_this=None):
    """Check of a COOKIE option the server made now: the client cookie, then
    a version-1 RFC 9018 server cookie of the current time whose hash is
    recomputed here (unless `secret` is None: a server with a random one)."""
    def check(data):
        if len(data) != 24:
            return [f"length {len(data)}, want 24 (8 client + 16 server bytes): {data.hex()}"]
        out = []
        if data[:8] != client:
            out.append(f"client cookie {data[:8].hex()}, want {client.hex()}")
        if data[8] != 1:
            out.append(f"server cookie version {data[8]}, want 1")
        if data[9:12] != b"\0\0\0":
            out.append(f"reserved bytes {data[9:12].hex()}, want 000000")
        ts = struct.unpack("!I", data[12:16])[0]
        now = time.time()
        if abs(ts - now) > 5:
            out.append(f"timestamp {ts} is {ts - now:+.0f} s from now")
        if secret is not None:
            want = siphash24(secret, data[:8] + data[8:16] + CLIENT_IP)
            if data[16:] != want:
                out.append(f"hash {data[16:].hex()}, want SipHash-2-4 {want.hex()}")
        if not_this is not None and data[8:] == not_this:
            out.append("the server cookie sent was echoed; a fresh one was expected")
        return out
    check.text = f"fresh cookie for {client.hex()}"
    return check


# --- building queries --------------------------------------------------------

FLAG_BITS = {"qr": 0x8000, "aa": 0x0400, "tc": 0x0200, "rd": 0x0100,
             "ra": 0x0080, "z": 0x0040, "ad": 0x0020, "cd": 0x0010}
ALL_QUERY_FLAGS = "aa tc rd ra z ad cd"
DO = 0x8000
OPT_NSID, OPT_ECS, OPT_EXPIRE, OPT_COOKIE = 3, 8, 9, 10


def flag_word(text):
    return sum(FLAG_BITS[f] for f in text.split())


def query(name, rdtype="A", rdclass="IN", flags="rd", opcode=0, edns=None, payload=1232,
          ednsflags=0, options=()):
    """Wire bytes of a query. `edns` is the EDNS version (None: no OPT);
    `options` are (code, bytes) pairs, written as given."""
    m = dns.message.make_query(name, dns.rdatatype.from_text(rdtype),
                               dns.rdataclass.from_text(rdclass))
    m.flags = flag_word(flags) | (opcode << 11)
    if edns is not None:
        m.use_edns(edns, ednsflags, payload,
                   options=[dns.edns.GenericOption(c, d) for c, d in options])
    return m.to_wire()


def wname(text):
    return dns.name.from_text(text).to_wire()


def header(flags=0x0100, qd=1, an=0, ns=0, ar=0, ident=0):
    return struct.pack("!6H", ident, flags, qd, an, ns, ar)


def qsec(name="a.example.com.", rdtype=1, rdclass=1):
    return wname(name) + struct.pack("!HH", rdtype, rdclass)


def option(code, data=b""):
    return struct.pack("!HH", code, len(data)) + data


def opt_rr(options=b"", udp=1232, version=0, flags=0, ext=0, owner=b"\0"):
    return owner + struct.pack("!HHBBHH", 41, udp, ext, version, flags, len(options)) + options


def ecs(family, source, addr, scope=0):
    return struct.pack("!HBB", family, source, scope) + addr


def long_labels(total, suffix):
    """Labels that, before `suffix`, make a name of exactly `total` wire
    bytes: 63-byte labels and one shorter one."""
    left = total - len(wname(suffix))
    labels = []
    while left > 0:
        n = min(63, left - 1)
        labels.append(chr(ord("a") + len(labels)) * n)
        left -= n + 1
    assert left == 0, total
    return labels


def long_name(total, suffix):
    name = ".".join(long_labels(total, suffix) + [suffix])
    assert len(wname(name)) == total
    return name


def long_name_wire(total, suffix):
    """The wire form of a name of `total` bytes, which may be over 255."""
    out = b"".join(bytes([len(x)]) + x.encode() for x in long_labels(total, suffix))
    return out + wname(suffix)


# --- expectations ------------------------------------------------------------

@dataclass
class Opt:
    """The OPT record expected in a response. `options` maps each option
    code expected to its exact bytes, or to a check returning problems."""
    udp: int = 1232
    version: int = 0
    do: bool = False
    options: dict = field(default_factory=dict)


@dataclass
class Case:
    name: str
    query: bytes
    rcode: int = dns.rcode.NOERROR  # including the extended bits (BADVERS = 16)
    flags: str = "qr aa rd"          # the flags that must be set; all others clear
    opcode: int = 0
    question: bool = True            # echoed byte for byte (False: QDCOUNT 0)
    answer: list = field(default_factory=list)
    authority: list = field(default_factory=list)
    additional: list = field(default_factory=list)  # without the OPT
    opt: Optional[Opt] = None
    reply: bool = True               # False: the server must not answer
    transports: tuple = ("udp", "tcp")
    server: str = "main"             # or "bare"
    exact_case: bool = False         # compare owner names case-sensitively


def udp_only(case):
    case.transports = ("udp",)
    return case


def tcp_only(case):
    case.transports = ("tcp",)
    return case


def formerr(name, wire, question=True, opt=None, flags="qr rd"):
    return Case(name, wire, rcode=dns.rcode.FORMERR, flags=flags, question=question, opt=opt)


def nodata(name, wire, soa=SOA_COM, flags="qr aa rd", **kw):
    return Case(name, wire, flags=flags, authority=[soa], **kw)


def nxdomain(name, wire, soa=SOA_COM, answer=(), **kw):
    return Case(name, wire, rcode=dns.rcode.NXDOMAIN, answer=list(answer), authority=[soa], **kw)


def refused(name, wire, opt=None, flags="qr rd", **kw):
    return Case(name, wire, rcode=dns.rcode.REFUSED, flags=flags, opt=opt, **kw)


def badvers(name, wire, do=False, flags="qr rd"):
    return Case(name, wire, rcode=dns.rcode.BADVERS, flags=flags, opt=Opt(do=do))


def notimp(name, wire, opcode, opt=None):
    """RD and CD are QUERY's flags: a NOTIMP for another opcode carries
    neither back (ISC's EDNS compliance checker, test opcodeflg)."""
    return Case(name, wire, rcode=dns.rcode.NOTIMP, flags="qr", opcode=opcode, opt=opt)


def chaos_txt(owner, text):
    return f'{owner} 0 CH TXT "{text}"'


def big1_lines():
    return [f'big1.example.com. 3600 IN TXT "{t}"' for t in BIG1]


def big2_lines():
    return [f'big2.example.com. 3600 IN TXT "{t}"' for t in BIG2]


NAME_255 = long_name(255, "example.com")
NAME_256_WIRE = long_name_wire(256, "example.com")
DN_255 = long_name(255, "dn.example.com")   # the DNAME target would be 259 bytes
DN_251 = long_name(251, "dn.example.com")   # the DNAME target is exactly 255 bytes
DN_251_TARGET = DN_251[: -len("dn.example.com")] + "target.example.net."

# header, question, 6 TXT records with compressed owners, empty OPT
BIG1_EDNS_SIZE = 12 + len(wname("big1.example.com")) + 4 + sum(12 + 1 + len(t) for t in BIG1) + 11

Q_A = query("a.example.com")
Q_QUESTION = Q_A[12:]  # question of a plain A query, to splice into raw packets
E0 = dict(edns=0)
NS_OPT = Opt(options={OPT_NSID: NSID.encode()})

CASES = [
    # --- authoritative data ----------------------------------------------------
    Case("A static", Q_A, answer=[A_A]),
    Case("AAAA static", query("a.example.com", "AAAA"),
         answer=["a.example.com. 3600 IN AAAA 2001:db8::1"]),
    Case("SOA at apex", query("example.com", "SOA"), answer=[SOA_APEX]),
    Case("NS at apex with in-zone address", query("example.com", "NS"),
         answer=["example.com. 3600 IN NS ns1.example.com."],
         additional=["ns1.example.com. 3600 IN A 127.0.0.1"]),
    Case("MX with in-zone target addresses in additional", query("example.com", "MX"),
         answer=["example.com. 3600 IN MX 10 mail.example.com."],
         additional=["mail.example.com. 3600 IN A 192.0.2.25",
                     "mail.example.com. 3600 IN AAAA 2001:db8::25"]),
    Case("TXT", query("txt.example.com", "TXT"),
         answer=['txt.example.com. 3600 IN TXT "hello world"']),
    Case("TYPE666 data in RFC 3597 form", query("unk.example.com", "TYPE666"),
         answer=["unk.example.com. 3600 IN TYPE666 \\# 2 abcd"]),
    nodata("TYPE666 at a name without it is NODATA", query("a.example.com", "TYPE666")),
    Case("query name case is preserved", query("A.ExAmPlE.CoM"),
         answer=["A.ExAmPlE.CoM. 3600 IN A 192.0.2.1"], exact_case=True),
    Case("RD clear is copied", query("a.example.com", flags=""), flags="qr aa", answer=[A_A]),
    nxdomain("NXDOMAIN with SOA at min(ttl, minimum)", query("nothere.example.com")),
    nodata("NODATA with SOA", query("txt.example.com", "A")),
    nxdomain("255-byte name is valid (NXDOMAIN)", query(NAME_255)),
    Case("DNSKEY at apex is NODATA", query("example.com", "DNSKEY"), authority=[SOA_COM]),

    # --- ANY (RFC 8482) ----------------------------------------------------------
    Case("ANY gets the lowest type only", query("a.example.com", "ANY"), answer=[A_A]),
    Case("ANY at TYPE666 name", query("unk.example.com", "ANY"),
         answer=["unk.example.com. 3600 IN TYPE666 \\# 2 abcd"]),
    Case("ANY at a name profile is its CNAME", query("pw.example.com", "ANY"),
         answer=["pw.example.com. 30 IN CNAME a.example.com."]),
    Case("ANY at an address profile is its A", query("pa.example.com", "ANY"),
         answer=["pa.example.com. 20 IN A 192.0.2.80"]),
    Case("ANY at a static CNAME is the CNAME", query("c1.example.com", "ANY"),
         answer=["c1.example.com. 3600 IN CNAME c2.example.com."]),

    # --- CNAMEs ----------------------------------------------------------------
    Case("CNAME chain of 2 is followed", query("c1.example.com"),
         answer=["c1.example.com. 3600 IN CNAME c2.example.com.",
                 "c2.example.com. 3600 IN CNAME a.example.com.", A_A]),
    Case("CNAME chain of 7 is followed to the end", query("h1.example.com"),
         answer=[f"h{i}.example.com. 3600 IN CNAME h{i + 1}.example.com." for i in range(1, 7)]
         + ["h7.example.com. 3600 IN CNAME a.example.com.", A_A]),
    Case("CNAME chain of 8 is followed to the end", query("g8.example.com"),
         answer=["g8.example.com. 3600 IN CNAME h1.example.com."]
         + [f"h{i}.example.com. 3600 IN CNAME h{i + 1}.example.com." for i in range(1, 7)]
         + ["h7.example.com. 3600 IN CNAME a.example.com.", A_A]),
    Case("CNAME chain of 9: 8 followed, the 9th written for the resolver",
         query("g9.example.com"),
         answer=["g9.example.com. 3600 IN CNAME g8.example.com.",
                 "g8.example.com. 3600 IN CNAME h1.example.com."]
         + [f"h{i}.example.com. 3600 IN CNAME h{i + 1}.example.com." for i in range(1, 7)]
         + ["h7.example.com. 3600 IN CNAME a.example.com."]),
    Case("CNAME query gets the CNAME only", query("c1.example.com", "CNAME"),
         answer=["c1.example.com. 3600 IN CNAME c2.example.com."]),
    Case("CNAME loop stops when a name repeats", query("loop1.example.com"),
         answer=["loop1.example.com. 3600 IN CNAME loop2.example.com.",
                 "loop2.example.com. 3600 IN CNAME loop1.example.com."]),
    nxdomain("CNAME to a missing name is NXDOMAIN", query("dangle.example.com"),
             answer=["dangle.example.com. 3600 IN CNAME nothere.example.com."]),
    Case("CNAME out of served zones stops there", query("out.example.com"),
         answer=["out.example.com. 3600 IN CNAME www.example.org."]),
    Case("CNAME into another served zone is followed", query("xz.example.com"),
         answer=["xz.example.com. 3600 IN CNAME www.target.example.net.",
                 "www.target.example.net. 3600 IN A 192.0.2.100"]),

    # --- wildcards and empty non-terminals (RFC 4592) ---------------------------
    Case("wildcard A", query("q.wild.example.com"),
         answer=["q.wild.example.com. 3600 IN A 192.0.2.50"]),
    Case("wildcard A two labels deep", query("p.q.wild.example.com"),
         answer=["p.q.wild.example.com. 3600 IN A 192.0.2.50"]),
    nodata("wildcard without the type is NODATA", query("q.wild.example.com", "AAAA")),
    nodata("wildcard parent is an ENT", query("wild.example.com")),
    nodata("ENT below a wildcard is NODATA, not the wildcard", query("e.wild.example.com")),
    nxdomain("ENT blocks the wildcard below it", query("z.e.wild.example.com")),
    Case("name next to a wildcard answers itself", query("deep.e.wild.example.com"),
         answer=["deep.e.wild.example.com. 3600 IN A 192.0.2.51"]),
    Case("wildcard CNAME is followed", query("q.wc.example.com"),
         answer=["q.wc.example.com. 3600 IN CNAME a.example.com.", A_A]),
    Case("wildcard CNAME for CNAME query", query("q.wc.example.com", "CNAME"),
         answer=["q.wc.example.com. 3600 IN CNAME a.example.com."]),
    nodata("empty non-terminal is NODATA", query("ent.example.com")),
    nxdomain("below an ENT, missing is NXDOMAIN", query("y.ent.example.com")),
    Case("name below an ENT", query("x.ent.example.com"),
         answer=["x.ent.example.com. 3600 IN A 192.0.2.60"]),

    # --- delegation and longest match ---------------------------------------------
    Case("referral below a delegation", query("host.sub.example.com"), flags="qr rd",
         authority=["sub.example.com. 3600 IN NS ns.sub.example.com."],
         additional=["ns.sub.example.com. 3600 IN A 192.0.2.53"]),
    Case("referral at the cut for NS", query("sub.example.com", "NS"), flags="qr rd",
         authority=["sub.example.com. 3600 IN NS ns.sub.example.com."],
         additional=["ns.sub.example.com. 3600 IN A 192.0.2.53"]),
    Case("referral with EDNS keeps glue and OPT", query("host.sub.example.com", **E0),
         flags="qr rd", authority=["sub.example.com. 3600 IN NS ns.sub.example.com."],
         additional=["ns.sub.example.com. 3600 IN A 192.0.2.53"], opt=Opt()),
    Case("CNAME into a delegation continues with the referral (RFC 1034 4.3.2 3b)",
         query("tosub.example.com"),
         answer=["tosub.example.com. 3600 IN CNAME host.sub.example.com."],
         authority=["sub.example.com. 3600 IN NS ns.sub.example.com."],
         additional=["ns.sub.example.com. 3600 IN A 192.0.2.53"]),
    Case("CNAME to the delegation point itself: referral", query("tocut.example.com", "TXT"),
         answer=["tocut.example.com. 3600 IN CNAME sub.example.com."],
         authority=["sub.example.com. 3600 IN NS ns.sub.example.com."],
         additional=["ns.sub.example.com. 3600 IN A 192.0.2.53"]),
    Case("CNAME to the delegation point, DS: the parent's NODATA", query("tocut.example.com", "DS"),
         answer=["tocut.example.com. 3600 IN CNAME sub.example.com."], authority=[SOA_COM]),
    Case("referral with sibling glue from another delegation (RFC 9471 3.2)",
         query("host.sib.example.com"), flags="qr rd",
         authority=["sib.example.com. 3600 IN NS ns.sub.example.com."],
         additional=["ns.sub.example.com. 3600 IN A 192.0.2.53"]),
    Case("child zone answers its names (longest match)", query("www.child.example.com"),
         answer=["www.child.example.com. 300 IN A 192.0.2.70"]),
    nxdomain("child zone NXDOMAIN carries the child SOA", query("nx.child.example.com"),
             soa=SOA_CHILD),
    Case("child zone apex SOA", query("child.example.com", "SOA"),
         answer=["child.example.com. 300 IN SOA ns.child.example.com. "
                 "hostmaster.child.example.com. 7 7200 900 1209600 30"]),
    Case("child zone apex NS from the child", query("child.example.com", "NS"),
         answer=["child.example.com. 300 IN NS ns.child.example.com."],
         additional=["ns.child.example.com. 300 IN A 192.0.2.54"]),
    nodata("DS at child apex comes from the parent", query("child.example.com", "DS")),

    # --- DNAME (RFC 6672) --------------------------------------------------------
    Case("DNAME: below the owner gets DNAME, CNAME, target", query("www.dn.example.com"),
         answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                 "www.dn.example.com. 3600 IN CNAME www.target.example.net.",
                 "www.target.example.net. 3600 IN A 192.0.2.100"]),
    Case("DNAME: target CNAME is followed", query("alias.dn.example.com"),
         answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                 "alias.dn.example.com. 3600 IN CNAME alias.target.example.net.",
                 "alias.target.example.net. 3600 IN CNAME www.target.example.net.",
                 "www.target.example.net. 3600 IN A 192.0.2.100"]),
    nxdomain("DNAME: missing target is NXDOMAIN with the target's SOA",
             query("nx.dn.example.com"), soa=SOA_NET,
             answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                     "nx.dn.example.com. 3600 IN CNAME nx.target.example.net."]),
    nodata("DNAME: target without the type is NODATA", query("www.dn.example.com", "AAAA"),
           soa=SOA_NET, answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                                "www.dn.example.com. 3600 IN CNAME www.target.example.net."]),
    Case("DNAME: ANY follows the synthesized CNAME", query("www.dn.example.com", "ANY"),
         answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                 "www.dn.example.com. 3600 IN CNAME www.target.example.net.",
                 "www.target.example.net. 3600 IN A 192.0.2.100"]),
    nxdomain("DNAME: ANY with a missing target is NXDOMAIN (RFC 6604)",
             query("nx.dn.example.com", "ANY"), soa=SOA_NET,
             answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                     "nx.dn.example.com. 3600 IN CNAME nx.target.example.net."]),
    nxdomain("DNAME: MX with a missing target is NXDOMAIN", query("nx.dn.example.com", "MX"),
             soa=SOA_NET,
             answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                     "nx.dn.example.com. 3600 IN CNAME nx.target.example.net."]),
    Case("DNAME: CNAME query gets DNAME and CNAME only", query("www.dn.example.com", "CNAME"),
         answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                 "www.dn.example.com. 3600 IN CNAME www.target.example.net."]),
    Case("DNAME: reached through a CNAME", query("todn.example.com"),
         answer=["todn.example.com. 3600 IN CNAME www.dn.example.com.",
                 "dn.example.com. 3600 IN DNAME target.example.net.",
                 "www.dn.example.com. 3600 IN CNAME www.target.example.net.",
                 "www.target.example.net. 3600 IN A 192.0.2.100"]),
    Case("DNAME: owner itself, qtype DNAME", query("dn.example.com", "DNAME"),
         answer=["dn.example.com. 3600 IN DNAME target.example.net."]),
    nodata("DNAME: owner itself, qtype A is NODATA", query("dn.example.com")),
    Case("DNAME: target over 255 bytes is YXDOMAIN", query(DN_255), rcode=dns.rcode.YXDOMAIN,
         answer=["dn.example.com. 3600 IN DNAME target.example.net."]),
    Case("DNAME: YXDOMAIN carries options", query(DN_255, edns=0, options=[(OPT_NSID, b"")]),
         rcode=dns.rcode.YXDOMAIN, answer=["dn.example.com. 3600 IN DNAME target.example.net."],
         opt=NS_OPT),
    nxdomain("DNAME: target of exactly 255 bytes is fine", query(DN_251, **E0), soa=SOA_NET,
             opt=Opt(),
             answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                     f"{DN_251}. 3600 IN CNAME {DN_251_TARGET}"]),

    # --- traffic-managed names ------------------------------------------------------
    Case("name profile: CNAME to the first endpoint, then its A", query("pw.example.com"),
         answer=["pw.example.com. 30 IN CNAME a.example.com.", A_A]),
    Case("name profile: AAAA", query("pw.example.com", "AAAA"),
         answer=["pw.example.com. 30 IN CNAME a.example.com.",
                 "a.example.com. 3600 IN AAAA 2001:db8::1"]),
    nodata("name profile: target without the type is NODATA", query("pw.example.com", "TXT"),
           answer=["pw.example.com. 30 IN CNAME a.example.com."]),
    Case("address profile: A", query("pa.example.com"),
         answer=["pa.example.com. 20 IN A 192.0.2.80"]),
    Case("address profile: AAAA", query("pa.example.com", "AAAA"),
         answer=["pa.example.com. 20 IN AAAA 2001:db8::80"]),
    Case("address profile: static TXT beside it", query("pa.example.com", "TXT"),
         answer=['pa.example.com. 3600 IN TXT "address profile"']),
    nodata("address profile: other type is NODATA", query("pa.example.com", "MX")),

    # --- refusals --------------------------------------------------------------------
    refused("name in no zone is REFUSED", query("www.example.org")),
    refused("root is in no zone", query(".", "NS")),
    refused("AXFR is REFUSED", query("example.com", "AXFR")),
    refused("IXFR is REFUSED", query("example.com", "IXFR")),
    refused("class HS is REFUSED", query("a.example.com", rdclass="HS")),
    refused("class NONE is REFUSED", query("a.example.com", rdclass="NONE")),
    refused("class ANY is REFUSED", query("a.example.com", rdclass="ANY")),
    refused("class 42 is REFUSED", Q_A[:-2] + struct.pack("!H", 42)),

    # --- header flags --------------------------------------------------------------
    Case("Z bit in query changes nothing", query("a.example.com", flags="rd z"), answer=[A_A]),
    Case("AA in query", query("a.example.com", flags="aa"), flags="qr aa", answer=[A_A]),
    Case("TC in query", query("a.example.com", flags="tc rd"), answer=[A_A]),
    Case("RA in query is not echoed", query("a.example.com", flags="ra rd"), answer=[A_A]),
    Case("AD in query is not echoed", query("a.example.com", flags="ad rd"), answer=[A_A]),
    Case("CD is copied", query("a.example.com", flags="cd"), flags="qr aa cd", answer=[A_A]),
    Case("all query flags set", query("a.example.com", flags=ALL_QUERY_FLAGS),
         flags="qr aa rd cd", answer=[A_A]),

    # --- opcodes ---------------------------------------------------------------------
    notimp("opcode IQUERY is NOTIMP", query("a.example.com", opcode=1), 1),
    notimp("opcode STATUS is NOTIMP", query("a.example.com", opcode=2), 2),
    notimp("opcode NOTIFY is NOTIMP", query("example.com", "SOA", flags="aa", opcode=4), 4),
    notimp("opcode UPDATE is NOTIMP", query("example.com", "SOA", flags="", opcode=5), 5),
    notimp("opcode 15 with all header flags set", query("a.example.com", flags=ALL_QUERY_FLAGS,
                                                        opcode=15), 15),
    notimp("NOTIMP carries options", query("a.example.com", opcode=4, edns=0,
                                           options=[(OPT_NSID, b"")]), 4, opt=NS_OPT),

    # --- malformed queries -----------------------------------------------------------
    formerr("compression pointer as question name",
            header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1), question=False),
    formerr("compression pointer inside question name",
            header() + b"\x01a\xc0\x0c" + struct.pack("!HH", 1, 1), question=False),
    formerr("label of 64 bytes",
            header() + b"\x40" + b"a" * 64 + wname("example.com") + struct.pack("!HH", 1, 1),
            question=False),
    formerr("name of 256 bytes", header() + NAME_256_WIRE + struct.pack("!HH", 1, 1),
            question=False),
    formerr("truncated question (no class)", header() + wname("a.example.com") + b"\x00\x01",
            question=False),
    formerr("truncated question name", header() + b"\x01a\x07exam", question=False),
    formerr("header only, QDCOUNT 1", header(), question=False),
    formerr("QDCOUNT 0", header(qd=0), question=False),
    formerr("QDCOUNT 2", header(qd=2) + Q_QUESTION + Q_QUESTION, question=False),
    formerr("trailing bytes", Q_A + b"\x00\x00"),
    formerr("A record in the answer section", header(an=1) + Q_QUESTION + wname("a.example.com")
            + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])),
    formerr("NS record in the authority section",
            header(ns=1) + Q_QUESTION + wname("example.com")
            + struct.pack("!HHIH", 2, 1, 60, 5) + wname("ns1")),
    formerr("truncated OPT", header(ar=1) + Q_QUESTION + opt_rr()[:8]),
    formerr("OPT RDLENGTH beyond the packet",
            header(ar=1) + Q_QUESTION + opt_rr()[:-2] + struct.pack("!H", 8) + b"\0\x03"),
    formerr("EDNS option length beyond the OPT",
            header(ar=1) + Q_QUESTION + opt_rr(struct.pack("!HH", OPT_NSID, 10) + b"abc")),
    formerr("two OPT records", header(ar=2) + Q_QUESTION + opt_rr() + opt_rr()),
    formerr("OPT in the answer section", header(an=1) + Q_QUESTION + opt_rr()),
    formerr("OPT in the authority section", header(ns=1) + Q_QUESTION + opt_rr()),
    formerr("OPT not owned by the root",
            header(ar=1) + Q_QUESTION + opt_rr(owner=wname("example.com"))),
    formerr("FORMERR copies CD and RD clear", header(flags=0x0010, qd=0), question=False,
            flags="qr cd"),
    Case("QR set: no reply", header(flags=0x8100) + Q_QUESTION, reply=False),
    Case("QR set, opcode 15: no reply", header(flags=0xF900) + Q_QUESTION, reply=False),
    Case("11 bytes: no reply", Q_A[:11], reply=False),
    Case("1 byte: no reply", b"\x12", reply=False),
    udp_only(Case("empty datagram: no reply", b"", reply=False)),

    # --- EDNS (RFC 6891) -------------------------------------------------------------
    Case("EDNS 0: OPT echoed with our size", query("a.example.com", **E0), answer=[A_A],
         opt=Opt()),
    Case("EDNS 0 payload 4096 gets our 1232", query("a.example.com", edns=0, payload=4096),
         answer=[A_A], opt=Opt()),
    Case("EDNS 0 payload 0 is taken as 512", query("a.example.com", edns=0, payload=0),
         answer=[A_A], opt=Opt()),
    Case("DO is echoed", query("a.example.com", edns=0, ednsflags=DO), answer=[A_A],
         opt=Opt(do=True)),
    Case("unknown EDNS flag is not echoed", query("a.example.com", edns=0, ednsflags=0x0080),
         answer=[A_A], opt=Opt()),
    Case("all EDNS flags set: only DO comes back", query("a.example.com", edns=0,
                                                         ednsflags=0xFFFF),
         answer=[A_A], opt=Opt(do=True)),
    Case("unknown option 100 is ignored", query("a.example.com", edns=0,
                                                options=[(100, b"hello")]),
         answer=[A_A], opt=Opt()),
    Case("EXPIRE (option 9) is not echoed", query("a.example.com", edns=0,
                                                  options=[(OPT_EXPIRE, b"")]),
         answer=[A_A], opt=Opt()),
    Case("NXDOMAIN with EDNS", query("nothere.example.com", **E0), rcode=dns.rcode.NXDOMAIN,
         authority=[SOA_COM], opt=Opt()),
    badvers("EDNS 1 is BADVERS", query("a.example.com", edns=1)),
    badvers("EDNS 255 is BADVERS", query("a.example.com", edns=255)),
    badvers("EDNS 1, unknown option, unknown flag", query("a.example.com", edns=1,
                                                        ednsflags=0x0080,
                                                        options=[(100, b"x")])),
    badvers("EDNS 1 with NSID and cookie echoes no options",
            query("a.example.com", edns=1, options=[(OPT_NSID, b""), (OPT_COOKIE, CC)])),
    badvers("EDNS 1 for a name in no zone", query("www.example.org", edns=1)),
    badvers("EDNS 1 with DO and an extended rcode in the query",
            header(ar=1) + Q_QUESTION + opt_rr(version=1, flags=DO, ext=3), do=True),

    # --- NSID (RFC 5001) ---------------------------------------------------------------
    Case("NSID", query("a.example.com", edns=0, options=[(OPT_NSID, b"")]), answer=[A_A],
         opt=NS_OPT),
    Case("NSID payload is ignored", query("a.example.com", edns=0,
                                          options=[(OPT_NSID, b"whoareyou")]),
         answer=[A_A], opt=NS_OPT),
    nxdomain("NSID on NXDOMAIN", query("nothere.example.com", edns=0,
                                       options=[(OPT_NSID, b"")]), opt=NS_OPT),
    refused("NSID on REFUSED", query("www.example.org", edns=0, options=[(OPT_NSID, b"")]),
            opt=NS_OPT),
    formerr("no NSID on FORMERR", query("a.example.com", edns=0,
                                        options=[(OPT_NSID, b""), (OPT_ECS, b"\0\1\0")]),
            opt=Opt()),

    # --- DNS Cookies (RFC 7873, RFC 9018) ------------------------------------------------
    Case("cookie: client only gets a server cookie", query("a.example.com", edns=0,
                                                           options=[(OPT_COOKIE, CC)]),
         answer=[A_A], opt=Opt(options={OPT_COOKIE: fresh_cookie(CC)})),
    Case("cookie: valid server cookie is echoed", query("a.example.com", edns=0,
                                                        options=[(OPT_COOKIE, CC + SC_VALID)]),
         answer=[A_A], opt=Opt(options={OPT_COOKIE: CC + SC_VALID})),
    Case("cookie: valid but 40 minutes old is renewed",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_OLD)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, not_this=SC_OLD)})),
    Case("cookie: 2 hours old is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_EXPIRED)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, not_this=SC_EXPIRED)})),
    Case("cookie: wrong hash is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_BADHASH)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, not_this=SC_BADHASH)})),
    Case("cookie: wrong version is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_VERSION2)]),
         answer=[A_A], opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, not_this=SC_VERSION2)})),
    Case("cookie: another secret's cookie is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_OTHER)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, not_this=SC_OTHER)})),
    Case("cookie: another address's cookie is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_OTHER_ADDR)]),
         answer=[A_A], opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, not_this=SC_OTHER_ADDR)})),
    Case("cookie: 4 minutes in the future is echoed",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_SOON)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: CC + SC_SOON})),
    Case("cookie: 10 minutes in the future is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_FUTURE)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, not_this=SC_FUTURE)})),
    Case("cookie: valid cookie for another client cookie is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC2 + SC_VALID)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC2, not_this=SC_VALID)})),
    Case("cookie: 8-byte server cookie is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + b"\x11" * 8)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC)})),
    Case("cookie: 32-byte server cookie is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + b"\x22" * 32)]),
         answer=[A_A], opt=Opt(options={OPT_COOKIE: fresh_cookie(CC)})),
    nxdomain("cookie on NXDOMAIN", query("nothere.example.com", edns=0,
                                         options=[(OPT_COOKIE, CC)]),
             opt=Opt(options={OPT_COOKIE: fresh_cookie(CC)})),
    refused("cookie and NSID on REFUSED", query("www.example.org", edns=0,
                                                options=[(OPT_COOKIE, CC), (OPT_NSID, b"")]),
            opt=Opt(options={OPT_COOKIE: fresh_cookie(CC), OPT_NSID: NSID.encode()})),
    formerr("cookie of 0 bytes", query("a.example.com", edns=0, options=[(OPT_COOKIE, b"")]),
            opt=Opt()),
    formerr("cookie of 7 bytes", query("a.example.com", edns=0,
                                       options=[(OPT_COOKIE, CC[:7])]), opt=Opt()),
    formerr("cookie of 9 bytes", query("a.example.com", edns=0,
                                       options=[(OPT_COOKIE, CC + b"\1")]), opt=Opt()),
    formerr("cookie of 15 bytes", query("a.example.com", edns=0,
                                        options=[(OPT_COOKIE, CC + SC_VALID[:7])]), opt=Opt()),
    formerr("cookie of 41 bytes", query("a.example.com", edns=0,
                                        options=[(OPT_COOKIE, CC + b"\x33" * 33)]), opt=Opt()),
    formerr("two cookies", query("a.example.com", edns=0,
                                 options=[(OPT_COOKIE, CC), (OPT_COOKIE, CC2)]), opt=Opt()),
    formerr("bad cookie with DO: OPT keeps DO, no options",
            query("a.example.com", edns=0, ednsflags=DO,
                  options=[(OPT_COOKIE, CC[:5]), (OPT_NSID, b"")]), opt=Opt(do=True)),

    # --- EDNS Client Subnet (RFC 7871) ------------------------------------------------------
    Case("ECS v4/24 is echoed with scope 0",
         query("a.example.com", edns=0, options=[(OPT_ECS, ecs(1, 24, bytes([192, 0, 2])))]),
         answer=[A_A], opt=Opt(options={OPT_ECS: ecs(1, 24, bytes([192, 0, 2]))})),
    Case("ECS 0.0.0.0/0 is echoed", query("a.example.com", edns=0,
                                          options=[(OPT_ECS, ecs(1, 0, b""))]),
         answer=[A_A], opt=Opt(options={OPT_ECS: ecs(1, 0, b"")})),
    Case("ECS v4/32", query("a.example.com", edns=0,
                            options=[(OPT_ECS, ecs(1, 32, bytes([192, 0, 2, 1])))]),
         answer=[A_A], opt=Opt(options={OPT_ECS: ecs(1, 32, bytes([192, 0, 2, 1]))})),
    Case("ECS v4/23 with the unused bit clear",
         query("a.example.com", edns=0, options=[(OPT_ECS, ecs(1, 23, bytes([192, 0, 2])))]),
         answer=[A_A], opt=Opt(options={OPT_ECS: ecs(1, 23, bytes([192, 0, 2]))})),
    Case("ECS v6/56", query("a.example.com", edns=0,
                            options=[(OPT_ECS, ecs(2, 56, bytes.fromhex("20010db800ff00")))]),
         answer=[A_A], opt=Opt(options={OPT_ECS: ecs(2, 56, bytes.fromhex("20010db800ff00"))})),
    Case("ECS v6/128", query("a.example.com", edns=0,
                             options=[(OPT_ECS, ecs(2, 128, bytes(range(16))))]),
         answer=[A_A], opt=Opt(options={OPT_ECS: ecs(2, 128, bytes(range(16)))})),
    Case("ECS v6/0", query("a.example.com", edns=0, options=[(OPT_ECS, ecs(2, 0, b""))]),
         answer=[A_A], opt=Opt(options={OPT_ECS: ecs(2, 0, b"")})),
    formerr("ECS shorter than 4 bytes", query("a.example.com", edns=0,
                                              options=[(OPT_ECS, b"\0\1\0")]), opt=Opt()),
    formerr("ECS family 3", query("a.example.com", edns=0,
                                  options=[(OPT_ECS, ecs(3, 0, b""))]), opt=Opt()),
    formerr("ECS family 0", query("a.example.com", edns=0,
                                  options=[(OPT_ECS, ecs(0, 0, b""))]), opt=Opt()),
    formerr("ECS v4 source prefix 33", query("a.example.com", edns=0,
                                             options=[(OPT_ECS, ecs(1, 33, bytes(5)))]),
            opt=Opt()),
    formerr("ECS v6 source prefix 129", query("a.example.com", edns=0,
                                              options=[(OPT_ECS, ecs(2, 129, bytes(17)))]),
            opt=Opt()),
    formerr("ECS scope prefix in a query", query("a.example.com", edns=0, options=[
        (OPT_ECS, ecs(1, 24, bytes([192, 0, 2]), scope=24))]), opt=Opt()),
    formerr("ECS address longer than the prefix", query("a.example.com", edns=0, options=[
        (OPT_ECS, ecs(1, 24, bytes([192, 0, 2, 0])))]), opt=Opt()),
    formerr("ECS address shorter than the prefix", query("a.example.com", edns=0, options=[
        (OPT_ECS, ecs(1, 24, bytes([192, 0])))]), opt=Opt()),
    formerr("ECS /0 with an address byte", query("a.example.com", edns=0, options=[
        (OPT_ECS, ecs(1, 0, b"\0"))]), opt=Opt()),
    formerr("ECS bits beyond the prefix", query("a.example.com", edns=0, options=[
        (OPT_ECS, ecs(1, 23, bytes([192, 0, 3])))]), opt=Opt()),
    formerr("two ECS options", query("a.example.com", edns=0, options=[
        (OPT_ECS, ecs(1, 0, b"")), (OPT_ECS, ecs(1, 0, b""))]), opt=Opt()),

    # --- CHAOS -----------------------------------------------------------------------------
    Case("CH TXT version.bind", query("version.bind", "TXT", "CH"),
         answer=[chaos_txt("version.bind.", VERSION)]),
    Case("CH TXT version.server", query("version.server", "TXT", "CH"),
         answer=[chaos_txt("version.server.", VERSION)]),
    Case("CH TXT hostname.bind", query("hostname.bind", "TXT", "CH"),
         answer=[chaos_txt("hostname.bind.", IDENTITY)]),
    Case("CH TXT id.server", query("id.server", "TXT", "CH"),
         answer=[chaos_txt("id.server.", IDENTITY)]),
    Case("CH ANY VERSION.BIND keeps the query's case", query("VERSION.BIND", "ANY", "CH"),
         answer=[chaos_txt("VERSION.BIND.", VERSION)], exact_case=True),
    Case("CH TXT with NSID", query("id.server", "TXT", "CH", edns=0,
                                   options=[(OPT_NSID, b"")]),
         answer=[chaos_txt("id.server.", IDENTITY)], opt=NS_OPT),
    refused("CH A version.bind is REFUSED", query("version.bind", "A", "CH")),
    refused("CH TXT of another name is REFUSED", query("authors.bind", "TXT", "CH")),
    refused("CH TXT below version.bind is REFUSED", query("x.version.bind", "TXT", "CH")),
    refused("CH TXT for a served name is REFUSED", query("a.example.com", "TXT", "CH")),
    refused("IN TXT version.bind is REFUSED", query("version.bind", "TXT")),

    # --- size and truncation -------------------------------------------------------------------
    udp_only(Case("over 512 without EDNS: TC", query("big1.example.com", "TXT"),
                  flags="qr aa tc rd")),
    udp_only(Case("TC keeps the rcode of the whole answer (a DNAME chain to nothing)",
                  query(DNLONG_QUERY), rcode=dns.rcode.NXDOMAIN, flags="qr aa tc rd")),
    tcp_only(nxdomain("the same over TCP, whole", query(DNLONG_QUERY), soa=SOA_NET,
                      answer=[f"dnlong.example.com. 3600 IN DNAME {DNLONG_TARGET}",
                              f"{DNLONG_QUERY}. 3600 IN CNAME {'a' * 40}.{DNLONG_TARGET}"])),
    Case("fits at 1232 with EDNS", query("big1.example.com", "TXT", **E0), answer=big1_lines(),
         opt=Opt()),
    udp_only(Case("EDNS 512: TC with OPT", query("big1.example.com", "TXT", edns=0, payload=512),
                  flags="qr aa tc rd", opt=Opt())),
    udp_only(Case("EDNS payload 1 byte short of the answer: TC",
                  query("big1.example.com", "TXT", edns=0, payload=BIG1_EDNS_SIZE - 1),
                  flags="qr aa tc rd", opt=Opt())),
    Case("EDNS payload exactly the answer's size: fits",
         query("big1.example.com", "TXT", edns=0, payload=BIG1_EDNS_SIZE),
         answer=big1_lines(), opt=Opt()),
    udp_only(Case("EDNS below 512 counts as 512: TC",
                  query("big1.example.com", "TXT", edns=0, payload=100),
                  flags="qr aa tc rd", opt=Opt())),
    udp_only(Case("TC carries options", query("big1.example.com", "TXT", edns=0, payload=512,
                                              options=[(OPT_NSID, b""), (OPT_COOKIE, CC)]),
                  flags="qr aa tc rd",
                  opt=Opt(options={OPT_NSID: NSID.encode(), OPT_COOKIE: fresh_cookie(CC)}))),
    udp_only(Case("over 1232 with EDNS 4096: TC", query("big2.example.com", "TXT", edns=0,
                                                        payload=4096),
                  flags="qr aa tc rd", opt=Opt())),
    tcp_only(Case("TCP: over 512 without EDNS is whole", query("big1.example.com", "TXT"),
                  answer=big1_lines())),
    tcp_only(Case("TCP: 53 KB answer is whole", query("big2.example.com", "TXT"),
                  answer=big2_lines())),
    tcp_only(Case("TCP: 53 KB answer with EDNS is whole",
                  query("big2.example.com", "TXT", edns=0, payload=512),
                  answer=big2_lines(), opt=Opt())),

    # --- ednscomp (ISC EDNS compliance tester) -----------------------------------------------------
    Case("ednscomp dns: plain SOA", query("example.com", "SOA", flags=""), flags="qr aa",
         answer=[SOA_APEX]),
    Case("ednscomp aa", query("example.com", "SOA", flags="aa"), flags="qr aa",
         answer=[SOA_APEX]),
    Case("ednscomp ad", query("example.com", "SOA", flags="ad"), flags="qr aa",
         answer=[SOA_APEX]),
    Case("ednscomp cd", query("example.com", "SOA", flags="cd"), flags="qr aa cd",
         answer=[SOA_APEX]),
    Case("ednscomp ra", query("example.com", "SOA", flags="ra"), flags="qr aa",
         answer=[SOA_APEX]),
    Case("ednscomp rd", query("example.com", "SOA", flags="rd"), flags="qr aa rd",
         answer=[SOA_APEX]),
    Case("ednscomp tc", query("example.com", "SOA", flags="tc"), flags="qr aa",
         answer=[SOA_APEX]),
    Case("ednscomp zflag", query("example.com", "SOA", flags="z"), flags="qr aa",
         answer=[SOA_APEX]),
    notimp("ednscomp opcode 15", query("example.com", "SOA", flags="", opcode=15), 15),
    notimp("ednscomp opcodeflg", query("example.com", "SOA", flags=ALL_QUERY_FLAGS, opcode=15),
           15),
    nodata("ednscomp type666", query("example.com", "TYPE666", flags=""), flags="qr aa"),
    Case("ednscomp edns", query("example.com", "SOA", flags="", edns=0, payload=4096),
         flags="qr aa", answer=[SOA_APEX], opt=Opt()),
    badvers("ednscomp edns1", query("example.com", "SOA", flags="", edns=1, payload=4096),
            flags="qr"),
    Case("ednscomp ednsopt", query("example.com", "SOA", flags="", edns=0, payload=4096,
                                   options=[(100, b"")]),
         flags="qr aa", answer=[SOA_APEX], opt=Opt()),
    badvers("ednscomp edns1opt", query("example.com", "SOA", flags="", edns=1, payload=4096,
                                       options=[(100, b"")]), flags="qr"),
    Case("ednscomp do", query("example.com", "SOA", flags="", edns=0, payload=4096,
                              ednsflags=DO),
         flags="qr aa", answer=[SOA_APEX], opt=Opt(do=True)),
    Case("ednscomp ednsflags", query("example.com", "SOA", flags="", edns=0, payload=4096,
                                     ednsflags=0x80),
         flags="qr aa", answer=[SOA_APEX], opt=Opt()),
    badvers("ednscomp edns1 opt100 flag 0x80 do",
            query("example.com", "SOA", flags="", edns=1, payload=4096, ednsflags=0x80 | DO,
                  options=[(100, b"")]), do=True, flags="qr"),
    nodata("ednscomp bufsize 512 DO DNSKEY", query("example.com", "DNSKEY", flags="", edns=0,
                                                   payload=512, ednsflags=DO),
           flags="qr aa", opt=Opt(do=True)),
    Case("ednscomp optlist", query("example.com", "SOA", flags="", edns=0, payload=4096,
                                   options=[(OPT_NSID, b""), (OPT_ECS, ecs(1, 0, b"")),
                                            (OPT_EXPIRE, b""), (OPT_COOKIE, CC)]),
         flags="qr aa", answer=[SOA_APEX],
         opt=Opt(options={OPT_NSID: NSID.encode(), OPT_ECS: ecs(1, 0, b""),
                          OPT_COOKIE: fresh_cookie(CC)})),
    tcp_only(Case("ednscomp ednstcp", query("example.com", "SOA", flags="", edns=0,
                                            payload=4096),
                  flags="qr aa", answer=[SOA_APEX], opt=Opt())),
]

# A server without --nsid, --version-string, --identity or a cookie secret.
BARE_CASES = [
    Case("bare: NSID not configured: no NSID", query("a.example.com", edns=0,
                                                     options=[(OPT_NSID, b"")]),
         answer=[A_A], opt=Opt()),
    Case("bare: cookie with a random secret", query("a.example.com", edns=0,
                                                    options=[(OPT_COOKIE, CC)]),
         answer=[A_A], opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, secret=None)})),
    Case("bare: another server's cookie is replaced",
         query("a.example.com", edns=0, options=[(OPT_COOKIE, CC + SC_VALID)]), answer=[A_A],
         opt=Opt(options={OPT_COOKIE: fresh_cookie(CC, secret=None, not_this=SC_VALID)})),
    refused("bare: CH TXT version.bind", query("version.bind", "TXT", "CH")),
    refused("bare: CH TXT version.server", query("version.server", "TXT", "CH")),
    refused("bare: CH TXT hostname.bind", query("hostname.bind", "TXT", "CH")),
    refused("bare: CH TXT id.server", query("id.server", "TXT", "CH")),
    refused("bare: CH ANY id.server with NSID", query("id.server", "ANY", "CH", edns=0,
                                                      options=[(OPT_NSID, b"")]), opt=Opt()),
    Case("bare: ednscomp optlist", query("example.com", "SOA", flags="", edns=0, payload=4096,
                                         options=[(OPT_NSID, b""), (OPT_ECS, ecs(1, 0, b"")),
                                                  (OPT_EXPIRE, b""), (OPT_COOKIE, CC)]),
         flags="qr aa", answer=[SOA_APEX],
         opt=Opt(options={OPT_ECS: ecs(1, 0, b""), OPT_COOKIE: fresh_cookie(CC, secret=None)})),
]

for _c in CASES:
    _c.server = "main"
for _c in BARE_CASES:
    _c.server = "bare"

# --- exchanging ------------------------------------------------------------------

TIMEOUT = 3.0


def case_id(case, transport):
    return zlib.crc32(f"{case.name}/{transport}".encode()) & 0xFFFF


def with_id(wire, ident):
    return struct.pack("!H", ident) + wire[2:] if len(wire) >= 2 else wire


def probe_query(ident):
    return with_id(query("a.example.com"), ident)


def exchange_udp(port, wire, probe=None):
    """Replies to `wire` (then `probe`, when given) sent from one socket: all
    replies up to and including the probe's, and any already queued after."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        s.connect(("127.0.0.1", port))
        s.send(wire)
        if probe is None:
            try:
                return [s.recv(65535)]
            except socket.timeout:
                return []
        s.send(probe)
        replies = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                data = s.recv(65535)
            except socket.timeout:
                break
            replies.append(data)
            if data[:2] == probe[:2]:
                break
        s.setblocking(False)
        while True:
            try:
                replies.append(s.recv(65535))
            except BlockingIOError:
                return replies


def exchange_tcp(port, wire, probe=None):
    """Frames read from one TCP connection after sending `wire` (then
    `probe`): one, or with a probe all up to the probe's reply. A string in
    the list says why reading stopped early (closed, timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        out = struct.pack("!H", len(wire)) + wire
        if probe is not None:
            out += struct.pack("!H", len(probe)) + probe
        s.sendall(out)
        replies = []
        while True:
            try:
                reply = sbtest.read_frame(s)
            except socket.timeout:
                return replies + [f"timeout after {TIMEOUT}s"]
            except ConnectionError as e:
                return replies + [f"connection error {e!r}"]
            if reply is None:
                return replies + ["connection closed by the server"]
            replies.append(reply)
            if probe is None or reply[:2] == probe[:2]:
                return replies


# --- parsing and comparing -----------------------------------------------------------

NAME_TYPES = {dns.rdatatype.CNAME, dns.rdatatype.DNAME, dns.rdatatype.NS, dns.rdatatype.MX,
              dns.rdatatype.SOA, dns.rdatatype.PTR, dns.rdatatype.SRV}


@dataclass
class Record:
    owner: dns.name.Name
    rdtype: int
    rdclass: int
    ttl: int
    rdata: bytes
    text: str = ""


@dataclass
class Reply:
    ident: int
    flags: int
    counts: tuple
    questions: list
    sections: list  # answer, authority, additional: lists of Record
    trailing: int


def parse_reply(wire):
    """Our own walk over the response, so that record order, counts and the
    raw OPT are seen exactly as sent; rdata text comes from dnspython."""
    ident, flags, qd, an, ns, ar = struct.unpack_from("!6H", wire)
    pos = 12
    questions = []
    for _ in range(qd):
        _, used = dns.name.from_wire(wire, pos)
        questions.append(wire[pos:pos + used + 4])
        pos += used + 4
    sections = []
    for count in (an, ns, ar):
        records = []
        for _ in range(count):
            owner, used = dns.name.from_wire(wire, pos)
            pos += used
            rdtype, rdclass, ttl, rdlen = struct.unpack_from("!HHIH", wire, pos)
            pos += 10
            if pos + rdlen > len(wire):
                raise ValueError("record data beyond the end of the message")
            rec = Record(owner, rdtype, rdclass, ttl, wire[pos:pos + rdlen])
            if rdtype != dns.rdatatype.OPT:
                rd = dns.rdata.from_wire(rdclass, rdtype, wire, pos, rdlen)
                rec.text = rd.to_text()
            pos += rdlen
            records.append(rec)
        sections.append(records)
    return Reply(ident, flags, (qd, an, ns, ar), questions, sections, len(wire) - pos)


def record_line(rec, exact_case):
    owner = rec.owner.to_text()
    text = rec.text.lower() if rec.rdtype in NAME_TYPES else rec.text
    return (f"{owner if exact_case else owner.lower()} {rec.ttl} "
            f"{dns.rdataclass.to_text(rec.rdclass)} {dns.rdatatype.to_text(rec.rdtype)} {text}")


def normalise(lines, exact_case):
    """Lines in order, except that the records of one RRset (consecutive,
    same owner and type) are sorted: their order carries no meaning."""
    out, run, key = [], [], None
    for line in lines:
        owner, _, cls, rtype, _ = line.split(" ", 4)
        k = (owner if exact_case else owner.lower(), cls, rtype)
        if k != key and run:
            out.extend(sorted(run))
            run = []
        key = k
        run.append(line if exact_case else f"{owner.lower()} {line.split(' ', 1)[1]}")
    return out + sorted(run)


def question_of(wire):
    _, used = dns.name.from_wire(wire, 12)
    return wire[12:12 + used + 4]


def compare(case, transport, qwire, rwire):
    """Every field of the response that differs from the case: a list of
    'field: got X, want Y' lines."""
    bad = []
    err = sbtest.ldns_parse_error(rwire)
    if err:
        bad.append(f"ldns cannot parse the response: {err} ({rwire.hex()})")
    if len(rwire) < 12:
        return bad + [f"response of {len(rwire)} bytes, shorter than a header"]
    try:
        r = parse_reply(rwire)
    except Exception as e:  # noqa: BLE001 - reported as a mismatch
        return bad + [f"response does not parse: {e!r} ({rwire.hex()})"]
    if len(qwire) >= 2 and r.ident != struct.unpack("!H", qwire[:2])[0]:
        bad.append(f"ID: got {r.ident}, want {struct.unpack('!H', qwire[:2])[0]}")
    want_flags = flag_word(case.flags)
    for fname, bit in FLAG_BITS.items():
        got, want = bool(r.flags & bit), bool(want_flags & bit)
        if got != want:
            bad.append(f"flag {fname.upper()}: got {int(got)}, want {int(want)}")
    opcode = (r.flags >> 11) & 0xF
    if opcode != case.opcode:
        bad.append(f"opcode: got {opcode}, want {case.opcode}")

    additional = r.sections[2]
    opts = [x for x in additional if x.rdtype == dns.rdatatype.OPT]
    for i, sec in enumerate(("answer", "authority")):
        if any(x.rdtype == dns.rdatatype.OPT for x in r.sections[i]):
            bad.append(f"{sec}: holds an OPT record")
    ext = 0
    if case.opt is None and opts:
        bad.append("OPT: present, want none")
    elif case.opt is not None and len(opts) != 1:
        bad.append(f"OPT: {len(opts)} OPT records, want 1")
    if opts:
        o = opts[0]
        ext, version, eflags = o.ttl >> 24, (o.ttl >> 16) & 0xFF, o.ttl & 0xFFFF
        if o.owner != dns.name.root:
            bad.append(f"OPT owner: got {o.owner}, want the root")
        if additional[-1] is not o:
            bad.append("OPT is not the last record of the additional section")
        if case.opt is not None:
            w = case.opt
            if o.rdclass != w.udp:
                bad.append(f"OPT UDP size: got {o.rdclass}, want {w.udp}")
            if version != w.version:
                bad.append(f"OPT version: got {version}, want {w.version}")
            if bool(eflags & DO) != w.do:
                bad.append(f"OPT DO: got {int(bool(eflags & DO))}, want {int(w.do)}")
            if eflags & ~DO & 0xFFFF:
                bad.append(f"OPT Z flags: got {eflags & 0x7FFF:#06x}, want 0")
            bad += compare_options(o.rdata, w.options)
    header_rcode = r.flags & 0xF
    full = header_rcode | (ext << 4)
    if full != case.rcode:
        bad.append(f"rcode: got {dns.rcode.to_text(full)} ({full}), "
                   f"want {dns.rcode.to_text(case.rcode)} ({case.rcode})")
    if header_rcode != case.rcode & 0xF:
        bad.append(f"header RCODE field: got {header_rcode}, want {case.rcode & 0xF}")
    if opts and ext != case.rcode >> 4:
        bad.append(f"OPT extended RCODE: got {ext}, want {case.rcode >> 4}")

    qd = 1 if case.question else 0
    want_counts = (qd, len(case.answer), len(case.authority),
                   len(case.additional) + (1 if case.opt is not None else 0))
    for fname, got, want in zip(("QDCOUNT", "ANCOUNT", "NSCOUNT", "ARCOUNT"), r.counts,
                                want_counts):
        if got != want:
            bad.append(f"{fname}: got {got}, want {want}")
    if case.question and r.questions and r.questions[0] != question_of(qwire):
        bad.append(f"question: got {r.questions[0].hex()}, want the query's "
                   f"{question_of(qwire).hex()} byte for byte")
    if r.trailing:
        bad.append(f"{r.trailing} bytes after the last record")

    ec = case.exact_case
    for sec, records, want in (("answer", r.sections[0], case.answer),
                               ("authority", r.sections[1], case.authority)):
        got_lines = normalise([record_line(x, ec) for x in records], ec)
        want_lines = normalise(list(want), ec)
        if got_lines != want_lines:
            bad.append(f"{sec}:\n      got  {got_lines}\n      want {want_lines}")
    got_add = sorted(record_line(x, ec) for x in additional if x.rdtype != dns.rdatatype.OPT)
    want_add = sorted(normalise(list(case.additional), ec))
    if got_add != want_add:
        bad.append(f"additional:\n      got  {got_add}\n      want {want_add}")

    if transport == "udp":
        limit = udp_limit(qwire)
        if len(rwire) > limit:
            bad.append(f"UDP response of {len(rwire)} bytes, over the {limit}-byte limit")
    return bad


def udp_limit(qwire):
    """The largest UDP response the query allows: 512 without EDNS, else its
    payload size (at least 512) up to our 1232."""
    try:
        q = dns.message.from_wire(qwire)
    except Exception:  # noqa: BLE001 - a malformed query: only our own limit holds
        return 1232
    if q.edns < 0:
        return 512
    return min(max(q.payload, 512), 1232)


def compare_options(rdata, want):
    bad, got, pos = [], [], 0
    while pos + 4 <= len(rdata):
        code, n = struct.unpack_from("!HH", rdata, pos)
        got.append((code, rdata[pos + 4:pos + 4 + n]))
        pos += 4 + n
    if pos != len(rdata):
        bad.append(f"OPT options: framing broken ({rdata.hex()})")
    codes = sorted(c for c, _ in got)
    if codes != sorted(want):
        bad.append(f"EDNS options: got codes {codes}, want {sorted(want)}")
    for code, data in got:
        if code not in want:
            continue
        expect = want[code]
        if callable(expect):
            bad += [f"option {code} ({expect.text}): {p}" for p in expect(data)]
        elif data != expect:
            bad.append(f"option {code}: got {data.hex()} {data!r}, want {expect.hex()} {expect!r}")
    return bad


def run_case(test, srv, case, transport):
    ident = case_id(case, transport)
    wire = with_id(case.query, ident)
    probe = None if case.reply else probe_query(ident ^ 0x5A5A)
    exchange = exchange_udp if transport == "udp" else exchange_tcp
    replies = exchange(srv.port, wire, probe)
    why = [r for r in replies if isinstance(r, str)]
    replies = [r for r in replies if not isinstance(r, str)]
    where = f"case {case.name!r} over {transport.upper()}"
    if not case.reply:
        bad = []
        for r in replies:
            if r[:2] != probe[:2]:
                bad.append(f"a reply came, want none: {r.hex()}")
            elif sbtest.ldns_parse_error(r):
                bad.append(f"probe reply does not parse with ldns: {sbtest.ldns_parse_error(r)}")
        if not any(r[:2] == probe[:2] for r in replies):
            bad.append("the probe query sent after it got no reply "
                       f"({why[0] if why else f'timeout after {TIMEOUT}s'})")
        if bad:
            test.fail(f"{where}:\n  - " + "\n  - ".join(bad))
        return
    if not replies:
        test.fail(f"{where}: no reply ({why[0] if why else f'timeout after {TIMEOUT}s'})")
    bad = compare(case, transport, wire, replies[0])
    if len(replies) > 1:
        bad.append(f"{len(replies) - 1} more replies to one query")
    if bad:
        test.fail(f"{where}: {len(bad)} field(s) differ\n  - " + "\n  - ".join(bad))


def slug(text):
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


def add_methods(cls, cases):
    for i, case in enumerate(cases):
        for transport in case.transports:
            def method(self, case=case, transport=transport):
                run_case(self, self.srv, case, transport)
            method.__doc__ = f"{case.name} [{transport}]"
            setattr(cls, f"test_{i:03d}_{slug(case.name)}_{transport}", method)


class Conformance(sbtest.ScenarioCase):
    @classmethod
    def setUpClass(cls):
        args, cls.secret_file = main_args()
        cls.srv = sbtest.Server(ZONES, args=args)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        os.unlink(cls.secret_file)


class BareServer(sbtest.ScenarioCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = sbtest.Server(ZONES)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()


add_methods(Conformance, CASES)
add_methods(BareServer, BARE_CASES)


class Helpers(unittest.TestCase):
    """The test's own machinery, checked against known values."""

    def test_siphash_reference_vector(self):
        got = siphash24(bytes(range(16)), bytes(range(15)))
        self.assertEqual(struct.unpack("<Q", got)[0], 0xA129CA6149BE45E5)

    def test_siphash_empty_and_eight_bytes(self):
        # The first and ninth vectors of the SipHash paper's vectors.h.
        self.assertEqual(struct.unpack("<Q", siphash24(bytes(range(16)), b""))[0],
                         0x726FDB47DD0E0E31)
        self.assertEqual(struct.unpack("<Q", siphash24(bytes(range(16)), bytes(range(8))))[0],
                         0x93F5F5799A932462)

    def test_case_names_are_unique(self):
        names = [c.name for c in CASES + BARE_CASES]
        self.assertEqual(len(names), len(set(names)),
                         [n for n in names if names.count(n) > 1])

    def test_long_names(self):
        self.assertEqual(len(wname(NAME_255)), 255)
        self.assertEqual(len(wname(DN_255)) - len(wname("dn.example.com"))
                         + len(wname("target.example.net")), 259)
        self.assertEqual(len(wname(DN_251_TARGET)), 255)


if __name__ == "__main__":
    sbtest.main()
