// Asserts that a statement throws rtipc::Error with one of the given codes.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "error.hpp"

namespace rtipc::testing_support {

template <typename F>
::testing::AssertionResult throws_error(F&& f, std::initializer_list<int> codes) {
  try {
    f();
  } catch (const Error& e) {
    for (int code : codes)
      if (e.code() == code) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "threw code " << e.code() << " (" << e.what() << ")";
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw something else: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace rtipc::testing_support

#define EXPECT_RTIPC_ERROR(statement, ...) \
  EXPECT_TRUE(::rtipc::testing_support::throws_error([&] { (void)(statement); }, {__VA_ARGS__}))
