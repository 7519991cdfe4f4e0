#!/usr/bin/env python3
"""Keeps docs/protocol.md true to the code that cites it.

Checks that
- the worked example request printed in docs/protocol.md (the fenced block
  after the marker "protocol-example-request") is byte for byte the request
  that tests/capi/group_test.c expects (its test_request);
- the example region table (after "protocol-example-region") matches the
  layout formula of the document applied to that request;
- every "docs/protocol.md §N" citation in the repository names a section the
  document has; so does every bare §N in the document itself and in any
  Markdown file that cites it.

Usage: check_protocol_doc.py SOURCE_ROOT
"""
import os
import re
import struct
import sys

DOC = "docs/protocol.md"
GROUP_TEST = "tests/capi/group_test.c"
# Where citations live; build directories and .git are never walked.
CITING = ["README.md", "CHANGELOG.md", "src", "capi", "include", "tests", "docs",
          "examples", "fuzz", "bench", "scripts"]
CITING_EXT = (".c", ".h", ".cpp", ".hpp", ".md", ".py", ".sh", ".build", ".pml", ".map",
              ".txt", ".go", ".rs")
# The example's cache line; group_test.c may name it by a macro or a call.
EXAMPLE_CACHELINE = 64

failures = []


def fail(message):
    failures.append(message)


def read(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


# ---- Sections ---------------------------------------------------------------

def doc_sections(doc):
    """'7', '7.1', ... from the headings '## 7. Title' and '### 7.1 Title'."""
    found = set()
    for m in re.finditer(r"^#{2,3} (\d+)(?:\.(\d+))?\.? ", doc, re.M):
        found.add(m.group(1) if m.group(2) is None else f"{m.group(1)}.{m.group(2)}")
    return found


# One reference: §7, §7.1, §2-5, section 9, sections 2-5, or a bare 6.2.
REF = r"(?:§\s*|sections?\s+)?\d+(?:\.\d+)?(?:\s*[-–]\s*\d+(?:\.\d+)?)?"
REF_LIST = re.compile(rf"{REF}(?:\s*(?:,|and|or)\s*(?:{REF}))*")
CITATION = re.compile(r"docs/protocol\.md[`\])]*")
LEAD_IN = re.compile(r"\s*\(|\s+|,\s*")


def refs_in(text):
    """The section names in a reference list such as '§2, §4' or '2-5'."""
    names = []
    for one in re.finditer(REF, text):
        nums = re.findall(r"\d+(?:\.\d+)?", one.group(0))
        if len(nums) == 2 and "." not in nums[0] + nums[1]:
            lo, hi = int(nums[0]), int(nums[1])
            names += [str(i) for i in range(lo, hi + 1)]
        else:
            names += nums
    return names


def check_citation_list(where, text, sections):
    for name in refs_in(text):
        if name not in sections:
            fail(f"{where}: cites {DOC} §{name}, which the document does not have")


def check_citations(root, sections):
    count = 0
    for entry in CITING:
        path = os.path.join(root, entry)
        if os.path.isfile(path):
            files = [path]
        elif os.path.isdir(path):
            files = [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs
                     if f.endswith(CITING_EXT)]
        else:
            continue
        for name in sorted(files):
            try:
                with open(name, encoding="utf-8") as f:
                    text = f.read()
            except UnicodeDecodeError:
                continue
            rel = os.path.relpath(name, root)
            if rel == DOC:
                continue
            if rel.endswith(".md") and DOC in text:
                # A document that cites this one means it by every bare §N.
                count += check_bare_references(rel, text, sections)
            for m in CITATION.finditer(text):
                # A line break inside a comment may sit between name and section.
                rest = re.sub(r"\s*\n\s*(?:[*#]|//)?\s*", " ", text[m.end():m.end() + 200])
                lead = LEAD_IN.match(rest)
                refs = REF_LIST.match(rest, lead.end()) if lead else None
                if not refs or not refs.group(0).strip():
                    continue
                count += 1
                line = text.count("\n", 0, m.start()) + 1
                check_citation_list(f"{rel}:{line}", refs.group(0), sections)
    return count


BARE = re.compile(r"§\s*\d+(?:\.\d+)?(?:\s*(?:[-–]|,|and|or)\s*(?:§\s*)?\d+(?:\.\d+)?)*")


def check_bare_references(rel, text, sections):
    """Every §N in text, read as a section of the document; returns the count."""
    count = 0
    for m in BARE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        check_citation_list(f"{rel}:{line}", m.group(0), sections)
        count += 1
    return count


# ---- The worked example ------------------------------------------------------

def block_after(doc, marker):
    """The lines of the first fenced block (or table) after the marker."""
    at = doc.find(marker)
    if at < 0:
        fail(f"{DOC}: no marker '{marker}'")
        return []
    lines = doc[at:].splitlines()[1:]
    if lines and lines[0].startswith("```"):
        end = next((i for i in range(1, len(lines)) if lines[i].startswith("```")), None)
        if end is None:
            fail(f"{DOC}: the block after '{marker}' is not closed")
            return []
        return lines[1:end]
    out = []
    for line in lines:
        if not line.startswith("|"):
            break
        out.append(line)
    return out


def doc_example_bytes(doc):
    out = bytearray()
    for line in block_after(doc, "protocol-example-request"):
        m = re.match(r"([0-9a-f]{4})  ((?:[0-9a-f]{2} ?)+)", line)
        if not m:
            fail(f"{DOC}: example line not in the form 'OFFSET  HEX BYTES': {line!r}")
            continue
        if int(m.group(1), 16) != len(out):
            fail(f"{DOC}: example line at {m.group(1)} follows {len(out):#06x} bytes")
        out += bytes(int(b, 16) for b in m.group(2).split())
    return bytes(out)


def c_string(literal):
    """The bytes of a C string literal's contents (simple escapes only)."""
    return literal.encode("ascii").decode("unicode_escape").encode("latin-1")


def eval_c_int(expr, where):
    e = re.sub(r"\(\s*(?:u?int\d+_t|unsigned|char|int)\s*\)", "", expr)  # casts
    e = re.sub(r"\w*cacheline\w*\s*\(\s*\)", str(EXAMPLE_CACHELINE), e, flags=re.I)
    e = re.sub(r"\b\w*CACHELINE\w*\b|\b(?:cacheline|cl)\b", str(EXAMPLE_CACHELINE), e,
               flags=re.I)
    e = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", e)
    if not re.fullmatch(r"[\s0-9a-fA-FxX()&|<>~+*/-]*", e) or not e.strip():
        fail(f"{GROUP_TEST}: cannot evaluate {expr!r} in {where}; update {__file__}")
        return 0
    try:
        return eval(e.replace("/", "//"), {"__builtins__": {}})  # digits and operators only
    except Exception:  # noqa: BLE001 - any leftover name or syntax is the same failure
        fail(f"{GROUP_TEST}: cannot evaluate {expr!r} in {where}; update {__file__}")
        return 0


def test_example_bytes(test):
    m = re.search(r"static void test_request\(void\)\s*\{(.*?)\n\}", test, re.S)
    if not m:
        fail(f"{GROUP_TEST}: no test_request() function")
        return None
    body = m.group(1)
    arr = re.search(r"\bwant\[(\d+)\]\s*=\s*\{(.*?)\};", body, re.S)
    if not arr:
        fail(f"{GROUP_TEST}: test_request() has no 'want[N] = {{...}}' array")
        return None
    size = int(arr.group(1))
    items = [i for i in (x.strip() for x in arr.group(2).split(",")) if i]
    want = bytearray(size)
    for i, item in enumerate(items):
        want[i] = eval_c_int(item, "want[]") & 0xFF
    strings = {name: c_string(lit) + b"\0"
               for name, lit in re.findall(r"(\w+)\[\]\s*=\s*\"((?:[^\"\\]|\\.)*)\"", body)}
    for off, name, sized in re.findall(
            r"memcpy\(\s*want\s*\+\s*(\d+)\s*,\s*(\w+)\s*,\s*sizeof\s*\(?\s*(\w+)\s*\)?\s*\)",
            body):
        if name not in strings or sized != name:
            fail(f"{GROUP_TEST}: cannot follow memcpy(want + {off}, {name}, sizeof {sized})")
            continue
        data = strings[name]
        want[int(off):int(off) + len(data)] = data
    return bytes(want[:size])


def check_example(root, doc):
    got = doc_example_bytes(doc)
    want = test_example_bytes(read(root, GROUP_TEST))
    if want is None:
        return got
    if got != want:
        first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                     min(len(got), len(want)))
        fail(f"{DOC}: the example request ({len(got)} bytes) differs from {GROUP_TEST} "
             f"({len(want)} bytes) first at byte {first}")
    return got


