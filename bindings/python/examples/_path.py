"""Lets the examples run from a source checkout without installing the
package: when rtipc is not importable, the checkout's bindings/python is
put on sys.path (the package then finds the library as rtipc._lib says)."""
import os
import sys

try:
    import rtipc  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
