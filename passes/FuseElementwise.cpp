// fuse-elementwise: a Map whose result feeds another Map is substituted
// into it, so the chain runs as one loop: g(f(x)) instead of t = f(x);
// y = g(t). Inputs the two share become one operand (x * sigmoid(x) reads x
// once), and the result is simplified as one formula. Applied until no pair
// is left.
//
// If the value must still exist (other nodes read it, it is the
// prediction, or it is a dense layer's output, which the dead-unit monitor
// and the reports read), the fused loop computes it as a second result
// instead of reading it: across a residual diamond, `h2 = h + relu(z)`
// reads z and h and writes relu(z) and h2 in one pass, where two loops
// wrote relu(z) and read it back. Its backward loop then also computes dz
// and dh together. This is done only where none of the value's other
// readers comes before the fused loop (that would make a cycle).
#include <algorithm>

#include <fmt/format.h>

#include "ir/GraphAncestors.h"
#include "ir/Simplify.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

// A Map with one segment over all its columns and no column sums, whose
// outputs are its results (a consumer may already have several).
bool isElementwiseMap(const ir::Graph& graph, const ir::GraphNode& node) {
  if (node.op != ir::GraphOp::Map || node.segments.size() != 1 || node.results.empty()) return false;
  const ir::MapSegment& segment = node.segments[0];
  return segment.firstColumn == 0 && segment.columns == ir::rowWidth(graph.value(node.results[0]).shape) &&
         segment.outputs.size() == node.results.size() && segment.columnSums.empty();
}

// Consumer node `c` with producer node `p` substituted into it: the
// consumer's operands that are results of the producer become their
// formulas; the producer's results listed in `kept` become the fused node's
// last results, in that order.
ir::GraphNode fused(const ir::Graph& graph, size_t p, size_t c, const std::vector<size_t>& kept) {
  ir::ExprContext& exprs = graph.exprs();
  const ir::GraphNode& producer = graph.nodes()[p];
  ir::GraphNode consumer = graph.nodes()[c];
  const ir::MapSegment& from = producer.segments[0];
  ir::MapSegment& into = consumer.segments[0];
  auto resultIndex = [&](ir::ValueId v) {
    return std::find(producer.results.begin(), producer.results.end(), v) - producer.results.begin();
  };
  auto substituted = [&](size_t operand) {
    return static_cast<size_t>(resultIndex(consumer.operands[operand])) < producer.results.size();
  };
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
    if (same != consumer.operands.end()) {
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
  std::vector<ir::Binding> inlined;
  for (size_t k = 0; k < consumer.operands.size(); ++k)
    if (substituted(k))
      inlined.push_back({into.inputVars[k],
                         ir::substitute(exprs, from.outputs[static_cast<size_t>(resultIndex(consumer.operands[k]))], renames)});
  for (ir::ExprRef& output : into.outputs) output = ir::simplify(exprs, ir::substitute(exprs, output, inlined));
  for (size_t i : kept) into.outputs.push_back(ir::simplify(exprs, ir::substitute(exprs, from.outputs[i], renames)));
  for (size_t k = consumer.operands.size(); k-- > 0;)
    if (substituted(k)) {
      consumer.operands.erase(consumer.operands.begin() + static_cast<long>(k));
      into.inputVars.erase(into.inputVars.begin() + static_cast<long>(k));
    }
  return consumer;
}

// Fuses one pair if it finds one; true if it did.
bool fuseOnePair(ir::Graph& graph, PassContext& context) {
  std::vector<std::vector<size_t>> readers = graph.readers();
  for (size_t c = 0; c < graph.nodes().size(); ++c) {
    const ir::GraphNode& consumer = graph.nodes()[c];
    // (A loss formula reads the targets, which only training has: the
    // prediction must not come from its loop.)
    if (!isElementwiseMap(graph, consumer) || std::count(consumer.operands.begin(), consumer.operands.end(), graph.labels()))
      continue;
    for (size_t k = 0; k < consumer.operands.size(); ++k) {
      ir::ValueId v = consumer.operands[k];
      size_t p = static_cast<size_t>(graph.value(v).producer);
      const ir::GraphNode& producer = graph.nodes()[p];
      if (!isElementwiseMap(graph, producer) || v == graph.loss()) continue;
      if (graph.value(v).shape != graph.value(consumer.results[0]).shape) continue;
      // The producer's values that must still exist: those the consumer
      // does not read, and those something else needs too.
      auto reads = [&](ir::ValueId r) { return std::count(consumer.operands.begin(), consumer.operands.end(), r); };
      std::vector<size_t> kept;
      bool readTwice = false;
      for (size_t i = 0; i < producer.results.size(); ++i) {
        ir::ValueId r = producer.results[i];
        readTwice = readTwice || reads(r) > 1;
        bool needed = readers[static_cast<size_t>(r)].size() > 1 || r == graph.prediction() || graph.isLayerOutput(r);
        if (!reads(r) || needed) kept.push_back(i);
      }
      if (readTwice) continue;
      if (kept.empty()) {
        graph.mutableNode(c) = fused(graph, p, c, kept);
        context.count("maps fused into their reader");
        return true;
      }
      // A cycle if another reader of a kept value is something the consumer needs.
      std::vector<bool> needed = ir::ancestorNodes(graph, c);
      bool cycle = false;
      for (size_t i : kept)
        for (size_t reader : readers[static_cast<size_t>(producer.results[i])]) cycle = cycle || (reader != c && needed[reader]);
      if (cycle) continue;
      // The fused loop is a new node with more results than the consumer.
      // Readers of all those values move to it; the two old nodes are left
      // unread, and the order is restored around the new one.
      std::vector<ir::ValueId> oldResults = consumer.results;
      for (size_t i : kept) oldResults.push_back(producer.results[i]);
      std::vector<ir::TensorShape> shapes;
      for (ir::ValueId r : oldResults) shapes.push_back(graph.value(r).shape);
      size_t added = graph.add(fused(graph, p, c, kept), shapes);
      for (size_t i = 0; i < oldResults.size(); ++i) graph.replaceAllUses(oldResults[i], graph.result(added, i));
      // The new loop takes the consumer's place (what other readers of a
      // kept value come before it move after it); sorted before dce, which
      // reads the order.
      std::vector<size_t> wanted(graph.nodes().size());
      for (size_t n = 0; n < wanted.size(); ++n) wanted[n] = n;
      wanted[added] = c;
      graph.sortTopologically(wanted);
      graph.eraseUnusedNodes();
      context.count("maps fused into a reader, values others read kept as results");
      return true;
    }
  }
  return false;
}

}  // namespace

bool fuseElementwise(ir::Graph& graph, PassContext& context) {
  bool changed = false;
  while (fuseOnePair(graph, context)) changed = true;
  // The fused producers are dead but still read their inputs: gone now, so
  // that fuse-bias sees the bias addition read by one loop only.
  if (changed) graph.eraseUnusedNodes();
  return changed;
}

}  // namespace nnc::passes
