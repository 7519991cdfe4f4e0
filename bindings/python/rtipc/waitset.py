"""Waiting on many channels, and notifying without a system call.

A Waitset sleeps on many consumers, descriptors and peers at once, each
under an integer key of yours::

    with rtipc.Waitset() as ws:
        ws.add_consumer(inbox, key=1)
        ws.add_peer(group.peer_fileno(), key=2)
        for event in ws:                     # blocks; Ctrl-C raises
            if event.ready & rtipc.READY_MESSAGE: ...

``wait()`` returns the ready entries (an empty list on timeout); iterating
yields them one by one, forever; ``await ws.wait_async()`` waits on the
running asyncio loop through ``fileno()`` (rtipc_waitset_fd), with no
thread. On the main thread a blocking wait also watches Python's signal
wake-up descriptor, so Ctrl-C ends it at once (KeyboardInterrupt) and
nothing wakes up periodically to look. Members are lent, not owned: remove
a consumer before closing it. wait() runs on one thread at a time.

A Notifier lets producers attached to it push without a system call (an
io_uring kernel poller writes their eventfds); where io_uring is not there
it is in NOTIFY_DIRECT mode, which works as if there were none.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import select
import time
from typing import Any, Iterator, List, NamedTuple, Optional

from . import _lib, _signals
from ._waitlib import (
    NOTIFIER_PIN_CPU,
    NOTIFIER_REQUIRE,
    NOTIFY_DIRECT,
    NOTIFY_IO_URING,
    READY_FD,
    READY_MESSAGE,
    READY_PEER_GONE,
    WAITSET_EPOLL,
    WAITSET_IO_URING,
    WAITSET_REQUIRE,
    rtipc_notifier_config,
    rtipc_waitset_config,
    rtipc_waitset_event,
    notifier_p,
    waitset_p,
)
from .errors import InvalidArgument, last_error

_L = _lib.lib


class Event(NamedTuple):
    """One ready entry: its key, why (READY_* bits), and the poll(2) bits of
    a descriptor or pidfd (0 for a consumer)."""

    key: int
    ready: int
    revents: int


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + max(0.0, timeout)


def _ms(deadline: Optional[float]) -> int:
    if deadline is None:
        return -1
    return max(0, int((deadline - time.monotonic()) * 1000 + 0.999))


class Waitset(_lib.Closable):
    """Waits on consumers, descriptors and peers (see the module's doc)."""

    def __init__(self, backend: int = WAITSET_EPOLL, spin_ns: int = 0, require: bool = False,
                 max_events: int = 64) -> None:
        self._h: Optional[Any] = None
        config = rtipc_waitset_config(flags=WAITSET_REQUIRE if require else 0,
                                      backend=backend, spin_ns=spin_ns)
        h = waitset_p()
        _L.rtipc_waitset_create(ctypes.byref(config), ctypes.byref(h))
        self._h = h
        self._max = max(1, max_events) + 1  # one more for the signal pipe
        self._events = (rtipc_waitset_event * self._max)()
        self._signal_fd = -1  # the signal pipe, once a main-thread wait added it

    def _handle(self) -> Any:
        if self._h is None:
            raise ValueError("the waitset is closed")
        return self._h

    def close(self) -> None:
        if self._h is not None:
            _L.rtipc_waitset_destroy(self._h)
            self._h = None

    @property
    def backend(self) -> int:
        """WAITSET_EPOLL or WAITSET_IO_URING: the backend it got."""
        return int(_L.rtipc_waitset_backend(self._handle()))

    def fileno(self) -> int:
        """For an outer event loop: readable when something fired since the
        last wait (then wait(0)). Owned by the waitset."""
        return int(_L.rtipc_waitset_fd(self._handle()))

    @staticmethod
    def _key(key: int) -> int:
        if not 0 <= key < _signals.SIGNAL_KEY:
            raise InvalidArgument(errno.EINVAL, "a key is 0 .. 2**64-2 (2**64-1 is rtipc's own)")
        return key

    def add_consumer(self, consumer: Any, key: int) -> None:
        """READY_MESSAGE while consume would find something new,
        READY_PEER_GONE once its peer has exited. rtipc.NotSupported for a
        channel without eventfd."""
        _L.rtipc_waitset_add_consumer(self._handle(), consumer._handle(), self._key(key))

    def add_fd(self, fd: Any, key: int, events: int = select.POLLIN) -> None:
        """A descriptor (or anything with fileno()), level-triggered, for
        the poll(2) events given: READY_FD with revents. Not owned."""
        fd = fd if isinstance(fd, int) else fd.fileno()
        _L.rtipc_waitset_add_fd(self._handle(), fd, events, self._key(key))

    def add_peer(self, pidfd: int, key: int) -> None:
        """A pidfd (Group.peer_fileno()): READY_PEER_GONE once that process
        has exited. Not owned."""
        _L.rtipc_waitset_add_peer(self._handle(), pidfd, self._key(key))

    def remove_consumer(self, consumer: Any) -> None:
        _L.rtipc_waitset_remove_consumer(self._handle(), consumer._handle())

    def remove_fd(self, fd: Any) -> None:
        fd = fd if isinstance(fd, int) else fd.fileno()
        _L.rtipc_waitset_remove_fd(self._handle(), fd)

    def wait(self, timeout: Optional[float] = None) -> List[Event]:
        """Blocks (without the GIL) until something is ready or timeout
        seconds pass (None: no limit; 0: just look); returns the ready
        entries, [] on timeout. Signal handlers run while it waits (Ctrl-C
        raises KeyboardInterrupt); others resume it. Does not consume."""
        h = self._handle()
        deadline = _deadline(timeout)
        with _signals.Wakeup() as wakeup:
            if wakeup.fd != self._signal_fd:
                self._watch_signals(wakeup.fd)
            while True:
                n = _L.rtipc_waitset_wait(h, self._events, self._max, _ms(deadline))
                if n < 0 and n != -errno.EINTR:
                    raise last_error(n, "wait")
                out: List[Event] = []
                signalled = n < 0
                for e in self._events[:max(n, 0)]:
                    if e.key == _signals.SIGNAL_KEY:
                        signalled = True
                    else:
                        out.append(Event(e.key, e.ready, e.revents))
                if signalled:
                    if wakeup.fd >= 0:
                        wakeup.signalled()  # raises what a handler raised
                    elif n > 0:  # another thread's pipe: not ours to drain
                        self._watch_signals(-1)
                if out or n == 0:
                    return out

    def _watch_signals(self, fd: int) -> None:
        if self._signal_fd >= 0:
            _L.rtipc_waitset_remove_fd(self._handle(), self._signal_fd)
            self._signal_fd = -1
        if fd >= 0:
            _L.rtipc_waitset_add_fd(self._handle(), fd, select.POLLIN, _signals.SIGNAL_KEY)
            self._signal_fd = fd

    def events(self, timeout: Optional[float] = None) -> Iterator[Event]:
        """Yields ready entries as they come; stops after timeout seconds
        without any (None: never)."""
        while True:
            ready = self.wait(timeout)
            if not ready:
                return
            yield from ready

    def __iter__(self) -> Iterator[Event]:
        return self.events()

    async def wait_async(self, timeout: Optional[float] = None) -> List[Event]:
        """wait() on the running asyncio loop: add_reader on fileno(), no
        thread; [] after timeout seconds."""
        loop = asyncio.get_running_loop()
        fd = self.fileno()
        deadline = _deadline(timeout)
        while True:
            ready = self.wait(0)
            if ready:
                return ready
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return []
            fired = loop.create_future()
            loop.add_reader(fd, _set_done, fired)
            try:
                await asyncio.wait_for(fired, left)
            except asyncio.TimeoutError:
                pass
            finally:
                loop.remove_reader(fd)


def _set_done(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)


class Notifier(_lib.Closable):
    """An io_uring poller that signals producers' eventfds (see the
    module's doc). require: fail (rtipc.Error) rather than fall back to
    NOTIFY_DIRECT; idle_ms: the poller sleeps after this long without work
    (0: 1000); cpu: pin the poller there."""

    def __init__(self, require: bool = False, idle_ms: int = 0, cpu: Optional[int] = None) -> None:
        self._h: Optional[Any] = None
        flags = (NOTIFIER_REQUIRE if require else 0) | (NOTIFIER_PIN_CPU if cpu is not None else 0)
        config = rtipc_notifier_config(flags=flags, idle_ms=idle_ms, cpu=cpu or 0)
        h = notifier_p()
        _L.rtipc_notifier_create(ctypes.byref(config), ctypes.byref(h))
        self._h = h

    def close(self) -> None:
        """Drops this reference; attached producers keep the poller alive."""
        if self._h is not None:
            _L.rtipc_notifier_destroy(self._h)
            self._h = None

    @property
    def mode(self) -> int:
        """NOTIFY_IO_URING, or NOTIFY_DIRECT (the fallback)."""
        if self._h is None:
            raise ValueError("the notifier is closed")
        return int(_L.rtipc_notifier_mode(self._h))

    def attach(self, producer: Any) -> None:
        """Makes producer's pushes signal through this notifier; call it on
        the thread that pushes. rtipc.NotSupported without an eventfd."""
        if self._h is None:
            raise ValueError("the notifier is closed")
        _L.rtipc_producer_set_notifier(producer._handle(), self._h)

    @staticmethod
    def detach(producer: Any) -> None:
        """Back to write(2); queued counts reach the eventfd first."""
        _L.rtipc_producer_set_notifier(producer._handle(), None)

    @staticmethod
    def mode_of(producer: Any) -> int:
        """How producer's pushes signal now: NOTIFY_IO_URING or NOTIFY_DIRECT."""
        return int(_L.rtipc_producer_notify_mode(producer._handle()))


def consumer_wait(consumer: Any, handle: Any, timeout: Optional[float]) -> bool:
    """Consumer.wait_blocking: on the main thread, a waitset of the
    consumer's own with the signal pipe; elsewhere (and for a channel
    without eventfd, which cannot sleep) rtipc_consumer_wait, retrying
    EINTR. True: something new; False: timed out."""
    deadline = _deadline(timeout)
    if not _signals.is_main_thread() or consumer._ws is False:
        while True:
            r = _L.rtipc_consumer_wait(handle, _ms(deadline))
            if r >= 0:
                return bool(r == 1)
            if r != -errno.EINTR:
                raise last_error(r, "wait")
    if consumer._ws is None:
        ws = Waitset(spin_ns=consumer._spin_ns, max_events=1)
        try:
            ws.add_consumer(consumer, 0)
        except OSError as e:
            ws.close()
            if e.errno != errno.ENOTSUP:
                raise
            consumer._ws = False  # no eventfd: the consumer's own wait says so
            return consumer_wait(consumer, handle, timeout)
        consumer._ws = ws
    ready = consumer._ws.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
    if not ready:
        return False
    if ready[0].ready & READY_MESSAGE:
        return True
    raise last_error(-errno.EPIPE, "wait")


__all__ = [
    "Event", "NOTIFY_DIRECT", "NOTIFY_IO_URING", "Notifier", "READY_FD", "READY_MESSAGE",
    "READY_PEER_GONE", "WAITSET_EPOLL", "WAITSET_IO_URING", "Waitset",
]
