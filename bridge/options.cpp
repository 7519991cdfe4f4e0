// The config file is INI, parsed by inih (libinih); every key is in
// rtipc-bridge(1). Command-line options override the file.
#include "options.hpp"

#include <getopt.h>
#include <ini.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace bridge {
namespace {

bool parse_u32(std::string_view text, uint32_t min, uint32_t max, uint32_t* out) {
  std::string s(text);
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno || *end || v < min || v > max) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_bool(std::string_view s, bool* out) {
  if (s == "true" || s == "yes" || s == "on" || s == "1") return *out = true, true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return *out = false, true;
  return false;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> items;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) items.push_back(cur);
  return items;
}

bool parse_direction(std::string_view s, Direction* out) {
  if (s == "from-app") return *out = Direction::kFromApp, true;
  if (s == "to-app") return *out = Direction::kToApp, true;
  return false;
}

bool parse_push(std::string_view s, Push* out) {
  if (s == "force") return *out = Push::kForce, true;
  if (s == "try") return *out = Push::kTry, true;
  return false;
}

// Sets one [bridge] key (also the command line's way in). Returns "" or why not.
std::string set_bridge_key(Options* o, std::string_view key, std::string_view value) {
  std::string v(value);
  if (key == "mode") {
    if (v == "server")
      o->mode = Options::Mode::kServer;
    else if (v == "client")
      o->mode = Options::Mode::kClient;
    else
      return "must be server or client, not '" + v + "'";
  } else if (key == "socket") {
    if (v.empty() || v.size() > 107) return "must be a socket path of 1..107 bytes";
    o->socket = v;
  } else if (key == "socket_mode") {
    if (!parse_u32(v, 0, 0777, &o->socket_mode)) return "must be octal permission bits, e.g. 0660";
  } else if (key == "max_clients") {
    if (!parse_u32(v, 1, 4096, &o->max_clients)) return "must be a number 1..4096";
  } else if (key == "group_info") {
    o->group_info = v;
  } else if (key == "domain") {
    if (!parse_u32(v, 0, 232, &o->domain)) return "must be a DDS domain id 0..232";
  } else if (key == "partition") {
    o->partition = v;
  } else if (key == "interface") {
    o->interface = v;
  } else if (key == "peers") {
    o->peers = split_list(v);
  } else if (key == "dds_config") {
    o->dds_config = v;
  } else if (key == "write_timeout_ms") {
    if (!parse_u32(v, 1, 60000, &o->write_timeout_ms)) return "must be a number 1..60000";
  } else if (key == "stats_interval_s") {
    if (!parse_u32(v, 0, 86400, &o->stats_interval_s)) return "must be a number 0..86400";
  } else if (key == "verbose") {
    if (!parse_bool(v, &o->verbose)) return "must be true or false";
  } else {
    return "unknown key";
  }
  return "";
}

std::string set_security_key(Security* s, std::string_view key, std::string_view value) {
  std::string* field = key == "identity_ca"            ? &s->identity_ca
                       : key == "identity_certificate" ? &s->identity_certificate
                       : key == "private_key"          ? &s->private_key
                       : key == "permissions_ca"       ? &s->permissions_ca
                       : key == "governance"           ? &s->governance
                       : key == "permissions"          ? &s->permissions
                                                       : nullptr;
  if (!field) return "unknown key";
  if (value.empty()) return "must name a file";
  *field = std::string(value);
  return "";
}

std::string set_channel_key(ChannelSpec* c, std::string_view key, std::string_view value) {
  std::string v(value);
  if (key == "direction") {
    if (!parse_direction(v, &c->direction)) return "must be from-app or to-app";
  } else if (key == "size") {
    if (!parse_u32(v, 1, kMaxMessageSize, &c->size))
      return "must be a message size 1.." + std::to_string(kMaxMessageSize);
  } else if (key == "slots") {
    if (!parse_u32(v, 3, 1u << 20, &c->slots)) return "must be a number 3..1048576";
  } else if (key == "push") {
    if (!parse_push(v, &c->push)) return "must be force or try";
  } else {
    return "unknown key";
  }
  return "";
}

