"""Graceful lifecycle: start-up says what it loaded and how the first round
went; SIGTERM during TCP traffic lets every query already sent be answered,
exits 0 within a second, and leaves the state file intact; an idle TCP
client does not hold the exit up; SIGINT stops the same way; a ctl request
that arrives while stopping is answered, not served."""
import json
import signal
import socket
import struct
import time

import dns.message

import sbtest
from sbtest import ScenarioCase


def zone(east):
    # west: nothing listens there, so it is down.
    return sbtest.ZONE_HEADER + f"""east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 {{
          monitor http interval=1s timeout=500ms port={east.port}
          endpoint east east.example.com. priority=1
          endpoint west west.example.com. priority=2
      }}
"""


class Lifecycle(ScenarioCase):
    def test_start_up_reports_what_it_loaded(self):
        east = self.endpoint("http", bind="127.0.0.10")
        srv = self.server({"example.com.zone": zone(east)})
        line = srv.wait_log(r"event=zone-loaded zone=example\.com\. ", 1.0)
        self.assertRegex(line, r"file=\S+example\.com\.zone names=\d+ profiles=1")
        line = srv.wait_log(r"event=profile-loaded profile=www\.example\.com\. ", 1.0)
        self.assertIn("endpoints=east,west monitor=http", line)
        line = srv.wait_log(r"event=first-round complete=yes", 1.0)
        self.assertIn("endpoints_up=1 endpoints_down=1 endpoints_checking=0", line)
        srv.wait_log(r"event=listening address=127\.0\.0\.1:\d+ transports=udp,tcp", 1.0)
        srv.wait_log(r"event=control-listening socket=", 1.0)

    def test_sigterm_during_tcp_traffic(self):
        east = self.endpoint("http", bind="127.0.0.10")
        srv = self.server({"example.com.zone": zone(east)})
        srv.ctl("drain", "www.example.com", "west")
        with open(srv.state_file) as f:
            saved = f.read()
        conns, per_conn = 8, 50
        socks = []
        for c in range(conns):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            wire = b""
            for i in range(per_conn):
                q = dns.message.make_query("www.example.com", "A")
                q.id = c * 1000 + i
                w = q.to_wire()
                wire += struct.pack("!H", len(w)) + w
            socks.append((s, wire))
        # Every query is on the wire before the signal.
        for s, wire in socks:
            s.sendall(wire)
        sent_at = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        for c, (s, _) in enumerate(socks):
            ids = []
            while True:
                frame = sbtest.read_frame(s)
                if frame is None:
                    break
                r = dns.message.from_wire(frame)
                ids.append(r.id)
                self.assertEqual(sbtest.answer_texts(r)[0],
                                 "www.example.com. 5 CNAME east.example.com.")
            s.close()
            self.assertEqual(ids, [c * 1000 + i for i in range(per_conn)],
                             f"connection {c} lost answers")
        rc = srv.proc.wait(timeout=5)
        took = time.monotonic() - sent_at
        self.assertEqual(rc, 0)
        # The drain is bounded at one second by design; wall-clock time on a
        # shared machine is reported, not asserted.
        print(f"SIGTERM to exit: {took * 1000:.0f} ms with {conns * per_conn} queries in flight")
        srv.wait_log(r"event=stopped", 1.0)
        with open(srv.state_file) as f:
            self.assertEqual(f.read(), saved)
        json.loads(saved)

    def test_sigint_stops_like_sigterm(self):
        east = self.endpoint("http", bind="127.0.0.10")
        srv = self.server({"example.com.zone": zone(east)})
        srv.proc.send_signal(signal.SIGINT)
        self.assertEqual(srv.proc.wait(timeout=10), 0)
        srv.wait_log(r"event=stopping signal=SIGINT$", 1.0)
        srv.wait_log(r"event=stopped$", 1.0)

    def test_sigterm_with_an_idle_tcp_client(self):
        # An idle connection has nothing in flight: it is closed at once,
        # not waited for until the one-second drain limit.
        east = self.endpoint("http", bind="127.0.0.10")
        srv = self.server({"example.com.zone": zone(east)})
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as idle:
            # One answer first, so that the server has surely accepted the
            # connection: one still in the listener's queue at the stop is
            # reset by the kernel, not closed by the server.
            query = dns.message.make_query("example.com", "SOA")
            idle.sendall(struct.pack("!H", len(query.to_wire())) + query.to_wire())
            self.assertIsNotNone(sbtest.read_frame(idle))
            sent_at = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            rc = srv.proc.wait(timeout=10)
            took = time.monotonic() - sent_at
            self.assertEqual(idle.recv(1), b"")  # closed by the server
        self.assertEqual(rc, 0)
        print(f"SIGTERM to exit with an idle TCP client: {took * 1000:.0f} ms")
        # The bound is the documented 1 s drain plus a margin no scheduler
        # noise reaches; a server that waited for the idle client would
        # take its idle timeout (10 s).
        self.assertLess(took, 3.0)

    def test_sigterm_with_a_ctl_request_pending(self):
        # A ctl client connected before SIGTERM whose request arrives after
        # it: the server must not serve it with a stopped probe worker.
        east = self.endpoint("http", bind="127.0.0.10")
        srv = self.server({"example.com.zone": zone(east)})
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(10)
            c.connect(srv.control_socket)
            srv.ctl("status")  # the server has accepted the connection above
            mark = len(srv.lines)
            srv.proc.send_signal(signal.SIGTERM)
            srv.wait_log(r"event=stopping signal=SIGTERM", 5.0, start=mark)
            try:
                c.sendall(b'{"command": "status"}\n')
            except OSError:
                pass  # already answered and closed: the reply is still there to read
            reply = sbtest.read_line(c)
        self.assertEqual(json.loads(reply), {"ok": False, "error": "the server is stopping"})
        self.assertEqual(srv.proc.wait(timeout=10), 0)
        srv.wait_log(r"event=stopped", 1.0, start=mark)


if __name__ == "__main__":
    sbtest.main()
