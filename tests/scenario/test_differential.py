"""Differential test against NSD: the same zone files served by Switchboard
and by NSD (Debian 12's /usr/sbin/nsd, 4.6.1, started here on an ephemeral
loopback port), the same queries sent to both, every pair of responses
compared.

What it proves: on every path an authoritative server has — apex data,
CNAME chains within a zone and across zones, loops, dangling CNAMEs, CNAMEs
into delegations, RFC 4592 wildcards (beside other names, wildcard CNAMEs
and MX), empty non-terminals, referrals with in-domain, sibling and
out-of-zone name servers, DS at a cut and at a served child's apex, a
nested zone, RFC 6672 DNAMEs (into another served zone, into their own
zone, out of every served zone, to nothing, in a loop, too long: YXDOMAIN),
additional-section addresses, truncation, names we do not serve — Switchboard
answers as an established implementation does, or differs only in a way
listed in PERMITTED below, each with the RFC section that allows it.

Queries are generated deterministically (a fixed seed): a fixed list that
walks each path once, then names drawn from every owner in the zones and
names around them (non-existent children and siblings, names below
wildcards, DNAMEs and cuts, random labels, 0x20 mixed case) times many
QTYPEs, without EDNS, with it (512, 1232 and 4096 bytes, with and without
DO), some over TCP, some with RD. SB_DIFF_QUERIES sets how many (3000 by
default). A response that is truncated on either side is asked again over
TCP, and that pair is compared too.

Responses are compared normalised: rcode, opcode, every header flag, the
question echoed byte for byte, and the answer, authority and additional
sections as sets of RRsets (owner, class, type, TTLs, rdata set, record
count), ignoring the OPT record, section order and name case (RFC 4343). A
difference is permitted only when rules from PERMITTED, each matching one
specific shape, explain all of it; every other one is printed with both
responses and fails the test, after all queries were checked.
SB_DIFF_SHOW_PERMITTED=1 prints the permitted pairs too, to audit the table.

NSD runs in the foreground as the current user with a generated config in
a temporary directory: no database, one server process, no remote control,
response rate limiting off (it would answer some of our bursts with TC).
"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

import peer_conf
import sbtest
from sbtest import ScenarioCase, wait_until

NSD = "/usr/sbin/nsd"
NSD_READY_TIMEOUT = 10.0
QUERIES = int(os.environ.get("SB_DIFF_QUERIES", "3000"))
SHOW_PERMITTED = bool(os.environ.get("SB_DIFF_SHOW_PERMITTED"))  # to audit the table
SEED = 20261202
TIMEOUT = 2.0  # per exchange; a lost UDP datagram is sent once more

# --- zones -------------------------------------------------------------------
# Static records only: NSD knows nothing of profile blocks. Every file is
# accepted by `switchboard check` and by nsd-checkzone.

BIG = "".join(f'big      TXT   "{i:02d}-{"b" * 70}"\n' for i in range(10))  # > 512 bytes
HUGE = "".join(f'huge     TXT   "{i:02d}-{"h" * 200}"\n' for i in range(20))  # > 4096
# Ten name servers inside the delegation: their glue does not fit in 512
# bytes, so a referral without EDNS must set TC (RFC 9471 §3.1).
BIGGLUE = "".join(f"bigglue  NS    ns{i}.bigglue\n" for i in range(1, 11)) + "".join(
    f"ns{i}.bigglue A   192.0.2.{100 + i}\nns{i}.bigglue AAAA 2001:db8::1:{i}\n"
    for i in range(1, 11))
# Eleven CNAMEs: longer than the eight Switchboard follows.
LONG_CHAIN = "".join(f"long{i}   CNAME long{i + 1}\n" for i in range(10)) + "long10   CNAME www\n"
# 196 bytes: a name of more than 59 bytes below dn-long is over 255 once
# rewritten (YXDOMAIN, RFC 6672 §2.2).
LONG_TARGET = f"{'l' * 60}.{'m' * 60}.{'n' * 60}.example.net."

EXAMPLE_COM = f"""$ORIGIN example.com.
$TTL 3600
@        SOA   ns1 hostmaster 2026112101 7200 900 1209600 300
@        NS    ns1
@        NS    ns2.example.net.
@        MX    10 mail
@        MX    20 mx.example.net.
@        TXT   "v=spf1 -all"
@        CAA   0 issue "ca.example.net"
ns1      A     192.0.2.53
ns1      AAAA  2001:db8::53
mail     A     192.0.2.25
mail     AAAA  2001:db8::25
www      A     192.0.2.80
www      AAAA  2001:db8::80
www 600  TXT   "www"
www      HTTPS 1 . alpn=h2,h3
svc      SVCB  1 www port=8443
txt      TXT   "hello world" "second string"
multi 300 A    192.0.2.1
multi 300 A    192.0.2.2
multi 300 A    192.0.2.3
sshfp    SSHFP 4 2 {'ab' * 32}
unk      TYPE666 \\# 4 deadbeef
caa      CAA   0 issue "ca.example.net; account=1"
caa      CAA   128 iodef "mailto:sec@example.com"
ptr      PTR   www.example.com.
; MX and SRV targets: in this zone, in the other one, covered by a
; wildcard, below a cut, IPv6 only, a CNAME, the root ("no service")
mxwild   MX    10 a.wmx
mxdeleg  MX    10 ns1.deleg
mxwc     MX    10 mx.wild
mx6      MX    10 v6only
v6only   AAAA  2001:db8::6
_sip._tcp SRV  10 60 5060 sip1
_sip._tcp SRV  20 40 5060 sip2.example.net.
_sip._udp SRV  0 0 0 .
_xmpp._tcp SRV 5 0 5269 chat.wild
_cn._tcp SRV   0 0 80 c1
sip1     A     192.0.2.60
; CNAMEs
c1       CNAME c2
c2       CNAME c3
c3       CNAME www
cnet     CNAME www.example.net.
cback    CNAME back.example.net.
cmx      CNAME @
{LONG_CHAIN}loop1    CNAME loop2
loop2    CNAME loop3
loop3    CNAME loop1
self     CNAME self
xloop    CNAME xloop.example.net.
dangling CNAME nowhere
dangnet  CNAME nowhere.example.net.
to-ent   CNAME dc1
outside  CNAME www.example.org.
to-deleg CNAME host.deleg
to-cut   CNAME deleg
to-ext   CNAME www.ext
to-sub   CNAME www.sub
to-wild  CNAME foo.wild
to-wc    CNAME foo.wc
to-dn    CNAME www.dn
; empty non-terminals: dc1, lab.dc1, _tcp, ent.wild, target
host.lab.dc1 A 192.0.2.30
; wildcards, with names beside them
*.wild   A     192.0.2.100
*.wild   TXT   "from the wildcard"
*.wild   MX    10 mail
host.wild A    192.0.2.101
a.ent.wild A   192.0.2.102
*.wc     CNAME www
*.wcnet  CNAME www.example.net.
*.wcdang CNAME nothing-here
*.wcloop CNAME next.wcloop
*.wmx    MX    10 mail
*.wmx    MX    20 mx.example.net.
; delegations: in-domain glue (and a name server without any), a name
; server in the other zone, out-of-bailiwick only, sibling glue, a name
; server covered by a wildcard, the nested zone (served too)
deleg    NS    ns1.deleg
deleg    NS    ns2.deleg
deleg    NS    ns.example.net.
deleg    NS    ns3.deleg
deleg    DS    12345 13 2 {'cd' * 32}
ns1.deleg A    192.0.2.61
ns2.deleg A    192.0.2.62
ns2.deleg AAAA 2001:db8::62
ext      NS    ns1.example.org.
ext      NS    ns2.example.org.
sib      NS    ns1.deleg
sib      NS    ns.example.net.
wdeleg   NS    ns.wild
sub      NS    ns1.sub
sub      NS    ns1
sub      DS    54321 13 2 {'ef' * 32}
ns1.sub  A     192.0.2.71
; DNAMEs
dn       DNAME example.net.
dn       TXT   "a DNAME owner with other data"
dn-in    DNAME target
host.target A  192.0.2.90
www.target CNAME www
dn-out   DNAME example.org.
dn-missing DNAME missing.example.net.
dn-sub   DNAME sub.example.com.
dn-deleg DNAME deleg.example.com.
dn-loop1 DNAME dn-loop2
dn-loop2 DNAME dn-loop1
dn-long  DNAME {LONG_TARGET}
; large RRsets
{BIG}{HUGE}{BIGGLUE}"""

EXAMPLE_NET = """$ORIGIN example.net.
$TTL 7200
@        SOA   ns2 hostmaster.example.com. 2026112101 7200 900 1209600 600
@        NS    ns2
@        NS    ns1.example.com.
@        NS    ns1.kids
ns2      A     198.51.100.53
kids     NS    ns1.kids
ns1.kids A     198.51.100.70
ns       A     198.51.100.54
www      A     198.51.100.80
www      AAAA  2001:db8:1::80
mx       A     198.51.100.25
sip2     A     198.51.100.60
host     A     198.51.100.90
back     CNAME mail.example.com.
xloop    CNAME xloop.example.com.
tosub    CNAME www.sub.example.com.
a.b.c    A     198.51.100.3
*.any    TXT   "net wildcard"
"""

SUB_EXAMPLE_COM = """$ORIGIN sub.example.com.
$TTL 1800
; an SOA TTL below its minimum: negative answers take the TTL (RFC 2308 §3)
@ 60     SOA   ns1 hostmaster.example.com. 1 3600 600 86400 120
@        NS    ns1
@        NS    ns1.example.com.
@        MX    5 ns1
ns1      A     192.0.2.71
www      A     192.0.2.72
up       CNAME www.example.com.
*.wild   TXT   "sub wildcard"
deeper   NS    ns.deeper
ns.deeper A    192.0.2.73
"""

ZONES = {
    "example.com.zone": EXAMPLE_COM,
    "example.net.zone": EXAMPLE_NET,
    "sub.example.com.zone": SUB_EXAMPLE_COM,
}

# --- NSD -----------------------------------------------------------------------


class NsdExited(Exception):
    pass


class Nsd:
    """nsd -d serving `zones` ({file name: text}) from a temporary directory."""

    def __init__(self, zones, attempts=3):
        self.tmp = tempfile.mkdtemp(prefix="sb-nsd-")
        self.proc = None
        self.out = None
        self.zones_dir = os.path.join(self.tmp, "zones")
        os.mkdir(self.zones_dir)
        for name, text in zones.items():
            with open(os.path.join(self.zones_dir, name), "w") as f:
                f.write(text)
        self.zone_names = [name[:-len(".zone")] for name in zones]
        try:
            for attempt in range(attempts):
                self.port = sbtest.free_port()
                self._write_config()
                self._start()
                try:
                    wait_until(self._answers_soa, NSD_READY_TIMEOUT,
                               f"NSD to answer {self.zone_names[0]} SOA")
                    return
                except NsdExited:
                    # Most likely the port was taken between picking and
                    # binding it: try another one.
                    if attempt == attempts - 1:
                        raise AssertionError("nsd exited at start; log:\n" + self.log())
                except AssertionError as e:
                    raise AssertionError(f"{e}\nnsd log:\n{self.log()}") from None
        except BaseException:
            self.stop()
            raise

    def _write_config(self):
        self.conf = os.path.join(self.tmp, "nsd.conf")
        zones = [(name, f"{name}.zone") for name in self.zone_names]
        with open(self.conf, "w") as f:
            f.write(peer_conf.nsd_conf(self.tmp, self.port, zones, zonesdir=self.zones_dir,
                                       options=("hide-version: yes", "hide-identity: yes",
                                                "minimal-responses: no")))

    def _start(self):
        if self.out is not None:
            self.out.close()
        self.out = open(os.path.join(self.tmp, "nsd.out"), "w")
        self.proc = subprocess.Popen([NSD, "-d", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT)

    def _answers_soa(self):
        if self.proc.poll() is not None:
            raise NsdExited()
        q = dns.message.make_query(self.zone_names[0], "SOA")
        r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
        return r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1

    def log(self):
        text = []
        for name in ("nsd.out", "nsd.log"):
            try:
                with open(os.path.join(self.tmp, name)) as f:
                    text.append(f.read()[-4000:])
            except OSError:
                pass
        return "\n".join(text)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.out is not None:
            self.out.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- the zones as data, for the rules ------------------------------------------------

A_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)


class Model:
    """What the zone files say, read with dnspython: which zone a name is in,
    what exists, where the cuts and wildcards are."""

    def __init__(self):
        self.zones = {}
        for file, text in ZONES.items():
            origin = dns.name.from_text(file[:-len(".zone")])
            self.zones[origin] = dns.zone.from_text(text, origin, relativize=False)
        # Every name that exists, empty non-terminals included (RFC 4592 §2.2.2).
        self.existing = set()
        for apex, zone in self.zones.items():
            for name in zone.nodes:
                while name.is_subdomain(apex):
                    self.existing.add(name)
                    if name == apex:
                        break
                    name = name.parent()

    def apex_of(self, name):
        best = None
        for apex in self.zones:
            if name.is_subdomain(apex) and (best is None or len(apex) > len(best)):
                best = apex
        return best

    def rrset(self, name, rdtype):
        """(TTL, rdata set) at `name` exactly, cuts not considered, or None."""
        apex = self.apex_of(name)
        if apex is None:
            return None
        rds = self.zones[apex].get_rdataset(name, rdtype)
        if rds is None:
            return None
        return rds.ttl, frozenset(rd.to_digestable() for rd in rds)

    def cut_above(self, name):
        """The highest delegation at or above `name` in its zone, or None."""
        apex = self.apex_of(name)
        cut = None
        while apex is not None and name != apex:
            if self.zones[apex].get_rdataset(name, dns.rdatatype.NS) is not None:
                cut = name
            name = name.parent()
        return cut

    def is_cut(self, name):
        apex = self.apex_of(name)
        return (apex is not None and name != apex
                and self.zones[apex].get_rdataset(name, dns.rdatatype.NS) is not None)

    def wildcard_rrset(self, name, rdtype):
        """The RRset a wildcard synthesises for `name` (RFC 4592 §3.3.1), or None."""
        apex = self.apex_of(name)
        if apex is None or name in self.existing:
            return None
        encloser = name.parent()
        while encloser not in self.existing:
            encloser = encloser.parent()
        return self.rrset(dns.name.Name((b"*",) + encloser.labels), rdtype)

    def apex_ns(self, apex):
        return self.rrset(apex, dns.rdatatype.NS)


# --- queries -------------------------------------------------------------------

QTYPES = [dns.rdatatype.from_text(t) for t in (
    "A", "AAAA", "NS", "SOA", "CNAME", "MX", "TXT", "SRV", "DS", "DNAME", "PTR", "CAA",
    "ANY", "TYPE666", "HTTPS", "SVCB", "SSHFP")]
EDNS_CHOICES = (("none", 35), ("1232", 30), ("do", 15), ("512", 10), ("4096", 10))


@dataclass(frozen=True)
class Query:
    name: str
    rdtype: int
    edns: str = "1232"  # none, 512, 1232, 4096, or do (1232 with DO)
    tcp: bool = False
    rd: bool = False

    def message(self, qid):
        if self.edns == "none":
            m = dns.message.make_query(self.name, self.rdtype, use_edns=False)
        else:
            payload = 1232 if self.edns == "do" else int(self.edns)
            m = dns.message.make_query(self.name, self.rdtype, use_edns=0, payload=payload,
                                       want_dnssec=self.edns == "do")
        m.id = qid
        m.flags = dns.flags.RD if self.rd else 0
        return m

    def text(self):
        return (f"{self.name} {dns.rdatatype.to_text(self.rdtype)} "
                f"{'TCP' if self.tcp else 'UDP'} edns={self.edns}{' +rd' if self.rd else ''}")


def _fixed(name, rdtype, **kw):
    return Query(name, dns.rdatatype.from_text(rdtype), **kw)


YX_NAME = "q" * 63 + ".dn-long.example.com."  # 63 + 1 + 196 > 255 once rewritten

# Each path once, so that a small SB_DIFF_QUERIES still walks all of them.
FIXED = [
    _fixed("example.com.", t) for t in ("SOA", "NS", "MX", "TXT", "CAA", "ANY", "DNAME")
] + [
    _fixed("www.example.com.", "A"), _fixed("www.example.com.", "AAAA"),
    _fixed("www.example.com.", "HTTPS"), _fixed("svc.example.com.", "SVCB"),
    _fixed("sshfp.example.com.", "SSHFP"), _fixed("ptr.example.com.", "PTR"),
    _fixed("unk.example.com.", "TYPE666"), _fixed("caa.example.com.", "CAA"),
    _fixed("multi.example.com.", "A"), _fixed("txt.example.com.", "TXT"),
    _fixed("www.example.com.", "MX"), _fixed("nothing.example.com.", "A"),
    # CNAMEs
    _fixed("c1.example.com.", "A"), _fixed("c1.example.com.", "CNAME"),
    _fixed("cnet.example.com.", "AAAA"), _fixed("cback.example.com.", "A"),
    _fixed("cmx.example.com.", "MX"), _fixed("long0.example.com.", "A"),
    _fixed("long3.example.com.", "A"), _fixed("long4.example.com.", "A"),
    _fixed("loop1.example.com.", "A"), _fixed("self.example.com.", "A"),
    _fixed("xloop.example.com.", "A"), _fixed("dangling.example.com.", "A"),
    _fixed("dangnet.example.com.", "A"), _fixed("to-ent.example.com.", "A"),
    _fixed("outside.example.com.", "A"), _fixed("to-deleg.example.com.", "A"),
    _fixed("to-cut.example.com.", "NS"), _fixed("to-ext.example.com.", "A"),
    _fixed("to-sub.example.com.", "A"), _fixed("to-wild.example.com.", "TXT"),
    _fixed("to-wc.example.com.", "A"), _fixed("to-dn.example.com.", "A"),
    _fixed("tosub.example.net.", "A"), _fixed("back.example.net.", "ANY"),
    # wildcards and empty non-terminals
    _fixed("foo.wild.example.com.", "A"), _fixed("a.b.wild.example.com.", "MX"),
    _fixed("foo.wild.example.com.", "AAAA"), _fixed("host.wild.example.com.", "TXT"),
    _fixed("ent.wild.example.com.", "A"), _fixed("x.ent.wild.example.com.", "A"),
    _fixed("x.host.wild.example.com.", "A"), _fixed("x.wc.example.com.", "A"),
    _fixed("x.wcnet.example.com.", "A"), _fixed("x.wcdang.example.com.", "A"),
    _fixed("x.wcloop.example.com.", "A"), _fixed("x.wmx.example.com.", "MX"),
    _fixed("*.wild.example.com.", "A"), _fixed("x.any.example.net.", "TXT"),
    _fixed("dc1.example.com.", "A"), _fixed("lab.dc1.example.com.", "TXT"),
    _fixed("b.c.example.net.", "A"), _fixed("target.example.com.", "A"),
    # additional-section addresses
    _fixed("_sip._tcp.example.com.", "SRV"), _fixed("_sip._udp.example.com.", "SRV"),
    _fixed("_xmpp._tcp.example.com.", "SRV"), _fixed("_cn._tcp.example.com.", "SRV"),
    _fixed("mxwc.example.com.", "MX"), _fixed("mx6.example.com.", "MX"),
    _fixed("mxdeleg.example.com.", "MX"), _fixed("mxwild.example.com.", "MX"),
    _fixed("example.net.", "NS"), _fixed("sub.example.com.", "NS"),
    # delegations and DS
    _fixed("deleg.example.com.", "NS"), _fixed("deleg.example.com.", "DS"),
    _fixed("deleg.example.com.", "A"), _fixed("host.deleg.example.com.", "A"),
    _fixed("ns1.deleg.example.com.", "A"), _fixed("host.deleg.example.com.", "DS"),
    _fixed("ext.example.com.", "DS"), _fixed("x.ext.example.com.", "A"),
    _fixed("sib.example.com.", "A"), _fixed("wdeleg.example.com.", "A"),
    _fixed("kids.example.net.", "NS"), _fixed("bigglue.example.com.", "A", edns="none"),
    _fixed("bigglue.example.com.", "A"),
    # the nested zone
    _fixed("sub.example.com.", "DS"), _fixed("sub.example.com.", "SOA"),
    _fixed("www.sub.example.com.", "A"), _fixed("x.deeper.sub.example.com.", "A"),
    _fixed("up.sub.example.com.", "A"), _fixed("x.wild.sub.example.com.", "TXT"),
    # DNAMEs
    _fixed("dn.example.com.", "DNAME"), _fixed("dn.example.com.", "TXT"),
    _fixed("host.dn.example.com.", "A"), _fixed("www.dn.example.com.", "CNAME"),
    _fixed("a.b.c.dn.example.com.", "A"), _fixed("x.any.dn.example.com.", "TXT"),
    _fixed("x.dn-in.example.com.", "A"), _fixed("www.dn-in.example.com.", "A"),
    _fixed("host.dn-in.example.com.", "ANY"), _fixed("x.dn-out.example.com.", "A"),
    _fixed("x.dn-missing.example.com.", "A"), _fixed("x.dn-missing.example.com.", "ANY"),
    _fixed("www.dn-sub.example.com.", "A"), _fixed("x.deeper.dn-sub.example.com.", "A"),
    _fixed("x.dn-deleg.example.com.", "A"), _fixed("x.dn-loop1.example.com.", "A"),
    _fixed(YX_NAME, "A"), _fixed("a.dn-long.example.com.", "A"),
    _fixed("a" * 40 + ".dn-long.example.com.", "A", edns="none"),  # does not fit: TC
    # size
    _fixed("big.example.com.", "TXT", edns="none"), _fixed("big.example.com.", "TXT"),
    _fixed("huge.example.com.", "TXT"), _fixed("huge.example.com.", "TXT", tcp=True),
    _fixed("example.com.", "ANY", tcp=True, rd=True),
    # names we do not serve
    _fixed(".", "SOA"), _fixed("com.", "NS"), _fixed("example.org.", "A"),
    _fixed("www.example.org.", "A"), _fixed("xexample.com.", "A"), _fixed("net.", "DS"),
]

AROUND = [  # names the owners alone do not give
    "host.dn.example.com.", "www.dn.example.com.", "a.b.c.dn.example.com.",
    "b.c.dn.example.com.", "x.any.dn.example.com.", "back.dn.example.com.",
    "ns1.kids.dn.example.com.", "www.dn-sub.example.com.", "ns1.dn-sub.example.com.",
    "x.deeper.dn-sub.example.com.", "host.dn-in.example.com.", "www.dn-in.example.com.",
    "host.dn-deleg.example.com.", "foo.dn-loop1.example.com.", "x.wcloop.example.com.",
    "ns1.deleg.example.com.", "host.deleg.example.com.", "x.y.ext.example.com.",
    "x.deeper.sub.example.com.", "x.kids.example.net.", YX_NAME,
    ".", "com.", "org.", "net.", "example.org.", "www.example.org.", "xexample.com.",
    "example.co.", "sub.example.org.", "example.", "com.example.",
]


def rand_label(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                   for _ in range(rng.randint(1, 12)))


def dn_long_name(rng):
    """A name below dn-long of random length: some over 255 bytes once
    rewritten (YXDOMAIN), some not (followed, NXDOMAIN in example.net)."""
    room = rng.randint(2, 250 - len("dn-long.example.com."))
    labels = []
    while room > 1:
        n = min(rng.randint(1, 63), room - 1)
        labels.append(rand_label(rng)[:1] * n)
        room -= n + 1
    return ".".join(labels + ["dn-long.example.com."])


def name_pool(model):
    """Functions of a random generator, each giving a name to ask about."""
    pool = []
    for n in sorted(model.existing):
        s = n.to_text()
        if n.labels[0] == b"*":
            p = n.parent().to_text()
            pool += [lambda rng, s=s: s,
                     lambda rng, p=p: f"{rand_label(rng)}.{p}",
                     lambda rng, p=p: f"{rand_label(rng)}.{rand_label(rng)}.{p}"]
            continue
        pool += [lambda rng, s=s: s, lambda rng, s=s: s,
                 lambda rng, s=s: f"{rand_label(rng)}.{s}"]
        if len(n) > 1:
            pool.append(lambda rng, p=n.parent().to_text(): f"{rand_label(rng)}.{p}")
    pool += [lambda rng, s=s: s for s in AROUND]
    pool += [dn_long_name] * 3
    return pool


def mixed_case(rng, name):
    return "".join(c.upper() if rng.random() < 0.5 else c for c in name)


def make_queries(count, model):
    rng = random.Random(SEED)
    pool = name_pool(model)
    queries = FIXED[:count]
    names, weights = zip(*EDNS_CHOICES)
    while len(queries) < count:
        name = rng.choice(pool)(rng)
        if rng.random() < 0.25:
            name = mixed_case(rng, name)
        queries.append(Query(name, rng.choice(QTYPES), rng.choices(names, weights)[0],
                             tcp=rng.random() < 0.15, rd=rng.random() < 0.3))
    return queries


# --- exchanging ------------------------------------------------------------------


class Peer:
    """One server: a connected UDP socket kept for the whole run, and a new
    TCP connection per TCP query."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(("127.0.0.1", port))

    def close(self):
        self.sock.close()

    def receive(self, qid, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                return None
            # A late answer to an earlier, re-sent query is not this one's.
            if data[:2] == qid.to_bytes(2, "big"):
                return data

    def tcp(self, wire):
        try:
            return sbtest.raw_tcp(self.port, wire, timeout=TIMEOUT)
        except OSError:
            return None


def exchange_udp(peers, wire, qid):
    """Send to both servers before reading either: they work at the same
    time. A datagram lost on a loaded machine is sent once more."""
    replies = [None] * len(peers)
    for _ in range(2):
        for i, p in enumerate(peers):
            if replies[i] is None:
                p.sock.send(wire)
        deadline = time.monotonic() + TIMEOUT
        for i, p in enumerate(peers):
            if replies[i] is None:
                replies[i] = p.receive(qid, deadline)
        if None not in replies:
            break
    return replies


# --- normalised responses --------------------------------------------------------

SECTIONS = ("answer", "authority", "additional")
FLAGS = (("qr", dns.flags.QR), ("aa", dns.flags.AA), ("tc", dns.flags.TC),
         ("rd", dns.flags.RD), ("ra", dns.flags.RA), ("ad", dns.flags.AD),
         ("cd", dns.flags.CD))


@dataclass(frozen=True)
class RRset:
    ttls: tuple
    rdatas: frozenset  # canonical forms: names in lower case (RFC 4034 §6.2)
    count: int         # records on the wire: a repeated record shows here
    rds: tuple = field(compare=False)


class Reply:
    """A response as compared: the header and, per section, RRsets keyed by
    (owner, class, type). Rules work on copies and take out what they
    explain."""

    def __init__(self, rcode, opcode, flags, echoed, sections):
        self.rcode, self.opcode, self.flags, self.echoed = rcode, opcode, flags, echoed
        self.sections = sections

    def copy(self):
        return Reply(self.rcode, self.opcode, self.flags, self.echoed,
                     {s: dict(d) for s, d in self.sections.items()})

    def header(self):
        return (self.rcode, self.opcode, self.flags, self.echoed)

    def key(self):
        return (self.header(), tuple(frozenset(self.sections[s].items()) for s in SECTIONS))

    def __eq__(self, other):
        return isinstance(other, Reply) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    @property
    def answer(self):
        return self.sections["answer"]

    @property
    def authority(self):
        return self.sections["authority"]

    @property
    def additional(self):
        return self.sections["additional"]

    def records(self):
        return {(s, k, rd) for s in SECTIONS for k, rs in self.sections[s].items()
                for rd in rs.rdatas}

    def lines(self):
        out = []
        for s in SECTIONS:
            for (owner, _, rdtype), rs in sorted(self.sections[s].items(),
                                                 key=lambda kv: (kv[0][0], kv[0][2])):
                ttl = "/".join(map(str, rs.ttls))
                for rd in sorted(rs.rds, key=str):
                    out.append(f"{s[:4]} {owner} {ttl} {dns.rdatatype.to_text(rdtype)} {rd}")
        return out

    def text(self):
        head = (f"{self.rcode} {self.opcode} {' '.join(self.flags)}"
                f"{'' if self.echoed else ' (question not echoed)'}")
        return "\n".join(["      " + head] + ["      " + line for line in self.lines()])


def normalise(wire, query_wire, question_end):
    """A Reply, or a string saying why there is none. The question, up to
    `question_end`, must come back byte for byte."""
    if wire is None:
        return "no response"
    try:
        msg = dns.message.from_wire(wire, one_rr_per_rrset=True, ignore_trailing=False)
    except Exception as e:  # an unparsable response is a difference, not an error
        return f"unparsable response: {e!r}"
    echoed = wire[:2] == query_wire[:2] and wire[4:6] == b"\x00\x01" and \
        wire[12:question_end] == query_wire[12:question_end]
    flags = tuple(name for name, bit in FLAGS if msg.flags & bit)
    sections = {}
    for s in SECTIONS:
        groups = {}
        for rrset in getattr(msg, s):
            key = (rrset.name.canonicalize(), rrset.rdclass, rrset.rdtype)
            ttls, rdatas, rds = groups.setdefault(key, ([], [], []))
            for rd in rrset:
                ttls.append(rrset.ttl)
                rdatas.append(rd.to_digestable())
                rds.append(rd)
        sections[s] = {k: RRset(tuple(sorted(set(t))), frozenset(d), len(d), tuple(r))
                       for k, (t, d, r) in groups.items()}
    return Reply(dns.rcode.to_text(msg.rcode()), dns.opcode.to_text(msg.opcode()), flags,
                 echoed, sections)


def show(r):
    return r.text() if isinstance(r, Reply) else f"      {r}"


# --- permitted differences -------------------------------------------------------


@dataclass
class Case:
    """One pair under judgement: working copies that rules reduce, and the
    same query's answers over TCP when either side truncated."""
    query: Query
    sb: Reply
    nsd: Reply
    model: Model
    sb_tcp: Optional[Reply] = None
    nsd_tcp: Optional[Reply] = None

    @property
    def qname(self):
        return dns.name.from_text(self.query.name).canonicalize()


TARGET_FIELD = {dns.rdatatype.NS: "target", dns.rdatatype.MX: "exchange",
                dns.rdatatype.SRV: "target"}


def targets(rrsets):
    """{name: owner of the record naming it} for the names in NS, MX and SRV
    data: those whose addresses go in the additional section (RFC 1035
    §3.3.9, §3.3.11; RFC 2782)."""
    out = {}
    for (owner, _, rdtype), rs in rrsets:
        if rdtype in TARGET_FIELD:
            for rd in rs.rds:
                out.setdefault(getattr(rd, TARGET_FIELD[rdtype]).canonicalize(), owner)
    return out


def same(rs, model_rrset):
    """Whether a received RRset is, TTL and data, the one in the zone."""
    return model_rrset is not None and rs.ttls == (model_rrset[0],) and \
        rs.rdatas == model_rrset[1]


def only_in(a, b, section):
    """RRsets of `a`'s section that `b` lacks or holds otherwise."""
    return {k: rs for k, rs in a.sections[section].items()
            if b.sections[section].get(k) != rs}


def subset_of_tcp(truncated, full):
    """Whether a truncated response holds only records of the full one."""
    return full is not None and isinstance(full, Reply) and truncated.records() <= full.records()


def both_truncated(c):
    """Both set TC over UDP with the same header: the rest may differ, as
    long as each side sent only records of its own TCP answer."""
    if c.query.tcp or "tc" not in c.sb.flags or "tc" not in c.nsd.flags:
        return False
    if c.sb.header() != c.nsd.header():
        return False
    if not (subset_of_tcp(c.sb, c.sb_tcp) and subset_of_tcp(c.nsd, c.nsd_tcp)):
        return False
    for r in (c.sb, c.nsd):
        for s in SECTIONS:
            r.sections[s].clear()
    return True


def nsd_glue_without_tc(c):
    """A UDP referral whose in-domain glue does not all fit: Switchboard sets
    TC, NSD leaves some glue out without it. Only the additional section and
    TC may differ, NSD's additional must hold nothing but glue of the
    delegation, and it must really lack some."""
    if c.query.tcp or "tc" not in c.sb.flags or "tc" in c.nsd.flags:
        return False
    if (c.sb.rcode, c.sb.opcode, c.sb.echoed) != (c.nsd.rcode, c.nsd.opcode, c.nsd.echoed):
        return False
    if set(c.sb.flags) - {"tc"} != set(c.nsd.flags) or c.sb.answer != c.nsd.answer \
            or c.sb.authority != c.nsd.authority:
        return False
    cuts = [k for k in c.nsd.authority if k[2] == dns.rdatatype.NS and c.model.is_cut(k[0])]
    if len(cuts) != 1:
        return False
    ns = targets([(cuts[0], c.nsd.authority[cuts[0]])])
    glue = [t for t in ns if t.is_subdomain(cuts[0][0])]
    if any(not (k[0] in glue and k[2] in A_TYPES and same(rs, c.model.rrset(k[0], k[2])))
           for k, rs in c.nsd.additional.items()):
        return False
    missing = [t for t in glue for rt in A_TYPES
               if c.model.rrset(t, rt) is not None
               and (t, dns.rdataclass.IN, rt) not in c.nsd.additional]
    if not missing or not subset_of_tcp(c.sb, c.sb_tcp):
        return False
    c.sb.flags = c.nsd.flags
    c.sb.additional.clear()
    c.nsd.additional.clear()
    return True


# CNAMEs Switchboard writes when a chain is longer than it follows: it
# follows 8, and writes the one it finds at the end of them.
CHAIN_LIMIT = 9


def cname_chain_limit(c):
    """Switchboard's answer is a chain of exactly CHAIN_LIMIT CNAMEs from the
    question and nothing else; NSD's holds the same CNAMEs and then goes on
    along the chain to the end. What NSD adds after the last of Switchboard's
    CNAMEs is taken out: the rest of the chain, the final RRset, and the
    authority and additional records that belong to it."""
    chain = c.sb.answer
    if len(chain) != CHAIN_LIMIT or c.sb.authority or c.sb.additional:
        return False
    if c.sb.header() != c.nsd.header():
        return False
    name = c.qname
    for _ in range(CHAIN_LIMIT):
        rs = chain.get((name, dns.rdataclass.IN, dns.rdatatype.CNAME))
        if rs is None or c.nsd.answer.get((name, dns.rdataclass.IN, dns.rdatatype.CNAME)) != rs:
            return False
        name = rs.rds[0].target.canonicalize()
    rest = {k for k in c.nsd.answer if k not in chain}
    while True:  # NSD's continuation: more CNAMEs, then the data at the end
        cname = (name, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname not in rest or cname in chain:
            break
        rest.discard(cname)
        name = c.nsd.answer[cname].rds[0].target.canonicalize()
    if any(k[0] != name for k in rest):
        return False
    for k in list(c.nsd.answer):
        if k not in chain:
            del c.nsd.answer[k]
    c.nsd.authority.clear()
    c.nsd.additional.clear()
    return True


def any_one_rrset(c):
    """ANY: each side answers with one RRset that the name really has (from
    the zone, or from the wildcard covering it), not the same one. Each
    side's additional addresses for its own pick go with it."""
    if c.query.rdtype != dns.rdatatype.ANY:
        return False
    if c.sb.header() != c.nsd.header() or c.sb.rcode != "NOERROR" or "aa" not in c.sb.flags:
        return False
    if len(c.sb.answer) != 1 or len(c.nsd.answer) != 1 or c.sb.answer == c.nsd.answer:
        return False
    for r in (c.sb, c.nsd):
        (owner, _, rdtype), rs = next(iter(r.answer.items()))
        if owner != c.qname:
            return False
        if not (same(rs, c.model.rrset(owner, rdtype))
                or same(rs, c.model.wildcard_rrset(owner, rdtype))):
            return False
    for r in (c.sb, c.nsd):
        for t in targets(r.answer.items()):
            for rt in A_TYPES:
                r.additional.pop((t, dns.rdataclass.IN, rt), None)
        r.answer.clear()
    return True


def nsd_authority_ns(c):
    """An authoritative NOERROR answer with data, where NSD's authority
    section also holds a served zone's apex NS RRset (exactly as in the
    zone) that Switchboard's lacks; with it go the addresses of those name
    servers that only NSD gives."""
    n = c.nsd
    if n.rcode != "NOERROR" or "aa" not in n.flags or not n.answer:
        return False
    extra = [k for k in only_in(n, c.sb, "authority")
             if k[2] == dns.rdatatype.NS and k[0] == c.model.apex_of(k[0])
             and same(n.authority[k], c.model.apex_ns(k[0]))]
    if len(extra) != 1 or extra[0] in c.sb.authority:
        return False
    ns = n.authority.pop(extra[0])
    for t in targets([(extra[0], ns)]):
        for rt in A_TYPES:
            k = (t, dns.rdataclass.IN, rt)
            if k in n.additional and c.sb.additional.get(k) != n.additional[k]:
                del n.additional[k]
    return True


def extra_addresses(c, side, other, fits):
    """Take out of `side`'s additional section the address RRsets the other
    side lacks whose owner is an NS, MX or SRV target in `side`'s answer or
    authority and for which fits(target, referring owner, RRset, type)."""
    refs = targets(list(side.answer.items()) + list(side.authority.items()))
    taken = False
    for k, rs in list(only_in(side, other, "additional").items()):
        owner, _, rdtype = k
        if rdtype in A_TYPES and owner in refs and k not in other.additional \
                and fits(owner, refs[owner], rs, rdtype):
            del side.additional[k]
            taken = True
    return taken


def sb_other_zone_addresses(c):
    """Addresses only Switchboard gives, of a name served in another zone
    than the record naming it, not below a cut there, as in that zone."""
    m = c.model

    def fits(target, referrer, rs, rdtype):
        return (m.apex_of(target) is not None and m.apex_of(target) != m.apex_of(referrer)
                and m.cut_above(target) is None and same(rs, m.rrset(target, rdtype)))
    return extra_addresses(c, c.sb, c.nsd, fits)


def nsd_glue_as_additional(c):
    """Addresses only NSD gives, of a name server in an apex NS answer whose
    name is below one of its zone's cuts (glue), as in the zone."""
    m = c.model

    def fits(target, referrer, rs, rdtype):
        return (c.nsd.answer.get((referrer, dns.rdataclass.IN, dns.rdatatype.NS)) is not None
                and referrer == m.apex_of(referrer) and m.cut_above(target) is not None
                and same(rs, m.rrset(target, rdtype)))
    return extra_addresses(c, c.nsd, c.sb, fits)


def nsd_wildcard_addresses(c):
    """Addresses only NSD gives, of a target that does not exist, equal to
    what the wildcard covering it holds."""
    m = c.model

    def fits(target, referrer, rs, rdtype):
        return same(rs, m.wildcard_rrset(target, rdtype))
    return extra_addresses(c, c.nsd, c.sb, fits)


@dataclass(frozen=True)
class Permitted:
    name: str
    why: str
    rule: Callable


# Each rule matches one shape and takes out only what it explains; a pair is
# permitted when the rules leave the two responses equal. Order matters:
# truncation first (it decides what is there at all), the additional
# section last (it depends on what the answer and authority hold).
PERMITTED = [
    Permitted("both-truncated",
              "RFC 2181 §9: a client discards a TC response and asks over TCP, so what "
              "else it holds is the server's choice; each must be part of its TCP answer, "
              "and the TCP pair is compared too",
              both_truncated),
    Permitted("nsd-glue-without-tc",
              "NSD 4.6.1 predates RFC 9471 and sends the in-domain glue that fits without "
              "TC; Switchboard sets TC as RFC 9471 §3.1 requires (docs/dns-behaviour.md "
              "'Additional section'); the TCP pair is compared too",
              nsd_glue_without_tc),
    Permitted("cname-chain-limit",
              "RFC 1034 §5.3.3 step 4c: a resolver restarts at the last CNAME's target, so "
              "a server may stop early; Switchboard follows 8 CNAMEs and writes a 9th at most "
              "(docs/dns-behaviour.md 'CNAMEs'), NSD the whole chain",
              cname_chain_limit),
    Permitted("any-one-rrset",
              "RFC 8482 §4.1: ANY may be answered with one RRset of the name, the server's "
              "pick; Switchboard's is the lowest type (docs/dns-behaviour.md 'ANY'), NSD "
              "prefers A, AAAA, SOA, MX, PTR",
              any_one_rrset),
    Permitted("nsd-authority-ns",
              "RFC 1034 §3.7/§6.2.1: NS records in the authority section of a positive "
              "answer (and their addresses) are optional; NSD adds the zone's, Switchboard "
              "answers with the RRset alone (docs/dns-behaviour.md 'Answers')",
              nsd_authority_ns),
    Permitted("sb-other-zone-addresses",
              "RFC 1034 §4.3.2 step 6: additional data is optional; Switchboard adds "
              "addresses of NS/MX/SRV targets from any zone it serves authoritatively "
              "(docs/dns-behaviour.md 'Additional section'), NSD only from the zone "
              "answering",
              sb_other_zone_addresses),
    Permitted("nsd-glue-as-additional",
              "RFC 1034 §4.3.2 step 6 and RFC 2181 §5.4.1: for an apex NS answer NSD adds "
              "glue from below one of the zone's cuts; Switchboard never gives addresses "
              "from below a delegation in an authoritative answer (docs/dns-behaviour.md "
              "'Additional section')",
              nsd_glue_as_additional),
    Permitted("nsd-wildcard-addresses",
              "RFC 1034 §4.3.2 step 6: additional data is optional; NSD synthesises a "
              "target's addresses from a wildcard (RFC 4592), Switchboard gives those of "
              "names that exist (docs/dns-behaviour.md 'Additional section')",
              nsd_wildcard_addresses),
]


def judge(case):
    """The names of the permitted classes that explain every difference of
    the pair, or None when something is left."""
    used = []
    for p in PERMITTED:
        if p.rule(case):
            used.append(p.name)
        if case.sb == case.nsd:
            return used
    return None


def residue(case):
    """What is still different once the permitted rules have run, as lines."""
    a, b = set(case.sb.lines()), set(case.nsd.lines())
    out = []
    if case.sb.header() != case.nsd.header():
        out.append(f"header: {case.sb.header()} / {case.nsd.header()}")
    out += [f"only switchboard: {line}" for line in sorted(a - b)]
    out += [f"only nsd: {line}" for line in sorted(b - a)]
    return out


def shape(r):
    """What kind of answer Switchboard gave, for the coverage line."""
    if not isinstance(r, Reply):
        return "none"
    if "tc" in r.flags:
        return "truncated"
    if r.rcode != "NOERROR":
        return r.rcode
    if "aa" not in r.flags:
        return "referral"
    if any(k[2] == dns.rdatatype.NS for k in r.authority) and r.answer:
        return "cname+referral"
    if not r.answer:
        return "nodata"
    if any(k[2] == dns.rdatatype.DNAME for k in r.answer):
        return "dname"
    if any(k[2] == dns.rdatatype.CNAME for k in r.answer):
        return "cname"
    return "answer"


@unittest.skipUnless(os.path.exists(NSD), f"{NSD} is not installed (apt-get install nsd)")
class Differential(ScenarioCase):
    def test_same_answers_as_nsd(self):
        started = time.monotonic()
        srv = self.server(ZONES)
        nsd = Nsd(ZONES)
        self.addCleanup(nsd.stop)
        model = Model()
        peers = [Peer(srv.port), Peer(nsd.port)]
        for p in peers:
            self.addCleanup(p.close)

        serial = 0

        def ask(q):
            nonlocal serial
            serial += 1
            qid = serial * 7919 & 0xFFFF
            msg = q.message(qid)
            wire = msg.to_wire()
            question_end = 12 + len(msg.question[0].name.to_wire()) + 4
            raw = [p.tcp(wire) for p in peers] if q.tcp else exchange_udp(peers, wire, qid)
            return [normalise(w, wire, question_end) for w in raw]

        identical, retries = 0, 0
        permitted, shapes = Counter(), Counter()
        unexpected = []

        def compare(q, sb, ns, sb_tcp=None, nsd_tcp=None):
            nonlocal identical
            shapes[shape(sb)] += 1
            if sb == ns:
                identical += 1
                return
            case = Case(q, sb, ns, model, sb_tcp, nsd_tcp)
            classes = None
            if isinstance(sb, Reply) and isinstance(ns, Reply):
                case.sb, case.nsd = sb.copy(), ns.copy()
                classes = judge(case)
            if classes is None:
                unexpected.append((q, sb, ns, case))
                return
            permitted.update(classes)
            permitted["(pairs)"] += 1
            if SHOW_PERMITTED:
                print(f"\nPERMITTED ({', '.join(classes)}) {q.text()}\n    switchboard:\n"
                      f"{show(sb)}\n    nsd:\n{show(ns)}")

        for q in make_queries(QUERIES, model):
            sb, ns = ask(q)
            sb_tcp = nsd_tcp = None
            if not q.tcp and any(isinstance(r, Reply) and "tc" in r.flags for r in (sb, ns)):
                # What a client does next (RFC 2181 §9): the same query over
                # TCP. That pair is compared too.
                retry = replace(q, tcp=True)
                sb_tcp, nsd_tcp = ask(retry)
                retries += 1
            compare(q, sb, ns, sb_tcp, nsd_tcp)
            if sb_tcp is not None:
                compare(retry, sb_tcp, nsd_tcp)

        for q, sb, ns, case in unexpected:
            print(f"\nUNEXPECTED {q.text()}\n    switchboard:\n{show(sb)}\n    nsd:\n{show(ns)}")
            if isinstance(sb, Reply) and isinstance(ns, Reply):
                # What the permitted rules left over, shown on the original responses.
                left = Case(q, sb.copy(), ns.copy(), model, case.sb_tcp, case.nsd_tcp)
                for p in PERMITTED:
                    p.rule(left)
                print("    still different:\n" + "\n".join(f"      {x}" for x in residue(left)))
        pairs = permitted.pop("(pairs)", 0)
        classes = ", ".join(f"{name} {n}" for name, n in sorted(permitted.items()))
        print(f"\ndifferential: {QUERIES} queries (+{retries} over TCP after TC) in "
              f"{time.monotonic() - started:.1f}s: {identical} identical, {pairs} with "
              f"permitted differences ({classes or 'none'}), {len(unexpected)} unexpected")
        print("switchboard's answers: " + ", ".join(f"{k} {v}" for k, v in shapes.most_common()))
        if unexpected:
            self.fail(f"{len(unexpected)} responses differ from NSD's in ways not in "
                      f"PERMITTED (each printed above)")


if __name__ == "__main__":
    sbtest.main()
