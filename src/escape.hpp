// The one way librtipc prints bytes it did not choose (issue 18, item 5): a
// name a peer gave its memfd, say, may hold a newline that forges a log
// line or an escape sequence that rewrites the terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rtipc {

// Bytes from a peer, for a message: printable ASCII stays, a backslash
// becomes "\\", every other byte "\xNN".
std::string escape_untrusted(std::string_view bytes);

// The last line of defence where messages leave the library (logs,
// rtipc_last_error()): copies text into out (cap bytes, always
// terminated when cap > 0), each control character (below 0x20, and 0x7f)
// as "\xNN", everything else as it is. Never allocates. Returns the length
// written.
size_t escape_controls(std::string_view text, char* out, size_t cap);

}  // namespace rtipc
