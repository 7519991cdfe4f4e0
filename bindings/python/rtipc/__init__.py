"""librtipc from Python: real-time IPC through shared memory, zero copy.

Two processes exchange fixed-size messages through wait-free queues in one
sealed memfd. A client connects with a group of channels; a server accepts
it; each side takes its producers and consumers out of the group::

    with rtipc.Server("/tmp/demo.sock") as server, server.accept() as group:
        with group.take_consumer(0) as inbox:
            for msg in inbox:                 # read-only memoryview, in place
                print(bytes(msg[:8]))

Messages are views of shared memory, valid until the next produce/consume
(see rtipc.channels). Failures raise rtipc.Error (an OSError) or one of its
subclasses, which also derive from the builtin exception for the errno.
The shared library is found as rtipc._lib describes (RTIPC_LIBRARY,
RTIPC_BUILD_DIR, a source checkout's build*/, then the loader's path).
"""

from ._lib import (
    GROUP_MLOCK,
    GROUP_MLOCK_REQUIRED,
    GROUP_PRODUCER_CACHE,
    LOG_DEBUG,
    LOG_ERROR,
    LOG_INFO,
    LOG_NONE,
    LOG_WARNING,
    lib as _clib,
)
from .channels import (
    Consumed,
    Consumer,
    Message,
    Produced,
    Producer,
    TypedConsumer,
    TypedProducer,
)
from .errors import (
    BadMessage,
    Busy,
    Denied,
    Error,
    Exists,
    Interrupted,
    InvalidArgument,
    NotFound,
    NotSupported,
    PeerGone,
    Refused,
    Rejected,
    Reset,
    TimedOut,
)
from .group import ChannelConfig, Group, connect, connect_socket
from .server import Proposal, Server, accept_socket
from .waitset import (
    NOTIFY_DIRECT,
    NOTIFY_IO_URING,
    READY_FD,
    READY_MESSAGE,
    READY_PEER_GONE,
    WAITSET_EPOLL,
    WAITSET_IO_URING,
    Event,
    Notifier,
    Waitset,
)

__version__ = "1.0.0"


def version() -> str:
    """The version of the loaded librtipc, "MAJOR.MINOR.MICRO"."""
    return (_clib.rtipc_version() or b"").decode()


def default_cacheline() -> int:
    """The cache line the library lays out a group with when it is not given."""
    return int(_clib.rtipc_default_cacheline())


def set_log(max_level: int) -> None:
    """Logs library messages up to max_level (rtipc.LOG_*) to stderr;
    LOG_NONE silences it (the default unless RTIPC_LOG is set)."""
    _clib.rtipc_set_log(_lib_log_stderr, None, max_level)


import typing as _typing  # noqa: E402

from ._lib import log_fn as _log_fn  # noqa: E402

_lib_log_stderr = _typing.cast(_typing.Any, _log_fn)()  # a NULL function pointer: the library's stderr sink

__all__ = [
    "BadMessage", "Busy", "ChannelConfig", "Consumed", "Consumer", "Denied", "Error", "Exists",
    "GROUP_MLOCK", "GROUP_MLOCK_REQUIRED", "GROUP_PRODUCER_CACHE", "Group", "Interrupted",
    "InvalidArgument", "LOG_DEBUG", "LOG_ERROR", "LOG_INFO", "LOG_NONE", "LOG_WARNING",
    "Event", "Message", "NOTIFY_DIRECT", "NOTIFY_IO_URING", "NotFound", "Notifier",
    "READY_FD", "READY_MESSAGE", "READY_PEER_GONE", "WAITSET_EPOLL", "WAITSET_IO_URING", "Waitset", "NotSupported", "PeerGone", "Produced", "Producer", "Proposal",
    "Refused", "Rejected", "Reset", "Server", "TimedOut", "TypedConsumer", "TypedProducer",
    "accept_socket", "connect", "connect_socket", "default_cacheline", "set_log", "version",
]
