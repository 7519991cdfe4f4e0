"""Servers: listen on a Unix socket path, accept clients' groups, and decide
on each with an optional filter written in Python."""

from __future__ import annotations

import ctypes
import errno
import logging
import os
from typing import Any, Callable, List, Optional, Union

from . import _lib
from . import _signals
from ._signals import _check_signals
from .channels import _deadline, _timeout_ms
from .errors import TimedOut, last_error
from .waitset import Waitset
from .group import ChannelConfig, Group

_L = _lib.lib
log = logging.getLogger("rtipc")


class Proposal:
    """A client's group as the filter sees it, in the server's terms (its
    producers are the channels the client consumes). Valid during the
    filter call only; nothing of it has been mapped yet."""

    def __init__(self, handle: Any) -> None:
        self._h = handle

    def _handle(self) -> Any:
        if self._h is None:
            raise ValueError("a proposal is valid during the filter call only")
        return self._h

    @property
    def producer_count(self) -> int:
        return int(_L.rtipc_proposal_producer_count(self._handle()))

    @property
    def consumer_count(self) -> int:
        return int(_L.rtipc_proposal_consumer_count(self._handle()))

    def _channels(self, count: int, getter: Any) -> List[ChannelConfig]:
        result = []
        for i in range(count):
            c = _lib.rtipc_channel_config()
            getter(self._handle(), i, ctypes.byref(c))
            result.append(ChannelConfig._from_c(c))
        return result

    @property
    def producers(self) -> List[ChannelConfig]:
        """The channels the server would write."""
        return self._channels(self.producer_count, _L.rtipc_proposal_producer_config)

    @property
    def consumers(self) -> List[ChannelConfig]:
        """The channels the server would read."""
        return self._channels(self.consumer_count, _L.rtipc_proposal_consumer_config)

    @property
    def info(self) -> bytes:
        return _lib.info_bytes(_L.rtipc_proposal_info, self._handle())

    @property
    def region_size(self) -> int:
        return int(_L.rtipc_proposal_region_size(self._handle()))

    @property
    def cacheline(self) -> int:
        return int(_L.rtipc_proposal_cacheline(self._handle()))

    @property
    def peer_pid(self) -> int:
        """The client's pid (0 when unknown)."""
        return int(_L.rtipc_proposal_peer_pid(self._handle()))

    @property
    def peer_uid(self) -> int:
        return int(_L.rtipc_proposal_peer_uid(self._handle()))

    @property
    def peer_gid(self) -> int:
        return int(_L.rtipc_proposal_peer_gid(self._handle()))


Filter = Callable[[Proposal], Any]


class _Settings:
    """A server configuration and the ctypes callback its filter runs in.
    An exception in the filter rejects the client and is logged (logger
    "rtipc"); KeyboardInterrupt and SystemExit are raised again once the
    library call returns."""

    def __init__(self, filter: Optional[Filter], **fields: Any) -> None:
        self.c = _lib.rtipc_server_config()
        for name, value in fields.items():
            setattr(self.c, name, value)
        self._filter = filter
        self.pending: Optional[BaseException] = None
        self._callback = _lib.filter_fn(self._decide) if filter else None
        if self._callback:
            self.c.filter = self._callback

    def _decide(self, handle: Any, user: Any) -> int:
        proposal = Proposal(handle)
        try:
            return 1 if self._filter(proposal) else 0  # type: ignore[misc]
        except Exception:
            log.exception("rtipc: the server filter raised; the client is rejected")
            return 0
        except BaseException as e:  # KeyboardInterrupt: after the call
            self.pending = e
            return 0
        finally:
            proposal._h = None

    def raise_pending(self) -> None:
        e, self.pending = self.pending, None
        if e is not None:
            raise e


def _settings(filter: Optional[Filter], group_flags: int, request_timeout: Optional[float],
              backlog: int, socket_mode: int, min_cacheline: int, max_channels: int,
              max_slots: int, max_region_size: int, max_private_size: int) -> _Settings:
    if request_timeout is None:
        request_ms = -1
    elif request_timeout == 0:
        request_ms = 0
    else:
        request_ms = max(1, int(request_timeout * 1000))
    return _Settings(filter, group_flags=group_flags, request_timeout_ms=request_ms,
                     backlog=backlog, socket_mode=socket_mode, min_cacheline=min_cacheline,
                     max_channels=max_channels, max_slots=max_slots,
                     max_region_size=max_region_size, max_private_size=max_private_size)


