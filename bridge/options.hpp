// rtipc-bridge's settings: the command line over the config file, each
// checked completely before the bridge touches a socket or the network.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bridge {

// The largest message the bridge carries: the bound of Frame.payload in
// frame.idl (the two must agree).
inline constexpr uint32_t kMaxMessageSize = 1048576;

enum class Direction { kFromApp, kToApp };  // seen from the application
enum class Push { kForce, kTry };

// One bridged channel: a topic, its message size and how it is pushed.
struct ChannelSpec {
  std::string topic;
  Direction direction = Direction::kFromApp;
  uint32_t size = 0;
  uint32_t slots = 8;
  Push push = Push::kForce;
};

struct Security {
  std::string identity_ca, identity_certificate, private_key;
  std::string permissions_ca, governance, permissions;
  bool enabled() const { return !identity_certificate.empty(); }
};

struct Options {
  enum class Mode { kUnset, kServer, kClient };
  Mode mode = Mode::kUnset;
  std::string socket;  // server: where to listen; client: the server to join
  uint32_t socket_mode = 0;
  uint32_t max_clients = 64;
  std::string group_info;  // client mode: the group's info bytes
  uint32_t domain = 0;
  std::string partition;
  std::string interface;
  std::vector<std::string> peers;  // unicast discovery; turns multicast off
  std::string dds_config;          // extra Cyclone DDS configuration (URI or XML)
  uint32_t write_timeout_ms = 100;
  uint32_t stats_interval_s = 0;
  Security security;
  std::vector<ChannelSpec> channels;  // client mode: the group, in file order
  bool verbose = false;
};

// What the command line asked for besides the settings.
struct Invocation {
  Options options;
  std::string config_path;
  bool check = false;
  bool help = false;
  bool version = false;
};

// Parses argv and the config file it names. On failure returns false with
// one line in *error ("FILE:LINE: [section] key: why" for the file).
bool parse_invocation(int argc, char** argv, Invocation* out, std::string* error);

// Parses one channel's info bytes (server mode): "topic=NAME" and optional
// "push=force|try", separated by spaces, newlines, ';' or ','. Fills the
// topic and push of *spec; on failure returns false and the reason.
bool parse_channel_info(const void* info, size_t size, ChannelSpec* spec, std::string* reason);

// A topic name the bridge accepts: 1..200 of [A-Za-z0-9_./-], no leading '/'.
bool valid_topic(const std::string& topic);

void print_help();

}  // namespace bridge
