// A live server against hostile clients written with raw sockets
// (docs/protocol.md §11): every bad request and every bad descriptor gets
// its reason as the answer where the socket allows (docs/protocol.md §5: the
// accept call's code, -EACCES for -EPERM, -1 for a reason a client may not
// learn), a logged reason and a precise error code; the server closes every
// descriptor it received, survives, and then accepts a good client.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "fdpass.h"
#include "../handshake/helpers.hpp"

namespace {

struct Entry {
  uint32_t add_msgs, msg_size, eventfd, info_size;
};

// The docs/protocol.md §9 request, field by field, for tests to spoil.
struct Request {
  uint16_t magic = 0x1f0c, version = 2, cacheline = 64, atomic_size = 4;
  uint32_t group_info_size = 0, count_a = 1, count_b = 2;
  std::vector<Entry> entries = {{0, 16, 1, 12}, {0, 12, 1, 13}, {10, 8, 1, 10}};
  std::string trailer = std::string("rpc command\0rpc response\0rpc event\0", 35);

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out;
    auto put = [&](const auto& v) {
      const auto* p = reinterpret_cast<const uint8_t*>(&v);
      out.insert(out.end(), p, p + sizeof v);
    };
    put(magic), put(version), put(cacheline), put(atomic_size);
    put(group_info_size), put(count_a), put(count_b);
    for (const Entry& e : entries)
      put(e.add_msgs), put(e.msg_size), put(e.eventfd), put(e.info_size);
    out.insert(out.end(), trailer.begin(), trailer.end());
    return out;
  }
};

constexpr size_t kExampleRegion = 1408;

enum class Fds {
  kGood,  // memfd, 3 eventfds
  kNone,
  kTooFew,        // memfd, 2 eventfds
  kTooMany,       // memfd, 4 eventfds
  kRegularFile,   // a regular file where the memfd belongs
  kPipeRegion,    // a pipe where the memfd belongs
  kUnsealed,      // a memfd without seals
  kNotSealable,   // a memfd created without MFD_ALLOW_SEALING
  kTooSmall,      // sealed, one byte short
  kWriteSealed,   // sealed against writing too
  kPipeEventfd,   // a pipe where an eventfd belongs
  kMemfdEventfd,  // a memfd where an eventfd belongs
};

int memfd(size_t size, bool sealable, int seals) {
  const int fd = ::memfd_create("hostile", MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size)) < 0) return -1;
  if (seals && ::fcntl(fd, F_ADD_SEALS, seals) < 0) return -1;
  return fd;
}

std::vector<int> make_fds(Fds kind) {
  constexpr int kSeals = F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL;
  int pipe_fds[2] = {-1, -1};
  if (kind == Fds::kPipeRegion || kind == Fds::kPipeEventfd) (void)::pipe2(pipe_fds, O_CLOEXEC);
  int region;
  switch (kind) {
    case Fds::kRegularFile:
      region = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
      break;
    case Fds::kPipeRegion:
      region = pipe_fds[0];
      break;
    case Fds::kUnsealed:
      region = memfd(kExampleRegion, true, 0);
      break;
    case Fds::kNotSealable:
      region = memfd(kExampleRegion, false, 0);
      break;
    case Fds::kTooSmall:
      region = memfd(kExampleRegion - 1, true, kSeals);
      break;
    case Fds::kWriteSealed:
      region = memfd(kExampleRegion, true, kSeals | F_SEAL_WRITE);
      break;
    default:
      region = memfd(kExampleRegion, true, kSeals);
  }
  if (kind == Fds::kNone) return {};
  std::vector<int> fds = {region};
  const int events = kind == Fds::kTooFew ? 2 : kind == Fds::kTooMany ? 4 : 3;
  for (int i = 0; i < events; ++i)
    fds.push_back(::eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE | EFD_NONBLOCK));
  if (kind == Fds::kPipeEventfd) fds[2] = pipe_fds[1];
  if (kind == Fds::kMemfdEventfd) fds[3] = memfd(4096, true, kSeals);
  return fds;
}

int connect_raw(const std::string& path) {
  const int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) return -1;
  return s;
}

