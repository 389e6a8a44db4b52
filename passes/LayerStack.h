#pragma once
// The dense layers of a model's forward graph, in graph order, as the lints
// see them: each layer's input, its activation (a Map, possibly with
// several segments, or softmax) and its output, read from the graph's
// record of layer applications (ir::Graph::layerApplications). In a stack
// each reads the one before; in a graph of named values layers meet in
// sums, gates and concatenations, so a lint that needs a chain checks
// `input`. A fused bias is a parameter of the Map; after fuse-elementwise
// has moved an activation into another loop the layer has no `activation`.
#include <optional>
#include <string>
#include <vector>

#include "analysis/ActivationFacts.h"
#include "ir/Graph.h"

namespace nnc::passes {

struct DenseLayer {
  std::string name;
  SourceRange range;
  int64_t units = 0;
  const ir::GraphNode* activation = nullptr;  // the Map, if the layer has an activation formula
  const ir::GraphNode* softmax = nullptr;     // the Softmax node, if the layer applies softmax
  ir::ValueId input = -1;                     // what the matrix product reads
  ir::ValueId output = -1;
};

std::vector<DenseLayer> denseLayers(const ir::Graph& graph);

// The layer whose output the loss reads (null if the loss reads another
// value, such as a sum of layers).
const DenseLayer* outputLayer(const ir::Graph& graph, const std::vector<DenseLayer>& layers);

// The facts of one segment's formula, its parameters at their initial
// values (biases at 0).
analysis::ActivationFacts activationFacts(const ir::Graph& graph, const ir::MapSegment& segment);

// "relu", or "relu, tanh" for a mixed layer; "softmax"; "" for none.
std::string activationNames(const DenseLayer& layer);

}  // namespace nnc::passes
