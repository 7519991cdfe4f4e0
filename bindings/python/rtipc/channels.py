"""Producers and consumers: the hot path.

A message is read and written in place, in the shared memory of its slot:
``producer.msg`` is a writable memoryview, ``consumer.msg`` a read-only one.
The view belongs to one message. The next produce() or consume() gives the
slot back and releases the view, so a view kept from an earlier message
raises ValueError on use instead of showing another message. Views made
from it (slices, ``.obj``, ``cast()``, numpy arrays, ``Structure.from_buffer``)
cannot be released by the library: while one of them is alive, produce(),
consume() and close() raise BufferError and do nothing. Drop them (or copy
what you need, e.g. ``bytes(msg)``) before the next call. Each such view
holds the channel's mapping, so one that outlives its channel (closed by the
garbage collector) keeps the memory mapped until it goes: never a crash.

produce, consume, send and msg run compiled (rtipc/_fast.c) where that is
built, through ctypes otherwise; the rules above hold for both.
"""

from __future__ import annotations

import asyncio
import ctypes
import enum
import errno
import os
import time
import weakref
from sys import getrefcount as _getrefcount
from typing import (TYPE_CHECKING, Any, AsyncIterator, Dict, Generic, Iterator, List,
                    Optional, Tuple, Type, TypeVar)

from . import _lib
from . import waitset as _waitset
from .errors import BadMessage, PeerGone, TimedOut, last_error

_L = _lib.lib
_produce = _lib.hot_produce
_consume = _lib.hot_consume
_producer_msg = _lib.hot_producer_msg
_consumer_msg = _lib.hot_consumer_msg
_wait = _L.rtipc_consumer_wait

# The compiled hot path (_fast.c) when it is there: the base class whose
# produce, consume and msg replace the ctypes ones below, with the same rules.
_fast = _lib.fast
if TYPE_CHECKING:
    _Base = object
else:
    _Base = object if _fast is None else _fast.Channel


class Produced(enum.IntEnum):
    """What a produce did."""

    PUBLISHED = _lib.PUBLISHED
    PUBLISHED_DISCARDED = _lib.PUBLISHED_DISCARDED  # the oldest waiting message was dropped
    QUEUE_FULL = _lib.QUEUE_FULL  # nothing published (try_produce); the message stays


class Consumed(enum.IntEnum):
    """What a consume found."""

    NOTHING_PRODUCED = _lib.NOTHING_PRODUCED
    NO_NEW = _lib.NO_NEW
    NEW = _lib.NEW
    NEW_AFTER_GAP = _lib.NEW_AFTER_GAP  # new, and messages before it were skipped

    @property
    def is_new(self) -> bool:
        """Whether the consumer's message changed (NEW or NEW_AFTER_GAP)."""
        return self >= Consumed.NEW


_FORCE, _TRY, _NEXT, _LATEST = (_lib.PRODUCE_FORCE, _lib.PRODUCE_TRY, _lib.CONSUME_NEXT,
                                 _lib.CONSUME_LATEST)
_MAX_CACHED_BUFFERS = 64  # slots whose buffer object is kept between messages
_PRODUCED: Tuple[Produced, ...] = tuple(Produced)
_CONSUMED: Tuple[Consumed, ...] = tuple(Consumed)
_STALE_VIEWS = (
    "a view made from the previous message (a slice, numpy array or ctypes "
    "object) is still alive; delete it, or copy what you need, before the next "
    "{}()"
)


_OPEN_VIEWS = (
    "close: a view made from a message (a slice, .obj, cast(), numpy array or "
    "ctypes object) is still alive; delete it, or copy what you need, before close()"
)


class _Mapping:
    """Owns the channel's C handle, and so its shared memory. Every ctypes
    object over that memory holds a reference to it, so the memory stays
    mapped while one of them lives, even after its channel is gone."""

    __slots__ = ("handle", "destroy")

    def __init__(self, handle: Any, destroy: Any) -> None:
        self.handle = handle
        self.destroy = destroy

    def close(self) -> None:
        if self.handle is not None:
            self.destroy(self.handle)
            self.handle = None

    def __del__(self) -> None:
        self.close()


def _overlong(n: int, msg_size: int) -> BadMessage:
    return BadMessage(
        errno.EMSGSIZE,
        f"send: {n} bytes do not fit this channel's {msg_size}-byte messages; "
        f"send at most {msg_size} bytes, or create the channel with a larger msg_size")


def _timeout_ms(deadline: Optional[float]) -> int:
    if deadline is None:
        return -1
    left = deadline - time.monotonic()
    return max(0, int(left * 1000 + 0.999))


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + max(0.0, timeout)


