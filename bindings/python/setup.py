"""The compiled hot path of the package (rtipc/_fast.c) for pip and pybuild.

pyproject.toml holds the metadata; this file only adds the extension, which
includes <rtipc/rtipc.h> and links librtipc.so.1: point CPPFLAGS (-I) and
LDFLAGS (-L) at an installed librtipc-dev or a build tree. Without a C
compiler, Python's headers or librtipc's, the package installs without it
and runs on ctypes alone (set RTIPC_REQUIRE_EXTENSION=1 to make that an
error, as debian/rules does)."""
import os

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("rtipc._fast", ["rtipc/_fast.c"], libraries=["rtipc"],
              optional=os.environ.get("RTIPC_REQUIRE_EXTENSION") != "1"),
])
