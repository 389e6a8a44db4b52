// Layer normalisation's kernels: a row worked by hand, a constant row (its
// variance 0: the shift alone), no rows, and the backward step's
// properties (dbeta sums dy, dgamma sums dy * xhat, each row's dx sums to 0
// because the mean is taken out).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/LayerNorm.h"

namespace nnc::runtime {
namespace {

TEST(LayerNorm, NormalisesEachRowThenScalesAndShifts) {
  const std::vector<float> x = {1, 2, 3, 4, 7, 7, 7, 7};
  const std::vector<float> gamma = {1, 2, 1, 1}, beta = {0, 0, 0.5f, -1};
  std::vector<float> y(8);
  layerNormRows(x.data(), gamma.data(), beta.data(), 2, 4, 1e-5, y.data());
  double r = 1 / std::sqrt(1.25 + 1e-5);  // mean 2.5, variance 1.25
  EXPECT_FLOAT_EQ(y[0], static_cast<float>(-1.5 * r));
  EXPECT_FLOAT_EQ(y[1], static_cast<float>(2 * -0.5 * r));
  EXPECT_FLOAT_EQ(y[2], static_cast<float>(0.5 * r + 0.5));
  EXPECT_FLOAT_EQ(y[3], static_cast<float>(1.5 * r - 1));
  for (int c = 0; c < 4; ++c) EXPECT_EQ(y[4 + c], beta[static_cast<size_t>(c)]) << c;  // a constant row: the shift
  layerNormRows(nullptr, gamma.data(), beta.data(), 0, 4, 1e-5, nullptr);              // no rows: nothing read
}

TEST(LayerNorm, BackwardSumsTheShiftAndScaleGradientsAndCentresDx) {
  const std::vector<float> x = {0.3f, -1.2f, 2.0f, 0.7f, 5, 1, -3, 2};
  const std::vector<float> gamma = {1.5f, -0.5f, 1, 2};
  const std::vector<float> dy = {0.1f, 0.2f, -0.3f, 0.4f, -1, 0.5f, 0.25f, 2};
  std::vector<float> dx(8), dgamma(4), dbeta(4);
  layerNormRowsBackward(x.data(), gamma.data(), dy.data(), 2, 4, 1e-5, dx.data(), dgamma.data(), dbeta.data());
  for (int c = 0; c < 4; ++c) EXPECT_FLOAT_EQ(dbeta[static_cast<size_t>(c)], dy[static_cast<size_t>(c)] + dy[static_cast<size_t>(4 + c)]);
  std::vector<float> xhat(8), zero(4, 0), one(4, 1);
  layerNormRows(x.data(), one.data(), zero.data(), 2, 4, 1e-5, xhat.data());
  for (int c = 0; c < 4; ++c)
    EXPECT_NEAR(dgamma[static_cast<size_t>(c)], dy[static_cast<size_t>(c)] * xhat[static_cast<size_t>(c)] +
                                                    dy[static_cast<size_t>(4 + c)] * xhat[static_cast<size_t>(4 + c)],
                1e-6);
  for (int r = 0; r < 2; ++r) EXPECT_NEAR(dx[r * 4] + dx[r * 4 + 1] + dx[r * 4 + 2] + dx[r * 4 + 3], 0, 1e-6) << r;
}

}  // namespace
}  // namespace nnc::runtime
