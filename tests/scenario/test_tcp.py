"""TCP connections under pressure: a burst of connections over --tcp-clients
(each one accepted and closed, and the listener still answering after
it)."""
import re
import signal
import socket
import struct
import urllib.request

import dns.message
import dns.rcode
import dns.rdatatype

import sbtest
from sbtest import ScenarioCase, wait_until

# 230 TXT records of 255 bytes: an answer of about 62 KB. Eighty of them
# are more than a loopback socket's send buffer (which Linux sizes at up to
# 4 MiB) and a small receive window hold together, so the server has to
# write them in parts and wait.
HUGE = [f"{i:03d}" + chr(ord("a") + i % 26) * 252 for i in range(230)]
MID = [f"{i}" + "m" * 99 for i in range(8)]

ZONE = sbtest.ZONE_HEADER + "east  A  127.0.0.10\n" + "".join(
    f'huge  TXT  "{t}"\n' for t in HUGE) + "".join(f'mid  TXT  "{t}"\n' for t in MID)


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def metrics_url(srv):
    line = srv.wait_log(r"event=metrics-listening address=127\.0\.0\.1:\d+",
                        sbtest.READY_TIMEOUT)
    return "http://127.0.0.1:%s/metrics" % re.search(r":(\d+)$", line).group(1)


def scrape_value(url, sample):
    """The value of one sample line (`name{labels}` exactly as written)."""
    with urllib.request.urlopen(url, timeout=5) as r:
        for line in r.read().decode().split("\n"):
            if line.startswith(sample + " "):
                return float(line.split(" ")[1])
    raise AssertionError(f"no sample {sample}")


def tcp_answered(srv):
    return scrape_value(metrics_url(srv),
                        'switchboard_dns_queries_total{transport="tcp",rcode="noerror"}')


class RejectedBurst(ScenarioCase):
    def test_burst_over_the_cap_then_a_query(self):
        # One worker, one client allowed: every connection of the burst is
        # over the cap. Each must be accepted and closed; a listener that
        # left one pending would never be watched again.
        srv = self.server({"example.com.zone": ZONE}, threads=1,
                          args=["--tcp-clients", "1", "--metrics-listen", "127.0.0.1:0"])
        url = metrics_url(srv)
        query = dns.message.make_query("east.example.com", "A")
        held = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        self.addCleanup(held.close)
        held.sendall(frame(query.to_wire()))
        self.assertIsNotNone(sbtest.read_frame(held))
        # The burst lands in the listen queue at once: the kernel completes
        # the handshakes while the daemon is stopped, and the worker finds
        # all ten pending when it wakes.
        srv.proc.send_signal(signal.SIGSTOP)
        try:
            burst = [socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                     for _ in range(10)]
        finally:
            srv.proc.send_signal(signal.SIGCONT)
        for s in burst:
            self.addCleanup(s.close)
        for i, s in enumerate(burst):
            try:
                self.assertIsNone(sbtest.read_frame(s), f"connection {i} of the burst")
            except socket.timeout:
                self.fail(f"connection {i} of the burst was never accepted and closed")
        # Close the held connection and wait for the server's side to close
        # too: its slot is free from then on.
        held.shutdown(socket.SHUT_WR)
        self.assertIsNone(sbtest.read_frame(held))
        r = srv.query("east.example.com", "A", tcp=True, timeout=5)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(sbtest.answer_texts(r), ["east.example.com. 3600 A 127.0.0.10"])

        def counts():
            return (scrape_value(url, 'switchboard_tcp_connections_total{result="accepted"}'),
                    scrape_value(url, 'switchboard_tcp_connections_total{result="rejected"}'))
        wait_until(lambda: counts() == (2, 10), 5, "2 accepted and 10 rejected connections")
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
