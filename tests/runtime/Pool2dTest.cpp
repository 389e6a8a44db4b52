// The pooling kernels by hand: max and average windows (the padding counts
// in the mean, never wins the max), a NaN that wins its window, the max's
// gradient reaching the first maximum and adding where windows overlap.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <utility>
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

// The first maximum of every window, by brute force: the reference for the
// gradient's paths (windows that tile the image, 2x2 ones without branches,
// overlapping ones), which must agree with it bit for bit.
std::vector<float> maxGradientByHand(const std::vector<float>& x, const std::vector<float>& dy, const Pool2dShape& s) {
  std::vector<float> dx(x.size(), 0.0f);
  const int64_t outH = s.outHeight(), outW = s.outWidth();
  for (int64_t plane = 0; plane < s.batch * s.channels; ++plane)
    for (int64_t oh = 0; oh < outH; ++oh)
      for (int64_t ow = 0; ow < outW; ++ow) {
        int64_t best = -1;
        for (int64_t h = oh * s.stride; h < oh * s.stride + s.kernel; ++h)
          for (int64_t w = ow * s.stride; w < ow * s.stride + s.kernel; ++w) {
            const int64_t at = (plane * s.height + h) * s.width + w;
            const bool wins = best < 0 || (!std::isnan(x[size_t(best)]) &&
                                           (std::isnan(x[size_t(at)]) || x[size_t(at)] > x[size_t(best)]));
            if (wins) best = at;
          }
        dx[size_t(best)] += dy[size_t((plane * outH + oh) * outW + ow)];
      }
  return dx;
}

TEST(Pool2d, MaxGradientOnEveryPathIsTheFirstMaximumBitForBit) {
  // Few distinct values (ties everywhere, as after a ReLU), NaNs, infinities
  // and -0 gradients; odd sizes leave rows and columns outside any window.
  const float values[] = {0, 0, 0, 1, 2, -1, NAN, INFINITY, -INFINITY, 2};
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u, state >> 8; };
  for (auto [kernel, stride] : {std::pair{2, 2}, {3, 3}, {4, 4}, {2, 1}, {3, 2}})
    for (auto [height, width] : {std::pair{6, 6}, {5, 7}, {7, 5}, {9, 8}}) {
      const Pool2dShape s{2, 3, height, width, kernel, stride, 0};
      std::vector<float> x(size_t(2 * 3 * height * width));
      for (float& v : x) v = values[next() % 10];
      std::vector<float> dy(size_t(2 * 3 * s.outHeight() * s.outWidth()));
      for (float& v : dy) v = next() % 7 == 0 ? -0.0f : float(next() % 100) - 50;
      std::vector<float> dx(x.size(), 123.0f);  // every element must be written
      maxPool2dBackward(x.data(), dy.data(), s, dx.data());
      const std::vector<float> expected = maxGradientByHand(x, dy, s);
      for (size_t i = 0; i < dx.size(); ++i)
        ASSERT_EQ(std::bit_cast<uint32_t>(dx[i]), std::bit_cast<uint32_t>(expected[i]))
            << "kernel " << kernel << " stride " << stride << ", " << height << "x" << width << ", element " << i
            << ": " << dx[i] << ", expected " << expected[i];
    }
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
