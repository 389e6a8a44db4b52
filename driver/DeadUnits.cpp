#include "driver/DeadUnits.h"

#include <algorithm>

#include <fmt/format.h>

#include "analysis/ActivationFacts.h"

namespace nnc::driver {

bool canDie(const frontend::LayerActivation& activation, ir::ExprContext& exprs) {
  if (!activation.learnable.empty()) return false;
  return analysis::ActivationFacts(exprs, activation.body, activation.input, {}).canDie();
}

DeadUnitCheck::DeadUnitCheck(const frontend::ModelDef& model, ir::ExprContext& exprs, double threshold)
    : threshold_(threshold) {
  for (const frontend::LayerDef& layer : model.layers) {
    Watched w{layer.name, layer.range, layer.units, 1, {}, 0};
    for (const frontend::LayerActivation& act : layer.activations) {
      if (!canDie(act, exprs)) continue;
      w.ranges.emplace_back(act.firstUnit, act.units);
      w.units += act.units;
    }
    if (w.units > 0) watched_.push_back(std::move(w));
  }
  // Activations of convolutions (the builder records them as layers of
  // channels): a formula of the convolution alone, with no learnable parameter.
  for (const frontend::ValueDef& value : model.values) {
    if (value.kind != frontend::ValueDef::Kind::Formula || value.operands.size() != 1 || !value.learnable.empty())
      continue;
    const frontend::ValueDef& conv = model.values[value.operands[0]];
    if (conv.kind != frontend::ValueDef::Kind::Conv2d) continue;
    if (!analysis::ActivationFacts(exprs, value.formula, value.vars[0], {}).canDie()) continue;
    int64_t channels = value.image[0];
    watched_.push_back({value.name, value.range, channels, value.width / channels, {{0, channels}}, channels});
  }
}

std::vector<std::string> DeadUnitCheck::layers() const {
  std::vector<std::string> names;
  for (const Watched& w : watched_) names.push_back(w.name);
  return names;
}

// A unit is dead when its largest output over the epoch, at every one of
// its positions, is not above 0.
int64_t DeadUnitCheck::deadUnits(const Watched& watched, const runtime::Tensor& maxima) const {
  int64_t dead = 0;
  for (auto [first, count] : watched.ranges)
    for (int64_t u = first; u < first + count && (u + 1) * watched.positions <= maxima.size(); ++u) {
      const float* unit = maxima.data() + u * watched.positions;
      dead += std::all_of(unit, unit + watched.positions, [](float m) { return m <= 0; });
    }
  return dead;
}

std::vector<std::pair<std::string, double>> DeadUnitCheck::fractions(const runtime::EpochReport& report) const {
  std::vector<std::pair<std::string, double>> out;
  for (const runtime::LayerOutputMaxima& m : report.outputMaxima) {
    auto w = std::find_if(watched_.begin(), watched_.end(), [&](const Watched& x) { return x.name == m.layer; });
    if (w != watched_.end())
      out.emplace_back(m.layer, static_cast<double>(deadUnits(*w, m.maxima)) / static_cast<double>(w->units));
  }
  return out;
}

bool DeadUnitCheck::check(const runtime::EpochReport& report, passes::PassContext& context) {
  bool any = false;
  for (const runtime::LayerOutputMaxima& m : report.outputMaxima) {
    auto w = std::find_if(watched_.begin(), watched_.end(), [&](const Watched& x) { return x.name == m.layer; });
    if (w == watched_.end() || reported_.count(m.layer)) continue;
    int64_t dead = deadUnits(*w, m.maxima);
    double fraction = static_cast<double>(dead) / static_cast<double>(w->units);
    if (fraction <= threshold_) continue;
    reported_.insert(m.layer);
    // In a mixed layer only some units can die: say which ones were counted.
    bool channels = w->positions > 1;
    std::string units = channels                        ? fmt::format("{} channels", w->units)
                        : w->units == w->layerUnits ? fmt::format("{} units", w->units)
                                                    : fmt::format("{} relu-like units", w->units);
    any |= context.warn("dead-units", w->range,
                        fmt::format("{} of the {} of layer '{}' ({:.0f}%) were dead in epoch {}: their output was 0 "
                                    "for every training sample{}, so they received no gradient",
                                    dead, units, m.layer, 100 * fraction, report.epoch,
                                    channels ? " at every position" : ""));
  }
  return any;
}

}  // namespace nnc::driver
