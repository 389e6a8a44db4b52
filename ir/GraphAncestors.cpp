#include "ir/GraphAncestors.h"

namespace nnc::ir {

std::vector<bool> ancestorNodes(const Graph& graph, size_t from) {
  std::vector<bool> needed(graph.nodes().size(), false);
  std::vector<size_t> pending{from};
  while (!pending.empty()) {
    size_t n = pending.back();
    pending.pop_back();
    if (needed[n]) continue;
    needed[n] = true;
    const GraphNode& node = graph.nodes()[n];
    for (ValueId v : node.operands) pending.push_back(static_cast<size_t>(graph.value(v).producer));
    for (const MapSegment& segment : node.segments)
      for (const MapSegment::Param& p : segment.params) pending.push_back(static_cast<size_t>(graph.value(p.value).producer));
  }
  return needed;
}

std::vector<bool> ancestorNodesOfValue(const Graph& graph, ValueId value) {
  if (value < 0) return std::vector<bool>(graph.nodes().size(), false);
  return ancestorNodes(graph, static_cast<size_t>(graph.value(value).producer));
}

}  // namespace nnc::ir
