#!/usr/bin/env python3
"""Every function the library exports (capi/rtipc.map) is bound in each
language, or listed in bindings/coverage.txt with the reason it is left out
there. A binding's C names are found in its sources: C++ include/rtipc/rtipc.hpp,
Python's ctypes declarations (rtipc/*.py), Go's cgo calls (C.rtipc_*, and
the calls of its C shim), Rust's safe layer (sys::rtipc_* outside sys.rs).
Fails on a symbol neither bound nor listed, and on a stale or reasonless
entry. usage: coverage.py SOURCE_ROOT"""

import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)


def names(pattern, files):
    found = set()
    for f in files:
        text = f.read_text()
        if f.suffix in (".hpp", ".c", ".go", ".rs"):  # a name in a comment binds nothing
            text = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
        found.update(re.findall(pattern, text))
    return found


exported = set(re.findall(r"^\s+(rtipc_\w+);", (root / "capi/rtipc.map").read_text(), re.M))
go = root / "bindings/go"
rust_src = [f for f in (root / "bindings/rust/src").rglob("*.rs") if f.name != "sys.rs"]
bound = {
    "cpp": names(r"\b(rtipc_\w+)\b", [root / "include/rtipc/rtipc.hpp"]),
    "python": names(r"[\"'](rtipc_\w+)[\"']|\b_?L\.(rtipc_\w+)|\blib\.(rtipc_\w+)",
                    (root / "bindings/python/rtipc").glob("*.py")),
    "go": names(r"\bC\.(rtipc_\w+)", [f for f in go.glob("*.go") if not f.name.endswith("_test.go")])
    | names(r"\b(rtipc_\w+)\s*\(", [go / "shim.c"]),
    "rust": names(r"\bsys::(rtipc_\w+)", rust_src),
}
bound = {lang: {n for t in found for n in (t if isinstance(t, tuple) else (t,)) if n}
         for lang, found in bound.items()}

listed = {lang: {} for lang in bound}
errors = []
for number, line in enumerate((root / "bindings/coverage.txt").read_text().splitlines(), 1):
    if not line.strip() or line.startswith("#"):
        continue
    parts = line.split(None, 2)
    if len(parts) < 3 or parts[0] not in listed:
        errors.append(f"coverage.txt:{number}: want 'LANGUAGE SYMBOL REASON': {line}")
        continue
    listed[parts[0]][parts[1]] = parts[2]

for lang in sorted(bound):
    for name in sorted(exported - bound[lang] - set(listed[lang])):
        errors.append(f"{lang}: {name} is exported but neither bound nor listed in coverage.txt")
    for name in sorted(set(listed[lang]) & bound[lang]):
        errors.append(f"{lang}: {name} is bound now: remove it from coverage.txt")
    for name in sorted(set(listed[lang]) - exported):
        errors.append(f"{lang}: {name} in coverage.txt is not exported")
    print(f"{lang}: {len(exported & bound[lang])} of {len(exported)} bound, "
          f"{len(exported & set(listed[lang]))} left out with a reason")

for e in errors:
    print(e)
sys.exit(1 if errors else 0)
