#include "dds_side.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cinttypes>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "frame.h"
#include "log.hpp"
#include "tsan.hpp"

#ifndef BRIDGE_SECURITY_LIBDIR
#define BRIDGE_SECURITY_LIBDIR ""
#endif

namespace bridge {
namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string file_uri(const std::string& path) {
  char resolved[PATH_MAX];
  const char* p = realpath(path.c_str(), resolved) ? resolved : path.c_str();
  return "file:" + xml_escape(p);
}

std::string plugin(const char* file, const char* init, const char* fini) {
  std::string dir = BRIDGE_SECURITY_LIBDIR;
  std::string path = dir.empty() ? std::string(file) : dir + "/lib" + file + ".so";
  return "<Library path=\"" + xml_escape(path) + "\" initFunction=\"" + init +
         "\" finalizeFunction=\"" + fini + "\"/>";
}

void on_data(dds_entity_t, void* arg) {
  auto* wake = static_cast<Wake*>(arg);
  tsan_acquire(wake);
  if (wake->deliver && wake->deliver(wake->ctx)) {
    tsan_release(wake);
    return;
  }
  wake->ready.store(true, std::memory_order_release);
  uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable.
  [[maybe_unused]] ssize_t n = write(wake->fd, &one, sizeof one);
  tsan_release(wake);
}

// Matching is what makes a topic flow: one line each time it changes.
void log_match(void* arg, const char* role, const char* others, int32_t count, int32_t change) {
  auto* wake = static_cast<Wake*>(arg);
  tsan_acquire(wake);
  log("topic %s: %s %s, %" PRId32 " remote %s now", wake->topic.c_str(), role,
      change > 0 ? "matched" : "unmatched", count, others);
  tsan_release(wake);
}

void on_publication_matched(dds_entity_t, const dds_publication_matched_status_t st, void* arg) {
  log_match(arg, "writer", "reader(s)", st.current_count, st.current_count_change);
}

void on_subscription_matched(dds_entity_t, const dds_subscription_matched_status_t st, void* arg) {
  log_match(arg, "reader", "writer(s)", st.current_count, st.current_count_change);
}

std::string guid_text(const dds_guid_t& g) {
  char buf[40];
  for (int i = 0; i < 16; i++) std::snprintf(buf + 2 * i, 3, "%02x", g.v[i]);
  return buf;
}

}  // namespace

std::string dds_topic_name(const std::string& topic, uint32_t size) {
  return "rtipc/" + std::to_string(size) + "/" + topic;
}

bool split_dds_topic_name(const char* name, std::string* topic, uint32_t* size) {
  if (std::strncmp(name, "rtipc/", 6) != 0) return false;
  char* end = nullptr;
  unsigned long v = std::strtoul(name + 6, &end, 10);
  if (end == name + 6 || *end != '/' || v == 0 || v > UINT32_MAX) return false;
  *size = static_cast<uint32_t>(v);
  *topic = end + 1;
  return true;
}

std::string dds_domain_config(const Options& o) {
  std::string general, discovery, security;
  if (!o.interface.empty())
    general +=
        "<Interfaces><NetworkInterface name=\"" + xml_escape(o.interface) + "\"/></Interfaces>";
  if (!o.peers.empty()) {
    general += "<AllowMulticast>false</AllowMulticast>";
    // Unicast discovery finds participants at well-known ports only.
    discovery += "<ParticipantIndex>auto</ParticipantIndex><Peers>";
    for (const auto& p : o.peers) discovery += "<Peer address=\"" + xml_escape(p) + "\"/>";
    discovery += "</Peers>";
  }
  const Security& s = o.security;
  if (s.enabled()) {
    security = "<Security><Authentication>" +
               plugin("dds_security_auth", "init_authentication", "finalize_authentication") +
               "<IdentityCertificate>" + file_uri(s.identity_certificate) +
               "</IdentityCertificate><PrivateKey>" + file_uri(s.private_key) +
               "</PrivateKey><IdentityCA>" + file_uri(s.identity_ca) +
               "</IdentityCA></Authentication><AccessControl>" +
               plugin("dds_security_ac", "init_access_control", "finalize_access_control") +
               "<PermissionsCA>" + file_uri(s.permissions_ca) + "</PermissionsCA><Governance>" +
               file_uri(s.governance) + "</Governance><Permissions>" + file_uri(s.permissions) +
               "</Permissions></AccessControl><Cryptographic>" +
               plugin("dds_security_crypto", "init_crypto", "finalize_crypto") +
               "</Cryptographic></Security>";
  }
  std::string xml = "<CycloneDDS><Domain id=\"any\">";
  if (!general.empty()) xml += "<General>" + general + "</General>";
  if (!discovery.empty()) xml += "<Discovery>" + discovery + "</Discovery>";
  xml += security + "</Domain></CycloneDDS>";
  return o.dds_config.empty() ? xml : o.dds_config + "," + xml;
}

