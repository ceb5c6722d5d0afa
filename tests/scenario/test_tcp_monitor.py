"""Address endpoints with a TCP connect monitor: the A answer moves when
the primary stops accepting connections."""
import sbtest
from sbtest import ScenarioCase, wait_until

INTERVAL = 1.0


def a_records(msg):
    return [rd.address for rrset in msg.answer for rd in rrset]


class TcpMonitor(ScenarioCase):
    def test_address_failover(self):
        east = self.endpoint("tcp", bind="127.0.0.10")
        west = self.endpoint("tcp", bind="127.0.0.11")
        zone = sbtest.ZONE_HEADER + f"""api profile priority ttl=15 {{
    monitor tcp port={east.port} interval={INTERVAL:g}s timeout=400ms fall=2 rise=1
    endpoint east 127.0.0.10 priority=1
    endpoint west 127.0.0.11 priority=2 port={west.port}
}}
"""
        srv = self.server({"example.com.zone": zone})
        r = srv.query("api.example.com", "A")
        self.assertTrue(r.flags & sbtest.dns.flags.AA)
        self.assertEqual(sbtest.answer_texts(r), ["api.example.com. 15 A 127.0.0.10"])
        # No IPv6 endpoint: NODATA with the SOA.
        r = srv.query("api.example.com", "AAAA")
        self.assertEqual(r.rcode(), sbtest.dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 0)
        self.assertEqual(len(r.authority), 1)

        east.kill()
        wait_until(lambda: a_records(srv.query("api.example.com")) == ["127.0.0.11"],
                   2 * INTERVAL + 1.0, "the A answer to move to 127.0.0.11")
        srv.wait_log(r"event=answer-change profile=api\.example\.com\. family=ipv4 from=east "
                     r"to=west cause=probe", 1.0)
        east.restart()
        wait_until(lambda: a_records(srv.query("api.example.com")) == ["127.0.0.10"],
                   INTERVAL + 1.0, "the A answer to return to 127.0.0.10")
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