def align(x, cl):
    return (x + cl - 1) // cl * cl


def check_region(doc, request):
    """The region table against the formula of §6.2, applied to the request."""
    if len(request) < 20:
        return
    _, _, cl, _, _, count_a, count_b = struct.unpack_from("<HHHHIII", request)
    rows = [r for r in block_after(doc, "protocol-example-region")
            if re.match(r"\|\s*\d", r)]
    if len(rows) != count_a + count_b:
        fail(f"{DOC}: the region table has {len(rows)} rows, the request "
             f"{count_a + count_b} channels")
        return
    offset = 0
    for i, row in enumerate(rows):
        add_msgs, msg_size = struct.unpack_from("<II", request, 20 + 16 * i)
        n = 3 + add_msgs
        index, stride = align((2 + n) * 4, cl), align(msg_size, cl)
        size = index + n * stride
        cells = [c.strip() for c in row.strip("|").split("|")]
        nums = [re.findall(r"\d+", c) for c in cells]
        want = {1: n, 2: offset, 3: index, 4: stride, 6: size}
        for col, value in want.items():
            if not nums[col] or int(nums[col][0]) != value:
                fail(f"{DOC}: region table row {i}, column {col + 1}: want {value}, "
                     f"found {cells[col]!r}")
        slots = [int(x) for x in nums[5]]
        first, last = offset + index, offset + index + (n - 1) * stride
        if not slots or slots[0] != first or slots[-1] != last:
            fail(f"{DOC}: region table row {i}: slots run {first} .. {last}, "
                 f"found {cells[5]!r}")
        tail = [int(x) for x in nums[3][1:]]  # tail, head, chain from .. to
        if tail and tail != [offset, offset + 4, offset + 8, offset + 8 + 4 * n - 1]:
            fail(f"{DOC}: region table row {i}: index words at {tail}")
        offset += size
    total = re.search(r"The memfd holds (\d+) bytes", doc)
    if not total or int(total.group(1)) != offset:
        fail(f"{DOC}: the example region is {offset} bytes, the text says "
             f"{total.group(1) if total else 'nothing'}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    doc = read(root, DOC)
    sections = doc_sections(doc)
    for must in [str(i) for i in range(1, 14)] + ["6.1", "6.2", "6.3", "6.4", "7.1", "7.2",
                                                    "7.3", "7.4"]:
        if must not in sections:
            fail(f"{DOC}: section {must} is missing (code and documents cite it)")
    request = check_example(root, doc)
    check_region(doc, request)
    cited = check_citations(root, sections)
    check_bare_references(DOC, doc, sections)
    for f in failures:
        print("FAIL:", f)
    print(f"{len(sections)} sections, {len(request)} example bytes, "
          f"{cited} references to {DOC} checked")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
