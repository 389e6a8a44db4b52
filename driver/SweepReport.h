#pragma once
// What a sweep's runs say, per variant: test accuracy over the seeds with
// a significance test against the best variant, how fast each learns, dead
// units, the gradient-norm ratio between the first and last layer, time
// and size; as a terminal table, a Markdown report and SVG charts.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "driver/Sweep.h"

namespace nnc::driver {

struct VariantSummary {
  std::string name;
  size_t runs = 0, failed = 0;  // failed: training stopped (not in the figures)
  std::vector<double> finalAccuracy;  // per finished seed
  double mean = 0, sd = 0;            // of finalAccuracy (sd: sample standard deviation)
  std::optional<double> pValue;       // against the best variant; none for the best
  std::optional<double> epochsToTarget;  // mean over the seeds that reached it
  size_t reachedTarget = 0;
  double finalTrainLoss = 0;
  std::vector<std::pair<std::string, double>> deadFraction;  // mean per changed layer (relu-like units only)
  std::optional<double> gradientRatio;  // first / last layer's weight-gradient norm, geometric mean over seeds
  double secondsPerEpoch = 0;
  int64_t parameters = 0;
  // Test accuracy per epoch: mean, lowest and highest over the seeds.
  std::vector<double> epochMean, epochLow, epochHigh;
  // Weight-gradient norm per layer (forward order), geometric mean over seeds.
  std::vector<std::pair<std::string, double>> gradientNorms;
};

struct SweepSummary {
  std::vector<VariantSummary> variants;  // best mean accuracy first
  double target = 0;                     // the accuracy "epochs to target" counts to
  std::vector<std::string> layers;       // the layers the variants change
};

// `target`: the accuracy to count epochs to; none: 98% of the best
// variant's mean final accuracy, to three decimals.
SweepSummary summarizeSweep(const SweepSettings& settings, const SweepRecords& records, std::optional<double> target);

// The two-sided p-value of a permutation test of the difference of means
// of `a` and `b`: exact over every split of the pooled values when there
// are at most 200000, else 100000 random splits (a fixed seed).
double permutationPValue(const std::vector<double>& a, const std::vector<double>& b);

std::string sweepTable(const SweepSummary& summary);
std::string sweepMarkdown(const SweepSummary& summary, const SweepSettings& settings, const std::string& model);
// File name -> SVG: accuracy.svg (per epoch, a band over the seeds; and
// the five best on their own scale),
// final_accuracy.svg (bars, +-1 sd), dead_units.svg, grad_norms.svg.
std::vector<std::pair<std::string, std::string>> sweepCharts(const SweepSummary& summary);

}  // namespace nnc::driver
