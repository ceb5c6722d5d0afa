"""Priority failover end to end: the primary's HTTP endpoint is killed, the
answer moves to the secondary within fall x interval + 1 s; the primary comes
back and the answer returns after `rise` successes."""
import time

import sbtest
from sbtest import ScenarioCase, cname_target, wait_until

INTERVAL = 1.0
FALL = 3
RISE = 2


def zone(east, west):
    return sbtest.ZONE_HEADER + f"""east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 {{
          monitor http path=/health interval={INTERVAL:g}s timeout=500ms fall={FALL} rise={RISE}
          endpoint east east.example.com. priority=1 port={east.port}
          endpoint west west.example.com. priority=2 port={west.port}
      }}
"""


class Failover(ScenarioCase):
    def test_primary_fails_and_recovers(self):
        east = self.endpoint("http", bind="127.0.0.10")
        west = self.endpoint("http", bind="127.0.0.11")
        srv = self.server({"example.com.zone": zone(east, west)})

        # The first answer is already the primary, with its address.
        r = srv.query("www.example.com", "A")
        self.assertEqual(cname_target(r), "east.example.com.")
        self.assertEqual(sbtest.answer_texts(r), [
            "www.example.com. 5 CNAME east.example.com.",
            "east.example.com. 3600 A 127.0.0.10",
        ])

        # Primary dies: the answer moves within fall x interval + 1 s.
        mark = len(srv.lines)
        east.kill()
        killed = time.monotonic()
        wait_until(lambda: cname_target(srv.query("www.example.com")) == "west.example.com.",
                   FALL * INTERVAL + 1.0, "the answer to move to west")
        moved = time.monotonic() - killed
        line = srv.wait_log(r"event=endpoint-state profile=www\.example\.com\. endpoint=east",
                            1.0, start=mark)
        self.assertIn("from=up to=down", line)
        self.assertIn('reason="connect refused"', line)
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=east to=west "
                     r"cause=probe", 1.0, start=mark)
        r = srv.query("www.example.com", "A", tcp=True)
        self.assertEqual(sbtest.answer_texts(r)[1], "west.example.com. 3600 A 127.0.0.11")

        # Primary returns: the answer comes back once `rise` probes succeeded.
        mark = len(srv.lines)
        east.restart()
        wait_until(lambda: cname_target(srv.query("www.example.com")) == "east.example.com.",
                   RISE * INTERVAL + 1.0, "the answer to return to east")
        line = srv.wait_log(r"event=endpoint-state profile=www\.example\.com\. endpoint=east",
                            1.0, start=mark)
        self.assertIn("from=down to=up", line)
        self.assertIn('reason="HTTP 200"', line)
        print(f"failover took {moved:.2f}s (bound {FALL * INTERVAL + 1.0:.1f}s)")
        srv.stop()

    def test_bad_status_counts_as_down(self):
        east = self.endpoint("http", bind="127.0.0.10", status=503)
        west = self.endpoint("http", bind="127.0.0.11")
        srv = self.server({"example.com.zone": zone(east, west)})
        # Decided in the first round, before the first answer.
        self.assertEqual(cname_target(srv.query("www.example.com")), "west.example.com.")
        line = srv.wait_log(r"endpoint=east .*from=checking to=down", 1.0)
        self.assertIn('reason="HTTP 503"', line)
        srv.stop()

    def test_all_down_fails_open_to_the_primary(self):
        east = self.endpoint("http", bind="127.0.0.10", status=500)
        west = self.endpoint("http", bind="127.0.0.11", status=500)
        srv = self.server({"example.com.zone": zone(east, west)})
        r = srv.query("www.example.com")
        self.assertEqual(cname_target(r), "east.example.com.")
        line = srv.wait_log(r"event=all-down profile=www\.example\.com\.", 1.0)
        self.assertIn("answering=east", line)
        self.assertEqual(srv.log_count(r"event=all-down "), 1)
        # Recovery of the secondary ends the all-down state, logged once.
        west.status = 200
        west.restart()
        wait_until(lambda: cname_target(srv.query("www.example.com")) == "west.example.com.",
                   RISE * INTERVAL + 1.0, "the answer to move to the recovered west")
        srv.wait_log(r"event=all-down-end profile=www\.example\.com\. answering=west", 1.0)
        srv.stop()

    def test_an_always_serve_endpoint_is_never_probed_and_always_up(self):
        east = self.endpoint("http", bind="127.0.0.10", status=500)
        west = self.endpoint("http", bind="127.0.0.11", status=500)
        dr = self.endpoint("http", bind="127.0.0.12")
        text = zone(east, west).replace("west  A  127.0.0.11\n",
                                        "west  A  127.0.0.11\ndr    A  127.0.0.12\n")
        text = text.replace(f"priority=2 port={west.port}\n",
                            f"priority=2 port={west.port}\n"
                            "          endpoint dr dr.example.com. priority=3 monitor=none\n")
        srv = self.server({"example.com.zone": text})
        # Both probed endpoints are down: the third answers, no failing open.
        self.assertEqual(cname_target(srv.query("www.example.com")), "dr.example.com.")
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=none to=dr", 1.0)
        self.assertEqual(srv.log_count(r"event=all-down "), 0)
        _, out, _ = srv.ctl("status")
        self.assertRegex(out, r"dr\s+up")
        wait_until(lambda: east.requests >= 2, 3.0, "a second round of probes")
        self.assertEqual(dr.requests, 0, "monitor=none is never probed")
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
