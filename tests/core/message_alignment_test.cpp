// Messages are aligned to the layout's cache line, with and without the
// producer cache (issue 8, item 4).
#include <gtest/gtest.h>

#include "group.hpp"
#include "layout.hpp"
#include "local_group.hpp"
#include "rtipc/rtipc.h"

namespace rtipc {
namespace {

using namespace test_core;

TEST(Alignment, MessagesFollowTheLayoutsCacheLineWithAndWithoutCache) {
  for (uint32_t cl : {8u, 16u, 64u, 256u, 4096u}) {
    for (bool cache : {false, true}) {
      GroupSpec spec = spec_with(cl, {}, {channel(24, 1)});
      GroupOptions o;
      o.producer_cache = cache;
      auto g = Group::create(spec, o);
      EXPECT_EQ(g->cacheline(), cl);
      auto p = g->take_producer(0);
      EXPECT_EQ(p->msg_align(), cl);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p->msg()) % cl, 0u) << cl << " cache " << cache;
    }
  }
  EXPECT_EQ(kDefaultCacheline, uint32_t{RTIPC_DEFAULT_CACHELINE});
}

}  // namespace
}  // namespace rtipc
