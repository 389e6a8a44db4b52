#include "runtime/FixedOrderGemm.h"

#include <algorithm>
#include <cmath>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

constexpr int kLanes = 8;

// Products smaller than this many multiply-adds run on one thread (as in
// Gemm.cpp): handing half of one to another thread costs more than it saves.
constexpr int64_t kMinParallelWork = int64_t{1} << 14;

// Columns of C computed against one row tile before the next: their rows of
// B (kBlockBytes at most) stay in L2 while every row tile of A passes.
constexpr int64_t kBlockBytes = 192 * 1024;

float sumLanes(const float s[kLanes]) { return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7])); }

}  // namespace

float dotFixedOrder(const float* a, const float* b, int64_t k) {
  float s[kLanes] = {};
  for (int64_t t = 0; t < k; ++t) s[t % kLanes] = std::fma(a[t], b[t], s[t % kLanes]);
  return sumLanes(s);
}

namespace {

#if defined(__AVX2__) && defined(__FMA__)

// The lanes summed in sumLanes's order: the upper half onto the lower
// (s_l + s_{l+4}), then the upper pair onto the lower, then the two left.
float sumLanes(__m256 v) {
  __m128 quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
  return _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
}

// R rows of C by J columns: R * J accumulators of eight lanes, each row of
// A and of B loaded once per eight elements of k. The tail of k is loaded
// under a mask (zeros past k, as the definition says).
template <int R, int J>
void tile(const float* a, const float* b, float* c, int64_t n, int64_t k) {
  __m256 acc[R][J];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < J; ++j) acc[r][j] = _mm256_setzero_ps();
  auto step = [&](auto load) {
    __m256 rowsOfA[R];
    for (int r = 0; r < R; ++r) rowsOfA[r] = load(a + r * k);
    for (int j = 0; j < J; ++j) {
      __m256 rowOfB = load(b + j * k);
      for (int r = 0; r < R; ++r) acc[r][j] = _mm256_fmadd_ps(rowsOfA[r], rowOfB, acc[r][j]);
    }
  };
  int64_t t = 0;
  for (; t + kLanes <= k; t += kLanes) step([t](const float* p) { return _mm256_loadu_ps(p + t); });
  if (t < k) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(k - t)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    step([t, mask](const float* p) { return _mm256_maskload_ps(p + t, mask); });
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < J; ++j) c[r * n + j] = sumLanes(acc[r][j]);
}

// Columns [0, columns) of rows [0, rows) of C, R rows at a time, J columns
// at a time, then one column at a time.
template <int R, int J>
void rowTile(const float* a, const float* b, float* c, int64_t n, int64_t k, int64_t columns) {
  int64_t j = 0;
  for (; j + J <= columns; j += J) tile<R, J>(a, b + j * k, c + j, n, k);
  for (; j < columns; ++j) tile<R, 1>(a, b + j * k, c + j, n, k);
}

// Tiles of three rows by four columns use 12 accumulators, 3 rows of A and
// a row of B: 16 registers. One row takes eight columns at a time so that
// eight chains of multiply-adds overlap (fewer would wait on the FMA's latency).
void block(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, int64_t columns) {
  int64_t i = 0;
  for (; i + 3 <= m; i += 3) rowTile<3, 4>(a + i * k, b, c + i * n, n, k, columns);
  if (m - i == 2) rowTile<2, 4>(a + i * k, b, c + i * n, n, k, columns);
  if (m - i == 1) rowTile<1, 8>(a + i * k, b, c + i * n, n, k, columns);
}

#else

void block(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, int64_t columns) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < columns; ++j) c[i * n + j] = dotFixedOrder(a + i * k, b + j * k, k);
}

#endif

}  // namespace

void gemmFixedOrder(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0) return;
  // Each element is computed alone, so the columns may be cut anywhere:
  // one piece per thread, whole multiples of eight columns.
  const int64_t pieces = std::clamp<int64_t>(m * n * std::max<int64_t>(k, 1) / kMinParallelWork, 1,
                                             std::min<int64_t>(threadCount(), (n + kLanes - 1) / kLanes));
  const int64_t rowBytes = static_cast<int64_t>(sizeof(float)) * std::max<int64_t>(k, 1);
  const int64_t perBlock = std::max<int64_t>(kLanes, kBlockBytes / rowBytes);
  parallelFor(pieces, [&](int64_t p) {
    const int64_t first = (n * p / pieces + kLanes / 2) / kLanes * kLanes;
    const int64_t last = p + 1 == pieces ? n : (n * (p + 1) / pieces + kLanes / 2) / kLanes * kLanes;
    for (int64_t j = first; j < last; j += perBlock)
      block(a, b + j * k, c + j, m, n, k, std::min(perBlock, last - j));
  });
}

}  // namespace nnc::runtime
