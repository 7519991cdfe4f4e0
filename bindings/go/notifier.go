package rtipc

// #cgo pkg-config: rtipc
// #include "shim.h"
import "C"

import "syscall"

// NotifyMode is how a producer's pushes signal its eventfd.
type NotifyMode uint32

const (
	NotifyDirect  NotifyMode = C.RTIPC_NOTIFY_DIRECT   // write(2) on every publishing push
	NotifyIoUring NotifyMode = C.RTIPC_NOTIFY_IO_URING // queued to the poller: no system call while it is awake
)

// NotifierConfig configures NewNotifier; the zero value is the defaults.
type NotifierConfig struct {
	Require bool   // fail rather than fall back to NotifyDirect
	IdleMs  uint32 // the poller sleeps after this long without work (0: 1000)
	PinCPU  bool   // run the poller on CPU
	CPU     uint32
}

// Notifier signals producers' eventfds from an io_uring kernel poller, so
// that a push makes no system call (rtipc.h, "Notifying without a system
// call"). Where io_uring is not there it is in NotifyDirect mode, which
// works like no notifier at all. Closing it drops the caller's reference;
// producers attached to it keep the poller alive.
type Notifier struct {
	c *C.rtipc_notifier
}

// NewNotifier starts a poller (config nil: defaults).
func NewNotifier(config *NotifierConfig) (*Notifier, error) {
	cfg := C.struct_rtipc_notifier_config{size: C.sizeof_struct_rtipc_notifier_config}
	if config != nil {
		if config.Require {
			cfg.flags |= C.RTIPC_NOTIFIER_REQUIRE
		}
		if config.PinCPU {
			cfg.flags |= C.RTIPC_NOTIFIER_PIN_CPU
		}
		cfg.idle_ms = C.uint32_t(config.IdleMs)
		cfg.cpu = C.uint32_t(config.CPU)
	}
	n := &Notifier{}
	var st C.struct_rtipc_go_status
	C.rtipc_go_notifier_create(&st, &cfg, &n.c)
	if err := errorFrom("notifier", &st); err != nil {
		return nil, err
	}
	return n, nil
}

// Mode is NotifyIoUring, or NotifyDirect (the fallback).
func (n *Notifier) Mode() NotifyMode { return NotifyMode(C.rtipc_notifier_mode(n.c)) }

// Close drops the caller's reference.
func (n *Notifier) Close() error {
	if n.c != nil {
		C.rtipc_notifier_destroy(n.c)
		n.c = nil
	}
	return nil
}

// SetNotifier makes the producer's pushes signal through n (nil: back to
// write(2)). Call it from the goroutine that pushes; a channel without
// eventfd gives syscall.ENOTSUP.
func (p *Producer) SetNotifier(n *Notifier) error {
	if p.c == nil {
		return ErrClosed
	}
	var cn *C.rtipc_notifier
	if n != nil {
		if n.c == nil {
			return ErrClosed
		}
		cn = n.c
	}
	var st C.struct_rtipc_go_status
	C.rtipc_go_producer_set_notifier(&st, p.c, cn)
	return errorFrom("set notifier", &st)
}

// NotifyMode is how the producer's pushes signal now.
func (p *Producer) NotifyMode() (NotifyMode, error) {
	if p.c == nil {
		return 0, ErrClosed
	}
	r := C.rtipc_producer_notify_mode(p.c)
	if r < 0 {
		return 0, &Error{Op: "notify mode", Errno: syscall.Errno(-r), Msg: C.GoString(C.rtipc_strerror(r))}
	}
	return NotifyMode(r), nil
}
