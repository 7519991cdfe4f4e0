package rtipc

// #cgo pkg-config: rtipc
// #include "shim.h"
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// Proposal is what a server's Filter sees of a client's group, in the
// server's terms (its producers are the channels the client consumes). It
// is valid only during the Filter call: afterwards every getter returns
// zero values.
type Proposal struct {
	c *C.rtipc_proposal
}

//export rtipcGoFilter
func rtipcGoFilter(p *C.rtipc_proposal, handle C.uintptr_t) (accept C.int) {
	// A panic must not unwind through the C frames of the accept: it rejects.
	defer func() {
		if recover() != nil {
			accept = 0
		}
	}()
	filter := cgo.Handle(handle).Value().(func(*Proposal) bool)
	proposal := &Proposal{c: p}
	defer func() { proposal.c = nil }()
	if filter(proposal) {
		return 1
	}
	return 0
}

func (p *Proposal) ProducerCount() int {
	if p.c == nil {
		return 0
	}
	return int(C.rtipc_proposal_producer_count(p.c))
}

func (p *Proposal) ConsumerCount() int {
	if p.c == nil {
		return 0
	}
	return int(C.rtipc_proposal_consumer_count(p.c))
}

// Producer and Consumer describe channel index of the proposal.
func (p *Proposal) Producer(index int) (ChannelConfig, error) {
	if p.c == nil {
		return ChannelConfig{}, ErrClosed
	}
	c := C.struct_rtipc_channel_config{size: C.sizeof_struct_rtipc_channel_config}
	if rc := C.rtipc_proposal_producer_config(p.c, C.uint32_t(index), &c); rc < 0 {
		return ChannelConfig{}, errorOf("proposal producer", rc)
	}
	return channelConfigFrom(&c), nil
}

func (p *Proposal) Consumer(index int) (ChannelConfig, error) {
	if p.c == nil {
		return ChannelConfig{}, ErrClosed
	}
	c := C.struct_rtipc_channel_config{size: C.sizeof_struct_rtipc_channel_config}
	if rc := C.rtipc_proposal_consumer_config(p.c, C.uint32_t(index), &c); rc < 0 {
		return ChannelConfig{}, errorOf("proposal consumer", rc)
	}
	return channelConfigFrom(&c), nil
}

// Info is a copy of the group's info bytes.
func (p *Proposal) Info() []byte {
	if p.c == nil {
		return nil
	}
	var n C.size_t
	ptr := C.rtipc_proposal_info(p.c, &n)
	return copyBytes(unsafe.Pointer(ptr), n)
}

func (p *Proposal) RegionSize() uint64 {
	if p.c == nil {
		return 0
	}
	return uint64(C.rtipc_proposal_region_size(p.c))
}

func (p *Proposal) Cacheline() uint32 {
	if p.c == nil {
		return 0
	}
	return uint32(C.rtipc_proposal_cacheline(p.c))
}

// PeerPID, PeerUID and PeerGID are the client's credentials (pid 0 when
// unknown).
func (p *Proposal) PeerPID() int {
	if p.c == nil {
		return 0
	}
	return int(C.rtipc_proposal_peer_pid(p.c))
}

func (p *Proposal) PeerUID() uint32 {
	if p.c == nil {
		return 0
	}
	return uint32(C.rtipc_proposal_peer_uid(p.c))
}

func (p *Proposal) PeerGID() uint32 {
	if p.c == nil {
		return 0
	}
	return uint32(C.rtipc_proposal_peer_gid(p.c))
}