// inih reads lines through this, so the handler knows the line it is on.
struct FileReader {
  FILE* file;
  int line = 0;
  int section_line = 0;  // of the last [section] header
};

char* read_line(char* buf, int size, void* stream) {
  auto* r = static_cast<FileReader*>(stream);
  char* s = std::fgets(buf, size, r->file);
  if (s) {
    ++r->line;
    const char* p = s;
    while (*p == ' ' || *p == '\t') ++p;
    if (*p == '[') r->section_line = r->line;
  }
  return s;
}

struct FileState {
  Options* options;
  FileReader* reader;
  std::string path;
  std::string error;  // the first error, with its line
  std::vector<int> channel_lines;
  std::string last_section;
};

int on_key(void* user, const char* section, const char* name, const char* value) {
  auto* st = static_cast<FileState*>(user);
  if (!st->error.empty()) return 1;
  std::string_view sec(section);
  std::string why;
  if (sec == "bridge") {
    why = set_bridge_key(st->options, name, value);
  } else if (sec == "security") {
    why = set_security_key(&st->options->security, name, value);
  } else if (sec.starts_with("channel ")) {
    std::string topic(sec.substr(8));
    if (st->last_section != sec) {
      // A new section, or one named twice: each topic once.
      for (const auto& c : st->options->channels)
        if (c.topic == topic) why = "channel '" + topic + "' given twice";
      if (why.empty() && !valid_topic(topic))
        why = "'" + topic + "' is not a topic name (1..200 of A-Z a-z 0-9 _ . / -)";
      if (why.empty()) {
        st->options->channels.push_back(ChannelSpec{topic});
        st->channel_lines.push_back(st->reader->section_line);
      }
    }
    if (why.empty()) why = set_channel_key(&st->options->channels.back(), name, value);
  } else {
    why = "unknown section (bridge, security and 'channel TOPIC' are known)";
  }
  st->last_section = section;
  if (!why.empty()) {
    st->error = st->path + ":" + std::to_string(st->reader->line) + ": [" + section + "] " + name +
                ": " + why;
    return 0;
  }
  return 1;
}

bool load_file(const std::string& path, Options* o, std::vector<int>* channel_lines,
               std::string* error) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  FileReader reader{f};
  FileState st{o, &reader, path, {}, {}, {}};
  int r = ini_parse_stream(read_line, &reader, on_key, &st);
  std::fclose(f);
  if (!st.error.empty()) {
    *error = st.error;
    return false;
  }
  if (r != 0) {
    *error =
        path + ":" + std::to_string(r) + ": not an INI line (expected [section] or key = value)";
    if (r < 0) *error = path + ": cannot parse (out of memory)";
    return false;
  }
  *channel_lines = st.channel_lines;
  return true;
}

