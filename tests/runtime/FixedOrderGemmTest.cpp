// The inference product (runtime/FixedOrderGemm.h): every element is the
// definition's sequence of operations, bit for bit, for every shape the
// tiles and the k tail meet, on one thread and several; so a row is the
// same alone and in a batch. Non-finite values, empty operands and
// accuracy against a double-precision sum.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "runtime/FixedOrderGemm.h"
#include "ThreadCount.h"

namespace nnc::runtime {
namespace {

std::vector<float> randomValues(int64_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = normal(generator);
  return v;
}

bool sameBits(float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0; }

// C = A B^T by the kernels, compared bit for bit with dotFixedOrder.
void expectDefinition(const std::vector<float>& a, const std::vector<float>& b, int64_t m, int64_t n, int64_t k) {
  std::vector<float> c(static_cast<size_t>(m * n), -1);
  gemmFixedOrder(a.data(), b.data(), c.data(), m, n, k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float expected = dotFixedOrder(a.data() + i * k, b.data() + j * k, k);
      float found = c[static_cast<size_t>(i * n + j)];
      ASSERT_TRUE(sameBits(found, expected))
          << "m " << m << " n " << n << " k " << k << ": C[" << i << ", " << j << "] = " << found << ", defined "
          << expected;
    }
}

TEST(FixedOrderGemm, EveryElementIsTheDefinitionBitForBit) {
  // Rows: one, two and three at a time and their remainders; columns: tiles
  // of 4 and 8 and single columns; k: whole groups of 8 and every tail.
  for (int threads : {1, 2}) {
    ThreadCount pool(threads);
    for (int64_t m : {1, 2, 3, 4, 5, 7, 64})
      for (int64_t n : {1, 3, 8, 9, 13, 130})
        for (int64_t k : {1, 5, 8, 9, 15, 17, 784}) {
          std::vector<float> a = randomValues(m * k, 1), b = randomValues(n * k, 2);
          expectDefinition(a, b, m, n, k);
        }
  }
}

TEST(FixedOrderGemm, ARowIsTheSameBitsAloneAndInAnyBatch) {
  const int64_t n = 256, k = 784;
  std::vector<float> batch = randomValues(64 * k, 3), w = randomValues(n * k, 4);
  std::vector<float> all(64 * n), alone(n);
  gemmFixedOrder(batch.data(), w.data(), all.data(), 64, n, k);
  for (int64_t row : {0, 1, 2, 31, 63}) {
    gemmFixedOrder(batch.data() + row * k, w.data(), alone.data(), 1, n, k);
    for (int64_t j = 0; j < n; ++j)
      ASSERT_TRUE(sameBits(alone[size_t(j)], all[size_t(row * n + j)])) << row << ", " << j;
  }
}

TEST(FixedOrderGemm, TheSameBitsOnOneThreadAndOnSeveral) {
  const int64_t m = 33, n = 300, k = 200;  // large enough to be cut into pieces
  std::vector<float> a = randomValues(m * k, 5), b = randomValues(n * k, 6);
  std::vector<float> one(m * n), several(m * n);
  {
    ThreadCount pool(1);
    gemmFixedOrder(a.data(), b.data(), one.data(), m, n, k);
  }
  {
    ThreadCount pool(3);
    gemmFixedOrder(a.data(), b.data(), several.data(), m, n, k);
  }
  EXPECT_EQ(std::memcmp(one.data(), several.data(), one.size() * sizeof(float)), 0);
}

TEST(FixedOrderGemm, AgreesWithADoubleSum) {
  const int64_t m = 5, n = 37, k = 1000;
  std::vector<float> a = randomValues(m * k, 7), b = randomValues(n * k, 8), c(m * n);
  gemmFixedOrder(a.data(), b.data(), c.data(), m, n, k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double exact = 0, magnitude = 0;
      for (int64_t t = 0; t < k; ++t) {
        double product = double(a[size_t(i * k + t)]) * b[size_t(j * k + t)];
        exact += product;
        magnitude += std::abs(product);
      }
      // Each of the ~k/8 + 3 roundings of a chain is at most half an ulp of
      // a partial sum no larger than `magnitude`.
      EXPECT_NEAR(c[size_t(i * n + j)], exact, magnitude * (k / 8 + 3) * 0x1p-24) << i << ", " << j;
    }
}

TEST(FixedOrderGemm, NonFiniteValuesReachOnlyTheirElements) {
  const int64_t m = 3, n = 9, k = 19;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> a = randomValues(m * k, 9), b = randomValues(n * k, 10), c(m * n);
  a[size_t(0 * k + 18)] = std::nanf("");  // in k's tail
  a[size_t(1 * k + 3)] = inf;
  b[size_t(4 * k + 3)] = 0;  // inf * 0: NaN for C[1, 4] only
  b[size_t(7 * k + 5)] = 1e30f;
  a[size_t(2 * k + 5)] = 1e30f;  // 1e60 overflows to inf in C[2, 7] only
  gemmFixedOrder(a.data(), b.data(), c.data(), m, n, k);
  for (int64_t j = 0; j < n; ++j) EXPECT_TRUE(std::isnan(c[size_t(j)])) << j;
  for (int64_t j = 0; j < n; ++j) {
    float x = c[size_t(1 * n + j)];
    if (j == 4) EXPECT_TRUE(std::isnan(x));
    else EXPECT_TRUE(std::isinf(x)) << j;
  }
  for (int64_t j = 0; j < n; ++j) EXPECT_EQ(std::isinf(c[size_t(2 * n + j)]), j == 7) << j;
  expectDefinition(a, b, m, n, k);
}

TEST(FixedOrderGemm, EmptyOperands) {
  std::vector<float> a = randomValues(12, 11), b = randomValues(12, 12);
  std::vector<float> c(4, -1);
  gemmFixedOrder(a.data(), b.data(), c.data(), 0, 4, 3);  // no rows: C untouched
  gemmFixedOrder(a.data(), b.data(), c.data(), 4, 0, 3);
  EXPECT_EQ(c, std::vector<float>(4, -1));
  gemmFixedOrder(a.data(), b.data(), c.data(), 2, 2, 0);  // sums of nothing
  EXPECT_EQ(c, std::vector<float>({0, 0, 0, 0}));
  EXPECT_FALSE(std::signbit(c[0]));
}

}  // namespace
}  // namespace nnc::runtime
