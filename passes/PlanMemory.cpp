// memory-plan: batch-sized values (shape [N, C] or [N, C, H, W]) whose lifetimes do not
// overlap share a buffer. A value lives from the node that computes it to
// the last node that reads it; the input, the prediction and the loss's
// input live throughout (the caller reads them after a step). A buffer
// freed by a node's last read is reused only by later nodes, never by that
// node's own results: kernels take their arguments as noalias.
#include <algorithm>
#include <map>

#include "passes/Pass.h"

namespace nnc::passes {

bool planMemory(ir::Graph& graph, PassContext& context) {
  size_t values = graph.numValues();
  std::vector<size_t> lastRead(values, 0);
  std::vector<std::vector<size_t>> readers = graph.readers();
  for (size_t v = 0; v < values; ++v)
    if (!readers[v].empty()) lastRead[v] = readers[v].back();
  std::vector<bool> pinned(values, false);
  for (ir::ValueId v : {graph.input(), graph.prediction()}) if (v >= 0) pinned[static_cast<size_t>(v)] = true;

  auto batchColumns = [&](size_t v) -> int64_t {
    const ir::TensorShape& shape = graph.value(static_cast<ir::ValueId>(v)).shape;
    return shape.size() >= 2 && shape[0] == ir::kBatch ? ir::rowWidth(shape) : -1;
  };
  std::vector<int32_t> bufferOf(values, -1);
  std::vector<int64_t> bufferColumns;
  std::multimap<int64_t, int32_t> free;  // columns -> free buffer
  std::vector<std::vector<size_t>> endingAt(graph.nodes().size());
  int64_t columnsBefore = 0;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    for (ir::ValueId r : graph.nodes()[n].results) {
      size_t v = static_cast<size_t>(r);
      int64_t columns = batchColumns(v);
      if (columns < 0) continue;
      columnsBefore += columns;
      if (auto found = free.find(columns); found != free.end()) {
        bufferOf[v] = found->second;
        free.erase(found);
      } else {
        bufferOf[v] = static_cast<int32_t>(bufferColumns.size());
        bufferColumns.push_back(columns);
      }
      // A value nothing reads dies at once; a pinned one never does.
      if (!pinned[v]) endingAt[std::max(n, lastRead[v])].push_back(v);
    }
    for (size_t v : endingAt[n]) free.emplace(batchColumns(v), bufferOf[v]);
  }
  int64_t columnsAfter = 0;
  for (int64_t columns : bufferColumns) columnsAfter += columns;
  graph.bufferOf = std::move(bufferOf);
  context.count("floats per sample in batch-sized values before planning", columnsBefore);
  context.count("floats per sample in batch-sized values after planning", columnsAfter);
  return columnsAfter < columnsBefore;
}

}  // namespace nnc::passes
