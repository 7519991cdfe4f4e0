// The request codec (docs/protocol.md §3): the §9 example byte for byte, random
// round trips, and a rejection for every kind of malformed input.
#include "request.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "expect_error.hpp"

namespace rtipc {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes_of(const std::string& s) {
  Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

// The 103 bytes printed in docs/protocol.md §9.
Bytes example_bytes() {
  const std::vector<uint8_t> head = {
      0x0c, 0x1f, 0x02, 0x00, 0x40, 0x00, 0x04, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x0d, 0x00, 0x00, 0x00,  //
      0x0a, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x0a, 0x00, 0x00, 0x00,
  };
  Bytes out;
  for (uint8_t b : head) out.push_back(static_cast<std::byte>(b));
  for (const char* s : {"rpc command", "rpc response", "rpc event"}) {
    Bytes info = bytes_of(s);
    info.push_back(std::byte{0});
    out.insert(out.end(), info.begin(), info.end());
  }
  return out;
}

Bytes with_nul(const char* s) {
  Bytes b = bytes_of(s);
  b.push_back(std::byte{0});
  return b;
}

GroupSpec example_spec() {
  GroupSpec spec;
  spec.cacheline = 64;
  spec.client_produces = {{16, 0, true, with_nul("rpc command")}};
  spec.client_consumes = {{12, 0, true, with_nul("rpc response")},
                          {8, 10, true, with_nul("rpc event")}};
  return spec;
}

void expect_same(const ChannelSpec& a, const ChannelSpec& b) {
  EXPECT_EQ(a.msg_size, b.msg_size);
  EXPECT_EQ(a.add_msgs, b.add_msgs);
  EXPECT_EQ(a.eventfd, b.eventfd);
  EXPECT_EQ(a.info, b.info);
}

void expect_same(const GroupSpec& a, const GroupSpec& b) {
  EXPECT_EQ(a.cacheline, b.cacheline);
  EXPECT_EQ(a.info, b.info);
  ASSERT_EQ(a.client_produces.size(), b.client_produces.size());
  ASSERT_EQ(a.client_consumes.size(), b.client_consumes.size());
  for (size_t i = 0; i < a.client_produces.size(); ++i)
    expect_same(a.client_produces[i], b.client_produces[i]);
  for (size_t i = 0; i < a.client_consumes.size(); ++i)
    expect_same(a.client_consumes[i], b.client_consumes[i]);
}

template <typename T>
Bytes patched(Bytes b, size_t offset, T value) {
  std::memcpy(b.data() + offset, &value, sizeof value);
  return b;
}

// Offsets in the example: header fields, then table entry i at 20 + 16 i.
constexpr size_t kCachelineAt = 4, kAtomicAt = 6, kGroupInfoAt = 8, kCountAAt = 12, kCountBAt = 16;
size_t entry(size_t i, size_t field) {
  return 20 + 16 * i + field;
}
constexpr size_t kAddMsgs = 0, kMsgSize = 4, kEventfd = 8, kInfoSize = 12;

TEST(Request, EncodesTheProtocolExampleByteForByte) {
  const Bytes encoded = encode_request(example_spec());
  ASSERT_EQ(encoded.size(), 103u);
  EXPECT_EQ(encoded, example_bytes());
}

TEST(Request, DecodesTheProtocolExample) {
  const GroupPlan plan = decode_request(example_bytes());
  expect_same(plan.spec, example_spec());
  EXPECT_EQ(plan.fd_count, 4u);  // the memfd and 3 eventfds
  EXPECT_EQ(plan.layout.size(), plan.spec.channel_count());
  EXPECT_EQ(plan.region_size, 1408u);
}

GroupSpec random_spec(std::mt19937& rng) {
  auto bytes = [&](size_t max) {
    Bytes b(rng() % (max + 1));
    for (auto& x : b) x = static_cast<std::byte>(rng());
    return b;
  };
  auto channels = [&](size_t count) {
    std::vector<ChannelSpec> out(count);
    for (auto& c : out) {
      c.msg_size = 1 + rng() % 5000;
      c.add_msgs = rng() % 300;
      c.eventfd = rng() % 2;
      c.info = bytes(40);
    }
    return out;
  };
  GroupSpec spec;
  spec.cacheline = 8u << (rng() % 10);
  spec.info = bytes(30);
  spec.client_produces = channels(rng() % 6);
  spec.client_consumes = channels(spec.client_produces.empty() ? 1 + rng() % 5 : rng() % 6);
  return spec;
}

TEST(Request, RandomSpecsRoundTrip) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 2000; ++i) {
    const GroupSpec spec = random_spec(rng);
    const Bytes encoded = encode_request(spec);
    size_t want = 20 + 16 * spec.channel_count() + spec.info.size();
    for (size_t c = 0; c < spec.channel_count(); ++c) want += spec.channel(c).info.size();
    ASSERT_EQ(encoded.size(), want);
    expect_same(decode_request(encoded).spec, spec);
    if (HasFailure()) return;
  }
}

