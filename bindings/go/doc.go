// Package rtipc is the Go binding of librtipc: real-time inter-process
// communication through shared memory, speaking the rtipc wire protocol.
//
// A client describes a group of channels (GroupConfig) and hands it to a
// server with Connect; the server takes it with Server.Accept. Each side
// then takes its channels out of the Group: a Producer for every channel it
// writes, a Consumer for every channel it reads. Messages have a fixed size
// and live in wait-free single-producer single-consumer queues.
//
// The hot path is zero copy: Producer.Msg and Consumer.Msg are []byte
// slices over the shared memory itself. A slice is valid only until the
// next Produce (Consume) on its handle, or its Close, and nothing guards
// it: kept past the next call it shows another message, kept past Close it
// kills the program. Take it again after each call. The safe path copies:
// Consumer.CopyMsg for what you keep or check (the peer process is
// untrusted and can change message bytes while you read them), and
// Producer.Send to write (data longer than a message is an *Error matching
// syscall.EMSGSIZE).
//
// Errors are values: every failed library call returns an *Error with the
// errno and the library's message, comparable with errors.Is (ErrRejected,
// os.ErrDeadlineExceeded, context.DeadlineExceeded, syscall.ENOENT, ...).
// Blocking calls (Accept, Connect, Consumer.Wait) take a context.Context
// and return when it is cancelled.
//
// Each handle is used by one goroutine at a time; different handles, even
// of one group, may be used concurrently. Call Close on every handle: the
// package sets no finalizers, because a finalizer could unmap a slot that
// a live slice still points at.
//
// Build: cgo finds the library with pkg-config (package rtipc), so
// PKG_CONFIG_PATH must name the directory of rtipc.pc (or, in a librtipc
// build tree, of meson-uninstalled/rtipc-uninstalled.pc), and the dynamic
// loader must find librtipc.so.1 (installed, LD_LIBRARY_PATH or an rpath
// in CGO_LDFLAGS).
//
// The module path is librtipc.dev/rtipc. No proxy serves it: resolve it
// offline, either with a replace in your go.mod (to a checkout's
// bindings/go, or to /usr/share/gocode/src/librtipc.dev/rtipc of the
// Debian package golang-librtipc-rtipc-dev) and GOFLAGS=-mod=mod
// GOPROXY=off, or in GOPATH mode with GOPATH=/usr/share/gocode.
package rtipc // import "librtipc.dev/rtipc"
