#include "frontend/ModelDeclSema.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "frontend/DenseLayerSema.h"
#include "frontend/GraphModelSema.h"
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
                                {"bce_with_logits", LossKind::BCEWithLogits},
                                {"l1", LossKind::L1},
                                {"huber", LossKind::Huber}};

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

  // A graph of named values (rather than a stack of layers).
  static bool isGraph(const ast::ModelDecl& decl) {
    return !decl.namedInputs.empty() || !decl.values.empty() || !decl.sharedLayers.empty() || !decl.targets.empty();
  }

  std::optional<ModelDef> check(const ast::ModelDecl& decl) {
    size_t errorsBefore = diags_.errorCount();
    ModelDef out;
    out.name = decl.name;
    out.range = decl.nameRange;
    const ast::LossDecl* loss = decl.losses.empty() ? nullptr : &decl.losses[0];
    bool graph = isGraph(decl);
    if (graph && (!decl.inputs.empty() || !decl.layers.empty())) {
      SourceRange stackItem = !decl.inputs.empty() ? decl.inputs[0].range : decl.layers[0].nameRange;
      error(stackItem, fmt::format("model '{}' mixes a stack ('input N;', 'dense NAME(...);') with named values; "
                                   "write it with named values only, e.g. input x[784]; h = dense(x, 256, relu);",
                                   decl.name));
      return std::nullopt;
    }
    std::optional<ModelDef> model = graph ? checkGraphModel(decl, std::move(out), loss, scope_, source_, ctx_, diags_)
                                          : checkStack(decl, std::move(out), loss);
    std::optional<LossKind> kind = checkLoss(decl);
    if (model && kind) checkLossTakes(*kind, model->targetSize > 0, *loss);
    if (diags_.errorCount() != errorsBefore || !model || !kind) return std::nullopt;
    model->loss = *kind;
    model->lossRange = loss->kindRange;
    return model;
  }

  // input N; dense NAME(...); ... loss KIND;: each layer reads the one
  // before, and the loss the last.
  std::optional<ModelDef> checkStack(const ast::ModelDecl& decl, ModelDef out, const ast::LossDecl* loss) {
    size_t errorsBefore = diags_.errorCount();
    DenseLayerChecker layers(scope_, source_, ctx_, diags_);
    std::optional<double> inputSize;
    if (decl.inputs.empty()) {
      error(decl.nameRange, fmt::format("model '{}' has no input size; add one, e.g. input 784;", decl.name));
    } else {
      for (size_t i = 1; i < decl.inputs.size(); ++i) {
        error(decl.inputs[i].range, fmt::format("model '{}' gives its input size twice", decl.name));
        note(decl.inputs[0].range, "first given here");
      }
      inputSize = layers.positiveInteger(decl.inputs[0], "the input size");
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
      std::optional<double> units = layers.units(layer, layer.name, fanIn, parameters);
      fanIn = units;
      if (std::optional<LayerDef> def = layers.check(layer, layer.name, units, parameters))
        out.layers.push_back(std::move(*def));
    }
    if (diags_.errorCount() == errorsBefore && parameters > static_cast<double>(kMaxParameters))
      error(decl.nameRange, fmt::format("model '{}' would have {} parameters in all; nnc allows at most {} (2^31)",
                                        decl.name, parameters, kMaxParameters));
    if (loss && !loss->value.empty() && !decl.layers.empty() && loss->value != decl.layers.back().name)
      error(loss->valueRange, fmt::format("in a stack of layers the loss reads the last layer, '{}'; name values "
                                          "(out = dense(h, 10);) to put the loss on another",
                                          decl.layers.back().name));
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    out.inputSize = static_cast<int64_t>(*inputSize);
    chainLayers(out);
    return out;
  }

  // loss KIND; or loss KIND(VALUE); exactly once: its kind. Whether the
  // output suits the loss is lint-output-loss's job.
  std::optional<LossKind> checkLoss(const ast::ModelDecl& decl) {
    if (decl.losses.empty()) {
      bool graph = isGraph(decl);
      error(decl.nameRange, fmt::format("model '{}' has no loss; add one, e.g. loss cross_entropy{};", decl.name,
                                        graph ? "(out)" : ""));
      return std::nullopt;
    }
    for (size_t i = 1; i < decl.losses.size(); ++i) {
      error(decl.losses[i].kindRange, fmt::format("model '{}' gives its loss twice", decl.name));
      note(decl.losses[0].kindRange, "first given here");
    }
    const ast::LossDecl& written = decl.losses[0];
    const LossName* loss = nullptr;
    for (const LossName& candidate : kLosses)
      if (written.kind == candidate.name) loss = &candidate;
    if (!loss) {
      std::vector<std::string> names;
      for (const LossName& candidate : kLosses) names.push_back(candidate.name);
      std::string message = fmt::format("unknown loss '{}'", written.kind);
      if (auto suggestion = closestSpelling(written.kind, names))
        message += fmt::format("; did you mean '{}'?", *suggestion);
      error(written.kindRange, message + " (the losses are mse, l1, huber, bce, bce_with_logits and cross_entropy)");
      return std::nullopt;
    }
    return loss->kind;
  }

  // Class labels or real-valued targets, as the loss needs.
  void checkLossTakes(LossKind kind, bool realTargets, const ast::LossDecl& loss) {
    if (realTargets && kind == LossKind::CrossEntropy)
      error(loss.kindRange, "cross_entropy takes class labels, not real-valued targets; compare values with mse, l1 "
                            "or huber, or probabilities of several labels with bce or bce_with_logits");
    if (!realTargets && (kind == LossKind::L1 || kind == LossKind::Huber))
      error(loss.kindRange, fmt::format("{} compares real values: declare them (target y[N];) and name them, "
                                        "loss {}(out, y);",
                                        loss.kind, loss.kind));
  }

  const ActivationScope& scope_;
  const SourceBuffer& source_;
  ir::ExprContext& ctx_;
  Diagnostics& diags_;
};

}  // namespace

void chainLayers(ModelDef& model) {
  model.values = {ValueDef::of(ValueDef::Kind::Input, "input", model.range, model.inputSize)};
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const LayerDef& layer = model.layers[i];
    ValueDef dense = ValueDef::of(ValueDef::Kind::Dense, layer.name, layer.range, layer.units, {i});
    dense.layer = i;
    model.values.push_back(std::move(dense));
  }
  model.output = model.values.size() - 1;
}

std::vector<ModelDef> analyzeModels(const std::vector<ast::ModelDecl>& models, const ActivationScope& scope,
                                    const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags) {
  return ModelChecker(scope, source, ctx, diags).run(models);
}

}  // namespace nnc::frontend