bool send_raw(int sock, const std::vector<uint8_t>& bytes, const std::vector<int>& fds) {
  return fdpass_send(sock, bytes.data(), bytes.size(), fds.data(), fds.size()) == 0;
}

// The answer a refusal with the server's code `code` carries on the wire.
int32_t wire(int code) {
  if (code == -EPERM) return -EACCES;
  return code == -EPROTO || code == -EPIPE || code == -ECONNRESET ? -1 : code;
}

// The hostile client expects a 4-byte answer that is the wire form of one
// of `codes`. Exit codes name what broke.
int expect_rejection(int sock, const std::set<int>& codes) {
  pollfd p = {sock, POLLIN, 0};
  if (::poll(&p, 1, 10000) != 1) return 20;
  uint8_t reply[8];
  const ssize_t n = ::recv(sock, reply, sizeof reply, 0);
  if (n != 4) return 21;
  int32_t answer;
  std::memcpy(&answer, reply, sizeof answer);
  for (int code : codes)
    if (answer == wire(code)) return 0;
  return 22;
}

enum class Behaviour { kSendAndRead, kSilent, kSendAndHangUp };

struct Case {
  const char* name;
  Request request;
  Fds fds;
  std::set<int> codes;  // what the server's accept may return
  Behaviour behaviour = Behaviour::kSendAndRead;
  std::vector<uint8_t> raw = {};  // when set, sent instead of request
};

Request with(void (*spoil)(Request&)) {
  Request r;
  spoil(r);
  return r;
}

std::vector<Case> cases() {
  const Request good;
  std::vector<uint8_t> truncated = good.bytes();
  truncated.resize(truncated.size() - 5);
  std::vector<uint8_t> stray = good.bytes();
  stray.push_back(0);
  std::vector<uint8_t> short_header = good.bytes();
  short_header.resize(10);
  return {
      {"short header", good, Fds::kGood, {-EBADMSG}, Behaviour::kSendAndRead, short_header},
      {"truncated request", good, Fds::kGood, {-EBADMSG}, Behaviour::kSendAndRead, truncated},
      {"stray bytes", good, Fds::kGood, {-EBADMSG}, Behaviour::kSendAndRead, stray},
      {"wrong magic", with([](Request& r) { r.magic = 0x0c1f; }), Fds::kGood, {-EBADMSG}},
      {"wrong version", with([](Request& r) { r.version = 1; }), Fds::kGood, {-EBADMSG}},
      {"wrong atomic size", with([](Request& r) { r.atomic_size = 8; }), Fds::kGood, {-EBADMSG}},
      {"bad cache line", with([](Request& r) { r.cacheline = 48; }), Fds::kGood, {-EBADMSG}},
      {"no channels",
       with([](Request& r) {
         r.count_a = r.count_b = 0;
         r.entries.clear();
       }),
       Fds::kGood,
       {-EBADMSG}},
      {"table overruns", with([](Request& r) { r.count_a = 100; }), Fds::kGood, {-EBADMSG}},
      {"counts overflow", with([](Request& r) { r.count_a = 0xffffffff; }), Fds::kGood, {-EBADMSG}},
      {"msg_size 0", with([](Request& r) { r.entries[1].msg_size = 0; }), Fds::kGood, {-EBADMSG}},
      {"msg_size huge",
       with([](Request& r) { r.entries[0].msg_size = 0xffffffff; }),
       Fds::kGood,
       {-EINVAL}},
      {"absurd slots",
       with([](Request& r) { r.entries[2].add_msgs = 0xfffffff0; }),
       Fds::kGood,
       {-EINVAL}},
      {"region overflows",
       with([](Request& r) {
         for (Entry& e : r.entries) e.msg_size = 64u << 20, e.add_msgs = 100;
       }),
       Fds::kGood,
       {-EINVAL}},
      {"eventfd flag 2",
       with([](Request& r) { r.entries[0].eventfd = 2; }),
       Fds::kGood,
       {-EBADMSG}},
      {"info past the end",
       with([](Request& r) { r.entries[2].info_size = 1000; }),
       Fds::kGood,
       {-EBADMSG}},
      {"info size huge",
       with([](Request& r) { r.entries[0].info_size = 0xffffffff; }),
       Fds::kGood,
       {-EBADMSG}},
      {"group info past the end",
       with([](Request& r) { r.group_info_size = 40; }),
       Fds::kGood,
       {-EBADMSG}},
      {"no descriptors", good, Fds::kNone, {-EBADMSG}},
      {"too few descriptors", good, Fds::kTooFew, {-EBADMSG}},
      {"too many descriptors", good, Fds::kTooMany, {-EBADMSG}},
      {"regular file as region", good, Fds::kRegularFile, {-EBADF, -EPERM}},
      {"pipe as region", good, Fds::kPipeRegion, {-EBADF}},
      {"unsealed memfd", good, Fds::kUnsealed, {-EPERM}},
      {"unsealable memfd", good, Fds::kNotSealable, {-EPERM}},
      {"too small memfd", good, Fds::kTooSmall, {-EINVAL}},
      {"write-sealed memfd", good, Fds::kWriteSealed, {-EPERM}},
      {"pipe as eventfd", good, Fds::kPipeEventfd, {-EBADF}},
      {"memfd as eventfd", good, Fds::kMemfdEventfd, {-EBADF}},
      {"silent client", good, Fds::kNone, {-EPROTO}, Behaviour::kSilent},
      {"hangs up before the reply",
       good,
       Fds::kGood,
       {-EPIPE, -ECONNRESET},
       Behaviour::kSendAndHangUp},
  };
}

