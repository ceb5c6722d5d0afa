"""The status page and HTTP API (--http-listen): the real daemon with real
HTTP endpoints, every ctl action over the API with the bearer token, each
answered as ctl is answered and logged with by=api@127.0.0.1; refusals
without or with a wrong token (401, WWW-Authenticate) or with no token
configured (403); bad input answered with a JSON error and the right
status, never a crash; the token from a systemd credential; TLS with a
certificate made for the test; and the same refusals as ctl in a fleet
(--local)."""
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import sbtest
import tlsca
from sbtest import ScenarioCase, cname_target, wait_until
from test_control import zone  # www: east (priority 1) and west, probed by HTTP

TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"


def write_secret(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    return path


class Api:
    """The server's HTTP API: one request per connection, as curl does."""

    def __init__(self, srv, tls_context=None, host="127.0.0.1", source=None):
        line = srv.wait_log(r"event=http-listening address=127\.0\.0\.1:(\d+)", 5)
        self.port = int(re.search(r"address=127\.0\.0\.1:(\d+)", line).group(1))
        self.tls, self.host = tls_context, host
        self.source = (source, 0) if source else None

    def request(self, method, path, body=None, token=None, headers=None):
        """(status, headers, decoded JSON or text)."""
        if self.tls is not None:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=10,
                                               context=self.tls, source_address=self.source)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=10,
                                              source_address=self.source)
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read().decode()
            ctype = r.getheader("Content-Type", "")
            return r.status, r, json.loads(data) if ctype == "application/json" else data
        finally:
            conn.close()

    def act(self, command, token=TOKEN, **body):
        return self.request("POST", f"/api/v1/{command}", body=body, token=token)


def answer(srv):
    return cname_target(srv.query("www.example.com"))


