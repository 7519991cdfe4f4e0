// Which copy of the process this is, for state that must not cross a fork:
// an io_uring's rings are shared memory that a forked child shares with its
// parent, so a child that submitted to an inherited ring would corrupt the
// parent's (issue 18, item 4).
#pragma once

#include <cstdint>

namespace rtipc {

// 0 in the process that loaded the library, one more in each child made by
// fork(2) since (counted by a pthread_atfork handler). One relaxed atomic
// load: no system call, usable on the hot path.
uint64_t fork_generation();

}  // namespace rtipc
