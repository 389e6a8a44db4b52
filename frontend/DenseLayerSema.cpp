#include "frontend/DenseLayerSema.h"

#include <cmath>

#include <fmt/format.h>

#include "frontend/LayerActivationSema.h"

namespace nnc::frontend {

namespace {

// softmax is not an elementwise formula but a function of the whole row
// (each unit's output depends on every unit), so it is built in and
// applies to a whole layer.
bool isSoftmax(const ast::LayerDecl& layer) {
  for (const ast::LayerActivationUse& use : layer.activations)
    if (use.call->text == "softmax") return true;
  return false;
}

}  // namespace

std::optional<double> DenseLayerChecker::units(const ast::LayerDecl& layer, const std::string& name,
                                               std::optional<double> fanIn, double& parameters) {
  std::optional<double> units = positiveInteger(layer.units, fmt::format("the size of layer '{}'", name));
  if (units && fanIn) {
    double count = *fanIn * *units + *units;
    if (count > static_cast<double>(kMaxParameters)) {
      error(layer.units.range, fmt::format("layer '{}' would have {} parameters ({} inputs x {} units + {} biases); "
                                           "nnc allows at most {} (2^31) per layer",
                                           name, count, *fanIn, *units, *units, kMaxParameters));
      return std::nullopt;  // the next layer's size is not what is wrong
    }
    parameters += count;
  } else if (units && *units > static_cast<double>(kMaxParameters)) {
    return std::nullopt;  // too large, but its inputs are unknown after an error: that error comes first
  }
  return units;
}

std::optional<LayerDef> DenseLayerChecker::checkSoftmaxLayer(const ast::LayerDecl& layer, std::optional<double> units,
                                                             LayerDef out) {
  const std::string& name = out.name;
  size_t errorsBefore = diags_.errorCount();
  const ast::LayerActivationUse& use = layer.activations.front();
  if (layer.activations.size() > 1 || use.call->text != "softmax") {
    for (const ast::LayerActivationUse& other : layer.activations)
      if (other.call->text == "softmax")
        error(other.call->range, fmt::format("softmax normalises over all the units of layer '{}', so it cannot share "
                                             "the layer with other activations", name));
    return std::nullopt;
  }
  if (!use.call->operands.empty()) error(use.call->range, "softmax takes no arguments");
  if (use.units) error(use.units->range, "softmax applies to all the units of its layer; remove the unit count");
  if (!layer.perUnitFlags.empty()) error(layer.perUnitFlags[0], "softmax has no parameters, so per_unit has no effect");
  if (!units || diags_.errorCount() != errorsBefore) return std::nullopt;
  out.units = static_cast<int64_t>(*units);
  out.softmax = true;
  out.softmaxRange = use.call->range;
  return out;
}

std::optional<LayerDef> DenseLayerChecker::check(const ast::LayerDecl& layer, const std::string& name,
                                                 std::optional<double> units, double& parameters) {
  size_t errorsBefore = diags_.errorCount();
  for (size_t i = 1; i < layer.perUnitFlags.size(); ++i)
    error(layer.perUnitFlags[i], fmt::format("per_unit is given twice in layer '{}'", name));
  bool perUnit = !layer.perUnitFlags.empty();

  LayerDef out;
  out.name = name;
  out.range = layer.nameRange;
  if (isSoftmax(layer)) return checkSoftmaxLayer(layer, units, std::move(out));
  bool mixed = layer.activations.size() > 1;
  std::vector<double> shares;  // units of each activation
  for (const ast::LayerActivationUse& use : layer.activations) {
    std::optional<LayerActivation> activation =
        resolveLayerActivation(*use.call, perUnit, scope_, source_, ctx_, diags_);
    std::optional<double> share = units;
    if (use.units) {
      share = positiveInteger(*use.units, fmt::format("the units of '{}' in layer '{}'", use.call->text, name));
    } else if (mixed) {
      error(use.call->range, fmt::format("layer '{}' has several activations, so each needs its number of units "
                                         "('{}: N')",
                                         name, use.call->text));
    }
    if (!activation || !share) continue;
    shares.push_back(*share);
    for (const LearnableParameter& p : activation->learnable) parameters += p.perUnit ? *share : 1;
    out.activations.push_back(std::move(*activation));
  }
  if (diags_.errorCount() != errorsBefore || !units) return std::nullopt;
  double covered = 0;
  for (double share : shares) covered += share;
  if (!shares.empty() && covered != *units) {
    error(layer.units.range, fmt::format("the units of the activations of layer '{}' add up to {}, but the layer has {}",
                                         name, covered, *units));
    return std::nullopt;
  }
  int64_t firstUnit = 0;  // every share is at most the layer's units now, which fit
  for (size_t i = 0; i < shares.size(); ++i) {
    out.activations[i].firstUnit = firstUnit;
    out.activations[i].units = static_cast<int64_t>(shares[i]);
    firstUnit += out.activations[i].units;
  }
  if (perUnit) {
    bool anyLearnable = false;
    for (const LayerActivation& a : out.activations) anyLearnable |= !a.learnable.empty();
    if (!anyLearnable)
      diags_.warning(&source_, layer.perUnitFlags[0],
                     fmt::format("per_unit has no effect: the activations of layer '{}' have no learnable "
                                 "parameters",
                                 name));
  }
  out.units = static_cast<int64_t>(*units);
  return out;
}

std::optional<double> DenseLayerChecker::positiveInteger(const ast::NumberLiteral& n, const std::string& what) {
  if (std::isinf(n.value)) {
    error(n.range, fmt::format("number '{}' is too large for a double", n.text));
    return std::nullopt;
  }
  if (n.value < 1 || n.value != std::floor(n.value)) {
    error(n.range, fmt::format("{} must be a positive integer, found {}", what, n.text));
    return std::nullopt;
  }
  return n.value;
}

}  // namespace nnc::frontend
