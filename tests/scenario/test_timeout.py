"""An endpoint that accepts connections but never answers goes down after
its timeout, while DNS keeps answering every query throughout."""
import time

import sbtest
from sbtest import ScenarioCase, cname_target, wait_until

INTERVAL = 1.0
TIMEOUT_MS = 300
FALL = 2


class HangingEndpoint(ScenarioCase):
    def test_hang_is_a_timeout_and_dns_keeps_answering(self):
        east = self.endpoint("http", bind="127.0.0.10")
        west = self.endpoint("http", bind="127.0.0.11")
        zone = sbtest.ZONE_HEADER + f"""east A 127.0.0.10
west A 127.0.0.11
www profile priority ttl=5 {{
    monitor http interval={INTERVAL:g}s timeout={TIMEOUT_MS}ms fall={FALL} rise=2
    endpoint east east priority=1 port={east.port}
    endpoint west west priority=2 port={west.port}
}}
"""
        srv = self.server({"example.com.zone": zone})
        self.assertEqual(cname_target(srv.query("www.example.com")), "east.example.com.")

        # Replace east's server with one that accepts and stays silent.
        port = east.port
        east.kill()
        hang = self.endpoint("hang", bind="127.0.0.10", port=port)
        mark = len(srv.lines)

        # Query continuously until the answer moves; every query must be
        # answered (a 1 s client timeout fails the test).
        answered = 0
        deadline = time.monotonic() + FALL * INTERVAL + TIMEOUT_MS / 1000 + 2.0
        while True:
            target = cname_target(srv.query("www.example.com", timeout=1.0))
            answered += 1
            if target == "west.example.com.":
                break
            self.assertLess(time.monotonic(), deadline, "the answer never moved to west")
            time.sleep(0.02)
        line = srv.wait_log(r"endpoint=east .*from=up to=down", 1.0, start=mark)
        self.assertIn(f'reason="timeout after {TIMEOUT_MS} ms"', line)
        self.assertGreater(answered, 10)
        hang.kill()
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