int hostile_client(const std::string& path, const Case& c) {
  const int sock = connect_raw(path);
  if (sock < 0) return 30;
  if (c.behaviour == Behaviour::kSilent) return expect_rejection(sock, c.codes);
  const std::vector<int> fds = make_fds(c.fds);
  for (int fd : fds)
    if (fd < 0) return 31;
  if (!send_raw(sock, c.raw.empty() ? c.request.bytes() : c.raw, fds)) return 32;
  for (int fd : fds) ::close(fd);
  if (c.behaviour == Behaviour::kSendAndHangUp) return 0;
  return expect_rejection(sock, c.codes);
}

int good_client(const std::string& path) {
  const rtipc_channel_config ch = test::channel(16, 0, true, "ok");
  const rtipc_group_config config = test::group_config(&ch, 1);
  rtipc_group* g = nullptr;
  if (rtipc_client_connect(path.c_str(), &config, 10000, &g) != 0) return 1;
  rtipc_group_destroy(g);
  return 0;
}

TEST(Hostile, EveryBadClientIsRejectedCleanly) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path("hostile.sock");
  rtipc_server_config config = test::server_config();
  config.request_timeout_ms = 200;
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), &config, &server), 0);
  const Request good;
  ASSERT_EQ(good.bytes().size(), 103u);

  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    test::LogCapture log;
    const int fds_before = test::open_fd_count();
    const pid_t child = test::spawn([&] { return hostile_client(path, c); });
    // A client that hangs up must be gone before the server answers.
    if (c.behaviour == Behaviour::kSendAndHangUp) {
      EXPECT_EQ(test::reap(child), 0);
    }
    rtipc_group* group = nullptr;
    const int r = rtipc_server_accept(server, 10000, &group);
    EXPECT_TRUE(c.codes.count(r)) << "accept returned " << r << " (" << rtipc_strerror(r) << ")";
    EXPECT_EQ(group, nullptr);
    if (c.behaviour != Behaviour::kSendAndHangUp) {
      EXPECT_EQ(test::reap(child), 0);
    }
    EXPECT_EQ(test::open_fd_count(), fds_before);
    const auto lines = log.lines();
    ASSERT_EQ(lines.size(), 1u) << log.all();
    EXPECT_NE(lines[0].find("client pid"), std::string::npos) << lines[0];
    EXPECT_STRNE(rtipc_last_error(), "");

    // And the server is fine.
    const pid_t next = test::spawn([&] { return good_client(path); });
    ASSERT_EQ(rtipc_server_accept(server, 10000, &group), 0);
    EXPECT_EQ(test::reap(next), 0);
    rtipc_group_destroy(group);
  }
  rtipc_server_destroy(server);
}

