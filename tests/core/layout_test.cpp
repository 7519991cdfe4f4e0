// The channel layout (docs/protocol.md §6.2), checked against the formula written
// out here independently and against hand-worked numbers.
#include "layout.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <tuple>
#include <vector>

#include "expect_error.hpp"

namespace rtipc {
namespace {

size_t round_up(size_t x, size_t cl) {
  return (x + cl - 1) / cl * cl;
}

class Formula : public testing::TestWithParam<std::tuple<uint32_t, uint32_t, uint32_t>> {};

TEST_P(Formula, MatchesTheProtocolText) {
  const auto [cl, add_msgs, msg_size] = GetParam();
  const uint32_t n = 3 + add_msgs;
  const size_t index_area = round_up((2 + n) * 4, cl);
  const size_t stride = round_up(msg_size, cl);

  const ChannelLayout l = channel_layout(cl, add_msgs, msg_size, 4096);
  EXPECT_EQ(l.slots, n);
  EXPECT_EQ(l.msg_size, msg_size);
  EXPECT_EQ(l.index_size, index_area);
  EXPECT_EQ(l.slot_stride, stride);
  EXPECT_EQ(l.size, index_area + n * stride);
  EXPECT_EQ(l.offset, 4096u);
  for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(l.slot_offset(i), 4096 + index_area + i * stride);

  // Everything cache-line aligned, and no slot overlaps the index area.
  EXPECT_EQ(l.index_size % cl, 0u);
  EXPECT_EQ(l.slot_stride % cl, 0u);
  EXPECT_GE(l.index_size, 8u + 4u * n);
  EXPECT_GE(l.slot_stride, msg_size);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Formula,
                         testing::Combine(testing::Values(16u, 64u, 128u),
                                          testing::Values(0u, 1u, 12u, 13u, 14u, 100u),
                                          testing::Values(1u, 8u, 12u, 16u, 63u, 64u, 65u, 1000u)));

TEST(Layout, ExampleOfTheProtocolText) {
  std::vector<ChannelLayout> out;
  const size_t size = layout_channels(64, {{0, 16}, {0, 12}, {10, 8}}, &out);
  EXPECT_EQ(size, 1408u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].offset, 0u);
  EXPECT_EQ(out[0].size, 256u);
  EXPECT_EQ(out[0].index_size, 64u);  // tail at 0, head at 4, chain at 8
  EXPECT_EQ(out[0].slot_offset(0), 64u);
  EXPECT_EQ(out[0].slot_offset(1), 128u);
  EXPECT_EQ(out[0].slot_offset(2), 192u);
  EXPECT_EQ(out[1].offset, 256u);
  EXPECT_EQ(out[1].size, 256u);
  EXPECT_EQ(out[1].slot_offset(0), 320u);
  EXPECT_EQ(out[2].offset, 512u);
  EXPECT_EQ(out[2].slots, 13u);
  EXPECT_EQ(out[2].size, 896u);
  EXPECT_EQ(out[2].slot_offset(0), 576u);
  EXPECT_EQ(out[2].slot_offset(12), 512u + 64 + 12 * 64);
}

TEST(Layout, HandWorkedNumbers) {
  // CL 16, n 3, 16-byte messages: 5 words = 20 bytes -> 32; 32 + 3 * 16.
  EXPECT_EQ(channel_layout(16, 0, 16, 0).size, 80u);
  // CL 128, n 16, 1-byte messages: 72 -> 128; 128 + 16 * 128.
  EXPECT_EQ(channel_layout(128, 13, 1, 0).size, 2176u);
  // CL 64, n 15: 68 bytes of indices need two lines.
  EXPECT_EQ(channel_layout(64, 12, 8, 0).index_size, 128u);
  // CL 64, n 18: 80 bytes -> 128; 100-byte messages take 128 each.
  EXPECT_EQ(channel_layout(64, 15, 100, 0).size, 128u + 18 * 128);
  // CL 8 and 4096 are the bounds and both work.
  EXPECT_EQ(channel_layout(8, 0, 1, 0).size, 24u + 3 * 8);
  EXPECT_EQ(channel_layout(4096, 0, 1, 0).size, 4u * 4096);
}

// docs/protocol.md §6.2: the C library's align((2 + add_msgs) * 4) puts slot 0 on
// top of the last chain entries for add_msgs mod 16 in {12, 13, 14} at CL 64.
TEST(Layout, FirstSlotNeverOverlapsTheChain) {
  for (uint32_t add_msgs : {12u, 13u, 14u, 28u, 29u, 30u}) {
    const uint32_t n = 3 + add_msgs;
    const size_t chain_end = 8 + 4 * n;
    const size_t c_library_slot0 = round_up((2 + add_msgs) * 4, 64);
    EXPECT_LT(c_library_slot0, chain_end) << add_msgs;  // the defect is real here
    EXPECT_GE(channel_layout(64, add_msgs, 16, 0).slot_offset(0), chain_end) << add_msgs;
  }
  for (uint32_t add_msgs = 0; add_msgs < 300; ++add_msgs)
    for (uint32_t cl : {8u, 16u, 32u, 64u, 128u})
      ASSERT_GE(channel_layout(cl, add_msgs, 1, 0).slot_offset(0), 8u + 4 * (3 + add_msgs));
}

TEST(Layout, ChannelsFollowEachOtherWithoutGaps) {
  std::vector<ChannelShape> shapes{{0, 1}, {100, 16}, {13, 4097}, {1, 64}};
  std::vector<ChannelLayout> out;
  const size_t size = layout_channels(128, shapes, &out);
  size_t offset = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    EXPECT_EQ(out[i].offset, offset);
    const uint32_t n = 3 + shapes[i].add_msgs;
    offset += round_up((2 + n) * 4, 128) + n * round_up(shapes[i].msg_size, 128);
  }
  EXPECT_EQ(size, offset);
}

