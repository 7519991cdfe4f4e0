package rtipc

// #cgo pkg-config: rtipc
// #include <errno.h>
// #include "shim.h"
import "C"

import (
	"context"
	"errors"
	"syscall"
	"time"
	"unsafe"
)

// ConsumeMode says which message Consume moves to.
type ConsumeMode uint32

const (
	Next   ConsumeMode = C.RTIPC_CONSUME_NEXT   // the oldest unread message
	Latest ConsumeMode = C.RTIPC_CONSUME_LATEST // the newest, skipping older ones
)

// ConsumeResult is what Consume found.
type ConsumeResult int

const (
	NothingProduced ConsumeResult = C.RTIPC_NOTHING_PRODUCED // the producer has published nothing yet
	NoNew           ConsumeResult = C.RTIPC_NO_NEW           // nothing newer than the message held
	New             ConsumeResult = C.RTIPC_NEW              // the message after the last one
	NewAfterGap     ConsumeResult = C.RTIPC_NEW_AFTER_GAP    // a new message; some before it were skipped
)

// IsNew reports whether Msg changed: New or NewAfterGap.
func (r ConsumeResult) IsNew() bool { return r >= New }

// Consumer reads one channel. One goroutine at a time may use it (its
// getters excepted); it is not safe for concurrent use.
type Consumer struct {
	c    *C.rtipc_consumer
	h    C.uintptr_t // c as an integer, for the hot path
	size int
	msg  []byte
	// ws: the consumer and a cancel eventfd, made by the first Wait with a
	// cancellable context; spinNs: as SetSpin set it.
	ws     *Waitset
	spinNs uint32
}

func newConsumer(c *C.rtipc_consumer) *Consumer {
	return &Consumer{c: c, h: C.uintptr_t(uintptr(unsafe.Pointer(c))), size: int(C.rtipc_consumer_msg_size(c))}
}

// Msg is the message the consumer holds, read in place in shared memory
// (zero copy); nil before the first.
//
// Lifetime: the slice is valid until the next Consume or Close, and nothing
// guards it. After the next Consume it shows the slot the producer writes
// its next messages into; after Close the memory is unmapped and using the
// slice kills the program ("fatal error: fault"). Keep no slice across
// those calls: use CopyMsg for a copy you can keep. Treat it as read-only;
// the peer is untrusted, so copy what you check before trusting it.
func (c *Consumer) Msg() []byte { return c.msg }

// CopyMsg copies the message held into dst, the safe way to read one: the
// copy stays as it is after the next Consume and after Close. It returns
// the bytes copied, min(len(dst), MsgSize()), 0 before the first message,
// and ErrClosed after Close. A peer writing the slot meanwhile can change
// the bytes copied but never the copy afterwards.
func (c *Consumer) CopyMsg(dst []byte) (int, error) {
	if c.c == nil {
		return 0, ErrClosed
	}
	return copy(dst, c.msg), nil
}

// Consume moves to the next (or newest) message; when the result IsNew,
// Msg holds it.
func (c *Consumer) Consume(mode ConsumeMode) (ConsumeResult, error) {
	if c.c == nil {
		return 0, ErrClosed
	}
	s := C.rtipc_go_consume(c.h, C.uint(mode))
	if s.rc < 0 {
		return 0, errorOf("consume", s.rc)
	}
	if s.rc >= C.RTIPC_NEW {
		c.msg = unsafe.Slice((*byte)(s.msg), c.size)
	}
	return ConsumeResult(s.rc), nil
}

