#include "runtime/Dropout.h"

#include <algorithm>

#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

// SplitMix64's finaliser: a bijection of 64 bits whose outputs of
// consecutive inputs pass statistical tests of independence.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Element i's uniform draw in [0, 1), from 24 of its hash's bits (as many
// as a float's significand holds).
float uniform(uint64_t key, int64_t i) {
  return static_cast<float>(mix(key + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1)) >> 40) * 0x1p-24f;
}

// y[i] = keep(i) ? x[i] * scale : 0, in pieces of the elements on the pool.
void apply(const float* x, int64_t count, double p, uint64_t key, float* y) {
  const float threshold = static_cast<float>(p);
  const float scale = p < 1 ? static_cast<float>(1 / (1 - p)) : 0.0f;
  constexpr int64_t kPiece = 1 << 16;
  parallelFor((count + kPiece - 1) / kPiece, [&](int64_t piece) {
    const int64_t end = std::min(count, (piece + 1) * kPiece);
    for (int64_t i = piece * kPiece; i < end; ++i) y[i] = uniform(key, i) >= threshold ? x[i] * scale : 0.0f;
  });
}

}  // namespace

uint64_t dropoutKey(uint64_t seed, uint64_t step, uint64_t stream) { return mix(mix(mix(seed) ^ step) ^ stream); }

void dropoutForward(const float* x, int64_t count, double p, uint64_t key, float* y) { apply(x, count, p, key, y); }

void dropoutBackward(const float* dy, int64_t count, double p, uint64_t key, float* dx) { apply(dy, count, p, key, dx); }

}  // namespace nnc::runtime
