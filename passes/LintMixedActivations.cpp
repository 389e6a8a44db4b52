// lint-mixed-activations: a note, not a warning, where the hidden layers of
// a stack use different activations (across layers or within a mixed
// layer). It is allowed, and a legitimate experiment; the note makes it
// visible in case it was a slip. Layers without an activation do not count.
#include <algorithm>

#include <fmt/format.h>

#include "passes/LayerStack.h"
#include "passes/Pass.h"

namespace nnc::passes {

bool lintMixedActivations(ir::Graph& graph, PassContext& context) {
  std::vector<DenseLayer> layers = denseLayers(graph);
  std::vector<std::string> kinds;
  std::string described;
  const DenseLayer* firstDifferent = nullptr;
  const DenseLayer* output = outputLayer(graph, layers);
  for (const DenseLayer& layer : layers) {
    if (&layer == output) continue;  // hidden layers only
    if (!layer.activation && !layer.softmax) continue;  // a linear layer is lint-linear-collapse's business
    std::string names = activationNames(layer);
    described += fmt::format("{}{} ({})", described.empty() ? "" : ", ", names, layer.name);
    bool mixedLayer = layer.activation && layer.activation->segments.size() > 1;
    if (std::find(kinds.begin(), kinds.end(), names) == kinds.end()) {
      kinds.push_back(names);
      if (kinds.size() == 2 && !firstDifferent) firstDifferent = &layer;
    }
    if (mixedLayer && !firstDifferent) firstDifferent = &layer;
  }
  if (!firstDifferent) return false;
  context.remark("mixed-activations", firstDifferent->range,
                 fmt::format("the hidden layers mix activations: {}; allowed, noted in case it is a slip", described));
  return false;
}

}  // namespace nnc::passes
