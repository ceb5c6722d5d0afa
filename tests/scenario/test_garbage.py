"""A barrage of random and mutated packets, deterministic (seeded): 10,000
over UDP and some hundreds over TCP connections. Afterwards the server must
still be running and answer a normal query correctly, field by field.

Every reply that comes back during the barrage must parse with libldns, have
QR set, and answer a packet that was sent: its ID, opcode, RD bit (echoed
for QUERY, clear for other opcodes) and (when it has one) its question byte
for byte must be those of a packet sent with that ID. Over TCP replies must also come in the order of the messages sent
on the connection. Replies are collected without waiting on each one: the
sockets are non-blocking and drained between sends.
"""
import os
import random
import select
import selectors
import socket
import struct
import time

import dns.name

import sbtest
import test_conformance as tc

SEED = 20261122
UDP_PACKETS = 10000
TCP_CONNECTIONS = 48
DRAIN_QUIET = 0.5   # seconds without a reply that end the UDP drain
DRAIN_MAX = 5.0     # at most this long to collect late UDP replies
TCP_DEADLINE = 8.0  # every connection must have ended by then

E = dict(edns=0)


def base_queries():
    """Valid queries of every shape the server knows, to mutate."""
    q = tc.query
    cookie = (tc.OPT_COOKIE, tc.CC)
    return [
        q("a.example.com"),
        q("A.ExAmPlE.cOm", "AAAA", **E),
        q("example.com", "MX", edns=0, ednsflags=tc.DO),
        q("example.com", "ANY"),
        q("nothere.example.com", edns=0, options=[(tc.OPT_NSID, b"")]),
        q("www.dn.example.com", edns=0, options=[cookie]),
        q(tc.DN_255, **E),
        q(tc.NAME_255),
        q("c1.example.com", edns=0, options=[(tc.OPT_ECS, tc.ecs(1, 24, bytes([192, 0, 2])))]),
        q("q.wild.example.com", edns=0, options=[(tc.OPT_ECS, tc.ecs(2, 56, bytes(7)))]),
        q("q.wc.example.com", edns=0, options=[(tc.OPT_COOKIE, tc.CC + tc.SC_VALID)]),
        q("pw.example.com", edns=0, options=[(tc.OPT_NSID, b""), (tc.OPT_ECS, tc.ecs(1, 0, b"")),
                                             (tc.OPT_EXPIRE, b""), cookie, (100, b"xyz")]),
        q("pa.example.com", "AAAA", edns=1, options=[(100, b"")]),
        q("host.sub.example.com", **E),
        q("big1.example.com", "TXT"),
        q("big2.example.com", "TXT", edns=0, payload=4096),
        q("version.bind", "TXT", "CH"),
        q("id.server", "TXT", "CH", edns=0, options=[(tc.OPT_NSID, b"")]),
        q("loop1.example.com", "A", flags=tc.ALL_QUERY_FLAGS),
        q("unk.example.com", "TYPE666", opcode=4),
        q("example.com", "AXFR"),
        q("www.example.org"),
    ]


def mutate(rng, pkt, bases):
    """One random damage to `pkt` (a bytearray), of many kinds."""
    kind = rng.randrange(11)
    n = len(pkt)
    if kind == 0 and n:      # flip bits
        for _ in range(rng.randint(1, 8)):
            pkt[rng.randrange(n)] ^= 1 << rng.randrange(8)
    elif kind == 1 and n:    # overwrite bytes
        for _ in range(rng.randint(1, 6)):
            pkt[rng.randrange(n)] = rng.randrange(256)
    elif kind == 2 and n >= 12:  # a section count
        off = rng.choice((4, 6, 8, 10))
        pkt[off:off + 2] = struct.pack("!H", rng.choice((0, 1, 2, 3, 0xFFFF,
                                                         rng.randrange(65536))))
    elif kind == 3:          # cut short
        del pkt[rng.randint(0, n):]
    elif kind == 4:          # insert bytes
        at = rng.randint(0, n)
        pkt[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 5 and n:    # delete a slice
        at = rng.randrange(n)
        del pkt[at:at + rng.randint(1, 16)]
    elif kind == 6:          # append bytes
        pkt += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == 7 and n > 12:  # repeat a slice (a second OPT, a second option)
        a = rng.randrange(12, n)
        b = rng.randint(a, n)
        pkt[b:b] = pkt[a:b]
        if n >= 12 and rng.random() < 0.5:
            ar = struct.unpack_from("!H", pkt, 10)[0]
            pkt[10:12] = struct.pack("!H", (ar + 1) & 0xFFFF)
    elif kind == 8 and n > 12:  # a compression pointer somewhere
        at = rng.randrange(12, n)
        pkt[at:at + 2] = bytes([0xC0 | rng.randrange(64), rng.randrange(256)])
    elif kind == 9 and n > 12:  # an EDNS-ish length field
        at = rng.randrange(12, max(13, n - 1))
        pkt[at:at + 2] = struct.pack("!H", rng.choice((0, 1, 3, 4, 7, 8, 9, 16, 24, 40, 41,
                                                       0xFFFF, rng.randrange(65536))))
    else:                    # splice with another query
        other = rng.choice(bases)
        pkt[:] = pkt[:rng.randint(0, n)] + other[rng.randint(0, len(other)):]
    return pkt


def make_packet(rng, bases, ident):
    """A packet for the barrage. Mutated valid queries mostly; random bytes
    and random bodies behind a plausible header too."""
    r = rng.random()
    if r < 0.10:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 600)))
    if r < 0.20:
        body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 588)))
        flags = rng.randrange(65536) & ~0x8000
        counts = [1, 0, 0, rng.choice((0, 1))]
        return struct.pack("!6H", ident, flags, *counts) + body
    if r < 0.25:
        return bytes(rng.choice(bases)[:rng.randint(0, 600)])
    pkt = bytearray(rng.choice(bases))
    pkt[0:2] = struct.pack("!H", ident)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        mutate(rng, pkt, bases)
    return bytes(pkt[:600])


