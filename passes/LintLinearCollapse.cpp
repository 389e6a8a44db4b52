// lint-linear-collapse: dense layers, each reading the one before, joined
// by no activation, or by an
// affine one (decided symbolically: its derivative is free of x, so
// `2*x + 1` counts and relu, whose derivative is a step, does not), compute
// one affine map: W2 (a (W1 x + b1) + c) + b2 = (a W2 W1) x + (W2 (a b1 + c)
// + b2). The extra depth adds parameters and time, not expressive power.
#include <fmt/format.h>
#include <fmt/ranges.h>

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
    ir::ActivationFacts facts = activationFacts(graph, segment);
    // A step's derivative (0) is free of x too, but it is not affine:
    // lint-zero-derivative reports it.
    if (!facts.affine() || facts.zeroDerivative()) return "";
    slopes += fmt::format("{}{}'s derivative {}", slopes.empty() ? "" : ", ", segment.activation,
                          ir::print(facts.derivative()));
  }
  return fmt::format("'{}' applies {}, which is affine ({} does not depend on x)", layer.name,
                     activationNames(layer), slopes);
}

std::string layerList(const std::vector<DenseLayer>& layers, size_t first, size_t last) {
  std::string out;
  for (size_t i = first; i <= last; ++i)
    out += fmt::format("{}'{}'", i == first ? "" : i == last ? " and " : ", ", layers[i].name);
  return out;
}

}  // namespace

bool lintLinearCollapse(ir::Graph& graph, PassContext& context) {
  std::vector<DenseLayer> layers = denseLayers(graph);
  for (size_t first = 0; first + 1 < layers.size();) {
    // The run first..last: every layer but the last is affine.
    size_t last = first;
    std::vector<std::string> reasons;
    while (last + 1 < layers.size() && layers[last + 1].input == layers[last].output) {
      std::string reason = affineReason(graph, layers[last]);
      if (reason.empty()) break;
      reasons.push_back(reason);
      ++last;
    }
    if (last == first) {
      ++first;
      continue;
    }
    std::string why = fmt::format("{}", fmt::join(reasons, "; "));
    if (context.warn("linear-collapse", layers[first].range,
                     fmt::format("layers {} collapse into one dense layer: {}; so together they compute a single "
                                 "affine map of their input",
                                 layerList(layers, first, last), why)))
      context.note(layers[first].range, "put a nonlinear activation (relu, gelu, ...) between them, or remove the "
                                        "extra layers; nnc predict --fold-linear runs them as one layer");
    first = last;
  }
  return false;
}

}  // namespace nnc::passes
