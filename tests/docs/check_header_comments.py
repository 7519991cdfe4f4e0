#!/usr/bin/env python3
"""Every function of rtipc.h has a comment of the header's one shape: a
summary line, then Returns:, Errors:, Blocks: and Owns:, in that order. A
comment may cover the declarations that follow it directly.

usage: check_header_comments.py SOURCE_ROOT"""
import re
import sys

LABELS = ["Returns:", "Errors:", "Blocks:", "Owns:"]


def main() -> int:
    text = open(sys.argv[1] + "/include/rtipc/rtipc.h").read()
    bad = []
    comment = None  # the comment that covers the next declaration
    for chunk in re.finditer(r"/\*.*?\*/|^RTIPC_EXPORT[^;]*;|\n\s*\n", text, re.S | re.M):
        s = chunk.group(0)
        if s.startswith("/*"):
            comment = s
        elif s.startswith("RTIPC_EXPORT"):
            name = re.search(r"\b(rtipc_\w+)\s*\(", s).group(1)
            if comment is None:
                bad.append(f"{name}: no comment")
                continue
            lines = [l.strip().lstrip("/*").strip() for l in comment.splitlines()]
            starts = [next((i for i, l in enumerate(lines) if l.startswith(lab)), -1)
                      for lab in LABELS]
            if not lines[0] or lines[0].startswith(tuple(LABELS)):
                bad.append(f"{name}: no summary line")
            if -1 in starts or starts != sorted(starts):
                bad.append(f"{name}: needs {', '.join(LABELS)} in this order")
        else:  # a blank line ends a comment's reach
            comment = None
    for b in bad:
        print(f"include/rtipc/rtipc.h: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
