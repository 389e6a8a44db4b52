// cse: two nodes with the same op, operands, attributes and result types
// compute the same values; readers of the later one read the earlier one.
// The key is the node's OpAttributes whole (ir/Graph.h), so an attribute a
// new op adds is compared without touching this pass. Formulas are
// hash-consed, so equal Map bodies are equal pointers. Parameters, the
// input and the labels are never merged (each is its own state).
#include <map>
#include <tuple>

#include "passes/Pass.h"

namespace nnc::passes {

namespace {

using NodeKey = std::tuple<ir::GraphOp, std::vector<ir::ValueId>, ir::OpAttributes, std::vector<ir::TensorShape>>;

NodeKey keyOf(const ir::Graph& graph, const ir::GraphNode& node) {
  std::vector<ir::TensorShape> shapes;
  for (ir::ValueId r : node.results) shapes.push_back(graph.value(r).shape);
  return {node.op, node.operands, node.attributes(), shapes};
}

bool mergeable(ir::GraphOp op) { return ir::graphOpInfo(op).role != ir::GraphOpRole::Source; }

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
    for (size_t i = 0; i < node.results.size(); ++i) graph.replaceAllUses(node.results[i], earlier.results[i]);
    context.count("nodes merged");
    changed = true;
  }
  return changed;
}

}  // namespace nnc::passes
