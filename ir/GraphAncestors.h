#pragma once
// Which nodes a node or a value needs: the nodes that compute what it
// reads (operands and Map parameters), transitively. The plan splits its
// phases by it; fusion checks by it that a fused loop makes no cycle.
#include <vector>

#include "ir/Graph.h"

namespace nnc::ir {

// By node index: node `from` and every node it needs.
std::vector<bool> ancestorNodes(const Graph& graph, size_t from);
// The same for the node computing `value`; none for -1.
std::vector<bool> ancestorNodesOfValue(const Graph& graph, ValueId value);

}  // namespace nnc::ir
