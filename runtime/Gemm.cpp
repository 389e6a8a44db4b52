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
constexpr int64_t kMinParallelWork = int64_t{1} << 16;

// What packing one element of an operand costs, in multiply-adds (Eigen
// copies operands into its blocked layout before multiplying).
constexpr int64_t kPackingCost = 8;

// How C is cut for the thread pool: `pieces` pieces along its columns or
// its rows, starting at multiples of `grain`. Eigen computes a row-major C
// as C^T = B^T A^T in register blocks of 48 columns of C (so a column cut
// at a multiple of 48 leaves every element to the same kernel code, adding
// in the same order: the result does not depend on the cut; checked by the
// tests); rows may be cut anywhere.
struct Cut {
  bool byColumns = true;
  int64_t size = 0, grain = 1, pieces = 1;

  int64_t start(int64_t p) const {
    if (p >= pieces) return size;
    return std::min(size, (size * p / pieces + grain / 2) / grain * grain);
  }
  int64_t largestPiece() const {
    int64_t largest = 0;
    for (int64_t p = 0; p < pieces; ++p) largest = std::max(largest, start(p + 1) - start(p));
    return largest;
  }
};

// One piece per thread, along whichever dimension finishes first: each
// piece multiplies its share and packs the whole of the other operand (all
// of A for a column cut, all of B for a row cut).
Cut chooseCut(int64_t m, int64_t n, int64_t k) {
  const int64_t work = m * n * k;
  const int64_t pieces = std::clamp<int64_t>(work / kMinParallelWork, 1, threadCount());
  Cut columns{true, n, 48, std::clamp<int64_t>(n / 48, 1, pieces)};
  Cut rows{false, m, 4, std::clamp<int64_t>(m / 4, 1, pieces)};
  auto cost = [&](const Cut& cut, int64_t packed) {
    return work / cut.size * cut.largestPiece() + (cut.pieces > 1 ? kPackingCost * packed : 0);
  };
  return cost(columns, m * k) <= cost(rows, k * n) ? columns : rows;
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
  const Cut cut = chooseCut(cRows, cCols, transA ? a.rows : a.cols);
  // noalias() writes straight into C without a temporary.
  auto multiply = [&](auto opA, auto opB) {
    parallelFor(cut.pieces, [&](int64_t p) {
      int64_t first = cut.start(p), count = cut.start(p + 1) - first;
      if (count <= 0) return;
      if (cut.byColumns) out.middleCols(first, count).noalias() += alpha * opA * opB.middleCols(first, count);
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
