#include "runtime/Gemm.h"

#include <algorithm>
#include <cassert>

#include <Eigen/Core>
#include <cblas.h>

#include "runtime/Parallel.h"

// Not in cblas.h: the pthread variant's call that stops its worker threads
// (absent from the serial variant, hence weak).
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace nnc::runtime {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// Unaligned: the C API (CApi.h) passes buffers its caller allocated.
using ConstView = Eigen::Map<const RowMatrix>;
using View = Eigen::Map<RowMatrix>;

// OpenBLAS's pthread variant starts a worker thread per extra core when it
// loads, and each spins (sched_yield) for about 2^28 cycles waiting for work
// that never comes, since nnc's pool runs every piece: ~70 ms of a core taken
// from every process. Set one thread and stop them as this library starts
// (OpenBLAS, a dependency, has started before).
const bool blasConfigured = [] {
  openblas_set_num_threads(1);
  if (blas_thread_shutdown_) blas_thread_shutdown_();
  return true;
}();

// Products smaller than this many multiply-adds run on one thread: handing
// half of one to another thread would cost more than it saves.
constexpr int64_t kMinParallelWork = int64_t{1} << 16;

// What packing one element of an operand costs, in multiply-adds (OpenBLAS
// copies operands into its blocked layout before multiplying).
constexpr int64_t kPackingCost = 8;

// How C is cut into pieces: `pieces` pieces along its columns or its rows,
// starting at multiples of `grain`.
//
// The pieces depend on the product's shape and the machine's core count,
// never on how many threads the pool has: whatever NNC_THREADS says, the
// same OpenBLAS calls run on the same parts of A, B and C, so the bits of C
// cannot change with it, whichever kernel OpenBLAS chose for the CPU. A cut
// that moved with the thread count would change them, and no grain is safe
// for every kernel: kernels tile C differently and treat a tile's edge with
// other code (Haswell's SGEMM, which OPENBLAS_CORETYPE=Haswell or Zen
// selects, gives other bits for every column cut of a 128x784x256 product
// and for row cuts off multiples of 12; SkylakeX's for cuts off multiples
// of 4).
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

// At most one piece per core, along whichever dimension finishes first when
// each piece has a core: each multiplies its share and packs the whole of
// the other operand (all of A for a column cut, all of B for a row cut).
// The grains (16 columns, 4 rows) keep pieces to whole register tiles of
// the AVX-512 kernels, for speed only. m and n are at least 1.
Cut chooseCut(int64_t m, int64_t n, int64_t k) {
  const int64_t work = m * n * k;
  const int64_t pieces = std::clamp<int64_t>(work / kMinParallelWork, 1, coreCount());
  Cut columns{true, n, 16, std::clamp<int64_t>(n / 16, 1, pieces)};
  Cut rows{false, m, 4, std::clamp<int64_t>(m / 4, 1, pieces)};
  auto cost = [&](const Cut& cut, int64_t packed) {
    return work / cut.size * cut.largestPiece() + (cut.pieces > 1 ? kPackingCost * packed : 0);
  };
  return cost(columns, m * k) <= cost(rows, k * n) ? columns : rows;
}

blasint blasInt(int64_t n) { return static_cast<blasint>(n); }
// BLAS requires a leading dimension of at least 1, even for an empty matrix.
blasint leading(int64_t columns) { return blasInt(std::max<int64_t>(1, columns)); }

}  // namespace

// The products run in OpenBLAS's SGEMM: 15-20% faster than Eigen's on this
// machine at the training step's shapes (bench/README.md), and the BLAS
// PyTorch uses too. Each piece runs on the calling thread: the pool below is
// the only one. Only the pthread variant may be called from two threads at
// once (the serial one shares its packing buffers, the OpenMP one indexes
// them by OpenMP thread number); with another variant loaded (Debian's
// alternatives choose libopenblas.so.0), the products run whole, on one
// thread.
bool gemmTakesConcurrentCalls() {
  static const bool concurrent = openblas_get_parallel() == 1;  // 0 serial, 1 pthreads, 2 OpenMP
  return concurrent;
}

void gemm(const Tensor& a, Transpose ta, const Tensor& b, Transpose tb, Tensor& c, float alpha, float beta) {
  assert(a.rank() == 2 && b.rank() == 2 && c.rank() == 2);
  gemm({a.data(), a.dim(0), a.dim(1)}, ta, {b.data(), b.dim(0), b.dim(1)}, tb, c.data(), c.dim(0), c.dim(1), alpha,
       beta);
}

void gemm(MatrixRef a, Transpose ta, MatrixRef b, Transpose tb, float* c, int64_t cRows, int64_t cCols, float alpha,
          float beta) {
  const bool transA = ta == Transpose::Yes, transB = tb == Transpose::Yes;
  const int64_t k = transA ? a.rows : a.cols;
  assert((transB ? b.cols : b.rows) == k);
  if (cRows == 0 || cCols == 0) return;  // no element of C to compute
  const Cut cut = gemmTakesConcurrentCalls() ? chooseCut(cRows, cCols, k) : Cut{true, cCols, 1, 1};
  parallelFor(cut.pieces, [&](int64_t p) {
    const int64_t first = cut.start(p), count = cut.start(p + 1) - first;
    if (count <= 0) return;
    // The piece's corner of C and the parts of A and B it reads: a column
    // cut takes B's columns [first, first + count) (B^T's rows), a row cut
    // A's rows (A^T's columns).
    const float* aPart = a.data;
    const float* bPart = b.data;
    float* cPart = c;
    int64_t rows = cRows, cols = cCols;
    if (cut.byColumns) {
      bPart += transB ? first * b.cols : first;
      cPart += first;
      cols = count;
    } else {
      aPart += transA ? first : first * a.cols;
      cPart += first * cCols;
      rows = count;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasInt(rows), blasInt(cols), blasInt(k), alpha, aPart, leading(a.cols), bPart, leading(b.cols), beta,
                cPart, leading(cCols));
  });
}

const char* blasKernelName() { return openblas_get_corename(); }

void addRowBias(const float* in, const float* bias, int64_t rows, int64_t cols, float* out) {
  Eigen::Map<const Eigen::RowVectorXf> b(bias, cols);
  View(out, rows, cols) = ConstView(in, rows, cols).rowwise() + b;
}

void sumRows(const float* dy, int64_t rows, int64_t cols, float* db) {
  Eigen::Map<Eigen::RowVectorXf> out(db, cols);
  out = ConstView(dy, rows, cols).colwise().sum();
}

void maxRowsInto(const float* y, int64_t rows, int64_t cols, float* m) {
  Eigen::Map<Eigen::RowVectorXf> out(m, cols);
  out = out.cwiseMax(ConstView(y, rows, cols).colwise().maxCoeff());
}

void addRowBias(Tensor& y, const Tensor& bias) {
  assert(y.rank() == 2 && bias.size() == y.dim(1));
  addRowBias(y.data(), bias.data(), y.dim(0), y.dim(1), y.data());
}

void sumRows(const Tensor& dy, Tensor& db) {
  assert(dy.rank() == 2 && db.size() == dy.dim(1));
  sumRows(dy.data(), dy.dim(0), dy.dim(1), db.data());
}

void maxRowsInto(const Tensor& y, Tensor& m) {
  assert(y.rank() == 2 && m.size() == y.dim(1));
  maxRowsInto(y.data(), y.dim(0), y.dim(1), m.data());
}

}  // namespace nnc::runtime
