#!/usr/bin/python3
"""The fleet, measured: three NATS servers with JetStream and three
Switchboard nodes on loopback, all started here (tests/scenario's
harnesses).

    /usr/bin/python3 tests/bench/fleet_bench.py [--binary build/switchboard]
        [--trials 50] [--verdict-trials 20] [--endpoints 10000]
        [--parts propagation,verdict,traffic,dns]

propagation  `ctl drain` / `undrain` on node a, alternately, --trials times:
             the time until ctl returns, and until the answer changes on a,
             b and c (each polled over UDP about every millisecond by a
             thread of its own). p50, p99, max.
verdict      the fleet verdict's delay beyond local detection: a profile with
             `monitor http interval=100ms timeout=50ms fall=3 rise=1
             fleet=majority`, whose primary is made to refuse every node at
             once; per node, the daemon's own log times of its endpoint-state
             change (local detection) and of its answer change (the fleet's
             verdict). --verdict-trials trials (20).
traffic      NATS messages and bytes a second per node, from each node's
             metrics over 20 s, with --endpoints endpoints (half as many
             profiles of two) probed by TCP every 10 s against a local
             listener, fleet=majority: steady state, every verdict sent every
             5 s by each node.
dns          DNS latency at node a (2,000 UDP queries, 1 ms apart): NATS
             healthy, flooded (a client publishing junk on the fleet's
             subjects as fast as it can), frozen (SIGSTOP) and killed.

Prints figures, never asserts.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenario"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402

import natstest  # noqa: E402
import sbtest  # noqa: E402

HEADER = sbtest.ZONE_HEADER


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def summary(name, ms):
    print(f"  {name:28s} p50 {pct(ms, 50):7.1f} ms   p99 {pct(ms, 99):7.1f} ms   "
          f"max {max(ms):7.1f} ms   (n={len(ms)})")


def query_a(port, name="www.example.com", timeout=1.0):
    q = dns.message.make_query(name, "A")
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)
    return [rr.to_text() for rrset in r.answer for rr in rrset]


def start_node(nats, name, zone, extra=()):
    args = ["--fleet-node", name, "--fleet-timeout", "3s", *extra]
    for url in nats.urls:
        args += ["--fleet-server", url]
    return sbtest.Server({"example.com.zone": zone}, args)


def metrics_url(srv):
    line = srv.wait_log(r"event=metrics-listening address=\S+", 10)
    return "http://" + re.search(r"address=(\S+)", line).group(1) + "/metrics"


# ---------------------------------------------------------------- propagation

def wait_answer(port, want, deadline):
    while time.monotonic() < deadline:
        try:
            if query_a(port, timeout=0.2) == want:
                return time.monotonic()
        except Exception:
            pass
        time.sleep(0.001)
    return None


def propagation(nats, trials):
    zone = HEADER + """www profile priority ttl=5 {
    monitor none
    endpoint east 127.0.0.10 priority=1
    endpoint west 127.0.0.11 priority=2
}
"""
    nodes = [start_node(nats, n, zone) for n in ("a", "b", "c")]
    try:
        ctl_ms, seen = [], {n: [] for n in "abc"}
        for t in range(trials):
            drain = t % 2 == 0
            want = ["127.0.0.11"] if drain else ["127.0.0.10"]
            results = {}
            t0 = time.monotonic()
            threads = [threading.Thread(target=lambda k=k, s=s: results.__setitem__(
                k, wait_answer(s.port, want, t0 + 10))) for k, s in zip("abc", nodes)]
            for th in threads:
                th.start()
            nodes[0].ctl("drain" if drain else "undrain", "www.example.com", "east")
            ctl_ms.append((time.monotonic() - t0) * 1000)
            for th in threads:
                th.join()
            for k in "abc":
                if results[k] is not None:
                    seen[k].append((results[k] - t0) * 1000)
        print(f"override propagation, {trials} trials (ctl drain/undrain on a):")
        summary("ctl returned", ctl_ms)
        for k in "abc":
            summary(f"answer changed on {k}", seen[k])
    finally:
        for s in nodes:
            s.stop()


# ---------------------------------------------------------------- verdict delay

class Switchable:
    """A TCP listener for HTTP probes that answers 200, or refuses (closed)."""

    def __init__(self, bind):
        self.bind = bind
        self.sock = None
        self.port = None
        self.open()

    def open(self):
        import http.server

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer((self.bind, self.port or 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def log_ms(line):
    ts = re.match(r"ts=(\S+)Z", line).group(1)
    t = time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")
    return (time.mktime(t) - time.timezone) * 1000 + int(ts[20:23])


def verdict(nats, trials=20):
    primary, secondary = Switchable("127.0.0.10"), Switchable("127.0.0.11")
    zone = HEADER + f"""www profile priority ttl=5 {{
    monitor http interval=100ms timeout=50ms fall=3 rise=1 fleet=majority
    endpoint east 127.0.0.10 priority=1 port={primary.port}
    endpoint west 127.0.0.11 priority=2 port={secondary.port}
}}
"""
    nodes = [start_node(nats, n, zone, ["--probe-source", f"127.0.0.{21 + i}"])
             for i, n in enumerate("abc")]
    delays, own = [], []
    try:
        for _ in range(trials):
            for s in nodes:
                sbtest.wait_until(lambda s=s: query_a(s.port) == ["127.0.0.10"], 15, "east")
            time.sleep(0.3)
            marks = [len(s.lines) for s in nodes]
            primary.close()
            local, moved = [], []
            for s, m in zip(nodes, marks):
                local.append(log_ms(s.wait_log(r"event=endpoint-state .*endpoint=east .*to=down",
                                               10, start=m)))
                moved.append(log_ms(s.wait_log(r"event=answer-change .*to=west", 10, start=m)))
            # The majority (2 of 3) exists once the second node has seen it.
            majority = sorted(local)[1]
            delays += [t - majority for t in moved]
            own += [t - lo for t, lo in zip(moved, local)]
            primary.open()
        print(f"fleet verdict (fleet=majority, 3 nodes, {trials} trials; daemon log times, ms "
              f"resolution):")
        summary("answer change - majority", delays)
        summary("answer change - own detection", own)
    finally:
        for s in nodes:
            s.stop()
        secondary.close()


# ---------------------------------------------------------------- traffic

def traffic(nats, endpoints):
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]

    def accept():
        while True:
            try:
                c, _ = listener.accept()
                c.close()
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    body = []
    for i in range(endpoints // 2):
        a = 10 + 2 * i
        body.append(f"""p{i} profile priority ttl=5 {{
    monitor tcp port={port} interval=10s timeout=2s fleet=majority
    endpoint e1 127.2.{a // 250}.{a % 250 + 1} priority=1
    endpoint e2 127.2.{(a + 1) // 250}.{(a + 1) % 250 + 1} priority=2
}}""")
    zone = HEADER + "\n".join(body) + "\n"
    nodes = [start_node(nats, n, zone, ["--metrics-listen", "0"]) for n in "abc"]
    try:
        urls = [metrics_url(s) for s in nodes]

        def sample(url):
            with urllib.request.urlopen(url, timeout=10) as r:
                text = r.read().decode()
            out = {}
            for key in ("messages_total", "message_bytes_total"):
                for d in ("in", "out"):
                    m = re.search(rf'switchboard_fleet_{key}{{direction="{d}"}} (\S+)', text)
                    out[(key, d)] = float(m.group(1)) if m else 0.0
            return out

        time.sleep(6)  # a first summary from every node
        before = [sample(u) for u in urls]
        t0 = time.monotonic()
        time.sleep(20)
        after = [sample(u) for u in urls]
        secs = time.monotonic() - t0
        print(f"NATS traffic, {endpoints} endpoints x 3 nodes, per node over {secs:.0f} s:")
        for name, b, a in zip("abc", before, after):
            rates = {k: (a[k] - b[k]) / secs for k in a}
            print(f"  node {name}: out {rates[('messages_total', 'out')]:.1f} msg/s "
                  f"{rates[('message_bytes_total', 'out')] / 1024:.1f} KiB/s, "
                  f"in {rates[('messages_total', 'in')]:.1f} msg/s "
                  f"{rates[('message_bytes_total', 'in')] / 1024:.1f} KiB/s")
    finally:
        for s in nodes:
            s.stop()
        listener.close()


# ---------------------------------------------------------------- dns latency

def latencies(port, count=2000):
    out = []
    for _ in range(count):
        t = time.monotonic()
        query_a(port)
        out.append((time.monotonic() - t) * 1000)
        time.sleep(0.001)
    return out


def dns_latency(nats):
    zone = HEADER + """www profile priority ttl=5 {
    monitor none
    endpoint east 127.0.0.10 priority=1
    endpoint west 127.0.0.11 priority=2
}
"""
    nodes = [start_node(nats, n, zone) for n in "abc"]
    try:
        a = nodes[0]
        print("DNS latency at node a, 2,000 UDP queries each:")
        summary("NATS healthy", latencies(a.port))
        stop = threading.Event()
        client = nats.connect(0)

        def flood():
            junk = b"{" * 900
            while not stop.is_set():
                for _ in range(500):
                    client.publish("switchboard.health.x", junk)
                    client.publish("switchboard.nodes.x", junk)
                client.flush()

        th = threading.Thread(target=flood, daemon=True)
        th.start()
        summary("NATS flooded", latencies(a.port))
        stop.set()
        th.join()
        client.close()
        for i in range(3):
            os.kill(nats.nodes[i].proc.pid, signal.SIGSTOP)
        summary("NATS frozen (SIGSTOP)", latencies(a.port))
        for i in range(3):
            os.kill(nats.nodes[i].proc.pid, signal.SIGCONT)
            nats.kill(i)
        summary("NATS killed", latencies(a.port))
    finally:
        for s in nodes:
            s.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/switchboard")
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--verdict-trials", type=int, default=20)
    ap.add_argument("--endpoints", type=int, default=10000)
    ap.add_argument("--parts", default="propagation,verdict,traffic,dns")
    args = ap.parse_args()
    sbtest.BINARY = os.path.abspath(args.binary)
    parts = args.parts.split(",")
    print(f"{time.strftime('%Y-%m-%d')} {os.uname().nodename} nproc {os.cpu_count()} "
          f"{subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()}")
    for part, fn in (("propagation", lambda n: propagation(n, args.trials)),
                     ("verdict", lambda n: verdict(n, args.verdict_trials)), ("traffic", lambda n: traffic(n, args.endpoints)),
                     ("dns", dns_latency)):
        if part in parts:
            with natstest.NatsCluster(size=3) as nats:
                fn(nats)


if __name__ == "__main__":
    main()
