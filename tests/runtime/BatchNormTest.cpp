// Batch normalisation's kernels by hand: a channel normalised by its batch
// statistics, the running statistics moved by momentum (the variance's
// unbiased), inference by the running ones, a channel of one value, an
// empty batch, and the backward step's properties (dbeta sums dy, dgamma
// sums dy * xhat, each channel's dx sums to 0).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/BatchNorm.h"

namespace nnc::runtime {
namespace {

// Two samples of two channels of two positions: channel 0 holds 1, 2, 3, 4;
// channel 1 holds 5, 5, 5, 5.
const std::vector<float> kX = {1, 2, 5, 5, 3, 4, 5, 5};
const BatchNormShape kShape{2, 2, 2};

TEST(BatchNorm, TrainingNormalisesEachChannelByItsBatchAndMovesTheRunningStatistics) {
  const std::vector<float> gamma = {2, 1}, beta = {0.5f, -1};
  std::vector<float> mean = {0, 10}, variance = {1, 1}, y(8);
  batchNormTraining(kX.data(), gamma.data(), beta.data(), kShape, 1e-5, 0.1, mean.data(), variance.data(), y.data());
  double r = 1 / std::sqrt(1.25 + 1e-5);  // channel 0: mean 2.5, biased variance 1.25
  EXPECT_FLOAT_EQ(y[0], static_cast<float>(2 * -1.5 * r + 0.5));
  EXPECT_FLOAT_EQ(y[5], static_cast<float>(2 * 1.5 * r + 0.5));
  EXPECT_FLOAT_EQ(y[2], -1);  // channel 1 is constant: the shift alone
  EXPECT_FLOAT_EQ(mean[0], 0.25f);                                   // 0.9 * 0 + 0.1 * 2.5
  EXPECT_FLOAT_EQ(mean[1], 9.5f);                                    // 0.9 * 10 + 0.1 * 5
  EXPECT_FLOAT_EQ(variance[0], static_cast<float>(0.9 + 0.1 * 5.0 / 3));  // unbiased: 1.25 * 4 / 3
  EXPECT_FLOAT_EQ(variance[1], 0.9f);
}

TEST(BatchNorm, InferenceNormalisesByTheRunningStatistics) {
  const std::vector<float> gamma = {2, 1}, beta = {0.5f, -1}, mean = {1, 5}, variance = {4, 0.25f};
  std::vector<float> y(8);
  batchNormInference(kX.data(), gamma.data(), beta.data(), mean.data(), variance.data(), kShape, 0, y.data());
  EXPECT_EQ(y, (std::vector<float>{0.5f, 1.5f, -1, -1, 2.5f, 3.5f, -1, -1}));
}

TEST(BatchNorm, AReplayedStepLeavesTheRunningStatisticsAndOneValueLeavesTheVariance) {
  const std::vector<float> gamma = {1}, beta = {0};
  std::vector<float> y(1), mean = {3}, variance = {7};
  const std::vector<float> one = {2};
  batchNormTraining(one.data(), gamma.data(), beta.data(), {1, 1, 1}, 1e-5, 0.5, mean.data(), variance.data(),
                    y.data());
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(mean[0], 2.5f);
  EXPECT_EQ(variance[0], 7.0f);  // no unbiased variance of one value
  batchNormTraining(one.data(), gamma.data(), beta.data(), {1, 1, 1}, 1e-5, 0.5, nullptr, nullptr, y.data());
  batchNormTraining(nullptr, gamma.data(), beta.data(), {0, 1, 4}, 1e-5, 0.5, mean.data(), variance.data(), nullptr);
  EXPECT_EQ(mean[0], 2.5f);  // an empty batch moves nothing
}

TEST(BatchNorm, BackwardSumsTheShiftAndScaleGradientsAndCentresDx) {
  const std::vector<float> x = {0.3f, -1.2f, 2.0f, 0.7f, 5, 1, -3, 2};
  const std::vector<float> dy = {0.5f, -0.25f, 1, 2, -1, 0.75f, 0.1f, -0.3f};
  const std::vector<float> gamma = {1.5f, -0.5f};
  std::vector<float> dx(8), dgamma(2), dbeta(2);
  batchNormBackward(x.data(), gamma.data(), dy.data(), kShape, 1e-5, dx.data(), dgamma.data(), dbeta.data());
  const int channel[8] = {0, 0, 1, 1, 0, 0, 1, 1};
  for (int c = 0; c < 2; ++c) {
    double mean = 0, variance = 0, sumDy = 0, sumDyXhat = 0, sumDx = 0;
    for (int i = 0; i < 8; ++i) mean += channel[i] == c ? x[i] / 4.0 : 0;
    for (int i = 0; i < 8; ++i) variance += channel[i] == c ? (x[i] - mean) * (x[i] - mean) / 4 : 0;
    for (int i = 0; i < 8; ++i)
      if (channel[i] == c) {
        sumDy += dy[i];
        sumDyXhat += dy[i] * (x[i] - mean) / std::sqrt(variance + 1e-5);
        sumDx += dx[i];
      }
    EXPECT_NEAR(dbeta[c], sumDy, 1e-6) << c;
    EXPECT_NEAR(dgamma[c], sumDyXhat, 1e-5) << c;
    EXPECT_NEAR(sumDx, 0, 1e-5) << c;
  }
}

}  // namespace
}  // namespace nnc::runtime
