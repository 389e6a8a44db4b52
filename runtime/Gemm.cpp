#include "runtime/Gemm.h"

#include <algorithm>
#include <cassert>

#include <Eigen/Core>

#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// Unaligned: the C API (CApi.h) passes buffers its caller allocated. GEMM
// packs its operands into aligned blocks anyway.
using ConstView = Eigen::Map<const RowMatrix>;
using View = Eigen::Map<RowMatrix>;

ConstView view(const Tensor& t) { return ConstView(t.data(), t.dim(0), t.dim(1)); }
View view(Tensor& t) { return View(t.data(), t.dim(0), t.dim(1)); }
ConstView view(MatrixRef m) { return ConstView(m.data, m.rows, m.cols); }

// Products smaller than this many multiply-adds run on one thread: handing
// half of one to another thread would cost more than it saves.
constexpr double kMinParallelWork = 1 << 20;

// Where piece `p` of `pieces` starts along a dimension of `size`: a multiple
// of `grain`, so that every element of C is computed by the same Eigen
// kernel code, in the same order, however C is cut (checked by the tests).
int64_t pieceStart(int64_t p, int64_t pieces, int64_t size, int64_t grain) {
  if (p >= pieces) return size;
  return std::min(size, (size * p / pieces + grain / 2) / grain * grain);
}

}  // namespace

void gemm(const Tensor& a, Transpose ta, const Tensor& b, Transpose tb, Tensor& c, float alpha, float beta) {
  assert(a.rank() == 2 && b.rank() == 2 && c.rank() == 2);
  gemm({a.data(), a.dim(0), a.dim(1)}, ta, {b.data(), b.dim(0), b.dim(1)}, tb, c.data(), c.dim(0), c.dim(1), alpha,
       beta);
}

void gemm(MatrixRef a, Transpose ta, MatrixRef b, Transpose tb, float* c, int64_t cRows, int64_t cCols, float alpha,
          float beta) {
  View out(c, cRows, cCols);
  if (beta == 0) out.setZero();
  else if (beta != 1) out *= beta;
  bool transA = ta == Transpose::Yes, transB = tb == Transpose::Yes;
  const int64_t m = cRows, n = cCols, k = transA ? a.rows : a.cols;
  // On the thread pool: C is cut into one piece per thread, along its
  // columns (each piece then packs all of A and its columns of B) or, if A
  // is the larger operand, its rows. Eigen computes a row-major C as
  // C^T = B^T A^T, in register blocks of 48 columns of C by 4 rows.
  const bool byColumns = m <= n;
  const int64_t size = byColumns ? n : m, grain = byColumns ? 48 : 4;
  const int64_t work = m * n * k;
  const int64_t pieces = std::clamp<int64_t>(static_cast<int64_t>(work / kMinParallelWork), 1,
                                             std::min<int64_t>(threadCount(), std::max<int64_t>(1, size / grain)));
  // noalias() writes straight into C without a temporary.
  auto multiply = [&](auto opA, auto opB) {
    parallelFor(pieces, [&](int64_t p) {
      int64_t first = pieceStart(p, pieces, size, grain), count = pieceStart(p + 1, pieces, size, grain) - first;
      if (count <= 0) return;
      if (byColumns) out.middleCols(first, count).noalias() += alpha * opA * opB.middleCols(first, count);
      else out.middleRows(first, count).noalias() += alpha * opA.middleRows(first, count) * opB;
    });
  };
  if (!transA && !transB) multiply(view(a), view(b));
  else if (!transA && transB) multiply(view(a), view(b).transpose());
  else if (transA && !transB) multiply(view(a).transpose(), view(b));
  else multiply(view(a).transpose(), view(b).transpose());
}

void addRowBias(Tensor& y, const Tensor& bias) {
  assert(y.rank() == 2 && bias.size() == y.dim(1));
  Eigen::Map<const Eigen::RowVectorXf> b(bias.data(), bias.size());
  view(y).rowwise() += b;
}

void sumRows(const Tensor& dy, Tensor& db) {
  assert(dy.rank() == 2 && db.size() == dy.dim(1));
  Eigen::Map<Eigen::RowVectorXf> out(db.data(), db.size());
  out = view(dy).colwise().sum();
}

void maxRowsInto(const Tensor& y, Tensor& m) {
  assert(y.rank() == 2 && m.size() == y.dim(1));
  Eigen::Map<Eigen::RowVectorXf> out(m.data(), m.size());
  out = out.cwiseMax(view(y).colwise().maxCoeff());
}

}  // namespace nnc::runtime
