#include "refusal.hpp"

#include <cerrno>

#include "error.hpp"

namespace rtipc {
namespace {

// The reasons a client learns: a limit (E2BIG), a malformed request
// (EBADMSG, EINVAL), bad descriptors (EBADF, EACCES), the server's memory
// (ENOMEM) and its filter (kErrRejected). Never EPERM, whose -1 is the
// protocol's reasonless refusal; never a code a client could mistake for a
// local condition (EINTR, ETIMEDOUT, ...).
bool is_reason(int code) {
  switch (-code) {
    case E2BIG:
    case EBADMSG:
    case EINVAL:
    case EBADF:
    case EACCES:
    case ENOMEM:
    case kErrRejected:
      return true;
    default:
      return false;
  }
}

}  // namespace

int32_t refusal_answer(int code) {
  if (code == -EPERM) code = -EACCES;
  return is_reason(code) ? code : -1;
}

int refusal_from_answer(int32_t answer) {
  return is_reason(answer) ? answer : -kErrRejected;
}

}  // namespace rtipc
