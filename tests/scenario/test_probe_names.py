"""Endpoint names outside the served zones are resolved with c-ares, through
the name servers given with --probe-resolver: A and AAAA, reused until
their TTL runs out (never more often than once an interval), a failed
lookup is a failed probe with its reason, and the family preference picks
the address probed."""
import unittest

import endpoint_log
import sbtest
import stubdns
from sbtest import ScenarioCase, cname_target, wait_until
from test_address_families import have_ipv6_loopback

ZONE = sbtest.ZONE_HEADER + "west A 127.0.0.11\n"


def profile(east_target, east_port, west_port, settings="", interval="500ms"):
    return ZONE + f"""www profile priority ttl=5 {{
    monitor http interval={interval} timeout=400ms fall=1 rise=1
    endpoint east {east_target} priority=1 port={east_port} {settings}
    endpoint west west priority=2 port={west_port}
}}
"""


class ProbeNames(ScenarioCase):
    def setUp(self):
        self.dns = stubdns.StubDns(self)
        self.west = self.endpoint("http", bind="127.0.0.11")

    def serve(self, zone):
        return self.server({"example.com.zone": zone},
                           args=["--probe-resolver", self.dns.address])

    def east_state(self, srv, state, reason, start=0):
        line = srv.wait_log(r"event=endpoint-state profile=www\.example\.com\. endpoint=east "
                            rf".* to={state} ", 3.0, start)
        self.assertIn(f'reason="{reason}"', line)
        return line

    def test_a_name_is_resolved_and_kept_for_its_ttl(self):
        first = endpoint_log.add_to(self, "http", bind="127.0.0.10")
        second = endpoint_log.add_to(self, "http", bind="127.0.0.12", port=first.port)
        self.dns.set("app.probe.test", "A", ["127.0.0.10"], ttl=2)
        srv = self.serve(profile("app.probe.test.", first.port, self.west.port))
        self.east_state(srv, "up", "HTTP 200")
        self.assertEqual(cname_target(srv.query("www.example.com")), "app.probe.test.")
        # Probed every 500 ms, looked up again only when the 2 s TTL ran out.
        wait_until(lambda: first.requests >= 8, 8.0, "8 probes of app.probe.test")
        lookups = len(self.dns.asked("app.probe.test", "A"))
        self.assertGreaterEqual(lookups, 2, "the name is looked up again after its TTL")
        self.assertLessEqual(lookups, 4, f"{first.requests} probes made {lookups} lookups")
        self.assertEqual(self.dns.asked("app.probe.test.", "A"), [], "asked without the dot")
        # The name moves: once the old answer expires, probes follow it.
        self.dns.set("app.probe.test", "A", ["127.0.0.12"], ttl=2)
        wait_until(lambda: second.requests > 0, 6.0, "a probe at the name's new address")
        before = first.requests
        wait_until(lambda: second.requests >= 3, 4.0, "probes at the new address")
        self.assertLessEqual(first.requests, before + 1, "probes left the old address")
        srv.stop()

    def test_a_zero_ttl_is_looked_up_for_every_probe_and_no_more(self):
        first = endpoint_log.add_to(self, "http", bind="127.0.0.10")
        second = endpoint_log.add_to(self, "http", bind="127.0.0.12", port=first.port)
        self.dns.set("app.probe.test", "A", ["127.0.0.10"], ttl=0)
        srv = self.serve(profile("app.probe.test.", first.port, self.west.port, interval="1s"))
        self.east_state(srv, "up", "HTTP 200")
        wait_until(lambda: first.requests >= 3, 5.0, "3 probes")
        # One lookup per probe, 1 s apart (give or take the run's jitter).
        times = self.dns.asked("app.probe.test", "A")
        self.assertLessEqual(len(times), first.requests + 1)
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertGreater(min(gaps), 0.7, f"lookups {gaps} s apart")
        # So a change is followed at the next probe.
        self.dns.set("app.probe.test", "A", ["127.0.0.12"], ttl=0)
        wait_until(lambda: second.requests > 0, 2.5, "a probe at the new address")
        srv.stop()

    def test_a_failed_lookup_fails_the_probe_with_its_reason(self):
        srv = self.serve(profile("gone.probe.test.", 80, self.west.port))
        self.east_state(srv, "down", "resolve failed: NXDOMAIN")
        self.assertEqual(cname_target(srv.query("www.example.com")), "west.example.com.")
        srv.stop()

    def test_a_silent_resolver_is_a_timeout(self):
        self.dns.silent = True
        srv = self.serve(profile("app.probe.test.", 80, self.west.port))
        self.east_state(srv, "down", "timeout after 400 ms")
        self.assertTrue(self.dns.asked("app.probe.test", "A"), "the resolver was asked")
        srv.stop()

    def test_a_probe_target_name_is_resolved_and_named(self):
        health = endpoint_log.add_to(self, "http", bind="127.0.0.12")
        self.dns.set("health.probe.test", "A", ["127.0.0.12"])
        zone = profile("west", 9, self.west.port,
                       settings=f"probe-target=health.probe.test:{health.port}")
        # east serves west.example.com. but is judged by health.probe.test.
        srv = self.serve(zone)
        self.east_state(srv, "up", "HTTP 200")
        request = wait_until(health.requests_seen, 2.0, "a probe at the probe target")[0]
        self.assertEqual(request.header("Host"), [f"health.probe.test:{health.port}"])
        srv.stop()

    @unittest.skipUnless(have_ipv6_loopback(), "this machine has no IPv6 loopback (::1)")
    def test_the_family_preference_picks_the_address(self):
        v4 = endpoint_log.add_to(self, "http", bind="127.0.0.10")
        v6 = endpoint_log.add_to(self, "http", bind="::1", port=v4.port)
        self.dns.set("app.probe.test", "A", ["127.0.0.10"])
        self.dns.set("app.probe.test", "AAAA", ["::1"])
        srv = self.serve(profile("app.probe.test.", v4.port, self.west.port,
                                 settings="family=ipv6-first"))
        self.east_state(srv, "up", "HTTP 200")
        wait_until(lambda: v6.requests >= 2, 3.0, "probes over IPv6")
        self.assertEqual(v4.requests, 0, "ipv6-first never probes the IPv4 address")
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
