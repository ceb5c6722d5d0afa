#!/usr/bin/env python3
"""Tests for layers.py: each builds a small tree of layer folders in a
temporary directory and runs the checker on it as its own process, so they
do not depend on how the real sources are laid out.

    python3 -m unittest tests/lint/test_layers.py     (from the repository root)
    python3 tests/lint/test_layers.py
"""

import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.py")

LAYER_FOLDERS = (
    "server/base",
    "server/dns",
    "probe",
    "server/config",
    "server/net",
    "server/ctl",
    "server/fleet",
    "server/daemon",
)


def load_layers():
    """layers.py as a module, without relying on sys.path or packages."""
    spec = importlib.util.spec_from_file_location("layers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_layers(files, *args):
    """Run layers.py on a tree holding every layer folder and `files`
    (path -> text); return the finished process."""
    with tempfile.TemporaryDirectory() as root:
        for folder in LAYER_FOLDERS:
            os.makedirs(os.path.join(root, folder))
        for path, text in files.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        return subprocess.run(
            [sys.executable, SCRIPT, *args, root],
            capture_output=True, text=True, timeout=60)


def includes(*names):
    return "".join(f'#include "{name}"\n' for name in names)


class LayersTest(unittest.TestCase):

    def assert_clean(self, proc, summary=None):
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("layers OK", proc.stdout)
        if summary:
            self.assertEqual(proc.stdout.strip(), summary)

    def assert_errors(self, proc, count, *lines):
        """Exit 1, each of `lines` printed as a whole line, and `count` errors."""
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        printed = proc.stdout.splitlines()
        for line in lines:
            self.assertIn(line, printed, proc.stdout)
        self.assertEqual(printed[-1], f"{count} layering errors", proc.stdout)

    def test_includes_going_the_allowed_way_pass(self):
        proc = run_layers({
            "server/base/sb_log.h": "",
            "server/dns/sb_zone.h": includes("sb_log.h"),
            "server/dns/sb_zone.c": includes("sb_zone.h", "sb_log.h") + "#include <stdio.h>\n",
            "server/net/sb_net.h": includes("sb_zone.h"),
            "server/daemon/main.c": includes("sb_zone.h", "sb_log.h", "sb_net.h"),
        })
        self.assert_clean(proc, "layers OK: 5 files, 4 modules, 7 includes checked")

    def test_lower_layer_including_higher_one_fails_with_file_and_line(self):
        proc = run_layers({
            "server/daemon/sb_options.h": "",
            "server/dns/sb_zone.h": "#pragma once\n\n" + includes("sb_options.h"),
        })
        self.assert_errors(
            proc, 1,
            "server/dns/sb_zone.h:3: includes sb_options.h (server/daemon): "
            "dns may include only base")

    def test_base_may_include_no_other_layer(self):
        proc = run_layers({
            "server/dns/sb_name.h": "",
            "server/base/sb_log.c": includes("sb_name.h"),
        })
        self.assert_errors(
            proc, 1,
            "server/base/sb_log.c:1: includes sb_name.h (server/dns): "
            "base may include no other layer")

    def test_errors_are_sorted_by_file_then_line_number(self):
        proc = run_layers({
            "server/daemon/sb_options.h": "",
            "server/dns/sb_zone.c": "\n" * 11 + includes("sb_options.h"),
            "server/dns/sb_name.c": "\n\n" + includes("sb_options.h") + "\n" * 8 + includes("sb_options.h"),
        })
        self.assertEqual(proc.returncode, 1)
        self.assertEqual([line.split(": ")[0] for line in proc.stdout.splitlines()], [
            "server/dns/sb_name.c:3",
            "server/dns/sb_name.c:12",
            "server/dns/sb_zone.c:12",
            "3 layering errors",
        ])

    def test_two_headers_including_each_other_are_a_cycle(self):
        proc = run_layers({
            "server/dns/sb_a.h": includes("sb_b.h"),
            "server/dns/sb_b.h": includes("sb_a.h"),
        })
        self.assert_errors(
            proc, 1,
            "include cycle: sb_a -> sb_b -> sb_a",
            "  server/dns/sb_a.h:1: sb_a -> sb_b",
            "  server/dns/sb_b.h:1: sb_b -> sb_a")

    def test_cycle_through_three_modules_in_their_c_files(self):
        proc = run_layers({
            "server/dns/sb_a.h": "", "server/dns/sb_b.h": "", "server/dns/sb_c.h": "",
            "server/dns/sb_a.c": includes("sb_a.h", "sb_b.h"),
            "server/dns/sb_b.c": includes("sb_b.h", "sb_c.h"),
            "server/dns/sb_c.c": includes("sb_c.h", "sb_a.h"),
        })
        self.assert_errors(
            proc, 1,
            "include cycle: sb_a -> sb_b -> sb_c -> sb_a",
            "  server/dns/sb_a.c:2: sb_a -> sb_b",
            "  server/dns/sb_b.c:2: sb_b -> sb_c",
            "  server/dns/sb_c.c:2: sb_c -> sb_a")

    def test_cycle_through_three_modules_across_folders(self):
        # The layers are acyclic, so a cycle across folders always has one
        # edge going the wrong way too: both are reported.
        proc = run_layers({
            "server/daemon/sb_a.h": includes("sb_b.h"),
            "server/config/sb_b.h": includes("sb_c.h"),
            "probe/sb_c.h": "",
            "probe/sb_c.c": includes("sb_c.h", "sb_a.h"),
        })
        self.assert_errors(
            proc, 2,
            "probe/sb_c.c:2: includes sb_a.h (server/daemon): probe may include only dns, base",
            "include cycle: sb_a -> sb_b -> sb_c -> sb_a",
            "  server/daemon/sb_a.h:1: sb_a -> sb_b",
            "  server/config/sb_b.h:1: sb_b -> sb_c",
            "  probe/sb_c.c:2: sb_c -> sb_a")

    def test_a_tangle_larger_than_its_printed_cycle_names_the_rest(self):
        proc = run_layers({
            "server/dns/sb_a.h": includes("sb_b.h"),
            "server/dns/sb_b.h": includes("sb_a.h", "sb_c.h"),
            "server/dns/sb_c.h": includes("sb_b.h"),
        })
        self.assert_errors(
            proc, 1,
            "include cycle: sb_a -> sb_b -> sb_a",
            "  also tangled with these: sb_c")

    def test_c_file_including_its_own_header_is_not_a_cycle(self):
        proc = run_layers({
            "server/dns/sb_a.h": includes("sb_b.h"),
            "server/dns/sb_a.c": includes("sb_a.h", "sb_b.h"),
            "server/dns/sb_b.h": "",
            "server/dns/sb_b.c": includes("sb_b.h"),
        })
        self.assert_clean(proc)

    def test_file_directly_in_server_is_an_error(self):
        proc = run_layers({"server/main.c": ""})
        self.assert_errors(proc, 1, "server/main.c: not in a layer folder")

    def test_file_in_unknown_server_folder_is_an_error(self):
        proc = run_layers({"server/misc/sb_x.c": ""})
        self.assert_errors(
            proc, 1, "server/misc/sb_x.c: not in a layer folder (server/misc is not a layer)")

    def test_include_of_missing_header_names_file_and_line(self):
        proc = run_layers({
            "server/dns/sb_zone.c": "#include <string.h>\n" + includes("sb_nope.h"),
        })
        self.assert_errors(
            proc, 1, "server/dns/sb_zone.c:2: includes sb_nope.h: no such project header")

    def test_same_header_name_in_two_folders_is_an_error(self):
        proc = run_layers({
            "server/dns/sb_x.h": "",
            "server/net/sb_x.h": "",
            "server/net/sb_net.c": includes("sb_x.h"),
        })
        # Reported once per copy, and the includer is not also told the
        # header is missing.
        self.assert_errors(
            proc, 2,
            "server/dns/sb_x.h: same header name as server/net/sb_x.h "
            "(headers are included by basename)",
            "server/net/sb_x.h: same header name as server/dns/sb_x.h "
            "(headers are included by basename)")

    def test_system_includes_and_commented_includes_are_ignored(self):
        proc = run_layers({
            "server/base/sb_log.h": "",
            "server/daemon/sb_options.h": "",
            "server/dns/sb_zone.c": (
                "#include <stdio.h>\n"
                "#include <sys/types.h>\n"
                '/* #include "sb_options.h" */\n'
                "/*\n"
                '#include "sb_options.h"\n'
                "*/\n"
                '// #include "sb_nope.h"\n'
                'static const char *opener = "/*";\n'
                '#  include "sb_log.h"\n'
                "# include \"sb_log.h\" // twice, harmless\n"
            ),
        })
        # The two sb_log.h includes are the only ones counted; the string
        # holding "/*" must not hide them.
        self.assert_clean(proc, "layers OK: 3 files, 3 modules, 2 includes checked")

    def test_include_with_spaces_after_hash_is_checked(self):
        proc = run_layers({
            "server/daemon/sb_options.h": "",
            "server/dns/sb_zone.c": '#  include "sb_options.h"\n',
        })
        self.assert_errors(
            proc, 1,
            "server/dns/sb_zone.c:1: includes sb_options.h (server/daemon): "
            "dns may include only base")

    def test_graph_prints_the_layer_edges_used(self):
        proc = run_layers({
            "server/base/sb_log.h": "",
            "server/dns/sb_zone.h": includes("sb_log.h"),
            "server/daemon/main.c": includes("sb_zone.h", "sb_log.h"),
        }, "--graph")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout.splitlines(),
                         ["dns -> base", "daemon -> base", "daemon -> dns"])
        self.assertIn("layers OK", proc.stderr)

    def test_missing_root_is_a_usage_error(self):
        with tempfile.TemporaryDirectory() as root:
            missing = os.path.join(root, "nowhere")
            proc = subprocess.run([sys.executable, SCRIPT, missing],
                                  capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no such directory", proc.stderr)


class TableTest(unittest.TestCase):

    def test_real_table_is_sound(self):
        layers = load_layers()
        self.assertEqual(layers.check_table(layers.LAYERS), [])

    def test_real_table_matches_the_folders_these_tests_build(self):
        self.assertEqual(tuple(load_layers().LAYERS), LAYER_FOLDERS)

    def test_cycle_in_a_table_is_found(self):
        layers = load_layers()
        table = {"x/base": (), "x/dns": ("base", "net"), "x/net": ("dns",)}
        self.assertEqual(layers.check_table(table), ["layer table: cycle: dns -> net -> dns"])

    def test_unknown_layer_in_a_table_is_found(self):
        layers = load_layers()
        self.assertEqual(layers.check_table({"x/dns": ("bsae",)}),
                         ["layer table: x/dns may include unknown layer 'bsae'"])

    def test_deep_chain_needs_no_recursion(self):
        layers = load_layers()
        n = 5 * sys.getrecursionlimit()
        graph = {i: {i + 1} for i in range(n)}
        graph[n] = {0}
        self.assertEqual(len(layers.find_cycles(graph)[0]), n + 2)



class NamingTest(unittest.TestCase):
    """Exported names say their module."""

    assert_clean = LayersTest.assert_clean
    assert_errors = LayersTest.assert_errors

    def test_exported_names_start_with_their_module(self):
        proc = run_layers({
            "server/dns/sb_zone.h": "",
            "server/dns/sb_zone.c": includes("sb_zone.h") +
            "static int helper(void)\n{\n    return 0;\n}\n\n"
            "int sb_zone_count(const void *z)\n{\n    return helper();\n}\n\n"
            "const int sb_zone_limits[] = {1, 2};\n"
            "int sb_node_find(const void *z);\n"          # a declaration, not a definition
            "/* int sb_other_thing(void) in a comment */\n"
            "int sb_strerror(int rc);\n",
            "server/base/sb_error.c": "const char *sb_strerror(int rc)\n{\n    return 0;\n}\n",
            "server/daemon/main.c": "int main(void)\n{\n    return 0;\n}\n",
        })
        self.assert_clean(proc)

    def test_a_function_named_after_another_module_is_an_error(self):
        proc = run_layers({
            "server/dns/sb_zone.h": "",
            "server/dns/sb_zone.c": includes("sb_zone.h") +
            "const void *sb_node_rrset(const void *n, int type)\n{\n    return n;\n}\n",
        })
        self.assert_errors(
            proc, 1,
            "server/dns/sb_zone.c:2: sb_node_rrset is defined in sb_zone: its name must start "
            "with sb_zone_ (or it belongs in the module its name says)")

    def test_an_exported_variable_named_after_another_module_is_an_error(self):
        proc = run_layers({
            "probe/sb_check_types.c": "const int *const sb_check_builtin[] = {0};\n",
        })
        self.assert_errors(
            proc, 1,
            "probe/sb_check_types.c:1: sb_check_builtin is defined in sb_check_types: its name "
            "must start with sb_check_types_ (or it belongs in the module its name says)")

    def test_the_exception_holds_only_in_its_own_module(self):
        proc = run_layers({
            "server/base/sb_log.c": "const char *sb_strerror(int rc)\n{\n    return 0;\n}\n",
        })
        self.assert_errors(proc, 1, "server/base/sb_log.c:1: sb_strerror is defined in sb_log: "
                                    "its name must start with sb_log_ (or it belongs in the "
                                    "module its name says)")

if __name__ == "__main__":
    unittest.main()