class Sent:
    """Packets sent, by ID, to judge the replies."""

    def __init__(self):
        self.by_id = {}

    def add(self, pkt):
        if len(pkt) >= 12:
            self.by_id.setdefault(pkt[:2], []).append(pkt)


def reply_problem(reply, candidates, limit=None):
    """Why `reply` cannot be an answer to any of `candidates` (packets sent
    with its ID), or None when it can."""
    err = sbtest.ldns_parse_error(reply)
    if err:
        return f"ldns cannot parse it: {err}"
    if len(reply) < 12:
        return "shorter than a header"
    flags = struct.unpack_from("!H", reply, 2)[0]
    if not flags & 0x8000:
        return "QR clear"
    if limit is not None and len(reply) > limit:
        return f"{len(reply)} bytes over UDP, over the 1232-byte limit"
    if not candidates:
        return "its ID is not the ID of any packet sent"
    qd = struct.unpack_from("!H", reply, 4)[0]
    question = None
    if qd == 1:
        _, used = dns.name.from_wire(reply, 12)
        question = reply[12:12 + used + 4]
    elif qd != 0:
        return f"QDCOUNT {qd}"
    for pkt in candidates:
        pflags = struct.unpack_from("!H", pkt, 2)[0]
        if (pflags ^ flags) & 0x7800:  # opcode echoed
            continue
        rd_sent = pflags & 0x0100 if pflags & 0x7800 == 0 else 0  # RD is QUERY's only
        if flags & 0x0100 != rd_sent:
            continue
        if question is not None and pkt[12:12 + len(question)] != question:
            continue
        return None
    return "no packet sent with its ID has its opcode, RD bit and question"


