"""The C ABI of librtipc.so.1 (include/rtipc/rtipc.h), declared once.

Nothing here is public: the structs mirror the header field for field (their
``size`` field is set by the constructor, as the C INIT macros do), and every
function gets its argtypes, restype and, where it returns a negative errno on
failure, an errcheck that raises rtipc.Error. The hot-path calls
(rtipc_produce, rtipc_consume, the message pointers) have no errcheck: a
Python-level check per message would double their cost, so the public
classes test the result inline.

Where the library comes from, first match wins:

1. ``RTIPC_LIBRARY``: the path of the shared library itself.
2. ``RTIPC_BUILD_DIR``: a Meson build directory; its ``capi/librtipc.so.1``.
3. When this package is imported from a source checkout
   (``bindings/python/rtipc`` of a tree with ``capi/rtipc.map``): the most
   recently built ``build*/capi/librtipc.so.1`` of that checkout.
4. ``librtipc.so.1`` by the dynamic loader's search path (ldconfig,
   ``LD_LIBRARY_PATH``), then whatever ``ctypes.util.find_library('rtipc')``
   names.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.machinery
import importlib.util
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    byref,
    c_char_p,
    c_int,
    c_int32,
    c_size_t,
    c_uint,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Callable, List, Optional, TypeVar

SONAME = "librtipc.so.1"
ABI_MAJOR = 1

# Constants of rtipc.h.
EREJECTED = 4096
LOG_NONE, LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG = range(5)
CHANNEL_EVENTFD = 0x1
GROUP_MLOCK = 0x1
GROUP_MLOCK_REQUIRED = 0x2
GROUP_PRODUCER_CACHE = 0x4
PRODUCE_FORCE, PRODUCE_TRY = 0, 1
PUBLISHED, PUBLISHED_DISCARDED, QUEUE_FULL = 0, 1, 2
CONSUME_NEXT, CONSUME_LATEST = 0, 1
NOTHING_PRODUCED, NO_NEW, NEW, NEW_AFTER_GAP = 0, 1, 2, 3
MAX_REQUEST_SIZE = 65536


class _Handle(Structure):
    """Opaque handle types, distinct so that ctypes refuses a mix-up."""


class rtipc_group(_Handle):
    pass


class rtipc_producer(_Handle):
    pass


class rtipc_consumer(_Handle):
    pass


class rtipc_server(_Handle):
    pass


class rtipc_proposal(_Handle):
    pass


group_p = POINTER(rtipc_group)
producer_p = POINTER(rtipc_producer)
consumer_p = POINTER(rtipc_consumer)
server_p = POINTER(rtipc_server)
proposal_p = POINTER(rtipc_proposal)


class _Sized(Structure):
    """A struct whose first field is its own size, set on construction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(ctypes.sizeof(self), *args, **kwargs)


class rtipc_channel_config(_Sized):
    _fields_ = [
        ("size", c_uint32),
        ("flags", c_uint32),
        ("msg_size", c_uint32),
        ("add_msgs", c_uint32),
        ("info", c_void_p),
        ("info_size", c_uint32),
        ("reserved", c_uint32),
    ]


class rtipc_group_config(_Sized):
    _fields_ = [
        ("size", c_uint32),
        ("flags", c_uint32),
        ("producers", POINTER(rtipc_channel_config)),
        ("consumers", POINTER(rtipc_channel_config)),
        ("producer_count", c_uint32),
        ("consumer_count", c_uint32),
        ("info", c_void_p),
        ("info_size", c_uint32),
        ("cacheline", c_uint32),
    ]


filter_fn = CFUNCTYPE(c_int, proposal_p, c_void_p)
log_fn = CFUNCTYPE(None, c_uint, c_char_p, c_void_p)


class rtipc_server_config(_Sized):
    _fields_ = [
        ("size", c_uint32),
        ("group_flags", c_uint32),
        ("filter", filter_fn),
        ("filter_user", c_void_p),
        ("request_timeout_ms", c_int32),
        ("backlog", c_int32),
        ("socket_mode", c_uint32),
        ("min_cacheline", c_uint32),
        ("max_channels", c_uint32),
        ("max_slots", c_uint32),
        ("max_region_size", c_uint64),
        ("max_private_size", c_uint64),
    ]


def _source_tree_library() -> Optional[str]:
    root = Path(__file__).resolve().parents[3]
    if not (root / "capi" / "rtipc.map").is_file():
        return None
    built = [p for p in root.glob("build*/capi/" + SONAME) if p.is_file()]
    if not built:
        return None
    return str(max(built, key=lambda p: p.stat().st_mtime))


def _candidates() -> List[str]:
    found: List[str] = []
    explicit = os.environ.get("RTIPC_LIBRARY")
    if explicit:
        return [explicit]
    build_dir = os.environ.get("RTIPC_BUILD_DIR")
    if build_dir:
        return [os.path.join(build_dir, "capi", SONAME)]
    tree = _source_tree_library()
    if tree:
        found.append(tree)
    found.append(SONAME)
    by_name = ctypes.util.find_library("rtipc")
    if by_name:
        found.append(by_name)
    return found


