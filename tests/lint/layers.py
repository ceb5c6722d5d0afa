#!/usr/bin/env python3
"""Check that Switchboard's C sources include each other only downwards.

    layers.py [--graph] [ROOT]

ROOT is the repository root (default: two folders up from this script).

Every .c/.h file under server/ and probe/ must sit in exactly one layer
folder of LAYERS, and may include (with #include "name.h") headers of its
own layer and of the layers LAYERS allows it. Headers are included by
basename, because the build puts every layer folder on the include path, so
a basename must name exactly one project header. Modules (a file stem:
sb_net.c and sb_net.h are module sb_net) must not include each other in a
cycle, even within one folder.

Every function and variable a .c file exports (anything not static) is
named after its module, so that its name says where it lives: sb_zone.c
defines sb_zone_*, never sb_node_*. NAMING_EXCEPTIONS lists the few that
follow a wider convention instead.

Prints "layers OK: ..." and exits 0 when all holds; otherwise prints every
error, sorted, then "N layering errors", and exits 1. Exits 2 on a usage
error. With --graph, prints the layer-to-layer edges the sources use (for
docs/architecture.md) on stdout, and the check's report on stderr.

Standard library only: this runs under Debian's /usr/bin/python3.
"""

import argparse
import os
import re
import sys
from collections import namedtuple

# The layer table. docs/architecture.md describes the same layering; the two
# must change together.
#
# Key: a layer folder, relative to the repository root. Value: the layers
# whose headers its files may include, by short name (the folder's last
# component: "base" is server/base). A layer may always include its own
# headers. The order of entries is the order --graph prints in.
LAYERS = {
    "server/base": (),
    "server/dns": ("base",),
    "probe": ("dns", "base"),
    "server/config": ("probe", "dns", "base"),
    "server/net": ("dns", "base"),
    "server/ctl": ("probe", "dns", "base"),
    "server/fleet": ("probe", "dns", "base"),
    "server/daemon": ("fleet", "ctl", "net", "config", "probe", "dns", "base"),
}

SOURCE_SUFFIXES = (".c", ".h")

# Exported names that are not prefixed by their module, and why: name ->
# the module that defines it.
NAMING_EXCEPTIONS = {
    "sb_strerror": "sb_error",  # errors as values; *_strerror() says them (STYLE.md 9)
}

# A definition at the start of a line that is not static: a function (its
# parameter list opens on that line) or a variable given a value.
_EXPORTED_FUNCTION = re.compile(r"^(?!static\b|typedef\b|extern\b|return\b)"
                                r"[A-Za-z_][\w \t\*]*?\b(sb_\w+)\(")
_EXPORTED_VARIABLE = re.compile(r"^(?!static\b|typedef\b|extern\b)"
                                r"[A-Za-z_][\w \t\*]*?\b(sb_\w+)(?:\[\w*\])? =")

# One error: `lines` is what is printed; the rest only orders errors, so that
# table errors come first, then per-file errors by path and line number (as
# numbers: line 3 before line 12), then include cycles.
Problem = namedtuple("Problem", "group path line lines")
GROUP_TABLE, GROUP_FILE, GROUP_CYCLE = 0, 1, 2

# One quoted include: `source` includes `name` at `line`; `target` is the
# project header it resolves to, or None.
Include = namedtuple("Include", "source line name target")


# ---------------------------------------------------------------- the table


def short_name(folder):
    return folder.rsplit("/", 1)[-1]


def folders_by_short_name(table):
    return {short_name(folder): folder for folder in table}


def check_table(table):
    """The table's own errors, as message strings (empty when sound)."""
    messages = []
    shorts = [short_name(folder) for folder in table]
    for name in sorted({s for s in shorts if shorts.count(s) > 1}):
        messages.append(f"layer table: two layers are called {name}")
    known = set(shorts)
    for folder, allowed in table.items():
        for name in allowed:
            if name not in known:
                messages.append(f"layer table: {folder} may include unknown layer {name!r}")
    graph = {short_name(folder): set(allowed) & known for folder, allowed in table.items()}
    for cycle in find_cycles(graph):
        messages.append("layer table: cycle: " + " -> ".join(cycle))
    return messages


def table_problems(table):
    return [Problem(GROUP_TABLE, "", 0, (m,)) for m in check_table(table)]


# ------------------------------------------------------------ finding files


def scan_roots(table):
    """The top folders to search: strays are only looked for where layers live."""
    return sorted({folder.split("/", 1)[0] for folder in table})


def find_sources(root, table):
    """Every .c/.h under the scan roots, as sorted repository-relative paths."""
    found = []
    for top in scan_roots(table):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for filename in filenames:
                if filename.endswith(SOURCE_SUFFIXES):
                    full = os.path.join(dirpath, filename)
                    found.append(os.path.relpath(full, root).replace(os.sep, "/"))
    return sorted(found)


def layer_of(path, table):
    """The layer folder holding `path` (the deepest one), or None."""
    matches = [folder for folder in table if path.startswith(folder + "/")]
    return max(matches, key=len) if matches else None