class _Channel(_lib.Closable, _Base):
    """What producers and consumers share: the handle and its getters."""

    _destroy: Any
    _getters: Any
    _producer: bool
    _results: Tuple[Any, ...]
    _gen = 0  # typed channels: bumped when their Message is given back
    _msg: Any = None

    def __init__(self, handle: Any, peer_fd: int = -1) -> None:
        self._h = handle
        self._mapping: Optional[_Mapping] = _Mapping(handle, type(self)._destroy)
        self._hv: Optional[ctypes.c_void_p] = ctypes.cast(handle, ctypes.c_void_p)  # hot path
        self._buf: Any = None
        self._view: Optional[memoryview] = None
        self._lent: List["weakref.ref[Any]"] = []  # buffers of views given back
        self._bufs: Dict[int, Any] = {}  # slot address -> its buffer object, made once
        self._buf_at = 0
        self._peer_fd = peer_fd  # a dup of the group's pidfd, for asyncio
        size = self._getters[0](handle)
        self._array = ctypes.c_ubyte * size
        if _fast is not None:
            _fast.Channel._bind(self, self._hv.value, self._producer, size, self._mapping,
                                self._results, last_error, _overlong)

    def close(self) -> None:
        """Destroys the channel. Views of its message raise ValueError
        afterwards; while a view made from one (a slice, ``.obj``, ``cast()``,
        a numpy array, a ctypes object) is alive, close raises BufferError
        and the channel stays open."""
        if self._h is not None:
            try:
                self._drop_view(final=True)  # keeps tracking what it cannot release
            except BufferError:
                raise BufferError(_OPEN_VIEWS) from None
            self._bufs = {}
            # Left: this attribute, the argument, the compiled path's own
            # reference, and any object over the memory.
            if _getrefcount(self._mapping) > 2 + (_fast is not None):
                raise BufferError(_OPEN_VIEWS)
            self._gen += 1  # a typed Message raises from now on
            self._msg = None
            self._mapping.close()  # type: ignore[union-attr]
            self._forget_handle()
        self._close_peer_fd()

    def __del__(self) -> None:
        # The garbage collector: views still alive hold the mapping and
        # destroy the channel when the last of them goes.
        try:
            if self._h is not None:
                self._gen += 1
                self._msg = None
                if self._view is not None:
                    try:
                        self._view.release()
                    except BufferError:  # exported: the export holds the mapping
                        pass
                self._view = self._buf = None
                self._lent = []
                self._bufs = {}
                self._forget_handle()
            self._close_peer_fd()
        except Exception:
            pass

    def _forget_handle(self) -> None:
        """Lets go of the handle: the last object over the memory that still
        holds the mapping destroys it (at once when there is none)."""
        self._h = self._hv = None
        self._mapping = None
        if _fast is not None:
            _fast.Channel._forget(self)

    def _close_peer_fd(self) -> None:
        if self._peer_fd >= 0:
            os.close(self._peer_fd)
            self._peer_fd = -1

    def _handle(self) -> Any:
        if self._h is None:
            raise ValueError("the channel is closed")
        return self._h

    def _hot(self) -> Any:
        if self._hv is None:
            raise ValueError("the channel is closed")
        return self._hv

    def _drop_view(self, what: str = "", final: bool = False) -> None:
        """Releases the view of the message; raises BufferError while
        anything made from a view of this or an earlier message lives (it
        holds the buffer object, which from then on only a weak reference
        tracks). final (close): the compiled path also lets go of its slot."""
        if _fast is not None:
            _fast.Channel._drop(self, what, final)
            return
        view = self._view
        if view is not None:
            try:
                view.release()
            except BufferError:
                raise BufferError(_STALE_VIEWS.format(what)) from None
            self._view = None
            buf, self._buf = self._buf, None
            cached = self._bufs.get(self._buf_at) is buf
            if _getrefcount(buf) > 2 + cached:  # more than `buf`, the argument, the cache
                if cached:  # the slot's next message gets a buffer of its own
                    del self._bufs[self._buf_at]
                self._lent.append(weakref.ref(buf))
            del buf
        if self._lent:
            self._lent = [ref for ref in self._lent if ref() is not None]
            if self._lent:
                raise BufferError(_STALE_VIEWS.format(what))

    def _new_view(self, ptr: int, readonly: bool) -> memoryview:
        buf = self._bufs.get(ptr)
        if buf is None:
            buf = self._array.from_address(ptr)
            buf._rtipc_mapping = self._mapping  # keeps the memory while buf lives
            if len(self._bufs) < _MAX_CACHED_BUFFERS:
                self._bufs[ptr] = buf
        self._buf, self._buf_at = buf, ptr
        view = memoryview(buf).cast("B")
        if readonly:
            view = view.toreadonly()
        self._view = view
        return view

    @property
    def msg_size(self) -> int:
        """Bytes per message."""
        return int(self._getters[0](self._handle()))

    @property
    def slots(self) -> int:
        """Slots of the queue: 3 + add_msgs."""
        return int(self._getters[1](self._handle()))

    @property
    def msg_align(self) -> int:
        """Alignment of the message (the layout's cache line)."""
        return int(self._getters[2](self._handle()))

    @property
    def info(self) -> bytes:
        """The channel's info bytes (a copy)."""
        return _lib.info_bytes(self._getters[3], self._handle())

    def fileno(self) -> int:
        """The channel's eventfd (owned by the channel), for selectors and
        poll; rtipc.NotSupported when it has none."""
        return int(self._getters[4](self._handle()))

    @property
    def pending(self) -> int:
        """Messages published that the consumer has not taken yet (a snapshot)."""
        return int(self._getters[5](self._handle()))

    @property
    def peer_alive(self) -> bool:
        """Whether the peer process still runs (rtipc.NotSupported when unknown)."""
        return bool(self._getters[6](self._handle()) == 1)


