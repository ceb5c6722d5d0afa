"""The status page in a real browser: Debian's chromium, headless, driven
over the DevTools protocol (python3-websocket). The page loads with no
console error, exception or Content-Security-Policy violation, shows who
answers and each endpoint's state, an override with who set it, follows a
failover (the primary killed) within a refresh, fits a phone's width, says
so when the server is gone, and shows the fleet's part when there is one.
Bounded: every wait has a deadline, and each test takes well under 30 s.

Skipped, saying why, only when chromium or python3-websocket is not
installed (packaging/bootstrap.sh installs both)."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

import sbtest
from test_http_api import TOKEN, Api, write_secret
from sbtest import ScenarioCase, cname_target, wait_until
from test_control import zone  # www: east (priority 1) and west, probed by HTTP

try:
    import websocket  # python3-websocket (websocket-client)
except ImportError:
    websocket = None

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_START = 15.0

class Browser:
    """A headless chromium with one page, spoken to over the DevTools
    protocol: commands wait for their reply, events are kept."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="sb-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--disable-gpu", "--no-sandbox",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--window-size=1100,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        port = self._devtools_port()
        targets = wait_until(lambda: [t for t in self._json(port, "/json/list")
                                      if t.get("type") == "page"], 5, "a page target")
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=10,
                                              suppress_origin=True)
        self.next_id, self.events = 0, []
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")

    def _devtools_port(self):
        deadline = time.monotonic() + BROWSER_START
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                return int(m.group(1))
        raise AssertionError("chromium did not open its DevTools port: " + "".join(seen[-10:]))

    @staticmethod
    def _json(port, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return json.load(r)

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise AssertionError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def problems(self):
        """Console errors and warnings, uncaught exceptions, and log entries
        at error level (a CSP violation, a failed load) seen so far."""
        self.call("Runtime.evaluate", expression="0")  # collect pending events
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(json.dumps(p["exceptionDetails"])[:300])
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning",
                                                                             "assert"):
                out.append(f"console.{p['type']}: {json.dumps(p['args'])[:300]}")
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry']['text']}")
        return out

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


ANSWERING = ("(() => { const e = document.querySelector("
             "'[data-profile=\"www.example.com.\"] [data-answering]');"
             " return e ? e.dataset.answering : null; })()")
STATUS = ("(() => { const e = document.querySelector("
          "'[data-profile=\"www.example.com.\"] [data-status]');"
          " return e ? e.dataset.status : null; })()")


PROBLEM = ("(() => { const e = document.getElementById('problem');"
           " return !e || e.hidden ? null : e.textContent; })()")
FLEET = ("(() => { const e = document.getElementById('fleet');"
         " return !e || e.hidden ? null : e.textContent; })()")
OVERRIDES = ("Array.from(document.querySelectorAll("
             "'[data-profile=\"www.example.com.\"] [data-override]')).map(e => e.textContent)")


def endpoint_state(name):
    return ("(() => { const e = document.querySelector("
            f"'[data-profile=\"www.example.com.\"] tr[data-endpoint=\"{name}\"]');"
            " return e ? e.dataset.state : null; })()")


@unittest.skipIf(CHROMIUM is None, "chromium is not installed (apt-get install chromium)")
@unittest.skipIf(websocket is None, "python3-websocket is not installed "
                                    "(apt-get install python3-websocket)")