def stray_problem(path):
    folder = path.rsplit("/", 1)[0]
    why = "not in a layer folder"
    if "/" in folder:
        why += f" ({folder} is not a layer)"
    return Problem(GROUP_FILE, path, 0, (f"{path}: {why}",))


def module_of(path):
    return os.path.splitext(path.rsplit("/", 1)[-1])[0]


# ----------------------------------------------------------- parsing files

# Comments are blanked (newlines kept, so line numbers hold); string and
# character literals are matched only so that a "/*" inside one does not
# start a comment. An unterminated block comment runs to the end of file.
_COMMENT_OR_LITERAL = re.compile(
    r"""//[^\n]*
      | /\*.*?(?:\*/|\Z)
      | "(?:\\.|[^"\\\n])*"
      | '(?:\\.|[^'\\\n])*'
    """,
    re.DOTALL | re.VERBOSE,
)

_QUOTED_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def _blank_comment(match):
    text = match.group(0)
    if text.startswith(("//", "/*")):
        return re.sub(r"[^\n]", " ", text)
    return text


def strip_comments(text):
    return _COMMENT_OR_LITERAL.sub(_blank_comment, text)


def parse_includes(text):
    """(line number, name) for each #include "name" outside comments."""
    found = []
    for number, line in enumerate(strip_comments(text).splitlines(), start=1):
        match = _QUOTED_INCLUDE.match(line)
        if match:
            found.append((number, match.group(1)))
    return found


