// The embedding lookup: rows selected by index, NaN for an index that
// selects none (negative, past the table, fractional, NaN), and the
// table's gradient summing the dy of repeated lookups, with the same bits
// on one thread and on several.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/Embedding.h"
#include "runtime/Parallel.h"

namespace nnc::runtime {
namespace {

const std::vector<float> kTable = {0, 1, 10, 11, 20, 21};  // [3, 2]

TEST(Embedding, SelectsARowPerIndexSideBySide) {
  const std::vector<float> x = {2, 0, 1, 1};  // two samples of two indices
  std::vector<float> y(8);
  embeddingForward(x.data(), kTable.data(), {2, 2, 3, 2}, y.data());
  EXPECT_EQ(y, (std::vector<float>{20, 21, 0, 1, 10, 11, 10, 11}));
  embeddingForward(nullptr, kTable.data(), {0, 2, 3, 2}, nullptr);  // no rows
}

TEST(Embedding, AnIndexThatSelectsNoRowGivesNaN) {
  const std::vector<float> x = {-1, 3, 1.5f, NAN, 1};
  std::vector<float> y(10);
  embeddingForward(x.data(), kTable.data(), {5, 1, 3, 2}, y.data());
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;
  EXPECT_EQ(y[8], 10);
  std::vector<float> dy(10, 1.0f), dw(6);
  embeddingBackward(x.data(), dy.data(), {5, 1, 3, 2}, dw.data());
  EXPECT_EQ(dw, (std::vector<float>{0, 0, 1, 1, 0, 0}));  // only the valid lookup
}

TEST(Embedding, TheTablesGradientSumsEveryLookupTheSameOnAnyThreadCount) {
  const int64_t rows = 500, indices = 3, vocabulary = 7, dimension = 40;
  std::vector<float> x(rows * indices), dy(rows * indices * dimension);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 5) % vocabulary);
  for (size_t i = 0; i < dy.size(); ++i) dy[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  auto gradient = [&](int threads) {
    int before = threadCount();
    setThreadCount(threads);
    std::vector<float> dw(vocabulary * dimension, NAN);
    embeddingBackward(x.data(), dy.data(), {rows, indices, vocabulary, dimension}, dw.data());
    setThreadCount(before);
    return dw;
  };
  std::vector<float> one = gradient(1);
  EXPECT_EQ(one, gradient(3));
  for (int64_t v = 0; v < vocabulary; ++v) {
    double expected = 0;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i] == static_cast<float>(v)) expected += dy[i * dimension + 5];
    EXPECT_NEAR(one[static_cast<size_t>(v * dimension + 5)], expected, 1e-4) << v;
  }
}

}  // namespace
}  // namespace nnc::runtime
