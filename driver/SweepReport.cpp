#include "driver/SweepReport.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "plot/SvgChart.h"

namespace nnc::driver {

namespace {

double mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sampleSd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double m = mean(v), sum = 0;
  for (double x : v) sum += (x - m) * (x - m);
  return std::sqrt(sum / static_cast<double>(v.size() - 1));
}

double geometricMean(const std::vector<double>& v) {
  double logs = 0;
  for (double x : v) logs += std::log(x);
  return std::exp(logs / static_cast<double>(v.size()));
}

// C(n, k), or more than `cap` as cap + 1.
double binomial(size_t n, size_t k, double cap) {
  double c = 1;
  for (size_t i = 1; i <= k; ++i) {
    c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
    if (c > cap) return cap + 1;
  }
  return c;
}

VariantSummary summarize(const std::string& name, const std::vector<const RunRecord*>& runs, int64_t epochs,
                         const std::vector<std::string>& layers) {
  VariantSummary s;
  s.name = name;
  s.runs = runs.size();
  std::vector<double> trainLoss, seconds, ratios;
  std::vector<std::vector<double>> perEpoch(static_cast<size_t>(epochs));
  std::vector<std::vector<double>> dead(layers.size());
  std::vector<std::vector<double>> norms;
  std::vector<std::string> normLayers;
  for (const RunRecord* run : runs) {
    s.parameters = run->parameters;
    if (!run->error.empty() || run->epochs.empty()) {
      ++s.failed;
      continue;
    }
    s.finalAccuracy.push_back(run->epochs.back().testAccuracy);
    trainLoss.push_back(run->epochs.back().trainLoss);
    for (const EpochRecord& e : run->epochs) {
      seconds.push_back(e.seconds);
      if (e.epoch >= 1 && e.epoch <= epochs) perEpoch[static_cast<size_t>(e.epoch - 1)].push_back(e.testAccuracy);
    }
    for (size_t l = 0; l < layers.size(); ++l)
      for (const auto& [layer, fraction] : run->deadFraction)
        if (layer == layers[l]) dead[l].push_back(fraction);
    const auto& g = run->gradientNorms;
    if (g.size() >= 2 && g.front().second > 0 && g.back().second > 0)
      ratios.push_back(g.front().second / g.back().second);
    if (normLayers.empty())
      for (const auto& [layer, norm] : g) normLayers.push_back(layer);
    if (g.size() == normLayers.size()) {
      norms.resize(g.size());
      for (size_t l = 0; l < g.size(); ++l)
        if (g[l].second > 0) norms[l].push_back(g[l].second);
    }
  }
  s.mean = mean(s.finalAccuracy);
  s.sd = sampleSd(s.finalAccuracy);
  s.finalTrainLoss = mean(trainLoss);
  s.secondsPerEpoch = mean(seconds);
  if (!ratios.empty()) s.gradientRatio = geometricMean(ratios);
  for (size_t l = 0; l < layers.size(); ++l)
    if (!dead[l].empty()) s.deadFraction.emplace_back(layers[l], mean(dead[l]));
  for (size_t l = 0; l < norms.size(); ++l)
    if (!norms[l].empty()) s.gradientNorms.emplace_back(normLayers[l], geometricMean(norms[l]));
  for (const std::vector<double>& e : perEpoch) {
    if (e.empty()) break;
    s.epochMean.push_back(mean(e));
    s.epochLow.push_back(*std::min_element(e.begin(), e.end()));
    s.epochHigh.push_back(*std::max_element(e.begin(), e.end()));
  }
  return s;
}

void countEpochsToTarget(VariantSummary& s, const std::vector<const RunRecord*>& runs, double target) {
  std::vector<double> reached;
  for (const RunRecord* run : runs) {
    if (!run->error.empty()) continue;
    for (const EpochRecord& e : run->epochs)
      if (e.testAccuracy >= target) {
        reached.push_back(static_cast<double>(e.epoch));
        break;
      }
  }
  s.reachedTarget = reached.size();
  if (!reached.empty()) s.epochsToTarget = mean(reached);
}

std::string percent(double fraction) { return fmt::format("{:.0f}%", 100 * fraction); }

// The table's rows, as cells: one header row, then one per variant.
std::vector<std::vector<std::string>> tableCells(const SweepSummary& summary) {
  std::vector<std::string> header = {"variant", "test accuracy", "p vs best",
                                     fmt::format("epochs to {:.3f}", summary.target), "train loss"};
  for (const std::string& layer : summary.layers) header.push_back("dead " + layer);
  for (const char* h : {"grad first/last", "s/epoch", "parameters"}) header.push_back(h);
  std::vector<std::vector<std::string>> rows = {header};
  for (const VariantSummary& v : summary.variants) {
    size_t finished = v.finalAccuracy.size();
    std::vector<std::string> row = {v.name};
    row.push_back(v.runs == 0    ? "not run yet"
                  : finished == 0 ? "failed"
                                  : fmt::format("{:.4f} ± {:.4f}{}", v.mean, v.sd,
                                                v.failed ? fmt::format(" ({} failed)", v.failed) : ""));
    row.push_back(finished == 0 ? "–" : v.pValue ? fmt::format("{:.3f}", *v.pValue) : "best");
    row.push_back(!v.epochsToTarget ? "–"
                  : v.reachedTarget == finished
                      ? fmt::format("{:.1f}", *v.epochsToTarget)
                      : fmt::format("{:.1f} ({}/{})", *v.epochsToTarget, v.reachedTarget, finished));
    row.push_back(finished ? fmt::format("{:.4f}", v.finalTrainLoss) : "–");
    for (const std::string& layer : summary.layers) {
      auto found =
          std::find_if(v.deadFraction.begin(), v.deadFraction.end(), [&](auto& d) { return d.first == layer; });
      row.push_back(found == v.deadFraction.end() ? "–" : percent(found->second));
    }
    row.push_back(v.gradientRatio ? fmt::format("{:.3g}", *v.gradientRatio) : "–");
    row.push_back(finished ? fmt::format("{:.2f}", v.secondsPerEpoch) : "–");
    row.push_back(std::to_string(v.parameters));
    rows.push_back(std::move(row));
  }
  return rows;
}

// Display width: the ± and – are one column each.
size_t width(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

plot::Chart chart(const std::string& title, const std::string& xLabel, const std::string& yLabel) {
  plot::Chart c;
  c.title = title;
  c.xLabel = xLabel;
  c.yLabel = yLabel;
  return c;
}

}  // namespace

double permutationPValue(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pooled = a;
  pooled.insert(pooled.end(), b.begin(), b.end());
  size_t n = pooled.size(), k = a.size();
  if (k == 0 || k == n) return 1;
  double total = std::accumulate(pooled.begin(), pooled.end(), 0.0);
  auto difference = [&](double sumA) {
    return std::abs(sumA / static_cast<double>(k) - (total - sumA) / static_cast<double>(n - k));
  };
  double observed = difference(std::accumulate(a.begin(), a.end(), 0.0));
  double tolerance = 1e-12 * std::max(1.0, std::abs(observed));
  constexpr double kExactLimit = 200000;
  size_t atLeast = 0, splits = 0;
  if (binomial(n, k, kExactLimit) <= kExactLimit) {
    // Every k-subset of the pooled values, in lexicographic order.
    std::vector<bool> chosen(n, false);
    std::fill(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(k), true);
    do {
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += chosen[i] ? pooled[i] : 0;
      atLeast += difference(sum) >= observed - tolerance;
      ++splits;
    } while (std::prev_permutation(chosen.begin(), chosen.end()));
  } else {
    std::mt19937_64 random(1);
    for (splits = 0; splits < 100000; ++splits) {
      std::shuffle(pooled.begin(), pooled.end(), random);
      atLeast += difference(std::accumulate(pooled.begin(), pooled.begin() + static_cast<std::ptrdiff_t>(k), 0.0)) >=
                 observed - tolerance;
    }
  }
  return static_cast<double>(atLeast) / static_cast<double>(splits);
}

SweepSummary summarizeSweep(const SweepSettings& settings, const SweepRecords& records, std::optional<double> target) {
  SweepSummary summary;
  summary.layers = settings.layers;
  std::vector<std::vector<const RunRecord*>> runsOf;
  for (const ActivationVariant& variant : settings.variants) {
    std::vector<const RunRecord*> runs;
    for (const RunRecord& run : records.runs)
      if (run.variant == variant.name) runs.push_back(&run);
    summary.variants.push_back(summarize(variant.name, runs, settings.training.epochs, settings.layers));
    runsOf.push_back(std::move(runs));
  }
  std::vector<size_t> order(summary.variants.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const VariantSummary &a = summary.variants[x], &b = summary.variants[y];
    if (a.finalAccuracy.empty() != b.finalAccuracy.empty()) return b.finalAccuracy.empty();
    return a.mean > b.mean;
  });
  std::vector<VariantSummary> sorted;
  std::vector<std::vector<const RunRecord*>> sortedRuns;
  for (size_t i : order) {
    sorted.push_back(std::move(summary.variants[i]));
    sortedRuns.push_back(runsOf[i]);
  }
  summary.variants = std::move(sorted);
  if (summary.variants.empty()) return summary;
  const VariantSummary& best = summary.variants.front();
  summary.target = target ? *target : std::floor(0.98 * best.mean * 1000) / 1000;
  for (size_t i = 0; i < summary.variants.size(); ++i) {
    VariantSummary& v = summary.variants[i];
    countEpochsToTarget(v, sortedRuns[i], summary.target);
    if (i > 0 && !v.finalAccuracy.empty() && !best.finalAccuracy.empty())
      v.pValue = permutationPValue(v.finalAccuracy, best.finalAccuracy);
  }
  return summary;
}

