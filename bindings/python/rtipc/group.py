"""Channel groups: what a client creates and connects with, and what a server
accepts. Channels are taken out of a group and live on after it closes."""

from __future__ import annotations

import ctypes
import errno
import os
from dataclasses import dataclass
from typing import Any, List, Optional, Protocol, Sequence, Type, Union, overload

from . import _lib
from .channels import (
    Consumer,
    Producer,
    T,
    TypedConsumer,
    TypedProducer,
    _check_type,
    _deadline,
    _timeout_ms,
)
from ._signals import _check_signals
from .errors import last_error

_L = _lib.lib


@dataclass(frozen=True)
class ChannelConfig:
    """One channel: msg_size bytes per message, 3 + add_msgs slots, an
    eventfd for wake-ups when eventfd is true, and opaque info bytes."""

    msg_size: int
    add_msgs: int = 0
    eventfd: bool = False
    info: bytes = b""

    @classmethod
    def _from_c(cls, c: _lib.rtipc_channel_config) -> "ChannelConfig":
        info = ctypes.string_at(c.info, c.info_size) if c.info and c.info_size else b""
        return cls(c.msg_size, c.add_msgs, bool(c.flags & _lib.CHANNEL_EVENTFD), info)


class _GroupConfig:
    """The C struct of a group configuration with the memory it points at."""

    def __init__(self, producers: Sequence[ChannelConfig], consumers: Sequence[ChannelConfig],
                 info: bytes, flags: int, cacheline: int) -> None:
        self._keep: List[Any] = []
        c = _lib.rtipc_group_config()
        c.flags = flags
        c.cacheline = cacheline
        c.producers, c.producer_count = self._channels(producers)
        c.consumers, c.consumer_count = self._channels(consumers)
        c.info, c.info_size = self._bytes(info)
        self.c = c

    def _bytes(self, data: bytes) -> Any:
        if not data:
            return None, 0
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        self._keep.append(buf)
        return ctypes.cast(buf, ctypes.c_void_p), len(data)

    def _channels(self, channels: Sequence[ChannelConfig]) -> Any:
        if not channels:
            return None, 0
        array = (_lib.rtipc_channel_config * len(channels))()
        for c, ch in zip(array, channels):
            c.size = ctypes.sizeof(c)
            c.msg_size = ch.msg_size
            c.add_msgs = ch.add_msgs
            c.flags = _lib.CHANNEL_EVENTFD if ch.eventfd else 0
            c.info, c.info_size = self._bytes(ch.info)
        self._keep.append(array)
        return ctypes.cast(array, ctypes.POINTER(_lib.rtipc_channel_config)), len(channels)


Channels = Sequence[ChannelConfig]


