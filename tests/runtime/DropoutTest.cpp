// Dropout's masks: the share kept, the scale, the backward step's mask the
// forward step's, the same bits for any thread count, new masks for another
// step or stream, and the edges (p 0 and 1, no elements).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/Dropout.h"
#include "runtime/Parallel.h"

namespace nnc::runtime {
namespace {

std::vector<float> ramp(size_t count) {
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = 1 + static_cast<float>(i % 97);
  return v;
}

TEST(Dropout, KeepsOneMinusPOfTheElementsScaledByItsInverse) {
  const size_t count = 1 << 20;
  std::vector<float> x = ramp(count), y(count);
  dropoutForward(x.data(), count, 0.3, dropoutKey(1, 0, 0), y.data());
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    if (y[i] == 0) continue;
    ++kept;
    ASSERT_FLOAT_EQ(y[i], x[i] / 0.7f) << i;
  }
  EXPECT_NEAR(static_cast<double>(kept) / count, 0.7, 0.002);  // ~5 standard deviations
}

TEST(Dropout, TheBackwardStepUsesTheForwardStepsMask) {
  const size_t count = 10000;
  std::vector<float> x = ramp(count), y(count), dy(count, 2.0f), dx(count);
  const uint64_t key = dropoutKey(3, 17, 2);
  dropoutForward(x.data(), count, 0.5, key, y.data());
  dropoutBackward(dy.data(), count, 0.5, key, dx.data());
  for (size_t i = 0; i < count; ++i) ASSERT_EQ(dx[i] != 0, y[i] != 0) << i;
  for (size_t i = 0; i < count; ++i) ASSERT_FLOAT_EQ(dx[i], y[i] == 0 ? 0 : 4.0f) << i;
}

TEST(Dropout, GivesTheSameMaskOnOneThreadAndOnSeveralAndAnotherForAnotherStepOrStream) {
  const size_t count = 300000;  // several pieces
  std::vector<float> x = ramp(count), one(count), several(count), step(count), stream(count);
  int before = threadCount();
  setThreadCount(1);
  dropoutForward(x.data(), count, 0.5, dropoutKey(9, 4, 1), one.data());
  setThreadCount(3);
  dropoutForward(x.data(), count, 0.5, dropoutKey(9, 4, 1), several.data());
  setThreadCount(before);
  EXPECT_EQ(one, several);
  dropoutForward(x.data(), count, 0.5, dropoutKey(9, 5, 1), step.data());
  dropoutForward(x.data(), count, 0.5, dropoutKey(9, 4, 2), stream.data());
  size_t sameStep = 0, sameStream = 0;
  for (size_t i = 0; i < count; ++i) {
    sameStep += (one[i] == 0) == (step[i] == 0);
    sameStream += (one[i] == 0) == (stream[i] == 0);
  }
  // Independent masks agree on about half the elements.
  EXPECT_NEAR(static_cast<double>(sameStep) / count, 0.5, 0.01);
  EXPECT_NEAR(static_cast<double>(sameStream) / count, 0.5, 0.01);
}

TEST(Dropout, ProbabilityZeroKeepsEverythingAndOneZeroesEverything) {
  std::vector<float> x = ramp(1000), y(1000);
  dropoutForward(x.data(), 1000, 0, dropoutKey(1, 2, 3), y.data());
  EXPECT_EQ(y, x);
  dropoutForward(x.data(), 1000, 1, dropoutKey(1, 2, 3), y.data());
  for (float v : y) ASSERT_EQ(v, 0.0f);  // not NaN: no division by 1 - p
  dropoutForward(nullptr, 0, 0.5, dropoutKey(1, 2, 3), nullptr);
}

}  // namespace
}  // namespace nnc::runtime
