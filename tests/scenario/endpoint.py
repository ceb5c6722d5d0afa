#!/usr/bin/env python3
"""A health-check target for scenario tests, run as its own process.

    endpoint.py http     --bind 127.0.0.10 [--port N] [--status 200] [--body TEXT]
    endpoint.py https    ... --cert PEM --key PEM [--client-ca PEM]   http over TLS;
                         with --client-ca, clients must show a certificate it signed;
                         SIGHUP re-reads the files
    endpoint.py body     ... --body TEXT [--chunk N]   http serving TEXT as the
                         body (--chunk: N bytes per write, 5 ms apart)
    endpoint.py tcp      --bind 127.0.0.10 [--port N]   accept, then close
    endpoint.py hang     --bind 127.0.0.10 [--port N]   accept, never answer
    endpoint.py headers  ...  "200 OK" headers promising a body that never comes
    endpoint.py short    ...  "200 OK" headers promising 100 bytes, then 10 of
                              them and a close
    endpoint.py reset    ...  read the request, then reset the connection (RST)
    endpoint.py close    ...  read the request, then close without answering (FIN)
    endpoint.py garbage  ...  answer with bytes that are not HTTP
    endpoint.py trickle  ...  status line and headers, then the body one byte a
                              second, forever
    endpoint.py trickle-headers  the status line itself one byte a second
    endpoint.py huge     ...  headers with Content-Length 1 GiB, then zeros as
                              fast as the client takes them, until it goes away

--status (default 200) sets the status of every HTTP mode; a 3xx carries
"Location: /redirected", where the http modes answer 200, so that a client
following redirects would be seen to.

Prints "PORT <n>" on stdout once it is listening, so the test can use an
ephemeral port and still find it. Tests stop it with SIGKILL (the endpoint
dies like a crashed server) and may start it again on the same port.
On stderr, every HTTP request is a line "REQUEST <method> <path> <headers>",
the headers a JSON list of [name, value] pairs as received (raw modes:
"REQUEST raw"; hang: one per connection accepted); huge adds "SENT <bytes>"
when the client went away; a failed TLS handshake is "TLS-ERROR <words>",
and the server name a TLS client asked for "SNI <name>".
"""
import argparse
import http
import http.server
import json
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time


def log(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def reason_phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Status"


class Handler(http.server.BaseHTTPRequestHandler):
    status = 200
    body = None
    chunk = 0
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small writes leave at once

    def do_GET(self):
        headers = json.dumps([[k, v] for k, v in self.headers.items()])
        log(f"REQUEST {self.command} {self.path} {headers}")
        status = 200 if self.path == "/redirected" else self.status
        text = self.body if self.body is not None else f"status {status}\n"
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        if 300 <= status < 400:
            self.send_header("Location", "/redirected")
        self.end_headers()
        if self.command != "HEAD":
            self.write_body(body)
        self.close_connection = True

    def write_body(self, body):
        """All at once, or --chunk bytes at a time, 5 ms apart, so that the
        client reads a text split across reads."""
        step = self.chunk or len(body)
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            if self.chunk:
                time.sleep(0.005)

    do_HEAD = do_GET

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128  # probes of many profiles arrive at once
    tls = None  # an ssl.SSLContext for https

    def finish_request(self, request, client_address):
        """The TLS handshake happens here, in the connection's own thread, so
        that a slow or failing client never holds the accept loop."""
        if self.tls is None:
            return super().finish_request(request, client_address)
        request.settimeout(10)
        conn = self.tls.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        try:
            conn.do_handshake()
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, OSError) as e:
            log(f"TLS-ERROR {e}")
            linger(conn)
        finally:
            conn.close()
        return None


