// Version, errors and logging.
#include <climits>
#include <cstring>
#include <string>

#include "capi.hpp"
#include "log.hpp"

namespace {

thread_local std::string t_last_error;

}  // namespace

namespace rtipc::capi {

int report(const char* function, int code, const char* message, LogLevel level) noexcept {
  try {
    t_last_error = std::string(function) + ": " + message;
    if (log_enabled(level)) log_text(level, t_last_error);
  } catch (...) {
    // Out of memory while reporting: the code still says what happened.
  }
  return code;
}

}  // namespace rtipc::capi

extern "C" {

RTIPC_EXPORT const char* rtipc_version(void) { return RTIPC_VERSION; }

RTIPC_EXPORT const char* rtipc_strerror(int err) {
  if (err == INT_MIN) return "unknown error";  // cannot be negated
  if (err < 0) err = -err;
  if (err == RTIPC_EREJECTED) return "rejected by the peer";
  if (err == 0) return "success";
  // strerror's text for a known errno is a static string; an unknown one
  // would use a shared buffer, so name it ourselves.
  if (err > 4095) return "unknown error";
  return strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error";
}

RTIPC_EXPORT const char* rtipc_last_error(void) { return t_last_error.c_str(); }

RTIPC_EXPORT void rtipc_set_log(rtipc_log_fn fn, void* user, enum rtipc_log_level max_level) {
  rtipc::set_log_sink(fn, user,
                      static_cast<rtipc::LogLevel>(max_level));
}

}  // extern "C"
