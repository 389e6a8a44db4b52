#pragma once
// Row-wise softmax and its backward pass, for layers declared with the
// built-in `softmax` activation.
#include "runtime/Tensor.h"

namespace nnc::runtime {

// s[r, :] = exp(z[r, :] - max) / sum(exp(z[r, :] - max)); finite for any
// finite z (the max is subtracted first).
void softmaxRows(const Tensor& z, Tensor& s);

// dz[r, :] = s[r, :] * (dy[r, :] - sum(dy[r, :] * s[r, :])): the Jacobian of
// softmax, diag(s) - s s^T, applied to dy, from the saved output s.
void softmaxRowsBackward(const Tensor& s, const Tensor& dy, Tensor& dz);

// The same over row-major [rows, columns] arrays.
void softmaxRows(const float* z, int64_t rows, int64_t columns, float* s);
void softmaxRowsBackward(const float* s, const float* dy, int64_t rows, int64_t columns, float* dz);

}  // namespace nnc::runtime
