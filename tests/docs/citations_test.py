#!/usr/bin/env python3
"""The repository stands on its own: every file a comment or a document
cites is in it, and sections are cited by name, not by number.

    citations_test.py SOURCE_DIR
    citations_test.py --self-test

Reads the tracked kinds of text (.cc .h .proto .py .sh .cmake .txt .md
.yaml .yml .service and CMakeLists.txt) under SOURCE_DIR, except build
trees, .git and node_modules. A citation is a name ending in ".md" that is
not part of a URL: it must name a file of the repository, relative to the
citing file's folder or to the root, or, for a bare name, any file of that
name in the repository. A "§" (a section number of a document outside the
repository) fails too. Exit 0 when all hold, 1 with one line per problem.
"""

import os
import re
import sys
import tempfile

TEXT = (".cc", ".h", ".proto", ".py", ".sh", ".cmake", ".txt", ".md", ".yaml", ".yml",
        ".service")
SKIP_DIRS = {".git", "node_modules"}
CITATION = re.compile(r"(?<![\w/.:-])([\w./-]*[\w-]\.md)\b")


def files(root):
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs
                         if d not in SKIP_DIRS and not d.startswith("build"))
        for name in sorted(names):
            if name.endswith(TEXT) or name == "CMakeLists.txt":
                yield os.path.join(folder, name)


def problems(root):
    known = set()
    for path in files(root):
        known.add(os.path.relpath(path, root))
    bare = {os.path.basename(p) for p in known} | {
        n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n))}
    out = []
    for path in files(root):
        rel = os.path.relpath(path, root)
        if rel == os.path.join("tests", "docs", "citations_test.py"):
            continue  # it names what it looks for
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if "\u00a7" in line:
                    out.append("%s:%d: cites a section by number (\u00a7); name it instead"
                               % (rel, number))
                for match in CITATION.finditer(line):
                    cited = match.group(1)
                    before = line[:match.start(1)]
                    if re.search(r"https?://\S*$", before):
                        continue  # part of a URL
                    here = os.path.normpath(os.path.join(os.path.dirname(rel), cited))
                    if "/" in cited:
                        found = here in known or os.path.normpath(cited) in known
                    else:
                        found = here in known or cited in bare
                    if not found:
                        out.append("%s:%d: cites %s, which is not in the repository"
                                   % (rel, number, cited))
    return out


def self_test():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "docs"))
        os.makedirs(os.path.join(root, "src"))
        with open(os.path.join(root, "docs", "guide.md"), "w") as f:
            f.write("See [the other](other.md) and ../README.md.\n")
        with open(os.path.join(root, "docs", "other.md"), "w") as f:
            f.write("Upstream: https://example.org/docs/upstream.md\n")
        with open(os.path.join(root, "README.md"), "w") as f:
            f.write("docs/guide.md\n")
        with open(os.path.join(root, "src", "a.cc"), "w") as f:
            f.write("// docs/guide.md, \"Guide\"\n// as notes-elsewhere.md says\n// see \u00a73.2\n")
        found = problems(root)
        expected = ["src/a.cc:2: cites notes-elsewhere.md, which is not in the repository",
                    "src/a.cc:3: cites a section by number (\u00a7); name it instead"]
        if found != expected:
            print("self-test: expected %r, got %r" % (expected, found))
            return 1
    print("PASS: a missing file and a section number are found; links and URLs pass")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip())
        return 2
    found = problems(sys.argv[1])
    for line in found:
        print(line)
    if found:
        return 1
    print("PASS: every cited file is in the repository, and no section is cited by number")
    return 0


if __name__ == "__main__":
    sys.exit(main())
