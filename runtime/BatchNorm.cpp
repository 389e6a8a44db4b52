#include "runtime/BatchNorm.h"

#include <cmath>

#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

// f(values) for each sample's run of `positions` values of channel c.
template <class F>
void forEachRun(const BatchNormShape& s, int64_t c, F f) {
  for (int64_t n = 0; n < s.batch; ++n) f((n * s.channels + c) * s.positions);
}

struct Moments {
  double mean = 0, variance = 0;  // the biased variance
};

Moments momentsOf(const float* x, const BatchNormShape& s, int64_t c) {
  const double count = static_cast<double>(s.batch * s.positions);
  Moments m;
  if (count == 0) return m;
  forEachRun(s, c, [&](int64_t first) {
    for (int64_t p = 0; p < s.positions; ++p) m.mean += x[first + p];
  });
  m.mean /= count;
  forEachRun(s, c, [&](int64_t first) {
    for (int64_t p = 0; p < s.positions; ++p) m.variance += (x[first + p] - m.mean) * (x[first + p] - m.mean);
  });
  m.variance /= count;
  return m;
}

// y = gamma * (x - mean) * r + beta over channel c.
void normalise(const float* x, const float* gamma, const float* beta, const BatchNormShape& s, int64_t c,
               double mean, double r, float* y) {
  const double scale = gamma[c] * r, shift = beta[c] - mean * scale;
  forEachRun(s, c, [&](int64_t first) {
    for (int64_t p = 0; p < s.positions; ++p) y[first + p] = static_cast<float>(x[first + p] * scale + shift);
  });
}

}  // namespace

void batchNormTraining(const float* x, const float* gamma, const float* beta, const BatchNormShape& s, double eps,
                       double momentum, float* runningMean, float* runningVar, float* y) {
  parallelFor(s.channels, [&](int64_t c) {
    const Moments m = momentsOf(x, s, c);
    normalise(x, gamma, beta, s, c, m.mean, 1 / std::sqrt(m.variance + eps), y);
    const int64_t count = s.batch * s.positions;
    if (!runningMean || count == 0) return;
    runningMean[c] = static_cast<float>((1 - momentum) * runningMean[c] + momentum * m.mean);
    if (count > 1) {
      const double unbiased = m.variance * static_cast<double>(count) / static_cast<double>(count - 1);
      runningVar[c] = static_cast<float>((1 - momentum) * runningVar[c] + momentum * unbiased);
    }
  });
}

void batchNormInference(const float* x, const float* gamma, const float* beta, const float* runningMean,
                        const float* runningVar, const BatchNormShape& s, double eps, float* y) {
  parallelFor(s.channels, [&](int64_t c) {
    normalise(x, gamma, beta, s, c, runningMean[c], 1 / std::sqrt(static_cast<double>(runningVar[c]) + eps), y);
  });
}

void batchNormBackward(const float* x, const float* gamma, const float* dy, const BatchNormShape& s, double eps,
                       float* dx, float* dgamma, float* dbeta) {
  parallelFor(s.channels, [&](int64_t c) {
    const Moments m = momentsOf(x, s, c);
    const double r = 1 / std::sqrt(m.variance + eps);
    double sumDy = 0, sumDyXhat = 0;
    forEachRun(s, c, [&](int64_t first) {
      for (int64_t p = 0; p < s.positions; ++p) {
        sumDy += dy[first + p];
        sumDyXhat += dy[first + p] * (x[first + p] - m.mean) * r;
      }
    });
    dgamma[c] = static_cast<float>(sumDyXhat);
    dbeta[c] = static_cast<float>(sumDy);
    const double count = static_cast<double>(s.batch * s.positions);
    if (count == 0) return;
    // g = dy * gamma: mean(g) = gamma * sumDy / count, mean(g * xhat) = gamma * sumDyXhat / count.
    const double meanG = gamma[c] * sumDy / count, meanGXhat = gamma[c] * sumDyXhat / count;
    forEachRun(s, c, [&](int64_t first) {
      for (int64_t p = 0; p < s.positions; ++p) {
        const double xhat = (x[first + p] - m.mean) * r;
        dx[first + p] = static_cast<float>(r * (dy[first + p] * gamma[c] - meanG - xhat * meanGXhat));
      }
    });
  });
}

}  // namespace nnc::runtime
