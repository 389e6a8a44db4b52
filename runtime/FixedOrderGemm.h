#pragma once
// Matrix products in which every element is one fixed sequence of float
// operations, whatever the shape, the thread count and the CPU's kernels:
// C = A B^T with A [m, k] and B [n, k] row-major, so that rows of both are
// contiguous (a dense layer's input and its [out, in] weights).
//
// Inference multiplies by dense weights through it (backend/CompiledModel.cpp,
// the AOT object's forward function):
// - a sample's prediction is the same bits alone and in any batch, with any
//   NNC_THREADS and OPENBLAS_CORETYPE (OpenBLAS's SGEMM rounds a row by the
//   kernel the CPU selects and by how the product is tiled);
// - it reads the weights as they are stored: OpenBLAS packs the whole weight
//   matrix on every call, which dominated one-sample prediction (46 of 66 µs
//   for the fashion MLP's 784x256 layer, bench/README.md).
// Training keeps OpenBLAS, faster on batch-sized products: with eight
// partial sums per element this product runs 25-50% slower than OpenBLAS's
// on large batches (bench/README.md).
#include <cstdint>

namespace nnc::runtime {

// C[i, j] = sum over t of A[i, t] * B[j, t], defined as eight partial sums
//   s_l = fma(A[i, 8u + l], B[j, 8u + l], s_l) for u = 0, 1, ... (0 past k),
// each starting at 0, then ((s_0 + s_4) + (s_2 + s_6)) + ((s_1 + s_5) + (s_3 + s_7)).
// c is [m, n] row-major. Splits the columns over the thread pool.
void gemmFixedOrder(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k);

// One element of that definition, in scalar code: what the vector kernels
// must reproduce bit for bit (tests/runtime/FixedOrderGemmTest.cpp), and
// what computes the products on a CPU without AVX2 and FMA.
float dotFixedOrder(const float* a, const float* b, int64_t k);

}  // namespace nnc::runtime
