#!/usr/bin/env python3
"""Keeps the README's table of tests true.

Checks that
- every file the table "Where each feature is tested" (README.md, section
  "## Tests") names exists;
- every test program under tests/ (a file named *_test.c, *_test.cpp or
  *_test.py) is named in that table;
- no two test files use one GoogleTest suite name: a name like
  `HostilePeer.*` then points at one file.

Usage: check_test_table.py SOURCE_ROOT
"""
import os
import re
import sys

TABLE_HEADING = "### Where each feature is tested"
TEST_PROGRAM = re.compile(r"_test\.(c|cpp|py)$")
GTEST = re.compile(r"^\s*(?:TYPED_)?TEST(?:_F|_P)?\(\s*(\w+)\s*,", re.M)


def table_paths(readme):
    """The backquoted tests/... paths in the table's rows."""
    section = readme.split("\n## Tests\n", 1)
    if len(section) != 2:
        sys.exit("README.md has no '## Tests' section")
    section = section[1].split("\n## ", 1)[0]
    if TABLE_HEADING not in section:
        sys.exit(f"README.md's Tests section has no '{TABLE_HEADING}'")
    rows = []
    for line in section.split(TABLE_HEADING, 1)[1].splitlines():
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break  # the end of the table
    return {p for row in rows for p in re.findall(r"`(tests/[^`]+)`", row)}


def test_programs(root):
    found = set()
    for top, dirs, files in os.walk(os.path.join(root, "tests")):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if TEST_PROGRAM.search(name):
                found.add(os.path.relpath(os.path.join(top, name), root))
    return found


def suite_owners(root, programs):
    owners = {}
    for path in sorted(programs):
        if not path.endswith(".cpp"):
            continue
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for suite in set(GTEST.findall(f.read())):
                owners.setdefault(suite, []).append(path)
    return owners


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        listed = table_paths(f.read())
    programs = test_programs(root)
    errors = [f"the table names {p}, which does not exist"
              for p in sorted(listed) if not os.path.isfile(os.path.join(root, p))]
    errors += [f"{p} is missing from the table" for p in sorted(programs - listed)]
    errors += [f"GoogleTest suite {s} is used by {', '.join(files)}"
               for s, files in sorted(suite_owners(root, programs).items()) if len(files) > 1]
    for e in errors:
        print("check_test_table:", e, file=sys.stderr)
    if errors:
        return 1
    print(f"check_test_table: {len(listed)} files in the table, {len(programs)} test programs, "
          "every GoogleTest suite name in one file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