def linger(conn):
    """Close after a failed handshake the way careful servers do: FIN after
    the alert, then read what the client still sends. Closing with unread
    data would reset the connection, and the client might then see the reset
    instead of the alert (with TLS 1.3, a missing client certificate is only
    refused after the client thinks the handshake is done)."""
    try:
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(2)
        while conn.recv(4096):
            pass
    except (ssl.SSLError, OSError, ValueError):
        pass


class Server6(Server):
    address_family = socket.AF_INET6


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.client_ca)
    ctx.sni_callback = lambda conn, name, ctx: log(f"SNI {name}")
    return ctx


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


def trickle(conn, status, head_too):
    """Headers promising a long body, then one byte a second (or all of it,
    status line included, one byte a second)."""
    read_request(conn)
    head = (f"HTTP/1.1 {status} {reason_phrase(status)}\r\nContent-Type: text/plain\r\n"
            "Content-Length: 1000000\r\n\r\n").encode()
    try:
        if head_too:
            for i in range(len(head)):
                conn.sendall(head[i:i + 1])
                time.sleep(1)
        else:
            conn.sendall(head)
        while True:
            conn.sendall(b"x")
            time.sleep(1)
    except OSError:
        conn.close()


def huge(conn, status):
    """1 GiB promised, zeros sent until the client stops taking them."""
    read_request(conn)
    size = 1 << 30
    sent = 0
    chunk = bytes(65536)
    try:
        conn.sendall((f"HTTP/1.1 {status} {reason_phrase(status)}\r\n"
                      f"Content-Type: application/octet-stream\r\n"
                      f"Content-Length: {size}\r\n\r\n").encode())
        while sent < size:
            sent += conn.send(chunk)
    except OSError:
        pass
    log(f"SENT {sent}")
    conn.close()


def serve_tcp(sock, mode, status):
    held = []
    while True:
        conn, _ = sock.accept()
        if mode in ("trickle", "trickle-headers"):
            threading.Thread(target=trickle, args=(conn, status, mode == "trickle-headers"),
                             daemon=True).start()
        elif mode == "huge":
            threading.Thread(target=huge, args=(conn, status), daemon=True).start()
        elif mode == "hang":
            held.append(conn)  # keep it open and silent
            log("REQUEST raw")  # a probe has reached it
        elif mode == "reset":
            # Like a backend that crashes on the request: read it, then RST.
            read_request(conn)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        elif mode == "headers":
            read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            held.append(conn)  # the body never comes
        elif mode == "short":
            read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            conn.close()
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
                    choices=["http", "https", "body", "tcp", "hang", "headers", "reset",
                             "short", "close", "garbage", "trickle", "trickle-headers", "huge"])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--body", help="the body text (http, https, body)")
    ap.add_argument("--chunk", type=int, default=0,
                    help="http, https, body: send the body this many bytes at a time")
    ap.add_argument("--cert", help="https: the server certificate (PEM)")
    ap.add_argument("--key", help="https: the server certificate's key (PEM)")
    ap.add_argument("--client-ca", help="https: require a client certificate signed by this CA")
    args = ap.parse_args()
    if args.mode == "https" and not (args.cert and args.key):
        ap.error("https needs --cert and --key")
    if args.mode == "body" and args.body is None:
        ap.error("body needs --body")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.mode in ("http", "https", "body"):
        Handler.status = args.status
        Handler.body = args.body
        Handler.chunk = args.chunk
        cls = Server6 if family(args.bind) == socket.AF_INET6 else Server
        srv = cls((args.bind, args.port), Handler)
        if args.mode == "https":
            srv.tls = tls_context(args)
            # Like a real server: SIGHUP re-reads the certificate files, and
            # new connections get the new certificate without a gap.
            signal.signal(signal.SIGHUP, lambda *_: setattr(srv, "tls", tls_context(args)))
        announce(srv.server_address[1])
        srv.serve_forever()
    else:
        sock = listen(args.bind, args.port)
        announce(sock.getsockname()[1])
        serve_tcp(sock, args.mode, args.status)


if __name__ == "__main__":
    main()
