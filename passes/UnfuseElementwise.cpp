// unfuse-elementwise: the baseline that fusion is measured against. Each
// plain Map (see MapFusion.h) becomes one Map per operation of its formula,
// each reading and writing whole tensors, as a framework composing
// `x * torch.sigmoid(x)` from separate ops runs it; autodiff then keeps every
// intermediate for the backward pass. In no -O level: run it with
// --passes to compare, after the fusing passes (which would undo it), as
// bench/ does. Subformulas that do not depend on the input (constants,
// parameters) stay inside the op that uses them.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "passes/MapFusion.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

class Splitter {
public:
  Splitter(ir::Graph& graph, const ir::GraphNode& node)
      : graph_(graph), node_(node), segment_(node.segments[0]), shape_(graph.value(node.results[0]).shape) {
    for (size_t i = 0; i < node.operands.size(); ++i) valueOf_[graph.exprs().var(segment_.inputVars[i])] = node.operands[i];
  }

  // The value holding `e` over the tensor: an operand, or a new Map.
  ir::ValueId split(ir::ExprRef e) {
    if (auto found = valueOf_.find(e); found != valueOf_.end()) return found->second;
    ir::ExprContext& exprs = graph_.exprs();
    ir::GraphNode map;
    map.op = ir::GraphOp::Map;
    map.layer = node_.layer;
    map.range = node_.range;
    ir::MapSegment segment;
    segment.columns = segment_.columns;
    std::vector<ir::ExprRef> operands;
    for (size_t i = 0; i < e->numOperands(); ++i) {
      ir::ExprRef operand = e->operand(i);
      if (!dependsOnInput(operand)) {
        operands.push_back(operand);  // a constant or parameter subformula stays inline
        continue;
      }
      ir::ValueId value = split(operand);
      auto bound = std::find(map.operands.begin(), map.operands.end(), value);
      std::string var = bound != map.operands.end() ? segment.inputVars[static_cast<size_t>(bound - map.operands.begin())]
                                                    : freshVar(segment);
      if (bound == map.operands.end()) {
        map.operands.push_back(value);
        segment.inputVars.push_back(var);
      }
      operands.push_back(exprs.var(var));
    }
    segment.outputs = {exprs.make(e->op(), std::span<const ir::ExprRef>(operands))};
    for (const ir::MapSegment::Param& p : segment_.params)
      if (ir::dependsOn(segment.outputs[0], p.var)) segment.params.push_back(p);
    map.segments.push_back(std::move(segment));
    ir::ValueId result = graph_.result(graph_.add(std::move(map), {shape_}));
    valueOf_[e] = result;
    return result;
  }

  // A Var for a new operand: a, b, c, ... but never a parameter's name (a
  // learnable `a` would otherwise be read as the operand).
  std::string freshVar(const ir::MapSegment& segment) const {
    auto taken = [&](const std::string& name) {
      return std::find(segment.inputVars.begin(), segment.inputVars.end(), name) != segment.inputVars.end() ||
             std::any_of(segment_.params.begin(), segment_.params.end(), [&](auto& p) { return p.var == name; });
    };
    for (int i = 0;; ++i) {
      std::string name = i < 26 ? std::string(1, static_cast<char>('a' + i)) : fmt::format("t{}", i);
      if (!taken(name)) return name;
    }
  }

  bool dependsOnInput(ir::ExprRef e) const {
    for (const std::string& var : segment_.inputVars)
      if (ir::dependsOn(e, var)) return true;
    return false;
  }

private:
  ir::Graph& graph_;
  const ir::GraphNode& node_;
  const ir::MapSegment& segment_;
  ir::TensorShape shape_;
  std::map<ir::ExprRef, ir::ValueId> valueOf_;
};

}  // namespace

bool unfuseElementwise(ir::Graph& graph, PassContext& context) {
  std::vector<size_t> composite;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const ir::GraphNode& node = graph.nodes()[n];
    if (!isPlainMap(graph, node)) continue;
    ir::ExprRef f = node.segments[0].outputs[0];
    bool several = false;  // more than one operation depends on the input
    for (ir::ExprRef operand : f->operands()) several |= operand->numOperands() > 0;
    if (several) composite.push_back(n);
  }
  for (size_t n : composite) {
    const ir::GraphNode node = graph.nodes()[n];  // a copy: split() adds nodes
    Splitter splitter(graph, node);
    ir::ValueId last = splitter.split(node.segments[0].outputs[0]);
    graph.replaceAllUses(node.results[0], last);
    context.count("maps split into one per operation");
  }
  if (composite.empty()) return false;
  graph.sortTopologically();
  graph.eraseUnusedNodes();
  return true;
}

}  // namespace nnc::passes
