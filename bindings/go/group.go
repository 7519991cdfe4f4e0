package rtipc

// #cgo pkg-config: rtipc
// #include <stdlib.h>
// #include <string.h>
// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"syscall"
	"unsafe"
)

// Group is a channel group: the producers and consumers one client and its
// server share. Take its channels out with TakeProducer and TakeConsumer;
// they outlive the group, so Close it once they are taken.
type Group struct {
	c *C.rtipc_group
}

// Connect creates a group from config, connects to the server listening at
// path, and hands the group over. It returns once the server has answered,
// the context is cancelled, or its deadline passes. Errors: *Error with
// syscall.ENOENT or syscall.ECONNREFUSED when no server is there,
// ErrRejected when the server said no, a deadline error, or the context's
// error after a cancel.
func Connect(ctx context.Context, path string, config GroupConfig) (*Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("rtipc: connect: %w", err)
	}
	// The socket is ours, not the library's, so that a cancel can shut it
	// down under the blocked handshake.
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &Error{Op: "connect", Errno: err.(syscall.Errno), Msg: err.Error()}
	}
	defer syscall.Close(fd)
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		errno, _ := err.(syscall.Errno)
		return nil, &Error{Op: "connect", Errno: errno, Msg: "connect to " + path + ": " + err.Error()}
	}

	cfg := newCGroupConfig(config)
	defer cfg.free()

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			_ = syscall.Shutdown(fd, syscall.SHUT_RDWR)
		case <-stop:
		}
	}()
	var st C.struct_rtipc_go_status
	var g *C.rtipc_group
	C.rtipc_go_client_connect_socket(&st, C.int(fd), cfg.group, C.int(timeoutMs(ctx)), &g)
	close(stop)
	<-done
	if err := errorFrom("connect", &st); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, deadlineError("connect")
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("rtipc: connect: %w", ctx.Err())
		}
		return nil, err
	}
	return &Group{c: g}, nil
}

// Close destroys the group and the channels not taken out of it.
func (g *Group) Close() error {
	if g.c != nil {
		C.rtipc_group_destroy(g.c)
		g.c = nil
	}
	return nil
}

// TakeProducer takes producer index out of the group; the caller closes it.
func (g *Group) TakeProducer(index int) (*Producer, error) {
	if g.c == nil {
		return nil, ErrClosed
	}
	var st C.struct_rtipc_go_status
	var p *C.rtipc_producer
	C.rtipc_go_take_producer(&st, g.c, C.uint32_t(index), &p)
	if err := errorFrom("take producer", &st); err != nil {
		return nil, err
	}
	return newProducer(p), nil
}

// TakeConsumer takes consumer index out of the group; the caller closes it.
func (g *Group) TakeConsumer(index int) (*Consumer, error) {
	if g.c == nil {
		return nil, ErrClosed
	}
	var st C.struct_rtipc_go_status
	var c *C.rtipc_consumer
	C.rtipc_go_take_consumer(&st, g.c, C.uint32_t(index), &c)
	if err := errorFrom("take consumer", &st); err != nil {
		return nil, err
	}
	return newConsumer(c), nil
}

// ProducerCount and ConsumerCount are the group's channel counts, in the
// terms of this side.
func (g *Group) ProducerCount() int {
	if g.c == nil {
		return 0
	}
	return int(C.rtipc_group_producer_count(g.c))
}

func (g *Group) ConsumerCount() int {
	if g.c == nil {
		return 0
	}
	return int(C.rtipc_group_consumer_count(g.c))
}

// Info returns a copy of the group's info bytes (nil when none).
func (g *Group) Info() []byte {
	if g.c == nil {
		return nil
	}
	var n C.size_t
	p := C.rtipc_group_info(g.c, &n)
	return copyBytes(p, n)
}

// PeerPID is the peer process's pid from the handshake.
func (g *Group) PeerPID() int {
	if g.c == nil {
		return 0
	}
	return int(C.rtipc_group_peer_pid(g.c))
}

// Cacheline is the cache line the region is laid out with.
func (g *Group) Cacheline() int {
	if g.c == nil {
		return 0
	}
	return int(C.rtipc_group_cacheline(g.c))
}

// RegionSize is the size of the shared region in bytes.
func (g *Group) RegionSize() uint64 {
	if g.c == nil {
		return 0
	}
	return uint64(C.rtipc_group_region_size(g.c))
}

