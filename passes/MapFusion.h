#pragma once
// Shared by fuse-elementwise and unfuse-elementwise: whether a Map is a
// plain elementwise formula (one segment over all columns, one output, no
// column sums), the only kind they restructure.
#include "ir/Graph.h"

namespace nnc::passes {

inline bool isPlainMap(const ir::Graph& graph, const ir::GraphNode& node) {
  if (node.op != ir::GraphOp::Map || node.segments.size() != 1 || node.results.size() != 1) return false;
  const ir::MapSegment& segment = node.segments[0];
  return segment.firstColumn == 0 && segment.columns == graph.value(node.results[0]).shape.back() &&
         segment.outputs.size() == 1 && segment.columnSums.empty();
}

}  // namespace nnc::passes
