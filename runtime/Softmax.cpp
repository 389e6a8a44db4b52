#include "runtime/Softmax.h"

#include <algorithm>
#include <cmath>

namespace nnc::runtime {

void softmaxRows(const Tensor& z, Tensor& s) { softmaxRows(z.data(), z.dim(0), z.dim(1), s.data()); }

void softmaxRowsBackward(const Tensor& s, const Tensor& dy, Tensor& dz) {
  softmaxRowsBackward(s.data(), dy.data(), s.dim(0), s.dim(1), dz.data());
}

void softmaxRows(const float* z, int64_t rows, int64_t columns, float* s) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = z + r * columns;
    float* out = s + r * columns;
    float largest = *std::max_element(in, in + columns);
    double total = 0;
    for (int64_t c = 0; c < columns; ++c) total += out[c] = std::exp(in[c] - largest);
    float scale = static_cast<float>(1 / total);
    for (int64_t c = 0; c < columns; ++c) out[c] *= scale;
  }
}

void softmaxRowsBackward(const float* s, const float* dy, int64_t rows, int64_t columns, float* dz) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* sr = s + r * columns;
    const float* dyr = dy + r * columns;
    double dot = 0;
    for (int64_t c = 0; c < columns; ++c) dot += static_cast<double>(dyr[c]) * sr[c];
    float* out = dz + r * columns;
    for (int64_t c = 0; c < columns; ++c) out[c] = sr[c] * (dyr[c] - static_cast<float>(dot));
  }
}

}  // namespace nnc::runtime
