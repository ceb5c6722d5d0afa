"""sbtest.Endpoint with endpoint.py's extra options (--body, --cert, ...)
and its stderr kept, so that a test can see what the probe sent: the
method, the path and the headers of every request, the bytes a `huge`
endpoint managed to send, failed TLS handshakes."""
import json
import os
import re
import subprocess
import sys
import threading
import time

import sbtest


class Request:
    def __init__(self, line, at):
        _, self.method, self.path, headers = line.split(" ", 3)
        self.headers = json.loads(headers)
        self.at = at  # time.monotonic() when the test read it

    def header(self, name):
        """Every value sent for `name` (any case), in order."""
        return [v for k, v in self.headers if k.lower() == name.lower()]


class LoggingEndpoint(sbtest.Endpoint):
    def __init__(self, mode, *args, extra=(), **kw):
        self.extra = list(extra)
        self.lines = []
        self.stamps = []  # when each line was read
        self.lock = threading.Lock()
        super().__init__(mode, *args, **kw)

    def start(self):
        args = [sys.executable, os.path.join(sbtest.HERE, "endpoint.py"), self.mode,
                "--bind", self.bind, "--port", str(self.port), "--status", str(self.status),
                *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"PORT (\d+)", line)
        if not m:
            raise AssertionError(f"endpoint did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(m.group(1))
        threading.Thread(target=self._count, args=(self.proc,), daemon=True).start()

    def _count(self, proc):
        with proc.stderr:
            for line in proc.stderr:
                with self.lock:
                    self.lines.append(line.rstrip("\n"))
                    self.stamps.append(time.monotonic())
                    if line.startswith("REQUEST"):
                        self.requests += 1

    def requests_seen(self):
        """The HTTP requests logged so far (not the raw modes' lines)."""
        with self.lock:
            return [Request(l, at) for l, at in zip(self.lines, self.stamps)
                    if l.startswith("REQUEST ") and not l.startswith("REQUEST raw")]

    def log_lines(self, prefix):
        with self.lock:
            return [l for l in self.lines if l.startswith(prefix)]


def add_to(case, *args, **kw):
    """A LoggingEndpoint stopped when the test `case` ends."""
    ep = LoggingEndpoint(*args, **kw)
    case.addCleanup(ep.kill)
    return ep
