"""The C ABI of the waitset and the notifier (rtipc.h, "Waiting on many
channels" and "Notifying without a system call"), declared as _lib declares
the rest: structs field for field, checked calls raise rtipc.Error."""

from __future__ import annotations

from ctypes import POINTER, Structure, c_int, c_uint, c_uint32, c_uint64, sizeof

from ._lib import _declare, _Handle, consumer_p, producer_p

WAITSET_EPOLL, WAITSET_IO_URING = 0, 1
WAITSET_REQUIRE = 0x1
READY_MESSAGE, READY_PEER_GONE, READY_FD = 0x1, 0x2, 0x4
NOTIFY_DIRECT, NOTIFY_IO_URING = 0, 1
NOTIFIER_REQUIRE, NOTIFIER_PIN_CPU = 0x1, 0x2



class rtipc_waitset(_Handle):
    pass


class rtipc_notifier(_Handle):
    pass


waitset_p = POINTER(rtipc_waitset)
notifier_p = POINTER(rtipc_notifier)


class rtipc_waitset_config(Structure):
    _fields_ = [("size", c_uint32), ("flags", c_uint32), ("backend", c_uint32),
                ("spin_ns", c_uint32)]

    def __init__(self, **kw: int) -> None:
        super().__init__(size=sizeof(type(self)), **kw)


class rtipc_waitset_event(Structure):
    _fields_ = [("key", c_uint64), ("ready", c_uint32), ("revents", c_uint32)]


class rtipc_notifier_config(Structure):
    _fields_ = [("size", c_uint32), ("flags", c_uint32), ("idle_ms", c_uint32), ("cpu", c_uint32)]

    def __init__(self, **kw: int) -> None:
        super().__init__(size=sizeof(type(self)), **kw)


_declare("rtipc_waitset_create", c_int,
         [POINTER(rtipc_waitset_config), POINTER(waitset_p)], True)
_declare("rtipc_waitset_destroy", None, [waitset_p])
_declare("rtipc_waitset_backend", c_uint, [waitset_p])
_declare("rtipc_waitset_fd", c_int, [waitset_p], True)
_declare("rtipc_waitset_add_consumer", c_int, [waitset_p, consumer_p, c_uint64], True)
_declare("rtipc_waitset_add_fd", c_int, [waitset_p, c_int, c_uint32, c_uint64], True)
_declare("rtipc_waitset_add_peer", c_int, [waitset_p, c_int, c_uint64], True)
_declare("rtipc_waitset_remove_consumer", c_int, [waitset_p, consumer_p], True)
_declare("rtipc_waitset_remove_fd", c_int, [waitset_p, c_int], True)
# Not checked: -EINTR is an answer the caller handles.
_declare("rtipc_waitset_wait", c_int,
         [waitset_p, POINTER(rtipc_waitset_event), c_uint32, c_int])

_declare("rtipc_notifier_create", c_int,
         [POINTER(rtipc_notifier_config), POINTER(notifier_p)], True)
_declare("rtipc_notifier_destroy", None, [notifier_p])
_declare("rtipc_notifier_mode", c_uint, [notifier_p])
_declare("rtipc_producer_set_notifier", c_int, [producer_p, notifier_p], True)
_declare("rtipc_producer_notify_mode", c_int, [producer_p], True)
