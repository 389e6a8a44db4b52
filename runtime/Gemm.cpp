#include "runtime/Gemm.h"

#include <cassert>

#include <Eigen/Core>

namespace nnc::runtime {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstView = Eigen::Map<const RowMatrix, Eigen::Aligned64>;
using View = Eigen::Map<RowMatrix, Eigen::Aligned64>;

ConstView view(const Tensor& t) { return ConstView(t.data(), t.dim(0), t.dim(1)); }
View view(Tensor& t) { return View(t.data(), t.dim(0), t.dim(1)); }

}  // namespace

void gemm(const Tensor& a, Transpose ta, const Tensor& b, Transpose tb, Tensor& c, float alpha, float beta) {
  assert(a.rank() == 2 && b.rank() == 2 && c.rank() == 2);
  View out = view(c);
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
  Eigen::Map<const Eigen::RowVectorXf, Eigen::Aligned64> b(bias.data(), bias.size());
  view(y).rowwise() += b;
}

void sumRows(const Tensor& dy, Tensor& db) {
  assert(dy.rank() == 2 && db.size() == dy.dim(1));
  Eigen::Map<Eigen::RowVectorXf, Eigen::Aligned64> out(db.data(), db.size());
  out = view(dy).colwise().sum();
}

void maxRowsInto(const Tensor& y, Tensor& m) {
  assert(y.rank() == 2 && m.size() == y.dim(1));
  Eigen::Map<Eigen::RowVectorXf, Eigen::Aligned64> out(m.data(), m.size());
  out = out.cwiseMax(view(y).colwise().maxCoeff());
}

}  // namespace nnc::runtime
