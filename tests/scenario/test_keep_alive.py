"""keep-alive=yes: an HTTP monitor reuses one connection for many probes;
a server that closes a kept connection (while it idles, or when the next
request arrives) causes no false failure, because a failure on a kept
connection is tried again on a fresh one; a real failure is still seen."""
import socket
import ssl
import threading

import sbtest
import tlsca
from sbtest import ScenarioCase, cname_target, wait_until

INTERVAL_MS = 200
TIMEOUT_MS = 150


class KeptServer:
    """An HTTP/1.1 endpoint on `bind` that keeps connections open and
    answers every request on the connection it came on, counting the
    connections it accepted and the requests it answered.

    drop_nth: a connection's Nth request is read and the connection is
    then closed without an answer (a server that gave up on it just as the
    request came). idle_close_after: a connection is closed while it idles,
    once it has answered this many requests (a server's keep-alive
    timeout). status: the status of every answer."""

    def __init__(self, bind, drop_nth=0, idle_close_after=0, tls=None):
        """tls: a tlsca.Pair to serve HTTPS with."""
        self.tls = None
        if tls is not None:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(tls.cert, tls.key)
        self.drop_nth = drop_nth
        self.idle_close_after = idle_close_after
        self.status = 200
        self.accepted = 0
        self.answered = 0
        self.lock = threading.Lock()
        self.conns = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((bind, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def counts(self):
        with self.lock:
            return self.accepted, self.answered

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # stopped
            with self.lock:
                self.accepted += 1
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _answer(self, conn, head):
        method = head.split(b" ", 1)[0]
        body = b"" if method == b"HEAD" else b"ok"
        conn.sendall(b"HTTP/1.1 %d Status\r\nContent-Length: 2\r\n\r\n" % self.status + body)
        with self.lock:
            self.answered += 1

    def _serve(self, conn):
        seen, buf = 0, b""
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    seen += 1
                    if seen == self.drop_nth:
                        return
                    self._answer(conn, head)
                    if seen == self.idle_close_after:
                        return
        except OSError:
            return
        finally:
            conn.close()

    def stop(self):
        """Stop listening and close every connection: new connections are
        refused from now on. (shutdown first: a bare close would leave the
        socket listening while the accepting thread is in accept().)"""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def profile(case, server, settings, fallback):
    return f"""{case} profile priority ttl=5 {{
    monitor http interval={INTERVAL_MS}ms timeout={TIMEOUT_MS}ms fall=1 rise=1
    endpoint east east priority=1 port={server.port} {settings}
    endpoint west west priority=2 port={fallback.port}
}}
"""


class KeepAlive(ScenarioCase):
    def serve(self, cases):
        """One daemon with a profile per case: {case: (server, settings)},
        each with a healthy fallback, west."""
        west = KeptServer("127.0.0.11")
        self.addCleanup(west.stop)
        zone = sbtest.ZONE_HEADER + "east A 127.0.0.10\nwest A 127.0.0.11\n"
        for case, (server, settings) in cases.items():
            self.addCleanup(server.stop)
            zone += profile(case, server, settings, west)
        return self.server({"example.com.zone": zone})

    def east_answers(self, srv, case):
        return cname_target(srv.query(f"{case}.example.com")) == "east.example.com."

    def test_one_connection_for_many_probes(self):
        kept = KeptServer("127.0.0.10")
        fresh = KeptServer("127.0.0.10")
        srv = self.serve({"kept": (kept, "keep-alive=yes"),
                          "fresh": (fresh, "keep-alive=no")})
        wait_until(lambda: kept.counts()[1] >= 10, 10, "10 probes of the kept endpoint")
        wait_until(lambda: fresh.counts()[1] >= 10, 10, "10 probes of the fresh endpoint")
        accepted, answered = kept.counts()
        self.assertEqual(accepted, 1, f"{answered} probes on one connection")
        self.assertTrue(self.east_answers(srv, "kept"))
        accepted, answered = fresh.counts()
        self.assertGreaterEqual(accepted, answered, "keep-alive=no: a connection a probe")
        srv.stop()

    def test_tls_connection_reused(self):
        ca = tlsca.TestCA()
        self.addCleanup(ca.cleanup)
        kept = KeptServer("127.0.0.10", tls=ca.server("east.example.com"))
        # An endpoint's monitor of another protocol starts from that
        # protocol's defaults: the timing is given again, with room for a
        # handshake in a sanitizer build.
        https = f'monitor=https interval=500ms timeout=400ms keep-alive=yes ca-file="{ca.cert}"'
        srv = self.serve({"tls": (kept, https)})
        wait_until(lambda: kept.counts()[1] >= 6, 10, "6 probes of the kept endpoint")
        accepted, answered = kept.counts()
        self.assertEqual(accepted, 1, f"{answered} probes on one TLS connection")
        self.assertTrue(self.east_answers(srv, "tls"))
        srv.stop()

    def test_kept_connection_closed_by_server(self):
        # Every connection's 3rd request is read and left unanswered (GET and
        # HEAD), or the connection is closed while idle after 2 answers.
        cases = {
            "dropget": (KeptServer("127.0.0.10", drop_nth=3), "keep-alive=yes"),
            "drophead": (KeptServer("127.0.0.10", drop_nth=3), "keep-alive=yes method=HEAD"),
            "idle": (KeptServer("127.0.0.10", idle_close_after=2), "keep-alive=yes"),
        }
        srv = self.serve(cases)
        for case, (server, _) in cases.items():
            wait_until(lambda: server.counts()[0] >= 5, 15, f"{case}: 5 connections closed")
            self.assertTrue(self.east_answers(srv, case), case)
        self.assertEqual(srv.log_count(r"event=endpoint-state .*to=down"), 0)
        srv.stop()

    def test_real_failures_still_seen(self):
        failing = KeptServer("127.0.0.10")
        gone = KeptServer("127.0.0.10")
        srv = self.serve({"failing": (failing, "keep-alive=yes"),
                          "gone": (gone, "keep-alive=yes")})
        wait_until(lambda: failing.counts()[1] >= 3 and gone.counts()[1] >= 3, 10,
                   "a few probes on kept connections")
        failing.status = 503
        line = srv.wait_log(r"event=endpoint-state profile=failing\.example\.com\. "
                            r"endpoint=east .*to=down", 5)
        self.assertIn('reason="HTTP 503"', line)
        gone.stop()
        line = srv.wait_log(r"event=endpoint-state profile=gone\.example\.com\. "
                            r"endpoint=east .*to=down", 5)
        self.assertIn('reason="connect refused"', line)
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