// PeerFd is a pidfd (owned by the group) readable once the peer process has
// exited, for a Waitset's AddPeer or poll; syscall.ENOTSUP when unknown.
func (g *Group) PeerFd() (int, error) {
	if g.c == nil {
		return -1, ErrClosed
	}
	r := C.rtipc_group_peer_fd(g.c)
	return int(r), errorOf("peer fd", r)
}

// ProducerConfig and ConsumerConfig describe channel index of this side.
func (g *Group) ProducerConfig(index int) (ChannelConfig, error) {
	if g.c == nil {
		return ChannelConfig{}, ErrClosed
	}
	c := C.struct_rtipc_channel_config{size: C.sizeof_struct_rtipc_channel_config}
	if rc := C.rtipc_group_producer_config(g.c, C.uint32_t(index), &c); rc < 0 {
		return ChannelConfig{}, errorOf("producer config", rc)
	}
	return channelConfigFrom(&c), nil
}

func (g *Group) ConsumerConfig(index int) (ChannelConfig, error) {
	if g.c == nil {
		return ChannelConfig{}, ErrClosed
	}
	c := C.struct_rtipc_channel_config{size: C.sizeof_struct_rtipc_channel_config}
	if rc := C.rtipc_group_consumer_config(g.c, C.uint32_t(index), &c); rc < 0 {
		return ChannelConfig{}, errorOf("consumer config", rc)
	}
	return channelConfigFrom(&c), nil
}

func channelConfigFrom(c *C.struct_rtipc_channel_config) ChannelConfig {
	return ChannelConfig{
		MsgSize: uint32(c.msg_size),
		AddMsgs: uint32(c.add_msgs),
		Eventfd: c.flags&C.RTIPC_CHANNEL_EVENTFD != 0,
		Info:    copyBytes(c.info, C.size_t(c.info_size)),
	}
}

func copyBytes(p unsafe.Pointer, n C.size_t) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return C.GoBytes(p, C.int(n))
}

// cGroupConfig is a GroupConfig in C memory: the library's struct may not
// point into Go memory that holds pointers.
type cGroupConfig struct {
	group *C.struct_rtipc_group_config
	mem   []unsafe.Pointer
}

func (c *cGroupConfig) alloc(n int) unsafe.Pointer {
	p := C.calloc(1, C.size_t(n))
	c.mem = append(c.mem, p)
	return p
}

func (c *cGroupConfig) bytes(b []byte) (unsafe.Pointer, C.uint32_t) {
	if len(b) == 0 {
		return nil, 0
	}
	p := c.alloc(len(b))
	C.memcpy(p, unsafe.Pointer(&b[0]), C.size_t(len(b)))
	return p, C.uint32_t(len(b))
}

func (c *cGroupConfig) channels(chs []ChannelConfig) *C.struct_rtipc_channel_config {
	if len(chs) == 0 {
		return nil
	}
	p := (*C.struct_rtipc_channel_config)(c.alloc(len(chs) * C.sizeof_struct_rtipc_channel_config))
	arr := unsafe.Slice(p, len(chs))
	for i, ch := range chs {
		arr[i].size = C.sizeof_struct_rtipc_channel_config
		arr[i].msg_size = C.uint32_t(ch.MsgSize)
		arr[i].add_msgs = C.uint32_t(ch.AddMsgs)
		if ch.Eventfd {
			arr[i].flags = C.RTIPC_CHANNEL_EVENTFD
		}
		arr[i].info, arr[i].info_size = c.bytes(ch.Info)
	}
	return p
}

func newCGroupConfig(g GroupConfig) *cGroupConfig {
	c := &cGroupConfig{}
	c.group = (*C.struct_rtipc_group_config)(c.alloc(C.sizeof_struct_rtipc_group_config))
	c.group.size = C.sizeof_struct_rtipc_group_config
	c.group.flags = C.uint32_t(g.Flags)
	c.group.producers = c.channels(g.Producers)
	c.group.consumers = c.channels(g.Consumers)
	c.group.producer_count = C.uint32_t(len(g.Producers))
	c.group.consumer_count = C.uint32_t(len(g.Consumers))
	c.group.info, c.group.info_size = c.bytes(g.Info)
	c.group.cacheline = C.uint32_t(g.Cacheline)
	return c
}

func (c *cGroupConfig) free() {
	for _, p := range c.mem {
		C.free(p)
	}
	c.mem = nil
}
