// The client side of the handshake (docs/protocol.md §2-5): send a group's
// request and descriptors, wait for the server's 4-byte verdict.
#pragma once

#include <memory>
#include <string>

#include "group.hpp"

namespace rtipc {

// Sends group's request on a connected socket and waits for the reply until
// timeout_ms (-1: no limit) has passed since the call began. Records the
// server's process in the group (Peer: pid and pidfd). Throws Error(reason)
// for a refusal that names one (refusal_from_answer), Error(-kErrRejected)
// for any other reply but 00 00 00 00 (a -1, a short reply, a hang-up), Error(-ECONNRESET) when
// the server dropped the connection unread, Error(-ETIMEDOUT), or
// Error(-errno). Does not close sock.
void client_handshake(int sock, Group& group, int timeout_ms);

// Connects to the server at path (throws Error(-ENOENT) or
// Error(-ECONNREFUSED) when none is there, Error(-ETIMEDOUT) when its
// backlog stays full) and runs client_handshake, all within timeout_ms.
void client_connect(const std::string& path, Group& group, int timeout_ms);

}  // namespace rtipc
