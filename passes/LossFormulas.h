#pragma once
// Losses as formulas: a loss against real-valued targets that is a formula
// of one prediction element p and its target t, averaged over all of them
// (PyTorch's reduction='mean'), is built as a Map of that formula and a
// Mean. Autodiff then derives its gradient with `diff`, as for an
// activation, so a new loss is one line in LossFormulas.cpp.
#include <optional>

#include "ir/Graph.h"

namespace nnc::passes {

// The Vars of the formulas: the prediction element and its target.
inline constexpr const char* kLossPredictionVar = "p";
inline constexpr const char* kLossTargetVar = "t";

// The elementwise formula of `kind` in p and t, or nullopt for a loss that
// is not one: cross_entropy (a row's log-sum-exp against a class label)
// and bce (PyTorch clamps its log at -100 but its gradient's denominator at
// 1e-12, so its gradient is not the derivative of its value).
std::optional<ir::ExprRef> elementwiseLoss(ir::LossKind kind, ir::ExprContext& exprs);

// Rewrites the graph's Loss node into Map(prediction, targets) -> Mean when
// it compares real-valued targets by an elementwise formula; graph.loss()
// becomes the Mean's value. Returns whether it changed the graph.
bool lowerLossToFormula(ir::Graph& graph);

}  // namespace nnc::passes
