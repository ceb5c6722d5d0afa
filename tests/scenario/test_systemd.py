"""What the daemon tells systemd, without systemd: the test plays the
service manager. It gives the daemon $NOTIFY_SOCKET naming a datagram
socket of its own (abstract, so that the daemon can still reach it once it
has become `nobody`) and reads every sd_notify(3) message sent there:

  - READY=1 only once the first round of probes is in: its STATUS= already
    counts the endpoints that are up and those that are down, none still
    being checked;
  - STATUS= kept current: an endpoint that goes down shows in it;
  - RELOADING=1 (with MONOTONIC_USEC=) then READY=1 around a reload, for
    one that succeeds and for one that fails (whose `ctl reload` exits 1,
    which is what the unit's ExecReload= relies on);
  - STOPPING=1 at SIGTERM;
  - WATCHDOG=1 keep-alives when $WATCHDOG_USEC is set, none when it is not
    or when $WATCHDOG_PID names another process.

And the journal's priorities: with $JOURNAL_STREAM naming the pipe it is
given as standard error (as systemd names the journal's stream), every log
line starts with its syslog priority (<6> info, <4> warning, <3> error);
with a $JOURNAL_STREAM that names another file, none does."""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest

import sbtest
from sbtest import wait_until

ZONE = sbtest.ZONE_HEADER + """east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 {{
          monitor http interval=200ms timeout=150ms fall=1 rise=1
          endpoint east east.example.com. priority=1 port={east}
          endpoint west west.example.com. priority=2 port={west}
      }}
api   profile priority ttl=5 {{
          monitor tcp interval=200ms timeout=150ms port={closed}
          endpoint a 127.0.0.12 priority=1
      }}
"""

# A profile TTL over 300 s is a configuration warning, logged at start.
WARNED = """long  profile priority ttl=600 {
          monitor tcp interval=1s timeout=500ms port=9
          endpoint a 127.0.0.13 priority=1
      }
"""


class NotifySocket:
    """A datagram socket in the abstract namespace, read by a thread: every
    message the daemon sends, in order, with when it came."""

    def __init__(self):
        self.name = f"@sb-notify-{os.getpid()}-{time.monotonic_ns()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])
        self.messages = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.cond:
                self.messages.append(data.decode())
                self.cond.notify_all()

    def fields(self, i):
        """Message `i` as {key: value}."""
        return dict(line.split("=", 1) for line in self.messages[i].split("\n") if line)

    def wait_for(self, key, value=None, start=0, timeout=15.0):
        """The index of the first message from `start` with `key` (equal to
        `value` when given, or matching it when it is a compiled regex)."""
        def found():
            with self.cond:
                for i in range(start, len(self.messages)):
                    v = self.fields(i).get(key)
                    if v is not None and (value is None or v == value or
                                          (hasattr(value, "search") and value.search(v))):
                        return i + 1
            return None
        return wait_until(found, timeout, f"a notification {key}={value or '...'}"
                          f" (got {self.messages[start:]})") - 1

    def count(self, text):
        with self.cond:
            return sum(1 for m in self.messages if text in m.split("\n"))

    def close(self):
        self.sock.close()


class Systemd(sbtest.ScenarioCase):
    def setUp(self):
        self.notify = NotifySocket()
        self.addCleanup(self.notify.close)
        self.east = self.endpoint("http", bind="127.0.0.10")
        self.west = self.endpoint("http", bind="127.0.0.11")

    def zone(self, extra=""):
        closed = sbtest.free_port()  # nothing listens: api's endpoint is down
        return ZONE.format(east=self.east.port, west=self.west.port, closed=closed) + extra

    def start(self, env=None, **kw):
        return self.server({"example.com.zone": self.zone()},
                           env={"NOTIFY_SOCKET": self.notify.name, **(env or {})}, **kw)

    def test_ready_after_the_first_round_and_status_kept_current(self):
        srv = self.start()
        ready = self.notify.wait_for("READY", "1")
        self.assertEqual(ready, 0, f"READY=1 is the first message: {self.notify.messages}")
        # east and west up, api's endpoint down: all three judged already.
        self.assertEqual(self.notify.fields(ready)["STATUS"],
                         "serving 1 zone, 2 profiles; 2 of 3 endpoints up")
        self.assertGreater(srv.log_count(r"event=first-round complete=yes .*endpoints_checking=0"),
                           0)
        self.west.kill()
        self.notify.wait_for("STATUS", "serving 1 zone, 2 profiles; 1 of 3 endpoints up",
                             start=ready + 1)
        self.assertEqual(self.notify.count("READY=1"), 1)
        srv.stop()
        self.notify.wait_for("STOPPING", "1")

    def test_reloading_then_ready_around_each_reload(self):
        srv = self.start()
        first = self.notify.wait_for("READY", "1")
        srv.ctl("reload")
        reloading = self.notify.wait_for("RELOADING", "1", start=first + 1)
        fields = self.notify.fields(reloading)
        self.assertRegex(fields["MONOTONIC_USEC"], r"^\d+$")
        self.assertTrue(fields["STATUS"].startswith("reloading; serving 1 zone, 2 profiles"),
                        fields)
        done = self.notify.wait_for("READY", "1", start=reloading + 1)
        self.assertTrue(self.notify.fields(done)["STATUS"].startswith("serving 1 zone"))
        # A broken zone: ctl reload (the unit's ExecReload=) exits 1, and the
        # server, still serving the old configuration, is ready again.
        with open(os.path.join(srv.zones_dir, "example.com.zone"), "a") as f:
            f.write("broken  profile priority {\n")
        code, _, err = srv.ctl("reload", check=False)
        self.assertEqual(code, 1, err)
        reloading = self.notify.wait_for("RELOADING", "1", start=done + 1)
        failed = self.notify.wait_for("READY", "1", start=reloading + 1)
        self.assertTrue(self.notify.fields(failed)["STATUS"].startswith(
            "reload failed; serving 1 zone, 2 profiles"), self.notify.messages[failed])

    def test_watchdog_keepalives(self):
        srv = self.start(env={"WATCHDOG_USEC": "400000"})
        self.notify.wait_for("READY", "1")
        # Every 200 ms: at least five within two seconds of being ready.
        wait_until(lambda: self.notify.count("WATCHDOG=1") >= 5, 2.5, "five WATCHDOG=1")
        srv.stop()

    def test_no_keepalives_without_a_watchdog_for_this_process(self):
        for env in ({}, {"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"}):
            mark = len(self.notify.messages)  # READY=1 may come before start() returns
            srv = self.start(env=env)
            ready = self.notify.wait_for("READY", "1", start=mark)
            # Keep-alives would have come every 200 ms: wait for a STATUS=
            # change instead, which comes after several such periods.
            self.west.kill()
            self.notify.wait_for("STATUS", re.compile(r"; 1 of 3 endpoints up$"), start=ready + 1)
            self.assertEqual(self.notify.count("WATCHDOG=1"), 0, env)
            srv.stop()
            self.west.start()


