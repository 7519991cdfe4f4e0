// Channel groups: creation, serialization, the server-side build, take-out.
#include <cstring>
#include <vector>

#include "capi.hpp"
#include "server.hpp"
#include "sized.hpp"

static_assert(rtipc::kMaxRequestSize == RTIPC_MAX_REQUEST_SIZE);

namespace rtipc::capi {
namespace {

std::vector<std::byte> copy_bytes(const void* data, uint32_t size) {
  if (size == 0) return {};
  if (!data) fail(-EINVAL, "info is NULL but its size is {}", size);
  const auto* p = static_cast<const std::byte*>(data);
  return {p, p + size};
}

// The array's stride is its first element's size (rtipc.h).
std::vector<ChannelSpec> channel_specs(const rtipc_channel_config* configs, uint32_t count,
                                       const char* what) {
  if (count == 0) return {};
  if (!configs) fail(-EINVAL, "{} is NULL but its count is {}", what, count);
  if (count > kMaxChannels)
    fail(-EINVAL, "{} {} exceed the limit of {}", count, what, kMaxChannels);
  const uint32_t stride = declared_size(configs);
  std::vector<ChannelSpec> out;
  for (uint32_t i = 0; i < count; ++i) {
    const auto* element = reinterpret_cast<const rtipc_channel_config*>(
        reinterpret_cast<const unsigned char*>(configs) + size_t{i} * stride);
    if (declared_size(element) != stride)
      fail(-EINVAL, "{}[{}]: size {} differs from the first element's {}", what, i,
           declared_size(element), stride);
    const rtipc_channel_config c = read_sized(element, "rtipc_channel_config").v;
    if (c.flags & ~RTIPC_CHANNEL_EVENTFD)
      fail(-EINVAL, "{}[{}]: unknown flags {:#x}", what, i, c.flags);
    if (c.reserved != 0) fail(-EINVAL, "{}[{}]: reserved is {}, not 0", what, i, c.reserved);
    if (c.msg_size == 0) fail(-EINVAL, "{}[{}]: message size 0", what, i);
    out.push_back({c.msg_size, c.add_msgs, (c.flags & RTIPC_CHANNEL_EVENTFD) != 0,
                   copy_bytes(c.info, c.info_size)});
  }
  return out;
}

rtipc_group_config read_group_config(const rtipc_group_config* caller) {
  require(caller, "config");
  return read_sized(caller, "rtipc_group_config").v;
}

// In the client's terms: the caller is the client.
GroupSpec spec_from_config(const rtipc_group_config& config) {
  GroupSpec spec;
  spec.cacheline = config.cacheline ? config.cacheline : kDefaultCacheline;
  if (!valid_cacheline(spec.cacheline))
    fail(-EINVAL, "cache line {} is not a power of two from {} to {}", spec.cacheline,
         kMinCacheline, kMaxCacheline);
  spec.info = copy_bytes(config.info, config.info_size);
  spec.client_produces = channel_specs(config.producers, config.producer_count, "producers");
  spec.client_consumes = channel_specs(config.consumers, config.consumer_count, "consumers");
  return spec;
}

}  // namespace

rtipc_channel_config config_from_spec(const ChannelSpec& c) {
  rtipc_channel_config out = RTIPC_CHANNEL_CONFIG_INIT;
  out.flags = c.eventfd ? RTIPC_CHANNEL_EVENTFD : 0u;
  out.msg_size = c.msg_size;
  out.add_msgs = c.add_msgs;
  out.info = c.info.empty() ? nullptr : c.info.data();
  out.info_size = static_cast<uint32_t>(c.info.size());
  return out;
}

std::vector<UniqueFd> own_fds(const int* fds, size_t count) {
  std::vector<UniqueFd> out;
  try {
    out.reserve(count);
  } catch (...) {
    for (size_t i = 0; i < count; ++i) ::close(fds[i]);
    throw;
  }
  for (size_t i = 0; i < count; ++i) out.emplace_back(fds[i]);
  return out;
}

std::unique_ptr<rtipc_group> new_client_group(const rtipc_group_config* config) {
  const auto c = read_group_config(config);
  auto spec = spec_from_config(c);
  const auto options = options_from_flags(c.flags);
  auto handle = std::make_unique<rtipc_group>();
  handle->impl = Group::create(std::move(spec), options);
  return handle;
}

GroupOptions options_from_flags(uint32_t flags) {
  constexpr uint32_t kKnown =
      RTIPC_GROUP_MLOCK | RTIPC_GROUP_MLOCK_REQUIRED | RTIPC_GROUP_PRODUCER_CACHE;
  if (flags & ~kKnown) fail(-EINVAL, "unknown group flags {:#x}", flags & ~kKnown);
  GroupOptions o;
  o.region.lock = flags & (RTIPC_GROUP_MLOCK | RTIPC_GROUP_MLOCK_REQUIRED);
  o.region.lock_required = flags & RTIPC_GROUP_MLOCK_REQUIRED;
  o.producer_cache = flags & RTIPC_GROUP_PRODUCER_CACHE;
  return o;
}

}  // namespace rtipc::capi

using rtipc::capi::guard;

