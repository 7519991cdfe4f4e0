package rtipc

// #cgo pkg-config: rtipc
// #include "shim.h"
import "C"

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// codeRejected is RTIPC_EREJECTED: the library's own code beyond errno.
const codeRejected = syscall.Errno(C.RTIPC_EREJECTED)

// ErrRejected matches (with errors.Is) an Error saying that the server, or
// its filter, refused the client's group.
var ErrRejected = errors.New("rtipc: rejected by the server")

// ErrClosed is returned by methods called on a handle after its Close.
var ErrClosed = errors.New("rtipc: use of a closed handle")

// Error is a failed call of the C library. Errno is the errno value the call
// returned (negated there), or RTIPC_EREJECTED (4096); errors.Is sees
// through an Error to its Errno (errors.Is(err, syscall.ENOENT)), and also
// matches ErrRejected, and os.ErrDeadlineExceeded and
// context.DeadlineExceeded for a timeout.
type Error struct {
	Op    string        // what was called: "listen", "accept", "connect", ...
	Errno syscall.Errno // the errno (or library code)
	Msg   string        // the library's message for the failure
}

func (e *Error) Error() string { return "rtipc: " + e.Op + ": " + e.Msg }

// Unwrap returns the Errno.
func (e *Error) Unwrap() error { return e.Errno }

// Is reports whether the error matches ErrRejected or, for ETIMEDOUT, a
// deadline error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrRejected:
		return e.Errno == codeRejected
	case os.ErrDeadlineExceeded, context.DeadlineExceeded:
		return e.Errno == syscall.ETIMEDOUT
	}
	return false
}

// Timeout reports whether the call timed out (net.Error's convention).
func (e *Error) Timeout() bool { return e.Errno == syscall.ETIMEDOUT }

// errorFrom turns a status filled by a shim call into an error (nil when
// the call succeeded).
func errorFrom(op string, st *C.struct_rtipc_go_status) error {
	if st.rc >= 0 {
		return nil
	}
	return &Error{Op: op, Errno: syscall.Errno(-st.rc), Msg: C.GoString(&st.msg[0])}
}

// errorOf is errorFrom for calls whose message is not kept (the hot path):
// the static description of the code.
func errorOf(op string, rc C.int) error {
	if rc >= 0 {
		return nil
	}
	return &Error{Op: op, Errno: syscall.Errno(-rc), Msg: C.GoString(C.rtipc_strerror(rc))}
}

// deadlineError is what a wait returns when its context's deadline passed.
func deadlineError(op string) error {
	return &Error{Op: op, Errno: syscall.ETIMEDOUT, Msg: "deadline exceeded"}
}

// Version is the run-time library's version, "MAJOR.MINOR.MICRO".
func Version() string { return C.GoString(C.rtipc_version()) }

// DefaultCacheline is the cache line the library lays a group out with when
// its config says 0.
func DefaultCacheline() uint32 { return uint32(C.rtipc_default_cacheline()) }
