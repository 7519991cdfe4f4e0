#include "log.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "error.hpp"

namespace rtipc {
namespace {

void stderr_sink(rtipc_log_level level, const char* text, void*) {
  static const char* const kNames[] = {"", "error", "warning", "info", "debug"};
  std::fprintf(stderr, "rtipc %s: %s\n", kNames[level], text);
}

std::mutex g_mutex;
LogSink g_sink = stderr_sink;
void* g_user = nullptr;
std::atomic<int> g_max_level{static_cast<int>(LogLevel::kError)};

}  // namespace

void set_log_sink(LogSink sink, void* user, LogLevel max_level) {
  std::lock_guard lock(g_mutex);
  g_sink = sink ? sink : stderr_sink;
  g_user = user;
  g_max_level.store(static_cast<int>(max_level), std::memory_order_relaxed);
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_max_level.load(std::memory_order_relaxed);
}

void log_text(LogLevel level, std::string_view text) {
  std::string copy(text);  // the sink wants a terminated string
  std::lock_guard lock(g_mutex);
  g_sink(static_cast<rtipc_log_level>(level), copy.c_str(), g_user);
}

void fail_errno(const std::string& what) {
  int err = errno;
  throw Error(-err, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace rtipc
