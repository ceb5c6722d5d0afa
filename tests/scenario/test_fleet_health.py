"""The fleet's views of health and of itself, with a NATS server and three
nameservers started by the test on loopback: each node probes from its own
source address, and an endpoint that fails for one node alone moves that
node's answers only with fleet=local, nobody's with fleet=majority, and
everyone's once most see it down; a node hearing nobody falls back to its
own view. Every node sees the others and flags the one whose zone files
differ. DNS answers stay prompt while NATS is flooded or frozen."""
import json
import os
import re
import signal
import threading
import time
import urllib.request

import sbtest
from sbtest import wait_until
from test_fleet import SPREAD, ZONE, FleetCase, answer


class PickyEndpoint:
    """An HTTP health endpoint that answers 503 to the probe sources in
    `refused` and 200 to everyone else: a network problem near one
    nameserver, as that nameserver alone sees it."""

    def __init__(self, bind):
        import http.server
        self.refused = set()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                code = 503 if self.client_address[0] in outer.refused else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((bind, 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def scrape(srv):
    """The server's /metrics page, at the address its log names."""
    line = srv.wait_log(r"event=metrics-listening address=127\.0\.0\.1:\d+", SPREAD)
    url = "http://" + re.search(r"address=(\S+)", line).group(1) + "/metrics"
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def vote_zone(east, west):
    body = ""
    for name, vote in (("www", "majority"), ("app", "local")):
        body += f"""{name}  profile priority ttl=5 {{
          monitor http interval=200ms timeout=150ms fall=2 rise=1 fleet={vote}
          endpoint east 127.0.0.10 priority=1 port={east.port}
          endpoint west 127.0.0.11 priority=2 port={west.port}
      }}
"""
    return sbtest.ZONE_HEADER + body


class FleetViews(FleetCase):
    def test_health_from_every_vantage_point(self):
        """east refuses only node a's probe source: with fleet=majority no
        node's answer moves (www); with fleet=local only a's does (app)."""
        nats = self.cluster(size=1)
        east, west = PickyEndpoint("127.0.0.10"), PickyEndpoint("127.0.0.11")
        self.addCleanup(east.close)
        self.addCleanup(west.close)
        zone = vote_zone(east, west)
        nodes = {}
        for name, source in (("a", "127.0.0.21"), ("b", "127.0.0.22"), ("c", "127.0.0.23")):
            extra = ["--fleet-replicas", "1", "--probe-source", source]
            if name == "a":
                extra += ["--metrics-listen", "0"]
            nodes[name] = self.node(nats, name, zone=zone, extra=extra)
        a, b, c = nodes["a"], nodes["b"], nodes["c"]

        def east_status(srv, profile):
            _, out, _ = srv.ctl("status", "--json")
            for p in json.loads(out)["status"]["profiles"]:
                if p["name"] == profile:
                    return next(e for e in p["endpoints"] if e["name"] == "east")
            raise AssertionError(profile)

        def name_answer(srv, name):
            r = srv.query(name, "A")
            return [rr.to_text() for rrset in r.answer for rr in rrset]

        # Every node hears the other two before anything breaks.
        for srv in (a, b, c):
            wait_until(lambda s=srv: east_status(s, "www.example.com.").get("fleet", {})
                       .get("reporting") == 3, SPREAD, f"{srv.port} to hear both others")
        self.assertEqual(east_status(a, "www.example.com.")["fleet"]["verdict"], "up")
        self.assertNotIn("fleet", east_status(a, "app.example.com."))  # fleet=local: no vote

        east.refused.add("127.0.0.21")
        wait_until(lambda: east_status(a, "www.example.com.")["state"] == "down", SPREAD,
                   "a's own probes to see east down")
        # local: only a's answer moves.
        wait_until(lambda: name_answer(a, "app.example.com") == ["127.0.0.11"], SPREAD,
                   "a's app answer to move (fleet=local)")
        # majority: a is outvoted; nobody's answer moves, for as long as we look.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            for srv in (a, b, c):
                self.assertEqual(name_answer(srv, "www.example.com"), ["127.0.0.10"])
            for srv in (b, c):
                self.assertEqual(name_answer(srv, "app.example.com"), ["127.0.0.10"])
            time.sleep(0.05)
        st = east_status(a, "www.example.com.")
        self.assertEqual((st["fleet"]["verdict"], st["fleet"]["up"], st["fleet"]["reporting"]),
                         ("up", 2, 3))
        metrics = scrape(a)
        self.assertIn("switchboard_fleet_verdict_disagreements 1\n", metrics)
        self.assertIn("switchboard_fleet_voted_endpoints 2\n", metrics)
        self.assertIn("switchboard_fleet_views_fresh 2\n", metrics)

        # A reload keeps the others' views: a does not judge alone meanwhile.
        a.ctl("reload")
        st = east_status(a, "www.example.com.")
        self.assertEqual((st["fleet"]["reporting"], st["fleet"]["verdict"]), (3, "up"))
        self.assertEqual(name_answer(a, "www.example.com"), ["127.0.0.10"])

        # Two of three see it down: the majority's verdict moves every node.
        east.refused.add("127.0.0.22")
        self.everywhere((a, b, c), "127.0.0.11", "the majority's verdict: east down")

        # A node that hears nobody falls back to its own view, and says so.
        east.refused.clear()
        nats.kill(0)
        a.wait_log(r"level=warning event=fleet-health-alone", 30)
        wait_until(lambda: name_answer(a, "www.example.com") == ["127.0.0.10"], SPREAD,
                   "a alone, on its own view: east up")

    def test_probes_go_from_the_source_given(self):
        """--probe-source for the server, source= for one monitor: the
        endpoint sees each probe from the address named (no fleet needed)."""
        picky = PickyEndpoint("127.0.0.10")
        self.addCleanup(picky.close)
        picky.refused.add("127.0.0.31")
        zone = sbtest.ZONE_HEADER + f"""www  profile priority ttl=5 {{
          monitor http interval=200ms timeout=150ms fall=1 rise=1
          endpoint east 127.0.0.10 priority=1 port={picky.port}
      }}
api  profile priority ttl=5 {{
          monitor http interval=200ms timeout=150ms fall=1 rise=1 source=127.0.0.31
          endpoint east 127.0.0.10 priority=1 port={picky.port}
      }}
"""
        srv = self.server({"example.com.zone": zone}, ["--probe-source", "127.0.0.32"])
        srv.wait_log(r"event=endpoint-state profile=www\.example\.com\. endpoint=east .*"
                     r"to=up", SPREAD)
        srv.wait_log(r"event=endpoint-state profile=api\.example\.com\. endpoint=east .*"
                     r"to=down reason=\"HTTP 503\"", SPREAD)

    def test_dns_never_waits_on_the_fleet(self):
        """NATS flooding this node with junk, then NATS frozen (SIGSTOP:
        connections open, nothing answered) while a ctl override waits on
        it: every query is still answered promptly, and so is ctl status."""
        nats = self.cluster(size=1)
        srv = self.node(nats, "a", extra=["--fleet-replicas", "1"])
        srv.wait_log(r"event=fleet-synced", SPREAD)
        client = nats.connect(0)
        self.addCleanup(client.close)
        junk = b"{" * 900
        stop = threading.Event()

        def flood():
            while not stop.is_set():
                for i in range(200):
                    client.publish("switchboard.nodes.x", junk)
                    client.publish("$KV.switchboard-overrides.drain.x.y", junk)
                client.flush()

        flooder = threading.Thread(target=flood, daemon=True)
        flooder.start()
        try:
            sbtest.assert_answers_promptly(srv, ["www.example.com"], count=200, bound=0.5)
        finally:
            stop.set()
            flooder.join(10)
        srv.wait_log(r"event=fleet-record-rejected key=drain\.x\.y", SPREAD)

        os.kill(nats.nodes[0].proc.pid, signal.SIGSTOP)
        self.addCleanup(lambda: nats.running(0) and os.kill(nats.nodes[0].proc.pid, signal.SIGCONT))
        waiting = srv.ctl_start("drain", "www.example.com", "east")
        sbtest.assert_answers_promptly(srv, ["www.example.com"], count=100, bound=0.5)
        started = time.monotonic()
        srv.ctl("status")
        self.assertLess(time.monotonic() - started, 2.0, "ctl status waited on the fleet")
        _, err = waiting.communicate(timeout=20)
        self.assertNotEqual(waiting.returncode, 0)
        self.assertIn("the fleet did not store the override", err)
        self.assertEqual(answer(srv), ["127.0.0.10"])
        os.kill(nats.nodes[0].proc.pid, signal.SIGCONT)

    def test_every_node_is_seen_and_a_differing_configuration_flagged(self):
        nats = self.cluster(size=1)
        one = ["--fleet-replicas", "1"]
        a = self.node(nats, "a", extra=[*one, "--metrics-listen", "0"])
        b = self.node(nats, "b", extra=one)
        c = self.node(nats, "c", extra=one, zone=ZONE + "extra A 192.0.2.99\n")

        def fleet_nodes(srv):
            _, out, _ = srv.ctl("status", "--json")
            return {n["node"]: n for n in json.loads(out)["status"]["fleet"]["nodes"]}

        for srv, others in ((a, "bc"), (b, "ac"), (c, "ab")):
            wait_until(lambda: set(fleet_nodes(srv)) == set(others), SPREAD,
                       f"{others} to be heard")
            seen = fleet_nodes(srv)
            for other in others:
                self.assertTrue(seen[other]["reachable"])
                differs = (srv is c) or other == "c"
                self.assertEqual(seen[other]["config_differs"], differs, (srv.port, other))
        a.wait_log(r"level=warning event=fleet-config-differs node=c digest=[0-9a-f]{64} "
                   r"ours=[0-9a-f]{64}", SPREAD)
        c.wait_log(r"event=fleet-config-differs node=a", SPREAD)
        self.assertEqual(a.log_count(r"event=fleet-config-differs node=b"), 0)
        _, text, _ = a.ctl("status")
        self.assertRegex(text, r"node c: reachable, heard \d+ ms ago, CONFIGURATION DIFFERS")
        self.assertRegex(text, r"node b: reachable, heard \d+ ms ago\n")

        # The same in the metrics.
        metrics = scrape(a)
        self.assertIn('switchboard_fleet_connected{node="a"} 1', metrics)
        self.assertIn('switchboard_fleet_node_config_differs{node="c"} 1', metrics)
        self.assertIn('switchboard_fleet_node_config_differs{node="b"} 0', metrics)
        self.assertIn('switchboard_fleet_nodes{state="reachable"} 2', metrics)

        # c gets the same zones: after its reload nobody is flagged.
        with open(os.path.join(c.zones_dir, "example.com.zone"), "w") as f:
            f.write(ZONE)
        c.ctl("reload")
        wait_until(lambda: not fleet_nodes(a)["c"]["config_differs"], SPREAD,
                   "c's new digest to reach a")



if __name__ == "__main__":
    sbtest.main()
