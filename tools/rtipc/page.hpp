// Reads a process's statistics page (src/stats_page.h) and the depth of its
// channels' queues from their shared regions, both mapped read-only through
// /proc/PID/fd.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "stats_page.h"

namespace rtipc_tool {

struct PageSnapshot {
  rtipc_stats_header header{};
  std::vector<rtipc_stats_record> records;  // consistent copies of the live ones
};

// Reads the page at /proc/PID/fd/FD. Returns 0, or -errno (-EACCES: not
// ours to read; -EPROTO: not a page of a version we know, or of another
// process, as a forked child inherits its parent's).
int read_page(pid_t pid, int fd, PageSnapshot* out);

// Messages waiting in a channel's queue, read from the owner's shared
// region (record.region_fd, confirmed by its inode); -errno when it cannot
// be read.
int queue_depth(pid_t pid, const rtipc_stats_record& channel);

}  // namespace rtipc_tool
