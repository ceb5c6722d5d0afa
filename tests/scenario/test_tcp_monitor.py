"""Address endpoints with a TCP monitor: the A answer moves when the
primary stops accepting connections, and, with send= and receive=, when
its line protocol stops answering as expected (line_server.py)."""
import json
import os
import re
import subprocess
import sys
import threading

import sbtest
from sbtest import ScenarioCase, wait_until

INTERVAL = 1.0

# Fast probes for the send/receive scenarios: one result changes the state.
FAST = "interval=200ms timeout=150ms fall=1 rise=1"
PRIMARY, BACKUP = "127.0.0.20", "127.0.0.21"
MOVE = 3.0  # seconds for a state change to show: many probe intervals


def a_records(msg):
    return [rd.address for rrset in msg.answer for rd in rrset]


class LineServer:
    """A line_server.py process. switch() changes its mode for the
    connections that follow without closing its listening socket, so that
    no probe sees a refused connection in between."""

    def __init__(self, mode, *text, bind="127.0.0.1"):
        args = [sys.executable, os.path.join(sbtest.HERE, "line_server.py"), mode, *text,
                "--bind", bind, "--control"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.requests = []
        line = self.proc.stdout.readline()
        m = re.match(r"PORT (\d+)", line)
        if not m:
            raise AssertionError(f"line_server did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(m.group(1))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        with self.proc.stderr:
            for line in self.proc.stderr:
                if line.startswith("REQUEST "):
                    self.requests.append(line[len("REQUEST "):].strip())

    def switch(self, mode, *text):
        self.proc.stdin.write(json.dumps([mode, *text]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if line.strip() != f"MODE {mode}":
            raise AssertionError(f"line_server did not switch to {mode}: {line!r}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            f.close()


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


class TcpSendReceive(ScenarioCase):
    """monitor tcp with send= and receive=: east (127.0.0.20) is the server
    under test, west (127.0.0.21) a healthy backup."""

    def line_server(self, mode, *text, bind):
        srv = LineServer(mode, *text, bind=bind)
        self.addCleanup(srv.kill)
        return srv

    def start(self, settings, east, west):
        zone = sbtest.ZONE_HEADER + f"""api profile priority ttl=15 {{
    monitor tcp port={east.port} {FAST} {settings}
    endpoint east {PRIMARY} priority=1
    endpoint west {BACKUP} priority=2 port={west.port}
}}
"""
        return self.server({"example.com.zone": zone})

    def answer_is(self, srv, addr, what):
        wait_until(lambda: a_records(srv.query("api.example.com")) == [addr], MOVE, what)

    def east_state(self, srv, to, reason, start):
        """The log line of east's change to `to`, its reason matching the
        regular expression `reason`, logged at or after line `start`."""
        return srv.wait_log(r"event=endpoint-state profile=api\.example\.com\. endpoint=east "
                            rf"target={re.escape(PRIMARY)} from=\w+ to={to} "
                            rf'reason="{reason}"', MOVE, start)

    def test_ping_pong_up_then_wrong_reply_down(self):
        east = self.line_server("pong", bind=PRIMARY)
        west = self.line_server("pong", bind=BACKUP)
        srv = self.start(r'send="PING\013\010" receive="PONG"', east, west)
        self.east_state(srv, "up", "ok", 0)
        self.answer_is(srv, PRIMARY, "the answer to be east while it says PONG")
        # \013\010 reached the server as CR LF.
        wait_until(lambda: "b'PING\\r\\n'" in east.requests, MOVE, "PING CR LF to reach east")

        mark = len(srv.lines)
        east.switch("wrong")
        self.east_state(srv, "down", "bad response: reply did not contain the expected text",
                        mark)
        self.answer_is(srv, BACKUP, "the answer to move to west when east says NOPE")

        mark = len(srv.lines)
        east.switch("pong")
        self.east_state(srv, "up", "ok", mark)
        self.answer_is(srv, PRIMARY, "the answer to return to east")
        srv.stop()

    def test_banner_up_then_silent_times_out(self):
        east = self.line_server("silent", bind=PRIMARY)
        west = self.line_server("banner", "220 backup\r\n", bind=BACKUP)
        srv = self.start('receive="220"', east, west)
        self.east_state(srv, "down", "timeout after 150 ms", 0)
        self.answer_is(srv, BACKUP, "the answer to be west while east is silent")

        mark = len(srv.lines)
        east.switch("banner", "220 ready\r\n")
        self.east_state(srv, "up", "ok", mark)
        self.answer_is(srv, PRIMARY, "the answer to move to east once it greets with 220")

        mark = len(srv.lines)
        east.switch("silent")
        self.east_state(srv, "down", "timeout after 150 ms", mark)
        self.answer_is(srv, BACKUP, "the answer to move to west when east falls silent")
        srv.stop()

    def test_send_only_is_up_when_written(self):
        east = self.line_server("silent", bind=PRIMARY)
        west = self.line_server("silent", bind=BACKUP)
        srv = self.start(r'send="QUIT\013\010"', east, west)
        self.east_state(srv, "up", "ok", 0)
        self.answer_is(srv, PRIMARY, "the answer to be east: a write is enough")
        wait_until(lambda: "b'QUIT\\r\\n'" in east.requests, MOVE, "QUIT to reach east")
        srv.stop()

    def test_closed_and_oversized_replies_are_down(self):
        east = self.line_server("echo-upper", bind=PRIMARY)
        west = self.line_server("echo-upper", bind=BACKUP)
        srv = self.start(r'send="ping\013\010" receive="PING"', east, west)
        self.east_state(srv, "up", "ok", 0)
        self.answer_is(srv, PRIMARY, "the answer to be east while it echoes")

        # Read the request, then close without a word.
        mark = len(srv.lines)
        east.switch("close")
        self.east_state(srv, "down", "connection closed without a response", mark)
        self.answer_is(srv, BACKUP, "the answer to move to west when east hangs up")

        mark = len(srv.lines)
        east.switch("echo-upper")
        self.east_state(srv, "up", "ok", mark)

        # 8 KiB without the text: judged at 4 KiB, long before the timeout.
        mark = len(srv.lines)
        east.switch("flood")
        line = self.east_state(srv, "down", "bad response: reply did not contain the "
                               "expected text in the first 4 KiB", mark)
        self.assertLess(int(re.search(r"latency_ms=(\d+)", line).group(1)), 150)
        self.answer_is(srv, BACKUP, "the answer to move to west when east floods")
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
