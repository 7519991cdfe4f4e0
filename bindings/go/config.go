package rtipc

import (
	"os"
	"time"
)

// ChannelConfig is one channel of a group.
type ChannelConfig struct {
	MsgSize uint32 // bytes per message, 1 .. 64 MiB
	AddMsgs uint32 // slots beyond the minimum of 3
	Eventfd bool   // the channel has an eventfd, so Consumer.Wait can sleep
	Info    []byte // opaque metadata for the peer, at most 65536 bytes
}

// GroupFlags are the RTIPC_GROUP_* flags: local to one side, never sent.
type GroupFlags uint32

const (
	Mlock         GroupFlags = 0x1 // mlock the region; a failure is a warning
	MlockRequired GroupFlags = 0x2 // mlock the region; a failure fails the setup
	ProducerCache GroupFlags = 0x4 // producers write a private copy, copied on produce
)

// GroupConfig is a group in the terms of the client that creates it: its
// Producers are the channels the client writes.
type GroupConfig struct {
	Producers []ChannelConfig
	Consumers []ChannelConfig
	Info      []byte
	Flags     GroupFlags
	Cacheline uint32 // layout cache line, power of two 8..4096; 0: DefaultCacheline()
}

// ServerConfig is how a server takes its clients' groups. Every zero field
// takes the library's default.
type ServerConfig struct {
	// Filter, when set, decides on each client's proposal before anything
	// of it is mapped; true accepts. It runs on the goroutine that called
	// Accept. A panic in it rejects the client.
	Filter         func(p *Proposal) bool
	GroupFlags     GroupFlags
	RequestTimeout time.Duration // a client's time to send its request; 0: 1 s; <0: no limit
	Backlog        int           // listen(2) backlog; 0: SOMAXCONN
	SocketMode     os.FileMode   // permission bits of the socket file; 0: the umask's
	MinCacheline   uint32        // refuse layouts with a smaller cache line
	MaxChannels    uint32        // per group, both directions; 0: 64
	MaxSlots       uint32        // per channel; 0: 4096
	MaxRegionSize  uint64        // bytes of the shared region; 0: 64 MiB
	MaxPrivateSize uint64        // bytes the server allocates for one group; 0: 16 MiB
}
