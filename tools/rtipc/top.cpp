// rtipc top: live per-channel rates and queue depths.
#include <getopt.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>

#include "commands.hpp"
#include "host.hpp"
#include "output.hpp"
#include "page.hpp"

namespace rtipc_tool {
namespace {

using Key = std::tuple<pid_t, uint64_t, uint32_t, uint32_t>;  // pid, group, kind, index

struct Row {
  pid_t pid;
  std::string comm, socket;
  rtipc_stats_record rec;
  int depth;                            // -errno when unreadable
  double in = 0, out = 0, dropped = 0;  // per second
};

double now_s() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::map<Key, Row> sample(const std::vector<pid_t>& pids) {
  std::map<Key, Row> rows;
  for (const ProcessView& v : gather(pids).processes)
    for (const GroupView& g : v.groups)
      for (const auto& c : g.channels) {
        const rtipc_stats_record& d = g.have_record ? g.group : c;
        rows[{v.proc.pid, g.serial, c.kind, c.index}] =
            Row{v.proc.pid, v.proc.comm, d.socket_path, c, queue_depth(v.proc.pid, c)};
      }
  return rows;
}

// Rates between two samples: out = published, in = taken, dropped = discarded
// and refused (producer) or lost before a take (consumer).
std::vector<Row> rates(const std::map<Key, Row>& before, std::map<Key, Row> after, double dt) {
  std::vector<Row> out;
  for (auto& [key, row] : after) {
    if (auto it = before.find(key); it != before.end() && dt > 0) {
      const auto& a = it->second.rec.counters;
      const auto& b = row.rec.counters;
      row.out = double(b.produced - a.produced) / dt;
      row.in = double(b.consumed - a.consumed) / dt;
      row.dropped =
          double((b.discarded - a.discarded) + (b.full - a.full) + (b.gaps - a.gaps)) / dt;
    }
    out.push_back(row);
  }
  return out;
}

void sort_rows(std::vector<Row>& rows, char by) {
  std::stable_sort(rows.begin(), rows.end(), [by](const Row& a, const Row& b) {
    switch (by) {
      case 'i':
        return a.in > b.in;
      case 'o':
        return a.out > b.out;
      case 'x':
        return a.dropped > b.dropped;
      case 'd':
        return a.depth > b.depth;
      default:
        return a.pid < b.pid;
    }
  });
}

std::string rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", std::round(v));
  return buf;
}

void print_json(const std::vector<Row>& rows, double dt) {
  std::string out = "{\"interval_s\": " + std::to_string(dt) + ", \"channels\": [";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    out += std::string(i ? ", " : "") + "{\"pid\": " + std::to_string(r.pid) +
           ", \"comm\": " + json_string(r.comm) +
           ", \"group\": " + std::to_string(r.rec.group_serial) + ", \"direction\": \"" +
           direction(r.rec) + "\", \"index\": " + std::to_string(r.rec.index) +
           ", \"socket\": " + json_string(r.socket) +
           ", \"slots\": " + std::to_string(r.rec.slots) +
           ", \"depth\": " + (r.depth >= 0 ? std::to_string(r.depth) : "null") +
           ", \"in_per_s\": " + rate(r.in) + ", \"out_per_s\": " + rate(r.out) +
           ", \"dropped_per_s\": " + rate(r.dropped) + "}";
  }
  std::fputs((out + "]}\n").c_str(), stdout);
}

void print_table(const std::vector<Row>& rows, char by, bool live) {
  Table t({"PID", "COMM", "GROUP", "CH", "DEPTH", "SLOTS", "IN/s", "OUT/s", "DROP/s", "SOCKET"});
  for (const Row& r : rows)
    t.add({std::to_string(r.pid), r.comm, std::to_string(r.rec.group_serial),
           std::string(direction(r.rec)) + std::to_string(r.rec.index),
           r.depth >= 0 ? std::to_string(r.depth) : "?", std::to_string(r.rec.slots),
           r.rec.kind == RTIPC_STATS_CONSUMER ? rate(r.in) : "-",
           r.rec.kind == RTIPC_STATS_PRODUCER ? rate(r.out) : "-", rate(r.dropped),
           r.socket.empty() ? "-" : r.socket});
  if (live)
    std::printf(
        "rtipc top: %zu channel(s), sorted by %s; keys: p pid, i in, o out, x dropped, "
        "d depth, q quit\n\n",
        rows.size(),
        by == 'i'   ? "in"
        : by == 'o' ? "out"
        : by == 'x' ? "dropped"
        : by == 'd' ? "depth"
                    : "pid");
  t.print(stdout);
}

