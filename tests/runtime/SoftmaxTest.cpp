// Row-wise softmax: rows sum to 1, large inputs stay finite, and the
// backward pass matches central differences of a weighted sum of outputs.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/Softmax.h"

namespace nnc::runtime {
namespace {

TEST(Softmax, RowsAreDistributionsEvenForLargeInputs) {
  Tensor z({2, 3});
  float values[] = {1, 2, 3, 1000, 1000, -1000};
  std::copy(std::begin(values), std::end(values), z.data());
  Tensor s({2, 3});
  softmaxRows(z, s);
  EXPECT_NEAR(s[0] + s[1] + s[2], 1.0, 1e-6);
  EXPECT_NEAR(s[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
  EXPECT_FLOAT_EQ(s[3], 0.5f);
  EXPECT_FLOAT_EQ(s[4], 0.5f);
  EXPECT_FLOAT_EQ(s[5], 0.0f);
}

TEST(Softmax, BackwardMatchesFiniteDifferences) {
  // L(z) = sum_c w_c softmax(z)_c, so dL/ds = w.
  const float w[] = {0.3f, -1.2f, 0.7f, 2.0f};
  Tensor z({1, 4});
  float start[] = {0.5f, -0.25f, 1.5f, 0.1f};
  std::copy(std::begin(start), std::end(start), z.data());
  auto loss = [&](const Tensor& input) {
    Tensor s({1, 4});
    softmaxRows(input, s);
    double total = 0;
    for (int c = 0; c < 4; ++c) total += w[c] * s[c];
    return total;
  };
  Tensor s({1, 4}), dy({1, 4}), dz({1, 4});
  softmaxRows(z, s);
  std::copy(std::begin(w), std::end(w), dy.data());
  softmaxRowsBackward(s, dy, dz);
  for (int c = 0; c < 4; ++c) {
    const float h = 1e-3f;
    Tensor up = z, down = z;
    up[c] += h;
    down[c] -= h;
    EXPECT_NEAR(dz[c], (loss(up) - loss(down)) / (2 * h), 1e-4) << c;
  }
}

}  // namespace
}  // namespace nnc::runtime
