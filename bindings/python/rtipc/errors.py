"""Exceptions: every failure of the library is an rtipc.Error (an OSError)
with ``errno`` and the library's message as ``strerror``. Where Python has a
builtin exception for the errno, the class derives from it too, so
``except TimeoutError`` works as well as ``except rtipc.Error``."""

from __future__ import annotations

import errno as _errno
from typing import Dict, NoReturn, Type

from . import _lib


class Error(OSError):
    """A failed librtipc call: ``errno`` (positive; RTIPC_EREJECTED for a
    rejection) and ``strerror``, the library's message for it."""


class Rejected(Error, PermissionError):
    """The server (or its filter) refused the group."""


class TimedOut(Error, TimeoutError):
    pass


class NotFound(Error, FileNotFoundError):
    pass


class Refused(Error, ConnectionRefusedError):
    pass


class Reset(Error, ConnectionResetError):
    pass


class PeerGone(Error, BrokenPipeError):
    """The peer process has exited."""


class Interrupted(Error, InterruptedError):
    pass


class Exists(Error, FileExistsError):
    pass


class Denied(Error, PermissionError):
    pass


class InvalidArgument(Error, ValueError):
    pass


class NotSupported(Error):
    """The channel has no eventfd (or the kernel no pidfd)."""


class Busy(Error):
    """The channel was taken out of its group already."""


class BadMessage(Error):
    """A malformed request, or a message size that does not fit a type."""


_BY_ERRNO: Dict[int, Type[Error]] = {
    _lib.EREJECTED: Rejected,
    _errno.ETIMEDOUT: TimedOut,
    _errno.ENOENT: NotFound,
    _errno.ECONNREFUSED: Refused,
    _errno.ECONNRESET: Reset,
    _errno.EPIPE: PeerGone,
    _errno.EINTR: Interrupted,
    _errno.EEXIST: Exists,
    _errno.EPERM: Denied,
    _errno.EACCES: Denied,
    _errno.EINVAL: InvalidArgument,
    _errno.ENOTSUP: NotSupported,
    _errno.EBUSY: Busy,
    _errno.EBADMSG: BadMessage,
    _errno.EMSGSIZE: BadMessage,
}


def error_for(code: int, message: str) -> Error:
    """The exception for a negative (or positive) errno with a message."""
    code = abs(code)
    return _BY_ERRNO.get(code, Error)(code, message)


def last_error(code: int, where: str = "") -> Error:
    """The exception for a call that just returned code, with the calling
    thread's rtipc_last_error() (or rtipc_strerror() when it has none)."""
    text = _lib.lib.rtipc_last_error() or b""
    message = text.decode(errors="replace")  # names the function already
    if not message:
        message = (_lib.lib.rtipc_strerror(code) or b"").decode(errors="replace")
        if where:
            message = f"{where}: {message}"
    return error_for(code, message)


def _raise(code: int, where: str) -> NoReturn:
    raise last_error(code, where)


_lib.raise_error = _raise