class HttpApiTest(ScenarioCase):
    def start(self, args=(), env=None, token=True):
        self.east = self.endpoint("http", bind="127.0.0.10")
        self.west = self.endpoint("http", bind="127.0.0.11")
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        extra = ["--http-listen", "127.0.0.1:0", *args]
        if token:
            extra += ["--http-token-file", write_secret(tmp, "token", TOKEN)]
        srv = self.server({"example.com.zone": zone(self.east, self.west)}, extra, env=env)
        wait_until(lambda: answer(srv) == "east.example.com.", 10, "east to answer")
        return srv

    def test_every_action_with_the_token(self):
        srv = self.start()
        api = Api(srv)
        by = r"by=api@127\.0\.0\.1$"
        # Status: what ctl status --json prints.
        status, _, reply = api.request("GET", "/api/v1/status")
        self.assertEqual(status, 200)
        _, out, _ = srv.ctl("--json", "status")
        ctl = json.loads(out)
        self.assertEqual(set(reply), set(ctl))
        self.assertEqual(set(reply["status"]), set(ctl["status"]))
        self.assertEqual([p["name"] for p in reply["status"]["profiles"]], ["www.example.com."])
        self.assertEqual(reply["status"]["profiles"][0]["answering"],
                         ctl["status"]["profiles"][0]["answering"])
        # The status's filters and page, as ctl status takes them.
        status, _, reply = api.request("GET", "/api/v1/status?offset=1&limit=5")
        self.assertEqual((status, reply["status"]["profiles"], reply["status"]["zones"]),
                         (200, [], []))
        self.assertEqual(reply["status"]["page"], {"matched": 1, "offset": 1, "limit": 5})
        status, _, reply = api.request("GET", "/api/v1/status?down=1")
        self.assertEqual((status, reply["status"]["page"]["matched"]), (200, 0))
        status, _, reply = api.request("GET", "/api/v1/status?profile=www&down=0")
        self.assertEqual([p["name"] for p in reply["status"]["profiles"]], ["www.example.com."])
        status, _, reply = api.request("GET", "/api/v1/status?profile=nope")
        self.assertEqual((status, reply["ok"]), (409, False))
        self.assertIn("no profile named nope", reply["error"])
        status, _, reply = api.request("GET", "/api/v1/status?limit=ten")
        self.assertEqual((status, reply["error"]), (400, "limit= takes a whole number"))

        # The reply names what was drained as configured (the name may be
        # typed short, as with ctl).
        self.assertEqual(api.act("drain", profile="www", endpoint="east")[::2],
                         (200, {"ok": True, "message": "done", "profile": "www.example.com.",
                                "endpoint": "east"}))
        srv.wait_log(r"event=override action=drain profile=www\.example\.com\. endpoint=east "
                     + by, 5)
        wait_until(lambda: answer(srv) == "west.example.com.", 5, "the drain to answer west")
        _, _, again = api.act("drain", profile="www.example.com", endpoint="east")
        self.assertEqual(again, {"ok": True, "message": "nothing to change",
                                 "profile": "www.example.com.", "endpoint": "east"})
        # ctl sees who drained it, and the state file keeps it.
        _, out, _ = srv.ctl("--json", "status")
        east = json.loads(out)["status"]["profiles"][0]["endpoints"][0]
        self.assertEqual(east["drained_by"], "api@127.0.0.1")
        self.assertEqual(api.act("undrain", profile="www.example.com", endpoint="east")[0], 200)
        srv.wait_log(r"event=override action=undrain profile=www\.example\.com\. endpoint=east "
                     + by, 5)

        status, _, r = api.act("force", profile="www.example.com", endpoint="east",
                               state="down", **{"for": "1h"})
        self.assertEqual((status, r["ok"]), (200, True))
        srv.wait_log(r"event=override action=force profile=www\.example\.com\. endpoint=east "
                     r"state=down until_ms=\d+ " + by, 5)
        wait_until(lambda: answer(srv) == "west.example.com.", 5, "the force to answer west")
        self.assertEqual(api.act("unforce", profile="www.example.com", endpoint="east")[0], 200)
        srv.wait_log(r"event=override action=unforce .*endpoint=east " + by, 5)

        status, _, r = api.act("switchover", profile="www.example.com.", endpoint="west",
                               for_seconds=7200)
        self.assertEqual((status, r), (200, {"ok": True, "message": "done",
                                             "profile": "www.example.com.", "endpoint": "west"}))
        srv.wait_log(r"event=override action=switchover profile=www\.example\.com\. "
                     r"endpoint=west until_ms=\d+ " + by, 5)
        wait_until(lambda: answer(srv) == "west.example.com.", 5, "the switchover")
        self.assertEqual(api.act("failback", profile="www.example.com")[0], 200)
        srv.wait_log(r"event=override action=failback profile=www\.example\.com\. endpoint=- " + by, 5)
        wait_until(lambda: answer(srv) == "east.example.com.", 5, "the failback")

        # A reload replies with what it changed, as ctl reload --json does:
        # nothing here.
        status, _, r = api.act("reload")
        self.assertEqual((status, r["ok"], r["message"]), (200, True, "reloaded"))
        self.assertEqual(r["changes"]["answers_moved"], [])
        srv.wait_log(r"event=reload-requested by=api@127\.0\.0\.1", 5)

        # Refusals are ctl's, word for word, as 409.
        status, _, r = api.act("drain", profile="nope.example.com", endpoint="east")
        rc, _, err = srv.ctl("drain", "nope.example.com", "east", check=False)
        self.assertEqual((status, rc), (409, 1))
        self.assertFalse(r["ok"])
        self.assertIn(r["error"], err)
        status, _, r = api.act("drain", profile="www.example.com", endpoint="east")
        status, _, r = api.act("drain", profile="www.example.com", endpoint="west")
        self.assertEqual(status, 409)
        self.assertIn("last one of www.example.com.", r["error"])
        srv.stop()

    def test_without_the_token(self):
        srv = self.start()
        api = Api(srv)
        body = {"profile": "www.example.com", "endpoint": "east"}
        for token, words in ((None, "this action needs the header Authorization: Bearer TOKEN"),
                             ("x" * 64, "wrong token"),
                             (TOKEN[:-1], "wrong token"),
                             (TOKEN + "0", "wrong token")):
            status, resp, r = api.request("POST", "/api/v1/drain", body, token=token)
            self.assertEqual((status, r), (401, {"ok": False, "error": words}), token)
            self.assertEqual(resp.getheader("WWW-Authenticate"), 'Bearer realm="switchboard"')
        status, _, r = api.request("POST", "/api/v1/drain", body,
                                   headers={"Authorization": "Basic YXBpOnBhc3N3b3Jk"})
        self.assertEqual((status, r["error"]), (401, "the Authorization header must be Bearer "
                                                     "TOKEN"))
        for command in ("undrain", "force", "unforce", "switchover", "failback", "reload"):
            self.assertEqual(api.act(command, token=None, profile="www.example.com")[0], 401)
        srv.wait_log(r"level=warning event=api-refused client=127\.0\.0\.1 status=401 ", 5)
        self.assertEqual(srv.log_count(r"event=override "), 0)
        self.assertEqual(answer(srv), "east.example.com.")
        # Reads need none; the page comes with its policy.
        self.assertEqual(api.request("GET", "/api/v1/status")[0], 200)
        status, resp, page = api.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertIn("<title>Switchboard status</title>", page)
        csp = resp.getheader("Content-Security-Policy")
        self.assertRegex(csp, r"^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; "
                              r"script-src 'sha256-[A-Za-z0-9+/=]+'; connect-src 'self';")
        self.assertEqual(resp.getheader("X-Frame-Options"), "DENY")
        srv.stop()

    def test_bad_input(self):
        srv = self.start()
        api = Api(srv)
        cases = [
            ("POST", "/api/v1/drain", '{"profile": "www.example.com", ', 400,
             "the body is not JSON: string or '}' expected near end of file"),
            ("POST", "/api/v1/drain", '"drain"', 400, "the body must be a JSON object"),
            ("POST", "/api/v1/drain", '{"profile": "www.example.com", "endpont": "east"}', 400,
             "unknown field 'endpont' (the command is the path)"),
            ("POST", "/api/v1/force", '{"profile": "www.example.com", "endpoint": "east"}', 400,
             "force needs a state: up or down"),
            ("POST", "/api/v1/switchover",
             '{"profile": "www.example.com", "endpoint": "west", "for": "soon"}', 400, None),
            ("POST", "/api/v1/drain", "\xff\xfe", 400, None),
            ("POST", "/api/v1/teleport", "{}", 404, "no such resource; the API is under /api/v1/"),
            ("GET", "/api/v1/drain", None, 405, "/api/v1/drain takes POST"),
            ("DELETE", "/api/v1/status", None, 405, "/api/v1/status takes GET or HEAD"),
            ("POST", "/api/v1/reload", "{" + " " * 9000 + "}", 413, "the body is over 8192 bytes"),
        ]
        for method, path, body, want, words in cases:
            status, resp, r = api.request(method, path, body, token=TOKEN)
            self.assertEqual(status, want, (method, path, body and body[:40], r))
            self.assertEqual(resp.getheader("Content-Type"), "application/json")
            self.assertFalse(r["ok"])
            if words is not None:
                self.assertEqual(r["error"], words)
        # A chunked body that grows past the cap is cut off.
        with socket.create_connection(("127.0.0.1", api.port), timeout=10) as s:
            s.sendall(b"POST /api/v1/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + TOKEN.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n%s\r\n" % (4096, b" " * 4096)
            try:
                for _ in range(4):
                    s.sendall(chunk)
                data = s.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            self.assertEqual(data, b"")
        # Garbage where HTTP should be: libmicrohttpd answers 400 or closes.
        with socket.create_connection(("127.0.0.1", api.port), timeout=10) as s:
            s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n")
            data = s.recv(4096)
            self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 400"), data[:80])
        self.assertEqual(srv.log_count(r"event=override "), 0)
        self.assertEqual(api.request("GET", "/api/v1/status")[0], 200)
        self.assertEqual(answer(srv), "east.example.com.")
        srv.stop()

    def test_connection_limits(self):
        """Idle connections are closed after the idle timeout, and those over
        the per-address cap are refused rather than held."""
        srv = self.start()
        api = Api(srv)
        socks = []
        try:
            for _ in range(20):
                socks.append(socket.create_connection(("127.0.0.1", api.port), timeout=10))
            # Over 16 from one address: closed at once (read gives EOF).
            closed = 0
            for s in socks[16:]:
                try:
                    closed += s.recv(1) == b""
                except ConnectionResetError:
                    closed += 1
            self.assertEqual(closed, 4)
            # The page is still served meanwhile from another address.
            self.assertEqual(Api(srv, source="127.0.0.2").request("GET", "/")[0], 200)
        finally:
            for s in socks:
                s.close()
        srv.stop()

    def test_no_token_configured(self):
        srv = self.start(token=False)
        srv.wait_log(r"event=http-listening .* actions=off token=none", 5)
        api = Api(srv)
        status, _, r = api.act("drain", profile="www.example.com", endpoint="east")
        self.assertEqual(status, 403)
        self.assertIn("actions are off: the server has no API token", r["error"])
        self.assertEqual(api.request("GET", "/")[0], 200)
        srv.stop()

    def test_token_from_a_credential(self):
        creds = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, creds, True)
        write_secret(creds, "http-token", TOKEN)
        srv = self.start(env={**os.environ, "CREDENTIALS_DIRECTORY": creds}, token=False)
        srv.wait_log(r"event=http-listening .* actions=on token=credential", 5)
        api = Api(srv)
        self.assertEqual(api.act("drain", profile="www.example.com", endpoint="east")[0], 200)
        self.assertEqual(api.act("undrain", token="y" * 64, profile="www.example.com",
                                 endpoint="east")[0], 401)
        srv.stop()

    def test_a_short_token_is_a_configuration_error(self):
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        zones = os.path.join(tmp, "zones")
        os.mkdir(zones)
        with open(os.path.join(zones, "example.com.zone"), "w") as f:
            f.write(sbtest.ZONE_HEADER)
        path = write_secret(tmp, "token", "short")
        r = subprocess.run(
            [sbtest.BINARY, "check", "--zones", zones, "--http-listen", "8053",
             "--http-token-file", path], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"command line: http-token-file: {path} must hold one token of at least 32 "
                      "characters", r.stderr)

    def test_tls(self):
        ca = tlsca.TestCA()
        self.addCleanup(ca.cleanup)
        pair = ca.server("localhost")
        srv = self.start(["--http-tls-cert", pair.cert, "--http-tls-key", pair.key])
        srv.wait_log(r"event=http-listening .* tls=yes actions=on", 5)
        ctx = ssl.create_default_context(cafile=ca.cert)
        api = Api(srv, tls_context=ctx, host="localhost")
        status, _, r = api.request("GET", "/api/v1/status")
        self.assertEqual((status, r["ok"]), (200, True))
        self.assertEqual(api.act("drain", profile="www.example.com", endpoint="east")[0], 200)
        srv.wait_log(r"event=override action=drain .* by=api@127\.0\.0\.1$", 5)
        self.assertEqual(api.act("undrain", token=None, profile="www.example.com",
                                 endpoint="east")[0], 401)
        # Plain HTTP to the TLS port gets no answer.
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            status = Api(srv).request("GET", "/")[0]
            raise AssertionError(f"plain HTTP answered {status}")
        srv.stop()

    def test_stopping_with_requests_pending(self):
        """A reload waiting for a slow first round, and an override waiting
        for that reload, hold their connections; status is answered
        meanwhile; SIGTERM answers both with 503 and the server exits 0 at
        once."""
        srv = self.start()
        api = Api(srv)
        hang = self.endpoint("hang", bind="127.0.0.14")
        with open(os.path.join(srv.zones_dir, "example.com.zone"), "a") as f:
            f.write(f"""slow  profile priority ttl=5 {{
          monitor http interval=12s timeout=11s port={hang.port}
          endpoint c 127.0.0.14 priority=1
      }}
""")
        results = {}

        def call(name, command, **body):
            try:
                results[name] = api.act(command, **body)[::2]
            except (ConnectionError, http.client.HTTPException) as e:
                results[name] = e

        threads = [threading.Thread(target=call, args=("reload", "reload"))]
        threads[0].start()
        srv.wait_log(r"event=reload-requested by=api@127\.0\.0\.1$", 5)
        wait_until(lambda: hang.requests > 0, 5, "the slow probe to start")
        threads.append(threading.Thread(target=call, args=("drain", "drain"),
                                        kwargs={"profile": "www.example.com", "endpoint": "east"}))
        threads[1].start()
        # Held by the server (not still on its way) before it is stopped.
        srv.wait_log(r"event=override-waiting action=drain profile=www\.example\.com "
                     r"endpoint=east by=api@127\.0\.0\.1 ", 5)
        started = time.monotonic()
        self.assertEqual(api.request("GET", "/api/v1/status")[0], 200)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual(results, {})
        srv.stop()
        for t in threads:
            t.join(10)
            self.assertFalse(t.is_alive())
        for name in ("reload", "drain"):
            self.assertEqual(results[name], (503, {"ok": False, "error": "the server is stopping"}),
                             name)
        self.assertEqual(srv.log_count(r"event=override "), 0)

    def test_fleet_refusals_are_ctls(self):
        """With the fleet out of reach an override is refused unless it says
        local, exactly as ctl's."""
        port = sbtest.free_port()
        srv = self.start(["--fleet-server", f"nats://127.0.0.1:{port}", "--fleet-node", "ns1",
                          "--fleet-timeout", "200ms"])
        api = Api(srv)
        status, _, r = api.act("drain", profile="www.example.com", endpoint="east")
        rc, _, err = srv.ctl("drain", "www.example.com", "east", check=False)
        self.assertEqual((status, rc), (409, 1))
        self.assertIn(r["error"], err)
        self.assertIn("--local", r["error"])
        status, _, r = api.act("drain", profile="www.example.com", endpoint="east", local=True)
        self.assertEqual(status, 200, r)
        srv.wait_log(r"event=override action=drain profile=www\.example\.com\. endpoint=east "
                     r"by=api@127\.0\.0\.1@ns1$", 5)
        _, _, st = api.request("GET", "/api/v1/status")
        self.assertEqual(st["status"]["fleet"]["node"], "ns1")
        self.assertEqual(len(st["status"]["fleet"]["local_only"]), 1)
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
