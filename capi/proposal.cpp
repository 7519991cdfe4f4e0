// The filter's view of a client's proposal, and the server limits that are
// checked before the filter is asked.
#include <unistd.h>

#include <cstring>

#include "capi.hpp"
#include "sized.hpp"

struct rtipc_proposal {
  const rtipc::GroupSpec* spec;
  rtipc::PeerCredentials peer;
  bool peer_known;
  uint64_t region_size;
};

namespace rtipc::capi {
namespace {

uint64_t or_default(uint64_t value, uint64_t fallback) { return value ? value : fallback; }

void check_limit(uint64_t value, uint64_t limit, const char* what) {
  if (value > limit) fail(-E2BIG, "{} {} exceeds the server's limit of {}", what, value, limit);
}

uint64_t page_round(uint64_t bytes) {
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

// What accepting costs the server beyond the client's pages: the index
// areas of its producers, which it writes, their private chain copies,
// producer caches, and the whole region when it locks it.
uint64_t private_size(const GroupSpec& spec, const std::vector<ChannelLayout>& layouts,
                      uint64_t region, const GroupOptions& options) {
  uint64_t total = options.region.lock ? region : 0;
  const size_t first = spec.client_produces.size();  // the server produces the rest
  for (size_t i = first; i < layouts.size(); ++i) {
    const ChannelLayout& l = layouts[i];
    total += page_round(l.index_size) + uint64_t{l.slots} * sizeof(uint32_t);
    if (options.producer_cache) total += l.msg_size;
  }
  return total;
}

void check_limits(const GroupSpec& spec, uint64_t region, const std::vector<ChannelLayout>& layouts,
                  const ServerSettings& s) {
  const rtipc_server_config& c = s.config;
  if (spec.cacheline < c.min_cacheline)
    fail(-E2BIG, "cache line {} is below the server's minimum of {}", spec.cacheline,
         c.min_cacheline);
  check_limit(spec.channel_count(), c.max_channels, "channel count");
  for (const ChannelLayout& l : layouts) check_limit(l.slots, c.max_slots, "slot count");
  check_limit(region, c.max_region_size, "region size");
  check_limit(private_size(spec, layouts, region, s.group), c.max_private_size,
              "private memory");
}

}  // namespace

ServerSettings server_settings(const rtipc_server_config* config) {
  rtipc_server_config c = RTIPC_SERVER_CONFIG_INIT;
  if (config) c = read_sized(config, "rtipc_server_config").v;
  ServerSettings s{c, options_from_flags(c.group_flags)};
  rtipc_server_config& d = s.config;
  if (d.request_timeout_ms == 0) d.request_timeout_ms = RTIPC_DEFAULT_REQUEST_TIMEOUT_MS;
  if (d.request_timeout_ms < -1) fail(-EINVAL, "request timeout {} ms", d.request_timeout_ms);
  if (d.backlog < 0) fail(-EINVAL, "backlog {}", d.backlog);
  if (d.min_cacheline == 0) d.min_cacheline = kMinCacheline;
  if (d.min_cacheline > kMaxCacheline || (d.min_cacheline & (d.min_cacheline - 1)))
    fail(-EINVAL, "min_cacheline {} is not a power of two up to {}", d.min_cacheline,
         kMaxCacheline);
  d.max_channels = static_cast<uint32_t>(or_default(d.max_channels, RTIPC_DEFAULT_MAX_CHANNELS));
  d.max_slots = static_cast<uint32_t>(or_default(d.max_slots, RTIPC_DEFAULT_MAX_SLOTS));
  d.max_region_size = or_default(d.max_region_size, RTIPC_DEFAULT_MAX_REGION_SIZE);
  d.max_private_size = or_default(d.max_private_size, RTIPC_DEFAULT_MAX_PRIVATE_SIZE);
  if (d.max_channels > kMaxChannels) fail(-EINVAL, "max_channels beyond {}", kMaxChannels);
  if (d.max_slots > kMaxSlots) fail(-EINVAL, "max_slots beyond {}", kMaxSlots);
  if (d.max_region_size > kMaxRegionSize)
    fail(-EINVAL, "max_region_size beyond {}", kMaxRegionSize);
  return s;
}

Filter make_filter(const ServerSettings& settings, bool peer_known) {
  return [settings, peer_known](const GroupSpec& spec, const PeerCredentials& peer) {
    std::vector<ChannelLayout> layouts;
    const uint64_t region = spec.layout(&layouts);
    check_limits(spec, region, layouts, settings);
    const rtipc_filter_fn filter = settings.config.filter;
    if (!filter) return true;
    const rtipc_proposal proposal{&spec, peer, peer_known, region};
    return filter(&proposal, settings.config.filter_user) != 0;
  };
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
  return proposal->peer_known ? proposal->peer.pid : 0;
}

RTIPC_EXPORT uint32_t rtipc_proposal_peer_uid(const rtipc_proposal* proposal) noexcept {
  return proposal->peer_known ? proposal->peer.uid : UINT32_MAX;
}

RTIPC_EXPORT uint32_t rtipc_proposal_peer_gid(const rtipc_proposal* proposal) noexcept {
  return proposal->peer_known ? proposal->peer.gid : UINT32_MAX;
}

}  // extern "C"