class Garbage(sbtest.ScenarioCase):
    @classmethod
    def setUpClass(cls):
        args, cls.secret_file = tc.main_args()
        cls.srv = sbtest.Server(tc.ZONES, args=args + ["--tcp-idle-timeout", "1s"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()  # must still exit 0 on SIGTERM
        os.unlink(cls.secret_file)

    def test_garbage_then_normal_answers(self):
        rng = random.Random(SEED)
        bases = base_queries()
        problems = []
        udp_replies = self.udp_barrage(rng, bases, problems)
        tcp_sent, tcp_replies = self.tcp_barrage(rng, bases, problems)
        self.assertIsNone(self.srv.proc.poll(),
                          "switchboard exited during the barrage; log:\n"
                          + "\n".join(self.srv.lines[-30:]))
        if problems:
            self.fail(f"{len(problems)} bad replies during the barrage "
                      f"({udp_replies} UDP and {tcp_replies} TCP replies seen); first ones:\n  - "
                      + "\n  - ".join(problems[:25]))
        # Replies came at all: the barrage reached the server.
        self.assertGreater(udp_replies, UDP_PACKETS // 20, "too few UDP replies to judge")
        self.assertGreater(tcp_replies, tcp_sent // 10, "too few TCP replies to judge")
        # And normal service, field by field, on both transports.
        for case in AFTER:
            for transport in case.transports:
                tc.run_case(self, self.srv, case, transport)

    def udp_barrage(self, rng, bases, problems):
        sent = Sent()
        seen = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.setblocking(False)
            addr = ("127.0.0.1", self.srv.port)

            def drain():
                n = 0
                while True:
                    try:
                        reply = s.recv(65535)
                    except BlockingIOError:
                        return n
                    n += 1
                    why = reply_problem(reply, sent.by_id.get(reply[:2], []), limit=1232)
                    if why:
                        problems.append(f"UDP reply {reply[:64].hex()}...: {why}")

            for i in range(UDP_PACKETS):
                pkt = make_packet(rng, bases, i & 0xFFFF)
                sent.add(pkt)
                while True:
                    try:
                        s.sendto(pkt, addr)
                        break
                    except BlockingIOError:
                        seen += drain()
                        select.select([], [s], [], 0.05)  # room in the send buffer
                if i % 32 == 31:
                    seen += drain()
            # Late replies: until the server has been quiet for a while.
            sel = selectors.DefaultSelector()
            sel.register(s, selectors.EVENT_READ)
            deadline = time.monotonic() + DRAIN_MAX
            while time.monotonic() < deadline and sel.select(DRAIN_QUIET):
                seen += drain()
            sel.close()
        return seen

    def tcp_barrage(self, rng, bases, problems):
        """Connections each sending a few framed messages (garbage, mutated
        queries, sometimes a valid one), then ending in one of several ways:
        a clean half-close, a frame cut short, half a length, or a
        zero-length frame."""
        sel = selectors.DefaultSelector()
        conns = []
        total = 0
        for c in range(TCP_CONNECTIONS):
            msgs = []
            for _ in range(rng.randint(3, 10)):
                r = rng.random()
                if r < 0.15:
                    msgs.append(bytes(rng.choice(bases)))
                else:
                    msgs.append(make_packet(rng, bases, (UDP_PACKETS + total) & 0xFFFF))
                total += 1
            msgs = [m for m in msgs if m]  # a zero-length frame ends the connection
            stream = b"".join(struct.pack("!H", len(m)) + m for m in msgs)
            ending = rng.choice(("clean", "clean", "cut", "half-length", "zero"))
            if ending == "cut":
                extra = make_packet(rng, bases, 0xFFFF)
                stream += struct.pack("!H", len(extra) + rng.randint(1, 100)) + extra
            elif ending == "half-length":
                stream += b"\x01"
            elif ending == "zero":
                stream += b"\x00\x00"
            s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=3)
            self.addCleanup(s.close)
            s.sendall(stream)
            s.shutdown(socket.SHUT_WR)
            s.setblocking(False)
            conn = {"msgs": msgs, "buf": b"", "next": 0, "done": False, "n": c}
            conns.append(conn)
            sel.register(s, selectors.EVENT_READ, conn)
        replies = 0
        deadline = time.monotonic() + TCP_DEADLINE
        open_conns = len(conns)
        while open_conns and time.monotonic() < deadline:
            for key, _ in sel.select(0.2):
                s, conn = key.fileobj, key.data
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                except ConnectionError as e:
                    chunk = b""
                    problems.append(f"TCP connection {conn['n']}: {e!r}")
                if chunk:
                    conn["buf"] += chunk
                    replies += self.take_frames(conn, problems)
                    continue
                if conn["buf"]:
                    problems.append(f"TCP connection {conn['n']}: stream ended inside a frame "
                                    f"({len(conn['buf'])} bytes left)")
                sel.unregister(s)
                s.close()
                open_conns -= 1
        sel.close()
        if open_conns:
            problems.append(f"{open_conns} TCP connections still open after {TCP_DEADLINE}s "
                            "(the server should close them at end of input)")
        return total, replies

    @staticmethod
    def take_frames(conn, problems):
        """Judge every complete frame: it must answer one of the messages
        sent on this connection, in order (dropped ones are skipped)."""
        n = 0
        buf = conn["buf"]
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack_from("!H", buf)[0]:
            size = struct.unpack_from("!H", buf)[0]
            reply, buf = buf[2:2 + size], buf[2 + size:]
            n += 1
            msgs = conn["msgs"]
            why = "no message left on the connection for it to answer"
            for j in range(conn["next"], len(msgs)):
                if msgs[j][:2] != reply[:2] or len(msgs[j]) < 12:
                    continue
                why = reply_problem(reply, [msgs[j]])
                if why is None:
                    conn["next"] = j + 1
                    break
            if why:
                problems.append(f"TCP connection {conn['n']} reply {reply[:64].hex()}...: {why}")
        conn["buf"] = buf
        return n


A_A = tc.A_A
AFTER = [
    tc.Case("after the barrage: A", tc.query("a.example.com"), answer=[A_A]),
    tc.Case("after the barrage: A with EDNS, NSID, cookie and ECS",
            tc.query("a.example.com", edns=0, ednsflags=tc.DO,
                     options=[(tc.OPT_NSID, b""), (tc.OPT_COOKIE, tc.CC),
                              (tc.OPT_ECS, tc.ecs(1, 24, bytes([192, 0, 2])))]),
            answer=[A_A],
            opt=tc.Opt(do=True, options={tc.OPT_NSID: tc.NSID.encode(),
                                         tc.OPT_COOKIE: tc.fresh_cookie(tc.CC),
                                         tc.OPT_ECS: tc.ecs(1, 24, bytes([192, 0, 2]))})),
    tc.Case("after the barrage: DNAME",
            tc.query("www.dn.example.com"),
            answer=["dn.example.com. 3600 IN DNAME target.example.net.",
                    "www.dn.example.com. 3600 IN CNAME www.target.example.net.",
                    "www.target.example.net. 3600 IN A 192.0.2.100"]),
    tc.nxdomain("after the barrage: NXDOMAIN", tc.query("nothere.example.com")),
]


if __name__ == "__main__":
    sbtest.main()
