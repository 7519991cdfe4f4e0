#!/usr/bin/env python3
"""The version lives in meson.build's project(); every other place that
must repeat it is compared with it here, so a release that bumps one place
only fails this test instead of shipping two versions.

usage: check-versions.py SOURCE_ROOT PROJECT_VERSION"""
import re
import sys
from pathlib import Path


def first(path: Path, pattern: str) -> str:
    m = re.search(pattern, path.read_text(), re.MULTILINE)
    if not m:
        sys.exit(f"{path}: no version found (pattern {pattern!r})")
    return m.group(1)


def main() -> int:
    root, version = Path(sys.argv[1]), sys.argv[2]
    places = {
        "bindings/python/pyproject.toml": r'^version = "([^"]+)"',
        "bindings/python/rtipc/__init__.py": r'^__version__ = "([^"]+)"',
        "bindings/rust/Cargo.toml": r'^version = "([^"]+)"',
        "bindings/rust/Cargo.lock": r'^name = "librtipc"\nversion = "([^"]+)"',
        # the upstream part of the newest entry: 1.0.0 of "(1.0.0-1)"
        "debian/changelog": r"^librtipc \(([^-)]+)-[^)]*\)",
    }
    wrong = []
    for rel, pattern in places.items():
        found = first(root / rel, pattern)
        status = "ok" if found == version else "MISMATCH"
        print(f"{rel}: {found} ({status})")
        if found != version:
            wrong.append(rel)
    if wrong:
        print(f"meson.build says {version}; change {', '.join(wrong)} to match", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
