// fuse-elementwise: a Map whose result only feeds another Map is
// substituted into it, so the chain runs as one loop and its intermediate
// is never written to memory: g(f(x)) instead of t = f(x); y = g(t). Inputs
// the two share become one operand (x * sigmoid(x) reads x once), and the
// result is simplified as one formula. Applied until no pair is left.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "ir/Simplify.h"
#include "passes/MapFusion.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

// Fuses producer node `p` into consumer `c` (which reads it as operand k).
void fuseInto(ir::Graph& graph, size_t p, size_t c, size_t k) {
  ir::ExprContext& exprs = graph.exprs();
  const ir::GraphNode producer = graph.nodes()[p];
  ir::GraphNode& consumer = graph.mutableNode(c);
  const ir::MapSegment& from = producer.segments[0];
  ir::MapSegment& into = consumer.segments[0];
  // Rename the producer's Vars into the consumer's: a shared operand keeps
  // the consumer's name, a new one gets a fresh name.
  std::vector<ir::Binding> renames;
  int fresh = 0;
  auto nameFree = [&](const std::string& name) {
    return std::find(into.inputVars.begin(), into.inputVars.end(), name) == into.inputVars.end() &&
           std::none_of(into.params.begin(), into.params.end(), [&](auto& q) { return q.var == name; });
  };
  auto newName = [&] {
    std::string name;
    do name = fmt::format("t{}", fresh++);
    while (!nameFree(name));
    return name;
  };
  for (size_t i = 0; i < producer.operands.size(); ++i) {
    auto same = std::find(consumer.operands.begin(), consumer.operands.end(), producer.operands[i]);
    std::string name;
    if (same != consumer.operands.end() && static_cast<size_t>(same - consumer.operands.begin()) != k) {
      name = into.inputVars[static_cast<size_t>(same - consumer.operands.begin())];
    } else {
      name = newName();
      consumer.operands.push_back(producer.operands[i]);
      into.inputVars.push_back(name);
    }
    renames.push_back({from.inputVars[i], exprs.var(name)});
  }
  for (const ir::MapSegment::Param& param : from.params) {
    auto same = std::find_if(into.params.begin(), into.params.end(), [&](auto& q) {
      return q.value == param.value && q.perColumn == param.perColumn && q.firstElement == param.firstElement;
    });
    std::string name = same != into.params.end() ? same->var : newName();
    if (same == into.params.end()) into.params.push_back({name, param.value, param.perColumn, param.firstElement});
    renames.push_back({param.var, exprs.var(name)});
  }
  ir::Binding inlined{into.inputVars[k], ir::substitute(exprs, from.outputs[0], renames)};
  into.outputs[0] = ir::simplify(exprs, ir::substitute(exprs, into.outputs[0], {&inlined, 1}));
  consumer.operands.erase(consumer.operands.begin() + static_cast<long>(k));
  into.inputVars.erase(into.inputVars.begin() + static_cast<long>(k));
}

}  // namespace

bool fuseElementwise(ir::Graph& graph, PassContext& context) {
  bool changed = false;
  // The dense layers: their outputs stay nodes of their own (dead-unit
  // tracking and the first-non-finite report read them); a formula of
  // values (y = h + r, z = relu(y)) fuses into its reader.
  std::set<std::string> denseLayers;
  for (const ir::GraphNode& node : graph.nodes())
    if (node.op == ir::GraphOp::MatMul && !node.layer.empty()) denseLayers.insert(node.layer);
  for (bool fusedOne = true; fusedOne;) {
    fusedOne = false;
    std::vector<std::vector<size_t>> readers = graph.readers();
    for (size_t c = 0; c < graph.nodes().size() && !fusedOne; ++c) {
      const ir::GraphNode& consumer = graph.nodes()[c];
      if (!isPlainMap(graph, consumer)) continue;
      for (size_t k = 0; k < consumer.operands.size() && !fusedOne; ++k) {
        ir::ValueId v = consumer.operands[k];
        size_t p = static_cast<size_t>(graph.value(v).producer);
        bool onlyReader = readers[static_cast<size_t>(v)].size() == 1 &&
                          std::count(consumer.operands.begin(), consumer.operands.end(), v) == 1;
        bool named = v == graph.prediction || v == graph.loss || v == graph.input;
        const std::string& producerLayer = graph.nodes()[p].layer;
        bool otherLayer = producerLayer != consumer.layer && denseLayers.count(producerLayer);
        if (!isPlainMap(graph, graph.nodes()[p]) || !onlyReader || named || otherLayer) continue;
        if (graph.value(v).shape != graph.value(consumer.results[0]).shape) continue;
        fuseInto(graph, p, c, k);
        context.count("maps fused into their reader");
        fusedOne = changed = true;
      }
    }
  }
  // The fused producers are dead but still read their inputs: gone now, so
  // that fuse-bias sees the bias addition read by one loop only.
  if (changed) graph.eraseUnusedNodes();
  return changed;
}

}  // namespace nnc::passes
