#pragma once
// A data set in memory (class labels, or real-valued targets), and the two
// things training
// does with one: hold part of it out for validation, and walk it in shuffled
// mini-batches. Shuffles are seeded and use no standard-library distribution
// (their algorithms are implementation-defined), so a seed gives the same
// order with any compiler.
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/Tensor.h"

namespace nnc::runtime {

struct Dataset {
  Tensor features;              // [N, F] float32, one sample per row
  std::vector<int32_t> labels;  // N class indices in [0, numClasses); empty with targets, or with neither (samples to predict)
  Tensor targets;               // [N, T] real-valued targets (regression, multi-label); empty for classes
  int64_t numClasses = 0;
  // The images' [channels, height, width] where the file says (IDX: one
  // channel of rows x cols); empty for CSV, whose rows are only features.
  std::vector<int64_t> imageShape;

  bool hasTargets() const { return targets.rank() == 2; }
  // Neither labels nor targets: samples to predict (CsvOptions::unlabelledColumns).
  bool unlabelled() const { return !hasTargets() && labels.empty() && features.rank() == 2 && features.dim(0) > 0; }
  int64_t sampleCount() const {
    return hasTargets() ? targets.dim(0) : unlabelled() ? features.dim(0) : static_cast<int64_t>(labels.size());
  }
  int64_t targetCount() const { return hasTargets() ? targets.dim(1) : 0; }
  int64_t featureCount() const { return features.rank() == 2 ? features.dim(1) : 0; }
};

// Moves round(fraction * N) randomly chosen samples out of `data` and returns
// them (a validation set); `data` keeps the rest. Both keep the samples'
// original relative order and `data`'s numClasses. The same seed chooses the
// same samples. A fraction outside [0, 1] is clamped (NaN counts as 0).
Dataset splitOff(Dataset& data, double fraction, uint64_t seed);

// A [B, numClasses] tensor with a 1 at (i, labels[i]); a label outside
// [0, numClasses) leaves its row zero.
Tensor oneHot(std::span<const int32_t> labels, int64_t numClasses);

// Walks a data set in shuffled mini-batches, every sample exactly once per
// epoch; the last batch of an epoch holds the remainder (it may be smaller).
// The order of an epoch depends only on (seed, epoch). The data set must
// outlive the batcher.
//
//   Batcher batcher(train, 128, seed);
//   for (uint64_t epoch = 0; epoch < epochs; ++epoch) {
//     batcher.startEpoch(epoch);
//     while (batcher.next(x, y)) step(x, y);
//   }
class Batcher {
public:
  // A batchSize below 1 is taken as 1. Starts epoch 0.
  Batcher(const Dataset& data, int64_t batchSize, uint64_t seed);

  // Shuffles for `epoch` and rewinds to its first batch.
  void startEpoch(uint64_t epoch);
  // Copies the next batch into `features` ([B, F]; reallocated only when B
  // changes, so a caller that reuses it allocates at most twice an epoch) and
  // `labels` (B entries), or, for a set with targets, into `targets`
  // ([B, T]; `labels` is left empty). Returns false, touching none, once
  // the epoch is exhausted.
  bool next(Tensor& features, std::vector<int32_t>& labels, Tensor* targets = nullptr);
  // The number of samples next() will give (0 once the epoch is exhausted).
  int64_t nextBatchRows() const;

  int64_t batchSize() const { return batchSize_; }
  int64_t batchesPerEpoch() const;
  // The current epoch's sample order (a permutation of 0..N-1).
  std::span<const int64_t> order() const { return order_; }

private:
  const Dataset& data_;
  int64_t batchSize_;
  uint64_t seed_;
  std::vector<int64_t> order_;
  size_t position_ = 0;
};

}  // namespace nnc::runtime
