// Feeds arbitrary bytes to the request decoder (docs/protocol.md §3, §11). A
// request either fails with -EBADMSG or -EINVAL, or decodes into a group
// whose encoding is exactly the input and whose layout stays in bounds.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "error.hpp"
#include "layout.hpp"
#include "request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtipc;
  GroupPlan plan;
  try {
    plan = decode_request({reinterpret_cast<const std::byte*>(data), size});
  } catch (const Error& e) {
    if (e.code() != -EBADMSG && e.code() != -EINVAL) std::abort();
    return 0;
  }
  // The request has no padding and no field we drop: it round-trips.
  const std::vector<std::byte> again = encode_request(plan.spec);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();

  const std::vector<ChannelLayout>& layout = plan.layout;
  const size_t total = plan.region_size;
  if (total > kMaxRegionSize || layout.size() != plan.spec.channel_count()) std::abort();
  size_t offset = 0;
  for (const ChannelLayout& l : layout) {
    if (l.offset != offset || l.slots < kMinSlots || l.slots > kMaxSlots) std::abort();
    if (l.index_size < (2 + size_t{l.slots}) * 4 || l.slot_stride < l.msg_size) std::abort();
    if (l.slot_offset(l.slots - 1) + l.slot_stride != offset + l.size) std::abort();
    offset += l.size;
  }
  if (offset != total) std::abort();
  return 0;
}
