// Library-wide logging. Silent by default; RTIPC_LOG=error|warning|info|debug
// sends that much to stderr, and the application may install its own sink.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace rtipc {

// The values and the sink's type are rtipc.h's (RTIPC_LOG_*, rtipc_log_fn);
// capi/ checks that they agree.
enum class LogLevel { kNone = 0, kError = 1, kWarning = 2, kInfo = 3, kDebug = 4 };

using LogSink = void (*)(unsigned level, const char* text, void* user);

// A null sink restores the default (stderr). Thread-safe.
void set_log_sink(LogSink sink, void* user, LogLevel max_level);

bool log_enabled(LogLevel level);
void log_text(LogLevel level, std::string_view text);

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(level)) log_text(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace rtipc
