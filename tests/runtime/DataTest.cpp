// Data sets in memory: held-out splits, shuffled mini-batches, one-hot labels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "runtime/Dataset.h"

namespace nnc::runtime {
namespace {

// n samples of 3 features; sample i holds i, i + 0.25, i + 0.5 and label i % 4,
// so every row says which sample it was.
Dataset numbered(int64_t n) {
  Dataset data;
  data.features = Tensor({n, 3});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < 3; ++j) data.features[i * 3 + j] = static_cast<float>(i) + 0.25f * static_cast<float>(j);
    data.labels.push_back(static_cast<int32_t>(i % 4));
  }
  data.numClasses = 4;
  return data;
}

// The sample numbers of a data set's rows, checking each row is intact.
std::vector<int64_t> sampleIds(const Tensor& features, const std::vector<int32_t>& labels) {
  std::vector<int64_t> ids;
  for (int64_t row = 0; row < features.dim(0); ++row) {
    auto id = static_cast<int64_t>(features[row * 3]);
    EXPECT_EQ(features[row * 3 + 2], static_cast<float>(id) + 0.5f);
    EXPECT_EQ(labels[static_cast<size_t>(row)], id % 4);
    ids.push_back(id);
  }
  return ids;
}

TEST(SplitOff, HoldsOutTheRequestedFractionDisjointlyAndInOrder) {
  Dataset train = numbered(100);
  Dataset held = splitOff(train, 0.2, 7);
  EXPECT_EQ(held.sampleCount(), 20);
  EXPECT_EQ(train.sampleCount(), 80);
  EXPECT_EQ(held.features.shapeString(), "[20, 3]");
  EXPECT_EQ(held.numClasses, 4);
  std::vector<int64_t> heldIds = sampleIds(held.features, held.labels);
  std::vector<int64_t> keptIds = sampleIds(train.features, train.labels);
  EXPECT_TRUE(std::is_sorted(heldIds.begin(), heldIds.end()));
  EXPECT_TRUE(std::is_sorted(keptIds.begin(), keptIds.end()));
  std::set<int64_t> all(heldIds.begin(), heldIds.end());
  all.insert(keptIds.begin(), keptIds.end());
  EXPECT_EQ(all.size(), 100u);  // disjoint, and together every sample
  EXPECT_NE(heldIds, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
}

TEST(SplitOff, DependsOnlyOnTheSeed) {
  auto heldIds = [](uint64_t seed) {
    Dataset train = numbered(50);
    Dataset held = splitOff(train, 0.3, seed);
    return sampleIds(held.features, held.labels);
  };
  EXPECT_EQ(heldIds(1), heldIds(1));
  EXPECT_NE(heldIds(1), heldIds(2));
}

TEST(SplitOff, ClampsTheFraction) {
  struct Case {
    double fraction;
    int64_t held;
  };
  for (Case c : {Case{0.0, 0}, Case{1.0, 10}, Case{-0.5, 0}, Case{2.0, 10}, Case{std::nan(""), 0}, Case{0.25, 3}}) {
    SCOPED_TRACE(c.fraction);
    Dataset train = numbered(10);
    Dataset held = splitOff(train, c.fraction, 3);
    EXPECT_EQ(held.sampleCount(), c.held);
    EXPECT_EQ(train.sampleCount(), 10 - c.held);
    EXPECT_EQ(held.features.shape(), (Shape{c.held, 3}));
  }
}

// Every batch of one epoch, as sample numbers.
std::vector<std::vector<int64_t>> epochBatches(Batcher& batcher, uint64_t epoch) {
  batcher.startEpoch(epoch);
  std::vector<std::vector<int64_t>> batches;
  Tensor x;
  std::vector<int32_t> y;
  while (batcher.next(x, y)) batches.push_back(sampleIds(x, y));
  return batches;
}

std::vector<int64_t> flatten(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> all;
  for (const auto& batch : batches) all.insert(all.end(), batch.begin(), batch.end());
  return all;
}

TEST(Batcher, CoversEverySampleOncePerEpochWithAPartialLastBatch) {
  Dataset data = numbered(10);
  Batcher batcher(data, 4, 42);
  EXPECT_EQ(batcher.batchesPerEpoch(), 3);
  for (uint64_t epoch : {0, 1, 2}) {
    auto batches = epochBatches(batcher, epoch);
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(batches[0].size(), 4u);
    EXPECT_EQ(batches[1].size(), 4u);
    EXPECT_EQ(batches[2].size(), 2u);
    std::vector<int64_t> all = flatten(batches);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  }
}

TEST(Batcher, OrderDependsOnlyOnSeedAndEpoch) {
  Dataset data = numbered(64);
  Batcher a(data, 8, 1), b(data, 8, 1), otherSeed(data, 8, 2);
  std::vector<int64_t> epoch0 = flatten(epochBatches(a, 0));
  EXPECT_EQ(epoch0, flatten(epochBatches(b, 0)));
  EXPECT_EQ(epoch0, flatten(epochBatches(a, 0)));  // replaying an epoch replays its order
  EXPECT_NE(epoch0, flatten(epochBatches(a, 1)));
  EXPECT_NE(epoch0, flatten(epochBatches(otherSeed, 0)));
  std::vector<int64_t> identity(64);
  for (int64_t i = 0; i < 64; ++i) identity[static_cast<size_t>(i)] = i;
  EXPECT_NE(epoch0, identity);
  EXPECT_EQ(std::vector<int64_t>(a.order().begin(), a.order().end()), flatten(epochBatches(a, 0)));
}

TEST(Batcher, ReusesTheCallersTensorAndStopsAtTheEnd) {
  Dataset data = numbered(5);
  Batcher batcher(data, 2, 9);
  Tensor x;
  std::vector<int32_t> y;
  ASSERT_TRUE(batcher.next(x, y));
  const float* storage = x.data();
  ASSERT_TRUE(batcher.next(x, y));
  EXPECT_EQ(x.data(), storage);  // same shape: no reallocation
  ASSERT_TRUE(batcher.next(x, y));
  EXPECT_EQ(x.shapeString(), "[1, 3]");
  EXPECT_EQ(y.size(), 1u);
  EXPECT_FALSE(batcher.next(x, y));
  EXPECT_EQ(x.shapeString(), "[1, 3]");  // untouched once exhausted
  EXPECT_FALSE(batcher.next(x, y));
}

TEST(Batcher, TreatsABatchSizeBelowOneAsOneAndHandlesEmptyData) {
  Dataset data = numbered(3);
  Batcher ones(data, 0, 1);
  EXPECT_EQ(ones.batchSize(), 1);
  EXPECT_EQ(epochBatches(ones, 0).size(), 3u);
  Dataset empty = numbered(0);
  Batcher none(empty, 4, 1);
  EXPECT_EQ(none.batchesPerEpoch(), 0);
  EXPECT_TRUE(epochBatches(none, 0).empty());
}

TEST(OneHot, SetsOneEntryPerRowAndLeavesBadLabelsZero) {
  std::vector<int32_t> labels = {2, 0, 5, -1};
  Tensor t = oneHot(labels, 3);
  EXPECT_EQ(t.shapeString(), "[4, 3]");
  const float expected[] = {0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(t[i], expected[i]) << i;
}

}  // namespace
}  // namespace nnc::runtime
