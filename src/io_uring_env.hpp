// Whether this build and this process may use io_uring at all. Both the
// notifier and the waitset's io_uring backend ask here first.
#pragma once

namespace rtipc {

// True when the environment variable RTIPC_NO_IO_URING is set to anything but
// "" or "0": io_uring setup then fails as if the kernel had refused it (for
// tests of the fallback, and for users who want the plain system calls).
bool io_uring_forbidden_by_env();

}  // namespace rtipc
