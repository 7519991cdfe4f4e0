#include "request.hpp"

#include <cerrno>
#include <cstring>

#include "error.hpp"

namespace rtipc {
namespace {

class Writer {
 public:
  explicit Writer(std::vector<std::byte>* out) : out_(out) {}
  template <typename T>
  void put(T value) {
    const auto* p = reinterpret_cast<const std::byte*>(&value);
    out_->insert(out_->end(), p, p + sizeof value);
  }
  void put(const std::vector<std::byte>& bytes) {
    out_->insert(out_->end(), bytes.begin(), bytes.end());
  }

 private:
  std::vector<std::byte>* out_;
};

// Every read is bounds-checked; running past the end is a malformed request.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <typename T>
  T get(const char* field) {
    T value;
    std::memcpy(&value, take(sizeof value, field).data(), sizeof value);
    return value;
  }
  std::vector<std::byte> get_bytes(size_t size, const char* field) {
    auto s = take(size, field);
    return {s.begin(), s.end()};
  }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  std::span<const std::byte> take(size_t size, const char* field) {
    if (size > left())
      fail(-EBADMSG, "request truncated: {} needs {} bytes at offset {}, {} left", field, size,
           pos_, left());
    auto s = bytes_.subspan(pos_, size);
    pos_ += size;
    return s;
  }

  std::span<const std::byte> bytes_;
  size_t pos_ = 0;
};

}  // namespace

const ChannelSpec& GroupSpec::channel(size_t table_index) const {
  return table_index < client_produces.size()
             ? client_produces[table_index]
             : client_consumes[table_index - client_produces.size()];
}

GroupPlan plan_group(GroupSpec spec) {
  GroupPlan plan;
  std::vector<ChannelShape> shapes;
  shapes.reserve(spec.channel_count());
  for (size_t i = 0; i < spec.channel_count(); ++i)
    shapes.push_back({spec.channel(i).add_msgs, spec.channel(i).msg_size});
  plan.region_size = layout_channels(spec.cacheline, shapes, &plan.layout);
  // A decoded request has passed the checks below already (with -EBADMSG);
  // a client's own spec meets them here.
  for (size_t i = 0; i < spec.channel_count(); ++i) {
    if (spec.channel(i).info.size() > kMaxInfoSize)
      fail(-EINVAL, "channel {}: info of {} bytes exceeds the limit of {}", i,
           spec.channel(i).info.size(), kMaxInfoSize);
  }
  if (spec.info.size() > kMaxInfoSize)
    fail(-EINVAL, "group info of {} bytes exceeds the limit of {}", spec.info.size(), kMaxInfoSize);
  // A group whose request no server can receive is refused now, not at
  // connect time.
  if (const uint64_t bytes = request_size(spec); bytes > kMaxRequestSize)
    fail(-EMSGSIZE, "the request would take {} bytes, more than the limit of {}", bytes,
         kMaxRequestSize);
  plan.fd_count = 1;
  for (size_t i = 0; i < spec.channel_count(); ++i) plan.fd_count += spec.channel(i).eventfd;
  plan.spec = std::move(spec);
  return plan;
}

uint64_t request_size(const GroupSpec& spec) {
  uint64_t size = kHeaderSize + spec.info.size();
  for (size_t i = 0; i < spec.channel_count(); ++i)
    size += kTableEntrySize + spec.channel(i).info.size();
  return size;
}

std::vector<std::byte> encode_request(const GroupSpec& spec) {
  std::vector<std::byte> out;
  Writer w(&out);
  w.put(kMagic);
  w.put(kVersion);
  w.put(static_cast<uint16_t>(spec.cacheline));
  w.put(kAtomicSize);
  w.put(static_cast<uint32_t>(spec.info.size()));
  w.put(static_cast<uint32_t>(spec.client_produces.size()));
  w.put(static_cast<uint32_t>(spec.client_consumes.size()));
  for (size_t i = 0; i < spec.channel_count(); ++i) {
    const ChannelSpec& c = spec.channel(i);
    w.put(c.add_msgs);
    w.put(c.msg_size);
    w.put(static_cast<uint32_t>(c.eventfd));
    w.put(static_cast<uint32_t>(c.info.size()));
  }
  w.put(spec.info);
  for (size_t i = 0; i < spec.channel_count(); ++i) w.put(spec.channel(i).info);
  return out;
}

