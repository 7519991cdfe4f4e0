// Issue 18, item 5: bytes a peer chose come out escaped wherever librtipc
// prints them. A client (a second process) hands the server a memfd, named
// with a newline and an escape sequence, where an eventfd belongs; the
// server's rtipc_last_error() and log lines show the name escaped, on one
// line, with no control character.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "../handshake/helpers.hpp"
#include "escape.hpp"
#include "fdpass.h"
#include "rtipc/rtipc.h"

namespace {

constexpr char kForgedName[] = "x\n[rtipc] forged line\x1b[2J";

bool has_control(const std::string& s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

// A client that sends a good request and descriptors, except for a memfd
// with the forged name in the eventfd's place. Returns 0 once it is sent.
int forging_client(const std::string& path) {
  const rtipc_channel_config ch = test::channel(16, 0, true);
  const rtipc_group_config config = test::group_config(&ch, 1);
  rtipc_group* group = nullptr;
  if (rtipc_group_create(&config, &group) != 0) return 1;
  uint8_t request[512];
  const int size = rtipc_group_request(group, request, sizeof request);
  int fds[2];
  if (size <= 0 || rtipc_group_fds(group, fds, 2) != 2) return 2;
  fds[1] = ::memfd_create(kForgedName, MFD_CLOEXEC);
  if (fds[1] < 0) return 3;
  const int sock = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return 4;
  if (fdpass_send(sock, request, static_cast<size_t>(size), fds, 2) != 0) return 5;
  char reply[8];
  (void)::recv(sock, reply, sizeof reply, 0);  // the server's answer, whatever it is
  return 0;
}

TEST(Escape, PeerChosenMemfdNameIsEscapedInLastErrorAndLog) {
  test::TempDir dir;
  const std::string path = dir.path("escape.sock");
  rtipc_server* server = nullptr;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  test::LogCapture log(RTIPC_LOG_DEBUG);
  const pid_t child = test::spawn([&] { return forging_client(path); });
  rtipc_group* group = nullptr;
  EXPECT_EQ(rtipc_server_accept(server, 10000, &group), -EBADF);
  const std::string error = rtipc_last_error();
  EXPECT_NE(error.find("x\\x0a[rtipc] forged line\\x1b[2J"), std::string::npos) << error;
  EXPECT_FALSE(has_control(error)) << error;
  bool quoted = false;
  for (const std::string& line : log.lines()) {
    EXPECT_FALSE(has_control(line)) << line;
    quoted |= line.find("forged line") != std::string::npos;
  }
  EXPECT_TRUE(quoted) << log.all();
  EXPECT_EQ(test::reap(child), 0);
  rtipc_server_destroy(server);
}

TEST(Escape, UntrustedBytesKeepOnlyPrintableAscii) {
  using rtipc::escape_untrusted;
  EXPECT_EQ(escape_untrusted("plain name-1.sock"), "plain name-1.sock");
  EXPECT_EQ(escape_untrusted(std::string("a\nb\x1b[0m\\c\x7f\xc2\x9b", 12)),
            "a\\x0ab\\x1b[0m\\\\c\\x7f\\xc2\\x9b");
  EXPECT_EQ(escape_untrusted(std::string("\0z", 2)), "\\x00z");
}

TEST(Escape, ControlsAreEscapedWithoutOverrunningTheBuffer) {
  char out[8];
  EXPECT_EQ(rtipc::escape_controls("ab\ncd", out, sizeof out), 7u);
  EXPECT_STREQ(out, "ab\\x0ac");
  EXPECT_EQ(rtipc::escape_controls("abcdefghij", out, sizeof out), 7u);
  EXPECT_STREQ(out, "abcdefg");
  EXPECT_EQ(rtipc::escape_controls("abcdef\n", out, sizeof out), 6u);  // no half escape
  EXPECT_STREQ(out, "abcdef");
}

}  // namespace
