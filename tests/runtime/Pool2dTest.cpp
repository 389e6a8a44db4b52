// The pooling kernels by hand: max and average windows (the padding counts
// in the mean, never wins the max), a NaN that wins its window, the max's
// gradient reaching the first maximum and adding where windows overlap.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/Pool2d.h"

namespace nnc::runtime {
namespace {

TEST(Pool2d, MaxTakesEachWindowsLargestElement) {
  // one 4x4 plane, 2x2 windows moved 2
  const std::vector<float> x = {1, 5, 2, 0,  3, 4, 8, 1,  -1, -2, 0, 0,  -3, -4, 0, 7};
  std::vector<float> y(4);
  maxPool2dForward(x.data(), {1, 1, 4, 4, 2, 2, 0}, y.data());
  EXPECT_EQ(y, (std::vector<float>{5, 8, -1, 7}));
}

TEST(Pool2d, PaddingNeverWinsTheMaximumButCountsInTheMean) {
  const std::vector<float> x = {-1, -2, -3, -4};  // 2x2, padded by 1, 2x2 windows moved 2: one element each
  std::vector<float> y(4);
  maxPool2dForward(x.data(), {1, 1, 2, 2, 2, 2, 1}, y.data());
  EXPECT_EQ(y, x);
  avgPool2dForward(x.data(), {1, 1, 2, 2, 2, 2, 1}, y.data());
  EXPECT_EQ(y, (std::vector<float>{-0.25f, -0.5f, -0.75f, -1}));
}

TEST(Pool2d, ANaNWinsItsWindow) {
  const std::vector<float> x = {1, NAN, 3, 4};
  std::vector<float> y(1), dx(4);
  maxPool2dForward(x.data(), {1, 1, 2, 2, 2, 2, 0}, y.data());
  EXPECT_TRUE(std::isnan(y[0]));
  const std::vector<float> dy = {2};
  maxPool2dBackward(x.data(), dy.data(), {1, 1, 2, 2, 2, 2, 0}, dx.data());
  EXPECT_EQ(dx, (std::vector<float>{0, 2, 0, 0}));
}

TEST(Pool2d, MaxGradientGoesToTheFirstMaximumAndAddsWhereWindowsOverlap) {
  // Two 2x3 planes, 2x2 windows moved 1: windows over columns {0, 1} and
  // {1, 2}. Plane 0's 9 is both windows' maximum; plane 1 ties everywhere,
  // so each window's first element takes its dy.
  const std::vector<float> x = {1, 9, 2, 0, 0, 0,  4, 4, 4, 4, 4, 4};
  const std::vector<float> dy = {1, 10, 100, 1000};
  std::vector<float> dx(12, NAN);
  maxPool2dBackward(x.data(), dy.data(), {1, 2, 2, 3, 2, 1, 0}, dx.data());
  EXPECT_EQ(dx, (std::vector<float>{0, 11, 0, 0, 0, 0,  100, 1000, 0, 0, 0, 0}));
}

TEST(Pool2d, AverageGradientSpreadsEachWindowEvenly) {
  const std::vector<float> dy = {4, 8};  // a 2x4 plane, 2x2 windows moved 2
  std::vector<float> dx(8, NAN);
  avgPool2dBackward(dy.data(), {1, 1, 2, 4, 2, 2, 0}, dx.data());
  EXPECT_EQ(dx, (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2}));
}

TEST(Pool2d, AnEmptyBatchComputesNothing) {
  maxPool2dForward(nullptr, {0, 3, 4, 4, 2, 2, 0}, nullptr);
  maxPool2dBackward(nullptr, nullptr, {0, 3, 4, 4, 2, 2, 0}, nullptr);
  avgPool2dForward(nullptr, {0, 3, 4, 4, 2, 2, 0}, nullptr);
  avgPool2dBackward(nullptr, {0, 3, 4, 4, 2, 2, 0}, nullptr);
}

}  // namespace
}  // namespace nnc::runtime
