#include "passes/LossFormulas.h"

#include "ir/Builder.h"
#include "ir/Simplify.h"

namespace nnc::passes {

std::optional<ir::ExprRef> elementwiseLoss(ir::LossKind kind, ir::ExprContext& exprs) {
  ir::Ex p(exprs, exprs.var(kLossPredictionVar)), t(exprs, exprs.var(kLossTargetVar));
  ir::Ex d = p - t;
  switch (kind) {
    case ir::LossKind::MSE: return pow(d, 2);                                  // torch.nn.MSELoss
    case ir::LossKind::L1: return call(ir::Op::Abs, d);                        // torch.nn.L1Loss
    case ir::LossKind::Huber:                                                  // torch.nn.HuberLoss, delta 1
      return where(call(ir::Op::Abs, d) < 1, 0.5 * pow(d, 2), call(ir::Op::Abs, d) - 0.5);
    case ir::LossKind::BCEWithLogits: return call(ir::Op::Softplus, p) - p * t;  // log(1 + e^p) - p t, stable
    case ir::LossKind::BCE:
    case ir::LossKind::CrossEntropy: return std::nullopt;
  }
  return std::nullopt;
}

bool lowerLossToFormula(ir::Graph& graph) {
  if (graph.loss() < 0) return false;
  size_t lossIndex = static_cast<size_t>(graph.value(graph.loss()).producer);
  const ir::GraphNode loss = graph.nodes()[lossIndex];  // a copy: add() may reallocate the node list
  if (loss.op != ir::GraphOp::Loss) return false;
  ir::ValueId prediction = loss.operands[0], targets = loss.operands[1];
  if (graph.nodes()[static_cast<size_t>(graph.value(targets).producer)].op != ir::GraphOp::Targets) return false;
  std::optional<ir::ExprRef> formula = elementwiseLoss(loss.loss, graph.exprs());
  if (!formula) return false;

  ir::GraphNode elements;
  elements.op = ir::GraphOp::Map;
  elements.operands = {prediction, targets};
  elements.loss = loss.loss;
  elements.range = loss.range;
  elements.name = "loss";
  ir::MapSegment segment;
  segment.columns = graph.value(prediction).shape.back();
  segment.origin.range = loss.range;
  segment.inputVars = {kLossPredictionVar, kLossTargetVar};
  segment.outputs = {ir::simplify(graph.exprs(), *formula)};
  elements.segments.push_back(std::move(segment));
  ir::ValueId perElement = graph.result(graph.add(std::move(elements), {graph.value(prediction).shape}));

  ir::GraphNode mean;
  mean.op = ir::GraphOp::Mean;
  mean.operands = {perElement};
  mean.loss = loss.loss;  // which loss it is, for reports
  mean.range = loss.range;
  graph.bind(ir::PortRole::Loss, "loss", graph.result(graph.add(std::move(mean))));
  // The Loss node is no longer read; the nodes appended after it read only
  // earlier values.
  graph.eraseUnusedNodes();
  return true;
}

}  // namespace nnc::passes
