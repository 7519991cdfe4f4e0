// The reason for a refusal on the wire (docs/protocol.md §5): a librtipc
// server answers a refused request with the negative errno of its reason
// instead of -1, and a librtipc client returns that reason. Both directions
// live here so that the set of reasons is written once.
#pragma once

#include <cstdint>

namespace rtipc {

// The answer a server sends for a client refused with `code` (what its
// accept call returns): the code itself when it is one of the reasons a
// client may learn, -EACCES for -EPERM (an answer of -1 means "no reason
// given" to every client), -1 for anything else.
int32_t refusal_answer(int code);

// What a client returns for a non-zero answer: the reason when it is one
// refusal_answer sends, else -kErrRejected (a -1 included).
int refusal_from_answer(int32_t answer);

}  // namespace rtipc
