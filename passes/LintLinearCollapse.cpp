// lint-linear-collapse: dense layers joined by no activation, or by an
// affine one (decided symbolically: its derivative is free of x, so
// `2*x + 1` counts and relu, whose derivative is a step, does not), compute
// one affine map: W2 (a (W1 x + b1) + c) + b2 = (a W2 W1) x + (W2 (a b1 + c)
// + b2). The extra depth adds parameters and time, not expressive power.
// In a graph the same holds through affine formulas of values from one
// source (dense(x) + dense(x) is (W1 + W2) x + ...), slices and concats;
// a residual sum around a non-linear layer is not affine.
#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/Diff.h"
#include "ir/Printer.h"
#include "passes/LayerStack.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

// Why the layer's output is an affine function of its input; empty if it is not.
std::string affineReason(const ir::Graph& graph, const DenseLayer& layer) {
  if (layer.softmax) return "";
  if (!layer.activation) return fmt::format("'{}' has no activation", layer.name);
  std::string slopes;
  for (const ir::MapSegment& segment : layer.activation->segments) {
    analysis::ActivationFacts facts = activationFacts(graph, segment);
    // A step's derivative (0) is free of x too, but it is not affine:
    // lint-zero-derivative reports it.
    if (!facts.affine() || facts.zeroDerivative()) return "";
    slopes += fmt::format("{}{}'s derivative {}", slopes.empty() ? "" : ", ", segment.origin.activation,
                          ir::print(facts.derivative()));
  }
  return fmt::format("'{}' applies {}, which is affine ({} does not depend on x)", layer.name,
                     activationNames(layer), slopes);
}

// The formula of a Map of values (h + r, 0.5 * a - b) is affine in all its
// operands at once: each partial derivative is free of every operand.
bool jointlyAffine(const ir::Graph& graph, const ir::GraphNode& map) {
  if (map.segments.size() != 1 || map.segments[0].outputs.size() != 1) return false;
  const ir::MapSegment& segment = map.segments[0];
  ir::ExprContext& exprs = graph.exprs();
  for (const std::string& var : segment.inputVars) {
    ir::Derivatives d = ir::derivatives(exprs, segment.outputs[0], var, 1);
    if (!d.error.empty()) return false;
    for (const std::string& other : segment.inputVars)
      if (ir::dependsOn(d.orders[1], other)) return false;
  }
  return true;
}

// What a forward value is an affine function of, through which dense
// layers: the chain W2 (W1 x) of a stack, a sum dense(x) + dense(x), slices
// and concatenations of those.
struct AffineOrigin {
  ir::ValueId source = -1;
  std::vector<size_t> layers;        // indices into the layer list, in graph order
  std::vector<std::string> reasons;  // why each step between them is affine
};

class CollapseFinder {
public:
  CollapseFinder(const ir::Graph& graph, const std::vector<DenseLayer>& layers) : graph_(graph), layers_(layers) {
    for (size_t i = 0; i < layers.size(); ++i) {
      if (layers[i].activation) activationOf_[layers[i].activation] = i;
      outputOf_[layers[i].output] = i;
    }
  }

  // Groups of two or more layers that compute one affine map, each with
  // the value where the group is widest (the last layer's pre-activation,
  // or a formula that combines them).
  std::vector<AffineOrigin> run() {
    // Lints run before autodiff: every node but the loss computes a forward value.
    for (const ir::GraphNode& node : graph_.nodes())
      if (ir::graphOpInfo(node.op).role != ir::GraphOpRole::Loss) visit(node);
    // Keep the widest: drop a group whose layers another group contains.
    std::vector<AffineOrigin> out;
    for (size_t i = 0; i < found_.size(); ++i) {
      bool inside = false;
      for (size_t j = 0; j < found_.size() && !inside; ++j)
        inside = j != i && std::includes(found_[j].layers.begin(), found_[j].layers.end(), found_[i].layers.begin(),
                                         found_[i].layers.end()) &&
                 (found_[j].layers.size() > found_[i].layers.size() || j > i);
      if (!inside) out.push_back(found_[i]);
    }
    return out;
  }

private:
  AffineOrigin originOf(ir::ValueId v) const {
    if (auto found = origin_.find(v); found != origin_.end()) return found->second;
    return {v, {}, {}};
  }