// Wait blocks until Consume would find something new (nil), the context is
// cancelled (its error) or its deadline passes (an error matching
// os.ErrDeadlineExceeded and context.DeadlineExceeded), or the peer process
// has exited with nothing new left (an *Error matching syscall.EPIPE). A
// channel without eventfd cannot sleep: syscall.ENOTSUP. It does not consume.
// A cancellable context reaches the sleeping thread through an eventfd in
// the wait (a waitset of the consumer's own): nothing wakes up to look.
func (c *Consumer) Wait(ctx context.Context) error {
	if c.c == nil {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return contextError("wait", err)
	}
	if ctx.Done() == nil { // cannot be cancelled: the consumer's own wait
		for {
			var st C.struct_rtipc_go_status
			C.rtipc_go_consumer_wait(&st, c.c, -1)
			if st.rc > 0 {
				return nil
			}
			if st.rc != -C.EINTR { // EINTR: retried (Go's policy, see doc.go)
				return errorFrom("wait", &st)
			}
		}
	}
	if c.ws == nil {
		ws, err := NewWaitset(&WaitsetConfig{MaxEvents: 1, SpinNs: c.spinNs})
		if err != nil {
			return err
		}
		if err := ws.AddConsumer(c, 0); err != nil {
			ws.Close()
			var e *Error
			if errors.As(err, &e) {
				e.Op = "wait"
			}
			return err
		}
		c.ws = ws
	}
	events, err := c.ws.Wait(ctx)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Op = "wait"
			return e
		}
		return contextError("wait", ctx.Err())
	}
	if events[0].Ready&ReadyMessage != 0 {
		return nil
	}
	return &Error{Op: "wait", Errno: syscall.EPIPE, Msg: "the peer process has exited and nothing new is left"}
}

// SetSpin sets how long Wait busy-polls before it sleeps (0, the default:
// sleep at once).
func (c *Consumer) SetSpin(d time.Duration) {
	if c.c == nil {
		return
	}
	c.spinNs = uint32(d.Nanoseconds())
	C.rtipc_consumer_set_spin(c.c, C.uint32_t(c.spinNs))
	if c.ws != nil { // the next cancellable Wait makes one with the new spin
		c.ws.Close()
		c.ws = nil
	}
}

// MsgSize is the channel's message size in bytes.
func (c *Consumer) MsgSize() int {
	return c.size
}

// Slots is the channel's slot count (3 + AddMsgs).
func (c *Consumer) Slots() int {
	if c.c == nil {
		return 0
	}
	return int(C.rtipc_consumer_slots(c.c))
}

// MsgAlign is the alignment of Msg's slot (the layout's cache line).
func (c *Consumer) MsgAlign() int {
	if c.c == nil {
		return 0
	}
	return int(C.rtipc_consumer_msg_align(c.c))
}

// Info is a copy of the channel's info bytes.
func (c *Consumer) Info() []byte {
	if c.c == nil {
		return nil
	}
	var n C.size_t
	ptr := C.rtipc_consumer_info(c.c, &n)
	return copyBytes(unsafe.Pointer(ptr), n)
}

// Fd is the channel's eventfd for poll/epoll, or -1 when it has none.
// Owned by the consumer.
func (c *Consumer) Fd() int {
	if c.c == nil {
		return -1
	}
	fd := int(C.rtipc_consumer_fd(c.c))
	if fd < 0 {
		return -1
	}
	return fd
}

// Pending is how many messages wait behind the one held.
func (c *Consumer) Pending() (int, error) {
	if c.c == nil {
		return 0, ErrClosed
	}
	n := C.rtipc_consumer_pending(c.c)
	return int(n), errorOf("pending", n)
}

// PeerAlive reports whether the peer process still runs. One poll(2).
func (c *Consumer) PeerAlive() (bool, error) {
	if c.c == nil {
		return false, ErrClosed
	}
	r := C.rtipc_consumer_peer_alive(c.c)
	return r == 1, errorOf("peer alive", r)
}

// Close destroys the consumer and unmaps its memory: a slice from Msg must
// not be used afterwards (copies from CopyMsg stay valid).
func (c *Consumer) Close() error {
	if c.ws != nil { // before the consumer it holds
		c.ws.Close()
		c.ws = nil
	}
	if c.c != nil {
		C.rtipc_consumer_destroy(c.c)
		c.c = nil
		c.msg = nil
	}
	return nil
}