class Producer(_Channel):
    """Writes messages into one channel. Use as a context manager or close()."""

    _destroy = _L.rtipc_producer_destroy
    _producer = True
    _results = _PRODUCED
    _getters = (
        _L.rtipc_producer_msg_size, _L.rtipc_producer_slots, _L.rtipc_producer_msg_align,
        _L.rtipc_producer_info, _L.rtipc_producer_fd, _L.rtipc_producer_pending,
        _L.rtipc_producer_peer_alive,
    )

    @property
    def msg(self) -> memoryview:
        """The next message, writable, msg_size bytes; valid until a produce."""
        view = self._view
        if view is None:
            h = self._hv
            if h is None:
                raise ValueError("the channel is closed")
            view = self._new_view(_producer_msg(h), readonly=False)
        return view

    def produce(self, force: bool = True) -> Produced:
        """Publishes the message written at msg. force=True never fails and
        discards the oldest waiting message when full (PUBLISHED_DISCARDED);
        force=False reports QUEUE_FULL instead and keeps the message in place."""
        if self._view is not None or self._lent:
            self._drop_view(what="produce")
        h = self._hv
        if h is None:
            raise ValueError("the channel is closed")
        r: int = _produce(h, _FORCE if force else _TRY)
        if r < 0:
            raise last_error(r, "produce")
        return _PRODUCED[r]

    def try_produce(self) -> Produced:
        """produce(force=False)."""
        return self.produce(False)

    def send(self, data: Any, force: bool = True) -> Produced:
        """Copies data (bytes-like, at most msg_size bytes) into the message and
        produces it."""
        view = self.msg
        n = len(data) if not isinstance(data, memoryview) else data.nbytes
        if n > len(view):
            raise _overlong(n, len(view))
        view[:n] = data
        return self.produce(force)

    if _fast is not None and not TYPE_CHECKING:  # the compiled msg, produce and send
        msg = _fast.Channel.msg
        produce = _fast.Channel.produce
        send = _fast.Channel.send


