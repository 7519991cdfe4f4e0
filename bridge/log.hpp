// One line per event on stderr, as systemd's journal expects.
#pragma once

#include <cstdarg>
#include <cstdio>

namespace bridge {

__attribute__((format(printf, 1, 2))) inline void log(const char* fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "rtipc-bridge: %s\n", line);  // one write: lines never interleave
}

}  // namespace bridge