GroupPlan decode_request(std::span<const std::byte> bytes) {
  if (bytes.size() > kMaxRequestSize)
    fail(-EBADMSG, "request of {} bytes exceeds the limit of {}", bytes.size(), kMaxRequestSize);
  Reader r(bytes);
  const auto magic = r.get<uint16_t>("magic");
  const auto version = r.get<uint16_t>("version");
  const auto cacheline = r.get<uint16_t>("cacheline_size");
  const auto atomic_size = r.get<uint16_t>("atomic_size");
  const auto group_info_size = r.get<uint32_t>("group_info_size");
  const auto count_a = r.get<uint32_t>("count_a");
  const auto count_b = r.get<uint32_t>("count_b");
  if (magic != kMagic) fail(-EBADMSG, "bad magic {:#06x} (want {:#06x})", magic, kMagic);
  if (version != kVersion) fail(-EBADMSG, "protocol version {} (want {})", version, kVersion);
  if (atomic_size != kAtomicSize)
    fail(-EBADMSG, "atomic size {} (want {})", atomic_size, kAtomicSize);
  if (!valid_cacheline(cacheline))
    fail(-EBADMSG, "cache-line size {} is not a power of two in [{}, {}]", cacheline, kMinCacheline,
         kMaxCacheline);
  if (group_info_size > kMaxInfoSize)
    fail(-EBADMSG, "group info of {} bytes exceeds the limit of {}", group_info_size, kMaxInfoSize);
  const uint64_t count = uint64_t{count_a} + count_b;
  if (count == 0) fail(-EBADMSG, "request has no channels");
  if (count > kMaxChannels)
    fail(-EBADMSG, "{} channels exceed the limit of {}", count, kMaxChannels);
  if (count * kTableEntrySize > r.left())
    fail(-EBADMSG, "channel table of {} entries overruns the request", count);

  GroupSpec spec;
  spec.cacheline = cacheline;
  spec.client_produces.resize(count_a);
  spec.client_consumes.resize(count_b);
  std::vector<uint32_t> info_sizes(count);
  for (uint32_t i = 0; i < count; ++i) {
    ChannelSpec& c = i < count_a ? spec.client_produces[i] : spec.client_consumes[i - count_a];
    c.add_msgs = r.get<uint32_t>("add_msgs");
    c.msg_size = r.get<uint32_t>("msg_size");
    const auto eventfd = r.get<uint32_t>("eventfd");
    info_sizes[i] = r.get<uint32_t>("info_size");
    if (c.msg_size == 0) fail(-EBADMSG, "channel {}: message size 0", i);
    if (eventfd > 1) fail(-EBADMSG, "channel {}: eventfd flag {} (want 0 or 1)", i, eventfd);
    if (info_sizes[i] > kMaxInfoSize)
      fail(-EBADMSG, "channel {}: info of {} bytes exceeds the limit of {}", i, info_sizes[i],
           kMaxInfoSize);
    c.eventfd = eventfd;
  }
  spec.info = r.get_bytes(group_info_size, "group info");
  for (uint32_t i = 0; i < count; ++i) {
    ChannelSpec& c = i < count_a ? spec.client_produces[i] : spec.client_consumes[i - count_a];
    c.info = r.get_bytes(info_sizes[i], "channel info");
  }
  if (r.left() != 0) fail(-EBADMSG, "{} stray bytes after the request", r.left());
  return plan_group(
      std::move(spec));  // rejects slot counts, message sizes and totals out of bounds
}

}  // namespace rtipc
