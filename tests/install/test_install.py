"""`cmake --install` into a prefix of the test's own, as an operator would:

  - everything it writes is under the prefix (the install manifest and the
    tree agree), in the GNUInstallDirs places;
  - the unit it installs runs the installed binary with the installed
    configuration, and `systemd-analyze verify` passes on it (the man pages
    its Documentation= names found through MANPATH);
  - the installed configuration names the installed demo location database
    and state directory, and `switchboard check` accepts it as installed;
  - each man page renders with man(1) without a warning;
  - the bash completion completes the installed binary's commands, options
    and ctl commands.

SB_BUILD_DIR is the configured build tree."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ.get("SB_BUILD_DIR", "build")
MAN_PAGES = ("man8/switchboard.8", "man5/switchboard.conf.5", "man5/switchboard-zone.5")


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sb-install-")
        cls.prefix = os.path.join(cls.tmp, "opt", "sb")
        r = subprocess.run(["cmake", "--install", BUILD, "--prefix", cls.prefix],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"cmake --install failed:\n{r.stdout}\n{r.stderr}")
        with open(os.path.join(BUILD, "install_manifest.txt")) as f:
            cls.manifest = f.read().split()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def test_everything_is_under_the_prefix(self):
        outside = [p for p in self.manifest if not p.startswith(self.prefix + "/")]
        self.assertEqual(outside, [])
        self.assertEqual(os.listdir(self.tmp), ["opt"])
        tree = {os.path.join(d, f) for d, _, fs in os.walk(self.prefix) for f in fs}
        self.assertEqual(tree, set(self.manifest))
        for rel in ("sbin/switchboard", "etc/switchboard/switchboard.conf",
                    "etc/switchboard/zones/example.com.zone", "share/switchboard/demo-geo.mmdb",
                    "lib/systemd/system/switchboard.service", "lib/sysusers.d/switchboard.conf",
                    "share/bash-completion/completions/switchboard",
                    "share/doc/switchboard/running.md",
                    *(f"share/man/{page}" for page in MAN_PAGES)):
            self.assertIn(self.path(rel), tree)
        self.assertTrue(os.path.isdir(self.path("var", "lib", "switchboard")))
        mode = os.stat(self.path("etc/switchboard/switchboard.conf")).st_mode & 0o777
        self.assertEqual(mode, 0o640)

    def test_the_unit_runs_what_was_installed(self):
        unit = self.path("lib/systemd/system/switchboard.service")
        with open(unit) as f:
            text = f.read()
        conf = self.path("etc/switchboard/switchboard.conf")
        binary = self.path("sbin/switchboard")
        self.assertIn(f"ExecStart={binary} serve --config {conf}\n", text)
        self.assertIn(f"ExecStartPre={binary} check --config {conf}\n", text)
        self.assertIn(f"ExecReload={binary} ctl reload\n", text)
        self.assertIn(f"ReadWritePaths={self.path('var/lib/switchboard')}\n", text)
        self.assertNotIn("@SB_", text)
        if shutil.which("systemd-analyze") is None:
            self.skipTest("no systemd-analyze")
        r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                           env={**os.environ, "MANPATH": self.path("share/man") + ":"},
                           cwd=self.tmp, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_the_installed_configuration_checks(self):
        conf = self.path("etc/switchboard/switchboard.conf")
        with open(conf) as f:
            text = f.read()
        self.assertIn(f"geo-database {self.path('share/switchboard/demo-geo.mmdb')}\n", text)
        self.assertIn(f"state-file {self.path('var/lib/switchboard/state.json')}\n", text)
        self.assertNotIn("@SB_", text)
        # Its `user switchboard` may not exist on a test machine: name one
        # that does (the command line overrides the file).
        r = subprocess.run([self.path("sbin/switchboard"), "check", "--config", conf,
                            "--user", "nobody"], capture_output=True, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertTrue(r.stdout.startswith("configuration OK\n"), r.stdout)

    def test_man_pages_render_without_warnings(self):
        if shutil.which("man") is None:
            self.skipTest("no man(1)")
        for page in MAN_PAGES:
            r = subprocess.run(["man", "--warnings", "-l", self.path("share/man", page)],
                               capture_output=True, text=True, timeout=60,
                               env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
            self.assertEqual((r.returncode, r.stderr), (0, ""), page)
            text = re.sub(".\b", "", r.stdout)  # no bold or underline by overstriking
            name = os.path.basename(page).rsplit(".", 1)[0]
            self.assertRegex(text[:2000], rf"(?m)^NAME\n +{re.escape(name)} +- ", page)
            self.assertRegex(text, r"(?m)^SEE ALSO$", page)

    def test_bash_completion(self):
        script = self.path("share/bash-completion/completions/switchboard")
        binary = self.path("sbin/switchboard")

        def complete(*words):
            cmd = (f"source {script}; COMP_WORDS=({binary} {' '.join(words)}); "
                   f"COMP_CWORD={len(words)}; _switchboard; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
            r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.stderr, "")
            return r.stdout.split()

        self.assertEqual(complete("se"), ["serve"])
        self.assertEqual(complete("serve", "--geo"), ["--geo-database"])
        self.assertIn("--zones", complete("check", "--"))
        self.assertEqual(complete("ctl", "swi"), ["switchover"])
        self.assertEqual(complete("serve", "--log-level", "w"), ["warning"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
