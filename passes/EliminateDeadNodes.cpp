// dce: removes nodes whose results nothing needs (see Graph::eraseUnusedNodes
// for what counts as needed), e.g. a Map bypassed by `simplify` or an
// original layer after a fold.
#include "passes/Pass.h"

namespace nnc::passes {

bool eliminateDeadNodes(ir::Graph& graph, PassContext& context) {
  size_t removed = graph.eraseUnusedNodes();
  if (removed) context.count("nodes removed", static_cast<int64_t>(removed));
  return removed > 0;
}

}  // namespace nnc::passes
