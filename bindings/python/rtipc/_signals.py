"""Ctrl-C without waking up: a blocking call on the main thread puts the
read end of a pipe in its wait and makes the pipe Python's signal wake-up
descriptor (signal.set_wakeup_fd) for the call. A signal handled by Python
writes its number there, so the wait ends at once, whichever thread the
kernel interrupted; the call then runs the handlers (PyErr_CheckSignals),
which raise KeyboardInterrupt for Ctrl-C, and otherwise waits on. The
descriptor that was set before (asyncio's, say) is set again afterwards and
gets the signal numbers this one caught. Other threads cannot run Python's
handlers: their calls sleep on without the pipe and retry EINTR."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
from typing import Optional, Tuple

_check_signals = ctypes.pythonapi.PyErr_CheckSignals
_check_signals.restype = ctypes.c_int
_check_signals.argtypes = []

# The key under which waitsets hold the pipe: callers cannot use it.
SIGNAL_KEY = (1 << 64) - 1

_pipe: Optional[Tuple[int, int]] = None
_pipe_pid = -1


def _the_pipe() -> Tuple[int, int]:
    global _pipe, _pipe_pid
    if _pipe is None or _pipe_pid != os.getpid():  # a forked child makes its own
        _pipe = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        _pipe_pid = os.getpid()
    return _pipe


class Wakeup:
    """For one blocking call: fd is the pipe's read end on the main thread,
    -1 elsewhere. Use as a context manager."""

    __slots__ = ("fd", "_prev", "_caught")

    def __init__(self) -> None:
        self.fd = -1
        self._prev = -1
        self._caught = b""

    def __enter__(self) -> "Wakeup":
        if threading.current_thread() is threading.main_thread():
            r, w = _the_pipe()
            self._prev = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
            self.fd = r
        return self

    def signalled(self) -> None:
        """The pipe was readable: take the bytes and run the handlers (may
        raise what a handler raised)."""
        self._drain()
        _check_signals()

    def _drain(self) -> None:
        try:
            while True:
                data = os.read(self.fd, 512)
                if not data:
                    break
                self._caught += data
        except BlockingIOError:
            pass

    def __exit__(self, *exc: object) -> None:
        if self.fd < 0:
            return
        signal.set_wakeup_fd(self._prev)
        self._drain()  # the pipe stays quiet for the next call
        if self._caught and self._prev >= 0:
            try:
                os.write(self._prev, self._caught)
            except OSError:
                pass


def is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
