"""Response rate limiting, with the defaults (200 responses a second per
client /24 and kind, slip 2), under a flood from loopback addresses: the
flooded prefix gets no more than its rate of answers each second, about
half of the rest as slips (TC, no records) and nothing for the others,
for every kind (the same answer, NXDOMAIN for one zone, errors); every
limited response is counted in the metrics and logged once; meanwhile a
client in another prefix keeps every answer, and in the flooded prefix a
client with a valid server cookie, and any client over TCP, keep theirs.
With the rates at 0 nothing is limited, and an exempt prefix is answered
and counted as exempt."""
import random
import re
import selectors
import socket
import struct
import threading
import time
import urllib.request

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode

import sbtest
from sbtest import ScenarioCase, wait_until

# Names a client can make up: below a wildcard, below a DNAME, below a
# delegation whose glue does not fit 512 bytes (a referral cut short).
ZONE = sbtest.ZONE_HEADER + """www  A  192.0.2.80
*.w  TXT  "{}"
dd   DNAME  w.example.com.
""".format("t" * 200) + "".join(f"big  NS  ns{i}.big\nns{i}.big  A  192.0.2.{i}\n"
                               f"ns{i}.big  AAAA  2001:db8::{i}\n" for i in range(1, 11))
RATE = 200  # the default
FLOOD_SECONDS = 2.0
KINDS = ("answer", "nxdomain", "error")


def query_wire(kind, ident, rng):
    """A query of one kind: always the same answer, NXDOMAIN in the zone
    (a new name each time: counted per zone), or REFUSED (a name we do not
    serve)."""
    made_up = f"x{rng.randrange(1 << 30)}"
    name, rdtype = {"answer": ("www.example.com", "A"),
                    "nxdomain": (f"{made_up}.example.com", "A"),
                    "error": (f"{made_up}.example.org", "A"),
                    "wildcard": (f"{made_up}.w.example.com", "TXT"),
                    "dname": (f"{made_up}.dd.example.com", "TXT"),
                    "referral": (f"{made_up}.big.example.com", "A")}[kind]
    q = dns.message.make_query(name, rdtype)
    q.id = ident
    return q.to_wire()


