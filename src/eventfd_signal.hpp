// Adding a count to an eventfd in a way no peer can block (issue 18, item 1).
//
// The peer shares the eventfd's open file description, and with it
// O_NONBLOCK, which it may clear at any time: a write(2) of ours then waits
// while the peer keeps the counter full, and a check of the flag or of the
// counter before the write leaves a window that the peer can win.
// pwritev2(RWF_NOWAIT) is refused for eventfds.
//
// The kernel has its own way of adding a count, which never waits (at the
// counter's top it adds nothing: the consumer has a wake-up coming
// anyway), and Linux AIO offers it to us: a request submitted with
// IOCB_FLAG_RESFD adds one count to the eventfd it names when it
// completes. So a signal is one io_submit(2) of a read of zero bytes, which
// completes inside the call, on this thread: no kernel worker, no hop, and
// no state per eventfd.
//
// The AIO context belongs to the thread (made on first use, destroyed when
// the thread ends), with a memfd to read from. A forked child makes its own
// (AIO contexts are not inherited). Where AIO is missing, forbidden
// (RTIPC_NO_KERNEL_SIGNAL) or out of contexts (fs.aio-max-nr), the caller
// falls back to poll(2) and write(2).
#pragma once

namespace rtipc {

// Whether this thread can signal eventfds so (setting it up on first
// use; where it cannot, one log line at info level says why).
bool kernel_signal_available();

// Adds one count to the eventfd `fd`, never waiting whatever the file's
// flags. One io_submit(2); one more every kReapEvery calls, to take the
// completions. Returns 0 or -errno. Only after kernel_signal_available().
int kernel_signal(int fd);

}  // namespace rtipc
