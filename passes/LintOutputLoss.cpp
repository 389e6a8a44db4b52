// lint-output-loss: the output layer's activation must produce what the
// loss expects. cross_entropy and bce_with_logits take logits and apply
// softmax or sigmoid themselves (stably, in log-sum-exp form), so an explicit
// softmax before cross_entropy applies it twice (an error); bce takes
// probabilities, so an output that can leave [0, 1] breaks its logarithms.
#include <cmath>

#include <fmt/format.h>

#include "passes/LayerStack.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

// The outputs of every segment of the layer's activation: {lowest, highest}
// and whether both ends are reached (the activation saturates).
struct OutputRange {
  double lowest = INFINITY, highest = -INFINITY;
  bool bounded = true;
};

OutputRange outputRange(const ir::Graph& graph, const DenseLayer& layer) {
  OutputRange range;
  if (!layer.activation) return {-INFINITY, INFINITY, false};
  for (const ir::MapSegment& segment : layer.activation->segments) {
    analysis::ActivationFacts facts = activationFacts(graph, segment);
    auto [lowest, highest] = facts.outputRange();
    range.lowest = std::min(range.lowest, lowest);
    range.highest = std::max(range.highest, highest);
    range.bounded = range.bounded && facts.saturates();
  }
  return range;
}

void checkSoftmax(const DenseLayer& out, const ir::GraphNode& loss, PassContext& context) {
  if (loss.loss == ir::LossKind::CrossEntropy) {
    context.error(out.softmax->range, fmt::format("softmax is applied twice: layer '{}' applies it, and cross_entropy "
                                                  "applies log-softmax to its input itself",
                                                  out.name));
    context.note(loss.range, "cross_entropy takes logits (unnormalised scores), as PyTorch's CrossEntropyLoss does");
    context.note(out.softmax->range, fmt::format("remove softmax from layer '{}'; the largest logit is still the "
                                                 "predicted class",
                                                 out.name));
  } else if (out.units == 1) {
    context.error(out.softmax->range, fmt::format("softmax over the one unit of layer '{}' is always 1, so nothing "
                                                  "can learn",
                                                  out.name));
  }
}

void checkRange(const ir::Graph& graph, const DenseLayer& out, const ir::GraphNode& loss, PassContext& context) {
  OutputRange range = outputRange(graph, out);
  std::string applies = out.activation ? fmt::format("applies {}", activationNames(out)) : "has no activation";
  switch (loss.loss) {
    case ir::LossKind::BCE:
      // An error, not a warning: outside [0, 1], log(p) or log(1 - p) is
      // undefined, and clamping it leaves a loss that cannot be trained.
      if (range.lowest >= 0 && range.highest <= 1) return;
      context.error(loss.range, fmt::format("bce expects probabilities in [0, 1], but the last layer, '{}', {}", out.name,
                                            !out.activation ? std::string("has no activation, so its outputs are unbounded")
                                            : range.bounded ? fmt::format("{}, whose outputs lie in [{:.3g}, {:.3g}]",
                                                                          applies, range.lowest, range.highest)
                                                            : applies + ", whose outputs are unbounded"));
      context.note(out.range, "end the model with a sigmoid layer, or use loss bce_with_logits (which applies sigmoid "
                              "itself, stably)");
      return;
    case ir::LossKind::CrossEntropy: {
      if (out.units < 2) {
        context.error(loss.range, fmt::format("cross_entropy needs one output per class (at least 2), but the last "
                                              "layer, '{}', has {}",
                                              out.name, out.units));
        context.note(loss.range, "for two classes with one output, use bce_with_logits");
        return;
      }
      if (!range.bounded) return;
      // The best a bounded output can do: the right class at the top of the
      // range and the others at the bottom.
      double floor = std::log1p(static_cast<double>(out.units - 1) * std::exp(range.lowest - range.highest));
      if (context.warn("output-loss", out.range,
                       fmt::format("cross_entropy takes logits, but layer '{}' {}, whose outputs lie in [{:.3g}, {:.3g}]: "
                                   "the loss cannot go below {:.3g}",
                                   out.name, applies, range.lowest, range.highest, floor)))
        context.note(loss.range, "cross_entropy applies log-softmax itself; remove the output layer's activation");
      return;
    }
    case ir::LossKind::BCEWithLogits: {
      if (!range.bounded) return;
      // Per sample: log(1 + exp(-z)) for label 1 is smallest at the top of
      // the range, log(1 + exp(z)) for label 0 at the bottom.
      double floorOne = std::log1p(std::exp(-range.highest)), floorZero = std::log1p(std::exp(range.lowest));
      if (context.warn("output-loss", out.range,
                       fmt::format("bce_with_logits takes logits, but layer '{}' {}, whose outputs lie in [{:.3g}, "
                                   "{:.3g}]: the loss of a sample cannot go below {:.3g} (label 1) or {:.3g} (label 0)",
                                   out.name, applies, range.lowest, range.highest, floorOne, floorZero)))
        context.note(loss.range, "bce_with_logits applies sigmoid itself; remove the output layer's activation");
      return;
    }
    case ir::LossKind::MSE:
    case ir::LossKind::L1:
    case ir::LossKind::Huber: return;  // any real output can be compared with values
  }
}

}  // namespace

bool lintOutputLoss(ir::Graph& graph, PassContext& context) {
  std::vector<DenseLayer> layers = denseLayers(graph);
  const DenseLayer* output = outputLayer(graph, layers);
  if (graph.loss() < 0 || graph.prediction() < 0) return false;
  const ir::GraphNode& loss = graph.nodes()[static_cast<size_t>(graph.value(graph.loss()).producer)];
  if (!output) {
    // The loss reads a value of the graph: softmax(v) is checked as a
    // softmax layer is; other formulas are the user's.
    const ir::GraphNode& producer = graph.nodes()[static_cast<size_t>(graph.value(graph.prediction()).producer)];
    if (producer.op != ir::GraphOp::Softmax) return false;
    DenseLayer value;
    value.name = producer.layer;
    value.range = producer.range;
    value.units = graph.value(graph.prediction()).shape.back();
    value.softmax = &producer;
    value.output = graph.prediction();
    checkSoftmax(value, loss, context);
    return false;
  }
  const DenseLayer& out = *output;
  if (out.softmax) checkSoftmax(out, loss, context);
  else checkRange(graph, out, loss, context);
  return false;
}

}  // namespace nnc::passes
