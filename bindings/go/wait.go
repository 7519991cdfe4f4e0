package rtipc

// #include "shim.h"
import "C"

import (
	"context"
	"sync"
	"syscall"
	"time"
)

// timeoutMs is the C timeout for a context: its deadline, or -1 (no limit).
func timeoutMs(ctx context.Context) int {
	d, ok := ctx.Deadline()
	if !ok {
		return -1
	}
	return msUntil(d)
}

func msUntil(d time.Time) int {
	left := time.Until(d)
	if left <= 0 {
		return 0
	}
	return int((left + time.Millisecond - 1) / time.Millisecond)
}

// A canceller turns a context's cancellation into a readable eventfd that
// sits in the waitset next to what a call waits for: a blocked wait ends at
// once, and nothing wakes up meanwhile to look at the context.
type canceller struct{ fd int }

func newCanceller() (canceller, error) {
	fd := C.rtipc_go_cancel_fd()
	if fd < 0 {
		return canceller{fd: -1}, &Error{Op: "waitset", Errno: syscall.Errno(-fd), Msg: "eventfd: " + syscall.Errno(-fd).Error()}
	}
	return canceller{fd: int(fd)}, nil
}

// arm signals the eventfd when ctx is done, until the returned func is
// called. A context that cannot be cancelled costs nothing; one that can
// costs a parked goroutine, which wakes only for the cancel or the disarm.
func (k canceller) arm(ctx context.Context) (disarm func()) {
	done := ctx.Done()
	if done == nil {
		return func() {}
	}
	stop := make(chan struct{})
	var mu sync.Mutex // no write after disarm returns: the fd may be closed then
	disarmed := false
	go func() {
		select {
		case <-done:
			mu.Lock()
			if !disarmed {
				one := [8]byte{1}
				_, _ = syscall.Write(k.fd, one[:])
			}
			mu.Unlock()
		case <-stop:
		}
	}()
	return func() {
		mu.Lock()
		disarmed = true
		mu.Unlock()
		close(stop)
	}
}

// drain takes the count so that the eventfd goes quiet.
func (k canceller) drain() {
	var buf [8]byte
	_, _ = syscall.Read(k.fd, buf[:])
}

func (k *canceller) close() {
	if k.fd >= 0 {
		syscall.Close(k.fd)
		k.fd = -1
	}
}