class Consumer(_Channel):
    """Reads messages from one channel. Use as a context manager or close().

    Iterating (``for msg in consumer``, ``async for msg in consumer``) yields
    each new message as a read-only view, valid until the next one, and ends
    when the producing process has exited and every message it sent was
    read. Waiting needs a channel with an eventfd."""

    _destroy = _L.rtipc_consumer_destroy
    _producer = False
    _results = _CONSUMED
    _getters = (
        _L.rtipc_consumer_msg_size, _L.rtipc_consumer_slots, _L.rtipc_consumer_msg_align,
        _L.rtipc_consumer_info, _L.rtipc_consumer_fd, _L.rtipc_consumer_pending,
        _L.rtipc_consumer_peer_alive,
    )

    @property
    def msg(self) -> Optional[memoryview]:
        """The message held, read-only, msg_size bytes; None before the first.
        Valid until the next consume. The peer is untrusted: its bytes may
        change while you read them, so copy what you check."""
        view = self._view
        if view is None:
            h = self._hv
            if h is None:
                raise ValueError("the channel is closed")
            ptr = _consumer_msg(h)
            if not ptr:
                return None
            view = self._new_view(ptr, readonly=True)
        return view

    def consume(self, latest: bool = False) -> Consumed:
        """Moves to the oldest unread message (latest=True: the newest,
        skipping older ones). Returns what it found; msg changed when the
        result is_new."""
        if self._view is not None or self._lent:
            self._drop_view(what="consume")
        h = self._hv
        if h is None:
            raise ValueError("the channel is closed")
        r: int = _consume(h, _LATEST if latest else _NEXT)
        if r < 0:
            raise last_error(r, "consume")
        return _CONSUMED[r]

    def consume_latest(self) -> Consumed:
        """consume(latest=True)."""
        return self.consume(True)

    def set_spin(self, spin_ns: int) -> None:
        """How long wait_blocking busy-polls before it sleeps (0: sleep at once)."""
        _L.rtipc_consumer_set_spin(self._handle(), spin_ns)
        self._spin_ns = spin_ns
        self._close_waitset()  # the next wait makes one with the new spin

    # wait_blocking's waitset on the main thread (None: not made yet; False:
    # the channel has no eventfd) and the spin it is made with.
    _ws: Any = None
    _spin_ns = 0

    def _close_waitset(self) -> None:
        ws, self._ws = self._ws, None
        if ws:
            ws.close()

    def close(self) -> None:
        self._close_waitset()  # it holds the consumer: first
        super().close()
    close.__doc__ = _Channel.close.__doc__

    def wait_blocking(self, timeout: Optional[float] = None) -> bool:
        """Blocks (without the GIL) until consume would find something new
        (True) or timeout seconds pass (False; None: no limit). Raises
        rtipc.PeerGone when the producing process has exited and nothing new
        is left, rtipc.NotSupported without an eventfd. Signal handlers run
        while it waits (Ctrl-C raises KeyboardInterrupt at once, through the
        signal wake-up descriptor: see rtipc.waitset); others resume it."""
        return _waitset.consumer_wait(self, self._handle(), timeout)

    def receive(self, timeout: Optional[float] = None, latest: bool = False) -> memoryview:
        """The next new message (as consume, then msg), waiting up to timeout
        seconds for it: rtipc.TimedOut when none came, rtipc.PeerGone when
        the producer has exited."""
        deadline = _deadline(timeout)
        while True:
            if self.consume(latest).is_new:
                return self.msg  # type: ignore[return-value]
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self.wait_blocking(left):
                raise TimedOut(errno.ETIMEDOUT, "no message within the timeout")

    def __iter__(self) -> Iterator[memoryview]:
        while True:
            try:
                yield self.receive()
            except PeerGone:
                return

    async def wait(self, timeout: Optional[float] = None) -> bool:
        """Waits on the running event loop (loop.add_reader on the eventfd
        and the peer's pidfd: no thread) until consume would find something
        new (True) or timeout seconds pass (False). Raises as wait_blocking."""
        handle = self._handle()
        loop = asyncio.get_running_loop()
        fds = [self.fileno()] + ([self._peer_fd] if self._peer_fd >= 0 else [])
        deadline = _deadline(timeout)
        while True:
            r = _wait(handle, 0)  # also takes stale counts so the fd goes quiet
            if r == 1:
                return True
            if r < 0 and r != -errno.EINTR:
                raise last_error(r, "wait")
            if deadline is not None and time.monotonic() >= deadline:
                return False
            ready = loop.create_future()
            for fd in fds:
                loop.add_reader(fd, _set_ready, ready)
            try:
                left = None if deadline is None else deadline - time.monotonic()
                await asyncio.wait_for(ready, left)
            except asyncio.TimeoutError:
                pass
            finally:
                for fd in fds:
                    loop.remove_reader(fd)

    async def receive_async(self, timeout: Optional[float] = None,
                            latest: bool = False) -> memoryview:
        """receive() on the running event loop."""
        deadline = _deadline(timeout)
        while True:
            if self.consume(latest).is_new:
                return self.msg  # type: ignore[return-value]
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not await self.wait(left):
                raise TimedOut(errno.ETIMEDOUT, "no message within the timeout")

    def __aiter__(self) -> AsyncIterator[memoryview]:
        return self

    async def __anext__(self) -> memoryview:
        try:
            return await self.receive_async()
        except PeerGone:
            raise StopAsyncIteration from None

    if _fast is not None and not TYPE_CHECKING:  # the compiled msg and consume
        msg = _fast.Channel.msg
        consume = _fast.Channel.consume


def _set_ready(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)


T = TypeVar("T", bound=ctypes.Structure)


