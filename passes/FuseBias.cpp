// fuse-bias: `z = x W^T + b` then `y = f(z)` is two passes over the [N, U]
// block; with the bias as a per-column parameter of the activation loop,
// `y = f(x W^T + b)` is one, the loop reading the GEMM result while it is
// still in cache. Run before autodiff, the backward loop then also computes
// the bias gradient (a column sum of dy * f'(z)) in the same pass as dz,
// instead of a separate column_sum over dz.
#include <algorithm>

#include "ir/Builder.h"
#include "ir/Simplify.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

// A Var name not used by the segment's inputs or parameters.
std::string freshName(const ir::MapSegment& segment, const std::string& wanted) {
  auto taken = [&](const std::string& name) {
    for (const std::string& v : segment.inputVars)
      if (v == name) return true;
    for (const ir::MapSegment::Param& p : segment.params)
      if (p.var == name) return true;
    return false;
  };
  std::string name = wanted;
  for (int i = 2; taken(name); ++i) name = wanted + "_" + std::to_string(i);
  return name;
}

}  // namespace

bool fuseBias(ir::Graph& graph, PassContext& context) {
  bool changed = false;
  std::vector<std::vector<size_t>> readers = graph.readers();
  ir::ExprContext& exprs = graph.exprs();
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const ir::GraphNode& map = graph.nodes()[n];
    if (map.op != ir::GraphOp::Map) continue;
    bool hasSums = false;
    for (const ir::MapSegment& segment : map.segments) hasSums |= !segment.columnSums.empty();
    if (hasSums) continue;
    // Any operand that is a bias addition: a fused loop (h + relu(z + b))
    // reads the sum beside other values.
    for (size_t k = 0; k < graph.nodes()[n].operands.size(); ++k) {
      const ir::GraphNode& current = graph.nodes()[n];
      ir::ValueId z = current.operands[k];
      const ir::GraphNode& addBias = graph.nodes()[static_cast<size_t>(graph.value(z).producer)];
      // The sum must feed only this loop, once (and not be a named value,
      // such as the prediction), or it would still have to be written out.
      if (addBias.op != ir::GraphOp::AddBias || readers[static_cast<size_t>(z)].size() != 1) continue;
      if (std::count(current.operands.begin(), current.operands.end(), z) != 1) continue;
      if (z == graph.prediction() || z == graph.loss()) continue;
      ir::ValueId x = addBias.operands[0], bias = addBias.operands[1];
      ir::GraphNode& fused = graph.mutableNode(n);
      fused.operands[k] = x;
      for (ir::MapSegment& segment : fused.segments) {
        std::string var = freshName(segment, "bias");
        ir::ExprRef input = exprs.var(segment.inputVars[k]);
        ir::Binding shifted{segment.inputVars[k], exprs.make(ir::Op::Add, {input, exprs.var(var)})};
        for (ir::ExprRef& out : segment.outputs) out = ir::simplify(exprs, ir::substitute(exprs, out, {&shifted, 1}));
        segment.params.push_back({var, bias, true, segment.firstColumn});
      }
      context.count("bias additions moved into activation loops");
      changed = true;
    }
  }
  return changed;
}

}  // namespace nnc::passes
