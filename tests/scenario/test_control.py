"""`switchboard ctl` against a running server: every command in text and
JSON, drain and undrain, force (with an expiry), switchover and failback
for a DR drill, a switchover with an expiry ending by itself (and its end
kept across a restart), refusals with clear errors, overrides logged with
the caller's uid, the socket's mode and a second server refused on it,
overrides kept across a restart in the state file (those that no longer
fit, or whose end has come, dropped), names typed short (and suggestions
for those that match nothing), status of some profiles, and the help of
every command."""
import datetime
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import sbtest
from sbtest import ScenarioCase, cname_target, wait_until


def zone(east, west):
    return sbtest.ZONE_HEADER + f"""east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 {{
          monitor http interval=300ms timeout=250ms fall=2 rise=1
          endpoint east east.example.com. priority=1 port={east.port}
          endpoint west west.example.com. priority=2 port={west.port}
      }}
"""


def ctl_json(srv, *args):
    """`switchboard ctl --json ARGS`: exit status, the reply decoded, stderr."""
    rc, out, err = srv.ctl("--json", *args, check=False)
    return rc, json.loads(out), err


def saved_overrides(srv):
    """(action, endpoint) of each override in the server's state file."""
    with open(srv.state_file) as f:
        return [(o["action"], o["endpoint"]) for o in json.load(f)["overrides"]]


def saved_entries(srv):
    """Every override in the server's state file, whole."""
    with open(srv.state_file) as f:
        return json.load(f)["overrides"]


def status_time(ms):
    """Unix ms as `ctl status` shows a time: 2026-11-21T22:54:00.123Z."""
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def overrides_logged(srv, start, until):
    """The actions of the override lines from `start` up to the first that
    contains `until` (waited for): a line that should not be there shows up
    before it."""
    srv.wait_log(r"event=override .*" + until, 3.0, start=start)
    actions = []
    for line in srv.lines[start:]:
        if "event=override " in line:
            actions.append(re.search(r"action=(\S+)", line).group(1))
            if until in line:
                return actions
    return actions


