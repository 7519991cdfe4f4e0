package rtipc

// #cgo pkg-config: rtipc
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime/cgo"
	"syscall"
	"time"
	"unsafe"
)

// Server listens on a Unix socket and accepts clients' groups.
type Server struct {
	c      *C.rtipc_server
	filter cgo.Handle // 0 without a filter
}

// Listen creates a server on path with config (nil: defaults). A stale
// socket file nobody listens on is replaced; a live server there gives
// syscall.EADDRINUSE.
func Listen(path string, config *ServerConfig) (*Server, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	cfg := C.struct_rtipc_server_config{size: C.sizeof_struct_rtipc_server_config}
	s := &Server{}
	if config != nil {
		cfg.group_flags = C.uint32_t(config.GroupFlags)
		switch {
		case config.RequestTimeout < 0:
			cfg.request_timeout_ms = -1
		case config.RequestTimeout > 0:
			cfg.request_timeout_ms = C.int32_t((config.RequestTimeout + time.Millisecond - 1) / time.Millisecond)
		}
		cfg.backlog = C.int32_t(config.Backlog)
		cfg.socket_mode = C.uint32_t(config.SocketMode.Perm())
		cfg.min_cacheline = C.uint32_t(config.MinCacheline)
		cfg.max_channels = C.uint32_t(config.MaxChannels)
		cfg.max_slots = C.uint32_t(config.MaxSlots)
		cfg.max_region_size = C.uint64_t(config.MaxRegionSize)
		cfg.max_private_size = C.uint64_t(config.MaxPrivateSize)
		if config.Filter != nil {
			s.filter = cgo.NewHandle(config.Filter)
			C.rtipc_go_set_filter(&cfg, C.uintptr_t(s.filter))
		}
	}
	var st C.struct_rtipc_go_status
	C.rtipc_go_server_create(&st, cpath, &cfg, &s.c)
	if err := errorFrom("listen", &st); err != nil {
		if s.filter != 0 {
			s.filter.Delete()
		}
		return nil, err
	}
	return s, nil
}

// Accept accepts one client and returns its group. It waits until a client
// is accepted, the context is cancelled, or its deadline passes (then the
// error matches os.ErrDeadlineExceeded and context.DeadlineExceeded).
// A client that the filter refused gives an error matching ErrRejected;
// the server is ready for the next client after any error.
func (s *Server) Accept(ctx context.Context) (*Group, error) {
	if s.c == nil {
		return nil, ErrClosed
	}
	for {
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, deadlineError("accept")
			}
			return nil, fmt.Errorf("rtipc: accept: %w", err)
		}
		var st C.struct_rtipc_go_status
		var g *C.rtipc_group
		C.rtipc_go_server_accept(&st, s.c, C.int(sliceMs(ctx)), &g)
		err := errorFrom("accept", &st)
		if err == nil {
			return &Group{c: g}, nil
		}
		var e *Error
		if errors.As(err, &e) && (e.Errno == syscall.ETIMEDOUT || e.Errno == syscall.EINTR) {
			continue // a slice ended or a signal came; the context decides
		}
		return nil, err
	}
}

// Fd is the listening descriptor, readable when a client waits. Owned by
// the server.
func (s *Server) Fd() int {
	if s.c == nil {
		return -1
	}
	return int(C.rtipc_server_fd(s.c))
}

// Close stops listening and removes the socket file.
func (s *Server) Close() error {
	if s.c != nil {
		C.rtipc_server_destroy(s.c)
		s.c = nil
	}
	if s.filter != 0 {
		s.filter.Delete()
		s.filter = 0
	}
	return nil
}
