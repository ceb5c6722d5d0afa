"""Prometheus metrics over HTTP: the real daemon with --metrics-listen on a
free port, known queries over UDP and TCP, and the scrape parsed as the
text exposition format 0.0.4 (HELP and TYPE lines, samples with escaped
labels) with every counter checked by its labels."""
import math
import os
import re
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request

import dns.flags
import dns.message
import dns.query
import dns.rcode

import sbtest
from sbtest import ScenarioCase, wait_until

BIG = "".join(f'big TXT "{i}{"x" * 99}"\n' for i in range(8))  # over 512 bytes

ZONE = sbtest.ZONE_HEADER + """east  A     127.0.0.10
east  AAAA  ::10
""" + BIG

RCODES = ["noerror", "formerr", "servfail", "nxdomain", "notimp", "refused", "yxdomain",
          "badvers", "other", "dropped"]
QTYPES = ["A", "AAAA", "CNAME", "MX", "NS", "SOA", "TXT", "SRV", "PTR", "CAA", "HTTPS", "SVCB",
          "DS", "DNSKEY", "ANY", "AXFR", "IXFR", "other"]
# The reason keys of docs/health-checks.md.
# The probe-latency histogram's bounds: a fixed ladder to a minute.
LATENCY_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                  math.inf]
NO_OVERRIDES = {"drain": 0, "force_up": 0, "force_down": 0, "switchover": 0}
DEFAULT_METRICS_PORT = 7923


# ---- the exposition format --------------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def unescape(text, quote):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt == "\\" or nxt == "n" or (quote and nxt == '"'):
                out.append("\n" if nxt == "n" else nxt)
                i += 2
                continue
            raise ValueError(f"bad escape in {text!r}")
        out.append(c)
        i += 1
    return "".join(out)


def parse_labels(text, line):
    """`a="x",b="y"` (a trailing comma allowed) -> {"a": "x", "b": "y"}."""
    labels, i = {}, 0
    while i < len(text):
        m = re.compile(rf"({LABEL})=\"").match(text, i)
        if not m:
            raise ValueError(f"bad label at {text[i:]!r} in {line!r}")
        i = m.end()
        value = []
        while True:
            if i >= len(text):
                raise ValueError(f"unterminated label value in {line!r}")
            if text[i] == "\\":
                value.append(text[i:i + 2])
                i += 2
            elif text[i] == '"':
                i += 1
                break
            else:
                value.append(text[i])
                i += 1
        if m.group(1) in labels:
            raise ValueError(f"label {m.group(1)} twice in {line!r}")
        labels[m.group(1)] = unescape("".join(value), True)
        if i < len(text):
            if text[i] != ",":
                raise ValueError(f"expected ',' at {text[i:]!r} in {line!r}")
            i += 1
    return labels


def parse_value(text):
    specials = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}
    return specials[text] if text in specials else float(text)


def parse_exposition(text):
    """{family: {"type", "help", "samples": {(name, ((label, value), ...)): value}}};
    fails on anything the format does not allow, on a sample whose family has
    no TYPE line before it, and on repeated HELP, TYPE or samples."""
    if text and not text.endswith("\n"):
        raise ValueError("the text must end with a newline")
    families = {}
    sample_rx = re.compile(rf"({NAME})(?:\{{(.*)\}})? (\S+)(?: (-?\d+))?$")
    for line in text.split("\n")[:-1]:
        if line == "":
            continue
        if line.startswith("#"):
            m = re.match(rf"# (HELP|TYPE) ({NAME}) ?(.*)$", line)
            if not m:
                continue  # a plain comment
            kind, name, rest = m.groups()
            fam = families.setdefault(name, {"type": None, "help": None, "samples": {}})
            if kind == "HELP":
                if fam["help"] is not None:
                    raise ValueError(f"second HELP for {name}")
                fam["help"] = unescape(rest, False)
            else:
                if fam["type"] is not None or fam["samples"]:
                    raise ValueError(f"TYPE for {name} repeated or after its samples")
                if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise ValueError(f"bad type {rest!r} for {name}")
                fam["type"] = rest
            continue
        m = sample_rx.match(line)
        if not m:
            raise ValueError(f"not a sample line: {line!r}")
        name, labels, value, _ts = m.groups()
        family = family_of(name, families)
        if family is None:
            raise ValueError(f"sample {name} has no TYPE line before it")
        key = (name, tuple(sorted(parse_labels(labels or "", line).items())))
        if key in families[family]["samples"]:
            raise ValueError(f"sample repeated: {line!r}")
        families[family]["samples"][key] = parse_value(value)
    return families


