#include "runtime/Embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

// The row an index selects, or -1.
int64_t rowOf(float index, int64_t vocabulary) {
  if (!(index >= 0) || index >= static_cast<float>(vocabulary) || index != std::floor(index)) return -1;
  return static_cast<int64_t>(index);
}

}  // namespace

void embeddingForward(const float* x, const float* w, const EmbeddingShape& s, float* y) {
  parallelFor(s.rows, [&](int64_t r) {
    for (int64_t i = 0; i < s.indices; ++i) {
      int64_t row = rowOf(x[r * s.indices + i], s.vocabulary);
      float* out = y + (r * s.indices + i) * s.dimension;
      if (row < 0) std::fill(out, out + s.dimension, std::numeric_limits<float>::quiet_NaN());
      else std::copy(w + row * s.dimension, w + (row + 1) * s.dimension, out);
    }
  });
}

void embeddingBackward(const float* x, const float* dy, const EmbeddingShape& s, float* dw) {
  std::fill(dw, dw + s.vocabulary * s.dimension, 0.0f);
  // Pieces of the D columns: each thread adds whole columns, in sample order.
  constexpr int64_t kColumnsPerPiece = 16;
  const int64_t pieces = (s.dimension + kColumnsPerPiece - 1) / kColumnsPerPiece;
  parallelFor(pieces, [&](int64_t piece) {
    const int64_t first = piece * kColumnsPerPiece, end = std::min(s.dimension, first + kColumnsPerPiece);
    for (int64_t r = 0; r < s.rows; ++r)
      for (int64_t i = 0; i < s.indices; ++i) {
        int64_t row = rowOf(x[r * s.indices + i], s.vocabulary);
        if (row < 0) continue;
        const float* grad = dy + (r * s.indices + i) * s.dimension;
        for (int64_t d = first; d < end; ++d) dw[row * s.dimension + d] += grad[d];
      }
  });
}

}  // namespace nnc::runtime
