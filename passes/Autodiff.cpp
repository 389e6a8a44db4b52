#include "passes/Autodiff.h"

#include <map>

#include "ir/Builder.h"
#include "ir/Diff.h"
#include "ir/Simplify.h"

namespace nnc::passes {

namespace {

using ir::GraphNode;
using ir::GraphOp;
using ir::ValueId;

// The Var that carries the incoming gradient in backward Map formulas.
constexpr const char* kGradientVar = "dy";

class Backward {
public:
  explicit Backward(ir::Graph& graph) : g_(graph), exprs_(graph.exprs()) {}

  void run() {
    size_t forwardNodes = g_.nodes().size();
    GraphNode lossGrad = make(GraphOp::LossGrad, {g_.prediction, g_.labels}, g_.nodes()[producerOf(g_.loss)]);
    gradientOf_[g_.prediction] = add(std::move(lossGrad), g_.value(g_.prediction).shape);
    for (size_t n = forwardNodes; n-- > 0;) {
      const GraphNode node = g_.nodes()[n];  // a copy: add() may reallocate the node list
      if (node.results.empty()) continue;
      auto found = gradientOf_.find(node.results[0]);
      if (found == gradientOf_.end()) continue;
      ValueId dy = found->second;
      switch (node.op) {
        case GraphOp::MatMul: backwardMatMul(node, dy); break;
        case GraphOp::AddBias: backwardAddBias(node, dy); break;
        case GraphOp::Map: backwardMap(node, dy); break;
        default: break;
      }
    }
    for (const GraphNode& node : g_.nodes()) {
      if (node.op != GraphOp::Parameter) continue;
      if (auto it = gradientOf_.find(node.results[0]); it != gradientOf_.end())
        g_.gradients.push_back({node.results[0], it->second});
    }
  }

private:
  size_t producerOf(ValueId v) const { return static_cast<size_t>(g_.value(v).producer); }

  GraphNode make(GraphOp op, std::vector<ValueId> operands, const GraphNode& from) {
    GraphNode n;
    n.op = op;
    n.operands = std::move(operands);
    n.layer = from.layer;
    n.range = from.range;
    n.loss = from.loss;
    return n;
  }

  ValueId add(GraphNode node, ir::TensorShape shape) { return g_.result(g_.add(std::move(node), {std::move(shape)})); }

  bool needsGradient(ValueId v) const {
    GraphOp op = g_.nodes()[producerOf(v)].op;
    return op != GraphOp::Input && op != GraphOp::Labels;
  }

  // y = x W^T:  dx = dy W,  dW = dy^T x
  void backwardMatMul(const GraphNode& node, ValueId dy) {
    ValueId x = node.operands[0], w = node.operands[1];
    if (needsGradient(x)) {
      GraphNode dx = make(GraphOp::MatMul, {dy, w}, node);
      gradientOf_[x] = add(std::move(dx), g_.value(x).shape);
    }
    GraphNode dw = make(GraphOp::MatMul, {dy, x}, node);
    dw.transposeA = true;
    gradientOf_[w] = add(std::move(dw), g_.value(w).shape);
  }

  // y = a + b:  da = dy,  db = column sums of dy
  void backwardAddBias(const GraphNode& node, ValueId dy) {
    gradientOf_[node.operands[0]] = dy;
    gradientOf_[node.operands[1]] = add(make(GraphOp::ColumnSum, {dy}, node), g_.value(node.operands[1]).shape);
  }

  // y = f(z; p):  dz = dy * df/dz,  dp += dy * df/dp (summed over the batch)
  void backwardMap(const GraphNode& node, ValueId dy) {
    GraphNode back = make(GraphOp::Map, {node.operands[0], dy}, node);
    std::vector<ir::TensorShape> shapes{g_.value(node.operands[0]).shape};
    std::vector<ValueId> parameterValues;
    for (const ir::MapSegment& forward : node.segments) {
      ir::MapSegment segment;
      segment.firstColumn = forward.firstColumn;
      segment.columns = forward.columns;
      segment.inputVars = {forward.inputVars[0], kGradientVar};
      segment.params = forward.params;
      ir::Ex gradient(exprs_, exprs_.var(kGradientVar));
      ir::ExprRef f = forward.outputs[0];
      ir::Ex slope = gradient.wrap(ir::derivatives(exprs_, f, forward.inputVars[0], 1).orders[1]);
      segment.outputs = {ir::simplify(exprs_, gradient * slope)};
      for (const ir::MapSegment::Param& p : forward.params) {
        ir::Ex partial = gradient.wrap(ir::derivatives(exprs_, f, p.var, 1).orders[1]);
        segment.columnSums.push_back(ir::simplify(exprs_, gradient * partial));
        segment.columnSumResults.push_back(static_cast<int>(shapes.size()));
        shapes.push_back(g_.value(p.value).shape);
        parameterValues.push_back(p.value);
      }
      back.segments.push_back(std::move(segment));
    }
    size_t index = g_.add(std::move(back), shapes);
    gradientOf_[node.operands[0]] = g_.result(index, 0);
    for (size_t k = 0; k < parameterValues.size(); ++k) gradientOf_[parameterValues[k]] = g_.result(index, k + 1);
  }

  ir::Graph& g_;
  ir::ExprContext& exprs_;
  std::map<ValueId, ValueId> gradientOf_;
};

}  // namespace

bool appendBackward(ir::Graph& graph) {
  if (graph.loss < 0) return false;
  Backward(graph).run();
  return true;
}

}  // namespace nnc::passes
