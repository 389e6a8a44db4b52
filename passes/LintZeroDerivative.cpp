// lint-zero-derivative (an error, not a warning): an activation whose
// derivative simplifies to 0 (a step, `where(x > 0, 1, 0)`, `sign(x)`)
// passes no gradient back, so the layers before it never change and its
// own layer learns only its bias. Training it would silently do nothing.
#include <fmt/format.h>

#include "passes/LayerStack.h"
#include "passes/Pass.h"

namespace nnc::passes {

bool lintZeroDerivative(ir::Graph& graph, PassContext& context) {
  for (const DenseLayer& layer : denseLayers(graph)) {
    if (!layer.activation) continue;
    for (const ir::MapSegment& segment : layer.activation->segments) {
      if (!activationFacts(graph, segment).zeroDerivative()) continue;
      context.error(segment.origin.range, fmt::format("activation '{}' in layer '{}' has derivative 0 wherever it is defined: "
                                               "no gradient flows back through it, so nothing before it can learn",
                                               segment.origin.activation, layer.name));
      context.note(segment.origin.range, "a smooth stand-in with the same shape has a gradient, e.g. sigmoid(10*x) for a step");
    }
  }
  return false;
}

}  // namespace nnc::passes
