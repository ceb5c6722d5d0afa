"""TCP connections under pressure: a burst of connections over --tcp-clients
(each one accepted and closed, and the listener still answering after
it), a client that reads slowly (back-pressure: every answer arrives whole
and in order), and a client that stops reading (closed by the idle
timeout, which frees its slot)."""
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


def send_buffer_max():
    """The most a TCP socket's send buffer grows to on this host."""
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        return int(f.read().split()[2])


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


class SlowReaders(ScenarioCase):
    def queries(self, n):
        """`n` queries cycling through huge, small and mid-sized answers,
        with IDs 1..n; [(id, name)], and the framed wire."""
        kinds = [("huge.example.com", "TXT"), ("east.example.com", "A"),
                 ("huge.example.com", "TXT"), ("mid.example.com", "TXT")]
        sent, wire = [], b""
        for i in range(n):
            name, rdtype = kinds[i % len(kinds)]
            q = dns.message.make_query(name, rdtype)
            q.id = i + 1
            sent.append((q.id, name))
            wire += frame(q.to_wire())
        return sent, wire

    def check_answer(self, r, name):
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        if name == "east.example.com":
            self.assertEqual(sbtest.answer_texts(r), ["east.example.com. 3600 A 127.0.0.10"])
            return
        want = HUGE if name == "huge.example.com" else MID
        self.assertEqual(len(r.answer), 1)
        got = sorted(rd.strings[0].decode() for rd in r.answer[0])
        self.assertEqual(got, sorted(want))

    def slow_client(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        # A small receive buffer (set before connecting, so that the window
        # stays small): the server's writes stop fitting almost at once.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        return s

    def test_every_answer_arrives_whole_and_in_order(self):
        srv = self.server({"example.com.zone": ZONE},
                          args=["--metrics-listen", "127.0.0.1:0", "--tcp-idle-timeout", "20s"])
        s = self.slow_client(srv.port)
        sent, wire = self.queries(160)
        s.sendall(wire)  # all of them at once, and nothing read yet
        wait_until(lambda: tcp_answered(srv) >= 1, 5, "the server to start answering")
        for ident, name in sent:
            data = sbtest.read_frame(s)
            self.assertIsNotNone(data, f"the answer to query {ident}")
            r = dns.message.from_wire(data)
            self.assertEqual(r.id, ident)  # in order
            self.check_answer(r, name)
        wait_until(lambda: tcp_answered(srv) == 160, 5, "160 TCP queries counted")
        srv.stop()

    def test_a_client_that_stops_reading_is_closed_when_idle(self):
        srv = self.server({"example.com.zone": ZONE}, threads=1,
                          args=["--metrics-listen", "127.0.0.1:0", "--tcp-clients", "1",
                                "--tcp-idle-timeout", "1s"])
        stalled = self.slow_client(srv.port)
        # More answers than the server's send buffer can hold, whatever this
        # host lets it grow to: the server is left with a write pending.
        sent, wire = self.queries(2 * (send_buffer_max() // 60000 + 16))
        stalled.sendall(wire)
        wait_until(lambda: tcp_answered(srv) >= 1, 5, "the server to start answering")
        # The stalled client holds the only slot until the idle timeout
        # closes it; then another client is answered.
        query = dns.message.make_query("east.example.com", "A").to_wire()

        def answered():
            return sbtest.raw_tcp(srv.port, query, timeout=2) is not None
        wait_until(answered, 10, "a new TCP client to be answered")
        # What the server had sent before closing is there, then the end,
        # well before the last answer.
        got = 0
        try:
            while sbtest.read_frame(stalled) is not None:
                got += 1
        except (AssertionError, ConnectionResetError):
            pass  # the close cut a frame, or reset the connection
        self.assertLess(got, len(sent))
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
