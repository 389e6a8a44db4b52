// fuse-loss: `sigmoid` on the output followed by `bce` becomes
// `bce_with_logits` on the pre-activation. The loss is then computed as
// max(z,0) - z*y + log1p(exp(-|z|)), finite for every z, where bce of a
// float32 sigmoid saturates to 0 or 1 from |z| > 17 and needs clamping; its
// gradient becomes sigmoid(z) - y in one step. The prediction (what `nnc
// predict` prints) stays the probability.
//
// softmax + cross_entropy needs no pass: the loss takes logits and applies
// log-softmax itself; an explicit softmax before it is an error
// (lint-output-loss).
#include "ir/Builder.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

bool isPlainSigmoid(const ir::Graph& graph, const ir::GraphNode& node) {
  if (node.op != ir::GraphOp::Map || node.operands.size() != 1 || node.segments.size() != 1) return false;
  const ir::MapSegment& segment = node.segments[0];
  if (!segment.params.empty() || !segment.columnSums.empty() || segment.outputs.size() != 1) return false;
  ir::ExprContext& exprs = graph.exprs();
  return segment.outputs[0] == exprs.make(ir::Op::Sigmoid, {exprs.var(segment.inputVars[0])});
}

}  // namespace

bool fuseLoss(ir::Graph& graph, PassContext& context) {
  if (graph.loss() < 0) return false;
  size_t lossIndex = static_cast<size_t>(graph.value(graph.loss()).producer);
  const ir::GraphNode& loss = graph.nodes()[lossIndex];
  if (loss.loss != ir::LossKind::BCE) return false;
  const ir::GraphNode& output = graph.nodes()[static_cast<size_t>(graph.value(loss.operands[0]).producer)];
  if (!isPlainSigmoid(graph, output)) return false;
  ir::ValueId logits = output.operands[0];
  ir::GraphNode& fused = graph.mutableNode(lossIndex);
  fused.operands[0] = logits;
  fused.loss = ir::LossKind::BCEWithLogits;
  context.count("sigmoid + bce fused into bce_with_logits");
  return true;
}

}  // namespace nnc::passes
