#!/usr/bin/env python3
"""Write the seed queries in tests/fuzz/corpus/answer/ (run once; the files are
checked in). Names in the zones are found by hash lookups, which the fuzzer
cannot see into, so every name fuzz_answer.c's zones serve for a reason has
a seed here. The first byte of each query (the ID's high byte) also selects,
in fuzz_answer, the transport (bit 0: TCP), udp_max (bits 1-3) and which
endpoints are usable (bits 4-7)."""
import os
import struct

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33,
         "DNAME": 39, "DS": 43, "ANY": 255}

# What fuzz_answer.c sets: the cookie secret, the client's address and now.
COOKIE_SECRET = bytes(0xa0 + i for i in range(16))
CLIENT_ADDR = bytes([192, 0, 2, 99])
NOW = 1700000000


def siphash24(key, data):
    """SipHash-2-4 with a 16-byte key; the 8-byte result, little-endian."""
    mask = (1 << 64) - 1
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & mask; v[1] = rotl(v[1], 13) ^ v[0]; v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & mask; v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & mask; v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & mask; v[1] = rotl(v[1], 17) ^ v[2]; v[2] = rotl(v[2], 32)

    tail = len(data) % 8
    for i in range(0, len(data) - tail, 8):
        m = struct.unpack("<Q", data[i:i + 8])[0]
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    m = (len(data) & 0xff) << 56 | int.from_bytes(data[len(data) - tail:], "little")
    v[3] ^= m
    rounds(2)
    v[0] ^= m
    v[2] ^= 0xff
    rounds(4)
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


def server_cookie(client_cookie, when):
    """RFC 9018: version 1, reserved, timestamp, SipHash of it all."""
    head = bytes([1, 0, 0, 0]) + struct.pack(">I", when)
    return head + siphash24(COOKIE_SECRET, client_cookie + head + CLIENT_ADDR)


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def option(code, data):
    return struct.pack(">HH", code, len(data)) + data


def query(qid, qname, qtype, qclass=1, flags=0x0100, edns=None, udp_size=1232, do=False):
    arcount = 1 if edns is not None else 0
    msg = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, arcount)
    msg += name(qname) + struct.pack(">HH", TYPES[qtype], qclass)
    if edns is not None:
        opts = b"".join(edns)
        msg += b"\0" + struct.pack(">HHIH", 41, udp_size, 0x8000 if do else 0, len(opts)) + opts
    return msg


CLIENT_COOKIE = bytes(range(1, 9))
NSID = option(3, b"")
COOKIE = option(10, CLIENT_COOKIE)
COOKIE_FRESH = option(10, CLIENT_COOKIE + server_cookie(CLIENT_COOKIE, NOW - 60))
COOKIE_RENEW = option(10, CLIENT_COOKIE + server_cookie(CLIENT_COOKIE, NOW - 2000))
ECS = option(8, struct.pack(">HBB", 1, 24, 0) + bytes([192, 0, 2]))
# A 254-byte name under dn: rewritten onto target.example.org. it would be
# 256 bytes, too long (YXDOMAIN, RFC 6672 §2.2).
LONG = ".".join(["a" * 63] * 3 + ["b" * 45]) + ".dn.example.com."

# ID 0x12..: UDP with udp_max 600; 0x01..: TCP; 0x06..: UDP, udp_max 1232.
SEEDS = {
    "plain-a": query(0x1234, "www.example.com.", "A"),
    "plain-mx-tcp": query(0x0135, "example.com.", "MX"),
    "edns-nsid-cookie-ecs": query(0x5678, "api.example.com.", "AAAA", edns=[NSID, COOKIE, ECS],
                                  do=True),
    "cookie-fresh": query(0x0601, "east.example.com.", "A", edns=[COOKIE_FRESH]),
    "cookie-renew": query(0x0602, "east.example.com.", "A", edns=[COOKIE_RENEW]),
    "chaos-version-bind": query(0x0abc, "version.bind.", "TXT", qclass=3, edns=[]),
    "chaos-id-server": query(0x0abd, "id.server.", "TXT", qclass=3),
    "dname-below": query(0x2a2a, "x.y.dn.example.com.", "A", edns=[]),
    "dname-self": query(0x4c4c, "a.self.self.example.com.", "A", edns=[]),
    "dname-other-zone": query(0x0603, "www.tonetd.example.com.", "A", edns=[]),
    "dname-yxdomain": query(0x0604, LONG, "A", edns=[]),
    "dname-back": query(0x0605, "mail.dnback.example.net.", "AAAA", edns=[]),
    "big-txt-udp": query(0x0600, "big.example.com.", "TXT", edns=[], udp_size=4096),
    "huge-txt-tcp": query(0x0101, "huge.example.com.", "TXT"),
    "wide-referral": query(0x0202, "x.wide.example.com.", "A"),
    "sub-referral": query(0x0606, "host.sub.example.com.", "A", edns=[]),
    "sub-ds": query(0x0607, "sub.example.com.", "DS", edns=[]),
    "child-ds": query(0x0608, "child.example.com.", "DS", edns=[]),
    "cname-chain": query(0x0609, "cname1.example.com.", "AAAA", edns=[]),
    "cname-long": query(0x060a, "c1.example.com.", "A", edns=[]),
    "cname-loop": query(0x060b, "loop1.example.com.", "A", edns=[]),
    "cname-cross": query(0x060c, "back.example.net.", "A", edns=[]),
    "cname-wildcard-loop": query(0x060d, "x.wcloop.example.com.", "A", edns=[]),
    "wildcard-txt": query(0x060e, "any.wild.example.com.", "TXT", edns=[]),
    "wildcard-cname": query(0x060f, "some.wc.example.com.", "A", edns=[]),
    "empty-non-terminal": query(0x0610, "ent.example.com.", "A", edns=[]),
    "srv-extra": query(0x0611, "_sip._tcp.example.com.", "SRV", edns=[]),
    "mx-many": query(0x0612, "many.example.com.", "MX", edns=[]),
    "mx-profile-extra": query(0x0613, "mxprof.example.com.", "MX", edns=[]),
    "profile-v6only-a": query(0x0614, "v6only.example.com.", "A", edns=[]),
    "profile-v6only-any": query(0x0615, "v6only.example.com.", "ANY", edns=[]),
    "profile-wildcard": query(0x0616, "x.app.example.com.", "A", edns=[]),
    "profile-net": query(0x0617, "lb.example.net.", "A", edns=[]),
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "answer")
os.makedirs(here, exist_ok=True)
for file_name, data in SEEDS.items():
    with open(os.path.join(here, file_name), "wb") as f:
        f.write(data)