class JournalPriorities(sbtest.ScenarioCase):
    def run_daemon(self, journal_stream_of):
        """The daemon with its standard error on a pipe, $JOURNAL_STREAM
        naming `journal_stream_of(pipe's write end)`; its log until ready,
        and a warning and an error after it."""
        r, w = os.pipe()
        st = os.fstat(w)
        east = self.endpoint("http", bind="127.0.0.10")
        zone = ZONE.format(east=east.port, west=sbtest.free_port(), closed=sbtest.free_port())
        srv = self.server({"example.com.zone": zone + WARNED},
                          env={"JOURNAL_STREAM": journal_stream_of(st)}, stderr=w)
        os.close(w)
        lines, done = [], threading.Event()

        def read():
            with os.fdopen(r, "r") as f:
                for line in f:
                    lines.append(line.rstrip("\n"))
            done.set()
        threading.Thread(target=read, daemon=True).start()
        wait_until(lambda: any("event=ready" in x for x in lines), sbtest.READY_TIMEOUT,
                   "event=ready")
        srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(srv.proc.wait(timeout=10), 0)
        self.assertTrue(done.wait(5))
        shutil.rmtree(srv.tmp, ignore_errors=True)
        return lines

    def test_every_line_has_its_priority_when_stderr_is_the_journal(self):
        lines = self.run_daemon(lambda st: f"{st.st_dev}:{st.st_ino}")
        want = {"debug": "7", "info": "6", "warning": "4", "error": "3"}
        seen = set()
        for line in lines:
            m = re.match(r"^<(\d)>ts=\S+ level=(\w+) event=", line)
            self.assertIsNotNone(m, f"no priority prefix: {line!r}")
            self.assertEqual(m.group(1), want[m.group(2)], line)
            seen.add(m.group(2))
        self.assertEqual(seen, {"info", "warning"}, lines)  # a config-warning, an endpoint down
        self.assertTrue(any(re.match(r"<4>.*event=endpoint-state .*to=down", x) for x in lines))

    def test_configuration_errors_have_their_priority_too(self):
        """`check` as the unit's ExecStartPre= runs it, and `serve` refusing
        a broken configuration: every line of either on the journal's
        stream has a priority, errors <3> and warnings <4>."""
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        with open(os.path.join(tmp, "example.com.zone"), "w") as f:
            f.write(sbtest.ZONE_HEADER + WARNED + "bad  A  not-an-address\n")
        for command in ("check", "serve"):
            r, w = os.pipe()
            st = os.fstat(w)
            proc = subprocess.run(
                [sbtest.BINARY, command, "--zones", tmp, "--listen", "127.0.0.1:0",
                 *sbtest.user_args([])], stdout=subprocess.DEVNULL, stderr=w, timeout=30,
                env={**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
            os.close(w)
            with os.fdopen(r) as f:
                lines = f.read().splitlines()
            self.assertEqual(proc.returncode, 1)
            self.assertTrue(any(re.match(r"<3>.*example\.com\.zone:\d+:\d+: ", x)
                                for x in lines), lines)
            self.assertTrue(any(re.match(r"<4>.*warning: profile long", x) for x in lines)
                            or command == "serve", lines)  # serve logs no warning then
            for line in lines:
                self.assertRegex(line, r"^<[34]>", f"{command}: {lines}")

    def test_no_prefix_when_stderr_is_not_the_journal(self):
        lines = self.run_daemon(lambda st: f"{st.st_dev}:{st.st_ino + 1}")
        self.assertTrue(lines)
        for line in lines:
            self.assertTrue(line.startswith("ts="), line)


if __name__ == "__main__":
    sbtest.main()
