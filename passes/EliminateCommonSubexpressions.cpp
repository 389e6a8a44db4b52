// cse: two nodes with the same op, attributes and operands compute the same
// values; readers of the later one read the earlier one. Formulas are
// hash-consed, so equal Map bodies are equal pointers. Parameters, the input
// and the labels are never merged (each is its own state).
#include <map>
#include <tuple>

#include "passes/Pass.h"

namespace nnc::passes {

namespace {

// Everything that decides a node's results, as a comparable key.
using SegmentKey = std::tuple<int64_t, int64_t, std::vector<std::string>,
                              std::vector<std::tuple<std::string, ir::ValueId, bool, int64_t>>,
                              std::vector<ir::ExprRef>, std::vector<std::tuple<ir::ExprRef, int, int64_t>>>;
using NodeKey = std::tuple<int, std::vector<ir::ValueId>, bool, bool, int64_t, int, std::vector<SegmentKey>,
                           std::vector<ir::TensorShape>>;

NodeKey keyOf(const ir::Graph& graph, const ir::GraphNode& node) {
  std::vector<SegmentKey> segments;
  for (const ir::MapSegment& s : node.segments) {
    std::vector<std::tuple<std::string, ir::ValueId, bool, int64_t>> params;
    for (const auto& p : s.params) params.emplace_back(p.var, p.value, p.perColumn, p.firstElement);
    std::vector<std::tuple<ir::ExprRef, int, int64_t>> sums;
    for (const auto& sum : s.columnSums) sums.emplace_back(sum.formula, sum.result, sum.firstElement);
    segments.emplace_back(s.firstColumn, s.columns, s.inputVars, params, s.outputs, sums);
  }
  std::vector<ir::TensorShape> shapes;
  for (ir::ValueId r : node.results) shapes.push_back(graph.value(r).shape);
  return {static_cast<int>(node.op), node.operands, node.transposeA, node.transposeB, node.firstColumn,
          static_cast<int>(node.loss), segments, shapes};
}

bool mergeable(ir::GraphOp op) {
  return op != ir::GraphOp::Input && op != ir::GraphOp::Labels && op != ir::GraphOp::Targets && op != ir::GraphOp::Parameter;
}

}  // namespace

bool eliminateCommonSubexpressions(ir::Graph& graph, PassContext& context) {
  std::map<NodeKey, size_t> seen;
  bool changed = false;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const ir::GraphNode& node = graph.nodes()[n];
    if (!mergeable(node.op)) continue;
    auto [it, first] = seen.try_emplace(keyOf(graph, node), n);
    if (first) continue;
    const ir::GraphNode& earlier = graph.nodes()[it->second];
    std::vector<ir::ValueId> results = node.results;  // replaceAllUses does not touch results, but be explicit
    for (size_t i = 0; i < results.size(); ++i) graph.replaceAllUses(results[i], earlier.results[i]);
    context.count("nodes merged");
    changed = true;
  }
  return changed;
}

}  // namespace nnc::passes
