#include "runtime/Softmax.h"

#include <algorithm>
#include <cmath>

namespace nnc::runtime {

void softmaxRows(const Tensor& z, Tensor& s) {
  int64_t rows = z.dim(0), columns = z.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = z.data() + r * columns;
    float* out = s.data() + r * columns;
    float largest = *std::max_element(in, in + columns);
    double total = 0;
    for (int64_t c = 0; c < columns; ++c) total += out[c] = std::exp(in[c] - largest);
    float scale = static_cast<float>(1 / total);
    for (int64_t c = 0; c < columns; ++c) out[c] *= scale;
  }
}

void softmaxRowsBackward(const Tensor& s, const Tensor& dy, Tensor& dz) {
  int64_t rows = s.dim(0), columns = s.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    const float* sr = s.data() + r * columns;
    const float* dyr = dy.data() + r * columns;
    double dot = 0;
    for (int64_t c = 0; c < columns; ++c) dot += static_cast<double>(dyr[c]) * sr[c];
    float* out = dz.data() + r * columns;
    for (int64_t c = 0; c < columns; ++c) out[c] = sr[c] * (dyr[c] - static_cast<float>(dot));
  }
}

}  // namespace nnc::runtime