class Group(_lib.Closable):
    """A channel group. Use as a context manager or close(); the channels
    taken out of it stay usable after it is closed."""

    def __init__(self, handle: Any) -> None:
        self._h = handle

    @classmethod
    def create(cls, producers: Channels = (), consumers: Channels = (), info: bytes = b"",
               flags: int = 0, cacheline: int = 0) -> "Group":
        """Creates a group as a client would, without connecting."""
        config = _GroupConfig(producers, consumers, info, flags, cacheline)
        handle = _lib.group_p()
        _L.rtipc_group_create(ctypes.byref(config.c), ctypes.byref(handle))
        return cls(handle)

    def close(self) -> None:
        if self._h is not None:
            _L.rtipc_group_destroy(self._h)
            self._h = None

    def _handle(self) -> Any:
        if self._h is None:
            raise ValueError("the group is closed")
        return self._h

    def _peer_fd_dup(self) -> int:
        # The channels' asyncio waits watch the peer with their own copy.
        try:
            return os.dup(_L.rtipc_group_peer_fd(self._handle()))
        except OSError:
            return -1

    @overload
    def take_producer(self, index: int) -> Producer: ...
    @overload
    def take_producer(self, index: int, type: Type[T]) -> TypedProducer[T]: ...

    def take_producer(self, index: int, type: Optional[Type[T]] = None) -> Any:
        """Takes producer index out of the group. With type (a ctypes
        Structure), a TypedProducer, after checking that the channel's
        messages are exactly that size (rtipc.BadMessage otherwise, and the
        channel stays in the group)."""
        if type is not None:
            _check_type(type, self.producer_config(index).msg_size, self.cacheline,
                        f"producer {index}")
        handle = _lib.producer_p()
        _L.rtipc_group_take_producer(self._handle(), index, ctypes.byref(handle))
        if type is not None:
            return TypedProducer(handle, type, self._peer_fd_dup())
        return Producer(handle, self._peer_fd_dup())

    @overload
    def take_consumer(self, index: int) -> Consumer: ...
    @overload
    def take_consumer(self, index: int, type: Type[T]) -> TypedConsumer[T]: ...

    def take_consumer(self, index: int, type: Optional[Type[T]] = None) -> Any:
        """Takes consumer index out of the group (see take_producer)."""
        if type is not None:
            _check_type(type, self.consumer_config(index).msg_size, self.cacheline,
                        f"consumer {index}")
        handle = _lib.consumer_p()
        _L.rtipc_group_take_consumer(self._handle(), index, ctypes.byref(handle))
        if type is not None:
            return TypedConsumer(handle, type, self._peer_fd_dup())
        return Consumer(handle, self._peer_fd_dup())

    def producer_config(self, index: int) -> ChannelConfig:
        c = _lib.rtipc_channel_config()
        _L.rtipc_group_producer_config(self._handle(), index, ctypes.byref(c))
        return ChannelConfig._from_c(c)

    def consumer_config(self, index: int) -> ChannelConfig:
        c = _lib.rtipc_channel_config()
        _L.rtipc_group_consumer_config(self._handle(), index, ctypes.byref(c))
        return ChannelConfig._from_c(c)

    @property
    def producer_count(self) -> int:
        return int(_L.rtipc_group_producer_count(self._handle()))

    @property
    def consumer_count(self) -> int:
        return int(_L.rtipc_group_consumer_count(self._handle()))

    @property
    def info(self) -> bytes:
        """The group's info bytes (a copy)."""
        return _lib.info_bytes(_L.rtipc_group_info, self._handle())

    @property
    def cacheline(self) -> int:
        return int(_L.rtipc_group_cacheline(self._handle()))

    @property
    def region_size(self) -> int:
        return int(_L.rtipc_group_region_size(self._handle()))

    @property
    def peer_pid(self) -> int:
        """The peer's pid from the handshake; 0 when unknown."""
        return int(_L.rtipc_group_peer_pid(self._handle()))

    def peer_fileno(self) -> int:
        """A pidfd (owned by the group) readable once the peer has exited;
        rtipc.NotSupported when unknown."""
        return int(_L.rtipc_group_peer_fd(self._handle()))


def _connect(call: Any, target: Any, producers: Channels, consumers: Channels, info: bytes,
             flags: int, cacheline: int, timeout: Optional[float]) -> Group:
    config = _GroupConfig(producers, consumers, info, flags, cacheline)
    deadline = _deadline(timeout)
    while True:
        handle = _lib.group_p()
        r = call(target, ctypes.byref(config.c), _timeout_ms(deadline), ctypes.byref(handle))
        if r >= 0:
            return Group(handle)
        if r != -errno.EINTR:
            raise last_error(r, "connect")
        _check_signals()


def connect(path: Union[str, bytes, "os.PathLike[str]"], producers: Channels = (),
            consumers: Channels = (), info: bytes = b"", flags: int = 0, cacheline: int = 0,
            timeout: Optional[float] = None) -> Group:
    """Creates a group (producers are the channels this process writes) and
    hands it to the server listening at path, waiting up to timeout seconds
    (None: no limit). Raises rtipc.NotFound or rtipc.Refused when nobody
    listens there, rtipc.Rejected when the server says no, rtipc.TimedOut."""
    return _connect(_L.rtipc_client_connect, os.fsencode(path), producers, consumers, info,
                    flags, cacheline, timeout)


class HasFileno(Protocol):
    """A socket object, or anything else with fileno()."""

    def fileno(self) -> int: ...


def connect_socket(sock: Union[int, "HasFileno"], producers: Channels = (), consumers: Channels = (),
                   info: bytes = b"", flags: int = 0, cacheline: int = 0,
                   timeout: Optional[float] = None) -> Group:
    """connect() on an already connected SOCK_SEQPACKET socket (a descriptor
    or anything with fileno(); not taken over)."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    return _connect(_L.rtipc_client_connect_socket, fd, producers, consumers, info, flags,
                    cacheline, timeout)