std::string sweepTable(const SweepSummary& summary) {
  std::vector<std::vector<std::string>> rows = tableCells(summary);
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width(row[c]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      std::string pad(widths[c] - width(row[c]), ' ');
      line += c == 0 ? row[c] + pad : "  " + pad + row[c];
    }
    out += line + "\n";
  }
  return out;
}

std::string sweepMarkdown(const SweepSummary& summary, const SweepSettings& settings, const std::string& model) {
  std::vector<std::vector<std::string>> rows = tableCells(summary);
  std::string table;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r > 0) rows[r][0] = "`" + rows[r][0] + "`";  // formulas hold * and _
    table += "| " + fmt::format("{}", fmt::join(rows[r], " | ")) + " |\n";
    if (r == 0) {
      table += "|---";
      for (size_t c = 1; c < rows[r].size(); ++c) table += "|---:";
      table += "|\n";
    }
  }
  const frontend::TrainingDef& t = settings.training;
  return fmt::format(
      "# Activation sweep: model `{}` of `{}`\n\n"
      "Layers changed: {}. Each variant trained from {} seed{} ({} to {}), {} epoch{}, batch {}, "
      "the file's optimiser (learning rate {}); the same initial-weights rule, data order and optimiser for every "
      "variant.\n\n{}\n"
      "- **test accuracy**: after the last epoch, mean ± sample standard deviation over the seeds.\n"
      "- **p vs best**: two-sided permutation test of the difference in mean final accuracy against the best "
      "variant (exact over every split of the pooled runs when there are at most 200000, else 100000 random "
      "splits). With n seeds per variant the smallest possible p is 2/C(2n, n).\n"
      "- **epochs to {:.3f}**: the first epoch the test accuracy reached it, mean over the seeds that did "
      "(how many, if not all).\n"
      "- **dead LAYER**: the share of the layer's relu-like units (those whose activation is 0 with slope 0 for "
      "negative inputs) whose output was 0 for every training sample in the last epoch; – when none can die.\n"
      "- **grad first/last**: the first layer's weight-gradient norm over the last layer's in the last epoch "
      "(geometric mean over the seeds): far below 1, gradients vanish on the way back.\n\n"
      "Charts: [accuracy per epoch](accuracy.svg), [final accuracy](final_accuracy.svg), "
      "[dead units](dead_units.svg), [gradient norms per layer](grad_norms.svg). Every run: "
      "[results.json](results.json).\n",
      model, settings.programPath, fmt::join(summary.layers, ", "), settings.seeds, settings.seeds == 1 ? "" : "s",
      t.seed, t.seed + static_cast<uint64_t>(settings.seeds) - 1, t.epochs, t.epochs == 1 ? "" : "s", t.batchSize,
      t.optimizer.learningRate, table, summary.target);
}

