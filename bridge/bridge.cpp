#include "bridge.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "log.hpp"

namespace bridge {
namespace {

// Waitset keys below 4096 name the fixed sources; others are pointers: a
// Channel (its consumer), or an App with the low bit set (its pidfd).
constexpr uint64_t kKeySignal = 8, kKeyDds = 16, kKeyListen = 24, kKeyRetry = 32, kKeyStats = 40;
constexpr int kRetryMs = 1;
constexpr int kReconnectMs = 500;
constexpr int kFairBatch = 256;  // messages per channel per wake-up

void set_timer(int fd, int ms) {
  itimerspec t{};
  t.it_value.tv_sec = ms / 1000;
  t.it_value.tv_nsec = (ms % 1000) * 1000000L;
  t.it_interval = t.it_value;
  timerfd_settime(fd, 0, &t, nullptr);
}

void drain_fd(int fd) {
  uint64_t v;
  [[maybe_unused]] ssize_t n = read(fd, &v, sizeof v);
}

const char* mode_name(Push p) {
  return p == Push::kTry ? "try" : "force";
}

}  // namespace

Bridge::~Bridge() {
  while (!apps_.empty()) drop_app(apps_.back().get(), "the bridge stops");
  rtipc_server_destroy(server_);
  rtipc_waitset_destroy(waitset_);
  if (retry_fd_ >= 0) close(retry_fd_);
  if (stats_fd_ >= 0) close(stats_fd_);
}

std::string Bridge::open(int signal_fd) {
  signal_fd_ = signal_fd;
  int err = rtipc_waitset_create(nullptr, &waitset_);
  if (err < 0) return std::string("waitset: ") + rtipc_strerror(err);
  retry_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  stats_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (retry_fd_ < 0 || stats_fd_ < 0) return std::string("timerfd: ") + std::strerror(errno);
  if (o_.stats_interval_s) set_timer(stats_fd_, static_cast<int>(o_.stats_interval_s * 1000));

  std::string why = dds_.open(o_);
  if (!why.empty()) return why;
  log("DDS domain %u, partition '%s'%s%s: %s", o_.domain, o_.partition.c_str(),
      o_.interface.empty() ? "" : ", interface ", o_.interface.c_str(),
      o_.security.enabled()
          ? "DDS Security on: only participants whose certificates the permissions name can "
            "read and write the bridged topics"
          : "no DDS Security: anyone there can read and write the bridged topics");

  if (rtipc_waitset_add_fd(waitset_, signal_fd_, POLLIN, kKeySignal) < 0 ||
      rtipc_waitset_add_fd(waitset_, dds_.event_fd(), POLLIN, kKeyDds) < 0 ||
      rtipc_waitset_add_fd(waitset_, retry_fd_, POLLIN, kKeyRetry) < 0 ||
      rtipc_waitset_add_fd(waitset_, stats_fd_, POLLIN, kKeyStats) < 0)
    return "cannot add to the waitset";

  if (o_.mode == Options::Mode::kServer) {
    rtipc_server_config sc = RTIPC_SERVER_CONFIG_INIT;
    sc.filter = filter;
    sc.filter_user = this;
    sc.socket_mode = o_.socket_mode;
    sc.max_channels = 1024;
    err = rtipc_server_create(o_.socket.c_str(), &sc, &server_);
    if (err < 0) return "cannot listen on " + o_.socket + ": " + rtipc_strerror(err);
    rtipc_waitset_add_fd(waitset_, rtipc_server_fd(server_), POLLIN, kKeyListen);
    log("listening on %s", o_.socket.c_str());
  } else {
    connect_server();
  }
  return "";
}

int Bridge::filter(const rtipc_proposal* proposal, void* user) {
  auto* self = static_cast<Bridge*>(user);
  std::string reason;
  if (self->check_proposal(proposal, &reason)) return 1;
  log("refused the group of pid %d: %s", rtipc_proposal_peer_pid(proposal), reason.c_str());
  return 0;
}

// In the server's terms a proposal's producers are the channels the
// application consumes (to-app), its consumers those it produces (from-app).
bool Bridge::check_proposal(const rtipc_proposal* p, std::string* reason) const {
  if (apps_.size() >= o_.max_clients) {
    *reason = "already " + std::to_string(apps_.size()) + " applications (max_clients)";
    return false;
  }
  uint32_t counts[2] = {rtipc_proposal_consumer_count(p), rtipc_proposal_producer_count(p)};
  for (int dir = 0; dir < 2; dir++) {
    for (uint32_t i = 0; i < counts[dir]; i++) {
      rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
      if (dir == 0)
        rtipc_proposal_consumer_config(p, i, &c);
      else
        rtipc_proposal_producer_config(p, i, &c);
      const char* what = dir == 0 ? "channel it produces" : "channel it consumes";
      ChannelSpec spec;
      std::string why;
      if (!parse_channel_info(c.info, c.info_size, &spec, &why)) {
        *reason = std::string(what) + " #" + std::to_string(i) + ": " + why;
        return false;
      }
      if (c.msg_size > kMaxMessageSize) {
        *reason = "topic " + spec.topic + ": " + std::to_string(c.msg_size) +
                  "-byte messages, more than the bridge's limit of " +
                  std::to_string(kMaxMessageSize);
        return false;
      }
      if (dir == 0 && !(c.flags & RTIPC_CHANNEL_EVENTFD)) {
        *reason = "topic " + spec.topic +
                  ": a channel the application produces on needs an "
                  "eventfd (RTIPC_CHANNEL_EVENTFD) so the bridge can sleep on it";
        return false;
      }
    }
  }
  return true;
}

void Bridge::accept_app() {
  rtipc_group* group = nullptr;
  int err = rtipc_server_accept(server_, 0, &group);
  if (err == -ETIMEDOUT || err == -EINTR) return;
  if (err < 0) {
    if (err != -RTIPC_EREJECTED) log("accept: %s", rtipc_strerror(err));
    return;
  }
  add_app(group);
}

void Bridge::connect_server() {
  std::vector<rtipc_channel_config> producers, consumers;
  std::vector<std::string> infos;
  infos.reserve(o_.channels.size());
  for (const auto& c : o_.channels) {
    infos.push_back("topic=" + c.topic + " push=" + mode_name(c.push));
    rtipc_channel_config cc = RTIPC_CHANNEL_CONFIG_INIT;
    cc.flags = RTIPC_CHANNEL_EVENTFD;
    cc.msg_size = c.size;
    cc.add_msgs = c.slots - 3;
    cc.info = infos.back().data();
    cc.info_size = static_cast<uint32_t>(infos.back().size());
    (c.direction == Direction::kToApp ? producers : consumers).push_back(cc);
  }
  rtipc_group_config gc = RTIPC_GROUP_CONFIG_INIT;
  gc.producers = producers.empty() ? nullptr : producers.data();
  gc.producer_count = static_cast<uint32_t>(producers.size());
  gc.consumers = consumers.empty() ? nullptr : consumers.data();
  gc.consumer_count = static_cast<uint32_t>(consumers.size());
  gc.info = o_.group_info.empty() ? nullptr : o_.group_info.data();
  gc.info_size = static_cast<uint32_t>(o_.group_info.size());
  rtipc_group* group = nullptr;
  int err = rtipc_client_connect(o_.socket.c_str(), &gc, 2000, &group);
  if (err < 0) {
    if (!waiting_logged_)
      log("connect to %s: %s; trying again every %d ms", o_.socket.c_str(), rtipc_strerror(err),
          kReconnectMs);
    waiting_logged_ = true;
    reconnect_due_ = true;
    arm_retry(true);
    return;
  }
  waiting_logged_ = false;
  reconnect_due_ = false;
  if (!add_app(group)) {
    reconnect_due_ = true;
    arm_retry(true);
  }
}

bool Bridge::add_app(rtipc_group* group) {
  auto app = std::make_unique<App>();
  app->group = group;
  app->pid = rtipc_group_peer_pid(group);
  std::string why;
  for (int dir = 0; dir < 2 && why.empty(); dir++) {
    bool to_app = dir == 1;
    uint32_t n = to_app ? rtipc_group_producer_count(group) : rtipc_group_consumer_count(group);
    for (uint32_t i = 0; i < n && why.empty(); i++) {
      rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
      ChannelSpec spec;
      rtipc_producer* producer = nullptr;
      rtipc_consumer* consumer = nullptr;
      if (to_app) {
        rtipc_group_producer_config(group, i, &c);
        rtipc_group_take_producer(group, i, &producer);
        spec.slots = rtipc_producer_slots(producer);
      } else {
        rtipc_group_consumer_config(group, i, &c);
        rtipc_group_take_consumer(group, i, &consumer);
        spec.slots = rtipc_consumer_slots(consumer);
      }
      spec.direction = to_app ? Direction::kToApp : Direction::kFromApp;
      spec.size = c.msg_size;
      // Checked by the filter (server) or written by us (client).
      parse_channel_info(c.info, c.info_size, &spec, &why);
      auto ch = std::make_unique<Channel>(spec, consumer, producer);
      why = ch->open(dds_);
      if (ch->is_open()) dds_.watch_topic(spec.topic, spec.size);
      if (why.empty() && consumer) {
        int err =
            rtipc_waitset_add_consumer(waitset_, consumer, reinterpret_cast<uintptr_t>(ch.get()));
        if (err < 0) why = std::string("waitset: ") + rtipc_strerror(err);
      }
      if (why.empty()) {
        if (o_.verbose)
          log("pid %d: topic %s, %s, %u-byte messages, %u slots, push=%s", app->pid,
              spec.topic.c_str(), to_app ? "to the application" : "from the application", spec.size,
              spec.slots, mode_name(spec.push));
      }
      app->channels.push_back(std::move(ch));
    }
  }
  int pidfd = rtipc_group_peer_fd(group);
  uint64_t key = reinterpret_cast<uintptr_t>(app.get()) | 1;
  if (why.empty() && pidfd >= 0) {
    int err = rtipc_waitset_add_peer(waitset_, pidfd, key);
    if (err < 0) why = std::string("waitset: ") + rtipc_strerror(err);
  }
  App* raw = app.get();
  apps_.push_back(std::move(app));
  if (!why.empty()) {
    log("pid %d: %s", raw->pid, why.c_str());
    drop_app(raw, "its channels could not be bridged");
    return false;
  }
  log("pid %d joined: %zu channels bridged", raw->pid, raw->channels.size());
  on_dds();  // samples that came while the readers were new
  return true;
}

void Bridge::drop_app(App* app, const char* why) {
  for (auto& ch : app->channels) {
    if (ch->consumer()) {
      rtipc_waitset_remove_consumer(waitset_, ch->consumer());
      ch->forward_to_dds(INT32_MAX);  // what it published before it went
    }
    if (ch->is_open()) dds_.unwatch_topic(ch->spec().topic, ch->spec().size);
    log("pid %d: %s", app->pid, ch->stats().c_str());
  }
  int pidfd = rtipc_group_peer_fd(app->group);
  if (pidfd >= 0) rtipc_waitset_remove_fd(waitset_, pidfd);
  const pid_t pid = app->pid;
  const size_t channels = app->channels.size();
  app->channels.clear();
  rtipc_group_destroy(app->group);
  for (auto it = apps_.begin(); it != apps_.end(); ++it)
    if (it->get() == app) {
      apps_.erase(it);
      break;
    }
  // Once everything of it is closed: whoever reads the log (the restart
  // test counts descriptors) may then rely on that.
  log("pid %d left (%s): %zu channels closed", pid, why, channels);
}

void Bridge::on_dds() {
  dds_.poll_discovery();  // also clears the eventfd, before the flags are read
  bool blocked = false;
  for (auto& app : apps_)
    for (auto& ch : app->channels)
      if (ch->spec().direction == Direction::kToApp) {
        if (ch->take_ready() && !ch->blocked()) ch->forward_to_app();
        blocked |= ch->blocked();
      }
  if (blocked) arm_retry(true);
}

void Bridge::retry_blocked() {
  drain_fd(retry_fd_);
  bool blocked = false;
  for (auto& app : apps_)
    for (auto& ch : app->channels)
      if (ch->blocked()) blocked |= !ch->forward_to_app();
  if (reconnect_due_) {
    connect_server();
    blocked |= reconnect_due_;
  }
  arm_retry(blocked);
}

void Bridge::arm_retry(bool on) {
  if (on == retry_armed_) return;
  retry_armed_ = on;
  int ms = reconnect_due_ ? kReconnectMs : kRetryMs;
  if (on)
    set_timer(retry_fd_, ms);
  else {
    itimerspec off{};
    timerfd_settime(retry_fd_, 0, &off, nullptr);
  }
}

void Bridge::log_stats() {
  for (auto& app : apps_)
    for (auto& ch : app->channels) log("pid %d: %s", app->pid, ch->stats().c_str());
  log("stats size_mismatches=%llu", static_cast<unsigned long long>(dds_.mismatches()));
}

int Bridge::run() {
  rtipc_waitset_event events[64];
  for (;;) {
    int n = rtipc_waitset_wait(waitset_, events, 64, -1);
    if (n == -EINTR) continue;
    if (n < 0) {
      log("wait: %s", rtipc_strerror(n));
      return 1;
    }
    for (int i = 0; i < n; i++) {
      uint64_t key = events[i].key;
      if (key == kKeySignal) {
        signalfd_siginfo si;
        if (read(signal_fd_, &si, sizeof si) != sizeof si) continue;
        if (si.ssi_signo == SIGUSR1) {
          log_stats();
          continue;
        }
        // Each channel's counters follow as the applications are dropped.
        log("%s: stopping; stats size_mismatches=%llu", strsignal(static_cast<int>(si.ssi_signo)),
            static_cast<unsigned long long>(dds_.mismatches()));
        return 0;
      } else if (key == kKeyDds) {
        on_dds();
      } else if (key == kKeyListen) {
        accept_app();
      } else if (key == kKeyRetry) {
        retry_blocked();
      } else if (key == kKeyStats) {
        drain_fd(stats_fd_);
        log_stats();
      } else if (key & 1) {
        App* app = reinterpret_cast<App*>(key & ~uint64_t{1});
        drop_app(app, "its process exited");
        // Later events of this wait may name its channels: wait again.
        if (o_.mode == Options::Mode::kClient) {
          reconnect_due_ = true;
          arm_retry(true);
        }
        break;
      } else {
        reinterpret_cast<Channel*>(key)->forward_to_dds(kFairBatch);
      }
    }
  }
}

}  // namespace bridge