def _load() -> ctypes.CDLL:
    errors = []
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            errors.append(f"{name}: {e}")
            continue
        lib.rtipc_version_major.restype = c_uint
        lib.rtipc_version_major.argtypes = []
        major = lib.rtipc_version_major()
        if major != ABI_MAJOR:
            errors.append(f"{name}: ABI {major}, this package speaks {ABI_MAJOR}")
            continue
        return lib
    raise ImportError(
        "rtipc: cannot load librtipc (set RTIPC_LIBRARY to its path or "
        "RTIPC_BUILD_DIR to a build directory): " + "; ".join(errors)
    )


lib = _load()


def _extension_path() -> Optional[str]:
    """Where a build directory or source checkout has the compiled fast
    path (Meson builds it as bindings/python/_fast*.so)."""
    build_dir = os.environ.get("RTIPC_BUILD_DIR")
    roots = [Path(build_dir)] if build_dir else []
    tree = Path(__file__).resolve().parents[3]
    if not build_dir and (tree / "capi" / "rtipc.map").is_file():
        roots += [p for p in tree.glob("build*") if p.is_dir()]
    built = [p for root in roots for suffix in importlib.machinery.EXTENSION_SUFFIXES
             for p in (root / "bindings" / "python").glob("_fast" + suffix) if p.is_file()]
    return str(max(built, key=lambda p: p.stat().st_mtime)) if built else None