def family_of(name, families):
    if name in families and families[name]["type"] is not None:
        return name
    for fam, info in families.items():
        for suffix in SUFFIXES.get(info["type"], ()):
            if name == fam + suffix:
                return fam
    return None


class Scrape:
    """One parsed scrape, with lookups by family and labels."""

    def __init__(self, text):
        self.text = text
        self.families = parse_exposition(text)

    def value(self, family, name=None, **labels):
        key = (name or family, tuple(sorted(labels.items())))
        return self.families[family]["samples"].get(key)

    def by(self, family, label):
        """{label value: sample value} for a family with one label."""
        return {dict(k[1])[label]: v for k, v in self.families[family]["samples"].items()}


# ---- the tests --------------------------------------------------------------

def metrics_url(srv):
    """The scrape URL, from the `event=metrics-listening` log line."""
    line = srv.wait_log(r"event=metrics-listening address=127\.0\.0\.1:\d+",
                        sbtest.READY_TIMEOUT)
    return "http://127.0.0.1:%s/metrics" % re.search(r":(\d+)$", line).group(1)


def dns_counts(s):
    q = s.families["switchboard_dns_queries_total"]["samples"]
    return {
        "queries": {(dict(k[1])["transport"], dict(k[1])["rcode"]): v for k, v in q.items()},
        "qtypes": s.by("switchboard_dns_queries_by_type_total", "qtype"),
        "truncated": s.by("switchboard_dns_truncated_total", "transport"),
        "tcp": s.by("switchboard_tcp_connections_total", "result"),
    }


class MetricsCase(ScenarioCase):
    def scrape(self, url=None):
        with urllib.request.urlopen(url or self.url, timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["Content-Type"],
                             "text/plain; version=0.0.4; charset=utf-8")
            return Scrape(r.read().decode("utf-8"))

    def assert_types(self, s, expected):
        """Each family of `expected` ((name, type), ...) has that TYPE and a HELP."""
        types = {name: f["type"] for name, f in s.families.items()}
        for name, kind in expected:
            self.assertEqual(types.get(name), kind, name)
            self.assertTrue(s.families[name]["help"], f"{name} has no HELP text")


