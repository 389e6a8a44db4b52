#include "passes/Autodiff.h"

#include "passes/LossFormulas.h"
#include "passes/Pass.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

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

  // Empty, or what went wrong (an internal error: the graph is malformed).
  std::string run() {
    lowerLossToFormula(g_);
    size_t forwardNodes = g_.nodes().size();
    markDependsOnParameters();
    seedFromLoss(g_.nodes()[producerOf(g_.loss())]);
    for (size_t n = forwardNodes; n-- > 0;) {
      const GraphNode node = g_.nodes()[n];  // a copy: add() may reallocate the node list
      // The gradient of each result (-1: none reaches it). Only a Map
      // has several results in a forward graph (fuse-elementwise keeps a
      // value a fused loop computes on the way as a second result).
      std::vector<ValueId> dys;
      for (ValueId r : node.results) {
        auto found = gradientOf_.find(r);
        dys.push_back(found == gradientOf_.end() ? -1 : found->second);
      }
      if (std::all_of(dys.begin(), dys.end(), [](ValueId d) { return d < 0; })) continue;
      ValueId dy = dys[0];
      if (node.op != GraphOp::Map && dys.size() != 1) {
        internalError_ = fmt::format("autodiff: a {} node with {} results", ir::graphOpInfo(node.op).spelling, dys.size());
        return internalError_;
      }
      switch (node.op) {
        case GraphOp::MatMul: backwardMatMul(node, dy); break;
        case GraphOp::AddBias: backwardAddBias(node, dy); break;
        case GraphOp::Map: backwardMap(node, dys); break;
        case GraphOp::Softmax: backwardSoftmax(node, dy); break;
        case GraphOp::LayerNorm: backwardNormalisation(node, dy, GraphOp::LayerNormGrad); break;
        case GraphOp::BatchNorm: backwardNormalisation(node, dy, GraphOp::BatchNormGrad); break;
        case GraphOp::Dropout: backwardDropout(node, dy); break;
        case GraphOp::Embedding: backwardEmbedding(node, dy); break;
        case GraphOp::Conv2d: backwardConv2d(node, dy); break;
        case GraphOp::MaxPool2d: backwardMaxPool2d(node, dy); break;
        case GraphOp::AvgPool2d: backwardAvgPool2d(node, dy); break;
        case GraphOp::Reshape: backwardReshape(node, dy); break;
        case GraphOp::Concat: backwardConcat(node, dy); break;
        case GraphOp::Slice: backwardSlice(node, dy); break;
        // Values of the step have no producer to differentiate.
        case GraphOp::Input:
        case GraphOp::Labels:
        case GraphOp::Targets:
        case GraphOp::Parameter: break;
        // The loss was differentiated first (seedFromLoss); backward ops
        // are never differentiated (the graph has no second derivatives).
        case GraphOp::Loss:
        case GraphOp::Mean:
        case GraphOp::MeanGrad:
        case GraphOp::ColumnSum:
        case GraphOp::SoftmaxGrad:
        case GraphOp::LayerNormGrad:
        case GraphOp::BatchNormGrad:
        case GraphOp::DropoutGrad:
        case GraphOp::EmbeddingGrad:
        case GraphOp::Conv2dInputGrad:
        case GraphOp::Conv2dWeightGrad:
        case GraphOp::MaxPool2dGrad:
        case GraphOp::AvgPool2dGrad:
        case GraphOp::LossGrad:
        case GraphOp::PadColumns:
          internalError_ = fmt::format("autodiff: a gradient reached a {} node", ir::graphOpInfo(node.op).spelling);
          return internalError_;
      }
    }
    for (const GraphNode& node : g_.nodes()) {
      if (node.op != GraphOp::Parameter) continue;
      if (auto it = gradientOf_.find(node.results[0]); it != gradientOf_.end())
        g_.gradients.push_back({node.results[0], it->second});
    }
    return internalError_;
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

  // A node whose result the builder declares (maps, slices, pads).
  ValueId add(GraphNode node, ir::TensorShape shape) { return g_.result(g_.add(std::move(node), {std::move(shape)})); }
  // A node whose result type its op's rule infers.
  ValueId inferred(GraphNode node) { return g_.result(g_.add(std::move(node))); }

  // d loss / d its operand, where the backward pass starts. The Loss op's
  // gradient comes from the runtime (LossGrad); a Mean's (of an elementwise
  // loss formula) is 1 / count for every element, and the formula's Map
  // before it is then differentiated by diff like any other.
  void seedFromLoss(const GraphNode& lossNode) {
    ValueId lossInput = lossNode.operands[0];
    if (lossNode.op == GraphOp::Mean) {
      gradientOf_[lossInput] = add(make(GraphOp::MeanGrad, {}, lossNode), g_.value(lossInput).shape);
      return;
    }
    // The loss reads the prediction, or the logits before it once fuse-loss
    // has moved a sigmoid into the loss.
    gradientOf_[lossInput] = inferred(make(GraphOp::LossGrad, {lossInput, g_.labels()}, lossNode));
  }

  // Only values computed from a parameter need a gradient: nothing is
  // trained upstream of the others (the input and slices of it).
  void markDependsOnParameters() {
    dependsOnParameter_.assign(g_.numValues(), false);
    for (const GraphNode& node : g_.nodes()) {
      bool depends = node.op == GraphOp::Parameter;
      for (ValueId operand : node.operands) depends = depends || dependsOnParameter_[static_cast<size_t>(operand)];
      for (const ir::MapSegment& segment : node.segments) depends = depends || !segment.params.empty();
      for (ValueId r : node.results) dependsOnParameter_[static_cast<size_t>(r)] = depends;
    }
  }

  bool needsGradient(ValueId v) const {
    return static_cast<size_t>(v) < dependsOnParameter_.size() && dependsOnParameter_[static_cast<size_t>(v)];
  }

  // y = x W^T:  dx = dy W,  dW = dy^T x
  void backwardMatMul(const GraphNode& node, ValueId dy) {
    ValueId x = node.operands[0], w = node.operands[1];
    if (needsGradient(x)) {
      GraphNode dx = make(GraphOp::MatMul, {dy, w}, node);
      addGradient(x, inferred(std::move(dx)));
    }
    GraphNode dw = make(GraphOp::MatMul, {dy, x}, node);
    dw.transposeA = true;
    addGradient(w, inferred(std::move(dw)));
  }

  // y = a + b:  da = dy,  db = column sums of dy
  void backwardAddBias(const GraphNode& node, ValueId dy) {
    addGradient(node.operands[0], dy);
    addGradient(node.operands[1], inferred(make(GraphOp::ColumnSum, {dy}, node)));
  }

  // s = softmax(z) per row:  dz = s * (dy - rowsum(dy * s)), from the
  // saved output s (the Jacobian diag(s) - s s^T applied to dy).
  void backwardSoftmax(const GraphNode& node, ValueId dy) {
    GraphNode back = make(GraphOp::SoftmaxGrad, {node.results[0], dy}, node);
    addGradient(node.operands[0], inferred(std::move(back)));
  }

  // y = gamma * xhat + beta, normalised per row (layer_norm) or per
  // channel by the batch's statistics (batch_norm, the training step's):
  // one backward step `gradOp` gives dx, dgamma and dbeta from the saved x
  // (runtime/LayerNorm.h, BatchNorm.h have the formulas). A batchnorm's
  // running statistics get no gradient.
  void backwardNormalisation(const GraphNode& node, ValueId dy, GraphOp gradOp) {
    ValueId x = node.operands[0], gamma = node.operands[1], beta = node.operands[2];
    GraphNode back = make(gradOp, {x, gamma, dy}, node);
    back.epsilon = node.epsilon;
    size_t index = g_.add(std::move(back));
    if (needsGradient(x)) addGradient(x, g_.result(index, 0));
    addGradient(gamma, g_.result(index, 1));
    addGradient(beta, g_.result(index, 2));
  }

  // y = w[x] row by row:  dw[v] = the sum of dy over the lookups of v. The
  // indices are data (the frontend refuses computed ones): no gradient.
  void backwardEmbedding(const GraphNode& node, ValueId dy) {
    ValueId x = node.operands[0], w = node.operands[1];
    addGradient(w, add(make(GraphOp::EmbeddingGrad, {x, dy}, node), g_.value(w).shape));
  }

  // y = x * mask / (1 - p):  dx = dy * mask / (1 - p), the mask found
  // again from its key (runtime/Dropout.h), never saved.
  void backwardDropout(const GraphNode& node, ValueId dy) {
    GraphNode back = make(GraphOp::DropoutGrad, {dy}, node);
    back.probability = node.probability;
    back.stream = node.stream;
    addGradient(node.operands[0], inferred(std::move(back)));
  }

  // y = conv(x, w) + b:  dx is the transposed convolution of dy by w;
  // dw correlates x with dy, db sums dy over samples and positions
  // (runtime/Conv2d.h). The input's step is left out where nothing before
  // it is trained (the first layer's image).
  void backwardConv2d(const GraphNode& node, ValueId dy) {
    ValueId x = node.operands[0], w = node.operands[1], b = node.operands[2];
    if (needsGradient(x)) {
      GraphNode dx = make(GraphOp::Conv2dInputGrad, {dy, w}, node);
      dx.window = node.window;
      addGradient(x, add(std::move(dx), g_.value(x).shape));
    }
    GraphNode weights = make(GraphOp::Conv2dWeightGrad, {x, dy}, node);
    weights.window = node.window;
    size_t index = g_.add(std::move(weights));
    addGradient(w, g_.result(index, 0));
    addGradient(b, g_.result(index, 1));
  }

  // y = the maximum of each window:  dy goes to the element that was it,
  // found again from the saved x.
  void backwardMaxPool2d(const GraphNode& node, ValueId dy) {
    GraphNode dx = make(GraphOp::MaxPool2dGrad, {node.operands[0], dy}, node);
    dx.window = node.window;
    addGradient(node.operands[0], inferred(std::move(dx)));
  }

  // y = the mean of each window:  dy / k^2 to each element of it.
  void backwardAvgPool2d(const GraphNode& node, ValueId dy) {
    GraphNode dx = make(GraphOp::AvgPool2dGrad, {dy}, node);
    dx.window = node.window;
    addGradient(node.operands[0], add(std::move(dx), g_.value(node.operands[0]).shape));
  }

  // The same elements in another shape: so is the gradient.
  void backwardReshape(const GraphNode& node, ValueId dy) {
    addGradient(node.operands[0], add(make(GraphOp::Reshape, {dy}, node), g_.value(node.operands[0]).shape));
  }

  // y = f(z1, z2, ...; p):  dzi = dy * df/dzi,  dp += dy * df/dp (summed
  // over the batch); with several results yk = fk(...), the sum over k of
  // dyk * dfk/dzi. One loop computes all of them, recomputing what it
  // needs from the saved inputs. A gradient that is an incoming one
  // unchanged (h in h + r, whose dh is dy) is that value, not a copy.
  void backwardMap(const GraphNode& node, const std::vector<ValueId>& dys) {
    std::vector<ValueId> operands = node.operands;
    // By result: the Var of its gradient ("" if none), "dy", "dy1", ...,
    // or another name where the formulas already use that one (a value
    // named dy).
    auto taken = [&](const std::string& name) {
      for (const ir::MapSegment& segment : node.segments) {
        if (std::find(segment.inputVars.begin(), segment.inputVars.end(), name) != segment.inputVars.end()) return true;
        for (const ir::MapSegment::Param& p : segment.params)
          if (p.var == name) return true;
      }
      return false;
    };
    std::vector<std::string> gradientVars;
    for (size_t k = 0; k < dys.size(); ++k) {
      std::string name = k == 0 ? kGradientVar : fmt::format("{}{}", kGradientVar, k);
      for (int i = 2; taken(name); ++i) name = fmt::format("{}{}_{}", kGradientVar, k == 0 ? "" : std::to_string(k), i);
      gradientVars.push_back(dys[k] < 0 ? "" : name);
      if (dys[k] >= 0) operands.push_back(dys[k]);
    }
    // d(sum over k of dyk * fk) / d var, in one segment's formulas.
    auto chain = [&](const ir::MapSegment& forward, const std::string& var) {
      ir::Ex sum(exprs_, exprs_.constant(0));
      for (size_t k = 0; k < forward.outputs.size(); ++k) {
        if (gradientVars[k].empty()) continue;
        ir::Ex gradient(exprs_, exprs_.var(gradientVars[k]));
        sum = sum + gradient * gradient.wrap(ir::derivatives(exprs_, forward.outputs[k], var, 1).orders[1]);
      }
      return ir::simplify(exprs_, sum);
    };
    // The inputs whose gradient is an incoming gradient as it is, in a map
    // of one segment over all its columns.
    std::vector<ValueId> passedOn(node.operands.size(), -1);
    if (node.segments.size() == 1 && node.segments[0].firstColumn == 0 &&
        node.segments[0].columns == ir::rowWidth(g_.value(node.results[0]).shape))
      for (size_t i = 0; i < node.operands.size(); ++i)
        for (size_t k = 0; k < dys.size() && needsGradient(node.operands[i]); ++k)
          if (dys[k] >= 0 && g_.value(dys[k]).shape == g_.value(node.operands[i]).shape &&
              chain(node.segments[0], node.segments[0].inputVars[i]) == exprs_.var(gradientVars[k]))
            passedOn[i] = dys[k];
    GraphNode back = make(GraphOp::Map, operands, node);
    std::vector<size_t> computed;  // the inputs whose gradient the loop computes
    for (size_t i = 0; i < node.operands.size(); ++i) {
      if (!needsGradient(node.operands[i])) continue;
      if (passedOn[i] >= 0) addGradient(node.operands[i], passedOn[i]);
      else computed.push_back(i);
    }
    bool anyParameter = false;
    for (const ir::MapSegment& segment : node.segments) anyParameter = anyParameter || !segment.params.empty();
    if (computed.empty() && !anyParameter) return;  // nothing else upstream is trained
    std::vector<ir::TensorShape> shapes;
    for (size_t i : computed) shapes.push_back(g_.value(node.operands[i]).shape);
    // One gradient result per parameter, even one shared by several
    // segments (a fused bias): each segment writes its own columns.
    std::vector<ValueId> parameterValues;
    auto resultFor = [&](ValueId parameter) {
      auto found = std::find(parameterValues.begin(), parameterValues.end(), parameter);
      if (found != parameterValues.end()) return static_cast<int>(computed.size() + (found - parameterValues.begin()));
      parameterValues.push_back(parameter);
      shapes.push_back(g_.value(parameter).shape);
      return static_cast<int>(shapes.size() - 1);
    };
    for (const ir::MapSegment& forward : node.segments) {
      ir::MapSegment segment;
      segment.firstColumn = forward.firstColumn;
      segment.columns = forward.columns;
      segment.inputVars = forward.inputVars;
      for (const std::string& var : gradientVars)
        if (!var.empty()) segment.inputVars.push_back(var);
      segment.params = forward.params;
      for (size_t i : computed) segment.outputs.push_back(chain(forward, forward.inputVars[i]));
      for (const ir::MapSegment::Param& p : forward.params)
        segment.columnSums.push_back({chain(forward, p.var), resultFor(p.value), p.firstElement, !p.perColumn});
      back.segments.push_back(std::move(segment));
    }
    size_t index = g_.add(std::move(back), shapes);
    for (size_t r = 0; r < computed.size(); ++r) addGradient(node.operands[computed[r]], g_.result(index, r));
    for (size_t k = 0; k < parameterValues.size(); ++k)
      addGradient(parameterValues[k], g_.result(index, computed.size() + k));
  }

  // y = [a, b, ...] by columns:  da, db, ... are dy's column ranges
  void backwardConcat(const GraphNode& node, ValueId dy) {
    int64_t first = 0;
    for (ValueId operand : node.operands) {
      const ir::TensorShape& shape = g_.value(operand).shape;
      if (needsGradient(operand)) {
        GraphNode slice = make(GraphOp::Slice, {dy}, node);
        slice.firstColumn = first;
        addGradient(operand, add(std::move(slice), shape));
      }
      first += ir::rowWidth(shape);
    }
  }

  // y = x[:, a:b]:  dx = dy in columns [a, b), 0 elsewhere
  void backwardSlice(const GraphNode& node, ValueId dy) {
    ValueId x = node.operands[0];
    if (!needsGradient(x)) return;
    GraphNode pad = make(GraphOp::PadColumns, {dy}, node);
    pad.firstColumn = node.firstColumn;
    addGradient(x, add(std::move(pad), g_.value(x).shape));
  }

  // A value read by several nodes gets the sum of their gradients. All of
  // them arrive before its producer is visited (nodes run in reverse order).
  void addGradient(ValueId value, ValueId gradient) {
    auto [it, first] = gradientOf_.try_emplace(value, gradient);
    if (first) return;
    GraphNode sum = make(GraphOp::Map, {it->second, gradient}, g_.nodes()[producerOf(gradient)]);
    ir::MapSegment segment;
    segment.columns = ir::rowWidth(g_.value(gradient).shape);
    segment.inputVars = {"a", "b"};
    segment.outputs = {exprs_.make(ir::Op::Add, {exprs_.var("a"), exprs_.var("b")})};
    sum.segments.push_back(std::move(segment));
    it->second = add(std::move(sum), g_.value(gradient).shape);
  }

  ir::Graph& g_;
  ir::ExprContext& exprs_;
  std::map<ValueId, ValueId> gradientOf_;
  std::vector<bool> dependsOnParameter_;
  std::string internalError_;
};

}  // namespace

bool appendBackward(ir::Graph& graph, std::string* error) {
  if (graph.loss() < 0 || !graph.gradients.empty()) return false;
  std::string problem = Backward(graph).run();
  if (error) *error = problem;
  return true;
}

bool autodiff(ir::Graph& graph, PassContext& context) {
  std::string problem;
  bool changed = appendBackward(graph, &problem);
  if (!problem.empty()) context.error({}, "internal error: " + problem);
  if (changed) context.count("gradients computed", static_cast<int64_t>(graph.gradients.size()));
  return changed;
}

}  // namespace nnc::passes
