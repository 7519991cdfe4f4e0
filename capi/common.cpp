// Version, run-time facts, errors and logging.
#include <climits>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "capi.hpp"
#include "escape.hpp"
#include "layout.hpp"
#include "log.hpp"

// The core's own copies of the header's values (src/ does not include it).
static_assert(rtipc::kErrRejected == RTIPC_EREJECTED);
static_assert(std::is_same_v<rtipc::LogSink, rtipc_log_fn>);
static_assert(static_cast<unsigned>(rtipc::LogLevel::kNone) == RTIPC_LOG_NONE &&
              static_cast<unsigned>(rtipc::LogLevel::kError) == RTIPC_LOG_ERROR &&
              static_cast<unsigned>(rtipc::LogLevel::kWarning) == RTIPC_LOG_WARNING &&
              static_cast<unsigned>(rtipc::LogLevel::kInfo) == RTIPC_LOG_INFO &&
              static_cast<unsigned>(rtipc::LogLevel::kDebug) == RTIPC_LOG_DEBUG);

namespace {

// A fixed buffer, so that recording a failure never allocates (the hot path
// records its -EPROTO too).
thread_local char t_last_error[512];

void keep(const char* function, const char* message) noexcept {
  const int n = std::snprintf(t_last_error, sizeof t_last_error, "%s: ", function);
  if (n < 0 || static_cast<size_t>(n) >= sizeof t_last_error) return;
  // Control characters escaped: the message may quote a peer (escape.hpp).
  rtipc::escape_controls(message, t_last_error + n, sizeof t_last_error - static_cast<size_t>(n));
}

}  // namespace

namespace rtipc::capi {

int report(const char* function, int code, const char* message, LogLevel level) noexcept {
  keep(function, message);
  if (log_enabled(level)) {
    try {
      log_text(level, t_last_error);
    } catch (...) {
      // Out of memory while logging: the code still says what happened.
    }
  }
  return code;
}

int record_if_failed(const char* function, int code) noexcept {
  if (code < 0) keep(function, rtipc_strerror(code));
  return code;
}

}  // namespace rtipc::capi

extern "C" {

RTIPC_EXPORT const char* rtipc_version(void) noexcept {
  return RTIPC_VERSION;
}
RTIPC_EXPORT unsigned rtipc_version_major(void) noexcept {
  return RTIPC_VERSION_MAJOR;
}
RTIPC_EXPORT unsigned rtipc_version_minor(void) noexcept {
  return RTIPC_VERSION_MINOR;
}
RTIPC_EXPORT unsigned rtipc_version_micro(void) noexcept {
  return RTIPC_VERSION_MICRO;
}

RTIPC_EXPORT uint32_t rtipc_default_cacheline(void) noexcept {
  return rtipc::kDefaultCacheline;
}

RTIPC_EXPORT const char* rtipc_strerror(int err) noexcept {
  if (err == INT_MIN) return "unknown error";  // cannot be negated
  if (err < 0) err = -err;
  if (err == RTIPC_EREJECTED) return "rejected by the peer";
  if (err == 0) return "success";
  // strerror's text for a known errno is a static string; an unknown one
  // would use a shared buffer, so name it ourselves.
  if (err > 4095) return "unknown error";
  return strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error";
}

RTIPC_EXPORT const char* rtipc_last_error(void) noexcept {
  return t_last_error;
}

RTIPC_EXPORT void rtipc_set_log(rtipc_log_fn fn, void* user, unsigned max_level) noexcept {
  if (max_level > RTIPC_LOG_DEBUG) max_level = RTIPC_LOG_DEBUG;
  rtipc::set_log_sink(fn, user, static_cast<rtipc::LogLevel>(max_level));
}

}  // extern "C"
