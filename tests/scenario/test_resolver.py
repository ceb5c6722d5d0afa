"""A real recursive resolver (unbound) delegated to Switchboard: it resolves
the traffic-managed names, follows their CNAMEs (within a zone and across
the two served zones), gets negative answers right with QNAME minimisation
on, and sees a failover once its short-TTL cache entry expires.

unbound runs in the foreground as the current user with a generated config:
iterator only (no DNSSEC), stub zones pointing at Switchboard's ephemeral
port, caches capped at 1 s so that failover is visible through it."""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

import sbtest
from sbtest import ScenarioCase, cname_target, wait_until

UNBOUND = "/usr/sbin/unbound"
UNBOUND_READY_TIMEOUT = 10.0

INTERVAL = 0.2  # the minimum interval the zone format allows
TIMEOUT = 0.1
FALL = 2
RISE = 2
TTL = 1


def example_com(east, west, app_east, app_west):
    return sbtest.ZONE_HEADER + f"""east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl={TTL} {{
          monitor http path=/health interval={int(INTERVAL * 1000)}ms
                  timeout={int(TIMEOUT * 1000)}ms fall={FALL} rise={RISE}
          endpoint east east.example.com. priority=1 port={east.port}
          endpoint west west.example.com. priority=2 port={west.port}
      }}
; the targets live in the other served zone
app   profile priority ttl={TTL} {{
          monitor http path=/health interval={int(INTERVAL * 1000)}ms
                  timeout={int(TIMEOUT * 1000)}ms fall={FALL} rise={RISE}
          endpoint app-east app-east.example.net. priority=1 port={app_east.port}
          endpoint app-west app-west.example.net. priority=2 port={app_west.port}
      }}
api   profile priority ttl={TTL} {{
          monitor none
          endpoint one 127.0.0.40 priority=1
          endpoint two 127.0.0.41 priority=2
      }}
; a static chain ending below two empty non-terminals
old            CNAME  legacy
legacy         CNAME  host.lab.dc1
host.lab.dc1   A      127.0.0.30
; a static CNAME to a profile
alias          CNAME  www
"""


EXAMPLE_NET = """$ORIGIN example.net.
$TTL 3600
@         SOA  ns1 hostmaster 2026112101 7200 900 1209600 60
@         NS   ns1
ns1       A    127.0.0.1
app-east  A    127.0.0.12
app-west  A    127.0.0.13
"""


class UnboundExited(Exception):
    pass


class Unbound:
    """unbound -d with a generated config, stub zones at `sb_port`."""

    def __init__(self, sb_port, zones=("example.com", "example.net"), attempts=3):
        self.tmp = tempfile.mkdtemp(prefix="sb-unbound-")
        self.lines = []
        self.proc = None
        try:
            for attempt in range(attempts):
                self.port = sbtest.free_port()
                self._write_config(sb_port, zones)
                self._start()
                try:
                    wait_until(self._answers_soa, UNBOUND_READY_TIMEOUT,
                               "unbound to answer example.com SOA")
                    return
                except UnboundExited:
                    # Most likely the port was taken between picking and
                    # binding it: try another one.
                    if attempt == attempts - 1:
                        raise AssertionError("unbound exited at start; log:\n" + self.log())
                except AssertionError as e:
                    raise AssertionError(f"{e}\nunbound log:\n{self.log()}") from None
        except BaseException:
            self.stop()
            raise

    def _write_config(self, sb_port, zones):
        stubs = "".join(f"""
stub-zone:
    name: "{zone}"
    stub-addr: 127.0.0.1@{sb_port}
""" for zone in zones)
        self.conf = os.path.join(self.tmp, "unbound.conf")
        with open(self.conf, "w") as f:
            f.write(f"""server:
    verbosity: 1
    interface: 127.0.0.1
    port: {self.port}
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{self.tmp}"
    pidfile: "{os.path.join(self.tmp, 'unbound.pid')}"
    use-syslog: no
    logfile: ""
    log-time-ascii: yes
    num-threads: 1
    so-reuseport: no
    do-not-query-localhost: no
    module-config: "iterator"
    cache-max-ttl: 1
    cache-min-ttl: 0
    cache-max-negative-ttl: 1
    qname-minimisation: yes
    qname-minimisation-strict: no
    prefetch: no
    serve-expired: no
    minimal-responses: no
remote-control:
    control-enable: no
{stubs}""")

    def _start(self):
        self.lines = []
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     errors="replace")
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()

    @staticmethod
    def _read(proc, lines):
        with proc.stdout:
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))

    def _answers_soa(self):
        if self.proc.poll() is not None:
            raise UnboundExited()
        r = self.query("example.com", "SOA", timeout=1.0)
        return r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1

    def query(self, name, rdtype="A", timeout=2.0):
        q = dns.message.make_query(name, rdtype)  # RD set
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)

    def log(self):
        return "\n".join(self.lines[-60:])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def rrsets(msg, section="answer"):
    """[(name, type, [rdata text]), ...] of a section, in order."""
    return [(str(rr.name), dns.rdatatype.to_text(rr.rdtype), sorted(str(rd) for rd in rr))
            for rr in getattr(msg, section)]