TEST(Layout, RejectsBadCachelines) {
  for (uint32_t cl : {0u, 1u, 2u, 4u, 7u, 12u, 48u, 100u, 4095u, 4097u, 8192u, 65536u})
    EXPECT_RTIPC_ERROR(channel_layout(cl, 0, 16, 0), -EINVAL) << cl;
  for (uint32_t cl = 8; cl <= 4096; cl *= 2) EXPECT_NO_THROW(channel_layout(cl, 0, 16, 0));
}

TEST(Layout, RejectsBadSizes) {
  EXPECT_RTIPC_ERROR(channel_layout(64, 0, 0, 0), -EINVAL);
  EXPECT_RTIPC_ERROR(channel_layout(64, 0, kMaxMsgSize + 1, 0), -EINVAL);
  EXPECT_RTIPC_ERROR(channel_layout(64, 0, 0xFFFFFFFF, 0), -EINVAL);
  EXPECT_NO_THROW(channel_layout(64, 0, kMaxMsgSize, 0));
  EXPECT_RTIPC_ERROR(channel_layout(64, kMaxSlots - kMinSlots + 1, 16, 0), -EINVAL);
  EXPECT_RTIPC_ERROR(channel_layout(64, 0xFFFFFFFF, 16, 0), -EINVAL);
  EXPECT_NO_THROW(channel_layout(64, kMaxSlots - kMinSlots, 16, 0));

  std::vector<ChannelLayout> out;
  EXPECT_RTIPC_ERROR(layout_channels(64, std::vector<ChannelShape>(kMaxChannels + 1, {0, 1}), &out),
                     -EINVAL);
  EXPECT_NO_THROW(layout_channels(64, std::vector<ChannelShape>(kMaxChannels, {0, 1}), &out));
  // 100 channels of 3 slots of 64 MiB: 19 GiB, over the region limit.
  EXPECT_RTIPC_ERROR(layout_channels(64, std::vector<ChannelShape>(100, {0, kMaxMsgSize}), &out),
                     -EINVAL);
}

}  // namespace
}  // namespace rtipc
