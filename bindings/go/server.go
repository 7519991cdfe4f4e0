package rtipc

// #cgo pkg-config: rtipc
// #include <poll.h>
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"context"
	"errors"
	"runtime/cgo"
	"syscall"
	"time"
	"unsafe"
)

// Server listens on a Unix socket and accepts clients' groups.
type Server struct {
	c      *C.rtipc_server
	filter cgo.Handle // 0 without a filter
	ws     *Waitset   // the server descriptor and a cancel eventfd, made by Accept
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
// the server is ready for the next client after any error. With a
// cancellable context it sleeps in a waitset on the server descriptor
// and a cancel eventfd, and accepts once a client is there: nothing wakes
// up to look at the context. The handshake itself, once a client is
// there, is bounded by the server's request timeout.
func (s *Server) Accept(ctx context.Context) (*Group, error) {
	if s.c == nil {
		return nil, ErrClosed
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, contextError("accept", err)
		}
		ms := timeoutMs(ctx)
		if ctx.Done() != nil {
			if err := s.waitForClient(ctx); err != nil {
				return nil, err
			}
			ms = 0
		}
		var st C.struct_rtipc_go_status
		var g *C.rtipc_group
		C.rtipc_go_server_accept(&st, s.c, C.int(ms), &g)
		err := errorFrom("accept", &st)
		if err == nil {
			return &Group{c: g}, nil
		}
		var e *Error
		if errors.As(err, &e) && (e.Errno == syscall.EINTR || (ms == 0 && e.Errno == syscall.ETIMEDOUT)) {
			continue // a signal, or the waiting client hung up: wait again
		}
		return nil, err
	}
}

// waitForClient sleeps until the server descriptor is readable or ctx
// is done.
func (s *Server) waitForClient(ctx context.Context) error {
	if s.ws == nil {
		ws, err := NewWaitset(&WaitsetConfig{MaxEvents: 1})
		if err != nil {
			return err
		}
		if err := ws.AddFd(s.Fd(), C.POLLIN, 0); err != nil {
			ws.Close()
			return err
		}
		s.ws = ws
	}
	_, err := s.ws.Wait(ctx)
	var e *Error
	if errors.As(err, &e) {
		e.Op = "accept"
	} else if err != nil {
		err = contextError("accept", ctx.Err())
	}
	return err
}

// Fd is the server descriptor, readable when Accept has work. Owned by
// the server.
func (s *Server) Fd() int {
	if s.c == nil {
		return -1
	}
	return int(C.rtipc_server_fd(s.c))
}

// Close stops listening and removes the socket file.
func (s *Server) Close() error {
	if s.ws != nil {
		s.ws.Close()
		s.ws = nil
	}
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
