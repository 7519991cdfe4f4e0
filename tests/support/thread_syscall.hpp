// What /proc says a thread of this process is doing, for tests that wait
// until a thread of theirs sleeps in a given system call.
#pragma once

#include <sys/types.h>

#include <fstream>
#include <string>

namespace test_support {

// The number of the system call thread `tid` is in, from
// /proc/self/task/TID/syscall; -1 when it is running or unknown.
inline long syscall_of(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long nr = -1;
  in >> nr;
  return nr;
}

}  // namespace test_support
