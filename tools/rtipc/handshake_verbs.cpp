// rtipc probe, decode and proxy: the handshake seen from outside.
#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "commands.hpp"
#include "error.hpp"
#include "output.hpp"
#include "request.hpp"
#include "rtipc/rtipc.h"
#include "socket.hpp"

namespace rtipc_tool {
namespace {

double now_ms() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// SIZE[:ADD_MSGS[:EVENTFD]]
bool parse_channel(const char* text, rtipc_channel_config* c) {
  unsigned long v[3] = {0, 0, 0};
  const char* s = text;
  for (int i = 0; i < 3; ++i) {
    char* end;
    errno = 0;
    v[i] = std::strtoul(s, &end, 10);
    if (errno || end == s) return false;
    s = end;
    if (*s == '\0') break;
    if (*s != ':' || i == 2) return false;
    ++s;
  }
  if (v[0] == 0 || v[0] > 0xffffffffUL || v[1] > 0xffffffffUL || v[2] > 1) return false;
  *c = rtipc_channel_config{};
  c->size = sizeof *c;
  c->msg_size = uint32_t(v[0]);
  c->add_msgs = uint32_t(v[1]);
  c->flags = v[2] ? RTIPC_CHANNEL_EVENTFD : 0;
  return true;
}

std::string channel_line(const rtipc::ChannelSpec& c) {
  return "msg_size " + std::to_string(c.msg_size) + ", slots " + std::to_string(3ull + c.add_msgs) +
         " (add_msgs " + std::to_string(c.add_msgs) + "), eventfd " + (c.eventfd ? "yes" : "no") +
         ", info " + std::to_string(c.info.size()) + " bytes" +
         (c.info.empty() ? "" : ": " + printable(c.info.data(), c.info.size()));
}

std::string channel_json(const rtipc::ChannelSpec& c) {
  return "{\"msg_size\": " + std::to_string(c.msg_size) +
         ", \"add_msgs\": " + std::to_string(c.add_msgs) +
         ", \"eventfd\": " + (c.eventfd ? "true" : "false") +
         ", \"info\": " + json_string(printable(c.info.data(), c.info.size())) +
         ", \"info_size\": " + std::to_string(c.info.size()) + "}";
}

// A request as the core decodes it, as text or JSON.
std::string describe_request(const rtipc::GroupSpec& g, size_t bytes, bool json) {
  if (json) {
    std::string out = "{\"bytes\": " + std::to_string(bytes) +
                      ", \"cacheline\": " + std::to_string(g.cacheline) +
                      ", \"info\": " + json_string(printable(g.info.data(), g.info.size())) +
                      ", \"client_produces\": [";
    for (size_t i = 0; i < g.client_produces.size(); ++i)
      out += (i ? ", " : "") + channel_json(g.client_produces[i]);
    out += "], \"client_consumes\": [";
    for (size_t i = 0; i < g.client_consumes.size(); ++i)
      out += (i ? ", " : "") + channel_json(g.client_consumes[i]);
    return out + "]}";
  }
  std::string out = "request of " + std::to_string(bytes) + " bytes, cache line " +
                    std::to_string(g.cacheline) + ", group info " + std::to_string(g.info.size()) +
                    " bytes" +
                    (g.info.empty() ? "" : ": " + printable(g.info.data(), g.info.size())) + "\n";
  for (size_t i = 0; i < g.client_produces.size(); ++i)
    out +=
        "  client produces " + std::to_string(i) + ": " + channel_line(g.client_produces[i]) + "\n";
  for (size_t i = 0; i < g.client_consumes.size(); ++i)
    out +=
        "  client consumes " + std::to_string(i) + ": " + channel_line(g.client_consumes[i]) + "\n";
  return out;
}

std::string answer_text(int32_t answer) {
  if (answer == 0) return "accepted (0)";
  if (answer == -1) return "refused (-1, no reason given)";
  return "refused (" + std::to_string(answer) + ": " + rtipc_strerror(answer) + ")";
}

}  // namespace

int cmd_probe(int argc, char** argv) {
  std::vector<rtipc_channel_config> producers, consumers;
  std::string info;
  int timeout_ms = 2000;
  bool json = false;
  static const option longs[] = {{"produce", required_argument, nullptr, 'p'},
                                 {"consume", required_argument, nullptr, 'c'},
                                 {"info", required_argument, nullptr, 'i'},
                                 {"timeout", required_argument, nullptr, 't'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {}};
  optind = 1;
  for (int o; (o = getopt_long(argc, argv, "p:c:i:t:jh", longs, nullptr)) != -1;) {
    rtipc_channel_config c;
    switch (o) {
      case 'p':
      case 'c':
        if (!parse_channel(optarg, &c)) {
          std::fprintf(stderr, "rtipc probe: bad channel '%s' (SIZE[:ADD_MSGS[:EVENTFD]])\n",
                       optarg);
          return kUsage;
        }
        (o == 'p' ? producers : consumers).push_back(c);
        break;
      case 'i':
        info = optarg;
        break;
      case 't':
        timeout_ms = std::atoi(optarg);
        break;
      case 'j':
        json = true;
        break;
      case 'h':
        std::fputs(usage_of("probe"), stdout);
        return kOk;
      default:
        std::fputs(usage_of("probe"), stderr);
        return kUsage;
    }
  }
  if (optind + 1 != argc) {
    std::fputs(usage_of("probe"), stderr);
    return kUsage;
  }
  const std::string path = argv[optind];
  if (producers.empty() && consumers.empty()) {
    rtipc_channel_config c;
    parse_channel("8", &c);
    producers.push_back(c);
  }
  rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = producers.data();
  config.producer_count = uint32_t(producers.size());
  config.consumers = consumers.data();
  config.consumer_count = uint32_t(consumers.size());
  config.info = info.data();
  config.info_size = uint32_t(info.size());

  const int sock = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "rtipc probe: socket path too long\n");
    return kUsage;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  const double t0 = now_ms();
  if (sock < 0 || ::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    std::fprintf(stderr, "rtipc probe: connect %s: %s\n", path.c_str(), std::strerror(errno));
    if (sock >= 0) ::close(sock);
    return kFailed;
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  const bool have_cred = ::getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
  rtipc_set_log(nullptr, nullptr, RTIPC_LOG_NONE);
  rtipc_group* group = nullptr;
  const int r = rtipc_client_connect_socket(sock, &config, timeout_ms, &group);
  const double ms = now_ms() - t0;
  ::close(sock);
  rtipc_group_destroy(group);
  const std::string verdict = r == 0 ? "accepted" : "refused";
  if (json) {
    std::printf(
        "{\"socket\": %s, \"accepted\": %s, \"code\": %d, \"reason\": %s, "
        "\"handshake_ms\": %.3f, \"server_pid\": %d, \"server_uid\": %d}\n",
        json_string(path).c_str(), r == 0 ? "true" : "false", r,
        json_string(r == 0 ? "" : rtipc_strerror(r)).c_str(), ms, have_cred ? int(cred.pid) : 0,
        have_cred ? int(cred.uid) : -1);
  } else {
    std::printf("%s: %s", path.c_str(), verdict.c_str());
    if (r != 0) std::printf(": %s (%d)", rtipc_strerror(r), r);
    std::printf("\nhandshake: %.3f ms\n", ms);
    if (have_cred) std::printf("server: pid %d, uid %u\n", int(cred.pid), unsigned(cred.uid));
  }
  return r == 0 ? kOk : kFailed;
}

int cmd_decode(int argc, char** argv) {
  bool json = false;
  static const option longs[] = {
      {"json", no_argument, nullptr, 'j'}, {"help", no_argument, nullptr, 'h'}, {}};
  optind = 1;
  for (int o; (o = getopt_long(argc, argv, "jh", longs, nullptr)) != -1;) {
    if (o == 'j') {
      json = true;
    } else if (o == 'h') {
      std::fputs(usage_of("decode"), stdout);
      return kOk;
    } else {
      std::fputs(usage_of("decode"), stderr);
      return kUsage;
    }
  }
  if (optind + 1 != argc) {
    std::fputs(usage_of("decode"), stderr);
    return kUsage;
  }
  const std::string file = argv[optind];
  std::vector<char> bytes;
  // One byte more than any valid request, so that a longer one shows.
  const size_t limit = rtipc::kMaxRequestSize + 1;
  if (file == "-") {
    bytes.resize(limit);
    size_t n = std::fread(bytes.data(), 1, limit, stdin);
    bytes.resize(n);
  } else {
    std::ifstream f(file, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "rtipc decode: cannot open %s: %s\n", file.c_str(),
                   std::strerror(errno));
      return kFailed;
    }
    bytes.resize(limit);
    f.read(bytes.data(), std::streamsize(limit));
    bytes.resize(size_t(f.gcount()));
  }
  try {
    const auto plan = rtipc::decode_request(
        std::span(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
    std::fputs(describe_request(plan.spec, bytes.size(), json).c_str(), stdout);
    if (json) std::fputs("\n", stdout);
    return kOk;
  } catch (const rtipc::Error& e) {
    std::fprintf(stderr, "rtipc decode: %s: %s (%s)\n", file.c_str(), e.what(),
                 rtipc_strerror(e.code()));
    return kFailed;
  }
}

int cmd_proxy(int argc, char** argv) {
  long count = -1;
  bool json = false;
  static const option longs[] = {{"count", required_argument, nullptr, 'n'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {}};
  optind = 1;
  for (int o; (o = getopt_long(argc, argv, "n:jh", longs, nullptr)) != -1;) {
    if (o == 'n') {
      count = std::atol(optarg);
    } else if (o == 'j') {
      json = true;
    } else if (o == 'h') {
      std::fputs(usage_of("proxy"), stdout);
      return kOk;
    } else {
      std::fputs(usage_of("proxy"), stderr);
      return kUsage;
    }
  }
  if (optind + 2 != argc) {
    std::fputs(usage_of("proxy"), stderr);
    return kUsage;
  }
  const std::string listen_path = argv[optind], upstream = argv[optind + 1];
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const sockaddr_un laddr = rtipc::unix_address(listen_path);
    const sockaddr_un uaddr = rtipc::unix_address(upstream);
    rtipc::UniqueFd lsock = rtipc::seqpacket_socket(false);
    if (::bind(lsock.get(), reinterpret_cast<const sockaddr*>(&laddr), sizeof laddr) < 0 ||
        ::listen(lsock.get(), 16) < 0)
      rtipc::fail_errno("listen on " + listen_path);
    std::fprintf(stderr, "rtipc proxy: %s -> %s\n", listen_path.c_str(), upstream.c_str());
    std::vector<std::byte> buffer(rtipc::kMaxRequestSize + 1);
    for (long n = 0; count < 0 || n < count; ++n) {
      rtipc::UniqueFd client(::accept4(lsock.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!client) rtipc::fail_errno("accept");
      const rtipc::PeerCredentials who = rtipc::peer_credentials(client.get());
      if (!rtipc::wait_for(client.get(), POLLIN, rtipc::Deadline(5000))) {
        std::printf("client pid %d sent no request\n", int(who.pid));
        continue;
      }
      rtipc::ReceivedMessage m;
      try {
        m = rtipc::receive_message(client.get(), buffer);
      } catch (const rtipc::Error& e) {
        std::printf("client pid %d: %s\n", int(who.pid), e.what());
        continue;
      }
      std::string decoded;
      try {
        decoded = describe_request(rtipc::decode_request(std::span(buffer).first(m.size)).spec,
                                   m.size, json);
      } catch (const rtipc::Error& e) {
        decoded = json ? "{\"error\": " + json_string(e.what()) + "}"
                       : std::string("undecodable request: ") + e.what() + "\n";
      }
      // Upstream gets the same bytes and descriptors.
      int32_t answer = -1;
      std::string failure;
      try {
        rtipc::UniqueFd up = rtipc::seqpacket_socket(false);
        if (::connect(up.get(), reinterpret_cast<const sockaddr*>(&uaddr), sizeof uaddr) < 0)
          rtipc::fail_errno("connect " + upstream);
        std::vector<int> fds;
        for (const auto& fd : m.fds) fds.push_back(fd.get());
        rtipc::send_message(up.get(), std::span(buffer).first(m.size), fds, rtipc::Deadline(5000));
        if (!rtipc::wait_for(up.get(), POLLIN, rtipc::Deadline(5000)))
          rtipc::fail(-ETIMEDOUT, "no answer from upstream");
        char reply[8];
        const ssize_t got = ::recv(up.get(), reply, sizeof reply, 0);
        if (got == 4)
          std::memcpy(&answer, reply, 4);
        else
          failure = "upstream answered " + std::to_string(got) + " bytes";
      } catch (const rtipc::Error& e) {
        failure = e.what();
      }
      m.fds.clear();  // the server has its own copies now
      rtipc::send_reply(client.get(), answer);
      if (json) {
        std::printf("{\"client_pid\": %d, \"request\": %s, \"answer\": %d%s}\n", int(who.pid),
                    decoded.c_str(), answer,
                    failure.empty() ? "" : (", \"error\": " + json_string(failure)).c_str());
      } else {
        std::printf("client pid %d (uid %u): %s-> %s%s\n", int(who.pid), unsigned(who.uid),
                    decoded.c_str(), answer_text(answer).c_str(),
                    failure.empty() ? "" : (" [" + failure + "]").c_str());
      }
      std::fflush(stdout);
    }
  } catch (const rtipc::Error& e) {
    std::fprintf(stderr, "rtipc proxy: %s\n", e.what());
    ::unlink(listen_path.c_str());
    return kFailed;
  }
  ::unlink(listen_path.c_str());
  return kOk;
}

const char* usage_of(const char* verb) {
  const std::string v = verb;
  if (v == "ls")
    return "usage: rtipc ls [-j|--json] [-p|--pid PID]...\n"
           "Lists every rtipc group on the host (or of the given processes): librtipc\n"
           "processes in full from their statistics pages, other rtipc processes with\n"
           "what /proc tells (regions, sockets); processes the caller may not inspect\n"
           "as hidden.\n";
  if (v == "top")
    return "usage: rtipc top [-1|--once] [-d|--delay SECONDS] [-s|--sort "
           "pid|in|out|dropped|depth]\n"
           "                 [-j|--json] [-p|--pid PID]...\n"
           "Per-channel rates (in, out, dropped per second) and queue depths, redrawn\n"
           "every SECONDS (default 1). Keys: p i o x d sort, q quits. Prints one\n"
           "snapshot and exits with --once, --json, or when stdout is not a terminal.\n";
  if (v == "probe")
    return "usage: rtipc probe [-p SIZE[:ADD_MSGS[:EVENTFD]]]... [-c "
           "SIZE[:ADD_MSGS[:EVENTFD]]]...\n"
           "                   [-i INFO] [-t TIMEOUT_MS] [-j] SOCKET\n"
           "Offers a group (default: one 8-byte producer) to the server at SOCKET and\n"
           "reports accepted or refused with the reason, the handshake time and the\n"
           "server's pid and uid. Exit status 0 accepted, 1 refused or failed.\n";
  if (v == "decode")
    return "usage: rtipc decode [-j] FILE|-\n"
           "Decodes a handshake request (docs/protocol.md section 3) into its channels and info.\n";
  if (v == "proxy")
    return "usage: rtipc proxy [-n COUNT] [-j] LISTEN UPSTREAM\n"
           "Listens on LISTEN, passes each handshake (bytes and descriptors) to the\n"
           "server at UPSTREAM and its answer back, printing each one decoded. Stops\n"
           "after COUNT handshakes (default: never).\n";
  if (v == "help") return "usage: rtipc help [VERB]\n";
  return nullptr;
}

}  // namespace rtipc_tool
