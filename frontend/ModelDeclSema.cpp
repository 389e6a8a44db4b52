#include "frontend/ModelDeclSema.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "frontend/LayerActivationSema.h"
#include "ir/Simplify.h"
#include "support/Spelling.h"

namespace nnc::frontend {

namespace {

struct LossName {
  const char* name;
  LossKind kind;
};
constexpr LossName kLosses[] = {{"mse", LossKind::MSE},
                                {"bce", LossKind::BCE},
                                {"cross_entropy", LossKind::CrossEntropy},
                                {"bce_with_logits", LossKind::BCEWithLogits}};

class ModelChecker {
public:
  ModelChecker(const ActivationScope& scope, const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags)
      : scope_(scope), source_(source), ctx_(ctx), diags_(diags) {}

  std::vector<ModelDef> run(const std::vector<ast::ModelDecl>& models) {
    std::vector<ModelDef> out;
    std::map<std::string, const ast::ModelDecl*> seen;
    for (const ast::ModelDecl& decl : models) {
      auto [first, inserted] = seen.emplace(decl.name, &decl);
      if (!inserted) {
        error(decl.nameRange, fmt::format("model '{}' is defined twice", decl.name));
        note(first->second->nameRange, "first definition is here");
        continue;
      }
      if (std::optional<ModelDef> model = check(decl)) out.push_back(std::move(*model));
    }
    return out;
  }

private:
  void error(SourceRange range, std::string message) { diags_.error(&source_, range, std::move(message)); }
  void note(SourceRange range, std::string message) { diags_.note(&source_, range, std::move(message)); }

  std::optional<ModelDef> check(const ast::ModelDecl& decl) {
    size_t errorsBefore = diags_.errorCount();
    ModelDef out;
    out.name = decl.name;
    out.range = decl.nameRange;

    std::optional<double> inputSize;
    if (decl.inputs.empty()) {
      error(decl.nameRange, fmt::format("model '{}' has no input size; add one, e.g. input 784;", decl.name));
    } else {
      for (size_t i = 1; i < decl.inputs.size(); ++i) {
        error(decl.inputs[i].range, fmt::format("model '{}' gives its input size twice", decl.name));
        note(decl.inputs[0].range, "first given here");
      }
      inputSize = positiveInteger(decl.inputs[0], "the input size");
    }

    if (decl.layers.empty())
      error(decl.nameRange, fmt::format("model '{}' has no layers; add one, e.g. dense out(10);", decl.name));
    std::map<std::string, const ast::LayerDecl*> layerNames;
    std::optional<double> fanIn = inputSize;  // inputs of the next layer; empty when unknown after an error
    double parameters = 0;
    for (const ast::LayerDecl& layer : decl.layers) {
      auto [first, inserted] = layerNames.emplace(layer.name, &layer);
      if (!inserted) {
        error(layer.nameRange, fmt::format("layer '{}' is defined twice in model '{}'", layer.name, decl.name));
        note(first->second->nameRange, "first definition is here");
      }
      std::optional<double> units = positiveInteger(layer.units, fmt::format("the size of layer '{}'", layer.name));
      if (units && fanIn) {
        double count = *fanIn * *units + *units;
        if (count > static_cast<double>(kMaxParameters)) {
          error(layer.units.range, fmt::format("layer '{}' would have {} parameters ({} inputs x {} units + {} biases); "
                                               "nnc allows at most {} (2^31) per layer",
                                               layer.name, count, *fanIn, *units, *units, kMaxParameters));
          units.reset();  // the next layer's size is not what is wrong
        }
        parameters += count;
      } else if (units && *units > static_cast<double>(kMaxParameters)) {
        units.reset();  // too large, but its inputs are unknown after an error: that error comes first
      }
      fanIn = units;
      std::optional<LayerDef> def = checkLayer(layer, units);
      if (def) {
        for (const LayerActivation& a : def->activations)
          for (const LearnableParameter& p : a.learnable) parameters += p.perUnit ? static_cast<double>(a.units) : 1;
        out.layers.push_back(std::move(*def));
      }
    }
    if (diags_.errorCount() == errorsBefore && parameters > static_cast<double>(kMaxParameters))
      error(decl.nameRange, fmt::format("model '{}' would have {} parameters in all; nnc allows at most {} (2^31)",
                                        decl.name, parameters, kMaxParameters));

    checkLoss(decl, out);
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    out.inputSize = static_cast<int64_t>(*inputSize);
    return out;
  }

