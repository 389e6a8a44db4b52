#include "runtime/Gemm.h"

#include <cassert>

#include <Eigen/Core>

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
  // Eigen picks its blocked GEMM kernel for each combination of transposes;
  // noalias() writes straight into C without a temporary.
  bool transA = ta == Transpose::Yes, transB = tb == Transpose::Yes;
  if (!transA && !transB) out.noalias() += alpha * view(a) * view(b);
  else if (!transA && transB) out.noalias() += alpha * view(a) * view(b).transpose();
  else if (transA && !transB) out.noalias() += alpha * view(a).transpose() * view(b);
  else out.noalias() += alpha * view(a).transpose() * view(b).transpose();
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