class Server(_lib.Closable):
    """Listens on path. Use as a context manager or close() (which removes
    the socket file). Settings left 0 take the library's defaults;
    request_timeout is in seconds (None: no limit; 0: the default)."""

    def __init__(self, path: Union[str, bytes, "os.PathLike[str]"],
                 filter: Optional[Filter] = None, *, group_flags: int = 0,
                 request_timeout: Optional[float] = 0, backlog: int = 0, socket_mode: int = 0,
                 min_cacheline: int = 0, max_channels: int = 0, max_slots: int = 0,
                 max_region_size: int = 0, max_private_size: int = 0) -> None:
        self._h = None
        self._ws: Optional[Waitset] = None  # accept's: the server fd and the signal pipe
        self._settings = _settings(filter, group_flags, request_timeout, backlog, socket_mode,
                                   min_cacheline, max_channels, max_slots, max_region_size,
                                   max_private_size)
        handle = _lib.server_p()
        _L.rtipc_server_create(os.fsencode(path), ctypes.byref(self._settings.c),
                               ctypes.byref(handle))
        self._h = handle

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self._h is not None:
            _L.rtipc_server_destroy(self._h)
            self._h = None

    def fileno(self) -> int:
        """The server descriptor, readable when accept has work: a new client, a request, or a waiting client's time run out."""
        if self._h is None:
            raise ValueError("the server is closed")
        return int(_L.rtipc_server_fd(self._h))

    def accept(self, timeout: Optional[float] = None) -> Group:
        """Accepts one client's group, waiting up to timeout seconds (None:
        no limit; 0: only a client already waiting). Raises rtipc.TimedOut,
        rtipc.Rejected (the filter said no), or another rtipc.Error for a bad
        client; the server is ready for the next one after any of them."""
        if self._h is None:
            raise ValueError("the server is closed")
        deadline = _deadline(timeout)
        main = _signals.is_main_thread()
        while True:
            ms = _timeout_ms(deadline)
            if main and ms != 0:
                # Sleep on the server descriptor and the signal pipe
                # (Ctrl-C ends it at once), then take the client.
                if self._ws is None:
                    self._ws = Waitset(max_events=1)
                    self._ws.add_fd(self.fileno(), 0)
                if not self._ws.wait(None if deadline is None else ms / 1000):
                    raise TimedOut(errno.ETIMEDOUT, "no client was accepted within the timeout")
                ms = 0
            handle = _lib.group_p()
            r = _L.rtipc_server_accept(self._h, ms, ctypes.byref(handle))
            self._settings.raise_pending()
            if r >= 0:
                return Group(handle)
            if r == -errno.EINTR or (r == -errno.ETIMEDOUT and main and _timeout_ms(deadline) != 0):
                _check_signals()  # a signal, or the waiting client hung up: wait again
                continue
            raise last_error(r, "accept")


def accept_socket(sock: Any, filter: Optional[Filter] = None,
                  timeout: Optional[float] = None, **settings: Any) -> Group:
    """The server side of the handshake on a connected SOCK_SEQPACKET socket
    (a descriptor or anything with fileno(); not taken over), with the
    settings Server takes; timeout bounds the wait for the request."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    defaults = dict(group_flags=0, request_timeout=0, backlog=0, socket_mode=0,
                    min_cacheline=0, max_channels=0, max_slots=0, max_region_size=0,
                    max_private_size=0)
    defaults.update(settings)
    config = _settings(filter, **defaults)
    handle = _lib.group_p()
    ms = -1 if timeout is None else max(0, int(timeout * 1000))
    r = _L.rtipc_server_accept_socket(fd, ctypes.byref(config.c), ms, ctypes.byref(handle))
    config.raise_pending()
    if r < 0:
        raise last_error(r, "accept")
    return Group(handle)
