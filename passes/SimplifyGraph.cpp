// simplify: graph-level algebraic simplification and constant folding.
// Every Map formula goes through the Expr simplifier again (a pass before
// may have substituted one formula into another), and a Map that returns
// its input unchanged (an identity activation such as `x` or `1*x + 0`)
// is removed: its readers read the input.
#include "ir/Simplify.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

bool isIdentity(const ir::GraphNode& node) {
  if (node.op != ir::GraphOp::Map || node.operands.size() != 1 || node.results.size() != 1) return false;
  for (const ir::MapSegment& segment : node.segments)
    if (!segment.columnSums.empty() || segment.outputs.size() != 1 || !segment.outputs[0]->isVar(segment.inputVars[0]))
      return false;
  return !node.segments.empty();
}

}  // namespace

bool simplifyGraph(ir::Graph& graph, PassContext& context) {
  bool changed = false;
  ir::ExprContext& exprs = graph.exprs();
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    if (graph.nodes()[n].op != ir::GraphOp::Map) continue;
    ir::GraphNode& node = graph.mutableNode(n);
    for (ir::MapSegment& segment : node.segments) {
      for (ir::ExprRef& formula : segment.outputs) {
        ir::ExprRef simpler = ir::simplify(exprs, formula);
        if (simpler != formula) context.count("formulas simplified");
        changed |= simpler != formula;
        formula = simpler;
      }
      for (ir::MapSegment::ColumnSum& sum : segment.columnSums) {
        ir::ExprRef simpler = ir::simplify(exprs, sum.formula);
        if (simpler != sum.formula) context.count("formulas simplified");
        changed |= simpler != sum.formula;
        sum.formula = simpler;
      }
    }
    if (isIdentity(node) && node.results[0] != graph.input()) {
      graph.replaceAllUses(node.results[0], node.operands[0]);
      context.count("identity maps bypassed");
      changed = true;
    }
  }
  return changed;
}

}  // namespace nnc::passes
