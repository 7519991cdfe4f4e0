package rtipc

import (
	"context"
	"time"
)

// waitSlice bounds how long one blocking C call runs while a cancellable
// context waits, and so how late a cancel is noticed. The C waits cannot
// watch a Go channel; waking 40 times a second costs next to nothing.
const waitSlice = 25 * time.Millisecond

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

// sliceMs is the timeout of the next slice of a wait on ctx: the whole
// remaining time when ctx cannot be cancelled, else at most waitSlice.
func sliceMs(ctx context.Context) int {
	d, hasDeadline := ctx.Deadline()
	if ctx.Done() == nil {
		return -1
	}
	ms := int(waitSlice / time.Millisecond)
	if hasDeadline {
		if left := msUntil(d); left < ms {
			return left
		}
	}
	return ms
}
