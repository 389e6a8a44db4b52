#include "runtime/LayerNorm.h"

#include <cmath>
#include <vector>

namespace nnc::runtime {

namespace {

struct RowStatistics {
  double mean = 0, reciprocalDeviation = 0;  // 1 / sqrt(var + eps)
};

RowStatistics statistics(const float* row, int64_t columns, double eps) {
  double sum = 0;
  for (int64_t c = 0; c < columns; ++c) sum += row[c];
  double mean = columns ? sum / static_cast<double>(columns) : 0;
  double squares = 0;
  for (int64_t c = 0; c < columns; ++c) squares += (row[c] - mean) * (row[c] - mean);
  double variance = columns ? squares / static_cast<double>(columns) : 0;
  return {mean, 1 / std::sqrt(variance + eps)};
}

}  // namespace

void layerNormRows(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t columns, double eps,
                   float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * columns;
    RowStatistics s = statistics(row, columns, eps);
    for (int64_t c = 0; c < columns; ++c)
      y[r * columns + c] = static_cast<float>(gamma[c] * ((row[c] - s.mean) * s.reciprocalDeviation) + beta[c]);
  }
}

void layerNormRowsBackward(const float* x, const float* gamma, const float* dy, int64_t rows, int64_t columns,
                           double eps, float* dx, float* dgamma, float* dbeta) {
  std::vector<double> gammaSums(static_cast<size_t>(columns), 0), betaSums(static_cast<size_t>(columns), 0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * columns;
    const float* d = dy + r * columns;
    RowStatistics s = statistics(row, columns, eps);
    double meanG = 0, meanGXhat = 0;
    for (int64_t c = 0; c < columns; ++c) {
      double xhat = (row[c] - s.mean) * s.reciprocalDeviation, g = static_cast<double>(d[c]) * gamma[c];
      meanG += g;
      meanGXhat += g * xhat;
      gammaSums[static_cast<size_t>(c)] += static_cast<double>(d[c]) * xhat;
      betaSums[static_cast<size_t>(c)] += d[c];
    }
    meanG /= static_cast<double>(columns);
    meanGXhat /= static_cast<double>(columns);
    for (int64_t c = 0; c < columns; ++c) {
      double xhat = (row[c] - s.mean) * s.reciprocalDeviation, g = static_cast<double>(d[c]) * gamma[c];
      dx[r * columns + c] = static_cast<float>(s.reciprocalDeviation * (g - meanG - xhat * meanGXhat));
    }
  }
  for (int64_t c = 0; c < columns; ++c) {
    dgamma[c] = static_cast<float>(gammaSums[static_cast<size_t>(c)]);
    dbeta[c] = static_cast<float>(betaSums[static_cast<size_t>(c)]);
  }
}

}  // namespace nnc::runtime