  void visit(const ir::GraphNode& node) {
    if (node.results.size() != 1) return;
    ir::ValueId result = node.results[0];
    std::optional<AffineOrigin> origin;
    switch (node.op) {
      case ir::GraphOp::MatMul:
        if (auto layer = layerOfProduct(node)) {
          origin = originOf(node.operands[0]);
          origin->layers.push_back(*layer);
          if (origin->layers.size() >= 2) found_.push_back(*origin);  // at the pre-activation
        }
        break;
      case ir::GraphOp::AddBias:
      case ir::GraphOp::Slice:
      // Linear in the image: a mean of each window, the same elements reshaped.
      case ir::GraphOp::AvgPool2d:
      case ir::GraphOp::Reshape: origin = originOf(node.operands[0]); break;
      // A scale and shift per channel at inference (normalisation adds no
      // non-linearity): a step of the chain, with its reason.
      case ir::GraphOp::BatchNorm:
        origin = originOf(node.operands[0]);
        origin->reasons.push_back(fmt::format("'{}' is a batchnorm, a scale and shift per channel when predicting",
                                              node.layer));
        break;
      case ir::GraphOp::Map:
        if (auto layer = activationOf_.find(&node); layer != activationOf_.end()) {
          std::string reason = affineReason(graph_, layers_[layer->second]);
          if (!reason.empty()) origin = originOf(node.operands[0]);
        } else if (jointlyAffine(graph_, node)) {
          origin = combined(node, fmt::format("'{}' = {} is affine in them", node.layer,
                                              ir::print(node.segments[0].outputs[0])));
        }
        break;
      case ir::GraphOp::Concat: origin = combined(node, ""); break;
      // Not affine (softmax), or not part of a forward value's function.
      case ir::GraphOp::Input:
      case ir::GraphOp::Labels:
      case ir::GraphOp::Targets:
      case ir::GraphOp::Parameter:
      case ir::GraphOp::Softmax:
      case ir::GraphOp::LayerNorm:    // divides by each row's deviation
      case ir::GraphOp::LayerNormGrad:
      case ir::GraphOp::BatchNormGrad:
      case ir::GraphOp::Embedding:  // a lookup of data, not a function of values
      case ir::GraphOp::EmbeddingGrad:
      case ir::GraphOp::Dropout:  // the identity at inference, a random mask in training
      case ir::GraphOp::DropoutGrad:
      // A convolution is affine, but not a dense layer this lint counts
      // (it starts no chain); a window's maximum is not linear.
      case ir::GraphOp::Conv2d:
      case ir::GraphOp::MaxPool2d:
      case ir::GraphOp::Conv2dInputGrad:
      case ir::GraphOp::Conv2dWeightGrad:
      case ir::GraphOp::MaxPool2dGrad:
      case ir::GraphOp::AvgPool2dGrad:
      case ir::GraphOp::Loss:
      case ir::GraphOp::Mean:
      case ir::GraphOp::MeanGrad:
      case ir::GraphOp::ColumnSum:
      case ir::GraphOp::SoftmaxGrad:
      case ir::GraphOp::LossGrad:
      case ir::GraphOp::PadColumns: break;
    }
    if (!origin) return;
    // A linear layer's output, or an affine activation's: the reason the
    // next step may go on.
    if (auto layer = outputOf_.find(result); layer != outputOf_.end()) {
      std::string reason = affineReason(graph_, layers_[layer->second]);
      if (reason.empty()) return;
      origin->reasons.push_back(reason);
    }
    origin_[result] = *origin;
  }

  // The origin of a node that combines several values: affine if they all
  // come from one source.
  std::optional<AffineOrigin> combined(const ir::GraphNode& node, const std::string& reason) {
    AffineOrigin out = originOf(node.operands[0]);
    for (size_t i = 1; i < node.operands.size(); ++i) {
      AffineOrigin other = originOf(node.operands[i]);
      if (other.source != out.source) return std::nullopt;
      for (size_t layer : other.layers)
        if (std::find(out.layers.begin(), out.layers.end(), layer) == out.layers.end()) out.layers.push_back(layer);
      for (const std::string& r : other.reasons)
        if (std::find(out.reasons.begin(), out.reasons.end(), r) == out.reasons.end()) out.reasons.push_back(r);
    }
    std::sort(out.layers.begin(), out.layers.end());
    if (!reason.empty()) out.reasons.push_back(reason);
    if (out.layers.size() >= 2) found_.push_back(out);
    return out;
  }

  // The layer whose matrix product `node` is (not a backward product).
  std::optional<size_t> layerOfProduct(const ir::GraphNode& node) const {
    for (size_t i = 0; i < layers_.size(); ++i)
      if (layers_[i].name == node.layer && layers_[i].input == node.operands[0] && !node.transposeA) return i;
    return std::nullopt;
  }

  const ir::Graph& graph_;
  const std::vector<DenseLayer>& layers_;
  std::map<const ir::GraphNode*, size_t> activationOf_;
  std::map<ir::ValueId, size_t> outputOf_;
  std::map<ir::ValueId, AffineOrigin> origin_;
  std::vector<AffineOrigin> found_;
};

std::string layerList(const std::vector<DenseLayer>& layers, const std::vector<size_t>& group) {
  std::string out;
  for (size_t k = 0; k < group.size(); ++k)
    out += fmt::format("{}'{}'", k == 0 ? "" : k + 1 == group.size() ? " and " : ", ", layers[group[k]].name);
  return out;
}

// Each layer reads the one before: fold-linear can run them as one.
bool isChain(const std::vector<DenseLayer>& layers, const std::vector<size_t>& group) {
  for (size_t k = 1; k < group.size(); ++k)
    if (layers[group[k]].input != layers[group[k - 1]].output) return false;
  return true;
}

}  // namespace

bool lintLinearCollapse(ir::Graph& graph, PassContext& context) {
  std::vector<DenseLayer> layers = denseLayers(graph);
  for (const AffineOrigin& group : CollapseFinder(graph, layers).run()) {
    SourceRange at = layers[group.layers.front()].range;
    if (!context.warn("linear-collapse", at,
                      fmt::format("layers {} collapse into one dense layer: {}; so together they compute a single "
                                  "affine map of their input",
                                  layerList(layers, group.layers), fmt::join(group.reasons, "; "))))
      continue;
    context.note(at, isChain(layers, group.layers)
                         ? "put a nonlinear activation (relu, gelu, ...) between them, or remove the extra layers; "
                           "nnc predict --fold-linear runs them as one layer"
                         : "put a nonlinear activation (relu, gelu, ...) in them, or use one dense layer");
  }
  return false;
}

}  // namespace nnc::passes
