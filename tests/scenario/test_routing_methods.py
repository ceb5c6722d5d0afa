"""Routing methods end to end, over UDP and TCP against the real daemon:
priority (equal top priorities as one RRset, max-answers), weighted (at
random in proportion to weight, checked by a chi-square test; weight 0 only
when nothing else is usable; sticky per client subnet, with the ECS scope
it depended on), all (every usable endpoint, rotating), subnet (longest
match, its ECS scope, the default), the all-down policies (fail-open,
fail-closed, fallback) on address and name profiles, every override
(drain, force, switchover) on each method, and what `ctl status --json`
says about them.

Endpoints are real HTTP processes the test kills and restarts; every wait
for a health change polls with a deadline."""
import collections
import json
import os
import shutil
import subprocess
import tempfile

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

import sbtest
from sbtest import ScenarioCase, cname_target, wait_until

MONITOR = "monitor http path=/health interval=200ms timeout=150ms fall=1 rise=1"
# A health change shows within fall (or rise) x interval plus a probe's
# timeout; the rest is slack for a loaded machine.
HEALTH_WAIT = 3.0
# Client source addresses (the whole of 127/8 is loopback on Linux).
SOURCES = [f"127.0.0.{n}" for n in range(2, 10)]
# Every loopback client exempt from rate limiting: the tests ask thousands
# of questions a second from these addresses.
ARGS = ["--rrl-exempt", "127.0.0.0/8"]
# Chi-square critical values at p = 1e-6, by degrees of freedom: random
# draws must not fail a suite run thousands of times by chance, and a skew
# of a few percent is still far past them at these sample sizes.
CHI2_CRITICAL = {1: 23.93, 2: 27.63, 3: 30.66}
ECS = dns.edns.ECS


def ask(srv, name, rdtype="A", tcp=False, source=None, ecs=None, edns=True):
    """One query to `srv`; `ecs` is (address, source prefix) for an EDNS
    Client Subnet option. Without `edns` the query has no OPT record."""
    options = [dns.edns.ECSOption(*ecs)] if ecs is not None else []
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns or ecs else False,
                               options=options)
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=srv.port, timeout=2.0, source=source)
    return dns.query.udp(q, "127.0.0.1", port=srv.port, timeout=2.0, source=source,
                         ignore_trailing=False)


def addresses(msg):
    """The addresses in the answer section, in the order they came."""
    return [rd.address for rrset in msg.answer
            if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) for rd in rrset]


def ecs_option(msg):
    found = [o for o in msg.options if o.otype == ECS]
    assert len(found) <= 1, f"more than one ECS option: {msg}"
    return found[0] if found else None


def chi_square(counts, weights):
    """Pearson's statistic of `counts` against shares proportional to
    `weights` (both lists, one entry per category)."""
    n, total = sum(counts), sum(weights)
    return sum((c - n * w / total) ** 2 / (n * w / total) for c, w in zip(counts, weights))


def subnet_of(x):
    """The x-th client /24 of 10.0.0.0/8 (x < 65536)."""
    return f"10.{x // 256}.{x % 256}.0"


def zone(*profiles, extra=""):
    return sbtest.ZONE_HEADER + extra + "".join(profiles)


def profile(owner, method, settings, endpoints):
    """A profile block: `endpoints` are endpoint lines without 'endpoint '."""
    lines = "".join(f"    endpoint {e}\n" for e in endpoints)
    return f"{owner} profile {method} {settings} {{\n    {MONITOR}\n{lines}}}\n"


def dead_port():
    """A port on 127.0.0.1 nothing listens on (probes get connect refused)."""
    return sbtest.free_port()


