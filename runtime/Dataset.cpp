#include "runtime/Dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "runtime/Parallel.h"

namespace nnc::runtime {

// A uniform integer in [0, bound) by rejection (bound > 0). Written out
// because std::uniform_int_distribution differs between standard libraries.
static uint64_t uniformBelow(std::mt19937_64& random, uint64_t bound) {
  uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound: the biased low values
  for (;;) {
    uint64_t r = random();
    if (r >= threshold) return r % bound;
  }
}

// Fisher-Yates, for the same reason as above (std::shuffle is unspecified).
static void shuffle(std::vector<int64_t>& order, std::mt19937_64& random) {
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[uniformBelow(random, i)]);
}

static std::vector<int64_t> identityOrder(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

// SplitMix64's finaliser: nearby (seed, epoch) pairs give unrelated streams.
static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static void copyRow(const Dataset& from, int64_t row, float* to) {
  int64_t width = from.featureCount();
  std::copy_n(from.features.data() + row * width, width, to);
}

static Dataset selectRows(const Dataset& data, std::span<const int64_t> rows) {
  Dataset out;
  out.features = Tensor({static_cast<int64_t>(rows.size()), data.featureCount()});
  out.numClasses = data.numClasses;
  out.imageShape = data.imageShape;
  int64_t targetWidth = data.targetCount();
  if (data.hasTargets()) out.targets = Tensor({static_cast<int64_t>(rows.size()), targetWidth});
  else out.labels.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    copyRow(data, rows[i], out.features.data() + static_cast<int64_t>(i) * data.featureCount());
    if (data.hasTargets())
      std::copy_n(data.targets.data() + rows[i] * targetWidth, targetWidth,
                  out.targets.data() + static_cast<int64_t>(i) * targetWidth);
    else
      out.labels.push_back(data.labels[static_cast<size_t>(rows[i])]);
  }
  return out;
}

Dataset splitOff(Dataset& data, double fraction, uint64_t seed) {
  int64_t n = data.sampleCount();
  double clamped = std::isnan(fraction) ? 0.0 : std::clamp(fraction, 0.0, 1.0);
  auto heldCount = static_cast<size_t>(std::llround(clamped * static_cast<double>(n)));

  std::vector<int64_t> order = identityOrder(n);
  std::mt19937_64 random(mix(seed));
  shuffle(order, random);
  std::vector<int64_t> held(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(heldCount));
  std::vector<int64_t> kept(order.begin() + static_cast<std::ptrdiff_t>(heldCount), order.end());
  std::sort(held.begin(), held.end());
  std::sort(kept.begin(), kept.end());

  Dataset heldOut = selectRows(data, held);
  data = selectRows(data, kept);
  return heldOut;
}

Tensor oneHot(std::span<const int32_t> labels, int64_t numClasses) {
  Tensor out({static_cast<int64_t>(labels.size()), numClasses});
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= 0 && labels[i] < numClasses) out[static_cast<int64_t>(i) * numClasses + labels[i]] = 1.0f;
  return out;
}

Batcher::Batcher(const Dataset& data, int64_t batchSize, uint64_t seed)
    : data_(data), batchSize_(std::max<int64_t>(batchSize, 1)), seed_(seed) {
  startEpoch(0);
}

void Batcher::startEpoch(uint64_t epoch) {
  order_ = identityOrder(data_.sampleCount());
  std::mt19937_64 random(mix(seed_ ^ mix(epoch)));
  shuffle(order_, random);
  position_ = 0;
}

int64_t Batcher::batchesPerEpoch() const { return (data_.sampleCount() + batchSize_ - 1) / batchSize_; }

bool Batcher::next(Tensor& features, std::vector<int32_t>& labels, Tensor* targets) {
  if (position_ >= order_.size()) return false;
  size_t count = std::min(order_.size() - position_, static_cast<size_t>(batchSize_));
  int64_t width = data_.featureCount();
  Shape shape{static_cast<int64_t>(count), width};
  if (features.shape() != shape) features = Tensor(shape);
  if (data_.hasTargets()) {
    labels.clear();
    int64_t targetWidth = data_.targetCount();
    Shape targetShape{static_cast<int64_t>(count), targetWidth};
    if (targets && targets->shape() != targetShape) *targets = Tensor(targetShape);
    for (size_t i = 0; targets && i < count; ++i)
      std::copy_n(data_.targets.data() + order_[position_ + i] * targetWidth, targetWidth,
                  targets->data() + static_cast<int64_t>(i) * targetWidth);
  } else {
    labels.resize(count);
    for (size_t i = 0; i < count; ++i) labels[i] = data_.labels[static_cast<size_t>(order_[position_ + i])];
  }
  // The gather is a training step's largest serial part otherwise: copy in
  // pieces on the pool.
  constexpr size_t kRowsPerPiece = 32;
  parallelFor(static_cast<int64_t>((count + kRowsPerPiece - 1) / kRowsPerPiece), [&](int64_t piece) {
    size_t first = static_cast<size_t>(piece) * kRowsPerPiece, last = std::min(count, first + kRowsPerPiece);
    for (size_t i = first; i < last; ++i)
      copyRow(data_, order_[position_ + i], features.data() + static_cast<int64_t>(i) * width);
  });
  position_ += count;
  return true;
}

int64_t Batcher::nextBatchRows() const {
  return static_cast<int64_t>(std::min(order_.size() - std::min(position_, order_.size()),
                                       static_cast<size_t>(batchSize_)));
}

}  // namespace nnc::runtime
