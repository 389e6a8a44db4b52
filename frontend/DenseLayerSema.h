#pragma once
// Checks what a dense layer says, in a stack (`dense fc1(256, relu);`) or
// applied to a value (`h = dense(x, 256, relu);`): its size, that its
// parameters fit, and its activations (mixed ranges, per_unit, softmax).
#include <optional>
#include <string>

#include "frontend/AST.h"
#include "frontend/Model.h"
#include "frontend/ModelDeclSema.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

class DenseLayerChecker {
public:
  DenseLayerChecker(const ActivationScope& scope, const SourceBuffer& source, ir::ExprContext& ctx,
                    Diagnostics& diags)
      : scope_(scope), source_(source), ctx_(ctx), diags_(diags) {}

  // The units of layer `name`, checked to be a positive integer and, with `fanIn`
  // inputs, to give at most kMaxParameters; adds its weights and biases to
  // `parameters`. Empty after an error (or if too large to count on).
  std::optional<double> units(const ast::LayerDecl& layer, const std::string& name, std::optional<double> fanIn,
                              double& parameters);

  // The layer `name` (the caller's: a stack's layer or the value it
  // computes) with its activations and the units each covers; `units` is
  // empty when the layer's size is invalid. Adds the activations'
  // learnable parameters to `parameters`.
  std::optional<LayerDef> check(const ast::LayerDecl& layer, const std::string& name, std::optional<double> units,
                                double& parameters);

  // A size: a whole number, at least 1. Empty after reporting it.
  std::optional<double> positiveInteger(const ast::NumberLiteral& n, const std::string& what);

private:
  void error(SourceRange range, std::string message) { diags_.error(&source_, range, std::move(message)); }
  std::optional<LayerDef> checkSoftmaxLayer(const ast::LayerDecl& layer, std::optional<double> units, LayerDef out);

  const ActivationScope& scope_;
  const SourceBuffer& source_;
  ir::ExprContext& ctx_;
  Diagnostics& diags_;
};

}  // namespace nnc::frontend