class Control(ScenarioCase):
    def setUp(self):
        self.east = self.endpoint("http", bind="127.0.0.10")
        self.west = self.endpoint("http", bind="127.0.0.11")

    def answer(self, srv):
        return cname_target(srv.query("www.example.com"))

    def new_state_file(self):
        """A state file's path, in a directory of its own removed at the end."""
        state_dir = sbtest.tempdir(prefix="sb-state-")
        self.addCleanup(shutil.rmtree, state_dir, True)
        return os.path.join(state_dir, "state.json")

    def status(self, srv):
        rc, out, _ = srv.ctl("--json", "status")
        reply = json.loads(out)
        self.assertTrue(reply["ok"])
        return {p["name"]: p for p in reply["status"]["profiles"]}

    def test_status_text_and_json(self):
        srv = self.server({"example.com.zone": zone(self.east, self.west)})
        rc, out, _ = srv.ctl("--json", "status")
        zones = json.loads(out)["status"]["zones"]
        self.assertEqual([(z["name"], z["profiles"]) for z in zones], [("example.com.", 1)])
        self.assertTrue(zones[0]["file"].endswith("example.com.zone"))
        www = self.status(srv)["www.example.com."]
        self.assertEqual(www["zone"], "example.com.")
        self.assertEqual(www["kind"], "names")
        self.assertEqual(www["ttl"], 5)
        self.assertEqual(www["answering"],
                         {"endpoint": "east", "fail_open": False, "status": "answering"})
        self.assertEqual((www["method"], www["all_down"]), ("priority", "fail-open"))
        self.assertIsNone(www["switchover"])
        east, west = www["endpoints"]
        self.assertEqual((east["name"], east["priority"], east["state"]), ("east", 1, "up"))
        self.assertEqual(east["reason"], "HTTP 200")
        self.assertEqual(east["monitor"], "http")
        self.assertFalse(east["drained"])
        self.assertIsNone(east["forced"])
        self.assertRegex(east["since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIsInstance(east["latency_ms"], int)
        self.assertGreaterEqual(len(east["history"]), 1)
        self.assertEqual(west["target"], "west.example.com.")
        rc, out, _ = srv.ctl("status")
        self.assertRegex(out, r"^zone example\.com\. \(\S+example\.com\.zone\): \d+ names, "
                              r"1 profiles\n")
        self.assertIn("www.example.com. (zone example.com., name endpoints, ttl 5)", out)
        self.assertIn("answering: east", out)
        self.assertRegex(out, r"east +up +http +prio 1 +HTTP 200")

    def test_drain_force_switchover(self):
        srv = self.server({"example.com.zone": zone(self.east, self.west)})
        uid = os.getuid()
        self.assertEqual(self.answer(srv), "east.example.com.")

        # drain: out of answers at once, still probed and shown.
        mark = len(srv.lines)
        rc, out, _ = srv.ctl("drain", "www.example.com", "east")
        self.assertEqual(out, "drain: done\n")
        self.assertEqual(self.answer(srv), "west.example.com.")
        srv.wait_log(rf"event=override action=drain profile=www\.example\.com\. endpoint=east "
                     rf"by=uid={uid}", 1.0, start=mark)
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=east to=west "
                     r"cause=override", 1.0, start=mark)
        east = self.status(srv)["www.example.com."]["endpoints"][0]
        self.assertTrue(east["drained"])
        self.assertEqual(east["drained_by"], f"uid={uid}")
        self.assertEqual(east["state"], "up")
        # The last endpoint left cannot be drained too.
        rc, out, err = srv.ctl("drain", "www.example.com.", "west", check=False)
        self.assertEqual(rc, 1)
        self.assertIn("endpoint 'west' is the last one of www.example.com. left to answer", err)
        rc, out, _ = srv.ctl("--json", "undrain", "www.example.com.", "east")
        self.assertEqual(json.loads(out), {"ok": True, "message": "done",
                                           "profile": "www.example.com.", "endpoint": "east"})
        self.assertEqual(self.answer(srv), "east.example.com.")
        rc, out, _ = srv.ctl("--json", "drain", "www.example.com.", "nobody", check=False)
        self.assertEqual(rc, 1)
        self.assertEqual(json.loads(out), {
            "ok": False, "error": "profile www.example.com. has no endpoint named 'nobody'"})

        # force down, then force down for a second: it ends by itself.
        srv.ctl("force", "www.example.com.", "east", "down")
        self.assertEqual(self.answer(srv), "west.example.com.")
        # Forced down already: nothing to change, and nothing logged.
        mark = len(srv.lines)
        rc, out, _ = srv.ctl("force", "www.example.com.", "east", "down")
        self.assertEqual(out, "force: nothing to change\n")
        rc, out, _ = srv.ctl("--json", "force", "www.example.com.", "east", "down")
        self.assertEqual(json.loads(out), {"ok": True, "message": "nothing to change",
                                           "profile": "www.example.com.", "endpoint": "east"})
        srv.ctl("unforce", "www.example.com.", "east")
        self.assertEqual(self.answer(srv), "east.example.com.")
        self.assertEqual(overrides_logged(srv, mark, "action=unforce"), ["unforce"])
        mark = len(srv.lines)
        srv.ctl("force", "www.example.com.", "east", "down", "--for", "1s")
        self.assertEqual(self.answer(srv), "west.example.com.")
        self.assertEqual(self.status(srv)["www.example.com."]["endpoints"][0]["forced"], "down")
        self.assertEqual(saved_overrides(srv), [("force", "east")])
        srv.wait_log(r"event=override action=unforce profile=www\.example\.com\. endpoint=east "
                     r"by=expiry", 3.0, start=mark)
        wait_until(lambda: self.answer(srv) == "east.example.com.", 1.0, "east back")
        # The state file is written again when a force ends by itself.
        wait_until(lambda: saved_overrides(srv) == [], 2.0, "the state file without the force")

        # switchover while the primary is healthy: a DR drill.
        srv.ctl("switchover", "www.example.com.", "west")
        self.assertEqual(self.answer(srv), "west.example.com.")
        mark = len(srv.lines)
        rc, out, _ = srv.ctl("switchover", "www.example.com.", "west")
        self.assertEqual(out, "switchover: nothing to change\n")
        rc, out, _ = srv.ctl("--json", "switchover", "www.example.com.", "west")
        self.assertEqual(json.loads(out), {"ok": True, "message": "nothing to change",
                                           "profile": "www.example.com.", "endpoint": "west"})
        www = self.status(srv)["www.example.com."]
        self.assertEqual(www["switchover"], "west")
        self.assertEqual(www["answering"]["endpoint"], "west")
        # If the switchover target fails, priority order takes over.
        self.west.kill()
        wait_until(lambda: self.answer(srv) == "east.example.com.", 3.0, "east while west is down")
        self.west.restart()
        wait_until(lambda: self.answer(srv) == "west.example.com.", 3.0, "west again")
        srv.ctl("failback", "www.example.com.")
        self.assertEqual(self.answer(srv), "east.example.com.")
        self.assertEqual(overrides_logged(srv, mark, "action=failback"), ["failback"])
        rc, out, _ = srv.ctl("failback", "www.example.com.")
        self.assertEqual(out, "failback: nothing to change\n")

    def pinned_until(self, srv, until_ms, answer):
        """Every answer is `answer` until shortly before `until_ms`."""
        while time.time() * 1000 < until_ms - 300:
            self.assertEqual(self.answer(srv), answer)
            time.sleep(0.1)

    def ends_by_itself(self, srv, until_ms, start):
        """The switchover to west ending at `until_ms`: east answers again
        (polled, not before its end), the failback is logged by expiry, and
        the state file is written again without it."""
        wait_until(lambda: self.answer(srv) == "east.example.com.",
                   max(until_ms / 1000 - time.time(), 0) + 3.0, "east again once it ended")
        self.assertGreaterEqual(time.time() * 1000, until_ms)
        srv.wait_log(r"level=info event=override action=failback profile=www\.example\.com\. "
                     r"endpoint=- by=expiry$", 1.0, start=start)
        srv.wait_log(r"event=answer-change profile=www\.example\.com\. from=west to=east "
                     r"cause=override-expired$", 1.0, start=start)
        self.assertIsNone(self.status(srv)["www.example.com."]["switchover"])
        wait_until(lambda: saved_entries(srv) == [], 2.0, "the state file without it")

    def test_switchover_for_ends_by_itself(self):
        srv = self.server({"example.com.zone": zone(self.east, self.west)})
        uid = os.getuid()
        self.assertEqual(self.answer(srv), "east.example.com.")
        mark = len(srv.lines)
        before = int(time.time() * 1000)
        self.assertEqual(srv.ctl("switchover", "www.example.com", "west", "--for", "2s"),
                         (0, "switchover: done\n", ""))
        after = int(time.time() * 1000)
        self.assertEqual(self.answer(srv), "west.example.com.")
        line = srv.wait_log(r"event=override action=switchover profile=www\.example\.com\. "
                            rf"endpoint=west until_ms=\d+ by=uid={uid}$", 1.0, start=mark)
        until_ms = int(sbtest.log_fields(line)["until_ms"])
        self.assertTrue(before + 2000 <= until_ms <= after + 2000, (before, until_ms, after))
        # Shown with its end, as a force's is; saved with it.
        www = self.status(srv)["www.example.com."]
        self.assertEqual((www["switchover"], www["switchover_by"], www["switchover_until"]),
                         ("west", f"uid={uid}", status_time(until_ms)))
        self.assertIn(f"  switchover: west (by uid={uid} until {status_time(until_ms)})\n",
                      srv.ctl("status")[1])
        self.assertEqual(saved_entries(srv), [
            {"action": "switchover", "profile": "www.example.com.", "endpoint": "west",
             "until_ms": until_ms, "by": f"uid={uid}"}])
        self.pinned_until(srv, until_ms, "west.example.com.")
        self.ends_by_itself(srv, until_ms, mark)
        # Without --for it has no end, as before.
        srv.ctl("switchover", "www.example.com", "west")
        self.assertIsNone(self.status(srv)["www.example.com."]["switchover_until"])
        self.assertEqual(saved_entries(srv)[0]["until_ms"], 0)

    def test_a_switchover_end_survives_a_restart(self):
        state_file = self.new_state_file()
        zones = {"example.com.zone": zone(self.east, self.west)}
        srv = self.server(zones, state_file=state_file)
        srv.ctl("switchover", "www.example.com.", "west", "--for", "5s")
        [saved] = saved_entries(srv)
        until_ms = saved["until_ms"]
        srv.stop()

        srv = self.server(zones, state_file=state_file)
        uid = os.getuid()
        srv.wait_log(r"event=state-restored file=.* overrides=1 dropped=0$", 1.0)
        srv.wait_log(r"event=override action=switchover profile=www\.example\.com\. endpoint=west "
                     rf'until_ms={until_ms} by=state-file set_by="uid={uid}"$', 1.0)
        self.assertEqual(self.answer(srv), "west.example.com.")
        www = self.status(srv)["www.example.com."]
        self.assertEqual((www["switchover"], www["switchover_until"]),
                         ("west", status_time(until_ms)))
        # It ends when it was told to before the restart, by itself.
        self.ends_by_itself(srv, until_ms, 0)

    def test_overrides_whose_end_has_come_are_not_restored(self):
        now = int(time.time() * 1000)
        ended = {"profile": "www.example.com.", "until_ms": now - 1000, "by": "uid=0"}
        srv, state_file = self.serve_with_state(json.dumps({"version": 1, "overrides": [
            {"action": "switchover", "endpoint": "west", **ended},
            {"action": "force", "endpoint": "east", "state": "down", **ended},
            {"action": "force", "profile": "www.example.com.", "endpoint": "west", "state": "up",
             "until_ms": now + 3600 * 1000, "by": "uid=0"},
        ]}))
        for action, endpoint in (("switchover", "west"), ("force", "east")):
            srv.wait_log(rf"level=info event=override-dropped file={state_file} action={action} "
                         rf'profile=www\.example\.com\. endpoint={endpoint} reason="expired"$', 1.0)
        srv.wait_log(rf"event=state-restored file={state_file} overrides=1 dropped=2$", 1.0)
        self.assertEqual(self.answer(srv), "east.example.com.")
        self.assertEqual(saved_overrides(srv), [("force", "west")])

    def test_every_command_in_text_and_json(self):
        srv = self.server({"example.com.zone": zone(self.east, self.west)})
        www = "www.example.com"
        pairs = [(("drain", www, "east"), ("undrain", www, "east")),
                 (("force", www, "east", "down"), ("unforce", www, "east")),
                 (("force", www, "east", "up", "--for", "1h"), ("unforce", www, "east")),
                 (("switchover", www, "west"), ("failback", www)),
                 (("switchover", www, "west", "--for", "1h"), ("failback", www))]
        # Each command and its undoing as text, then with --json: the exact
        # output, stderr and exit status of each.
        for do, undo in pairs:
            for args in (do, undo):
                self.assertEqual(srv.ctl(*args), (0, f"{args[0]}: done\n", ""), args)
            for args in (do, undo):
                done = {"ok": True, "message": "done", "profile": "www.example.com."}
                if args[0] != "failback":
                    done["endpoint"] = args[2]
                self.assertEqual(ctl_json(srv, *args), (0, done, ""), args)
        self.assertEqual(saved_overrides(srv), [])
        self.assertEqual(srv.ctl("reload"), (0, "reload: reloaded\n", ""))
        no_changes = {"answers_moved": [], "endpoints_down": [], "profiles_added": [],
                      "profiles_removed": [], "pending": []}
        self.assertEqual(ctl_json(srv, "reload"),
                         (0, {"ok": True, "message": "reloaded", "changes": no_changes}, ""))
        path = os.path.join(srv.zones_dir, "example.com.zone")
        with open(path, "a") as f:
            f.write("bad  A  nope\n")
        line = len(zone(self.east, self.west).splitlines()) + 1
        why = f"reload failed: {path}:{line}:9: bad A data 'nope': expected an IPv4 address"
        self.assertEqual(srv.ctl("reload", check=False), (1, "", f"switchboard ctl: {why}\n"))
        self.assertEqual(ctl_json(srv, "reload"), (1, {"ok": False, "error": why}, ""))

    def test_refusals(self):
        srv = self.server({"example.com.zone": zone(self.east, self.west)})
        cases = [
            (("drain", "nope.example.com", "east"), 1, "no profile named nope.example.com"),
            (("drain", "www.example.com", "north"),
             1, "profile www.example.com. has no endpoint named 'north'"),
            (("force", "www.example.com", "east", "sideways"), 1,
             "force needs a state: up or down"),
            (("switchover", "www.example.com"), 2, "switchover takes 2 arguments"),
            (("launch",), 2, "unknown command 'launch'"),
            (("drain", "www.example.com", "east", "--for", "1s"), 2,
             "only force and switchover take --for"),
            (("failback", "www.example.com", "--for", "1s"), 2,
             "only force and switchover take --for"),
        ]
        for args, want_rc, words in cases:
            rc, out, err = srv.ctl(*args, check=False)
            self.assertEqual(rc, want_rc, f"{args}: {err}")
            self.assertIn(words, err, args)
        # A force or switchover --for must end: 0s would mean never (a
        # permanent override).
        for cmd in (("force", "www.example.com", "east", "down"),
                    ("switchover", "www.example.com", "west")):
            for text in ("0s", "0ms", "500ms", "8761h"):
                rc, out, err = srv.ctl(*cmd, "--for", text, check=False)
                self.assertEqual((rc, out, err), (2, "", (
                    f"switchboard ctl: --for {text}: must be from 1s to 8760h (leave --for out "
                    f"for a {cmd[0]} without end)\n")))
        # The same on the socket, for tools that speak its protocol.
        for request in ({"command": "force", "state": "down", "endpoint": "east"},
                        {"command": "switchover", "endpoint": "west"}):
            for seconds in (0, -5, 8760 * 3600 + 1):
                reply = sbtest.control_request(srv.control_socket, {
                    **request, "profile": "www.example.com", "for_seconds": seconds})
                self.assertEqual(reply, {"ok": False, "error": (
                    f"for_seconds must be from 1 to 31536000 (leave it out for a "
                    f"{request['command']} without end)")})
        # An end for an override that cannot have one is refused, not lost.
        reply = sbtest.control_request(srv.control_socket, {
            "command": "drain", "profile": "www.example.com", "endpoint": "east",
            "for_seconds": 60})
        self.assertEqual(reply, {"ok": False, "error": (
            "drain takes no for_seconds (only force and switchover end by themselves)")})
        www = self.status(srv)["www.example.com."]
        self.assertIsNone(www["endpoints"][0]["forced"])
        self.assertIsNone(www["switchover"])
        self.assertFalse(www["endpoints"][0]["drained"])
        self.assertEqual(srv.log_count("event=override "), 0)
        # Only the owner may connect.
        mode = stat.S_IMODE(os.stat(srv.control_socket).st_mode)
        self.assertEqual(mode, 0o600)
        # No server there: exit 2, saying why.
        r = sbtest.subprocess.run(
            [sbtest.BINARY, "ctl", "--socket", srv.control_socket + ".missing", "status"],
            capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot connect to", r.stderr)

    def test_overrides_survive_a_restart(self):
        state_file = self.new_state_file()
        zones = {"example.com.zone": zone(self.east, self.west)}
        srv = self.server(zones, state_file=state_file)
        srv.ctl("switchover", "www.example.com.", "west")
        srv.ctl("force", "www.example.com.", "east", "down", "--for", "1h")
        with open(state_file) as f:
            saved = json.load(f)
        self.assertEqual(saved["version"], 1)
        actions = sorted((o["action"], o["endpoint"]) for o in saved["overrides"])
        self.assertEqual(actions, [("force", "east"), ("switchover", "west")])
        self.assertFalse(os.path.exists(state_file + ".tmp"))
        srv.stop()

        srv = self.server(zones, state_file=state_file)
        srv.wait_log(r"event=state-restored file=.* overrides=2 dropped=0$", 1.0)
        uid = os.getuid()
        # Logged as restored, with whoever set it; every value parseable.
        srv.wait_log(r"event=override action=switchover profile=www\.example\.com\. endpoint=west "
                     rf'by=state-file set_by="uid={uid}"$', 1.0)
        srv.wait_log(r"event=override action=force profile=www\.example\.com\. endpoint=east "
                     rf'state=down until_ms=\d+ by=state-file set_by="uid={uid}"$', 1.0)
        # The very first answer already follows the restored switchover.
        self.assertEqual(self.answer(srv), "west.example.com.")
        www = self.status(srv)["www.example.com."]
        self.assertEqual(www["switchover"], "west")
        self.assertEqual((www["switchover_by"], www["endpoints"][0]["forced_by"]),
                         (f"uid={uid}", f"uid={uid}"))
        self.assertEqual(www["endpoints"][0]["forced"], "down")
        srv.ctl("failback", "www.example.com.")
        # Saved again, the setter is still the setter (not "... (restored)").
        with open(state_file) as f:
            self.assertEqual([(o["action"], o["by"]) for o in json.load(f)["overrides"]],
                             [("force", f"uid={uid}")])
        srv.ctl("unforce", "www.example.com.", "east")
        with open(state_file) as f:
            self.assertEqual(json.load(f)["overrides"], [])
        srv.stop()

    def test_socket_mode_and_a_second_server(self):
        zones = {"example.com.zone": zone(self.east, self.west)}
        srv = self.server(zones, args=["--control-socket-mode", "0660"])
        self.assertEqual(stat.S_IMODE(os.stat(srv.control_socket).st_mode), 0o660)
        # Another server on the same socket: refused at start, exit 1, and
        # the first one goes on answering there.
        r = sbtest.subprocess.run(
            [sbtest.BINARY, "serve", "--zones", srv.zones_dir, "--listen", "127.0.0.1:0",
             "--control-socket", srv.control_socket,
             "--state-file", os.path.join(srv.tmp, "second.json"), *sbtest.user_args([])],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f'event=control-failed reason="another server is answering on '
                      f'{srv.control_socket}" hint="--control-socket names another path"\n',
                      r.stderr)
        self.assertEqual(srv.ctl("status")[0], 0)

    def test_restart_with_overrides_that_no_longer_fit(self):
        state_file = self.new_state_file()
        overrides = [
            {"action": "drain", "profile": "gone.example.com.", "endpoint": "x", "by": "uid=0"},
            {"action": "force", "profile": "www.example.com.", "endpoint": "north",
             "state": "down", "until_ms": 0, "by": "uid=0"},
            {"action": "switchover", "profile": "www.example.com.", "endpoint": "west",
             "by": "uid=0"},
        ]
        with open(state_file, "w") as f:
            json.dump({"version": 1, "overrides": overrides}, f)
        srv = self.server({"example.com.zone": zone(self.east, self.west)},
                          state_file=state_file)
        srv.wait_log(rf'event=override-dropped file={state_file} action=drain '
                     r'profile=gone\.example\.com\. endpoint=x reason="no profile named '
                     r'gone\.example\.com\."$', 1.0)
        srv.wait_log(rf'event=override-dropped file={state_file} action=force '
                     r'profile=www\.example\.com\. endpoint=north reason="profile '
                     r"www\.example\.com\. has no endpoint named 'north'\"$", 1.0)
        srv.wait_log(rf"event=state-restored file={state_file} overrides=1 dropped=2$", 1.0)
        self.assertEqual(self.answer(srv), "west.example.com.")
        # Written again with what still fits.
        self.assertEqual(saved_overrides(srv), [("switchover", "west")])

    def serve_with_state(self, text):
        """A server started with a state file holding `text`; (server, path)."""
        state_file = self.new_state_file()
        with open(state_file, "w") as f:
            f.write(text)
        srv = self.server({"example.com.zone": zone(self.east, self.west)},
                          state_file=state_file)
        return srv, state_file

    def test_damaged_state_file_does_not_stop_dns(self):
        srv, state_file = self.serve_with_state(
            '{"version": 1, "overrides": [\n  {"action": "drain",,}\n]}\n')
        line = srv.wait_log(r"event=state-unreadable", 1.0)
        self.assertIn(f"{state_file}:2:", line)
        self.assertEqual(self.answer(srv), "east.example.com.")

    def test_idle_connections_cannot_take_every_descriptor(self):
        """300 connections that never send a request: 64 are held, the
        rest are told so and closed; ctl is refused while they last and
        served again once they are gone; DNS answers throughout."""
        srv = self.server({"example.com.zone": zone(self.east, self.west)})
        fds = lambda: len(os.listdir(f"/proc/{srv.proc.pid}/fd"))
        before = fds()
        idle = []
        self.addCleanup(lambda: [c.close() for c in idle])
        for _ in range(300):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(srv.control_socket)
            idle.append(c)
        # Those past the cap are answered at once and closed by the server.
        refused = 0
        for c in idle[64:]:
            c.settimeout(5)
            reply = json.loads(sbtest.read_line(c))
            self.assertEqual(reply, {"ok": False, "error": "too many control connections (at "
                                                           "most 64 at once); try again"})
            refused += 1
        self.assertEqual(refused, 236)
        wait_until(lambda: fds() <= before + 64, 5.0, "the refused connections closed")
        rc, out, err = srv.ctl("status", check=False)
        self.assertEqual((rc, err), (1, "switchboard ctl: too many control connections (at most "
                                        "64 at once); try again\n"))
        self.assertEqual(self.answer(srv), "east.example.com.")
        for c in idle:
            c.close()
        idle.clear()
        wait_until(lambda: srv.ctl("status", check=False)[0] == 0, 5.0, "ctl served again")
        wait_until(lambda: fds() <= before, 5.0, "every idle connection's descriptor back")

    def test_a_silent_connection_is_closed_after_10s(self):
        srv = self.server({"example.com.zone": zone(self.east, self.west)})
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.connect(srv.control_socket)
            c.sendall(b'{"command": "sta')  # and never the rest
            started = time.monotonic()
            c.settimeout(15)
            reply = json.loads(sbtest.read_line(c))
            took = time.monotonic() - started
            self.assertEqual(c.recv(1), b"")  # and closed
        self.assertEqual(reply, {"ok": False, "error": "no complete request within 10 s"})
        self.assertGreater(took, 9.0)
        self.assertEqual(srv.ctl("status", check=False)[0], 0)

    def test_an_unreadable_state_file_is_not_quoted(self):
        """A state-file path that names some other file (here, shaped like
        /etc/shadow) is reported by position and kind of problem; none of
        its text reaches the log."""
        srv, state_file = self.serve_with_state("root:$6$SECRETSALT$hash:19000:0:99999:7:::\n")
        line = srv.wait_log(r"event=state-unreadable", 1.0)
        self.assertEqual(sbtest.log_fields(line)["reason"],
                         f"{state_file}:1:4: not JSON ('[' or '{{' expected)")
        self.assertNotIn("root", "\n".join(srv.lines))
        self.assertNotIn("SECRET", "\n".join(srv.lines))
        self.assertEqual(self.answer(srv), "east.example.com.")

    def test_an_override_that_cannot_be_saved_exits_3(self):
        """The override applies at once; ctl says it was not saved and exits
        3, so a script does not take a restart-proof change for granted."""
        srv = self.server({"example.com.zone": zone(self.east, self.west)},
                          state_file="/proc/sb-no-such-dir/state.json")
        rc, out, err = srv.ctl("drain", "www.example.com", "east", check=False)
        self.assertEqual(rc, 3)
        self.assertEqual(out, "drain: done\n")
        self.assertEqual(err, "switchboard ctl: the override is in force, but was not saved and "
                              "will not survive a restart: cannot create a temporary file beside "
                              "/proc/sb-no-such-dir/state.json: No such file or directory\n")
        self.assertEqual(self.answer(srv), "west.example.com.")
        srv.wait_log(r"event=state-save-failed reason=", 1.0)
        rc, reply, _ = ctl_json(srv, "undrain", "www.example.com", "east")
        self.assertEqual(rc, 3)
        self.assertEqual((reply["ok"], reply["saved"]), (True, False))

    def test_a_reason_with_quotes_keeps_the_log_line_whole(self):
        srv, state_file = self.serve_with_state('{"version": 1}\n')
        line = srv.wait_log(r"event=state-unreadable", 1.0)
        reason = f'{state_file}: not a version 1 state file (no "overrides" list)'
        self.assertTrue(line.endswith(
            f' level=error event=state-unreadable reason="{state_file}: not a version 1 state '
            'file (no \\"overrides\\" list)" action="starting without saved overrides"'), line)
        fields = sbtest.log_fields(line)
        self.assertEqual(fields["reason"], reason)
        self.assertEqual(fields["action"], "starting without saved overrides")
        self.assertEqual(self.answer(srv), "east.example.com.")



def regions_zones(east, west):
    """Two zones: example.com with www (endpoints us-east and us-west) and
    app.globex, and example.net with a www of its own."""
    com = sbtest.ZONE_HEADER + f"""east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 {{
          monitor http interval=300ms timeout=250ms fall=2 rise=1
          endpoint us-east east.example.com. priority=1 port={east.port}
          endpoint us-west west.example.com. priority=2 port={west.port}
      }}
app.globex profile priority {{
          monitor none
          endpoint us 192.0.2.1 priority=1
          endpoint eu 192.0.2.2 priority=2
      }}
"""
    net = sbtest.ZONE_HEADER.replace("example.com.", "example.net.") + """www profile priority {
          monitor none
          endpoint a 192.0.2.9 priority=1
      }
"""
    return {"example.com.zone": com, "example.net.zone": net}


class Names(ScenarioCase):
    """Names an operator types: the start of a profile's name, a word of an
    endpoint's; ambiguity and misspellings refused with what would do."""

    def setUp(self):
        self.east = self.endpoint("http", bind="127.0.0.10")
        self.west = self.endpoint("http", bind="127.0.0.11")
        self.srv = self.server(regions_zones(self.east, self.west))

    def test_overrides_take_names_typed_short(self):
        srv = self.srv
        # The reproducer: `ctl drain app us` was "no profile named app".
        self.assertEqual(srv.ctl("drain", "app", "us"),
                         (0, "drain: done (profile app.globex.example.com., endpoint us)\n", ""))
        srv.wait_log(r"event=override action=drain profile=app\.globex\.example\.com\. "
                     r"endpoint=us by=uid=\d+$", 1.0)
        self.assertEqual(saved_overrides(srv), [("drain", "us")])
        self.assertEqual(ctl_json(srv, "undrain", "APP.globex", "us"),
                         (0, {"ok": True, "message": "done",
                              "profile": "app.globex.example.com.", "endpoint": "us"}, ""))
        # An endpoint by a word of its name; the whole name says nothing more.
        self.assertEqual(srv.ctl("switchover", "www.example.com", "west"),
                         (0, "switchover: done (profile www.example.com., endpoint us-west)\n",
                          ""))
        self.assertEqual(cname_target(srv.query("www.example.com")), "west.example.com.")
        self.assertEqual(srv.ctl("failback", "www.example.com."), (0, "failback: done\n", ""))
        self.assertEqual(srv.ctl("force", "www.example.com", "us-east", "up"),
                         (0, "force: done\n", ""))
        self.assertEqual(srv.ctl("unforce", "www.example.com", "US-EAST"),
                         (0, "unforce: done (profile www.example.com., endpoint us-east)\n", ""))

    def test_ambiguous_and_misspelt_names_are_refused(self):
        srv = self.srv
        cases = [
            (("drain", "www", "a"), "switchboard ctl: profile name www could be "
             "www.example.com. or www.example.net.; give more of the name\n"),
            (("drain", "www.example.com", "us"), "switchboard ctl: endpoint 'us' of profile "
             "www.example.com. could be 'us-east' or 'us-west'; give its whole name\n"),
            (("drain", "ap", "us"), "switchboard ctl: no profile named ap; did you mean "
             "app.globex.example.com.?\n"),
            (("drain", "www.exmaple.com", "us-east"), "switchboard ctl: no profile named "
             "www.exmaple.com; did you mean www.example.com.?\n"),
            (("drain", "www.example.com", "us-esat"), "switchboard ctl: profile "
             "www.example.com. has no endpoint named 'us-esat'; did you mean 'us-east'?\n"),
            (("failback", "nope.example.com"), "switchboard ctl: no profile named "
             "nope.example.com\n"),
        ]
        for args, err in cases:
            self.assertEqual(srv.ctl(*args, check=False), (1, "", err), args)
        self.assertEqual(srv.log_count(r"event=override "), 0)

    def test_status_filter_and_page(self):
        srv = self.srv
        rc, out, err = srv.ctl("--json", "status", "--limit", "1", "--offset", "1")
        status = json.loads(out)["status"]
        self.assertEqual([p["name"] for p in status["profiles"]], ["app.globex.example.com."])
        self.assertEqual([z["name"] for z in status["zones"]], ["example.com."])
        self.assertEqual(status["page"], {"matched": 3, "offset": 1, "limit": 1})
        rc, out, err = srv.ctl("status", "--limit", "2")
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("\nprofiles 1 to 2 of 3 matching (--offset N --limit N for others)\n", out)
        self.assertNotIn("www.example.net.", out)
        rc, out, err = srv.ctl("status", "--offset", "5")
        self.assertIn("no profile past --offset 5: 3 match\n", out)
        # Names and --down together; nothing is in trouble yet.
        rc, out, _ = srv.ctl("--json", "status", "--down", "www.example.com")
        self.assertEqual(json.loads(out)["status"]["page"]["matched"], 0)
        self.east.kill()

        def down():
            rc, out, _ = srv.ctl("--json", "status", "--down")
            status = json.loads(out)["status"]
            return status if status["profiles"] else None
        status = wait_until(down, 5.0, "www.example.com. in trouble")
        self.assertEqual([p["name"] for p in status["profiles"]], ["www.example.com."])
        self.assertEqual(status["page"], {"matched": 1, "offset": 0, "limit": None})
        self.assertEqual([e["state"] for e in status["profiles"][0]["endpoints"]], ["down", "up"])
        rc, out, _ = srv.ctl("status", "--down")
        self.assertIn("www.example.com. (zone example.com., name endpoints", out)
        self.assertNotIn("app.globex", out)
        for args, words in [(("drain", "www", "us-east", "--down"),
                             "only status takes --down, --limit and --offset"),
                            (("status", "--limit", "-1"), "--limit -1: must be a whole number"),
                            (("status", "--offset", "x"), "--offset x: must be a whole number")]:
            rc, out, err = srv.ctl(*args, check=False)
            self.assertEqual((rc, out), (2, ""), args)
            self.assertIn(words, err)

    def test_status_of_some_profiles(self):
        srv = self.srv
        rc, out, err = srv.ctl("--json", "status", "app", "www.example.net")
        status = json.loads(out)["status"]
        self.assertEqual([p["name"] for p in status["profiles"]],
                         ["app.globex.example.com.", "www.example.net."])
        self.assertEqual([z["name"] for z in status["zones"]], ["example.com.", "example.net."])
        rc, out, err = srv.ctl("--json", "status", "www.example.com", "www.example.com.")
        status = json.loads(out)["status"]
        self.assertEqual([p["name"] for p in status["profiles"]], ["www.example.com."])
        self.assertEqual([z["name"] for z in status["zones"]], ["example.com."])
        rc, out, err = srv.ctl("status", "app")
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("app.globex.example.com. (zone example.com., address endpoints", out)
        self.assertNotIn("www.example", out.split("\n\n", 1)[1])
        self.assertEqual(srv.ctl("status", "www", check=False),
                         (1, "", "switchboard ctl: profile name www could be www.example.com. "
                          "or www.example.net.; give more of the name\n"))
        self.assertEqual(srv.ctl("status", "aap", check=False),
                         (1, "", "switchboard ctl: no profile named aap; did you mean "
                          "app.globex.example.com.?\n"))
        # Without names, every profile.
        rc, out, _ = srv.ctl("--json", "status")
        self.assertEqual(len(json.loads(out)["status"]["profiles"]), 3)


class Help(ScenarioCase):
    """`ctl help`, `ctl help COMMAND` and `ctl COMMAND --help`: on standard
    output, exit 0, without a server; an unknown command gets a suggestion."""

    def ctl(self, *args):
        r = subprocess.run([sbtest.BINARY, "ctl", "--socket", "/nonexistent.sock", *args],
                           capture_output=True, text=True, timeout=10)
        return r.returncode, r.stdout, r.stderr

    def test_help(self):
        commands = ["status", "drain", "undrain", "force", "unforce", "switchover", "failback",
                    "reload", "help"]
        for args in (("help",), ("--help",), ("-h",)):
            rc, out, err = self.ctl(*args)
            self.assertEqual((rc, err), (0, ""), args)
            self.assertTrue(out.startswith("usage: switchboard ctl [OPTIONS] COMMAND [ARGS]\n"))
            self.assertEqual(re.findall(r"^  ([a-z]+)(?: |$)", out, re.M)[:len(commands)],
                             commands)
            self.assertIn("--fail-if-moved", out)
        for command in commands:
            extra = [(command, "www", "--json", "--help")] if command != "help" else []
            for args in [("help", command), (command, "--help"), (command, "-h"), *extra]:
                rc, out, err = self.ctl(*args)
                self.assertEqual((rc, err), (0, ""), args)
                self.assertRegex(out, rf"^usage: switchboard ctl (\[OPTIONS\] )?{command}\b",
                                 args)
        rc, out, _ = self.ctl("drain", "--help")
        self.assertTrue(out.startswith("usage: switchboard ctl [OPTIONS] drain PROFILE "
                                       "ENDPOINT\n\ndrain: never answer ENDPOINT (it is still "
                                       "probed).\n"), out)
        rc, out, _ = self.ctl("help", "status")
        self.assertIn("status [PROFILE...]", out)
        self.assertIn("only those\nprofiles and their zones", out)

    def test_unknown_commands(self):
        self.assertEqual(self.ctl("stauts"), (2, "", "switchboard ctl: unknown command 'stauts'; "
                                              "did you mean status? (see switchboard ctl help)\n"))
        self.assertEqual(self.ctl("help", "drian"),
                         (2, "", "switchboard ctl: unknown command 'drian'; did you mean drain? "
                          "(see switchboard ctl help)\n"))
        rc, out, err = self.ctl("status", "--bogus")
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("unknown or incomplete option '--bogus'", err)
        rc, _, err = self.ctl("status", "--fail-if-moved")
        self.assertEqual((rc, err), (2, "switchboard ctl: only reload takes --fail-if-moved\n"))


if __name__ == "__main__":
    sbtest.main()
