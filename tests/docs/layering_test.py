#!/usr/bin/env python3
"""The folders depend on each other only as docs/architecture.md allows.

    layering_test.py SOURCE_DIR
    layering_test.py --self-test

Reads the table under the heading "Folders and what they may use" in
docs/architecture.md (under SOURCE_DIR): each row names a folder (first column, in
backticks) and, in its last column, the folders its code may include (in
backticks; "nothing of ours" for none). Then reads every `#include "..."`
line of the .h and .cc files under those folders. A file belongs to the
longest folder of the table its path starts with; so does an included
path, and the generated protobuf headers ("mesos/...", "mesos_launch/...")
belong to proto/. Includes of no folder of the table (a library's) are not
looked at. An include of another folder that the row does not allow fails,
naming the file, the line and the rule. A folder of the table that does not
exist fails too, so the table cannot drift from the tree.
Exit 0 when all hold, 1 with one line per problem.
"""

import os
import re
import sys
import tempfile

HEADING = "## Folders and what they may use"
INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+)"', re.M)
GENERATED_PROTO = ("mesos/", "mesos_launch/")


def rules(architecture):
    """{folder: set of folders it may include} from the document's table."""
    text = open(architecture, encoding="utf-8").read()
    if HEADING not in text:
        raise ValueError("%s has no heading %r" % (architecture, HEADING))
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    allowed = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2:
            continue
        folder = re.fullmatch(r"`([\w/]+)/`", cells[0])
        if not folder:
            continue  # the header and the separator
        allowed[folder.group(1)] = set(re.findall(r"`([\w/]+)/`", cells[-1]))
    if not allowed:
        raise ValueError("the table under %r lists no folder" % HEADING)
    return allowed


def owner(path, folders):
    if path.startswith(GENERATED_PROTO):
        return "proto"
    best = None
    for folder in folders:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best


def problems(root):
    allowed = rules(os.path.join(root, "docs", "architecture.md"))
    out = []
    for folder in sorted(allowed):
        if not os.path.isdir(os.path.join(root, folder)):
            out.append("docs/architecture.md: the table names %s/, which does not exist" % folder)
    for folder in sorted(allowed):
        for base, dirs, names in os.walk(os.path.join(root, folder)):
            dirs[:] = sorted(d for d in dirs if d != "node_modules" and not d.startswith("."))
            for name in sorted(names):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.relpath(os.path.join(base, name), root)
                source = owner(path, allowed)
                if source != folder:
                    continue  # a subfolder with a row of its own
                text = open(os.path.join(root, path), encoding="utf-8", errors="replace").read()
                for match in INCLUDE.finditer(text):
                    target = owner(match.group(1), allowed)
                    if target is None or target == source or target in allowed[source]:
                        continue
                    line = text.count("\n", 0, match.start()) + 1
                    out.append("%s:%d: %s/ includes %s (%s/), which docs/architecture.md "
                               "does not allow" % (path, line, source, match.group(1), target))
    return out


def self_test():
    failures = []
    table = ("# Architecture\n\n%s\n\n| Folder | Holds | May use |\n|---|---|---|\n"
             "| `base/` | leaf | nothing of ours |\n"
             "| `app/` | the program | `app/core/`, `base/`, `proto/` |\n"
             "| `app/core/` | pure | `base/` |\n| `proto/` | messages | nothing of ours |\n\n"
             "## Next\n" % HEADING)
    cases = [
        ("allowed edges pass", {"app/main.cc": '#include "base/a.h"\n#include "app/core/c.h"\n'
                                               '#include "mesos/v1/mesos.pb.h"\n'}, []),
        ("a library's header is not looked at", {"base/a.h": '#include "gtest/gtest.h"\n'}, []),
        ("a leaf including a folder of ours", {"base/a.h": '#include "app/x.h"\n'},
         ["base/a.h:1: base/ includes app/x.h (app/)"]),
        ("a subfolder has its own row", {"app/core/c.cc": '\n#include "mesos/v1/m.pb.h"\n'},
         ["app/core/c.cc:2: app/core/ includes mesos/v1/m.pb.h (proto/)"]),
    ]
    for what, tree, expected in cases:
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "docs"))
            for folder in ("base", "app/core", "proto"):
                os.makedirs(os.path.join(root, folder), exist_ok=True)
            with open(os.path.join(root, "docs", "architecture.md"), "w") as f:
                f.write(table)
            for path, text in tree.items():
                with open(os.path.join(root, path), "w") as f:
                    f.write(text)
            got = problems(root)
            if len(got) != len(expected) or any(
                    not g.startswith(e) for g, e in zip(got, expected)):
                failures.append("%s: expected %s, got %s" % (what, expected, got))
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "docs"))
        with open(os.path.join(root, "docs", "architecture.md"), "w") as f:
            f.write(table)
        if not any("does not exist" in p for p in problems(root)):
            failures.append("a folder of the table missing from the tree passed")
    for failure in failures:
        print("FAIL: " + failure)
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 64
    found = problems(sys.argv[1])
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
