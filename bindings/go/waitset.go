package rtipc

// #cgo pkg-config: rtipc
// #include <errno.h>
// #include <poll.h>
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// Ready says why a waitset entry is ready (RTIPC_READY_* bits).
type Ready uint32

const (
	ReadyMessage  Ready = C.RTIPC_READY_MESSAGE   // a consumer has something new for Consume
	ReadyPeerGone Ready = C.RTIPC_READY_PEER_GONE // a consumer's peer, or a watched pidfd, has exited
	ReadyFd       Ready = C.RTIPC_READY_FD        // a plain descriptor has events (see Revents)
)

// Backend is how a waitset sleeps.
type Backend uint32

const (
	Epoll   Backend = C.RTIPC_WAITSET_EPOLL    // epoll(7): the default
	IoUring Backend = C.RTIPC_WAITSET_IO_URING // poll requests on an io_uring (Linux 6.1+)
)

// WaitsetConfig configures NewWaitset; the zero value is epoll, no spin.
type WaitsetConfig struct {
	Backend Backend
	Require bool   // fail rather than fall back to epoll
	SpinNs  uint32 // busy-poll the consumers' queues this long before sleeping
	// MaxEvents bounds the entries one Wait reports (0: 64).
	MaxEvents int
}

// Event is one ready entry of a Wait.
type Event struct {
	Key     uint64 // the key the entry was added with
	Ready   Ready  // why
	Revents uint32 // poll(2) bits of a descriptor or pidfd; 0 for consumers
}

// cancelKey is the key of the waitset's own cancel eventfd; callers cannot
// use it.
const cancelKey = ^uint64(0)

// Waitset waits on many consumers, descriptors and peers' pidfds at once,
// each under a key of the caller's. Wait runs in one goroutine at a time,
// which also consumes the waitset's consumers; Add and Remove may run in
// any goroutine. Members are not owned: remove a consumer before closing
// it. With the IoUring backend, Wait must run on the OS thread that created
// the waitset (runtime.LockOSThread), else it fails with syscall.EPERM.
type Waitset struct {
	c      *C.rtipc_waitset
	events *C.struct_rtipc_waitset_event // C memory: no cgo pointer check per wait
	max    int
	cancel canceller
	out    []Event
}