class Metrics(MetricsCase):
    """The families and the HTTP side; no DNS is sent to this server."""

    @classmethod
    def setUpClass(cls):
        # A port alone: 127.0.0.1 (metrics_url waits for that address).
        cls.srv = sbtest.Server({"example.com.zone": ZONE}, args=["--metrics-listen", "0"])
        cls.url = metrics_url(cls.srv)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_families_and_types(self):
        s = self.scrape()
        self.assert_types(s, [("switchboard_build_info", "gauge"),
                              ("switchboard_start_time_seconds", "gauge"),
                              ("switchboard_config_generation", "gauge"),
                              ("switchboard_config_reloads_total", "counter"),
                              ("switchboard_dns_queries_total", "counter"),
                              ("switchboard_dns_queries_by_type_total", "counter"),
                              ("switchboard_dns_truncated_total", "counter"),
                              ("switchboard_tcp_connections_total", "counter"),
                              ("switchboard_tcp_connections_open", "gauge")])
        # Every label combination is there from the start, so that rates work
        # from the first scrape.
        q = s.families["switchboard_dns_queries_total"]["samples"]
        self.assertEqual({(dict(k[1])["transport"], dict(k[1])["rcode"]) for k in q},
                         {(t, r) for t in ("udp", "tcp") for r in RCODES})
        self.assertEqual(set(s.by("switchboard_dns_queries_by_type_total", "qtype")), set(QTYPES))
        self.assertEqual(set(s.by("switchboard_dns_truncated_total", "transport")),
                         {"udp", "tcp"})
        self.assertEqual(set(s.by("switchboard_tcp_connections_total", "result")),
                         {"accepted", "rejected", "rejected_per_client", "evicted"})
        rrl = s.families["switchboard_rrl_responses_total"]
        self.assertEqual(rrl["type"], "counter")
        self.assertEqual({(dict(k[1])["kind"], dict(k[1])["action"]) for k in rrl["samples"]},
                         {(k, a) for k in ("answer", "wildcard", "dname", "nodata", "nxdomain",
                                           "referral", "error")
                          for a in ("dropped", "slipped", "exempt")})
        # The probe worker's own families are there with nothing to probe.
        self.assert_types(s, [("switchboard_probe_queue_waiting", "gauge"),
                              ("switchboard_probes_in_flight", "gauge"),
                              ("switchboard_probe_queue_wait_seconds", "histogram")])
        self.assertEqual(s.value("switchboard_probe_queue_waiting"), 0)
        self.assertEqual(s.value("switchboard_probes_in_flight"), 0)
        wait = s.families["switchboard_probe_queue_wait_seconds"]["samples"]
        self.assertEqual(len(wait), 14 + 2)  # 13 bounds and +Inf, _sum, _count
        self.assertEqual(set(wait.values()), {0})

    def test_build_start_and_config(self):
        version = subprocess.run([sbtest.BINARY, "version"], capture_output=True, text=True,
                                 check=True).stdout.split()[1]
        s = self.scrape()
        self.assertEqual(s.by("switchboard_build_info", "version"), {version: 1})
        start = s.value("switchboard_start_time_seconds")
        self.assertLess(abs(start - time.time()), 60)
        self.assertEqual(s.value("switchboard_config_generation"), 1)
        self.assertEqual(s.by("switchboard_config_reloads_total", "result"),
                         {"success": 0, "failure": 0})

    def test_other_paths_and_methods(self):
        base = self.url[:-len("/metrics")]
        for path in ("/", "/metric", "/metrics/", "/favicon.ico"):
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(base + path, timeout=5)
            self.assertEqual(e.exception.code, 404, path)
        for method in ("POST", "PUT", "DELETE"):
            req = urllib.request.Request(self.url, data=b"x" if method != "DELETE" else None,
                                         method=method)
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=5)
            self.assertEqual(e.exception.code, 405, method)
            self.assertEqual(e.exception.headers["Allow"], "GET, HEAD")
        self.scrape(self.url + "?name[]=x")  # a query string is fine



