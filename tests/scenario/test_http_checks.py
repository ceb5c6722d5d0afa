"""What an HTTP probe sends and how it judges the reply: method, headers,
expected statuses (redirects are judged, never followed), a body match
within its cap; and endpoints that send too much or too slowly are judged
within the timeout while DNS keeps answering."""
import re

import endpoint_log
import sbtest
from sbtest import ScenarioCase, cname_target, wait_until

INTERVAL_MS = 1000
TIMEOUT_MS = 800
MIB = 1 << 20


def profile(case, east, west, settings=""):
    """Profile `case`: endpoint east (127.0.0.10, with its own monitor
    `settings`) and a healthy plain fallback west."""
    return f"""{case} profile priority ttl=5 {{
    monitor http interval={INTERVAL_MS}ms timeout={TIMEOUT_MS}ms fall=1 rise=1
    endpoint east east priority=1 port={east.port} {settings}
    endpoint west west priority=2 port={west.port}
}}
"""


class HttpChecks(ScenarioCase):
    def ep(self, mode, *extra, status=200):
        return endpoint_log.add_to(self, mode, bind="127.0.0.10", status=status, extra=extra)

    def serve(self, cases):
        """One server with a profile per case: {case: (endpoint, settings)}."""
        west = endpoint_log.add_to(self, "http", bind="127.0.0.11")
        zone = sbtest.ZONE_HEADER + "east A 127.0.0.10\nwest A 127.0.0.11\n"
        for case, (ep, settings) in cases.items():
            zone += profile(case, ep, west, settings)
        return self.server({"example.com.zone": zone})

    def first_state(self, srv, case):
        return srv.wait_log(rf"event=endpoint-state profile={case}\.example\.com\. endpoint=east "
                            r".*from=checking", 2.0)

    def assert_state(self, srv, case, state, reason):
        line = self.first_state(srv, case)
        self.assertIn(f"to={state} ", line, case)
        self.assertIn(f'reason="{reason}"', line, case)
        want = "east" if state == "up" else "west"
        self.assertEqual(cname_target(srv.query(f"{case}.example.com")),
                         f"{want}.example.com.", case)
        return line

    def requests(self, ep):
        return wait_until(ep.requests_seen, 2.0, f"a request at port {ep.port}")

    def test_method_and_headers(self):
        cases = {
            "plain": (self.ep("http"), ""),
            "head": (self.ep("http"), "method=HEAD"),
            "custom": (self.ep("http"),
                       'header="X-Probe: switchboard" header="Host: override.example" '
                       'header="Accept: text/plain"'),
            "vhost": (self.ep("http"), 'host=vhost.example header="X-Other: 1"'),
            "agent": (self.ep("http"), 'header="User-Agent: probe/1"'),
        }
        srv = self.serve(cases)
        for case in cases:
            self.assert_state(srv, case, "up", "HTTP 200")
        plain = self.requests(cases["plain"][0])[0]
        self.assertEqual(plain.method, "GET")
        self.assertEqual(plain.path, "/")
        self.assertEqual(plain.header("Host"), [f"east.example.com:{cases['plain'][0].port}"])
        agent = plain.header("User-Agent")
        self.assertEqual(len(agent), 1, agent)
        self.assertRegex(agent[0], r"^Switchboard/\S+ health check$")
        self.assertEqual(self.requests(cases["head"][0])[0].method, "HEAD")
        custom = self.requests(cases["custom"][0])[0]
        self.assertEqual(custom.header("X-Probe"), ["switchboard"])
        self.assertEqual(custom.header("Host"), ["override.example"])  # replaced, not added
        self.assertEqual(custom.header("Accept"), ["text/plain"])
        self.assertEqual(custom.header("User-Agent"), agent)  # the probe's, beside its own
        self.assertEqual(self.requests(cases["agent"][0])[0].header("User-Agent"), ["probe/1"])
        vhost = self.requests(cases["vhost"][0])[0]
        self.assertEqual(vhost.header("Host"), ["vhost.example"])
        self.assertEqual(vhost.header("X-Other"), ["1"])
        self.assertEqual(vhost.header("User-Agent"), agent)
        srv.stop()

    def test_expected_statuses_and_redirects(self):
        expect = "expect=200-299,301"
        cases = {
            "moved": (self.ep("http", status=301), expect),
            "found": (self.ep("http", status=302), expect),
            "unavailable": (self.ep("http", status=503), expect),
        }
        srv = self.serve(cases)
        self.assert_state(srv, "moved", "up", "HTTP 301")
        self.assert_state(srv, "found", "down", "HTTP 302")
        self.assert_state(srv, "unavailable", "down", "HTTP 503")
        # The Location (which answers 200) was never fetched.
        for case, (ep, _) in cases.items():
            self.assertEqual({r.path for r in self.requests(ep)}, {"/"}, case)
        srv.stop()

    def test_body_match(self):
        page = '<html><p>status: all systems go</p><p>say "hi"</p></html>\n'
        far = "x" * 3000 + "MARK"
        # --chunk 3: the texts arrive split across reads.
        served = self.ep("body", "--body", page, "--chunk", "3")
        long = self.ep("body", "--body", far)
        cases = {
            "found": (served, 'body="all systems go"'),
            "quoted": (served, r'body="say \"hi\""'),
            "missing": (served, 'body="maintenance"'),
            "farsmall": (long, "body=MARK body-kib=1"),
            "farbig": (long, "body=MARK body-kib=4"),
            "failing": (self.ep("body", "--body", page, status=500), 'body="all systems go"'),
        }
        srv = self.serve(cases)
        self.assert_state(srv, "found", "up", "HTTP 200")
        self.assert_state(srv, "quoted", "up", "HTTP 200")
        self.assert_state(srv, "missing", "down",
                          "body did not contain 'maintenance' in the first 64 KiB")
        self.assert_state(srv, "farsmall", "down", "body did not contain 'MARK' in the first 1 KiB")
        self.assert_state(srv, "farbig", "up", "HTTP 200")
        # The status is judged first.
        self.assert_state(srv, "failing", "down", "HTTP 500")
        srv.stop()

    def test_body_mismatch_reason_escapes_quotes(self):
        served = self.ep("body", "--body", "nothing here")
        srv = self.serve({"quote": (served, r'body="say \"hi\""')})
        self.assert_state(srv, "quote", "down",
                          r"body did not contain 'say \"hi\"' in the first 64 KiB")
        srv.stop()

    def test_huge_body_is_never_read_whole(self):
        huge = self.ep("huge")
        cases = {"hugebody": (huge, "body=needle"), "hugestatus": (huge, "")}
        srv = self.serve(cases)
        line = self.assert_state(srv, "hugebody", "down",
                                 "body did not contain 'needle' in the first 64 KiB")
        self.assertLess(int(re.search(r"latency_ms=(\d+)", line).group(1)), TIMEOUT_MS)
        self.assert_state(srv, "hugestatus", "up", "HTTP 200")
        # Each probe went away long before 1 GiB (what the kernel buffers
        # is all the endpoint could push).
        sent = wait_until(lambda: huge.log_lines("SENT "), 5.0, "the endpoint to see a probe leave")
        for s in sent:
            self.assertLess(int(s.split()[1]), 64 * MIB, s)
        srv.stop()

    def test_slow_endpoints_time_out_and_dns_keeps_answering(self):
        trickle = self.ep("trickle")
        cases = {
            "trickle": (trickle, "body=needle"),
            "tricklestatus": (trickle, ""),
            "slowheaders": (self.ep("trickle-headers"), ""),
            "huge": (self.ep("huge"), "body=needle"),
        }
        srv = self.serve(cases)
        self.assert_state(srv, "trickle", "down", f"timeout after {TIMEOUT_MS} ms")
        self.assert_state(srv, "tricklestatus", "down", f"timeout after {TIMEOUT_MS} ms")
        self.assert_state(srv, "slowheaders", "down", f"timeout after {TIMEOUT_MS} ms")
        self.assert_state(srv, "huge", "down", "body did not contain 'needle' in the first 64 KiB")

        # Probes keep running against these endpoints; DNS answers throughout.
        sbtest.assert_answers_promptly(srv, [f"{case}.example.com" for case in cases])
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