// NewWaitset creates a waitset (config nil: defaults).
func NewWaitset(config *WaitsetConfig) (*Waitset, error) {
	cfg := C.struct_rtipc_waitset_config{size: C.sizeof_struct_rtipc_waitset_config}
	max := 64
	if config != nil {
		cfg.backend = C.uint32_t(config.Backend)
		cfg.spin_ns = C.uint32_t(config.SpinNs)
		if config.Require {
			cfg.flags |= C.RTIPC_WAITSET_REQUIRE
		}
		if config.MaxEvents > 0 {
			max = config.MaxEvents
		}
	}
	w := &Waitset{max: max + 1} // one more for the cancel eventfd
	var st C.struct_rtipc_go_status
	C.rtipc_go_waitset_create(&st, &cfg, &w.c)
	if err := errorFrom("waitset", &st); err != nil {
		return nil, err
	}
	var err error
	if w.cancel, err = newCanceller(); err == nil {
		C.rtipc_go_waitset_add_fd(&st, w.c, C.int(w.cancel.fd), C.POLLIN, C.uint64_t(cancelKey))
		err = errorFrom("waitset", &st)
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	w.events = (*C.struct_rtipc_waitset_event)(C.calloc(C.size_t(w.max), C.sizeof_struct_rtipc_waitset_event))
	w.out = make([]Event, 0, w.max)
	return w, nil
}

// Backend is the backend the waitset got.
func (w *Waitset) Backend() Backend { return Backend(C.rtipc_waitset_backend(w.c)) }

// Fd is a descriptor for an outer event loop, readable when something
// fired since the last Wait (then Wait with an expired context). Owned by
// the waitset.
func (w *Waitset) Fd() int { return int(C.rtipc_waitset_fd(w.c)) }

func (w *Waitset) checkKey(key uint64) error {
	if w.c == nil {
		return ErrClosed
	}
	if key == cancelKey {
		return &Error{Op: "waitset add", Errno: syscall.EINVAL, Msg: "key 2^64-1 is reserved for the waitset's cancel eventfd"}
	}
	return nil
}

// AddConsumer adds a consumer under key: ReadyMessage while Consume would
// find something new, ReadyPeerGone once its peer has exited. A channel
// without eventfd gives syscall.ENOTSUP.
func (w *Waitset) AddConsumer(c *Consumer, key uint64) error {
	if err := w.checkKey(key); err != nil {
		return err
	}
	if c.c == nil {
		return ErrClosed
	}
	var st C.struct_rtipc_go_status
	C.rtipc_go_waitset_add_consumer(&st, w.c, c.c, C.uint64_t(key))
	return errorFrom("waitset add consumer", &st)
}

// AddFd adds a plain descriptor for the poll(2) events (syscall.POLLIN...
// as in golang.org/x/sys/unix), level-triggered; not owned.
func (w *Waitset) AddFd(fd int, events uint32, key uint64) error {
	if err := w.checkKey(key); err != nil {
		return err
	}
	var st C.struct_rtipc_go_status
	C.rtipc_go_waitset_add_fd(&st, w.c, C.int(fd), C.uint32_t(events), C.uint64_t(key))
	return errorFrom("waitset add fd", &st)
}

// AddPeer adds a pidfd (Group.PeerFd): ReadyPeerGone once that process
// has exited. Not owned.
func (w *Waitset) AddPeer(pidfd int, key uint64) error {
	if err := w.checkKey(key); err != nil {
		return err
	}
	var st C.struct_rtipc_go_status
	C.rtipc_go_waitset_add_peer(&st, w.c, C.int(pidfd), C.uint64_t(key))
	return errorFrom("waitset add peer", &st)
}

// RemoveConsumer removes a consumer; afterwards the waitset never touches
// it again.
func (w *Waitset) RemoveConsumer(c *Consumer) error {
	if w.c == nil || c.c == nil {
		return ErrClosed
	}
	return errorOf("waitset remove consumer", C.rtipc_waitset_remove_consumer(w.c, c.c))
}

// RemoveFd removes a descriptor or pidfd by its number.
func (w *Waitset) RemoveFd(fd int) error {
	if w.c == nil {
		return ErrClosed
	}
	return errorOf("waitset remove fd", C.rtipc_waitset_remove_fd(w.c, C.int(fd)))
}

// Wait blocks until at least one entry is ready and returns them (valid
// until the next Wait), or until ctx is cancelled (its error) or its
// deadline passes (an error matching os.ErrDeadlineExceeded and
// context.DeadlineExceeded). The cancel reaches the sleeping thread
// through an eventfd in the wait: nothing wakes up to look. An expired
// context still reports what is ready now.
func (w *Waitset) Wait(ctx context.Context) ([]Event, error) {
	if w.c == nil {
		return nil, ErrClosed
	}
	disarm := w.cancel.arm(ctx)
	defer disarm()
	for {
		var st C.struct_rtipc_go_status
		C.rtipc_go_waitset_wait(&st, w.c, w.events, C.uint32_t(w.max), C.int(timeoutMs(ctx)))
		if st.rc < 0 && st.rc != -C.EINTR {
			return nil, errorFrom("wait", &st)
		}
		w.out = w.out[:0]
		cancelled := false
		for _, e := range unsafe.Slice(w.events, int(st.rc)) {
			if uint64(e.key) == cancelKey {
				cancelled = true
				continue
			}
			w.out = append(w.out, Event{Key: uint64(e.key), Ready: Ready(e.ready), Revents: uint32(e.revents)})
		}
		if cancelled {
			w.cancel.drain() // a stale cancel of an earlier Wait's context is dropped too
		}
		if len(w.out) > 0 {
			return w.out, nil
		}
		if d, ok := ctx.Deadline(); ok && st.rc == 0 && msUntil(d) == 0 {
			return nil, deadlineError("wait")
		}
		if err := ctx.Err(); err != nil {
			return nil, contextError("wait", err)
		}
	}
}

// Close frees the waitset; its members stay the caller's.
func (w *Waitset) Close() error {
	if w.c != nil {
		C.rtipc_waitset_destroy(w.c)
		w.c = nil
	}
	w.cancel.close()
	if w.events != nil {
		C.free(unsafe.Pointer(w.events))
		w.events = nil
	}
	return nil
}

// contextError is the error of a call that ended because ctx did.
func contextError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return deadlineError(op)
	}
	return fmt.Errorf("rtipc: %s: %w", op, err)
}