@unittest.skipUnless(os.path.exists(UNBOUND),
                     f"{UNBOUND} is not installed (apt-get install unbound)")
class Resolver(ScenarioCase):
    def setUp(self):
        self.east = self.endpoint("http", bind="127.0.0.10")
        self.west = self.endpoint("http", bind="127.0.0.11")
        self.app_east = self.endpoint("http", bind="127.0.0.12")
        self.app_west = self.endpoint("http", bind="127.0.0.13")
        self.srv = self.server({
            "example.com.zone": example_com(self.east, self.west, self.app_east, self.app_west),
            "example.net.zone": EXAMPLE_NET,
        })
        self.ub = Unbound(self.srv.port)
        self.addCleanup(self.ub.stop)

    def run(self, result=None):
        # On failure, show what unbound and switchboard logged.
        failures = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > failures:
            ub = getattr(self, "ub", None)
            srv = getattr(self, "srv", None)
            if ub is not None:
                print(f"\n--- unbound log ({self.id()}) ---\n{ub.log()}")
            if srv is not None:
                print(f"--- switchboard log ({self.id()}) ---\n" + "\n".join(srv.lines[-40:]))
        return out

    def resolve(self, name, rdtype="A"):
        r = self.ub.query(name, rdtype)
        self.assertTrue(r.flags & dns.flags.QR)
        self.assertTrue(r.flags & dns.flags.RA, "the resolver sets RA")
        self.assertFalse(r.flags & dns.flags.AA, "a resolver's answer is not authoritative")
        return r

    def answer_pointing_to(self, name, target):
        """The resolver's answer for `name` if its CNAME points to `target`."""
        r = self.ub.query(name)
        return r if cname_target(r) == target else None

    def assertResolves(self, r, expected):
        self.assertEqual(r.rcode(), dns.rcode.NOERROR, r.to_text())
        self.assertEqual(rrsets(r), expected, r.to_text())

    def test_profile_cname_within_and_across_zones(self):
        r = self.resolve("www.example.com", "A")
        self.assertResolves(r, [
            ("www.example.com.", "CNAME", ["east.example.com."]),
            ("east.example.com.", "A", ["127.0.0.10"]),
        ])
        self.assertLessEqual(r.answer[0].ttl, TTL)
        # The profile's CNAME answers any type; AAAA of the target is NODATA.
        r = self.resolve("www.example.com", "AAAA")
        self.assertResolves(r, [("www.example.com.", "CNAME", ["east.example.com."])])

        # Across zones: the resolver follows the CNAME into example.net,
        # through the second stub.
        r = self.resolve("app.example.com", "A")
        self.assertResolves(r, [
            ("app.example.com.", "CNAME", ["app-east.example.net."]),
            ("app-east.example.net.", "A", ["127.0.0.12"]),
        ])
        self.assertLessEqual(r.answer[0].ttl, TTL)

    def test_failover_is_seen_through_the_resolver(self):
        www = [("www.example.com.", "CNAME", ["east.example.com."]),
               ("east.example.com.", "A", ["127.0.0.10"])]
        self.assertResolves(self.resolve("www.example.com"), www)

        # Out within fall x interval (+ a timeout), plus the resolver's cache
        # time, plus slack for a loaded machine. unbound counts time in whole
        # seconds, so a TTL of 1 can keep an entry for up to 2 s.
        cached = TTL + 1.0
        bound = FALL * INTERVAL + TIMEOUT + cached + 2.0
        mark = len(self.srv.lines)
        self.east.kill()
        killed = time.monotonic()
        r = wait_until(lambda: self.answer_pointing_to("www.example.com", "west.example.com."),
                       bound, "the resolver's answer to move to west")
        moved = time.monotonic() - killed
        self.assertResolves(r, [("www.example.com.", "CNAME", ["west.example.com."]),
                                ("west.example.com.", "A", ["127.0.0.11"])])
        self.srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=east to=west "
                          r"cause=probe", 1.0, start=mark)
        # The static alias follows the profile too.
        r = self.resolve("alias.example.com")
        self.assertEqual(rrsets(r)[1], ("www.example.com.", "CNAME", ["west.example.com."]))

        mark = len(self.srv.lines)
        self.east.restart()
        restarted = time.monotonic()
        bound = RISE * INTERVAL + TIMEOUT + cached + 2.0
        wait_until(lambda: self.answer_pointing_to("www.example.com", "east.example.com."),
                   bound, "the resolver's answer to return to east")
        back = time.monotonic() - restarted
        self.srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=west to=east",
                          1.0, start=mark)
        self.assertResolves(self.resolve("www.example.com"), www)
        print(f"through unbound: failover seen after {moved:.2f}s, recovery after {back:.2f}s")

    def test_nxdomain_and_nodata(self):
        for name in ("missing.example.com", "a.b.missing.example.com",
                     "nothing.lab.dc1.example.com", "missing.example.net"):
            r = self.resolve(name, "A")
            self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN, f"{name}: {r.to_text()}")
            self.assertEqual(r.answer, [], name)
            zone = "example.net." if name.endswith(".net") else "example.com."
            self.assertEqual([(str(rr.name), rr.rdtype) for rr in r.authority],
                             [(zone, dns.rdatatype.SOA)], f"{name}: {r.to_text()}")

        for name, rdtype in (("east.example.com", "MX"),       # a name without the type
                             ("app-east.example.net", "AAAA"),
                             ("api.example.com", "AAAA"),      # an IPv4-only profile
                             ("lab.dc1.example.com", "A"),     # empty non-terminals
                             ("dc1.example.com", "TXT")):
            r = self.resolve(name, rdtype)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR, f"{name} {rdtype}: {r.to_text()}")
            self.assertEqual(r.answer, [], f"{name} {rdtype}")
            zone = "example.net." if name.endswith(".net") else "example.com."
            self.assertEqual([(str(rr.name), rr.rdtype) for rr in r.authority],
                             [(zone, dns.rdatatype.SOA)], f"{name} {rdtype}: {r.to_text()}")

    def test_static_cname_chain_and_address_profile(self):
        # With QNAME minimisation the resolver walks dc1 and lab.dc1 (empty
        # non-terminals, NODATA) before the final name.
        self.assertResolves(self.resolve("host.lab.dc1.example.com"), [
            ("host.lab.dc1.example.com.", "A", ["127.0.0.30"]),
        ])
        self.assertResolves(self.resolve("old.example.com"), [
            ("old.example.com.", "CNAME", ["legacy.example.com."]),
            ("legacy.example.com.", "CNAME", ["host.lab.dc1.example.com."]),
            ("host.lab.dc1.example.com.", "A", ["127.0.0.30"]),
        ])
        # A static CNAME to a profile: the chain ends at the profile's choice.
        self.assertResolves(self.resolve("alias.example.com"), [
            ("alias.example.com.", "CNAME", ["www.example.com."]),
            ("www.example.com.", "CNAME", ["east.example.com."]),
            ("east.example.com.", "A", ["127.0.0.10"]),
        ])
        # An address profile answers A directly.
        r = self.resolve("api.example.com", "A")
        self.assertResolves(r, [("api.example.com.", "A", ["127.0.0.40"])])
        self.assertLessEqual(r.answer[0].ttl, TTL)


if __name__ == "__main__":
    sbtest.main()
