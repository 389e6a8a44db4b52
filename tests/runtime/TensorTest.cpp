#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "runtime/Tensor.h"

namespace nnc::runtime {
namespace {

TEST(Tensor, IsZeroFilledAlignedAndRowMajor) {
  Tensor t{2, 3};
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(t.rank(), 2);
  EXPECT_EQ(t.shapeString(), "[2, 3]");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % kBufferAlignment, 0u);
  for (float v : t.values()) EXPECT_EQ(v, 0.0f);
  t.fill(1.5f);
  EXPECT_EQ(t[5], 1.5f);
}

TEST(Tensor, ElementCountRefusesOverflow) {
  EXPECT_EQ(elementCount({128, 784}), 100352);
  EXPECT_EQ(elementCount({}), 1);
  EXPECT_EQ(elementCount({0, 5}), 0);
  EXPECT_EQ(elementCount({-1, 5}), -1);
  EXPECT_EQ(elementCount({std::numeric_limits<int64_t>::max() / 2, 3}), -1);
}

TEST(Tensor, SquaredNormSumsTheSquares) {
  Tensor t{2, 2};
  t[0] = 3;
  t[3] = -4;
  EXPECT_EQ(squaredNorm(t), 25);
  EXPECT_EQ(squaredNorm(Tensor{0}), 0);
}

}  // namespace
}  // namespace nnc::runtime
