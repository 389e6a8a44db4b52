#pragma once
// The dense layers of a model's forward graph, in order, as the lints see
// them: each layer's matrix product, its activation (a Map, possibly with
// several segments, or softmax) and its output. Works before and after the
// fusion passes (a fused bias is a parameter of the Map).
#include <optional>
#include <string>
#include <vector>

#include "ir/ActivationFacts.h"
#include "ir/Graph.h"

namespace nnc::passes {

struct DenseLayer {
  std::string name;
  SourceRange range;
  int64_t units = 0;
  const ir::GraphNode* activation = nullptr;  // the Map, if the layer has an activation formula
  const ir::GraphNode* softmax = nullptr;     // the Softmax node, if the layer applies softmax
  ir::ValueId output = -1;
};

std::vector<DenseLayer> denseLayers(const ir::Graph& graph);

// The facts of one segment's formula, its parameters at their initial
// values (biases at 0).
ir::ActivationFacts activationFacts(const ir::Graph& graph, const ir::MapSegment& segment);

// "relu", or "relu, tanh" for a mixed layer; "softmax"; "" for none.
std::string activationNames(const DenseLayer& layer);

}  // namespace nnc::passes
