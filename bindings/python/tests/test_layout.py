"""rtipc._lib is written by hand; this test holds it to rtipc.h. A C program
compiled against the header prints the sizes and offsets of every struct
_lib mirrors and the value of every constant it copies; the prototypes of
the header, read from its text, give each declared function's types."""
import ctypes
import os
import re
import shlex
import subprocess
import tempfile
import unittest
from ctypes import POINTER

from rtipc import _lib, _waitlib

MODULES = (_lib, _waitlib)

HEADER_DIR_HINT = "RTIPC_CFLAGS (-I of the source and build include directories)"
NOT_CONSTANTS = {"SONAME", "ABI_MAJOR"}


def mirrored_structs():
    return [v for m in MODULES for k, v in vars(m).items()
            if k.startswith("rtipc_") and isinstance(v, type)
            and issubclass(v, ctypes.Structure) and getattr(v, "_fields_", None)]


def copied_constants():
    return {k: v for m in MODULES for k, v in vars(m).items()
            if re.fullmatch(r"[A-Z][A-Z0-9_]*", k) and isinstance(v, int) and k not in NOT_CONSTANTS}


def c_program(structs, constants):
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include <rtipc/rtipc.h>",
             "int main(void) {"]
    for s in structs:
        name = s.__name__
        lines.append(f'printf("{name} %zu\\n", sizeof(struct {name}));')
        for field, *_ in s._fields_:
            lines.append(f'printf("{name}.{field} %zu\\n", offsetof(struct {name}, {field}));')
    for k in constants:
        lines.append(f'printf("{k} %lld\\n", (long long)(RTIPC_{k}));')
    lines += ["return 0;", "}"]
    return "\n".join(lines) + "\n"


def python_side(structs, constants):
    out = []
    for s in structs:
        out.append(f"{s.__name__} {ctypes.sizeof(s)}")
        for field, *_ in s._fields_:
            out.append(f"{s.__name__}.{field} {getattr(s, field).offset}")
    out += [f"{k} {v}" for k, v in constants.items()]
    return "\n".join(out) + "\n"


def include_dirs():
    return [f[2:] for f in shlex.split(os.environ.get("RTIPC_CFLAGS", "")) if f.startswith("-I")]


def header_prototypes():
    """{name: (return type, [parameter types])} of every exported function,
    types spelled without const, struct or parameter names."""
    header = next((os.path.join(d, "rtipc", "rtipc.h") for d in include_dirs()
                   if os.path.exists(os.path.join(d, "rtipc", "rtipc.h"))), None)
    if header is None:
        raise unittest.SkipTest(f"rtipc.h not found: set {HEADER_DIR_HINT}")
    with open(header) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)

    def spell(t):
        t = " ".join(re.sub(r"\b(const|struct)\b", "", t).split())
        return t.replace(" *", "*")

    found = {}
    for ret, name, params in re.findall(
            r"RTIPC_EXPORT\s+([^;(]*?)\b(rtipc_\w+)\s*\(([^)]*)\)\s*RTIPC_NOEXCEPT\s*;", text, re.S):
        args = [] if params.strip() == "void" else \
            [spell(re.sub(r"\b\w+\s*$", "", p)) for p in params.split(",")]
        found[name] = (spell(ret), args)
    return found


SCALARS = {
    "void": None, "int": ctypes.c_int, "unsigned": ctypes.c_uint, "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32, "uint64_t": ctypes.c_uint64, "size_t": ctypes.c_size_t,
    "char*": ctypes.c_char_p, "void*": ctypes.c_void_p,
    "rtipc_log_fn": _lib.log_fn, "rtipc_filter_fn": _lib.filter_fn,
}


def ctype_of(spelling):
    """The ctypes type rtipc.h's spelling asks for, or a KeyError."""
    if spelling in SCALARS:
        return SCALARS[spelling]
    if spelling.endswith("*"):
        return POINTER(ctype_of(spelling[:-1]))
    for m in MODULES:
        if hasattr(m, spelling):
            return getattr(m, spelling)
    return SCALARS[spelling]


class Layout(unittest.TestCase):
    def test_structs_and_constants_match_the_c_header(self):
        cflags = os.environ.get("RTIPC_CFLAGS")
        if cflags is None:
            raise unittest.SkipTest(f"set {HEADER_DIR_HINT} (meson test does)")
        structs, constants = mirrored_structs(), copied_constants()
        self.assertGreaterEqual(len(structs), 3)
        with tempfile.TemporaryDirectory(prefix="rtipc-layout-") as tmp:
            src, exe = os.path.join(tmp, "layout.c"), os.path.join(tmp, "layout")
            with open(src, "w") as f:
                f.write(c_program(structs, constants))
            cc = shlex.split(os.environ.get("CC", "cc"))
            subprocess.run(cc + shlex.split(cflags) + ["-o", exe, src], check=True)
            c_side = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        self.assertEqual(python_side(structs, constants), c_side)

    def test_declared_functions_have_the_header_types(self):
        prototypes = header_prototypes()
        declared = {n: f for n, f in vars(_lib.lib).items() if n.startswith("rtipc_")}
        self.assertGreaterEqual(len(declared), 60)
        for name, f in declared.items():
            with self.subTest(function=name):
                self.assertIn(name, prototypes, "declared in _lib but not in rtipc.h")
                ret, params = prototypes[name]
                self.assertIs(f.restype, ctype_of(ret), f"return type: rtipc.h says {ret}")
                expected = [ctype_of(p) for p in params]
                self.assertEqual(list(f.argtypes or []), expected,
                                 f"parameters: rtipc.h says ({', '.join(params)})")


if __name__ == "__main__":
    unittest.main()
