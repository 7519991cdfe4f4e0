#include <rtipc/rtipc.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

struct Tick {
  std::uint64_t seq;
  double price;
};

int main() {
  const char* path = "/tmp/rtipc-readme-cpp.sock";
  auto server = rtipc::Server::create(path);
  if (!server) return std::fprintf(stderr, "listen: %s\n", server.error().what()), 1;

  if (fork() == 0) {  // the client: one channel of Ticks to the server
    auto channel = rtipc::ChannelConfig(sizeof(Tick)).add_msgs(4).eventfd();
    auto group = rtipc::connect(path, rtipc::GroupConfig().producer(channel), 1000);
    if (!group) _exit(1);
    auto ticks = group->take_producer<Tick>(0);  // checks sizeof(Tick)
    for (std::uint64_t i = 1; i <= 3; i++) ticks->send(Tick{i, 100.0 + double(i)});
    _exit(0);
  }

  auto group = server->accept(1000);
  if (!group) return std::fprintf(stderr, "accept: %s\n", group.error().what()), 1;
  auto ticks = group->take_consumer<Tick>(0);
  if (!ticks) return 1;
  int received = 0;
  for (;;) {
    auto found = ticks->consume();
    if (found && rtipc::is_new(*found)) {
      Tick t = ticks->copy();  // the peer is untrusted: copy, then check
      std::printf("tick %llu at %.1f\n", (unsigned long long)t.seq, t.price);
      received++;
    } else if (!ticks->wait(1000)) {  // EPIPE: the client is gone, all read
      break;
    }
  }
  wait(nullptr);
  return received == 3 ? 0 : 1;
}