std::vector<std::pair<std::string, std::string>> sweepCharts(const SweepSummary& summary) {
  std::vector<std::pair<std::string, std::string>> files;

  plot::Chart curves = chart("test accuracy per epoch (band: lowest to highest seed)", "epoch", "test accuracy");
  curves.integerX = true;
  for (const VariantSummary& v : summary.variants) {
    plot::Series s;
    s.label = v.name;
    s.markers = true;
    for (size_t e = 0; e < v.epochMean.size(); ++e) s.x.push_back(static_cast<double>(e + 1));
    s.y = v.epochMean;
    s.lo = v.epochLow;
    s.hi = v.epochHigh;
    curves.series.push_back(std::move(s));
  }
  // The best few again, on their own scale: side by side with the rest,
  // variants far behind squash their differences.
  plot::Chart best = curves;
  best.title = "the five best";
  if (best.series.size() > 5) best.series.resize(5);
  files.emplace_back("accuracy.svg", plot::renderSvg({curves, best}));

  plot::Chart finalChart = chart("final test accuracy (± 1 sd over the seeds)", "", "test accuracy");
  plot::Series bars;
  bars.label = "mean";
  bars.bars = true;
  for (size_t i = 0; i < summary.variants.size(); ++i) {
    const VariantSummary& v = summary.variants[i];
    finalChart.categories.push_back(v.name);
    bars.x.push_back(static_cast<double>(i));
    bars.y.push_back(v.finalAccuracy.empty() ? NAN : v.mean);
    bars.lo.push_back(v.mean - v.sd);
    bars.hi.push_back(v.mean + v.sd);
  }
  finalChart.series.push_back(std::move(bars));
  files.emplace_back("final_accuracy.svg", plot::renderSvg({finalChart}));

  plot::Chart dead = chart("dead units after the last epoch (relu-like units)", "", "share of units dead");
  for (const VariantSummary& v : summary.variants) dead.categories.push_back(v.name);
  for (const std::string& layer : summary.layers) {
    plot::Series s;
    s.label = layer;
    s.bars = true;
    for (size_t i = 0; i < summary.variants.size(); ++i) {
      const auto& fractions = summary.variants[i].deadFraction;
      auto found = std::find_if(fractions.begin(), fractions.end(), [&](auto& d) { return d.first == layer; });
      s.x.push_back(static_cast<double>(i));
      s.y.push_back(found == fractions.end() ? NAN : found->second);  // no bar: no unit can die
    }
    dead.series.push_back(std::move(s));
  }
  files.emplace_back("dead_units.svg", plot::renderSvg({dead}));

  plot::Chart norms = chart("weight-gradient norm per layer, last epoch", "", "RMS of ||dW|| (log scale)");
  norms.logY = true;
  for (const VariantSummary& v : summary.variants) {
    if (norms.categories.empty())
      for (const auto& [layer, norm] : v.gradientNorms) norms.categories.push_back(layer);
    plot::Series s;
    s.label = v.name;
    s.markers = true;
    for (size_t l = 0; l < v.gradientNorms.size(); ++l) {
      s.x.push_back(static_cast<double>(l));
      s.y.push_back(v.gradientNorms[l].second);
    }
    norms.series.push_back(std::move(s));
  }
  files.emplace_back("grad_norms.svg", plot::renderSvg({norms}));
  return files;
}

}  // namespace nnc::driver