class StatusPage(ScenarioCase):
    def open_page(self, srv):
        line = srv.wait_log(r"event=http-listening address=127\.0\.0\.1:(\d+)", 5)
        port = re.search(r":(\d+) ", line).group(1)
        browser = Browser()
        self.addCleanup(browser.close)
        url = f"http://127.0.0.1:{port}/"
        browser.call("Page.navigate", url=url)
        wait_until(lambda: browser.evaluate("location.href + ' ' + document.readyState")
                   == url + " complete", 10, "the page to load")
        return browser

    def start(self, *args):
        """The server with east and west up, its page and API on, and the
        endpoints (east, west)."""
        east = self.endpoint("http", bind="127.0.0.10")
        west = self.endpoint("http", bind="127.0.0.11")
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        srv = self.server({"example.com.zone": zone(east, west)},
                          ["--http-listen", "127.0.0.1:0",
                           "--http-token-file", write_secret(tmp, "token", TOKEN), *args])
        return srv, east, west

    def test_page_follows_a_failover(self):
        started = time.monotonic()
        srv, east, _ = self.start()
        wait_until(lambda: cname_target(srv.query("www.example.com")) == "east.example.com.",
                   10, "east to answer")
        browser = self.open_page(srv)

        # The right state: east answers, both endpoints up.
        wait_until(lambda: browser.evaluate(ANSWERING) == "east", 10, "the page to show east")
        self.assertEqual(browser.evaluate(STATUS), "answering")
        wait_until(lambda: browser.evaluate(endpoint_state("east")) == "up"
                   and browser.evaluate(endpoint_state("west")) == "up", 5, "both up")
        self.assertEqual(browser.evaluate("document.title"), "Switchboard status")

        # An override, with who set it, within a refresh.
        api = Api(srv)
        self.assertEqual(api.act("drain", profile="www.example.com", endpoint="west")[0], 200)
        wait_until(lambda: browser.evaluate(OVERRIDES) == ["west drained by api@127.0.0.1"], 5,
                   "the drain to show")
        self.assertEqual(api.act("undrain", profile="www.example.com", endpoint="west")[0], 200)
        wait_until(lambda: browser.evaluate(OVERRIDES) == [], 5, "the undrain to show")

        # A failover, and the page follows it within a refresh (2 s) of the
        # server's own change (2 failed probes, 300 ms apart).
        east.kill()
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=east to=west", 5)
        changed = time.monotonic()
        wait_until(lambda: browser.evaluate(ANSWERING) == "west", 5, "the page to show west")
        self.assertLess(time.monotonic() - changed, 4.0)
        wait_until(lambda: browser.evaluate(endpoint_state("east")) == "down", 3,
                   "east shown down")

        # A phone: nothing wider than its screen.
        browser.call("Emulation.setDeviceMetricsOverride", width=390, height=844,
                     deviceScaleFactor=3, mobile=True)
        wait_until(lambda: browser.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"), 5,
            "the page to fit 390 px")

        self.assertEqual(browser.problems(), [])
        self.assertEqual(browser.evaluate(PROBLEM), None)

        # The server gone: the page says so, and keeps what it last had.
        srv.stop()
        wait_until(lambda: (browser.evaluate(PROBLEM) or "").startswith(
            "Cannot get the status: "), 5, "the page to say the server is gone")
        self.assertEqual(browser.evaluate(ANSWERING), "west")
        self.assertLess(time.monotonic() - started, 30.0)

    def test_fleet_part(self):
        """With a fleet configured (here out of reach), the page shows this
        node, the link's state and the local-only overrides."""
        srv, _, _ = self.start("--fleet-server", f"nats://127.0.0.1:{sbtest.free_port()}",
                               "--fleet-node", "ns1", "--fleet-timeout", "200ms")
        status, _, r = Api(srv).act("drain", profile="www.example.com", endpoint="east",
                                    local=True)
        self.assertEqual(status, 200, r)
        browser = self.open_page(srv)
        wait_until(lambda: browser.evaluate(FLEET) is not None, 10, "the fleet part")
        fleet = browser.evaluate(FLEET)
        self.assertIn("Fleet switchboard — this node: ns1", fleet)
        self.assertIn("not connected", fleet)
        self.assertIn("local-only overrides drain.www=2Eexample=2Ecom.east", fleet)
        self.assertEqual(browser.evaluate(OVERRIDES), ["east drained by api@127.0.0.1@ns1"])
        self.assertEqual(browser.problems(), [])
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
