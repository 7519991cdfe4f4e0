// One limit on the whole request, 64 KiB, on the client's and the server's
// side (issue 8, item 9).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "local_group.hpp"
#include "request.hpp"
#include "server.hpp"
#include "socket.hpp"

namespace rtipc {
namespace {

using namespace test_core;

GroupSpec request_of(size_t bytes) {
  GroupSpec spec = spec_with(64, {}, {channel(8, 0)});
  spec.info.resize(bytes - kHeaderSize - kTableEntrySize);
  return spec;
}

TEST(RequestSize, CreateRefusesARequestLongerThan64KiB) {
  EXPECT_EQ(encode_request(request_of(kMaxRequestSize)).size(), kMaxRequestSize);
  EXPECT_NE(Group::create(request_of(kMaxRequestSize), {}), nullptr);
  std::string what;
  EXPECT_EQ(error_code([&] { Group::create(request_of(kMaxRequestSize + 1), {}); }, &what),
            -EMSGSIZE);
  EXPECT_NE(what.find("65537"), std::string::npos) << what;
}

TEST(RequestSize, ServerRefusesARequestLongerThan64KiB) {
  for (size_t size : {kMaxRequestSize, kMaxRequestSize + 1}) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    // A valid request, one byte too long where size says so.
    auto client = Group::create(request_of(kMaxRequestSize), {});
    auto bytes = client->request();
    bytes.resize(size);
    send_message(sv[1], bytes, client->fds(), Deadline(1000));
    std::vector<std::byte> buffer(kRequestBufferSize);
    ServerOptions options;
    std::string what;
    const int code = error_code([&] { serve_handshake(sv[0], 1000, buffer, options); }, &what);
    if (size == kMaxRequestSize) {
      EXPECT_EQ(code, 0) << what;
    } else {
      EXPECT_EQ(code, -EBADMSG);
      EXPECT_NE(what.find("larger than the limit of 65536"), std::string::npos) << what;
    }
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

}  // namespace
}  // namespace rtipc
