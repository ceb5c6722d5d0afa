"""Address endpoints are chosen per family: A answers come from the first
usable IPv4 endpoint and AAAA answers from the first usable IPv6 endpoint,
each failing over (or failing open) on its own. Probes reach IPv6
endpoints over IPv6."""
import socket
import unittest

import sbtest
from sbtest import ScenarioCase, wait_until

INTERVAL = 1.0


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def addresses(msg):
    return [rd.address for rrset in msg.answer for rd in rrset]


@unittest.skipUnless(have_ipv6_loopback(), "this machine has no IPv6 loopback (::1)")
class AddressFamilies(ScenarioCase):
    def test_families_fail_over_independently(self):
        v4a = self.endpoint("http", bind="127.0.0.10")
        v4b = self.endpoint("http", bind="127.0.0.11")
        v6a = self.endpoint("http", bind="::1")
        zone = sbtest.ZONE_HEADER + f"""@ profile priority ttl=20 {{
    monitor http path=/ping interval={INTERVAL:g}s timeout=400ms fall=2 rise=1
    endpoint v4a 127.0.0.10 priority=1 port={v4a.port}
    endpoint v6a ::1 priority=2 port={v6a.port}
    endpoint v4b 127.0.0.11 priority=3 port={v4b.port}
    endpoint v6b 2001:db8::b priority=4 port=1
}}
@ MX 10 mail
mail A 127.0.0.25
"""
        srv = self.server({"example.com.zone": zone})
        self.assertEqual(addresses(srv.query("example.com", "A")), ["127.0.0.10"])
        self.assertEqual(addresses(srv.query("example.com", "AAAA")), ["::1"])
        # Records of other types share the apex with the profile.
        self.assertEqual(sbtest.answer_texts(srv.query("example.com", "MX")),
                         ["example.com. 3600 MX 10 mail.example.com."])

        # The IPv6 endpoint was really probed, over IPv6.
        wait_until(lambda: v6a.requests > 0, 2.0, "a probe request at [::1]")

        # Every IPv6 endpoint down: AAAA fails open to the first IPv6
        # endpoint and says so; IPv4 is unaffected.
        mark = len(srv.lines)
        v6a.kill()
        srv.wait_log(r"event=all-down profile=example\.com\. family=ipv6 answering=v6a",
                     2 * INTERVAL + 1.0, start=mark)
        self.assertEqual(addresses(srv.query("example.com", "AAAA")), ["::1"])
        self.assertEqual(addresses(srv.query("example.com", "A")), ["127.0.0.10"])
        self.assertEqual(srv.log_count(r"event=all-down profile=example\.com\. family=ipv4"), 0)

        # IPv4 fails over on its own.
        v4a.kill()
        wait_until(lambda: addresses(srv.query("example.com", "A")) == ["127.0.0.11"],
                   2 * INTERVAL + 1.0, "A to fail over to the second IPv4 endpoint")
        srv.wait_log(r"event=answer-change profile=example\.com\. family=ipv4 from=v4a to=v4b",
                     1.0)
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