// Raw keys from the terminal while it lives.
struct RawTerminal {
  termios saved{};
  bool on = false;
  RawTerminal() {
    if (::tcgetattr(0, &saved) == 0) {
      termios raw = saved;
      raw.c_lflag &= ~tcflag_t(ICANON | ECHO);
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      on = ::tcsetattr(0, TCSANOW, &raw) == 0;
    }
  }
  ~RawTerminal() {
    if (on) ::tcsetattr(0, TCSANOW, &saved);
  }
};

}  // namespace

int cmd_top(int argc, char** argv) {
  bool json = false, once = !::isatty(1);
  double interval = 1.0;
  char by = 'p';
  std::vector<pid_t> pids;
  static const option longs[] = {{"json", no_argument, nullptr, 'j'},
                                 {"once", no_argument, nullptr, '1'},
                                 {"delay", required_argument, nullptr, 'd'},
                                 {"sort", required_argument, nullptr, 's'},
                                 {"pid", required_argument, nullptr, 'p'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {}};
  optind = 1;
  for (int o; (o = getopt_long(argc, argv, "j1d:s:p:h", longs, nullptr)) != -1;) {
    pid_t pid;
    char* end;
    switch (o) {
      case 'j':
        json = once = true;
        break;
      case '1':
        once = true;
        break;
      case 'd':
        interval = std::strtod(optarg, &end);
        if (*end || !(interval >= 0 && interval <= 3600)) {
          std::fprintf(stderr, "rtipc top: bad delay '%s'\n", optarg);
          return kUsage;
        }
        break;
      case 's': {
        const std::string s = optarg;
        if (s == "pid")
          by = 'p';
        else if (s == "in")
          by = 'i';
        else if (s == "out")
          by = 'o';
        else if (s == "dropped")
          by = 'x';
        else if (s == "depth")
          by = 'd';
        else {
          std::fprintf(stderr, "rtipc top: cannot sort by '%s'\n", optarg);
          return kUsage;
        }
        break;
      }
      case 'p':
        if (!parse_pid(optarg, &pid)) {
          std::fprintf(stderr, "rtipc top: bad pid '%s'\n", optarg);
          return kUsage;
        }
        pids.push_back(pid);
        break;
      case 'h':
        std::fputs(usage_of("top"), stdout);
        return kOk;
      default:
        std::fputs(usage_of("top"), stderr);
        return kUsage;
    }
  }
  if (optind != argc) {
    std::fputs(usage_of("top"), stderr);
    return kUsage;
  }
  if (once) {
    const auto before = sample(pids);
    const double t0 = now_s();
    if (interval > 0) ::usleep(useconds_t(interval * 1e6));
    auto after = sample(pids);
    const double dt = now_s() - t0;
    auto rows = rates(before, std::move(after), interval > 0 ? dt : 0);
    sort_rows(rows, by);
    if (json)
      print_json(rows, interval > 0 ? dt : 0);
    else
      print_table(rows, by, false);
    return kOk;
  }
  RawTerminal term;
  auto before = sample(pids);
  double t0 = now_s();
  for (;;) {
    pollfd p = {0, POLLIN, 0};
    if (::poll(&p, 1, int(interval * 1000)) > 0) {
      char c = 0;
      if (::read(0, &c, 1) == 1) {
        if (c == 'q') break;
        if (std::string("pioxd").find(c) != std::string::npos) by = c;
      } else {
        break;  // end of input
      }
    }
    auto after = sample(pids);
    const double t1 = now_s();
    auto rows = rates(before, after, t1 - t0);
    before = std::move(after);
    t0 = t1;
    sort_rows(rows, by);
    std::fputs("\033[H\033[J", stdout);  // home, clear: redraw in place
    print_table(rows, by, true);
    std::fflush(stdout);
  }
  return kOk;
}

}  // namespace rtipc_tool
