#include "log.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "escape.hpp"

#include "error.hpp"

namespace rtipc {
namespace {

void stderr_sink(unsigned level, const char* text, void*) {
  static const char* const kNames[] = {"", "error", "warning", "info", "debug"};
  std::fprintf(stderr, "rtipc %s: %s\n", kNames[level], text);
}

// Silent unless RTIPC_LOG names a level: a library should not write to a
// program's stderr uninvited.
LogLevel level_from_environment() {
  const char* value = std::getenv("RTIPC_LOG");
  if (!value) return LogLevel::kNone;
  static const char* const kNames[] = {"none", "error", "warning", "info", "debug"};
  for (int i = 0; i < 5; ++i)
    if (std::strcmp(value, kNames[i]) == 0) return static_cast<LogLevel>(i);
  return LogLevel::kError;  // set to something else: errors at least
}

// Recursive, so that a sink may call rtipc_set_log (or fail a call that
// logs) on its own thread; other threads wait, so once rtipc_set_log
// returns the old sink is never called again.
std::recursive_mutex g_mutex;
LogSink g_sink = stderr_sink;
void* g_user = nullptr;
constexpr int kUnset = -1;
std::atomic<int> g_max_level{kUnset};

int max_level() {
  int level = g_max_level.load(std::memory_order_relaxed);
  if (level != kUnset) return level;
  int expected = kUnset;
  g_max_level.compare_exchange_strong(expected, static_cast<int>(level_from_environment()));
  return g_max_level.load(std::memory_order_relaxed);
}

}  // namespace

void set_log_sink(LogSink sink, void* user, LogLevel max_level) {
  std::lock_guard lock(g_mutex);
  g_sink = sink ? sink : stderr_sink;
  g_user = user;
  g_max_level.store(static_cast<int>(max_level), std::memory_order_relaxed);
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= max_level();
}

void log_text(LogLevel level, std::string_view text) {
  // The sink wants a terminated string, one line (escape.hpp).
  std::string copy(text.size() * 4 + 1, '\0');
  copy.resize(escape_controls(text, copy.data(), copy.size()));
  std::lock_guard lock(g_mutex);
  g_sink(static_cast<unsigned>(level), copy.c_str(), g_user);
}

void fail_errno(const std::string& what) {
  int err = errno;
  throw Error(-err, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace rtipc