class Routing(ScenarioCase):
    # ---- helpers -------------------------------------------------------------

    def start(self, *binds):
        """HTTP endpoints, one per address, each healthy."""
        return [self.endpoint("http", bind=b) for b in binds]

    def serve(self, text, args=()):
        return self.server({"example.com.zone": text}, ARGS + list(args))

    def status(self, srv):
        _, out, _ = srv.ctl("--json", "status")
        reply = json.loads(out)
        self.assertTrue(reply["ok"], reply)
        return {p["name"]: p for p in reply["status"]["profiles"]}

    def wait_states(self, srv, owner, want):
        """Wait until the endpoints named in `want` have those states."""
        def reached():
            eps = {e["name"]: e["state"] for e in self.status(srv)[owner]["endpoints"]}
            return all(eps[k] == v for k, v in want.items()) and eps
        wait_until(reached, HEALTH_WAIT, f"{owner} endpoints {want}")

    def both(self, srv, name, check, rdtype="A", **kw):
        """`check(reply)` for the same question over UDP and over TCP."""
        for tcp in (False, True):
            reply = ask(srv, name, rdtype, tcp=tcp, **kw)
            try:
                self.assertEqual(reply.rcode(), dns.rcode.NOERROR, reply)
                self.assertTrue(reply.flags & dns.flags.AA, reply)
                check(reply)
            except AssertionError as e:
                raise AssertionError(f"{name} {rdtype} {kw} over {'TCP' if tcp else 'UDP'}: "
                                     f"{e}") from None

    def sample(self, srv, name, n, ecs=None):
        """Counter of the answer sets (tuples of addresses) of n queries,
        alternating UDP and TCP and the client source addresses."""
        seen = collections.Counter()
        for i in range(n):
            r = ask(srv, name, tcp=i % 2 == 1, source=SOURCES[i % len(SOURCES)], ecs=ecs)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR, r)
            seen[tuple(addresses(r))] += 1
        return seen

    def singles(self, srv, name, n):
        """The set of addresses answered alone over n queries (weighted)."""
        seen = self.sample(srv, name, n)
        for answer in seen:
            self.assertEqual(len(answer), 1, seen)
        return {a[0] for a in seen}

    def sticky_map(self, srv, name, subnets):
        """Endpoint address per client /24 (ECS), checking the scope."""
        out = {}
        for i, x in enumerate(subnets):
            r = ask(srv, name, tcp=i % 2 == 1, source=SOURCES[i % len(SOURCES)],
                    ecs=(subnet_of(x), 24))
            got = addresses(r)
            self.assertEqual(len(got), 1, r)
            opt = ecs_option(r)
            self.assertEqual((opt.address, opt.srclen, opt.scopelen), (subnet_of(x), 24, 24))
            out[x] = got[0]
        return out

    # ---- priority ------------------------------------------------------------

    def test_priority_answers_equal_top_priorities_together(self):
        a, b, c = self.start("127.0.0.10", "127.0.0.11", "127.0.0.12")
        eps = [f"a 127.0.0.10 priority=1 port={a.port}", f"b 127.0.0.11 priority=1 port={b.port}",
               f"c 127.0.0.12 priority=2 port={c.port}"]
        srv = self.serve(zone(profile("www", "priority", "ttl=5", eps),
                              profile("one", "priority", "ttl=5 max-answers=1", eps)))
        self.wait_states(srv, "www.example.com.", {"a": "up", "b": "up", "c": "up"})

        def both_top(r):
            self.assertEqual(sorted(addresses(r)), ["127.0.0.10", "127.0.0.11"])
            self.assertEqual(len(r.answer), 1, "one RRset")
            self.assertEqual(r.answer[0].ttl, 5)
        self.both(srv, "www.example.com", both_top)
        # The priority method does not route on the client: scope 0.
        self.both(srv, "www.example.com",
                  lambda r: self.assertEqual(ecs_option(r).scopelen, 0), ecs=("10.9.8.0", 24))
        # max-answers=1: one record of the top priority, the same each time.
        firsts = self.sample(srv, "one.example.com", 20)
        self.assertEqual(len(firsts), 1, firsts)
        self.assertIn(next(iter(firsts)), [("127.0.0.10",), ("127.0.0.11",)])

        a.kill()
        for owner in ("www", "one"):
            wait_until(lambda: addresses(ask(srv, f"{owner}.example.com")) == ["127.0.0.11"],
                       HEALTH_WAIT, f"{owner} to answer b alone")
        self.both(srv, "www.example.com",
                  lambda r: self.assertEqual(addresses(r), ["127.0.0.11"]))
        self.both(srv, "one.example.com",
                  lambda r: self.assertEqual(addresses(r), ["127.0.0.11"]))
        # The second priority stays out while one of the first is usable.
        self.assertEqual(self.sample(srv, "www.example.com", 20), {("127.0.0.11",): 20})

        b.kill()
        wait_until(lambda: addresses(ask(srv, "www.example.com")) == ["127.0.0.12"],
                   HEALTH_WAIT, "www to fail over to c")
        a.restart()
        wait_until(lambda: addresses(ask(srv, "www.example.com")) == ["127.0.0.10"],
                   HEALTH_WAIT, "www to return to a")
        srv.stop()

    # ---- weighted ------------------------------------------------------------

    def test_weighted_random_follows_the_weights(self):
        a, b, z = self.start("127.0.0.10", "127.0.0.11", "127.0.0.12")
        srv = self.serve(zone(profile("w", "weighted", "ttl=5", [
            f"a 127.0.0.10 weight=1 port={a.port}", f"b 127.0.0.11 weight=3 port={b.port}",
            f"z 127.0.0.12 weight=0 port={z.port}"])))
        self.wait_states(srv, "w.example.com.", {"a": "up", "b": "up", "z": "up"})

        seen = self.sample(srv, "w.example.com", 2000)
        counts = [seen[("127.0.0.10",)], seen[("127.0.0.11",)]]
        self.assertEqual(sum(counts), 2000, f"weight 0 answered while others were up: {seen}")
        stat = chi_square(counts, [1, 3])
        print(f"weighted 1:3 over 2000 queries: {counts}, chi-square {stat:.2f}")
        self.assertLess(stat, CHI2_CRITICAL[1], f"counts {counts} do not fit 1:3")
        # A random answer does not depend on the client: ECS scope 0.
        self.both(srv, "w.example.com",
                  lambda r: self.assertEqual(ecs_option(r).scopelen, 0), ecs=("10.9.8.0", 24))

        # Weight 0 answers once nothing of weight above 0 is usable.
        a.kill()
        b.kill()
        wait_until(lambda: addresses(ask(srv, "w.example.com")) == ["127.0.0.12"],
                   HEALTH_WAIT, "weight 0 to answer")
        self.wait_states(srv, "w.example.com.", {"a": "down", "b": "down"})
        self.assertEqual(self.singles(srv, "w.example.com", 40), {"127.0.0.12"})
        self.assertEqual(srv.log_count(r"event=all-down "), 0, "z is usable: not all down")

        # And stops as soon as one is back.
        a.restart()
        wait_until(lambda: addresses(ask(srv, "w.example.com")) == ["127.0.0.10"],
                   HEALTH_WAIT, "a to answer again")
        self.assertEqual(self.singles(srv, "w.example.com", 40), {"127.0.0.10"})
        srv.stop()

    def test_weighted_sticky_keeps_each_subnet_on_its_endpoint(self):
        a, b, c = self.start("127.0.0.10", "127.0.0.11", "127.0.0.12")
        srv = self.serve(zone(profile("s", "weighted", "ttl=5 sticky=yes", [
            f"a 127.0.0.10 weight=1 port={a.port}", f"b 127.0.0.11 weight=2 port={b.port}",
            f"c 127.0.0.12 weight=3 port={c.port}"])))
        self.wait_states(srv, "s.example.com.", {"a": "up", "b": "up", "c": "up"})
        owners = ["127.0.0.10", "127.0.0.11", "127.0.0.12"]

        # 2000 client /24s spread over the endpoints by weight.
        subnets = range(2000)
        before = self.sticky_map(srv, "s.example.com", subnets)
        counts = [sum(1 for v in before.values() if v == o) for o in owners]
        stat = chi_square(counts, [1, 2, 3])
        print(f"sticky 1:2:3 over 2000 /24s: {counts}, chi-square {stat:.2f}")
        self.assertLess(stat, CHI2_CRITICAL[2], f"counts {counts} do not fit 1:2:3")

        # A client keeps its endpoint: other addresses of its /24 (ECS /32
        # and /28, cut to the server's /24), other source addresses and
        # ports, UDP and TCP; the scope says the answer holds for the /24.
        for x in range(0, 2000, 97):
            base = subnet_of(x)[:-2]
            for i, (host, srclen) in enumerate([(".17", 32), (".200", 32), (".64", 28)]):
                for tcp in (False, True):
                    r = ask(srv, "s.example.com", tcp=tcp, source=SOURCES[(x + i) % 8],
                            ecs=(base + host, srclen))
                    self.assertEqual(addresses(r), [before[x]], f"{base}{host}/{srclen}")
                    opt = ecs_option(r)
                    self.assertEqual((opt.address, opt.srclen, opt.scopelen),
                                     (base + host, srclen, 24))

        # A source prefix shorter than the sticky prefix: that is hashed.
        self.both(srv, "s.example.com", lambda r: self.assertEqual(
            (ecs_option(r).srclen, ecs_option(r).scopelen), (20, 20)), ecs=("10.0.16.0", 20))
        # Without ECS the source address routes (all of SOURCES are in one
        # /24: one endpoint), and the response has no ECS option.
        without = self.sample(srv, "s.example.com", 24)
        self.assertEqual(len(without), 1, without)
        self.both(srv, "s.example.com", lambda r: self.assertIsNone(ecs_option(r)))
        self.both(srv, "s.example.com", lambda r: self.assertIsNone(r.opt), edns=False)

        # The endpoint of some clients goes down: they all leave it, for
        # the others by weight; when it is back, every client is back where
        # it was (a pure function of subnet and usable set).
        moved_x = next(x for x in subnets if before[x] == "127.0.0.10")
        a.kill()
        wait_until(lambda: addresses(ask(srv, "s.example.com", ecs=(subnet_of(moved_x), 24)))
                   != ["127.0.0.10"], HEALTH_WAIT, "the clients of a to move")
        after = self.sticky_map(srv, "s.example.com", subnets)
        self.assertNotIn("127.0.0.10", after.values())
        moved = [after[x] for x in subnets if before[x] == "127.0.0.10"]
        counts = [moved.count("127.0.0.11"), moved.count("127.0.0.12")]
        stat = chi_square(counts, [2, 3])
        print(f"clients of a moved 2:3 to b and c: {counts}, chi-square {stat:.2f}")
        self.assertLess(stat, CHI2_CRITICAL[1], f"moved clients {counts} do not fit 2:3")
        kept = [x for x in subnets if before[x] != "127.0.0.10"]
        print(f"clients of b and c that moved too: "
              f"{sum(after[x] != before[x] for x in kept)} of {len(kept)}")
        a.restart()
        wait_until(lambda: addresses(ask(srv, "s.example.com", ecs=(subnet_of(moved_x), 24)))
                   == ["127.0.0.10"], HEALTH_WAIT, "the clients of a to return")
        self.assertEqual(self.sticky_map(srv, "s.example.com", subnets), before)
        srv.stop()

    # When a sticky client's endpoint stops answering (down or drained),
    # only its clients move, spread over the others by weight, and they come
    # back when it does.
    def test_weighted_sticky_moves_only_the_clients_of_a_lost_endpoint(self):
        a, b, c, d = self.start("127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13")
        srv = self.serve(zone(profile("s", "weighted", "ttl=5 sticky=yes", [
            f"a 127.0.0.10 weight=1 port={a.port}", f"b 127.0.0.11 weight=2 port={b.port}",
            f"c 127.0.0.12 weight=3 port={c.port}", f"d 127.0.0.13 weight=2 port={d.port}"])))
        self.wait_states(srv, "s.example.com.", {n: "up" for n in "abcd"})
        subnets = range(600)
        before = self.sticky_map(srv, "s.example.com", subnets)

        def unmoved(now, gone):
            moved = [x for x in subnets if before[x] not in gone and now[x] != before[x]]
            self.assertEqual(moved, [], f"{len(moved)} clients of endpoints still answering "
                                        f"moved when {gone} stopped answering")
        # Drained: b's clients move, nobody else's.
        srv.ctl("drain", "s.example.com", "b")
        unmoved(self.sticky_map(srv, "s.example.com", subnets), {"127.0.0.11"})
        # Down as well: a's clients move too, nobody else's.
        a.kill()
        wait_until(lambda: "127.0.0.10" not in self.sticky_map(srv, "s.example.com",
                                                               subnets).values(),
                   HEALTH_WAIT, "the clients of a to move")
        unmoved(self.sticky_map(srv, "s.example.com", subnets), {"127.0.0.10", "127.0.0.11"})
        srv.stop()

    def test_weighted_sticky_scope_is_cut_to_the_server_limit(self):
        a, b = self.start("127.0.0.10", "127.0.0.11")
        srv = self.serve(zone(profile("s", "weighted", "ttl=5 sticky=yes", [
            f"a 127.0.0.10 weight=1 port={a.port}", f"b 127.0.0.11 weight=1 port={b.port}"])),
            args=["--ecs-prefix", "16,48"])
        self.wait_states(srv, "s.example.com.", {"a": "up", "b": "up"})
        # /24 (and /32) clients are routed by their /16: the scope says so,
        # and every /24 of one /16 gets the same endpoint.
        for second in (0, 7, 200):
            first = None
            for third in (0, 1, 99, 255):
                addr = f"10.{second}.{third}.0"
                for tcp in (False, True):
                    r = ask(srv, "s.example.com", tcp=tcp, ecs=(addr, 24))
                    opt = ecs_option(r)
                    self.assertEqual((opt.address, opt.srclen, opt.scopelen), (addr, 24, 16))
                    first = first or addresses(r)
                    self.assertEqual(addresses(r), first, addr)
        self.both(srv, "s.example.com", lambda r: self.assertEqual(
            (ecs_option(r).srclen, ecs_option(r).scopelen), (32, 16)), ecs=("10.3.4.5", 32))
        self.both(srv, "s.example.com", lambda r: self.assertEqual(
            (ecs_option(r).srclen, ecs_option(r).scopelen), (12, 12)), ecs=("10.16.0.0", 12))
        # IPv6: the /48 limit.
        self.both(srv, "s.example.com", lambda r: self.assertEqual(
            (ecs_option(r).srclen, ecs_option(r).scopelen), (56, 48)), ecs=("2001:db8:1:200::", 56))
        # ECS with source prefix 0 asks that no client address be used:
        # the source address routes, and the scope is 0.
        self.both(srv, "s.example.com", lambda r: self.assertEqual(
            (ecs_option(r).srclen, ecs_option(r).scopelen), (0, 0)), ecs=("0.0.0.0", 0))
        srv.stop()

    # ---- all -----------------------------------------------------------------

    def test_all_answers_every_usable_endpoint_rotating(self):
        binds = ["127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13"]
        eps = self.start(*binds)
        lines = [f"e{i} {b} port={e.port}" for i, (b, e) in enumerate(zip(binds, eps))]
        srv = self.serve(zone(profile("all", "all", "ttl=5 max-answers=3", lines),
                              profile("rnd", "all", "ttl=5 max-answers=3 order=random", lines)))
        self.wait_states(srv, "all.example.com.", {f"e{i}": "up" for i in range(4)})
        self.wait_states(srv, "rnd.example.com.", {f"e{i}": "up" for i in range(4)})

        def windows(order, n):
            return {tuple(order[(s + k) % len(order)] for k in range(n))
                    for s in range(len(order))}

        # Rotating: each answer is three endpoints in a row of the profile's
        # order (one RRset), and the start moves on, so all four answer.
        seen = self.sample(srv, "all.example.com", 40)
        self.assertLessEqual(set(seen), windows(binds, 3), seen)
        self.assertEqual({a for answer in seen for a in answer}, set(binds))
        self.assertGreater(len(seen), 1, "the order never rotated")
        self.both(srv, "all.example.com", lambda r: self.assertEqual(len(r.answer), 1))
        self.both(srv, "all.example.com",
                  lambda r: self.assertEqual(ecs_option(r).scopelen, 0), ecs=("10.9.8.0", 24))
        # order=random: three distinct endpoints in any order.
        seen = self.sample(srv, "rnd.example.com", 120)
        for answer in seen:
            self.assertEqual(len(set(answer)), 3, seen)
            self.assertLessEqual(set(answer), set(binds))
        self.assertFalse(set(seen) <= windows(binds, 3), f"never out of rotation: {seen}")

        # A drained endpoint never answers; the other three do, together.
        srv.ctl("drain", "all.example.com", "e1")
        rest = [b for b in binds if b != "127.0.0.11"]
        seen = self.sample(srv, "all.example.com", 30)
        self.assertLessEqual(set(seen), windows(rest, 3), seen)
        # One down: the same.
        eps[3].kill()
        wait_until(lambda: len(addresses(ask(srv, "all.example.com"))) == 2, HEALTH_WAIT,
                   "two records once e3 is down too")
        seen = self.sample(srv, "all.example.com", 30)
        self.assertLessEqual(set(seen), windows(["127.0.0.10", "127.0.0.12"], 2), seen)
        srv.ctl("undrain", "all.example.com", "e1")
        seen = self.sample(srv, "all.example.com", 30)
        self.assertLessEqual(set(seen), windows(binds[:3], 3), seen)
        srv.stop()

    def test_all_refuses_name_endpoints(self):
        tmp = tempfile.mkdtemp(prefix="sb-routing-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        path = os.path.join(tmp, "example.com.zone")
        with open(path, "w") as f:
            f.write(zone("www profile all ttl=5 {\n    monitor none\n"
                         "    endpoint a east priority=1\n    endpoint b west priority=2\n}\n",
                         extra="east A 127.0.0.10\nwest A 127.0.0.11\n"))
        r = subprocess.run([sbtest.BINARY, "check", "--zones", tmp], capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.splitlines(), [
            f"{path}:8:1: profile www.example.com.: routing method all answers with several "
            "address records; a profile of names answers with one CNAME (use priority or "
            "weighted)",
            "1 error in the configuration",
        ])

    # ---- subnet --------------------------------------------------------------

    SUBNET_BINDS = ["127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"]

    def subnet_zone(self, eps):
        p16, p8, p6, pd, plo = (e.port for e in eps)
        return zone(profile("net", "subnet", "ttl=5", [
            f"e16 127.0.0.10 subnets=10.1.0.0/16 port={p16}",
            f"e8 127.0.0.11 subnets=10.0.0.0/8 port={p8}",
            f"e6 127.0.0.12 subnets=2001:db8::/32 port={p6}",
            f"dflt 127.0.0.13 subnets=default port={pd}",
            f"lo 127.0.0.14 subnets=127.0.1.0/24 port={plo}"]))

    def assert_routes(self, srv, cases):
        """cases: (ECS address, source prefix, answer address, scope)."""
        for addr, srclen, want, scope in cases:
            def check(r, addr=addr, srclen=srclen, want=want, scope=scope):
                self.assertEqual(addresses(r), [want])
                opt = ecs_option(r)
                self.assertEqual((opt.address, opt.srclen, opt.scopelen), (addr, srclen, scope))
            self.both(srv, "net.example.com", check, ecs=(addr, srclen))

    def test_subnet_answers_the_longest_match(self):
        eps = self.start(*self.SUBNET_BINDS)
        srv = self.serve(self.subnet_zone(eps))
        self.wait_states(srv, "net.example.com.", {n: "up" for n in
                                                   ("e16", "e8", "e6", "dflt", "lo")})
        self.assert_routes(srv, [
            # Inside 10.1.0.0/16: nothing more specific lies in it.
            ("10.1.2.0", 24, "127.0.0.10", 16),
            ("10.1.255.128", 25, "127.0.0.10", 16),
            # 10.2/16 leaves 10.1/16's path at bit 14 (10.1 = ...0000 0001,
            # 10.2 = ...0000 0010): that bit decided, so scope 15.
            ("10.2.0.0", 24, "127.0.0.11", 15),
            # 10.128/16 leaves it at bit 8.
            ("10.128.3.0", 24, "127.0.0.11", 9),
            ("2001:db8:1::", 48, "127.0.0.12", 32),
            # Outside everything: the default. 192 leaves the IPv4 trie at
            # bit 0 (10/8 and 127.0.1/24 both start with a 0 bit); 2001:db9
            # leaves 2001:db8's path at bit 31.
            ("192.0.2.0", 24, "127.0.0.13", 1),
            ("2001:db9::", 48, "127.0.0.13", 32),
        ])
        # Without ECS, the source address routes (cut to /24), and the
        # response has no ECS option.
        for source, want in (("127.0.0.1", "127.0.0.13"), ("127.0.0.5", "127.0.0.13"),
                             ("127.0.1.1", "127.0.0.14"), ("127.0.1.77", "127.0.0.14")):
            def check(r, want=want):
                self.assertEqual(addresses(r), [want])
                self.assertIsNone(ecs_option(r))
            self.both(srv, "net.example.com", check, source=source)

        # The matched endpoint down: the default answers (not the /8 that
        # holds it), and clients of others are unmoved.
        eps[0].kill()
        wait_until(lambda: addresses(ask(srv, "net.example.com", ecs=("10.1.2.0", 24)))
                   == ["127.0.0.13"], HEALTH_WAIT, "10.1/16 clients to get the default")
        self.assert_routes(srv, [("10.1.2.0", 24, "127.0.0.13", 16),
                                 ("10.2.0.0", 24, "127.0.0.11", 15)])
        # The default down too: the first usable endpoint.
        eps[3].kill()
        wait_until(lambda: addresses(ask(srv, "net.example.com", ecs=("10.1.2.0", 24)))
                   == ["127.0.0.11"], HEALTH_WAIT, "10.1/16 clients to get the first usable")
        self.assert_routes(srv, [("192.0.2.0", 24, "127.0.0.11", 1)])
        # Back again.
        eps[0].restart()
        wait_until(lambda: addresses(ask(srv, "net.example.com", ecs=("10.1.2.0", 24)))
                   == ["127.0.0.10"], HEALTH_WAIT, "10.1/16 clients to return")
        srv.stop()

    def test_subnet_by_source_address_at_full_length(self):
        """Without ECS the source address routes, cut to --ecs-prefix: at
        the default /24 a /29 of 127.0.0.0 could not tell 127.0.0.2 from
        127.0.0.9; with 32,128 it does."""
        lo, other = self.start("127.0.0.10", "127.0.0.11")
        srv = self.serve(zone(profile("net", "subnet", "ttl=5", [
            f"lo 127.0.0.10 subnets=127.0.0.0/29 port={lo.port}",
            f"other 127.0.0.11 subnets=default port={other.port}"])),
            args=["--ecs-prefix", "32,128"])
        self.wait_states(srv, "net.example.com.", {"lo": "up", "other": "up"})
        for n in range(1, 12):
            want = "127.0.0.10" if n < 8 else "127.0.0.11"

            def check(r, want=want):
                self.assertEqual(addresses(r), [want])
                self.assertIsNone(ecs_option(r))
            self.both(srv, "net.example.com", check, source=f"127.0.0.{n}")
        # The same networks by ECS /32: 127.0.0.5 is inside the /29 (scope
        # 29); 127.0.0.9 leaves its path at bit 28 (scope 29 too).
        for addr, want in (("127.0.0.5", "127.0.0.10"), ("127.0.0.9", "127.0.0.11")):
            def check(r, addr=addr, want=want):
                self.assertEqual(addresses(r), [want])
                opt = ecs_option(r)
                self.assertEqual((opt.address, opt.srclen, opt.scopelen), (addr, 32, 29))
            self.both(srv, "net.example.com", check, ecs=(addr, 32))
        srv.stop()

    # ---- all-down policies ---------------------------------------------------

    def test_all_down_policies(self):
        a, b = self.start("127.0.0.10", "127.0.0.11")
        addr = [f"a 127.0.0.10 priority=1 port={a.port}", f"b 127.0.0.11 priority=2 port={b.port}"]
        names = [f"a x priority=1 port={a.port}", f"b y priority=2 port={b.port}"]
        srv = self.serve(zone(
            profile("open", "priority", "ttl=5", addr),
            profile("wopen", "weighted", "ttl=5", addr),
            profile("closed", "priority", "ttl=5 all-down=fail-closed", addr),
            profile("closed120", "priority", "ttl=120 all-down=fail-closed", addr),
            profile("fb", "priority", "ttl=5 fallback=127.0.0.99", addr),
            profile("nopen", "priority", "ttl=5", names),
            profile("nclosed", "priority", "ttl=5 all-down=fail-closed", names),
            profile("nfb", "priority", "ttl=5 fallback=backup", names),
            extra="x A 127.0.0.10\ny A 127.0.0.11\nbackup A 127.0.0.99\n"))
        owners = ["open", "wopen", "closed", "closed120", "fb", "nopen", "nclosed", "nfb"]
        for o in owners:
            self.wait_states(srv, f"{o}.example.com.", {"a": "up", "b": "up"})
        for o in ("open", "closed", "closed120", "fb"):
            self.both(srv, f"{o}.example.com",
                      lambda r: self.assertEqual(addresses(r), ["127.0.0.10"]))
        for o in ("nopen", "nclosed", "nfb"):
            self.both(srv, f"{o}.example.com",
                      lambda r: self.assertEqual(cname_target(r), "x.example.com."))

        mark = len(srv.lines)
        a.kill()
        b.kill()
        for o in owners:
            self.wait_states(srv, f"{o}.example.com.", {"a": "down", "b": "down"})
        # The log says which policy each profile follows now.
        for o, family, answering, policy in [
                ("open", " family=ipv4", "a", "fail-open"),
                ("wopen", " family=ipv4", "a,b", "fail-open"),
                ("closed", " family=ipv4", "none", "fail-closed"),
                ("fb", " family=ipv4", "fallback", "fallback"),
                ("nopen", "", "a", "fail-open"),
                ("nclosed", "", "none", "fail-closed"),
                ("nfb", "", "fallback", "fallback")]:
            line = srv.wait_log(rf"event=all-down profile={o}\.example\.com\.{family} ", 2.0,
                                start=mark)
            fields = sbtest.log_fields(line)
            self.assertEqual((fields["answering"], fields["policy"]), (answering, policy), line)

        # fail-open: the first eligible (priority), or the method over all
        # eligible (weighted).
        self.both(srv, "open.example.com",
                  lambda r: self.assertEqual(addresses(r), ["127.0.0.10"]))
        self.assertEqual(self.singles(srv, "wopen.example.com", 60),
                         {"127.0.0.10", "127.0.0.11"})
        self.both(srv, "nopen.example.com", lambda r: self.assertEqual(sbtest.answer_texts(r), [
            "nopen.example.com. 5 CNAME x.example.com.", "x.example.com. 3600 A 127.0.0.10"]))

        # fail-closed: NODATA with the SOA, its TTL capped at the profile's.
        def nodata(ttl):
            def check(r):
                self.assertEqual(r.answer, [])
                self.assertEqual(len(r.authority), 1, r)
                soa = r.authority[0]
                self.assertEqual((str(soa.name), soa.rdtype, soa.ttl),
                                 ("example.com.", dns.rdatatype.SOA, ttl))
            return check
        self.both(srv, "closed.example.com", nodata(5))
        self.both(srv, "closed120.example.com", nodata(60))  # SOA minimum 60 < 120
        self.both(srv, "nclosed.example.com", nodata(5))
        # fallback: that address, or that name.
        self.both(srv, "fb.example.com", lambda r: self.assertEqual(sbtest.answer_texts(r), [
            "fb.example.com. 5 A 127.0.0.99"]))
        self.both(srv, "nfb.example.com", lambda r: self.assertEqual(sbtest.answer_texts(r), [
            "nfb.example.com. 5 CNAME backup.example.com.",
            "backup.example.com. 3600 A 127.0.0.99"]))
        st = self.status(srv)
        self.assertEqual(st["closed.example.com."]["answering"]["ipv4_status"], "fail-closed")
        self.assertIsNone(st["closed.example.com."]["answering"]["ipv4"])
        self.assertEqual(st["fb.example.com."]["answering"]["ipv4_status"], "fallback")
        self.assertEqual(st["nfb.example.com."]["answering"]["status"], "fallback")
        self.assertEqual(st["nopen.example.com."]["answering"]["status"], "fail-open")
        self.assertTrue(st["nopen.example.com."]["answering"]["fail_open"])

        # b comes back: every profile answers it, and says the all-down ended.
        mark = len(srv.lines)
        b.restart()
        for o in owners:
            self.wait_states(srv, f"{o}.example.com.", {"b": "up"})
        for o in ("open", "wopen", "closed", "closed120", "fb"):
            self.both(srv, f"{o}.example.com",
                      lambda r: self.assertEqual(addresses(r), ["127.0.0.11"]))
            srv.wait_log(rf"event=all-down-end profile={o}\.example\.com\. family=ipv4 "
                         r"answering=b", 2.0, start=mark)
        for o in ("nopen", "nclosed", "nfb"):
            self.both(srv, f"{o}.example.com",
                      lambda r: self.assertEqual(cname_target(r), "y.example.com."))
            srv.wait_log(rf"event=all-down-end profile={o}\.example\.com\. answering=b", 2.0,
                         start=mark)
        srv.stop()

    # ---- overrides -----------------------------------------------------------

    OVERRIDE_BINDS = ["127.0.0.10", "127.0.0.11", "127.0.0.12"]
    DEAD = "127.0.0.13"

    def override_server(self, method, settings, per_endpoint):
        """a, b, c healthy and d dead (connect refused), with the method's
        own settings per endpoint."""
        eps = self.start(*self.OVERRIDE_BINDS)
        ports = [e.port for e in eps] + [dead_port()]
        lines = [f"{n} {b} port={p} {s}".rstrip() for n, b, p, s in
                 zip("abcd", self.OVERRIDE_BINDS + [self.DEAD], ports, per_endpoint)]
        srv = self.serve(zone(profile("ov", method, f"ttl=5 {settings}".strip(), lines)))
        self.wait_states(srv, "ov.example.com.", {"a": "up", "b": "up", "c": "up", "d": "down"})
        return srv

    def test_overrides_on_weighted(self):
        srv = self.override_server("weighted", "", ["weight=1"] * 4)
        a, b, c, d = self.OVERRIDE_BINDS + [self.DEAD]
        self.assertEqual(self.singles(srv, "ov.example.com", 90), {a, b, c})
        srv.ctl("drain", "ov.example.com", "b")
        self.assertEqual(self.singles(srv, "ov.example.com", 90), {a, c})
        srv.ctl("undrain", "ov.example.com", "b")
        srv.ctl("force", "ov.example.com", "a", "down")
        self.assertEqual(self.singles(srv, "ov.example.com", 90), {b, c})
        srv.ctl("unforce", "ov.example.com", "a")
        srv.ctl("force", "ov.example.com", "d", "up")
        self.assertEqual(self.singles(srv, "ov.example.com", 120), {a, b, c, d})
        srv.ctl("unforce", "ov.example.com", "d")
        self.assertEqual(self.singles(srv, "ov.example.com", 90), {a, b, c})
        srv.ctl("switchover", "ov.example.com", "c")
        self.assertEqual(self.singles(srv, "ov.example.com", 90), {c})
        for x in range(0, 200, 7):
            self.both(srv, "ov.example.com", lambda r: self.assertEqual(addresses(r), [c]),
                      ecs=(subnet_of(x), 24))
        srv.ctl("failback", "ov.example.com")
        self.assertEqual(self.singles(srv, "ov.example.com", 90), {a, b, c})
        srv.stop()

    def test_overrides_on_weighted_sticky(self):
        srv = self.override_server("weighted", "sticky=yes", ["weight=1"] * 4)
        a, b, c, d = self.OVERRIDE_BINDS + [self.DEAD]
        subnets = range(300)
        before = self.sticky_map(srv, "ov.example.com", subnets)
        self.assertEqual(set(before.values()), {a, b, c})
        # Drained: its clients move (whether others' stay is
        # test_weighted_sticky_moves_only_the_clients_of_a_lost_endpoint).
        srv.ctl("drain", "ov.example.com", "b")
        now = self.sticky_map(srv, "ov.example.com", subnets)
        self.assertNotIn(b, now.values())
        self.assertEqual(set(now.values()), {a, c})
        srv.ctl("undrain", "ov.example.com", "b")
        self.assertEqual(self.sticky_map(srv, "ov.example.com", subnets), before)
        # Forced up although dead: it takes its share of clients.
        srv.ctl("force", "ov.example.com", "d", "up")
        now = self.sticky_map(srv, "ov.example.com", subnets)
        self.assertIn(d, now.values())
        srv.ctl("unforce", "ov.example.com", "d")
        self.assertEqual(self.sticky_map(srv, "ov.example.com", subnets), before)
        # Switchover: every client, whatever its subnet; the answer no
        # longer depends on the client (scope 0).
        srv.ctl("switchover", "ov.example.com", "a")
        for x in range(0, 300, 11):
            def check(r):
                self.assertEqual(addresses(r), [a])
                self.assertEqual(ecs_option(r).scopelen, 0)
            self.both(srv, "ov.example.com", check, ecs=(subnet_of(x), 24))
        self.both(srv, "ov.example.com", lambda r: self.assertEqual(addresses(r), [a]))
        srv.ctl("failback", "ov.example.com")
        self.assertEqual(self.sticky_map(srv, "ov.example.com", subnets), before)
        srv.stop()

    def test_overrides_on_all(self):
        srv = self.override_server("all", "", [""] * 4)
        a, b, c, d = self.OVERRIDE_BINDS + [self.DEAD]

        def answers(want):
            seen = self.sample(srv, "ov.example.com", 12)
            for answer in seen:
                self.assertEqual(sorted(answer), sorted(want), seen)
        answers([a, b, c])
        srv.ctl("drain", "ov.example.com", "b")
        answers([a, c])
        srv.ctl("undrain", "ov.example.com", "b")
        srv.ctl("force", "ov.example.com", "a", "down")
        answers([b, c])
        srv.ctl("unforce", "ov.example.com", "a")
        srv.ctl("force", "ov.example.com", "d", "up")
        answers([a, b, c, d])
        srv.ctl("unforce", "ov.example.com", "d")
        answers([a, b, c])
        srv.ctl("switchover", "ov.example.com", "c")
        answers([c])
        srv.ctl("failback", "ov.example.com")
        answers([a, b, c])
        srv.stop()

    def test_overrides_on_subnet(self):
        srv = self.override_server("subnet", "", [
            "subnets=10.1.0.0/16", "subnets=10.2.0.0/16", "subnets=default",
            "subnets=10.4.0.0/16"])
        a, b, c, d = self.OVERRIDE_BINDS + [self.DEAD]
        clients = ["10.1.0.0", "10.2.0.0", "10.4.0.0", "192.0.2.0"]

        def routes(want):
            for client, w in zip(clients, want):
                self.both(srv, "ov.example.com",
                          lambda r, w=w: self.assertEqual(addresses(r), [w]),
                          ecs=(client, 24))
        routes([a, b, c, c])  # d is dead: its clients get the default
        srv.ctl("drain", "ov.example.com", "a")
        routes([c, b, c, c])
        srv.ctl("undrain", "ov.example.com", "a")
        srv.ctl("force", "ov.example.com", "b", "down")
        routes([a, c, c, c])
        srv.ctl("unforce", "ov.example.com", "b")
        srv.ctl("force", "ov.example.com", "d", "up")
        routes([a, b, d, c])
        srv.ctl("unforce", "ov.example.com", "d")
        routes([a, b, c, c])
        srv.ctl("switchover", "ov.example.com", "b")
        routes([b, b, b, b])
        self.both(srv, "ov.example.com", lambda r: self.assertEqual(addresses(r), [b]))
        srv.ctl("failback", "ov.example.com")
        routes([a, b, c, c])
        # A switchover to an endpoint that is not usable pins nobody.
        srv.ctl("switchover", "ov.example.com", "d")
        routes([a, b, c, c])
        srv.ctl("failback", "ov.example.com")
        srv.stop()

    # ---- status --------------------------------------------------------------

    def test_status_json(self):
        a, b, z = self.start("127.0.0.10", "127.0.0.11", "127.0.0.12")
        srv = self.serve(zone(
            profile("w", "weighted", "ttl=5", [
                f"a 127.0.0.10 weight=1 port={a.port}", f"b 127.0.0.11 weight=3 port={b.port}",
                f"z 127.0.0.12 weight=0 port={z.port}"]),
            profile("net", "subnet", "ttl=5 all-down=fail-closed", [
                f"a 127.0.0.10 subnets=10.1.0.0/16,2001:db8::/32 port={a.port}",
                f"b 127.0.0.11 subnets=default port={b.port}"]),
            profile("all", "all", "ttl=5 fallback=127.0.0.99", [
                f"a 127.0.0.10 port={a.port}", f"b 127.0.0.11 port={b.port}"])))
        for o in ("w", "net", "all"):
            self.wait_states(srv, f"{o}.example.com.", {"a": "up", "b": "up"})
        st = self.status(srv)
        w, net, al = st["w.example.com."], st["net.example.com."], st["all.example.com."]
        self.assertEqual([(p["method"], p["all_down"]) for p in (w, net, al)],
                         [("weighted", "fail-open"), ("subnet", "fail-closed"),
                          ("all", "fallback")])
        self.assertEqual(al["fallback"], "127.0.0.99")
        for p in (w, net, al):
            self.assertEqual(p["answering"]["ipv4_status"], "answering")
            self.assertFalse(p["answering"]["ipv4_fail_open"])
            self.assertEqual(p["answering"]["ipv6_status"], "none")
        eps = {e["name"]: e for e in w["endpoints"]}
        self.assertEqual({n: (e["weight"], e["share_percent"], e["answers_now"])
                          for n, e in eps.items()},
                         {"a": (1, 25.0, True), "b": (3, 75.0, True), "z": (0, 0.0, False)})
        self.assertEqual(w["answering"]["ipv4"], "a,b")
        for e in eps.values():
            self.assertNotIn("subnets", e)
        eps = {e["name"]: e for e in net["endpoints"]}
        self.assertEqual({n: (e["subnets"], e["default"], e["answers_now"])
                          for n, e in eps.items()},
                         {"a": (["10.1.0.0/16", "2001:db8::/32"], False, True),
                          "b": ([], True, True)})
        self.assertNotIn("weight", eps["a"])
        self.assertEqual([e["answers_now"] for e in al["endpoints"]], [True, True])

        # a down: its share goes to b, it answers nobody.
        a.kill()
        for o in ("w", "net", "all"):
            self.wait_states(srv, f"{o}.example.com.", {"a": "down"})
        st = self.status(srv)
        eps = {e["name"]: e for e in st["w.example.com."]["endpoints"]}
        self.assertEqual({n: (e["share_percent"], e["answers_now"]) for n, e in eps.items()},
                         {"a": (0.0, False), "b": (100.0, True), "z": (0.0, False)})
        self.assertEqual([e["answers_now"] for e in st["net.example.com."]["endpoints"]],
                         [False, True])
        self.assertEqual(st["all.example.com."]["answering"]["ipv4"], "b")
        # b down too: z alone, all of the share; subnet fails closed; all
        # falls back.
        b.kill()
        for o in ("w", "net", "all"):
            self.wait_states(srv, f"{o}.example.com.", {"b": "down"})
        st = self.status(srv)
        eps = {e["name"]: e for e in st["w.example.com."]["endpoints"]}
        self.assertEqual({n: (e["share_percent"], e["answers_now"]) for n, e in eps.items()},
                         {"a": (0.0, False), "b": (0.0, False), "z": (100.0, True)})
        self.assertEqual(st["w.example.com."]["answering"]["ipv4_status"], "answering")
        self.assertEqual(st["net.example.com."]["answering"]["ipv4_status"], "fail-closed")
        self.assertEqual(st["all.example.com."]["answering"]["ipv4_status"], "fallback")
        self.assertEqual(st["all.example.com."]["answering"]["ipv4"], "fallback")
        for p in ("net.example.com.", "all.example.com."):
            self.assertEqual([e["answers_now"] for e in st[p]["endpoints"]], [False, False])
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
