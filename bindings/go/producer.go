package rtipc

// #cgo pkg-config: rtipc
// #include "shim.h"
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// ProduceMode says what Produce does when the queue is full.
type ProduceMode uint32

const (
	Force ProduceMode = C.RTIPC_PRODUCE_FORCE // discard the oldest waiting message
	Try   ProduceMode = C.RTIPC_PRODUCE_TRY   // publish nothing: QueueFull
)

// ProduceResult is what Produce did.
type ProduceResult int

const (
	Published          ProduceResult = C.RTIPC_PUBLISHED           // the message is in the queue
	PublishedDiscarded ProduceResult = C.RTIPC_PUBLISHED_DISCARDED // ... and the oldest waiting one was dropped
	QueueFull          ProduceResult = C.RTIPC_QUEUE_FULL          // nothing published; the message stays in Msg
)

// Producer writes one channel. One goroutine at a time may use it (its
// getters excepted); it is not safe for concurrent use.
type Producer struct {
	c    *C.rtipc_producer
	h    C.uintptr_t // c as an integer, for the hot path
	size int
	msg  []byte
}

func newProducer(c *C.rtipc_producer) *Producer {
	p := &Producer{c: c, h: C.uintptr_t(uintptr(unsafe.Pointer(c))), size: int(C.rtipc_producer_msg_size(c))}
	p.msg = unsafe.Slice((*byte)(C.rtipc_producer_msg(c)), p.size)
	return p
}

// Msg is the slot to write the next message in: MsgSize bytes of shared
// memory, zero copy.
//
// Lifetime: the slice is valid until the next Produce that publishes, or
// Close, and nothing guards it. After a Produce it points at a slot the
// peer may be reading; after Close the memory is unmapped and using the
// slice kills the program ("fatal error: fault"). Take Msg again after
// every Produce and never keep it; Send copies instead.
func (p *Producer) Msg() []byte { return p.msg }

// Send copies data into the slot and produces it: the copying, safe way to
// write a message. Data longer than MsgSize is an *Error matching
// syscall.EMSGSIZE (nothing is written or published); shorter data leaves
// the rest of the slot as it was.
func (p *Producer) Send(data []byte, mode ProduceMode) (ProduceResult, error) {
	if p.c == nil {
		return 0, ErrClosed
	}
	if len(data) > p.size {
		return 0, &Error{Op: "send", Errno: syscall.EMSGSIZE, Msg: fmt.Sprintf(
			"%d bytes do not fit this channel's %d-byte messages; send at most %d bytes, "+
				"or create the channel with a larger MsgSize", len(data), p.size, p.size)}
	}
	copy(p.msg, data)
	return p.Produce(mode)
}

// Produce publishes the message written to Msg. Errors (a corrupt queue,
// a bad mode) are *Error values.
func (p *Producer) Produce(mode ProduceMode) (ProduceResult, error) {
	if p.c == nil {
		return 0, ErrClosed
	}
	s := C.rtipc_go_produce(p.h, C.uint(mode))
	if s.rc < 0 {
		return 0, errorOf("produce", s.rc)
	}
	p.msg = unsafe.Slice((*byte)(s.msg), p.size)
	return ProduceResult(s.rc), nil
}

// MsgSize is the channel's message size in bytes.
func (p *Producer) MsgSize() int {
	return p.size
}

// Slots is the channel's slot count (3 + AddMsgs).
func (p *Producer) Slots() int {
	if p.c == nil {
		return 0
	}
	return int(C.rtipc_producer_slots(p.c))
}

// MsgAlign is the alignment of Msg's slot (the layout's cache line).
func (p *Producer) MsgAlign() int {
	if p.c == nil {
		return 0
	}
	return int(C.rtipc_producer_msg_align(p.c))
}

// Info is a copy of the channel's info bytes.
func (p *Producer) Info() []byte {
	if p.c == nil {
		return nil
	}
	var n C.size_t
	ptr := C.rtipc_producer_info(p.c, &n)
	return copyBytes(unsafe.Pointer(ptr), n)
}

// Fd is the channel's eventfd, or -1 when it has none. Owned by the producer.
func (p *Producer) Fd() int {
	if p.c == nil {
		return -1
	}
	fd := int(C.rtipc_producer_fd(p.c))
	if fd < 0 {
		return -1
	}
	return fd
}

// Pending is how many published messages the consumer has not taken yet.
// Safe to call while another goroutine produces.
func (p *Producer) Pending() (int, error) {
	if p.c == nil {
		return 0, ErrClosed
	}
	n := C.rtipc_producer_pending(p.c)
	return int(n), errorOf("pending", n)
}

// PeerAlive reports whether the peer process still runs (an error matching
// syscall.ENOTSUP when that is unknown). One poll(2).
func (p *Producer) PeerAlive() (bool, error) {
	if p.c == nil {
		return false, ErrClosed
	}
	r := C.rtipc_producer_peer_alive(p.c)
	return r == 1, errorOf("peer alive", r)
}

// Close destroys the producer and unmaps its memory: a slice from Msg must
// not be used afterwards.
func (p *Producer) Close() error {
	if p.c != nil {
		C.rtipc_producer_destroy(p.c)
		p.c = nil
		p.msg = nil
	}
	return nil
}
