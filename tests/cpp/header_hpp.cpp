// Compiled only: rtipc.hpp on its own, as C++17, C++20 (with and without
// exceptions) and C++23 where the compiler has it, with -Werror. Every
// template is instantiated once so that its body is checked too.
#include <rtipc/rtipc.hpp>

namespace {
struct Sample {
  unsigned long long seq;
  double value;
};
}  // namespace

int rtipc_hpp_check();

int rtipc_hpp_check() {
  auto server = rtipc::Server::create(
      "/nonexistent/x.sock",
      rtipc::ServerConfig().max_channels(2).filter(
          [](const rtipc::Proposal& p) { return p.producer_count() == 1 && p.producer(0); }));
  if (!server) return server.error().code();
  auto group = server->accept(0);
  if (!group) return group.error().rejected() ? 1 : 2;
  auto out = group->take_producer<Sample>(0);
  auto in = group->take_consumer<Sample>(0);
  if (!out || !in) return 3;
  out->msg().seq = 1;
  auto sent = out->send(Sample{2, 0.5});
  auto got = in->consume_latest();
  rtipc::result<void> nothing;
  rtipc::result<int> zero;
  auto client = rtipc::connect(
      "/nonexistent/x.sock",
      rtipc::GroupConfig().info("g").producer(rtipc::ChannelConfig(16).eventfd().info("c")), 100);
  rtipc::Group fallback = std::move(client).value_or(rtipc::Group());
  return int(nothing.has_value()) + *zero + int(sent && *sent == rtipc::Produced::published) +
         int(got && rtipc::is_new(*got)) + int(in->copy().seq) + int(fallback.get() != nullptr);
}
