// lint-vanishing-gradient: backpropagation multiplies the gradient by f'(z)
// at every layer. Activations that saturate on both sides (sigmoid, tanh,
// softsign, or any formula whose derivative tends to 0 far out) have
// E|f'(z)| well below 1 even for well-scaled inputs (sigmoid: 0.21 for
// z ~ N(0, 1)), so through a deep stack of them the first layers get almost
// no gradient. Warns when the estimated factor over the hidden layers falls
// below 1e-2 (three sigmoid layers, ten tanh layers). The factor follows
// the graph: a residual connection (y = h + f(h)) passes the gradient on
// whole beside f's path, so residual stacks of tanh do not warn.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "passes/LayerStack.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

constexpr double kWarnBelow = 1e-2;

std::string quotedList(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += fmt::format("{}'{}'", i == 0 ? "" : i + 1 == names.size() ? " and " : ", ", names[i]);
  return out;
}

}  // namespace

// How much of the gradient at the loss's input reaches each forward value,
// estimated: each saturating hidden activation scales it by its typical
// slope, everything else passes it on unchanged, and a value read by
// several nodes gets the sum of what they pass back (so a residual path
// h + f(h) passes at least all of it).
std::vector<double> gradientScales(const ir::Graph& graph, const std::map<const ir::GraphNode*, double>& slopeOf) {
  std::vector<double> scale(graph.numValues(), 0.0);
  if (graph.prediction() < 0 || graph.loss() < 0) return scale;
  scale[static_cast<size_t>(graph.prediction())] = 1;
  // Lints run before autodiff: every node but the loss computes a forward value.
  for (size_t n = graph.nodes().size(); n-- > 0;) {
    const ir::GraphNode& node = graph.nodes()[n];
    if (ir::graphOpInfo(node.op).role == ir::GraphOpRole::Loss) continue;
    double reaching = 0;
    for (ir::ValueId r : node.results) reaching = std::max(reaching, scale[static_cast<size_t>(r)]);
    auto slope = slopeOf.find(&node);
    double passed = reaching * (slope != slopeOf.end() ? slope->second : 1.0);
    for (ir::ValueId operand : node.operands) scale[static_cast<size_t>(operand)] += passed;
  }
  return scale;
}

bool lintVanishingGradient(ir::Graph& graph, PassContext& context) {
  std::vector<DenseLayer> layers = denseLayers(graph);
  const DenseLayer* output = outputLayer(graph, layers);
  std::vector<const DenseLayer*> saturating;
  std::map<const ir::GraphNode*, double> slopeOf;  // the activation Map of each saturating hidden layer
  double smallest = 1, largest = 0;
  for (const DenseLayer& layer : layers) {
    if (&layer == output || !layer.activation) continue;  // hidden layers only
    // A mixed layer counts if every part saturates; its factor is the
    // units-weighted mean of the parts'.
    bool all = true;
    double slope = 0;
    for (const ir::MapSegment& segment : layer.activation->segments) {
      analysis::ActivationFacts facts = activationFacts(graph, segment);
      all = all && facts.saturates();
      slope += facts.typicalSlope() * static_cast<double>(segment.columns) / static_cast<double>(layer.units);
    }
    if (!all) continue;
    saturating.push_back(&layer);
    slopeOf[layer.activation] = slope;
    smallest = std::min(smallest, slope);
    largest = std::max(largest, slope);
  }
  if (saturating.size() < 2) return false;
  // What reaches the first saturating layer's pre-activation, relative to
  // what reaches the last one's output.
  std::vector<double> scale = gradientScales(graph, slopeOf);
  double reachingLast = scale[static_cast<size_t>(saturating.back()->output)];
  double factor = reachingLast > 0
                      ? scale[static_cast<size_t>(saturating.front()->activation->operands[0])] / reachingLast
                      : 1;
  if (saturating.size() < 2 || factor >= kWarnBelow) return false;
  std::vector<std::string> names;
  std::vector<std::string> kinds;
  for (const DenseLayer* layer : saturating) {
    names.push_back(layer->name);
    std::string kind = activationNames(*layer);
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }
  std::string perLayer = smallest == largest ? fmt::format("about {:.2f}", smallest)
                                             : fmt::format("{:.2f} to {:.2f}", smallest, largest);
  std::string kindText = fmt::format("{}", fmt::join(kinds, ", "));
  if (context.warn("vanishing-gradient", saturating.front()->range,
                   fmt::format("vanishing gradients: the {} hidden layers {} apply saturating activations ({}); each "
                               "scales the gradient by {} (E|f'(z)|, z ~ N(0, 1)), so layer '{}' gets about {:.1e} of "
                               "the gradient that reaches layer '{}'",
                               saturating.size(), quotedList(names), kindText, perLayer, saturating.front()->name,
                               factor, saturating.back()->name)))
    context.note(saturating.front()->range, "activations that do not saturate for x > 0 (relu, gelu, swish) keep "
                                            "gradients from shrinking with depth; or use fewer layers");
  return false;
}

}  // namespace nnc::passes
