#!/usr/bin/env python3
"""A TCP line-protocol server for scenario tests of the tcp monitor's
send and receive, run as its own process. Standard library only.

    line_server.py banner TEXT  [--bind 127.0.0.20] [--port N]
                        send TEXT as soon as a client connects (an SMTP or
                        FTP greeting); then read
    line_server.py echo-upper   read a line, answer it upper-cased
    line_server.py pong         read a line; "PING" gets "+PONG\\r\\n", anything
                                else "-ERR unknown command\\r\\n"
    line_server.py silent       accept and read, never write
    line_server.py wrong        read a line, answer "NOPE\\r\\n", then close
                                (a server refusing the request)
    line_server.py close        read a line, then close without answering
    line_server.py flood        read a line, answer 8 KiB of "x" with no line end
                                and keep the connection open

TEXT is sent as given (a test passes a real "\\r\\n"). A line is whatever
arrives up to and including the first LF, or what came before the client
closed or stopped sending for 5 seconds, at most 4 KiB. After answering,
the modes other than wrong and close keep the connection open until the
client closes it.

Prints "PORT <n>" on stdout once it is listening, like endpoint.py, so the
test can use an ephemeral port and still find it; tests stop it with
SIGKILL and may start it again on the same port. On stderr, each
connection's first line is logged as "REQUEST <repr of its bytes>", for
example REQUEST b'PING\\r\\n' (REQUEST b'' when nothing came).

With --control, the mode can change without closing the listening socket
(a restart would refuse connections for a moment): each line on stdin is a
JSON list, the mode and its TEXT if any (["banner", "220 ready\\r\\n"]),
which applies to the connections accepted from then on and is acknowledged
with "MODE <mode>" on stdout.
"""
import argparse
import json
import signal
import socket
import sys
import threading

LINE_MAX = 4096
READ_TIMEOUT = 5.0


def log(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def read_line(conn):
    """The first line, its LF included; b"" when nothing came."""
    conn.settimeout(READ_TIMEOUT)
    data = b""
    try:
        while b"\n" not in data and len(data) < LINE_MAX:
            chunk = conn.recv(LINE_MAX - len(data))
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    line = data.split(b"\n", 1)[0] + b"\n" if b"\n" in data else data
    log(f"REQUEST {line!r}")
    return line


def hold(conn):
    """Keep the connection open, discarding input, until the client goes."""
    conn.settimeout(None)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def answer(line, mode):
    if mode == "echo-upper":
        return line.upper()
    if mode == "pong":
        return b"+PONG\r\n" if line.strip() == b"PING" else b"-ERR unknown command\r\n"
    if mode == "wrong":
        return b"NOPE\r\n"
    if mode == "flood":
        return b"x" * 8192
    return b""  # silent, close


def serve(conn, mode, banner):
    try:
        if mode == "banner":
            conn.sendall(banner)
        line = read_line(conn)
        reply = answer(line, mode)
        if reply:
            conn.sendall(reply)
        if mode in ("wrong", "close"):
            conn.shutdown(socket.SHUT_WR)
        else:
            hold(conn)
    except OSError:
        pass
    finally:
        conn.close()


MODES = ["banner", "echo-upper", "pong", "silent", "wrong", "close", "flood"]


def check_mode(mode, text):
    """None when `mode` and `text` go together, else what is wrong."""
    if mode not in MODES:
        return f"unknown mode {mode!r}"
    if (mode == "banner") != (text is not None):
        return "TEXT is required with banner, and only with banner"
    return None


class Current:
    """The mode for the next connection, changed by --control."""

    def __init__(self, mode, text):
        self.lock = threading.Lock()
        self.set(mode, text)

    def set(self, mode, text):
        with self.lock:
            self.mode, self.banner = mode, (text or "").encode()

    def get(self):
        with self.lock:
            return self.mode, self.banner


def control(current):
    for line in sys.stdin:
        mode, *rest = json.loads(line)
        text = rest[0] if rest else None
        why = check_mode(mode, text)
        if why:
            log(f"CONTROL-ERROR {why}")
            continue
        current.set(mode, text)
        print(f"MODE {mode}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=MODES)
    ap.add_argument("text", nargs="?", help="banner: the text sent on connect")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control", action="store_true", help="read mode changes from stdin")
    args = ap.parse_args()
    why = check_mode(args.mode, args.text)
    if why:
        ap.error(why)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    fam = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.bind, args.port))
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    current = Current(args.mode, args.text)
    if args.control:
        threading.Thread(target=control, args=(current,), daemon=True).start()
    while True:
        conn, _ = sock.accept()
        mode, banner = current.get()
        threading.Thread(target=serve, args=(conn, mode, banner), daemon=True).start()


if __name__ == "__main__":
    main()