def _load_extension() -> Any:
    """The compiled fast path of produce, consume and msg (_fast.c), or None:
    the ctypes path then does the same, slower. RTIPC_NO_EXTENSION=1 forces
    the fallback; RTIPC_EXTENSION names the module's file; otherwise the one
    installed in this package, then a build's (as for the library). Loaded
    after the library, so that its librtipc.so.1 is the library above."""
    if os.environ.get("RTIPC_NO_EXTENSION") == "1":
        return None
    path = os.environ.get("RTIPC_EXTENSION")
    if not path:
        try:
            from . import _fast
            return _fast
        except ImportError:
            path = _extension_path()
    if not path:
        return None
    spec = importlib.util.spec_from_file_location(__package__ + "._fast", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"rtipc: {path} is not a Python extension module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[spec.name] = module
    return module


fast = _load_extension()

# Set by rtipc.errors: turns (negative errno, function name) into an exception.
raise_error: Callable[[int, str], Any]


def _check(result: int, func: Any, args: Any) -> int:
    if result < 0:
        raise_error(result, func.__name__)
    return result


def _declare(name: str, restype: Any, argtypes: List[Any], check: bool = False) -> None:
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = argtypes
    if check:
        f.errcheck = _check


_declare("rtipc_version", c_char_p, [])
_declare("rtipc_version_major", c_uint, [])
_declare("rtipc_version_minor", c_uint, [])
_declare("rtipc_version_micro", c_uint, [])
_declare("rtipc_default_cacheline", c_uint32, [])
_declare("rtipc_strerror", c_char_p, [c_int])
_declare("rtipc_last_error", c_char_p, [])
_declare("rtipc_set_log", None, [log_fn, c_void_p, c_uint])

_declare("rtipc_proposal_producer_count", c_uint32, [proposal_p])
_declare("rtipc_proposal_consumer_count", c_uint32, [proposal_p])
_declare("rtipc_proposal_producer_config", c_int,
         [proposal_p, c_uint32, POINTER(rtipc_channel_config)], True)
_declare("rtipc_proposal_consumer_config", c_int,
         [proposal_p, c_uint32, POINTER(rtipc_channel_config)], True)
_declare("rtipc_proposal_info", c_void_p, [proposal_p, POINTER(c_size_t)])
_declare("rtipc_proposal_region_size", c_uint64, [proposal_p])
_declare("rtipc_proposal_cacheline", c_uint32, [proposal_p])
_declare("rtipc_proposal_peer_pid", c_int32, [proposal_p])
_declare("rtipc_proposal_peer_uid", c_uint32, [proposal_p])
_declare("rtipc_proposal_peer_gid", c_uint32, [proposal_p])

_declare("rtipc_group_create", c_int, [POINTER(rtipc_group_config), POINTER(group_p)], True)
_declare("rtipc_group_request", c_int, [group_p, c_void_p, c_size_t], True)
_declare("rtipc_group_fds", c_int, [group_p, POINTER(c_int), c_size_t], True)
_declare("rtipc_group_from_request", c_int,
         [c_void_p, c_size_t, POINTER(c_int), c_size_t, POINTER(rtipc_server_config),
          POINTER(group_p)], True)
_declare("rtipc_group_destroy", None, [group_p])
_declare("rtipc_group_producer_count", c_uint32, [group_p])
_declare("rtipc_group_consumer_count", c_uint32, [group_p])
_declare("rtipc_group_info", c_void_p, [group_p, POINTER(c_size_t)])
_declare("rtipc_group_cacheline", c_uint32, [group_p])
_declare("rtipc_group_region_size", c_uint64, [group_p])
_declare("rtipc_group_producer_config", c_int,
         [group_p, c_uint32, POINTER(rtipc_channel_config)], True)
_declare("rtipc_group_consumer_config", c_int,
         [group_p, c_uint32, POINTER(rtipc_channel_config)], True)
_declare("rtipc_group_peer_pid", c_int32, [group_p])
_declare("rtipc_group_peer_fd", c_int, [group_p], True)
_declare("rtipc_group_take_producer", c_int, [group_p, c_uint32, POINTER(producer_p)], True)
_declare("rtipc_group_take_consumer", c_int, [group_p, c_uint32, POINTER(consumer_p)], True)

_declare("rtipc_producer_destroy", None, [producer_p])
_declare("rtipc_producer_msg", c_void_p, [producer_p])
_declare("rtipc_produce", c_int, [producer_p, c_uint])  # hot path: checked inline
_declare("rtipc_producer_msg_size", c_size_t, [producer_p])
_declare("rtipc_producer_slots", c_uint32, [producer_p])
_declare("rtipc_producer_msg_align", c_size_t, [producer_p])
_declare("rtipc_producer_info", c_void_p, [producer_p, POINTER(c_size_t)])
_declare("rtipc_producer_fd", c_int, [producer_p], True)
_declare("rtipc_producer_pending", c_int, [producer_p], True)
_declare("rtipc_producer_peer_alive", c_int, [producer_p], True)

_declare("rtipc_consumer_destroy", None, [consumer_p])
_declare("rtipc_consumer_msg", c_void_p, [consumer_p])
_declare("rtipc_consume", c_int, [consumer_p, c_uint])  # hot path: checked inline
_declare("rtipc_consumer_msg_size", c_size_t, [consumer_p])
_declare("rtipc_consumer_slots", c_uint32, [consumer_p])
_declare("rtipc_consumer_msg_align", c_size_t, [consumer_p])
_declare("rtipc_consumer_info", c_void_p, [consumer_p, POINTER(c_size_t)])
_declare("rtipc_consumer_fd", c_int, [consumer_p], True)
_declare("rtipc_consumer_pending", c_int, [consumer_p], True)
# Not checked: -EINTR and -EPIPE are answers the caller loops on or maps.
_declare("rtipc_consumer_wait", c_int, [consumer_p, c_int])
_declare("rtipc_consumer_peer_alive", c_int, [consumer_p], True)
_declare("rtipc_consumer_set_spin", None, [consumer_p, c_uint32])

_declare("rtipc_server_create", c_int,
         [c_char_p, POINTER(rtipc_server_config), POINTER(server_p)], True)
_declare("rtipc_server_fd", c_int, [server_p], True)
# Not checked: -EINTR is retried by the caller.
_declare("rtipc_server_accept", c_int, [server_p, c_int, POINTER(group_p)])
_declare("rtipc_server_accept_socket", c_int,
         [c_int, POINTER(rtipc_server_config), c_int, POINTER(group_p)])
_declare("rtipc_server_destroy", None, [server_p])
_declare("rtipc_client_connect", c_int,
         [c_char_p, POINTER(rtipc_group_config), c_int, POINTER(group_p)])
_declare("rtipc_client_connect_socket", c_int,
         [c_int, POINTER(rtipc_group_config), c_int, POINTER(group_p)])


def _unconverted(name: str, restype: Any) -> Any:
    """A second handle on a hot-path function, declared above, without
    argtypes: ctypes then converts nothing (the caller passes a c_void_p
    handle and a small int), which halves the cost of the call. Only the
    channel classes use these, with arguments of exactly those types."""
    f = lib[name]  # indexing makes a new function object
    f.restype = restype
    return f


hot_produce = _unconverted("rtipc_produce", c_int)
hot_consume = _unconverted("rtipc_consume", c_int)
hot_producer_msg = _unconverted("rtipc_producer_msg", c_void_p)
hot_consumer_msg = _unconverted("rtipc_consumer_msg", c_void_p)


def info_bytes(getter: Any, handle: Any) -> bytes:
    """Copies the info bytes a *_info getter points at."""
    size = c_size_t(0)
    ptr = getter(handle, byref(size))
    return ctypes.string_at(ptr, size.value) if ptr and size.value else b""


_Self = TypeVar("_Self", bound="Closable")


class Closable:
    """What every handle owner shares: `with` closes it, and so does the
    garbage collector (quietly) for one that was never closed. Subclasses
    define close(), which must be idempotent."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