// The server lays the region out from the bytes exactly as the client did
// from its spec: one plan, whichever side makes it.
TEST(Request, TheServersPlanIsTheClients) {
  std::mt19937 rng(20261207);
  for (int i = 0; i < 500; ++i) {
    const GroupSpec spec = random_spec(rng);
    const GroupPlan client = plan_group(spec);
    const GroupPlan server = decode_request(encode_request(spec));
    ASSERT_EQ(server.region_size, client.region_size);
    ASSERT_EQ(server.fd_count, client.fd_count);
    size_t eventfds = 0;
    for (size_t c = 0; c < spec.channel_count(); ++c) eventfds += spec.channel(c).eventfd;
    ASSERT_EQ(client.fd_count, 1 + eventfds);
    ASSERT_EQ(server.layout.size(), spec.channel_count());
    for (size_t c = 0; c < spec.channel_count(); ++c) {
      ASSERT_EQ(server.layout[c].offset, client.layout[c].offset) << i << " " << c;
      ASSERT_EQ(server.layout[c].size, client.layout[c].size) << i << " " << c;
      ASSERT_EQ(server.layout[c].slots, kMinSlots + spec.channel(c).add_msgs);
    }
    const ChannelLayout& last = client.layout.back();
    ASSERT_EQ(client.region_size, last.offset + last.size);
  }
}

TEST(Request, RejectsEveryTruncation) {
  const Bytes full = example_bytes();
  for (size_t len = 0; len < full.size(); ++len)
    EXPECT_RTIPC_ERROR(decode_request({full.data(), len}), -EBADMSG) << len;
}

TEST(Request, RejectsStrayTrailingBytes) {
  for (size_t extra : {1u, 4u, 16u, 1000u}) {
    Bytes b = example_bytes();
    b.resize(b.size() + extra);
    EXPECT_RTIPC_ERROR(decode_request(b), -EBADMSG) << extra;
  }
}

TEST(Request, RejectsWrongHeaderFields) {
  const Bytes b = example_bytes();
  for (uint16_t magic : {0x0000, 0x0c1f, 0x1f0d, 0xffff})
    EXPECT_RTIPC_ERROR(decode_request(patched<uint16_t>(b, 0, magic)), -EBADMSG) << magic;
  for (uint16_t version : {0, 1, 3, 0x200})
    EXPECT_RTIPC_ERROR(decode_request(patched<uint16_t>(b, 2, version)), -EBADMSG) << version;
  for (uint16_t atomic : {0, 1, 2, 8, 0x400})
    EXPECT_RTIPC_ERROR(decode_request(patched<uint16_t>(b, kAtomicAt, atomic)), -EBADMSG) << atomic;
  for (uint16_t cl : {0, 1, 4, 7, 12, 48, 100, 4095, 8192, 0xffff})
    EXPECT_RTIPC_ERROR(decode_request(patched<uint16_t>(b, kCachelineAt, cl)), -EBADMSG, -EINVAL)
        << cl;
  // Any power of two from 8 to 4096 is a layout the server can follow.
  for (uint16_t cl = 8; cl <= 4096; cl *= 2)
    EXPECT_EQ(decode_request(patched<uint16_t>(b, kCachelineAt, cl)).spec.cacheline, cl);
}