DdsSide::~DdsSide() {
  // Deleting the domain deletes every entity in it and waits for running
  // listeners, so the eventfd is closed after them.
  if (domain_ > 0) dds_delete(domain_);
  tsan_acquire(&discovery_);
  if (event_fd_ >= 0) close(event_fd_);
}

std::string DdsSide::open(const Options& o) {
  write_timeout_ms_ = o.write_timeout_ms;
  event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) return std::string("eventfd: ") + std::strerror(errno);
  discovery_.fd = event_fd_;

  domain_ = dds_create_domain(o.domain, dds_domain_config(o).c_str());
  if (domain_ < 0)
    return "cannot create DDS domain " + std::to_string(o.domain) + ": " + dds_strretcode(domain_) +
           " (see Cyclone's messages above)";
  participant_ = dds_create_participant(o.domain, nullptr, nullptr);
  if (participant_ < 0)
    return std::string("cannot create a DDS participant: ") + dds_strretcode(participant_) +
           (o.security.enabled() ? " (check the [security] files)" : "");
  dds_get_guid(participant_, &own_guid_);

  dds_qos_t* qos = dds_create_qos();
  if (!o.partition.empty()) dds_qset_partition1(qos, o.partition.c_str());
  publisher_ = dds_create_publisher(participant_, qos, nullptr);
  subscriber_ = dds_create_subscriber(participant_, qos, nullptr);
  dds_delete_qos(qos);
  if (publisher_ < 0 || subscriber_ < 0) return "cannot create a DDS publisher or subscriber";

  // Discovery data: who else uses our topics, and with which size.
  tsan_release(&discovery_);
  dds_listener_t* l = dds_create_listener(&discovery_);
  dds_lset_data_available(l, on_data);
  builtin_pub_ = dds_create_reader(participant_, DDS_BUILTIN_TOPIC_DCPSPUBLICATION, nullptr, l);
  builtin_sub_ = dds_create_reader(participant_, DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION, nullptr, l);
  dds_delete_listener(l);
  if (builtin_pub_ < 0 || builtin_sub_ < 0) return "cannot read DDS discovery data";
  return "";
}

static dds_qos_t* endpoint_qos(const ChannelSpec& spec, uint32_t write_timeout_ms) {
  dds_qos_t* qos = dds_create_qos();
  if (spec.push == Push::kTry)
    dds_qset_reliability(qos, DDS_RELIABILITY_RELIABLE, DDS_MSECS(write_timeout_ms));
  else
    dds_qset_reliability(qos, DDS_RELIABILITY_BEST_EFFORT, 0);
  dds_qset_history(qos, DDS_HISTORY_KEEP_LAST, static_cast<int32_t>(spec.slots));
  dds_qset_durability(qos, DDS_DURABILITY_VOLATILE);
  // Our own writers are for other hosts: never loop a message back.
  dds_qset_ignorelocal(qos, DDS_IGNORELOCAL_PARTICIPANT);
  return qos;
}

