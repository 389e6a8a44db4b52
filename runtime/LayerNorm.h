#pragma once
// Layer normalisation over each row, as torch.nn.LayerNorm(F, eps) with its
// elementwise affine: y = gamma * (x - mean) / sqrt(var + eps) + beta, the
// mean and the (biased) variance of the row's F features, summed in double.
// Rows run one after another, so the bits do not depend on thread counts.
#include <cstdint>

namespace nnc::runtime {

void layerNormRows(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t columns, double eps,
                   float* y);

// From the saved input x and dy: dx, and dgamma and dbeta summed over the rows
// (overwritten). With xhat = (x - mean) * r, r = 1 / sqrt(var + eps) and
// g = dy * gamma:  dx = r * (g - mean(g) - xhat * mean(g * xhat)),
// dgamma = sum dy * xhat, dbeta = sum dy.
void layerNormRowsBackward(const float* x, const float* gamma, const float* dy, int64_t rows, int64_t columns,
                           double eps, float* dx, float* dgamma, float* dbeta);

}  // namespace nnc::runtime