TEST(Request, RejectsCountsThatOverrunTheTable) {
  const Bytes b = example_bytes();
  for (uint32_t a : {2u, 3u, 4u, 7u, 1000u, 0x10000000u, 0xffffffffu})
    EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, kCountAAt, a)), -EBADMSG, -EINVAL) << a;
  for (uint32_t c : {3u, 5u, 0x0fffffffu, 0xffffffffu})
    EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, kCountBAt, c)), -EBADMSG, -EINVAL) << c;
  // Counts whose 32-bit sum wraps to the true number of entries (3).
  Bytes wrap = patched<uint32_t>(b, kCountAAt, 0xffffffffu);
  EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(wrap, kCountBAt, 4u)), -EBADMSG, -EINVAL);
  wrap = patched<uint32_t>(b, kCountAAt, 0x80000001u);
  EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(wrap, kCountBAt, 0x80000002u)), -EBADMSG,
                     -EINVAL);
}

TEST(Request, RejectsBadTableEntries) {
  const Bytes b = example_bytes();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, entry(i, kMsgSize), 0)), -EBADMSG) << i;
    for (uint32_t flag : {2u, 3u, 0x100u, 0xffffffffu})
      EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, entry(i, kEventfd), flag)), -EBADMSG)
          << i;
    for (uint32_t add : {kMaxSlots, 0x7fffffffu, 0xfffffffdu, 0xffffffffu})
      EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, entry(i, kAddMsgs), add)), -EINVAL,
                         -EBADMSG)
          << i << " " << add;
    for (uint32_t size : {kMaxMsgSize + 1, 0x80000000u, 0xffffffffu})
      EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, entry(i, kMsgSize), size)), -EINVAL,
                         -EBADMSG)
          << i << " " << size;
  }
}

TEST(Request, RejectsInfoSizesPastTheEnd) {
  const Bytes b = example_bytes();
  EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, kGroupInfoAt, 1)), -EBADMSG);
  for (size_t i = 0; i < 3; ++i) {
    const uint32_t size = i == 0 ? 12 : i == 1 ? 13 : 10;
    EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, entry(i, kInfoSize), size + 1)),
                       -EBADMSG)
        << i;
    // One byte less leaves a stray byte at the end.
    EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, entry(i, kInfoSize), size - 1)),
                       -EBADMSG)
        << i;
  }
}

TEST(Request, RejectsSizesThatWrapA32BitSum) {
  const Bytes b = example_bytes();
  // 0x8000000c + 0x8000000d + 10 is 35 in 32 bits: exactly the bytes present.
  Bytes wrap = patched<uint32_t>(b, entry(0, kInfoSize), 0x8000000cu);
  EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(wrap, entry(1, kInfoSize), 0x8000000du)),
                     -EBADMSG, -EINVAL);
  for (uint32_t huge : {0x80000000u, 0xfffffff0u, 0xffffffffu}) {
    EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(b, kGroupInfoAt, huge)), -EBADMSG, -EINVAL);
    Bytes two = patched<uint32_t>(b, entry(0, kInfoSize), huge);
    EXPECT_RTIPC_ERROR(decode_request(patched<uint32_t>(two, entry(2, kInfoSize), huge)), -EBADMSG,
                       -EINVAL);
  }
}

TEST(Request, RejectsRequestsBeyondTheSizeLimit) {
  Bytes b = example_bytes();
  b.resize(kMaxRequestSize + 1);
  EXPECT_RTIPC_ERROR(decode_request(b), -EBADMSG);
}

// Random corruption: every outcome is either a clean rejection or a request
// that encodes back to exactly the same bytes (the encoding is canonical).
TEST(Request, RandomCorruptionIsRejectedOrCanonical) {
  std::mt19937 rng(77);
  const Bytes good = example_bytes();
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    Bytes b = good;
    const int flips = 1 + rng() % 4;
    for (int f = 0; f < flips; ++f) {
      // Mostly the header and table, where the numbers are.
      const size_t at = rng() % 4 ? rng() % 68 : rng() % b.size();
      b[at] = static_cast<std::byte>(rng());
    }
    if (rng() % 8 == 0) b.resize(rng() % (b.size() + 8));
    try {
      const GroupPlan plan = decode_request(b);
      ASSERT_EQ(encode_request(plan.spec), b) << i;
      ++accepted;
    } catch (const Error& e) {
      ASSERT_TRUE(e.code() == -EBADMSG || e.code() == -EINVAL) << e.code() << " " << e.what();
    }
  }
  EXPECT_GT(accepted, 0);  // some flips land in info bytes or harmless fields
}

}  // namespace
}  // namespace rtipc
