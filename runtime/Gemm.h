#pragma once
// Matrix products for dense layers, in OpenBLAS. Rank-2 row-major tensors.
#include "runtime/Tensor.h"

namespace nnc::runtime {

enum class Transpose { No, Yes };

// C = alpha * op(A) * op(B) + beta * C, where op(X) is X or X^T.
// Shapes must agree (checked by the caller's graph verifier; asserted here).
void gemm(const Tensor& a, Transpose ta, const Tensor& b, Transpose tb, Tensor& c, float alpha = 1,
          float beta = 0);

// The same over row-major arrays: a is [rows, cols] before op(), and C is
// [cRows, cCols].
struct MatrixRef {
  const float* data;
  int64_t rows, cols;
};
void gemm(MatrixRef a, Transpose ta, MatrixRef b, Transpose tb, float* c, int64_t cRows, int64_t cCols,
          float alpha = 1, float beta = 0);

// Whether gemm() may run on several threads at once (OpenBLAS's pthread
// variant); callers that run products in parallel themselves (a
// convolution's samples) run them one at a time where it may not.
bool gemmTakesConcurrentCalls();

// The OpenBLAS kernels in use ("Haswell", "SkylakeX", ...): chosen for the
// CPU when OpenBLAS loads, or by OPENBLAS_CORETYPE.
const char* blasKernelName();

// y[i, j] += bias[j] for every row i (a dense layer's bias).
void addRowBias(Tensor& y, const Tensor& bias);
// db[j] = sum over rows i of dy[i, j] (the bias gradient).
void sumRows(const Tensor& dy, Tensor& db);
// m[j] = max(m[j], y[i, j]) for every row i (a running maximum per unit).
void maxRowsInto(const Tensor& y, Tensor& m);

// The same over row-major [rows, cols] arrays; `out` may be `in`.
void addRowBias(const float* in, const float* bias, int64_t rows, int64_t cols, float* out);
void sumRows(const float* dy, int64_t rows, int64_t cols, float* db);
void maxRowsInto(const float* y, int64_t rows, int64_t cols, float* m);

}  // namespace nnc::runtime
