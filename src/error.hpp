// Setup failures travel as rtipc::Error (a negative errno or library code plus
// a message); the C wrapper turns them into return codes. The hot path never
// throws.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace rtipc {

// The library's own code beside the errnos (rtipc.h's RTIPC_EREJECTED; capi/
// checks that they agree): the server, or its filter, said no.
inline constexpr int kErrRejected = 4096;

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }  // negative

 private:
  int code_;
};

template <typename... Args>
[[noreturn]] void fail(int code, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

// Throws Error(-errno, "<what>: <strerror>") for the current errno.
[[noreturn]] void fail_errno(const std::string& what);

}  // namespace rtipc
