// The filter's view of a client's proposal, and the server settings of
// rtipc_server_config in the core's terms.
#include <cstring>

#include "capi.hpp"
#include "limits.hpp"
#include "server.hpp"
#include "sized.hpp"

// rtipc.h states the server defaults for C callers; the core keeps its own.
// A change to one side alone stops the build here.
static_assert(rtipc::ServerLimits{}.max_channels == RTIPC_DEFAULT_MAX_CHANNELS);
static_assert(rtipc::ServerLimits{}.max_slots == RTIPC_DEFAULT_MAX_SLOTS);
static_assert(rtipc::ServerLimits{}.max_region_size == RTIPC_DEFAULT_MAX_REGION_SIZE);
static_assert(rtipc::ServerLimits{}.max_private_size == RTIPC_DEFAULT_MAX_PRIVATE_SIZE);
static_assert(rtipc::kDefaultRequestTimeoutMs == RTIPC_DEFAULT_REQUEST_TIMEOUT_MS);

// Lives on the stack of the filter's caller, for the call only.
struct rtipc_proposal {
  const rtipc::GroupSpec* spec;
  rtipc::PeerCredentials peer;  // unknown_peer() when no socket told us
  uint64_t region_size;
};

namespace rtipc::capi {
namespace {

template <typename T>
T or_default(T value, T fallback) {
  return value ? value : fallback;
}

// The application's filter, seeing the core's proposal through the getters.
Filter c_filter(rtipc_filter_fn filter, void* user) {
  if (!filter) return nullptr;
  return [filter, user](const Proposal& p) {
    const rtipc_proposal proposal{&p.spec, p.peer, p.region_size};
    return filter(&proposal, user) != 0;
  };
}

}  // namespace

ServerSettings server_settings(const rtipc_server_config* config) {
  rtipc_server_config c = RTIPC_SERVER_CONFIG_INIT;
  if (config) c = read_sized(config, "rtipc_server_config").v;
  if (c.request_timeout_ms < -1) fail(-EINVAL, "request timeout {} ms", c.request_timeout_ms);
  if (c.backlog < 0) fail(-EINVAL, "backlog {}", c.backlog);
  ServerSettings s;
  s.backlog = c.backlog;
  s.socket_mode = c.socket_mode;
  ServerOptions& o = s.options;
  o.group = options_from_flags(c.group_flags);
  o.filter = c_filter(c.filter, c.filter_user);
  o.request_timeout_ms = or_default(c.request_timeout_ms, RTIPC_DEFAULT_REQUEST_TIMEOUT_MS);
  const ServerLimits d;
  o.limits.min_cacheline = or_default(c.min_cacheline, d.min_cacheline);
  o.limits.max_channels = or_default(c.max_channels, d.max_channels);
  o.limits.max_slots = or_default(c.max_slots, d.max_slots);
  o.limits.max_region_size = or_default(c.max_region_size, d.max_region_size);
  o.limits.max_private_size = or_default(c.max_private_size, d.max_private_size);
  validate_limits(o.limits);
  return s;
}

}  // namespace rtipc::capi

namespace {

// The proposal in the server's terms: its producers are what the client consumes.
const std::vector<rtipc::ChannelSpec>& server_produces(const rtipc_proposal* p) {
  return p->spec->client_consumes;
}
const std::vector<rtipc::ChannelSpec>& server_consumes(const rtipc_proposal* p) {
  return p->spec->client_produces;
}

int channel_config(const char* function, const std::vector<rtipc::ChannelSpec>& channels,
                   uint32_t index, rtipc_channel_config* config) {
  return rtipc::capi::guard(function, [&] {
    if (index >= channels.size()) rtipc::fail(-EINVAL, "no channel {}", index);
    rtipc::capi::write_sized(config, rtipc::capi::config_from_spec(channels[index]),
                             "rtipc_channel_config");
    return 0;
  });
}

}  // namespace

extern "C" {

RTIPC_EXPORT uint32_t rtipc_proposal_producer_count(const rtipc_proposal* proposal) noexcept {
  return static_cast<uint32_t>(server_produces(proposal).size());
}

RTIPC_EXPORT uint32_t rtipc_proposal_consumer_count(const rtipc_proposal* proposal) noexcept {
  return static_cast<uint32_t>(server_consumes(proposal).size());
}

RTIPC_EXPORT int rtipc_proposal_producer_config(const rtipc_proposal* proposal, uint32_t index,
                                                struct rtipc_channel_config* config) noexcept {
  return channel_config(__func__, server_produces(proposal), index, config);
}

RTIPC_EXPORT int rtipc_proposal_consumer_config(const rtipc_proposal* proposal, uint32_t index,
                                                struct rtipc_channel_config* config) noexcept {
  return channel_config(__func__, server_consumes(proposal), index, config);
}

RTIPC_EXPORT const void* rtipc_proposal_info(const rtipc_proposal* proposal,
                                             size_t* size) noexcept {
  const auto& info = proposal->spec->info;
  *size = info.size();
  return info.empty() ? nullptr : info.data();
}

RTIPC_EXPORT uint64_t rtipc_proposal_region_size(const rtipc_proposal* proposal) noexcept {
  return proposal->region_size;
}

RTIPC_EXPORT uint32_t rtipc_proposal_cacheline(const rtipc_proposal* proposal) noexcept {
  return proposal->spec->cacheline;
}

RTIPC_EXPORT int32_t rtipc_proposal_peer_pid(const rtipc_proposal* proposal) noexcept {
  return proposal->peer.pid;
}

RTIPC_EXPORT uint32_t rtipc_proposal_peer_uid(const rtipc_proposal* proposal) noexcept {
  return proposal->peer.uid;
}

RTIPC_EXPORT uint32_t rtipc_proposal_peer_gid(const rtipc_proposal* proposal) noexcept {
  return proposal->peer.gid;
}

}  // extern "C"