class Flood:
    """UDP queries from every address of `sources` round robin, as fast as
    one thread sends them, for `seconds`; replies counted per kind as full
    answers or slips (TC), and per second of arrival."""

    def __init__(self, port, sources, seconds=FLOOD_SECONDS, kinds=KINDS):
        self.port, self.seconds, self.kinds = port, seconds, kinds
        self.socks = []
        self.sel = selectors.DefaultSelector()
        for src in sources:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind((src, 0))
            s.setblocking(False)
            self.socks.append(s)
            self.sel.register(s, selectors.EVENT_READ)
        self.sent = {k: 0 for k in kinds}
        self.full = {k: 0 for k in kinds}
        self.slipped = {k: 0 for k in kinds}
        self.full_per_second = {}  # (kind, second) -> full answers
        self.bytes_in = self.bytes_out = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def drain(self, timeout=0):
        for key, _ in self.sel.select(timeout):
            while True:
                try:
                    data = key.fileobj.recv(4096)
                except BlockingIOError:
                    break
                self.count(data)

    def count(self, data):
        ident, flags = struct.unpack_from("!HH", data)
        if ident % 4 >= len(self.kinds):
            return
        kind = self.kinds[ident % 4]  # the ID's low bits say which kind it asked
        self.bytes_in += len(data)
        if flags & dns.flags.TC:
            self.slipped[kind] += 1
        else:
            self.full[kind] += 1
            key = (kind, int(time.time()))
            self.full_per_second[key] = self.full_per_second.get(key, 0) + 1

    def run(self):
        rng = random.Random(20261202)
        end = time.monotonic() + self.seconds
        i = 0
        while time.monotonic() < end:
            for _ in range(50):
                k = i % len(self.kinds)
                wire = query_wire(self.kinds[k], (i // len(self.kinds) * 4 + k) & 0xFFFF, rng)
                kind = self.kinds[k]
                try:
                    self.socks[i % len(self.socks)].sendto(wire, ("127.0.0.1", self.port))
                    self.sent[kind] += 1
                    self.bytes_out += len(wire)
                except BlockingIOError:
                    pass
                i += 1
            self.drain()
        deadline = time.monotonic() + 1.0  # the last replies
        while time.monotonic() < deadline:
            self.drain(0.05)

    def join(self):
        self.thread.join(FLOOD_SECONDS + 10)
        for s in self.socks:
            s.close()
        self.sel.close()


def metrics(srv):
    line = srv.wait_log(r"event=metrics-listening address=127\.0\.0\.1:\d+", sbtest.READY_TIMEOUT)
    url = "http://127.0.0.1:%s/metrics" % re.search(r":(\d+)$", line).group(1)

    def rrl():
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
        return {(m.group(1), m.group(2)): float(m.group(3)) for m in re.finditer(
            r'^switchboard_rrl_responses_total\{kind="(\w+)",action="(\w+)"\} (\S+)$', text, re.M)}
    return rrl


class RateLimiting(ScenarioCase):
    def test_a_flood_is_limited_and_slips_while_others_are_answered(self):
        srv = self.server({"example.com.zone": ZONE}, args=["--metrics-listen", "127.0.0.1:0"])
        rrl = metrics(srv)
        # A client in the prefix to be flooded gets a server cookie first.
        cookie_q = dns.message.make_query("www.example.com", "A", use_edns=0, options=[
            dns.edns.GenericOption(dns.edns.COOKIE, bytes(range(8)))])
        r = dns.query.udp(cookie_q, "127.0.0.1", port=srv.port, timeout=2, source="127.0.1.99")
        cookie = next(o for o in r.options if o.otype == dns.edns.COOKIE)
        flood = Flood(srv.port, [f"127.0.1.{i}" for i in range(1, 21)])
        legit, with_cookie, over_tcp = 0, 0, 0
        while flood.thread.is_alive():
            q = dns.message.make_query("www.example.com", "A")
            reply = dns.query.udp(q, "127.0.0.1", port=srv.port, timeout=1, source="127.0.2.1")
            self.assertFalse(reply.flags & dns.flags.TC)
            self.assertEqual(sbtest.answer_texts(reply), ["www.example.com. 3600 A 192.0.2.80"])
            legit += 1
            q = dns.message.make_query("www.example.com", "A", use_edns=0, options=[
                dns.edns.GenericOption(dns.edns.COOKIE, cookie.to_wire())])
            reply = dns.query.udp(q, "127.0.0.1", port=srv.port, timeout=1, source="127.0.1.99")
            self.assertFalse(reply.flags & dns.flags.TC, "a valid cookie is not limited")
            with_cookie += 1
            reply = dns.query.tcp(dns.message.make_query("www.example.com", "A"), "127.0.0.1",
                                  port=srv.port, timeout=1, source="127.0.1.98")
            self.assertEqual(len(reply.answer), 1)
            over_tcp += 1
            time.sleep(0.02)
        flood.join()
        print(f"flood: sent {flood.sent}, full answers {flood.full}, slips {flood.slipped}; "
              f"{flood.bytes_in} bytes back for {flood.bytes_out} sent; meanwhile answered: "
              f"{legit} from another prefix, {with_cookie} with a cookie, {over_tcp} over TCP")
        for kind in KINDS:
            self.assertGreater(flood.sent[kind], 3 * RATE * FLOOD_SECONDS, kind)
            # At most the rate each second the flood spans (three at most),
            # in all. Per second of arrival the client can only bound it
            # loosely: it reads replies late when it is behind (one second
            # counted 228 against the rate of 200), which moves answers of
            # one second into the next: a second shows at most its own and
            # the one before's.
            for (k, second), n in flood.full_per_second.items():
                self.assertLessEqual(n, 2 * RATE, f"{k} answers in second {second}")
            self.assertLessEqual(flood.full[kind], RATE * (FLOOD_SECONDS + 1), kind)
            # Every second limited response slips.
            limited = flood.sent[kind] - flood.full[kind]
            self.assertAlmostEqual(flood.slipped[kind], limited / 2, delta=limited * 0.05 + 10)
        wait_until(lambda: all(rrl()[(k, "dropped")] > 0 and rrl()[(k, "slipped")] > 0
                               for k in KINDS), 5, "dropped and slipped counted for every kind")
        counts = rrl()
        for kind in KINDS:
            # Each drop and slip the flood saw (and a few more: loopback may
            # lose a datagram, or a reply may come after the flood stopped
            # reading); the cookie client and the other prefix were never
            # limited.
            limited = flood.sent[kind] - flood.full[kind]
            slipped, dropped = counts[(kind, "slipped")], counts[(kind, "dropped")]
            self.assertGreaterEqual(slipped, flood.slipped[kind], kind)
            self.assertAlmostEqual(slipped, flood.slipped[kind], delta=limited * 0.01 + 5)
            self.assertAlmostEqual(slipped + dropped, limited, delta=limited * 0.01 + 5)
        line = srv.wait_log(r"event=rrl-limiting ", 1.0)
        fields = sbtest.log_fields(line)
        self.assertRegex(fields["client"], r"^127\.0\.1\.\d+$")
        self.assertIn(fields["kind"], KINDS)

    def test_made_up_names_share_one_key(self):
        """Random names below a wildcard, below a DNAME, and below a
        delegation whose referral is cut short (TC, records kept): each a
        new name, all one key, limited like one."""
        srv = self.server({"example.com.zone": ZONE}, args=["--metrics-listen", "127.0.0.1:0"])
        kinds = ("wildcard", "dname", "referral")
        flood = Flood(srv.port, ["127.0.1.1"], seconds=1.0, kinds=kinds)
        flood.join()
        print(f"made-up names: sent {flood.sent}, full {flood.full}, slips {flood.slipped}")
        for kind in kinds:
            self.assertGreater(flood.sent[kind], 3 * RATE, kind)
            # A referral cut short carries TC itself: full and slipped
            # together are then what went out.
            out = flood.full[kind] + (flood.slipped[kind] if kind == "referral" else 0)
            limited = flood.sent[kind] - RATE * 2
            self.assertLess(out, RATE * 2 + limited * 0.6, kind)
        rrl = metrics(srv)
        wait_until(lambda: all(rrl()[(k, "dropped")] > 0 for k in kinds), 5,
                   "drops counted for every kind")

    def test_rates_of_zero_limit_nothing(self):
        srv = self.server({"example.com.zone": ZONE},
                          args=["--metrics-listen", "127.0.0.1:0", "--rrl-responses", "0",
                                "--rrl-nxdomains", "0", "--rrl-errors", "0"])
        rrl = metrics(srv)
        flood = Flood(srv.port, ["127.0.1.1"], seconds=0.5)
        flood.join()
        for kind in KINDS:
            self.assertEqual(flood.slipped[kind], 0)
            # Loopback may still drop a datagram when a socket buffer fills.
            self.assertGreater(flood.full[kind], 0.95 * flood.sent[kind])
        self.assertEqual(sum(rrl().values()), 0)

    def test_an_exempt_prefix_is_answered_and_counted(self):
        srv = self.server({"example.com.zone": ZONE},
                          args=["--metrics-listen", "127.0.0.1:0", "--rrl-exempt", "127.0.1.0/24"])
        rrl = metrics(srv)
        flood = Flood(srv.port, ["127.0.1.1", "127.0.1.2"], seconds=1.0, kinds=("answer",))
        flood.join()
        self.assertEqual(flood.slipped["answer"], 0)
        self.assertGreater(flood.full["answer"], 0.95 * flood.sent["answer"])
        wait_until(lambda: rrl()[("answer", "exempt")] >= flood.full["answer"] - RATE * 2, 5,
                   "the responses over the rate counted as exempt")
        self.assertEqual(rrl()[("answer", "dropped")], 0)


if __name__ == "__main__":
    sbtest.main()