class Message(Generic[T]):
    """A typed message in its slot: attribute access reads and writes the
    ctypes structure in place, until the next produce/consume (or close),
    after which any use raises ValueError. copy() detaches a copy of the
    structure."""

    __slots__ = ("_struct", "_owner", "_gen")
    _struct: T
    _owner: Any
    _gen: int

    def __init__(self, struct: T, owner: Any) -> None:
        object.__setattr__(self, "_struct", struct)
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_gen", owner._gen)

    def _live(self) -> T:
        if self._owner._gen != self._gen:
            raise ValueError("this message was given back by a later produce or consume")
        return self._struct

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._live(), name, value)

    def copy(self) -> T:
        """The message as a structure of its own (a copy)."""
        struct = self._live()
        return type(struct).from_buffer_copy(struct)

    @property
    def struct(self) -> T:
        """The ctypes structure over the slot itself (valid until the next
        produce/consume, and not checked: prefer attribute access). While it
        lives, close() raises BufferError."""
        struct = self._live()
        over = type(struct).from_address(ctypes.addressof(struct))
        over._rtipc_mapping = self._owner._mapping  # keeps the memory mapped
        return over

    def __repr__(self) -> str:
        if self._owner._gen != self._gen:
            return "<rtipc.Message (given back)>"
        fields = ", ".join(f"{f[0]}={getattr(self._struct, f[0])!r}"
                           for f in type(self._struct)._fields_)
        return f"<rtipc.Message {type(self._struct).__name__}({fields})>"


def _check_type(cls: Type[ctypes.Structure], msg_size: int, align: int, where: str) -> None:
    need, need_align = ctypes.sizeof(cls), ctypes.alignment(cls)
    if msg_size != need or need_align > align:
        raise BadMessage(
            errno.EMSGSIZE,
            f"{where} carries {msg_size}-byte messages aligned to {align}; "
            f"{cls.__name__} needs {need} bytes aligned to {need_align}")


class TypedProducer(Producer, Generic[T]):
    """A producer of ctypes structures T; msg is a Message[T] over the slot."""

    def __init__(self, handle: Any, cls: Type[T], peer_fd: int = -1) -> None:
        super().__init__(handle, peer_fd)
        self._cls = cls
        self._gen = 0
        self._msg: Optional[Message[T]] = None

    @property
    def msg(self) -> Message[T]:  # type: ignore[override]
        m = self._msg
        if m is None:
            struct = self._cls.from_address(_producer_msg(self._hot()))
            m = self._msg = Message(struct, self)
        return m

    @property
    def view(self) -> memoryview:
        """The message as bytes (as Producer.msg)."""
        return vars(Producer)["msg"].__get__(self, Producer)  # type: ignore[no-any-return]

    def produce(self, force: bool = True) -> Produced:
        self._gen += 1
        self._msg = None
        return super().produce(force)

    def send(self, value: Any, force: bool = True) -> Produced:
        """Copies value (a T) into the slot and produces it."""
        if not isinstance(value, self._cls):
            raise TypeError(f"send: this channel carries {self._cls.__name__}, "
                            f"not {type(value).__name__}")
        ctypes.memmove(_producer_msg(self._hot()), ctypes.addressof(value),
                       ctypes.sizeof(self._cls))
        return self.produce(force)


class TypedConsumer(Consumer, Generic[T]):
    """A consumer of ctypes structures T; msg is a Message[T] over the slot."""

    def __init__(self, handle: Any, cls: Type[T], peer_fd: int = -1) -> None:
        super().__init__(handle, peer_fd)
        self._cls = cls
        self._gen = 0
        self._msg: Optional[Message[T]] = None

    @property
    def msg(self) -> Optional[Message[T]]:  # type: ignore[override]
        m = self._msg
        if m is None:
            ptr = _consumer_msg(self._hot())
            if not ptr:
                return None
            m = self._msg = Message(self._cls.from_address(ptr), self)
        return m

    @property
    def view(self) -> Optional[memoryview]:
        """The message as bytes (as Consumer.msg)."""
        return vars(Consumer)["msg"].__get__(self, Consumer)  # type: ignore[no-any-return]

    def consume(self, latest: bool = False) -> Consumed:
        self._gen += 1
        self._msg = None
        return super().consume(latest)

    def receive(self, timeout: Optional[float] = None,  # type: ignore[override]
                latest: bool = False) -> Message[T]:
        super().receive(timeout, latest)
        return self.msg  # type: ignore[return-value]

    async def receive_async(self, timeout: Optional[float] = None,  # type: ignore[override]
                            latest: bool = False) -> Message[T]:
        await super().receive_async(timeout, latest)
        return self.msg  # type: ignore[return-value]
