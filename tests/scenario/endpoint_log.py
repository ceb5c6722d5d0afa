"""sbtest.Endpoint with its stderr kept, so that a test can see what the
probe sent: the method, the path and the headers of every request, the
bytes a `huge` endpoint managed to send, failed TLS handshakes."""
import json
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
    def __init__(self, mode, *args, **kw):
        self.lines = []
        self.stamps = []  # when each line was read
        self.lock = threading.Lock()
        super().__init__(mode, *args, **kw)

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