def read_source(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        return f.read()


# ------------------------------------------------------- resolving headers


def index_headers(files):
    """Basename -> the one header with it, and a problem per shared basename.

    A shared basename is left out of the index: which file the compiler picks
    depends on include-path order, so its includers are not checked further.
    """
    by_name = {}
    for path in files:
        if path.endswith(".h"):
            by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    index, problems = {}, []
    for name, paths in sorted(by_name.items()):
        if len(paths) == 1:
            index[name] = paths[0]
            continue
        for path in paths:
            others = ", ".join(p for p in paths if p != path)
            problems.append(Problem(GROUP_FILE, path, 0, (
                f"{path}: same header name as {others} (headers are included by basename)",)))
    return index, problems


def resolve_includes(root, files, index, shared_names):
    """Every quoted include of every file, and a problem per unknown header."""
    includes, problems = [], []
    for path in files:
        for line, name in parse_includes(read_source(root, path)):
            # Headers are found by basename; a path in the name is not how
            # this project includes, but the basename still says what is meant.
            basename = name.rsplit("/", 1)[-1]
            target = index.get(basename)
            includes.append(Include(path, line, name, target))
            if target is None and basename not in shared_names:
                problems.append(Problem(GROUP_FILE, path, line, (
                    f"{path}:{line}: includes {name}: no such project header",)))
    return includes, problems


# ----------------------------------------------------------- the direction


def allowed_list(allowed):
    if not allowed:
        return "no other layer"
    return "only " + ", ".join(allowed)


def direction_problems(includes, table):
    problems = []
    for inc in includes:
        if inc.target is None:
            continue
        source_layer, target_layer = layer_of(inc.source, table), layer_of(inc.target, table)
        # A stray file has no layer; it is reported once as a stray instead
        # of once per include.
        if source_layer is None or target_layer is None or source_layer == target_layer:
            continue
        allowed = table[source_layer]
        if short_name(target_layer) in allowed:
            continue
        problems.append(Problem(GROUP_FILE, inc.source, inc.line, (
            f"{inc.source}:{inc.line}: includes {inc.name} ({target_layer}): "
            f"{short_name(source_layer)} may include {allowed_list(allowed)}",)))
    return problems


def layer_edges(includes, table):
    """The (from, to) layer folders some include crosses, in table order."""
    edges = set()
    for inc in includes:
        if inc.target is None:
            continue
        a, b = layer_of(inc.source, table), layer_of(inc.target, table)
        if a is not None and b is not None and a != b:
            edges.add((a, b))
    order = {folder: i for i, folder in enumerate(table)}
    return sorted(edges, key=lambda e: (order[e[0]], order[e[1]]))


# ------------------------------------------------------------------ cycles


def strongly_connected(graph):
    """Tarjan's algorithm, iterative so that deep graphs cannot overflow the
    interpreter's stack. `graph` maps a node to its successors; returns the
    components, each sorted, in a deterministic order."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def successors(node):
        return iter(sorted(graph.get(node, ())))

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        work.append((node, successors(node)))

    for start in sorted(graph):
        if start in index:
            continue
        work = []
        visit(start)
        while work:
            node, pending = work[-1]
            for nxt in pending:
                if nxt not in index:
                    visit(nxt)
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    components.append(_pop_component(stack, on_stack, node))
    return components


def _pop_component(stack, on_stack, root):
    component = []
    while True:
        node = stack.pop()
        on_stack.discard(node)
        component.append(node)
        if node == root:
            return sorted(component)


def simple_cycle(graph, component):
    """A simple cycle through the component's alphabetically first node.

    Depth-first within the component, neighbours in alphabetical order; the
    first edge back to the start closes the cycle. Every node of a strongly
    connected component is reached, and each is on the path when it is
    expanded, so some edge back to the start is always found.
    """
    members = set(component)
    start = component[0]

    def successors(node):
        return iter(sorted(n for n in graph.get(node, ()) if n in members))

    path, pending, seen = [start], [successors(start)], {start}
    while path:
        for nxt in pending[-1]:
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                path.append(nxt)
                pending.append(successors(nxt))
                break
        else:
            path.pop()
            pending.pop()
    raise AssertionError(f"no cycle through {start} in {component}")


def find_cycles(graph):
    """One simple cycle per component that has one, as node lists."""
    cycles = []
    for component in strongly_connected(graph):
        node = component[0]
        if len(component) > 1 or node in graph.get(node, ()):
            cycles.append(simple_cycle(graph, component))
    return cycles


def module_edges(includes):
    """(module, module) -> the sorted (path, line) places that make the edge."""
    edges = {}
    for inc in includes:
        if inc.target is None:
            continue
        a, b = module_of(inc.source), module_of(inc.target)
        if a != b:
            edges.setdefault((a, b), []).append((inc.source, inc.line))
    return {edge: sorted(places) for edge, places in edges.items()}


def cycle_problems(includes):
    edges = module_edges(includes)
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    problems = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        cycle = simple_cycle(graph, component)
        lines = ["include cycle: " + " -> ".join(cycle)]
        for a, b in zip(cycle, cycle[1:]):
            path, line = edges[(a, b)][0]
            lines.append(f"  {path}:{line}: {a} -> {b}")
        # The printed cycle is one way round a tangle; name the rest of it so
        # breaking this one cycle is not mistaken for untangling the whole.
        rest = [m for m in component if m not in cycle]
        if rest:
            lines.append("  also tangled with these: " + ", ".join(rest))
        problems.append(Problem(GROUP_CYCLE, "", 0, tuple(lines)))
    return problems


# ------------------------------------------------------------ naming


def exported_names(text):
    """(line number, name) of each function or variable a .c file defines
    without static (declarations ending in ';' are not definitions)."""
    found = []
    lines = strip_comments(text).splitlines()
    for number, line in enumerate(lines, start=1):
        function = _EXPORTED_FUNCTION.match(line)
        if function and not line.rstrip().endswith(";"):
            found.append((number, function.group(1)))
            continue
        variable = _EXPORTED_VARIABLE.match(line)
        if variable:
            found.append((number, variable.group(1)))
    return found


def naming_problems(root, files):
    problems = []
    for path in files:
        module = module_of(path)
        if not path.endswith(".c") or module == "main":
            continue
        for line, name in exported_names(read_source(root, path)):
            if name.startswith(module) or NAMING_EXCEPTIONS.get(name) == module:
                continue
            problems.append(Problem(GROUP_FILE, path, line, (
                f"{path}:{line}: {name} is defined in {module}: its name must start with "
                f"{module}_ (or it belongs in the module its name says)",)))
    return problems


# -------------------------------------------------------------- the check

Report = namedtuple("Report", "problems files modules includes layer_edges")


def check_tree(root, table=LAYERS):
    files = find_sources(root, table)
    problems = table_problems(table)
    problems += [stray_problem(p) for p in files if layer_of(p, table) is None]
    index, shared = index_headers(files)
    problems += shared
    shared_names = {p.path.rsplit("/", 1)[-1] for p in shared}
    includes, unknown = resolve_includes(root, files, index, shared_names)
    problems += unknown
    problems += direction_problems(includes, table)
    problems += cycle_problems(includes)
    problems += naming_problems(root, [p for p in files if layer_of(p, table) is not None])
    return Report(
        problems=sorted(problems),
        files=len(files),
        modules=len({module_of(p) for p in files}),
        includes=len(includes),
        layer_edges=layer_edges(includes, table),
    )


def print_report(report, out):
    if not report.problems:
        print(f"layers OK: {report.files} files, {report.modules} modules, "
              f"{report.includes} includes checked", file=out)
        return
    for problem in report.problems:
        for line in problem.lines:
            print(line, file=out)
    print(f"{len(report.problems)} layering errors", file=out)


def default_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Check the layering of Switchboard's C includes.")
    parser.add_argument("root", nargs="?", default=default_root(),
                        help="the repository root (default: %(default)s)")
    parser.add_argument("--graph", action="store_true",
                        help="print the layer edges the sources use, one per line")
    return parser.parse_args(argv)


def usage_error(root, table):
    if not os.path.isdir(root):
        return f"{root}: no such directory"
    if not any(os.path.isdir(os.path.join(root, top)) for top in scan_roots(table)):
        wanted = " or ".join(t + "/" for t in scan_roots(table))
        return f"{root}: has no {wanted}; is it the repository root?"
    return None


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    error = usage_error(args.root, LAYERS)
    if error:
        print(f"layers.py: {error}", file=sys.stderr)
        return 2
    report = check_tree(args.root)
    out = sys.stdout
    if args.graph:
        for a, b in report.layer_edges:
            print(f"{short_name(a)} -> {short_name(b)}")
        # stdout is for the docs; the verdict goes beside it.
        out = sys.stderr
    print_report(report, out)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
