#!/usr/bin/env python3
"""A health-check target for scenario tests, run as its own process.

    endpoint.py http     --bind 127.0.0.10 [--port N] [--status 200]
    endpoint.py tcp      --bind 127.0.0.10 [--port N]   accept, then close
    endpoint.py hang     --bind 127.0.0.10 [--port N]   accept, never answer
    endpoint.py headers  ...  "200 OK" headers promising a body that never comes
    endpoint.py reset    ...  read the request, then reset the connection (RST)
    endpoint.py close    ...  read the request, then close without answering (FIN)
    endpoint.py garbage  ...  answer with bytes that are not HTTP

Prints "PORT <n>" on stdout once it is listening, so the test can use an
ephemeral port and still find it. Tests stop it with SIGKILL (the endpoint
dies like a crashed server) and may start it again on the same port.
Every HTTP request is counted on stderr as "REQUEST <path>".
"""
import argparse
import http.server
import signal
import socket
import socketserver
import struct
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        sys.stderr.write(f"REQUEST {self.path}\n")
        sys.stderr.flush()
        body = f"status {self.status}\n".encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class Server6(Server):
    address_family = socket.AF_INET6


def family(bind):
    return socket.AF_INET6 if ":" in bind else socket.AF_INET


def listen(bind, port):
    s = socket.socket(family(bind), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port))
    s.listen(128)
    return s


def announce(port):
    print(f"PORT {port}", flush=True)


def read_request(conn):
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    sys.stderr.write("REQUEST raw\n")
    sys.stderr.flush()


def serve_tcp(sock, mode):
    held = []
    while True:
        conn, _ = sock.accept()
        if mode == "hang":
            held.append(conn)  # keep it open and silent
        elif mode == "reset":
            # Like a backend that crashes on the request: read it, then RST.
            read_request(conn)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        elif mode == "headers":
            read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            held.append(conn)  # the body never comes
        elif mode == "close":
            read_request(conn)
            conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        elif mode == "garbage":
            read_request(conn)
            conn.sendall(b"\x00\xffSSH-2.0-not-http\r\n\r\n")
            conn.close()
        else:
            conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode",
                    choices=["http", "tcp", "hang", "headers", "reset", "close", "garbage"])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--status", type=int, default=200)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.mode == "http":
        Handler.status = args.status
        cls = Server6 if family(args.bind) == socket.AF_INET6 else Server
        srv = cls((args.bind, args.port), Handler)
        announce(srv.server_address[1])
        srv.serve_forever()
    else:
        sock = listen(args.bind, args.port)
        announce(sock.getsockname()[1])
        serve_tcp(sock, args.mode)


if __name__ == "__main__":
    main()
