// lint-vanishing-gradient: backpropagation multiplies the gradient by f'(z)
// at every layer. Activations that saturate on both sides (sigmoid, tanh,
// softsign, or any formula whose derivative tends to 0 far out) have
// E|f'(z)| well below 1 even for well-scaled inputs (sigmoid: 0.21 for
// z ~ N(0, 1)), so through a deep stack of them the first layers get almost
// no gradient. Warns when the estimated factor over the hidden layers falls
// below 1e-2 (three sigmoid layers, ten tanh layers).
#include <algorithm>

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

bool lintVanishingGradient(ir::Graph& graph, PassContext& context) {
  std::vector<DenseLayer> layers = denseLayers(graph);
  std::vector<const DenseLayer*> saturating;
  double factor = 1, smallest = 1, largest = 0;
  for (size_t i = 0; i + 1 < layers.size(); ++i) {  // hidden layers: all but the output
    const DenseLayer& layer = layers[i];
    if (!layer.activation) continue;
    // A mixed layer counts if every part saturates; its factor is the
    // units-weighted mean of the parts'.
    bool all = true;
    double slope = 0;
    for (const ir::MapSegment& segment : layer.activation->segments) {
      ir::ActivationFacts facts = activationFacts(graph, segment);
      all = all && facts.saturates();
      slope += facts.typicalSlope() * static_cast<double>(segment.columns) / static_cast<double>(layer.units);
    }
    if (!all) continue;
    saturating.push_back(&layer);
    factor *= slope;
    smallest = std::min(smallest, slope);
    largest = std::max(largest, slope);
  }
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