  // softmax is not an elementwise formula but a function of the whole row
  // (each unit's output depends on every unit), so it is built in and
  // applies to a whole layer.
  static bool isSoftmax(const ast::LayerDecl& layer) {
    for (const ast::LayerActivationUse& use : layer.activations)
      if (use.call->text == "softmax") return true;
    return false;
  }

  std::optional<LayerDef> checkSoftmaxLayer(const ast::LayerDecl& layer, std::optional<double> units, LayerDef out) {
    size_t errorsBefore = diags_.errorCount();
    const ast::LayerActivationUse& use = layer.activations.front();
    if (layer.activations.size() > 1 || use.call->text != "softmax") {
      for (const ast::LayerActivationUse& other : layer.activations)
        if (other.call->text == "softmax")
          error(other.call->range, fmt::format("softmax normalises over all the units of layer '{}', so it cannot share "
                                               "the layer with other activations", layer.name));
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

  // dense NAME(UNITS, ACTIVATIONS..., per_unit): the activations and the
  // units each covers. `units` is empty when the layer's size is invalid.
  std::optional<LayerDef> checkLayer(const ast::LayerDecl& layer, std::optional<double> units) {
    size_t errorsBefore = diags_.errorCount();
    for (size_t i = 1; i < layer.perUnitFlags.size(); ++i)
      error(layer.perUnitFlags[i], fmt::format("per_unit is given twice in layer '{}'", layer.name));
    bool perUnit = !layer.perUnitFlags.empty();

    LayerDef out;
    out.name = layer.name;
    out.range = layer.nameRange;
    if (isSoftmax(layer)) return checkSoftmaxLayer(layer, units, std::move(out));
    bool mixed = layer.activations.size() > 1;
    std::vector<double> shares;  // units of each activation
    for (const ast::LayerActivationUse& use : layer.activations) {
      std::optional<LayerActivation> activation =
          resolveLayerActivation(*use.call, perUnit, scope_, source_, ctx_, diags_);
      std::optional<double> share = units;
      if (use.units) {
        share = positiveInteger(*use.units, fmt::format("the units of '{}' in layer '{}'", use.call->text, layer.name));
      } else if (mixed) {
        error(use.call->range, fmt::format("layer '{}' has several activations, so each needs its number of units "
                                           "('{}: N')",
                                           layer.name, use.call->text));
      }
      if (!activation || !share) continue;
      shares.push_back(*share);
      out.activations.push_back(std::move(*activation));
    }
    if (diags_.errorCount() != errorsBefore || !units) return std::nullopt;
    double covered = 0;
    for (double share : shares) covered += share;
    if (!shares.empty() && covered != *units) {
      error(layer.units.range, fmt::format("the units of the activations of layer '{}' add up to {}, but the layer has {}",
                                           layer.name, covered, *units));
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
                                   layer.name));
    }
    out.units = static_cast<int64_t>(*units);
    return out;
  }

  // loss NAME; exactly once, and fitting the model's output where the
  // syntax alone proves it does not.
  void checkLoss(const ast::ModelDecl& decl, ModelDef& out) {
    if (decl.losses.empty()) {
      error(decl.nameRange, fmt::format("model '{}' has no loss; add one, e.g. loss cross_entropy;", decl.name));
      return;
    }
    for (size_t i = 1; i < decl.losses.size(); ++i) {
      error(decl.losses[i].second, fmt::format("model '{}' gives its loss twice", decl.name));
      note(decl.losses[0].second, "first given here");
    }
    const auto& [name, range] = decl.losses[0];
    out.lossRange = range;
    const LossName* loss = nullptr;
    for (const LossName& candidate : kLosses)
      if (name == candidate.name) loss = &candidate;
    if (!loss) {
      std::vector<std::string> names;
      for (const LossName& candidate : kLosses) names.push_back(candidate.name);
      std::string message = fmt::format("unknown loss '{}'", name);
      if (auto suggestion = closestSpelling(name, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
      error(range, message + " (the losses are mse, bce, cross_entropy and bce_with_logits)");
      return;
    }
    out.loss = loss->kind;
    // Whether the output layer suits the loss is lint-output-loss's job.
  }

  // A size: a whole number, at least 1. Empty after reporting it.
  std::optional<double> positiveInteger(const ast::NumberLiteral& n, const std::string& what) {
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

  const ActivationScope& scope_;
  const SourceBuffer& source_;
  ir::ExprContext& ctx_;
  Diagnostics& diags_;
};

}  // namespace

std::vector<ModelDef> analyzeModels(const std::vector<ast::ModelDecl>& models, const ActivationScope& scope,
                                    const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags) {
  return ModelChecker(scope, source, ctx, diags).run(models);
}

}  // namespace nnc::frontend