dds_entity_t DdsSide::create_writer(const ChannelSpec& spec, Wake* wake) {
  std::string name = dds_topic_name(spec.topic, spec.size);
  wake->topic = name;
  dds_entity_t topic =
      dds_create_topic(participant_, &rtipc_bridge_Frame_desc, name.c_str(), nullptr, nullptr);
  if (topic < 0) return topic;
  dds_qos_t* qos = endpoint_qos(spec, write_timeout_ms_);
  tsan_release(wake);
  dds_listener_t* l = dds_create_listener(wake);
  dds_lset_publication_matched(l, on_publication_matched);
  dds_entity_t w = dds_create_writer(publisher_, topic, qos, l);
  dds_delete_listener(l);
  dds_delete_qos(qos);
  return w;
}

dds_entity_t DdsSide::create_reader(const ChannelSpec& spec, Wake* wake) {
  std::string name = dds_topic_name(spec.topic, spec.size);
  dds_entity_t topic =
      dds_create_topic(participant_, &rtipc_bridge_Frame_desc, name.c_str(), nullptr, nullptr);
  if (topic < 0) return topic;
  wake->fd = event_fd_;
  wake->topic = name;
  dds_qos_t* qos = endpoint_qos(spec, write_timeout_ms_);
  tsan_release(wake);
  dds_listener_t* l = dds_create_listener(wake);
  dds_lset_data_available(l, on_data);
  dds_lset_subscription_matched(l, on_subscription_matched);
  dds_entity_t r = dds_create_reader(subscriber_, topic, qos, l);
  dds_delete_listener(l);
  dds_delete_qos(qos);
  return r;
}

void DdsSide::watch_topic(const std::string& topic, uint32_t size) {
  watched_[topic].insert(size);
  // Endpoints discovered before this topic was ours.
  for (const auto& [guid, ep] : remote_) check_endpoint(guid, ep);
}

void DdsSide::unwatch_topic(const std::string& topic, uint32_t size) {
  auto it = watched_.find(topic);
  if (it == watched_.end()) return;
  auto one = it->second.find(size);
  if (one != it->second.end()) it->second.erase(one);
  if (it->second.empty()) watched_.erase(it);
}

void DdsSide::check_endpoint(const std::string& guid, const RemoteEndpoint& ep) {
  auto it = watched_.find(ep.topic);
  if (it == watched_.end() || it->second.count(ep.size)) return;
  if (!reported_.insert(guid).second) return;
  ++mismatches_;
  log("topic %s: a remote %s uses %u-byte messages, this bridge %u-byte ones: refused, "
      "they never exchange samples",
      ep.topic.c_str(), ep.kind, ep.size, *it->second.begin());
}

int DdsSide::poll_discovery() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(event_fd_, &count, sizeof count);
  if (!discovery_.ready.exchange(false)) return 0;
  uint64_t before = mismatches_;
  const std::pair<dds_entity_t, const char*> readers[] = {{builtin_pub_, "writer"},
                                                          {builtin_sub_, "reader"}};
  for (auto [reader, kind] : readers) {
    for (;;) {
      void* samples[32] = {};
      dds_sample_info_t infos[32];
      int32_t got = dds_take(reader, samples, infos, 32, 32);
      if (got <= 0) break;
      for (int32_t i = 0; i < got; i++) {
        const auto& ep = *static_cast<const dds_builtintopic_endpoint_t*>(samples[i]);
        std::string guid = guid_text(ep.key);
        if (!infos[i].valid_data || infos[i].instance_state != DDS_IST_ALIVE) {
          remote_.erase(guid);
          continue;
        }
        RemoteEndpoint r{"", 0, kind};
        if (std::memcmp(&ep.participant_key, &own_guid_, sizeof own_guid_) == 0 || !ep.topic_name ||
            !split_dds_topic_name(ep.topic_name, &r.topic, &r.size))
          continue;
        check_endpoint(guid, r);
        remote_[guid] = std::move(r);
      }
      dds_return_loan(reader, samples, got);
    }
  }
  return static_cast<int>(mismatches_ - before);
}

}  // namespace bridge