class QueryCounters(MetricsCase):
    def test_query_counters(self):
        srv = self.server({"example.com.zone": ZONE}, args=["--metrics-listen", "127.0.0.1:0"])
        self.url = metrics_url(srv)
        start = dns_counts(self.scrape())
        self.assertEqual(sum(start["queries"].values()), 0)
        for _ in range(5):
            self.assertEqual(srv.query("east.example.com", "A").rcode(), dns.rcode.NOERROR)
        for _ in range(3):  # a new connection each
            r = srv.query("east.example.com", "AAAA", tcp=True)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        for _ in range(2):
            self.assertEqual(srv.query("nope.example.com", "MX").rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(srv.query("example.org", "SOA").rcode(), dns.rcode.REFUSED)
        # No question (QDCOUNT 0): FORMERR, and no QTYPE to count it under.
        reply = srv.raw_udp(struct.pack("!HHHHHH", 0x1234, 0, 0, 0, 0, 0))
        self.assertEqual(struct.unpack("!H", reply[2:4])[0] & 0xF, dns.rcode.FORMERR)
        # Too short for a header: dropped without an answer.
        self.assertIsNone(srv.raw_udp(b"\x12\x34\x00", timeout=0.3))
        # Too big for 512 bytes without EDNS: sent with TC.
        q = dns.message.make_query("big.example.com", "TXT")
        r = dns.query.udp(q, "127.0.0.1", port=srv.port, timeout=2, ignore_trailing=False)
        self.assertTrue(r.flags & dns.flags.TC)

        want_queries = {(t, rc): 0 for t in ("udp", "tcp") for rc in RCODES}
        want_queries.update({("udp", "noerror"): 6, ("udp", "nxdomain"): 2,
                             ("udp", "refused"): 1, ("udp", "formerr"): 1,
                             ("udp", "dropped"): 1, ("tcp", "noerror"): 3})
        want_qtypes = {t: 0 for t in QTYPES}
        want_qtypes.update({"A": 5, "AAAA": 3, "MX": 2, "SOA": 1, "TXT": 1, "other": 2})
        want = {"queries": want_queries, "qtypes": want_qtypes,
                "truncated": {"udp": 1, "tcp": 0},
                "tcp": {"accepted": 3, "rejected": 0, "rejected_per_client": 0, "evicted": 0}}
        # Counted before each answer is sent; polled all the same (the
        # reading thread's view of another thread's counter is not ordered).
        last = {}

        def settled():
            last["s"] = dns_counts(self.scrape())
            return last["s"] == want
        try:
            wait_until(settled, 5, "the counters to reach the expected values")
        except AssertionError:
            self.assertEqual(last.get("s"), want)  # shows the difference
            raise
        final = self.scrape()
        self.assertEqual(sum(final.by("switchboard_dns_queries_by_type_total", "qtype").values()),
                         sum(v for v in final.families["switchboard_dns_queries_total"]
                             ["samples"].values()))
        srv.stop()  # exits 0 (and, under a sanitizer, with nothing to report)


class RejectedConnections(MetricsCase):
    def test_connections_over_the_limits(self):
        """One client over --tcp-per-client is refused; a new client when the
        server is at --tcp-clients takes the place of the idlest one."""
        srv = self.server({"example.com.zone": ZONE}, threads=1,
                          args=["--metrics-listen", "127.0.0.1:0", "--tcp-clients", "2",
                                "--tcp-per-client", "1"])
        self.url = metrics_url(srv)
        query = dns.message.make_query("east.example.com", "A").to_wire()

        def connect(source):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.addCleanup(s.close)
            s.settimeout(2)
            s.bind((source, 0))
            s.connect(("127.0.0.1", srv.port))
            return s

        def counts():
            return (self.scrape().by("switchboard_tcp_connections_total", "result"),
                    self.scrape().value("switchboard_tcp_connections_open"))
        held = connect("127.0.0.1")
        held.sendall(struct.pack("!H", len(query)) + query)
        self.assertIsNotNone(sbtest.read_frame(held))  # accepted and answered
        self.assertIsNone(sbtest.read_frame(connect("127.0.0.1")))  # its client's second
        second = connect("127.0.0.2")
        wait_until(lambda: counts()[1] == 2, 5, "two connections open")
        connect("127.0.0.3")  # the table is full: the idlest (held) goes
        self.assertIsNone(sbtest.read_frame(held))
        wait_until(lambda: counts() == ({"accepted": 3, "rejected": 0, "rejected_per_client": 1,
                                         "evicted": 1}, 2), 5,
                   "3 accepted, 1 over the per-client limit, 1 evicted, 2 open")
        second.sendall(struct.pack("!H", len(query)) + query)
        self.assertIsNotNone(sbtest.read_frame(second))
        srv.stop()


class ProbeAndReloadMetrics(MetricsCase):
    """The probe worker's families after known events, and reload counts."""

    def expect_answers(self, profile, east, west):
        """switchboard_answers_total reaches these values (each worker's
        counter is read with a relaxed load, so it is polled)."""
        want = {"east": east, "west": west}
        last = {}

        def settled():
            fam = self.scrape().families["switchboard_answers_total"]["samples"]
            last["got"] = {dict(k[1])["endpoint"]: v for k, v in fam.items()
                           if dict(k[1])["profile"] == profile}
            return last["got"] == want
        try:
            wait_until(settled, 5, f"answers {want}")
        except AssertionError:
            self.assertEqual(last.get("got"), want)
            raise

    def answering(self, s):
        """{(profile, address_family, endpoint): value} of
        switchboard_profile_answering."""
        return {(d["profile"], d["address_family"], d["endpoint"]): v
                for d, v in ((dict(k[1]), v) for k, v in
                             s.families["switchboard_profile_answering"]["samples"].items())}

    def results(self, s, profile):
        """{reason: value} of switchboard_probe_results_total for one profile."""
        out = {}
        for k, v in s.families["switchboard_probe_results_total"]["samples"].items():
            d = dict(k[1])
            if d["profile"] == profile:
                out[d["reason"]] = v
        return out

    def failures(self, s, profile, endpoint):
        """{class: value} of switchboard_endpoint_probe_failures_total for one endpoint."""
        out = {}
        for k, v in s.families["switchboard_endpoint_probe_failures_total"]["samples"].items():
            d = dict(k[1])
            if (d["profile"], d["endpoint"]) == (profile, endpoint):
                out[d["class"]] = v
        return out

    def bucket_bounds(self, s, **labels):
        """The `le` bounds of one probe-latency histogram, in order."""
        fam = s.families["switchboard_probe_duration_seconds"]["samples"]
        bounds = [float(d["le"]) for d in (dict(k[1]) for k in fam
                                           if k[0].endswith("_bucket"))
                  if all(d.get(name) == value for name, value in labels.items())]
        return sorted(bounds)

    def check_start(self, s, www, api):
        """Every family is there from the first scrape; a series only where
        it says something: probe series for probed endpoints, failures and
        reasons once they happened, answering for the endpoints answering."""
        self.assert_types(s, [("switchboard_endpoint_up", "gauge"),
                              ("switchboard_endpoint_state_changes_total", "counter"),
                              ("switchboard_endpoint_probe_failures_total", "counter"),
                              ("switchboard_probe_results_total", "counter"),
                              ("switchboard_probe_duration_seconds", "histogram"),
                              ("switchboard_answers_total", "counter"),
                              ("switchboard_fallback_answers_total", "counter"),
                              ("switchboard_profile_answering", "gauge"),
                              ("switchboard_overrides", "gauge"),
                              ("switchboard_endpoint_drained", "gauge"),
                              ("switchboard_endpoint_forced", "gauge"),
                              ("switchboard_profile_switchover", "gauge")])
        # No profile here has a fallback target, and no override is in force.
        self.assertEqual(s.families["switchboard_fallback_answers_total"]["samples"], {})
        self.assertEqual(s.by("switchboard_overrides", "kind"), NO_OVERRIDES)
        self.assertEqual(self.answering(s), {
            (www, "any", "east"): 1, (api, "ipv4", "a4"): 1, (api, "ipv6", "a6"): 1})
        # api is not probed: no probe series of its endpoints at all.
        self.assertEqual({dict(k[1])["endpoint"] for k in
                          s.families["switchboard_endpoint_up"]["samples"]}, {"east", "west"})
        self.assertEqual(self.results(s, api), {})
        # Every result so far is ok: no failures, no changes after the first result.
        self.assertEqual(list(self.results(s, www)), ["ok"])
        self.assertGreaterEqual(self.results(s, www)["ok"], 2)
        self.assertEqual(s.families["switchboard_endpoint_probe_failures_total"]["samples"], {})
        self.assertEqual(s.families["switchboard_endpoint_state_changes_total"]["samples"], {})

    def test_after_a_failover_and_reloads(self):
        east = self.endpoint("http", bind="127.0.0.10")
        west = self.endpoint("http", bind="127.0.0.11")
        zone = sbtest.ZONE_HEADER + f"""east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 {{
          monitor http interval=300ms timeout=250ms fall=2 rise=1
          endpoint east east.example.com. priority=1 port={east.port}
          endpoint west west.example.com. priority=2 port={west.port}
      }}
api   profile priority ttl=5 {{
          monitor none
          endpoint a4 192.0.2.1 priority=1
          endpoint b4 192.0.2.2 priority=2
          endpoint a6 2001:db8::1 priority=3
      }}
"""
        srv = self.server({"example.com.zone": zone}, args=["--metrics-listen", "127.0.0.1:0"])
        self.url = metrics_url(srv)
        www, api = "www.example.com.", "api.example.com."
        self.check_start(self.scrape(), www, api)
        # Answers are counted by each DNS worker (two here) and added up at
        # the scrape: queries over UDP and TCP from many source ports.
        answered = {"east.example.com.": 0, "west.example.com.": 0}

        def ask(tcp=False):
            target = sbtest.cname_target(srv.query("www.example.com", tcp=tcp))
            answered[target] += 1
            return target
        for i in range(6):
            self.assertEqual(ask(tcp=i % 2 == 1), "east.example.com.")
        self.expect_answers(www, east=6, west=0)
        east.kill()
        wait_until(lambda: ask() == "west.example.com.", 3.0, "the failover")
        self.expect_answers(www, east=answered["east.example.com."],
                            west=answered["west.example.com."])

        def settled():
            s = self.scrape()
            up = s.value("switchboard_endpoint_up", profile=www, endpoint="east")
            return s if up == 0 else None
        s = wait_until(settled, 3.0, "east down in metrics")
        self.assertEqual(s.value("switchboard_endpoint_up", profile=www, endpoint="west"), 1)
        # up -> down (the first result, checking -> up, is not a change)
        self.assertEqual(s.value("switchboard_endpoint_state_changes_total",
                                 profile=www, endpoint="east"), 1)
        failures = self.failures(s, www, "east")
        self.assertEqual(list(failures), ["connect"])
        self.assertEqual(self.failures(s, www, "west"), {})
        # The profile's reasons add up to the endpoints' classes, ok aside.
        results = self.results(s, www)
        self.assertGreaterEqual(results.pop("ok"), 2)
        self.assertEqual(list(results), ["refused"])
        self.assertEqual(results["refused"], failures["connect"])
        # The endpoint that stopped answering is no longer listed.
        answering = self.answering(s)
        self.assertEqual([k for k in answering if k[0] == www], [(www, "any", "west")])
        # Latency by probe type (the default): every probe of every endpoint.
        count = s.value("switchboard_probe_duration_seconds",
                        "switchboard_probe_duration_seconds_count", check="http")
        inf = s.value("switchboard_probe_duration_seconds",
                      "switchboard_probe_duration_seconds_bucket", check="http", le="+Inf")
        self.assertGreaterEqual(count, 2)
        self.assertEqual(count, inf)
        self.assertEqual(self.bucket_bounds(s, check="http"), LATENCY_BOUNDS)
        # One good reload, one broken: generation 2, one of each.
        srv.ctl("reload")
        path = os.path.join(srv.zones_dir, "example.com.zone")
        with open(path, "a") as f:
            f.write("broken A nonsense\n")
        srv.ctl("reload", check=False)
        s = self.scrape()
        # The answers of the new generation, from 0; the broken reload
        # changed nothing.
        self.assertEqual(s.value("switchboard_answers_total", profile=www, endpoint="east"), 0)
        self.assertEqual(s.value("switchboard_answers_total", profile=www, endpoint="west"), 0)
        for i in range(3):
            self.assertEqual(sbtest.cname_target(srv.query("www.example.com", tcp=i == 0)),
                             "west.example.com.")
        self.expect_answers(www, east=0, west=3)
        s = self.scrape()
        self.assertEqual(s.value("switchboard_config_generation"), 2)
        self.assertEqual(s.value("switchboard_config_reloads_total", result="success"), 1)
        self.assertEqual(s.value("switchboard_config_reloads_total", result="failure"), 1)
        # Health survived the reload: the state changes carried over.
        self.assertEqual(s.value("switchboard_endpoint_state_changes_total",
                                 profile=www, endpoint="east"), 1)


class Overrides(MetricsCase):
    """ctl drain, force and switchover show in the metrics while in force,
    by kind and by endpoint, and clear when undone; a profile's fallback
    target counts its answers."""

    ZONE = sbtest.ZONE_HEADER + """east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 fallback=sorry.example.net. {
          monitor none
          endpoint east east.example.com. priority=1
          endpoint west west.example.com. priority=2
      }
api   profile priority ttl=5 {
          monitor none
          endpoint a4 192.0.2.1 priority=1
          endpoint b4 192.0.2.2 priority=2
      }
"""

    def setUp(self):
        self.srv = self.server({"example.com.zone": self.ZONE},
                               args=["--metrics-listen", "0"])
        self.url = metrics_url(self.srv)

    def details(self, s):
        """Every override detail sample: {(family, profile, endpoint[, state]): value}."""
        out = {}
        for fam in ("switchboard_endpoint_drained", "switchboard_endpoint_forced",
                    "switchboard_profile_switchover"):
            for k, v in s.families[fam]["samples"].items():
                d = dict(k[1])
                out[(fam, d["profile"], d["endpoint"], *([d["state"]] if "state" in d else []))] = v
        return out

    def test_overrides_show_and_clear(self):
        www, api = "www.example.com.", "api.example.com."
        s = self.scrape()
        self.assertEqual(s.by("switchboard_overrides", "kind"), NO_OVERRIDES)
        self.assertEqual(self.details(s), {})
        # ctl returns once the probe worker applied the override, and the
        # scrape runs on that worker too: no waiting needed.
        self.srv.ctl("drain", www, "east")
        self.srv.ctl("force", api, "a4", "down")
        self.srv.ctl("force", www, "west", "up", "--for", "1h")
        self.srv.ctl("switchover", api, "b4")
        s = self.scrape()
        self.assertEqual(s.by("switchboard_overrides", "kind"),
                         {"drain": 1, "force_up": 1, "force_down": 1, "switchover": 1})
        self.assertEqual(self.details(s), {
            ("switchboard_endpoint_drained", www, "east"): 1,
            ("switchboard_endpoint_forced", api, "a4", "down"): 1,
            ("switchboard_endpoint_forced", www, "west", "up"): 1,
            ("switchboard_profile_switchover", api, "b4"): 1})
        # A switchover moved to another endpoint names that one only.
        self.srv.ctl("switchover", api, "a4")
        self.assertEqual(self.details(self.scrape())[("switchboard_profile_switchover", api,
                                                      "a4")], 1)
        self.assertNotIn(("switchboard_profile_switchover", api, "b4"),
                         self.details(self.scrape()))
        self.srv.ctl("undrain", www, "east")
        self.srv.ctl("unforce", api, "a4")
        self.srv.ctl("unforce", www, "west")
        self.srv.ctl("failback", api)
        s = self.scrape()
        self.assertEqual(s.by("switchboard_overrides", "kind"), NO_OVERRIDES)
        self.assertEqual(self.details(s), {})
        # The families stay declared, so that a dashboard finds them.
        for fam in ("switchboard_endpoint_drained", "switchboard_endpoint_forced",
                    "switchboard_profile_switchover"):
            self.assertEqual(s.families[fam]["type"], "gauge")

    def test_fallback_answers_are_counted(self):
        www = "www.example.com."
        fallback = "switchboard_fallback_answers_total"
        s = self.scrape()
        self.assertEqual(s.families[fallback]["type"], "counter")
        self.assertEqual(s.by(fallback, "profile"), {www: 0})  # only profiles with one
        self.assertEqual(sbtest.cname_target(self.srv.query("www.example.com")),
                         "east.example.com.")
        # Both endpoints forced down: the fallback target answers.
        self.srv.ctl("force", www, "east", "down")
        self.srv.ctl("force", www, "west", "down")
        for i in range(4):
            self.assertEqual(sbtest.cname_target(self.srv.query("www.example.com", tcp=i == 0)),
                             "sorry.example.net.")
        last = {}

        def counted():  # each DNS worker's counter is read with a relaxed load
            s = last["s"] = self.scrape()
            return s.by(fallback, "profile") == {www: 4}
        try:
            wait_until(counted, 5, "four fallback answers counted")
        except AssertionError:
            self.assertEqual(last["s"].by(fallback, "profile"), {www: 4})
            raise
        answers = {dict(k[1])["endpoint"]: v for k, v in
                   last["s"].families["switchboard_answers_total"]["samples"].items()
                   if dict(k[1])["profile"] == www}
        self.assertEqual(answers, {"east": 1, "west": 0})
        self.srv.stop()


class DefaultPort(MetricsCase):
    """An address alone serves on the default port, 7923: not CoreDNS's
    9153 or any other of the Prometheus list's ports."""

    ADDRESS = "127.0.0.79"  # a loopback address of its own, so as to meet no other test

    def test_address_alone_takes_the_default_port(self):
        # As the server binds (SO_REUSEADDR: a connection of an earlier run
        # in TIME_WAIT does not count), but nothing may listen there.
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((self.ADDRESS, DEFAULT_METRICS_PORT))
            probe.listen(1)
        except OSError as e:
            self.skipTest(f"{self.ADDRESS}:{DEFAULT_METRICS_PORT} is taken on this host: {e}")
        finally:
            probe.close()
        srv = self.server({"example.com.zone": ZONE}, args=["--metrics-listen", self.ADDRESS])
        srv.wait_log(rf"event=metrics-listening address={re.escape(self.ADDRESS)}:"
                     rf"{DEFAULT_METRICS_PORT}$", sbtest.READY_TIMEOUT)
        s = self.scrape(f"http://{self.ADDRESS}:{DEFAULT_METRICS_PORT}/metrics")
        self.assertEqual(s.value("switchboard_config_generation"), 1)
        srv.stop()


class ProbeQueue(MetricsCase):
    """--probes-in-flight reached: runs wait for a slot, and the wait shows."""

    def test_waiting_probes_are_visible(self):
        # Four endpoints that accept and never answer, each its own probe
        # (its own port), one probe at a time: every run takes its whole
        # 300 ms timeout, so the others wait behind it.
        hangs = [self.endpoint("hang", bind="127.0.0.10") for _ in range(4)]
        zone = sbtest.ZONE_HEADER + "east  A  127.0.0.10\n" + \
            "slow  profile priority ttl=5 {\n" + \
            "          monitor http interval=1s timeout=300ms\n" + "".join(
                f"          endpoint e{i} east.example.com. priority={i + 1} port={h.port}\n"
                for i, h in enumerate(hangs)) + "      }\n"
        srv = self.server({"example.com.zone": zone},
                          args=["--metrics-listen", "0", "--probes-in-flight", "1"])
        self.url = metrics_url(srv)
        srv.wait_log(r"level=info event=probe-queue waiting=1 in_flight=1 max_in_flight=1 "
                     r"oldest_wait_ms=\d+ first_round=yes ", 1.0)
        # Four 300 ms probes through one slot every second: after the first
        # round the worker falls behind, which is a warning at once.
        srv.wait_log(r"level=warning event=probe-queue waiting=\d+ in_flight=1 max_in_flight=1 "
                     r"oldest_wait_ms=\d+ reason=\"probes wait for a free slot\"", 3.0)
        wait = "switchboard_probe_queue_wait_seconds"
        last = {}

        def queued():
            s = last["s"] = self.scrape()
            count = s.value(wait, wait + "_count")
            over = {le: count - s.value(wait, wait + "_bucket", le=le) for le in ("0.25", "0.5")}
            return (s.value("switchboard_probe_queue_waiting") >= 1 and
                    s.value("switchboard_probes_in_flight") == 1 and count >= 4 and
                    over["0.25"] >= 3 and over["0.5"] >= 2)
        # The first round alone: runs waited about 0, 0.3, 0.6 and 0.9 s.
        wait_until(queued, 5, "probes waiting, and their waits in the histogram")
        s = last["s"]
        self.assert_types(s, [("switchboard_probe_queue_waiting", "gauge"),
                              ("switchboard_probes_in_flight", "gauge"),
                              (wait, "histogram")])
        self.assertGreaterEqual(s.value(wait, wait + "_sum"), 1.75)
        self.assertEqual(s.value(wait, wait + "_bucket", le="+Inf"),
                         s.value(wait, wait + "_count"))
        srv.stop()


class Parser(ScenarioCase):
    """The test's own parser must reject what the format does not allow."""

    def test_parser(self):
        ok = ('# HELP a_total Esc \\\\ and \\n.\n# TYPE a_total counter\n'
              'a_total{x="q\\"\\\\\\n",y="2",} 3\n'
              '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\n')
        f = parse_exposition(ok)
        self.assertEqual(f["a_total"]["help"], "Esc \\ and \n.")
        self.assertEqual(f["a_total"]["samples"][("a_total", (("x", 'q"\\\n'), ("y", "2")))], 3)
        self.assertEqual(f["h"]["samples"][("h_bucket", (("le", "+Inf"),))], 1)
        for bad in ["a 1\n",                                   # no TYPE
                    "# TYPE a gauge\na 1",                     # no final newline
                    "# TYPE a gauge\na{x=1} 1\n",              # unquoted value
                    "# TYPE a gauge\na{x=\"\\t\"} 1\n",        # unknown escape
                    "# TYPE a gauge\na 1\na 2\n",              # repeated sample
                    "# TYPE a gauge\n# TYPE a gauge\na 1\n",   # repeated TYPE
                    "# TYPE a gauge\na one\n"]:                # not a number
            with self.assertRaises(ValueError, msg=bad):
                parse_exposition(bad)


if __name__ == "__main__":
    sbtest.main()