TEST(Hostile, OversizedRequestIsTruncatedAndRejected) {
  // Only a privileged sender can queue a message past the server's 1 MiB
  // buffer (the default socket buffers are far smaller).
  const int probe = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  const int size = 4 << 20;
  const bool can = ::setsockopt(probe, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) == 0;
  ::close(probe);
  if (!can) GTEST_SKIP() << "needs CAP_NET_ADMIN for SO_SNDBUFFORCE";

  test::TempDir dir;
  const std::string path = dir.path("big.sock");
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  test::LogCapture log;
  const int fds_before = test::open_fd_count();
  const pid_t child = test::spawn([&] {
    const int sock = connect_raw(path);
    if (sock < 0 || ::setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
      return 30;
    std::vector<uint8_t> big = Request().bytes();
    big.resize((1u << 20) + 1);
    if (!send_raw(sock, big, make_fds(Fds::kGood))) return 32;
    return expect_rejection(sock, {-EBADMSG});
  });
  rtipc_group* group = nullptr;
  EXPECT_EQ(rtipc_server_accept(server, 10000, &group), -EBADMSG);
  EXPECT_EQ(test::reap(child), 0);
  EXPECT_EQ(test::open_fd_count(), fds_before);
  EXPECT_NE(log.all().find("larger than"), std::string::npos) << log.all();
  rtipc_server_destroy(server);
}

TEST(Hostile, ClientSurvivesABadServer) {
  // A server that answers garbage, two bytes, or hangs up: always rejected;
  // a reason (docs/protocol.md §5) comes back as such, any other negative
  // answer (-1, or a code a client could mistake for a local condition)
  // as -RTIPC_EREJECTED.
  auto answer = [](int32_t v) {
    std::vector<uint8_t> out(4);
    std::memcpy(out.data(), &v, 4);
    return out;
  };
  std::vector<uint8_t> long_reason = answer(-E2BIG);
  long_reason.push_back(0);
  const std::vector<std::pair<std::vector<uint8_t>, int>> replies = {
      {{1, 0, 0, 0}, -RTIPC_EREJECTED},
      {{0, 0}, -RTIPC_EREJECTED},
      {{0, 0, 0, 0, 0}, -RTIPC_EREJECTED},
      {{}, -RTIPC_EREJECTED},
      {answer(-1), -RTIPC_EREJECTED},
      {answer(-EINTR), -RTIPC_EREJECTED},
      {answer(-ETIMEDOUT), -RTIPC_EREJECTED},
      {long_reason, -RTIPC_EREJECTED},
      {answer(-E2BIG), -E2BIG},
      {answer(-EBADMSG), -EBADMSG},
      {answer(-EINVAL), -EINVAL},
      {answer(-EBADF), -EBADF},
      {answer(-EACCES), -EACCES},
      {answer(-ENOMEM), -ENOMEM},
      {answer(-RTIPC_EREJECTED), -RTIPC_EREJECTED},
  };
  for (const auto& [reply, expected] : replies) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    const pid_t server = test::spawn([&] {
      ::close(sv[0]);
      char buf[4096];
      if (::recv(sv[1], buf, sizeof buf, 0) <= 0) return 1;
      if (!reply.empty() && ::send(sv[1], reply.data(), reply.size(), 0) < 0) return 2;
      return 0;
    });
    ::close(sv[1]);
    const rtipc_channel_config ch = test::channel(16, 0, true);
    const rtipc_group_config config = test::group_config(&ch, 1);
    rtipc_group* g = nullptr;
    test::LogCapture quiet(RTIPC_LOG_NONE);
    EXPECT_EQ(rtipc_client_connect_socket(sv[0], &config, 10000, &g), expected)
        << reply.size() << " bytes";
    EXPECT_EQ(g, nullptr);
    EXPECT_EQ(test::reap(server), 0);
    ::close(sv[0]);
  }
}

}  // namespace
