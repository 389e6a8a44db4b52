#include "tools/nnc/LearnedActivations.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "frontend/GraphBuilder.h"
#include "ir/Interpreter.h"

namespace nnc::cli {

namespace {

constexpr int kSamples = 401;
constexpr int64_t kCurvesPerUnit = 8;  // more units: a band and the median

// f(x) over the samples for one unit's parameter values.
std::vector<double> curve(const ir::Interpreter& f, const std::vector<double>& xs, std::vector<double> parameters) {
  std::vector<double> values(parameters.size() + 1), ys;
  std::copy(parameters.begin(), parameters.end(), values.begin() + 1);
  for (double x : xs) {
    values[0] = x;
    ys.push_back(f.run1(values));
  }
  return ys;
}

plot::Series series(std::string label, const std::vector<double>& xs, std::vector<double> ys) {
  plot::Series s;
  s.label = std::move(label);
  s.x = xs;
  s.y = std::move(ys);
  return s;
}

std::string range(const std::vector<float>& values) {
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return *lo == *hi ? fmt::format("{:.4g}", *lo) : fmt::format("{:.4g} to {:.4g}", *lo, *hi);
}

}  // namespace

std::optional<std::vector<plot::Chart>> learnedActivationCharts(const frontend::LayerDef& layer,
                                                                const runtime::Checkpoint& weights,
                                                                const std::string& weightsPath, double from, double to,
                                                                Diagnostics& diags) {
  std::vector<double> xs;
  for (int i = 0; i < kSamples; ++i) xs.push_back(from + (to - from) * i / (kSamples - 1));
  std::vector<plot::Chart> charts;
  for (const frontend::LayerActivation& act : layer.activations) {
    std::vector<std::string> names = {act.input};
    std::vector<std::vector<float>> trained;  // per parameter: one value, or one per unit
    std::vector<std::string> learned;
    for (const frontend::LearnableParameter& p : act.learnable) {
      names.push_back(p.name);
      std::string name = frontend::activationParameterName(layer, act, p);
      const runtime::Tensor* tensor = weights.find(name);
      int64_t expected = p.perUnit ? act.units : 1;
      if (!tensor || tensor->size() != expected) {
        diags.error(fmt::format("'{}' has no tensor '{}' of {} value{} for layer '{}'", weightsPath, name, expected,
                                expected == 1 ? "" : "s", layer.name));
        return std::nullopt;
      }
      trained.emplace_back(tensor->data(), tensor->data() + tensor->size());
      learned.push_back(fmt::format("{} = {}", p.name, range(trained.back())));
    }
    ir::Interpreter f(std::span(&act.body, 1), names);
    plot::Chart chart;
    chart.title = act.learnable.empty()
                      ? fmt::format("{}: {} (nothing learnable)", layer.name, act.name)
                      : fmt::format("{}: {}, trained {}", layer.name, act.name, fmt::join(learned, ", "));
    chart.xLabel = act.input;
    chart.xRange = plot::Range{from, to};
    std::vector<double> initial;
    for (const frontend::LearnableParameter& p : act.learnable) initial.push_back(p.initialValue);
    // Units with their own values: each unit's parameters.
    int64_t units = 1;
    for (const frontend::LearnableParameter& p : act.learnable) units = std::max(units, p.perUnit ? act.units : 1);
    auto unitParameters = [&](int64_t u) {
      std::vector<double> values;
      for (const std::vector<float>& t : trained) values.push_back(t.size() == 1 ? t[0] : t[static_cast<size_t>(u)]);
      return values;
    };
    std::vector<std::vector<double>> curves;
    for (int64_t u = 0; u < units; ++u) curves.push_back(curve(f, xs, unitParameters(u)));
    if (units == 1 || units <= kCurvesPerUnit) {
      for (int64_t u = 0; u < units; ++u)
        chart.series.push_back(
            series(units == 1 ? "trained" : fmt::format("unit {}", u), xs, curves[static_cast<size_t>(u)]));
    } else {
      plot::Series median = series(fmt::format("median of {} units (band: all)", units), xs, {});
      for (size_t i = 0; i < xs.size(); ++i) {
        std::vector<double> at;
        for (const std::vector<double>& c : curves) at.push_back(c[i]);
        std::sort(at.begin(), at.end());
        median.y.push_back(at[at.size() / 2]);
        median.lo.push_back(at.front());
        median.hi.push_back(at.back());
      }
      chart.series.push_back(std::move(median));
    }
    plot::Series start = series("initial", xs, curve(f, xs, initial));
    start.dash = "6 3";
    chart.series.push_back(std::move(start));
    charts.push_back(std::move(chart));
  }
  if (charts.empty()) diags.error(fmt::format("layer '{}' has no activation formula to draw", layer.name));
  if (charts.empty()) return std::nullopt;
  return charts;
}

}  // namespace nnc::cli
