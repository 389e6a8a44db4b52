#include "passes/LayerStack.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nnc::passes {

std::vector<DenseLayer> denseLayers(const ir::Graph& graph) {
  auto producer = [&](ir::ValueId v) -> const ir::GraphNode& {
    return graph.nodes()[static_cast<size_t>(graph.value(v).producer)];
  };
  std::vector<DenseLayer> layers;
  for (const ir::Graph::LayerApplication& application : graph.layerApplications) {
    if (application.kind != ir::Graph::LayerApplication::Kind::Dense) continue;
    DenseLayer layer;
    layer.name = application.layer;
    layer.range = producer(application.product).range;
    layer.units = graph.value(application.product).shape.back();
    layer.input = application.input;
    layer.output = application.output;
    // The layer's own nodes that compute its output: softmax, before it
    // the activation.
    ir::ValueId y = application.output;
    if (const ir::GraphNode& softmax = producer(y); softmax.op == ir::GraphOp::Softmax && softmax.layer == layer.name) {
      layer.softmax = &softmax;
      y = softmax.operands[0];
    }
    if (const ir::GraphNode& map = producer(y);
        map.op == ir::GraphOp::Map && map.layer == layer.name && map.results[0] == y)
      layer.activation = &map;
    layers.push_back(layer);
  }
  return layers;
}

const DenseLayer* outputLayer(const ir::Graph& graph, const std::vector<DenseLayer>& layers) {
  for (const DenseLayer& layer : layers)
    if (layer.output == graph.prediction()) return &layer;
  return nullptr;
}

analysis::ActivationFacts activationFacts(const ir::Graph& graph, const ir::MapSegment& segment) {
  std::vector<std::pair<std::string, double>> parameters;
  for (const ir::MapSegment::Param& p : segment.params) {
    const ir::GraphNode& node = graph.nodes()[static_cast<size_t>(graph.value(p.value).producer)];
    bool constant = node.op == ir::GraphOp::Parameter && node.init == ir::GraphNode::Init::Constant;
    parameters.emplace_back(p.var, constant ? node.initialValue : 0.0);
  }
  return analysis::ActivationFacts(graph.exprs(), segment.outputs[0], segment.inputVars[0], parameters);
}

std::string activationNames(const DenseLayer& layer) {
  if (layer.softmax) return "softmax";
  std::vector<std::string> names;
  if (layer.activation)
    for (const ir::MapSegment& segment : layer.activation->segments)
      if (std::find(names.begin(), names.end(), segment.origin.activation) == names.end()) names.push_back(segment.origin.activation);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace nnc::passes