// What the whole file and command line must satisfy together.
bool check_all(const Invocation& inv, const std::vector<int>& channel_lines, std::string* error) {
  const Options& o = inv.options;
  std::string where = inv.config_path.empty() ? "" : inv.config_path + ": ";
  if (o.mode == Options::Mode::kUnset) {
    *error = where + "[bridge] mode: missing (server or client; --listen or --connect)";
    return false;
  }
  if (o.socket.empty()) {
    *error = where + "[bridge] socket: missing";
    return false;
  }
  if (o.mode == Options::Mode::kServer && !o.channels.empty()) {
    *error = where +
             "[channel ...]: only client mode has channel sections (a server learns "
             "its channels from each client's info bytes)";
    return false;
  }
  if (o.mode == Options::Mode::kClient && o.channels.empty()) {
    *error = where + "client mode needs at least one [channel TOPIC] section";
    return false;
  }
  for (size_t i = 0; i < o.channels.size(); i++) {
    if (o.channels[i].size == 0) {
      *error = inv.config_path + ":" + std::to_string(channel_lines[i]) + ": [channel " +
               o.channels[i].topic + "] size: missing";
      return false;
    }
  }
  const Security& s = o.security;
  bool any = !s.identity_ca.empty() || !s.identity_certificate.empty() || !s.private_key.empty() ||
             !s.permissions_ca.empty() || !s.governance.empty() || !s.permissions.empty();
  if (any) {
    const std::pair<const char*, const std::string*> need[] = {
        {"identity_ca", &s.identity_ca}, {"identity_certificate", &s.identity_certificate},
        {"private_key", &s.private_key}, {"permissions_ca", &s.permissions_ca},
        {"governance", &s.governance},   {"permissions", &s.permissions}};
    for (auto& [key, value] : need) {
      if (value->empty()) {
        *error = where + "[security] " + key + ": missing (DDS Security needs all six files)";
        return false;
      }
      FILE* f = std::fopen(value->c_str(), "re");
      if (!f) {
        *error = where + "[security] " + key + ": " + *value + ": " + std::strerror(errno);
        return false;
      }
      std::fclose(f);
    }
  }
  return true;
}

}  // namespace

bool valid_topic(const std::string& t) {
  if (t.empty() || t.size() > 200 || t[0] == '/') return false;
  for (char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '/' || c == '-'))
      return false;
  return true;
}

bool parse_channel_info(const void* info, size_t size, ChannelSpec* spec, std::string* reason) {
  std::string text(static_cast<const char*>(info), info ? size : 0);
  bool have_topic = false;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find_first_of(" \t\n;,", i);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(i, end - i);
    i = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) continue;  // not ours: info may carry other words
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "topic") {
      if (!valid_topic(value)) {
        *reason = "topic '" + value + "' is not a topic name (1..200 of A-Z a-z 0-9 _ . / -)";
        return false;
      }
      spec->topic = value;
      have_topic = true;
    } else if (key == "push") {
      if (!parse_push(value, &spec->push)) {
        *reason = "push=" + value + ": must be force or try";
        return false;
      }
    }
  }
  if (!have_topic) {
    *reason = "no topic (its info bytes must hold topic=NAME)";
    return false;
  }
  return true;
}

