#pragma once
// A test suite with one FormulaJIT for all its tests (creating one starts
// LLVM's ORC machinery: too slow to repeat per test).
#include <gtest/gtest.h>

#include <string>

#include "backend/FormulaJIT.h"

namespace nnc::test {

class JitFixture : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string error;
    jit_ = backend::FormulaJIT::create(error).release();
    ASSERT_NE(jit_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete jit_;
    jit_ = nullptr;
  }
  static inline backend::FormulaJIT* jit_ = nullptr;
};

}  // namespace nnc::test
