// The convolution kernels against a direct double-precision loop (every
// window setting: stride, padding, dilation, groups, 1x1), their gradients
// by the adjoint identities (<conv(x), dy> = <x, dx(dy)> = <w, dw(x, dy)>
// + <b, db(dy)>), the same bits for any thread count, and an empty batch.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/Conv2d.h"
#include "runtime/Parallel.h"

namespace nnc::runtime {
namespace {

std::vector<float> wave(size_t count, double phase) {
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = static_cast<float>(std::sin(1.7 * static_cast<double>(i) + phase));
  return v;
}

size_t inputSize(const Conv2dShape& s) { return static_cast<size_t>(s.batch * s.channels * s.height * s.width); }
size_t outputSize(const Conv2dShape& s) {
  return static_cast<size_t>(s.batch * s.outChannels * s.outHeight() * s.outWidth());
}
size_t weightSize(const Conv2dShape& s) {
  return static_cast<size_t>(s.outChannels * s.channels / s.groups * s.kernel * s.kernel);
}

// torch.nn.Conv2d's definition, element by element, in double.
std::vector<double> directConv(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b,
                               const Conv2dShape& s) {
  std::vector<double> y(outputSize(s));
  const int64_t inPer = s.channels / s.groups, outPer = s.outChannels / s.groups, k = s.kernel;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.outChannels; ++o)
      for (int64_t oh = 0; oh < s.outHeight(); ++oh)
        for (int64_t ow = 0; ow < s.outWidth(); ++ow) {
          double sum = b[static_cast<size_t>(o)];
          for (int64_t c = 0; c < inPer; ++c)
            for (int64_t i = 0; i < k; ++i)
              for (int64_t j = 0; j < k; ++j) {
                int64_t ih = oh * s.stride - s.padding + i * s.dilation, iw = ow * s.stride - s.padding + j * s.dilation;
                if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) continue;
                int64_t channel = o / outPer * inPer + c;
                sum += static_cast<double>(w[static_cast<size_t>(((o * inPer + c) * k + i) * k + j)]) *
                       x[static_cast<size_t>(((n * s.channels + channel) * s.height + ih) * s.width + iw)];
              }
          y[static_cast<size_t>(((n * s.outChannels + o) * s.outHeight() + oh) * s.outWidth() + ow)] = sum;
        }
  return y;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

class Conv2dShapes : public ::testing::TestWithParam<Conv2dShape> {};

TEST_P(Conv2dShapes, ForwardMatchesTheDefinition) {
  const Conv2dShape s = GetParam();
  std::vector<float> x = wave(inputSize(s), 0.3), w = wave(weightSize(s), 1.1),
                     b = wave(static_cast<size_t>(s.outChannels), 2.0), y(outputSize(s));
  conv2dForward(x.data(), w.data(), b.data(), s, y.data());
  std::vector<double> expected = directConv(x, w, b, s);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-4 * (1 + std::abs(expected[i]))) << i;
}

TEST_P(Conv2dShapes, GradientsAreTheAdjointsOfTheForwardPass) {
  const Conv2dShape s = GetParam();
  std::vector<float> x = wave(inputSize(s), 0.3), w = wave(weightSize(s), 1.1),
                     zero(static_cast<size_t>(s.outChannels), 0.0f), y(outputSize(s));
  std::vector<float> dy = wave(outputSize(s), 0.7), dx(inputSize(s), NAN), dw(weightSize(s), NAN),
                     db(static_cast<size_t>(s.outChannels), NAN);
  conv2dForward(x.data(), w.data(), zero.data(), s, y.data());
  conv2dBackwardInput(dy.data(), w.data(), s, dx.data());
  conv2dBackwardWeights(x.data(), dy.data(), s, dw.data(), db.data());
  double forward = dot(y, dy);  // <conv(x; w), dy>, linear in x and in w
  EXPECT_NEAR(dot(x, dx), forward, 1e-4 * (1 + std::abs(forward)));
  EXPECT_NEAR(dot(w, dw), forward, 1e-4 * (1 + std::abs(forward)));
  const size_t positions = static_cast<size_t>(s.outHeight() * s.outWidth());
  for (int64_t o = 0; o < s.outChannels; ++o) {
    double total = 0;
    for (int64_t n = 0; n < s.batch; ++n)
      for (size_t p = 0; p < positions; ++p)
        total += dy[static_cast<size_t>(n * s.outChannels + o) * positions + p];
    EXPECT_NEAR(db[static_cast<size_t>(o)], total, 1e-5 * (1 + std::abs(total))) << o;
  }
}

TEST_P(Conv2dShapes, GivesTheSameBitsOnOneThreadAndOnSeveral) {
  const Conv2dShape s = GetParam();
  std::vector<float> x = wave(inputSize(s), 0.3), w = wave(weightSize(s), 1.1), dy = wave(outputSize(s), 0.7);
  auto run = [&](int threads) {
    int before = threadCount();
    setThreadCount(threads);
    std::vector<float> dx(inputSize(s)), dw(weightSize(s)), db(static_cast<size_t>(s.outChannels));
    conv2dBackwardInput(dy.data(), w.data(), s, dx.data());
    conv2dBackwardWeights(x.data(), dy.data(), s, dw.data(), db.data());
    setThreadCount(before);
    dx.insert(dx.end(), dw.begin(), dw.end());
    dx.insert(dx.end(), db.begin(), db.end());
    return dx;
  };
  std::vector<float> one = run(1), several = run(3);
  ASSERT_EQ(one.size(), several.size());
  for (size_t i = 0; i < one.size(); ++i) ASSERT_EQ(one[i], several[i]) << i;
}

// batch, C, H, W, O, kernel, stride, padding, dilation, groups
INSTANTIATE_TEST_SUITE_P(Windows, Conv2dShapes,
                         ::testing::Values(Conv2dShape{3, 2, 5, 5, 3, 3, 1, 1, 1, 1},
                                           Conv2dShape{11, 1, 7, 6, 4, 3, 2, 0, 1, 1},
                                           Conv2dShape{2, 4, 6, 6, 6, 2, 2, 1, 1, 2},
                                           Conv2dShape{2, 3, 7, 7, 2, 3, 1, 2, 2, 1},
                                           Conv2dShape{5, 3, 4, 4, 5, 1, 1, 0, 1, 1},    // 1x1: the image is the taps
                                           Conv2dShape{1, 2, 3, 3, 2, 3, 1, 0, 1, 2}));  // one output position

TEST(Conv2d, AnEmptyBatchComputesNothingAndZeroesTheWeightGradient) {
  const Conv2dShape s{0, 2, 5, 5, 3, 3, 1, 1, 1, 1};
  std::vector<float> w = wave(weightSize(s), 1.1), b(3, 1.0f), dw(weightSize(s), NAN), db(3, NAN);
  conv2dForward(nullptr, w.data(), b.data(), s, nullptr);
  conv2dBackwardInput(nullptr, w.data(), s, nullptr);
  conv2dBackwardWeights(nullptr, nullptr, s, dw.data(), db.data());
  for (float v : dw) EXPECT_EQ(v, 0.0f);
  for (float v : db) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace nnc::runtime