namespace {

int channel_config(const char* function, const rtipc_group* group, uint32_t index, bool producer,
                   rtipc_channel_config* config) {
  return guard(function, [&] {
    const auto& g = *group->impl;
    if (index >= (producer ? g.producer_count() : g.consumer_count()))
      rtipc::fail(-EINVAL, "no {} {}", producer ? "producer" : "consumer", index);
    const auto& spec = producer ? g.producer_spec(index) : g.consumer_spec(index);
    rtipc::capi::write_sized(config, rtipc::capi::config_from_spec(spec), "rtipc_channel_config");
    return 0;
  });
}

}  // namespace

extern "C" {

RTIPC_EXPORT int rtipc_group_create(const struct rtipc_group_config* config,
                                    rtipc_group** group) noexcept {
  return guard(__func__, [&] {
    rtipc::capi::require(group, "group (where the new group goes)");
    *group = rtipc::capi::new_client_group(config).release();
    return 0;
  });
}

RTIPC_EXPORT int rtipc_group_request(const rtipc_group* group, void* buf, size_t size) noexcept {
  return guard(__func__, [&] {
    const auto bytes = group->impl->request();
    if (buf && size >= bytes.size()) std::memcpy(buf, bytes.data(), bytes.size());
    return static_cast<int>(bytes.size());
  });
}

RTIPC_EXPORT int rtipc_group_fds(const rtipc_group* group, int* fds, size_t count) noexcept {
  return guard(__func__, [&] {
    const auto all = group->impl->fds();
    if (fds && count >= all.size()) std::copy(all.begin(), all.end(), fds);
    return static_cast<int>(all.size());
  });
}

RTIPC_EXPORT int rtipc_group_from_request(const void* request, size_t size, const int* fds,
                                          size_t fd_count, const struct rtipc_server_config* config,
                                          rtipc_group** group) noexcept {
  return guard(__func__, [&] {
    auto owned = rtipc::capi::own_fds(fds, fd_count);
    const auto settings = rtipc::capi::server_settings(config);
    auto handle = std::make_unique<rtipc_group>();
    handle->impl = rtipc::group_from_request({static_cast<const std::byte*>(request), size},
                                             std::move(owned), settings.options);
    *group = handle.release();
    return 0;
  });
}

RTIPC_EXPORT void rtipc_group_destroy(rtipc_group* group) noexcept {
  delete group;
}

RTIPC_EXPORT uint32_t rtipc_group_producer_count(const rtipc_group* group) noexcept {
  return static_cast<uint32_t>(group->impl->producer_count());
}

RTIPC_EXPORT uint32_t rtipc_group_consumer_count(const rtipc_group* group) noexcept {
  return static_cast<uint32_t>(group->impl->consumer_count());
}

RTIPC_EXPORT const void* rtipc_group_info(const rtipc_group* group, size_t* size) noexcept {
  const auto& info = group->impl->info();
  *size = info.size();
  return info.empty() ? nullptr : info.data();
}

RTIPC_EXPORT uint32_t rtipc_group_cacheline(const rtipc_group* group) noexcept {
  return group->impl->spec().cacheline;
}

RTIPC_EXPORT uint64_t rtipc_group_region_size(const rtipc_group* group) noexcept {
  return group->impl->region_size();
}

RTIPC_EXPORT int rtipc_group_producer_config(const rtipc_group* group, uint32_t index,
                                             struct rtipc_channel_config* config) noexcept {
  return channel_config(__func__, group, index, true, config);
}

RTIPC_EXPORT int rtipc_group_consumer_config(const rtipc_group* group, uint32_t index,
                                             struct rtipc_channel_config* config) noexcept {
  return channel_config(__func__, group, index, false, config);
}

RTIPC_EXPORT int32_t rtipc_group_peer_pid(const rtipc_group* group) noexcept {
  return group->impl->peer_pid();
}

RTIPC_EXPORT int rtipc_group_peer_fd(const rtipc_group* group) noexcept {
  const auto& peer = group->impl->peer();
  return peer && peer->fd() >= 0 ? peer->fd() : -ENOTSUP;
}

RTIPC_EXPORT int rtipc_group_take_producer(rtipc_group* group, uint32_t index,
                                           rtipc_producer** producer) noexcept {
  return guard(__func__, [&] {
    rtipc::capi::require(group, "group");
    rtipc::capi::require(producer, "producer (where the producer goes)");
    if (index >= group->impl->producer_count()) rtipc::fail(-EINVAL, "no producer {}", index);
    auto handle = std::make_unique<rtipc_producer>();  // before taking: nothing lost on failure
    handle->impl = group->impl->take_producer(index);
    if (!handle->impl) rtipc::fail(-EBUSY, "producer {} was taken already", index);
    *producer = handle.release();
    return 0;
  });
}

RTIPC_EXPORT int rtipc_group_take_consumer(rtipc_group* group, uint32_t index,
                                           rtipc_consumer** consumer) noexcept {
  return guard(__func__, [&] {
    rtipc::capi::require(group, "group");
    rtipc::capi::require(consumer, "consumer (where the consumer goes)");
    if (index >= group->impl->consumer_count()) rtipc::fail(-EINVAL, "no consumer {}", index);
    auto handle = std::make_unique<rtipc_consumer>();  // before taking: nothing lost on failure
    handle->impl = group->impl->take_consumer(index);
    if (!handle->impl) rtipc::fail(-EBUSY, "consumer {} was taken already", index);
    *consumer = handle.release();
    return 0;
  });
}

}  // extern "C"
