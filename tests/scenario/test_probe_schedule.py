"""How the probe worker schedules: identical probes shared by several
profiles run once per interval (counted on the endpoint's side); a cap on
probes in flight makes probes wait rather than fail, and says so; a flapping
endpoint is held down; the address family preference decides which address
of a name is probed; a probe-target is probed instead of the served
target."""
import json
import time

import endpoint_log
import sbtest
from sbtest import ScenarioCase, cname_target, wait_until


class Schedule(ScenarioCase):
    def test_identical_probes_are_shared(self):
        ep = self.endpoint("http", bind="127.0.0.10")
        profiles = "".join(f"""
app{i}  profile priority ttl=5 {{
          monitor http path=/health interval=200ms timeout=100ms
          endpoint east east.example.com. priority=1 port={ep.port}
      }}""" for i in range(3))
        srv = self.server({"example.com.zone": sbtest.ZONE_HEADER +
                           "east A 127.0.0.10\n" + profiles + "\n"})
        self.assertEqual(srv.log_count(r"event=starting .*endpoints=3"), 1)
        start_count, start = ep.requests, time.monotonic()
        wait_until(lambda: time.monotonic() - start >= 2.0 or None, 5, "two seconds to pass",
                   interval=0.1)
        elapsed = time.monotonic() - start
        seen = ep.requests - start_count
        # One probe per 200 ms interval, not one per profile (which would
        # be three times as many); the bound allows for scheduling noise.
        self.assertLessEqual(seen, elapsed / 0.2 + 3, f"{seen} requests in {elapsed:.2f}s")
        self.assertGreaterEqual(seen, elapsed / 0.2 / 2, f"{seen} requests in {elapsed:.2f}s")

    def test_probes_are_spread_over_the_interval(self):
        ep = endpoint_log.add_to(self, "http", bind="127.0.0.10")
        # 20 checks (a path each), all due every second.
        profiles = "".join(f"""
app{i}  profile priority ttl=5 {{
          monitor http path=/p{i} interval=1s timeout=500ms
          endpoint east east.example.com. priority=1 port={ep.port}
      }}""" for i in range(20))
        srv = self.server({"example.com.zone": sbtest.ZONE_HEADER +
                           "east A 127.0.0.10\n" + profiles + "\n"})
        # The first round runs at start, all at once; after it, each check
        # keeps its own phase.
        start = time.monotonic()
        wait_until(lambda: time.monotonic() - start >= 3.0 or None, 6, "three seconds to pass",
                   interval=0.1)
        later = [r for r in ep.requests_seen() if start <= r.at < start + 3.0]
        buckets = [0] * 10  # 100 ms slices of the second
        for r in later:
            buckets[int((r.at - start) % 1.0 * 10)] += 1
        self.assertGreaterEqual(sum(1 for b in buckets if b), 6, f"requests per slice {buckets}")
        self.assertLessEqual(max(buckets), len(later) // 3, f"requests per slice {buckets}")
        # Every check kept its one-second cadence.
        for i in range(20):
            runs = sum(1 for r in later if r.path == f"/p{i}")
            self.assertIn(runs, (2, 3, 4), f"/p{i} ran {runs} times in 3 s")
        srv.stop()

    def test_in_flight_cap_queues_probes(self):
        hang = [self.endpoint("hang", bind=f"127.0.0.{20 + i}") for i in range(3)]
        west = self.endpoint("http", bind="127.0.0.11")
        eps = "\n".join(f"          endpoint h{i} 127.0.0.{20 + i} priority={i + 1} "
                        f"port={h.port}" for i, h in enumerate(hang))
        zone = sbtest.ZONE_HEADER + f"""app  profile priority ttl=5 {{
          monitor http interval=2s timeout=300ms fall=1 rise=1
{eps}
          endpoint west 127.0.0.11 priority=9 port={west.port}
      }}
"""
        srv = self.server({"example.com.zone": zone}, args=["--probes-in-flight", "1"])
        # The probes waited for the one slot instead of failing at once...
        line = srv.wait_log(r"event=probe-queue", 1.0)
        self.assertIn("max_in_flight=1", line)
        # In the first round every check probes at once: waiting is the cap
        # at work, not the worker falling behind.
        self.assertIn("level=info ", line)
        self.assertIn(" first_round=yes ", line)
        # ...and the first round still decided: the hanging endpoints are
        # down by their timeout, not by the queue, and west answers.
        r = srv.query("app.example.com", "A")
        self.assertEqual(sbtest.answer_texts(r), ["app.example.com. 5 A 127.0.0.11"])
        self.assertEqual(srv.log_count(r"endpoint=h\d .*to=down reason=\"timeout after 300 ms\""),
                         3)
        # The wait is visible in status: each result keeps its own, and the
        # worker says how many probes are waiting now.
        _, out, _ = srv.ctl("--json", "status")
        status = json.loads(out)["status"]
        self.assertEqual(status["probes"]["max_in_flight"], 1)
        self.assertLessEqual(status["probes"]["in_flight"], 1)
        waits = [e["queued_ms"] for e in status["profiles"][0]["endpoints"]]
        # Four probes through one slot, the hanging ones 300 ms each: the
        # last to start waited at least two of those.
        self.assertGreaterEqual(max(waits), 550, f"waits {waits}")
        _, text, _ = srv.ctl("status")
        self.assertRegex(text, r"(?m)^probes: [01] in flight \(at most 1\), \d+ waiting for a slot")
        self.assertRegex(text, r"\(after \d+ ms waiting for a probe slot\)")

    def test_flapping_endpoint_is_held_down(self):
        east = self.endpoint("http", bind="127.0.0.10")
        west = self.endpoint("http", bind="127.0.0.11")
        zone = sbtest.ZONE_HEADER + f"""app  profile priority ttl=5 {{
          monitor http interval=300ms timeout=250ms fall=1 rise=1
          endpoint east 127.0.0.10 priority=1 port={east.port} flap-limit=2 flap-window=1m hold-down=2s
          endpoint west 127.0.0.11 priority=2 port={west.port}
      }}
"""
        srv = self.server({"example.com.zone": zone})

        def answer():
            return sbtest.answer_texts(srv.query("app.example.com", "A"))[0].split()[-1]

        self.assertEqual(answer(), "127.0.0.10")
        # down, up, down: the third change within the window is one too many.
        for n in range(3):
            mark = len(srv.lines)
            if n % 2 == 0:
                east.kill()
                srv.wait_log(r"endpoint=east .*to=down", 3.0, start=mark)
            else:
                east.restart()
                srv.wait_log(r"endpoint=east .*to=up", 3.0, start=mark)
        line = srv.wait_log(r"event=endpoint-hold-down profile=app\.example\.com\. endpoint=east",
                            1.0)
        self.assertIn("changes=3", line)
        # Back up, but held: west keeps answering until the hold-down ends.
        mark = len(srv.lines)
        east.restart()
        srv.wait_log(r"endpoint=east .*to=up .*held=yes", 3.0, start=mark)
        self.assertEqual(answer(), "127.0.0.11")
        srv.wait_log(r"event=endpoint-hold-down-end profile=app\.example\.com\. endpoint=east "
                     r"state=up", 5.0, start=mark)
        wait_until(lambda: answer() == "127.0.0.10", 1.0, "east to answer again")

    def test_family_preference(self):
        v6 = self.endpoint("http", bind="::1")
        zone = sbtest.ZONE_HEADER + f"""east  A     127.0.0.10
east  AAAA  ::1
west  A     127.0.0.11
any   profile priority ttl=5 {{
          monitor http interval=300ms timeout=250ms fall=2 rise=1 port={v6.port}
          endpoint east east.example.com. priority=1 family=ipv6-first
          endpoint west west.example.com. priority=2 family=ipv6-first
      }}
v4    profile priority ttl=5 {{
          monitor http interval=300ms timeout=250ms fall=2 rise=1 port={v6.port}
          endpoint east east.example.com. priority=1 family=ipv4
          endpoint west west.example.com. priority=2 family=ipv6
      }}
"""
        srv = self.server({"example.com.zone": zone})
        # ipv6-first reaches the endpoint on ::1; west has no IPv6 address
        # and falls back to IPv4, where nothing listens.
        self.assertEqual(cname_target(srv.query("any.example.com")), "east.example.com.")
        self.assertEqual(srv.log_count(r"profile=any\.example\.com\. endpoint=west .*to=down "
                                       r"reason=\"connect refused\""), 1)
        # ipv4 only: east's 127.0.0.10 refuses; ipv6 only: west has none.
        self.assertEqual(srv.log_count(r"profile=v4\.example\.com\. endpoint=east .*to=down "
                                       r"reason=\"connect refused\""), 1)
        self.assertEqual(srv.log_count(r"profile=v4\.example\.com\. endpoint=west .*to=down "
                                       r"reason=\"no address: no IPv6 address\""), 1)

    def test_probe_target_is_probed_instead_of_the_served_target(self):
        health = self.endpoint("http", bind="127.0.0.12")
        zone = sbtest.ZONE_HEADER + f"""west  A  127.0.0.11
app   profile priority ttl=5 {{
          monitor http interval=300ms timeout=250ms fall=2 rise=1
          endpoint east app-east.example.net. priority=1 probe-target=127.0.0.12:{health.port}
          endpoint west west.example.com. priority=2 port=1
      }}
"""
        srv = self.server({"example.com.zone": zone})
        # The served target is outside every zone and never resolved: the
        # probe went to the probe target, which is up, so east answers.
        self.assertEqual(cname_target(srv.query("app.example.com")), "app-east.example.net.")
        wait_until(lambda: health.requests >= 2, 2.0, "probes at the probe target")
        self.assertEqual(srv.log_count(r"endpoint=east .*to=up"), 1)


if __name__ == "__main__":
    sbtest.main()