bool parse_invocation(int argc, char** argv, Invocation* inv, std::string* error) {
  enum { kCheck = 256, kVersion, kPeer, kDdsConfig, kWriteTimeout, kStats };
  static const option longs[] = {
      {"config", required_argument, nullptr, 'c'},
      {"listen", required_argument, nullptr, 'l'},
      {"connect", required_argument, nullptr, 'C'},
      {"domain", required_argument, nullptr, 'd'},
      {"partition", required_argument, nullptr, 'p'},
      {"interface", required_argument, nullptr, 'i'},
      {"peer", required_argument, nullptr, kPeer},
      {"dds-config", required_argument, nullptr, kDdsConfig},
      {"write-timeout", required_argument, nullptr, kWriteTimeout},
      {"stats-interval", required_argument, nullptr, kStats},
      {"verbose", no_argument, nullptr, 'v'},
      {"check", no_argument, nullptr, kCheck},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0},
  };
  // The file first, so that the rest of the command line overrides it.
  opterr = 0;
  optind = 1;
  std::vector<std::pair<int, std::string>> given;
  int c;
  while ((c = getopt_long(argc, argv, ":c:l:C:d:p:i:vh", longs, nullptr)) != -1) {
    if (c == '?') {
      *error = optopt ? std::string("unknown option -") + static_cast<char>(optopt)
                      : std::string("unknown option ") + argv[optind - 1];
      return false;
    }
    if (c == ':') {
      *error = std::string("option ") + argv[optind - 1] + " needs a value";
      return false;
    }
    given.emplace_back(c, optarg ? optarg : "");
  }
  if (optind != argc) {
    *error = std::string("unexpected argument '") + argv[optind] + "'";
    return false;
  }
  std::vector<int> channel_lines;
  for (auto& [opt, value] : given) {
    if (opt == 'h') inv->help = true;
    if (opt == kVersion) inv->version = true;
    if (opt == 'c') inv->config_path = value;
  }
  if (inv->help || inv->version) return true;
  Options& o = inv->options;
  if (!inv->config_path.empty() && !load_file(inv->config_path, &o, &channel_lines, error))
    return false;
  bool peers_given = false;
  for (auto& [opt, value] : given) {
    std::string why;
    const char* name = nullptr;
    switch (opt) {
      case 'l':
        o.mode = Options::Mode::kServer, name = "--listen",
        why = set_bridge_key(&o, "socket", value);
        break;
      case 'C':
        o.mode = Options::Mode::kClient, name = "--connect",
        why = set_bridge_key(&o, "socket", value);
        break;
      case 'd':
        name = "--domain", why = set_bridge_key(&o, "domain", value);
        break;
      case 'p':
        name = "--partition", why = set_bridge_key(&o, "partition", value);
        break;
      case 'i':
        name = "--interface", why = set_bridge_key(&o, "interface", value);
        break;
      case kDdsConfig:
        name = "--dds-config", why = set_bridge_key(&o, "dds_config", value);
        break;
      case kWriteTimeout:
        name = "--write-timeout", why = set_bridge_key(&o, "write_timeout_ms", value);
        break;
      case kStats:
        name = "--stats-interval", why = set_bridge_key(&o, "stats_interval_s", value);
        break;
      case kPeer:
        if (!peers_given) o.peers.clear();  // the command line's list replaces the file's
        peers_given = true;
        o.peers.push_back(value);
        break;
      case 'v':
        o.verbose = true;
        break;
      case kCheck:
        inv->check = true;
        break;
      default:
        break;
    }
    if (!why.empty()) {
      *error = std::string(name) + " " + value + ": " + why;
      return false;
    }
  }
  return check_all(*inv, channel_lines, error);
}

void print_help() {
  std::printf(
      "usage: rtipc-bridge [-c FILE] (--listen SOCKET | --connect SOCKET) [OPTION...]\n"
      "\n"
      "Carries rtipc channels between hosts over Cyclone DDS. Each channel is a DDS\n"
      "topic named rtipc/SIZE/TOPIC: what an application produces is published, what\n"
      "it consumes is taken from the topic.\n"
      "\n"
      "  -c, --config FILE      read settings from FILE (INI; see rtipc-bridge(1))\n"
      "  -l, --listen SOCKET    server mode: applications connect here; each channel's\n"
      "                         info bytes name its topic: topic=NAME [push=force|try]\n"
      "  -C, --connect SOCKET   client mode: join the rtipc server at SOCKET with the\n"
      "                         group of the file's [channel TOPIC] sections\n"
      "  -d, --domain ID        DDS domain id, 0..232 (default 0)\n"
      "  -p, --partition NAME   DDS partition (default: none)\n"
      "  -i, --interface NAME   the network interface DDS uses (default: Cyclone's choice)\n"
      "      --peer ADDRESS     a unicast discovery peer (repeatable); turns multicast off\n"
      "      --dds-config CFG   more Cyclone DDS configuration (a file:// URI or XML)\n"
      "      --write-timeout MS how long a reliable (push=try) write may block (100)\n"
      "      --stats-interval S log each channel's counters every S seconds (0: never)\n"
      "  -v, --verbose          log every client and endpoint\n"
      "      --check            check the settings and files, print them, and exit\n"
      "  -h, --help             print this help and exit\n"
      "      --version          print the version and exit\n"
      "\n"
      "Anyone in the DDS domain and partition, on the interfaces the bridge listens on,\n"
      "can read and write its topics unless DDS Security is configured ([security]).\n"
      "\n"
      "Exit status: 0 stopped by SIGTERM or SIGINT, 1 failed, 2 bad settings.\n");
}

}  // namespace bridge
