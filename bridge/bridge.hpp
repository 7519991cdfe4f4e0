// The bridge's one loop: an rtipc waitset holding every channel the
// applications produce on, DDS's eventfd, the listening socket (server
// mode), each application's pidfd, a signalfd and two timers. It sleeps in
// the kernel when nothing happens.
#pragma once

#include <rtipc/rtipc.h>

#include <memory>
#include <string>
#include <vector>

#include "channel.hpp"
#include "dds_side.hpp"
#include "options.hpp"

namespace bridge {

class Bridge {
 public:
  explicit Bridge(Options options) : o_(std::move(options)) {}
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;
  ~Bridge();

  // Sets everything up (signals must be blocked already: DDS's threads
  // inherit the mask). Returns "" or why not.
  std::string open(int signal_fd);

  // Runs until SIGTERM or SIGINT. Returns the exit status.
  int run();

 private:
  // One application's group (server mode) or the group joined (client mode).
  struct App {
    rtipc_group* group = nullptr;  // kept for its pidfd
    int32_t pid = 0;
    std::vector<std::unique_ptr<Channel>> channels;
  };

  static int filter(const rtipc_proposal* proposal, void* user);
  bool check_proposal(const rtipc_proposal* proposal, std::string* reason) const;
  void accept_app();
  void connect_server();
  bool add_app(rtipc_group* group);
  void drop_app(App* app, const char* why);
  void on_dds();
  void retry_blocked();
  void log_stats();
  void arm_retry(bool on);

  Options o_;
  DdsSide dds_;
  rtipc_waitset* waitset_ = nullptr;
  rtipc_server* server_ = nullptr;
  int signal_fd_ = -1;
  int retry_fd_ = -1;  // timerfd: full try-mode channels, reconnects
  int stats_fd_ = -1;  // timerfd: --stats-interval
  bool retry_armed_ = false;
  bool reconnect_due_ = false;
  bool waiting_logged_ = false;
  std::vector<std::unique_ptr<App>> apps_;
};

}  // namespace bridge
