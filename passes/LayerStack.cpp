#include "passes/LayerStack.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nnc::passes {

namespace {

// The first node, in order, of kind `op` that reads `value` as operand 0.
const ir::GraphNode* readerOf(const ir::Graph& graph, const std::vector<std::vector<size_t>>& readers,
                              ir::ValueId value, ir::GraphOp op, size_t before) {
  for (size_t n : readers[static_cast<size_t>(value)]) {
    const ir::GraphNode& node = graph.nodes()[n];
    if (n < before && node.op == op && node.operands[0] == value && !node.transposeA) return &node;
  }
  return nullptr;
}

}  // namespace

std::vector<DenseLayer> denseLayers(const ir::Graph& graph) {
  std::vector<std::vector<size_t>> readers = graph.readers();
  // The forward part ends at the loss (autodiff appends after it).
  size_t forwardEnd = graph.loss >= 0 ? static_cast<size_t>(graph.value(graph.loss).producer) : graph.nodes().size();
  std::vector<DenseLayer> layers;
  for (size_t n = 0; n < forwardEnd; ++n) {
    const ir::GraphNode* product = &graph.nodes()[n];
    if (product->op != ir::GraphOp::MatMul || product->transposeA || product->layer.empty()) continue;
    const ir::GraphNode& weight = graph.nodes()[static_cast<size_t>(graph.value(product->operands[1]).producer)];
    if (weight.op != ir::GraphOp::Parameter) continue;
    DenseLayer layer;
    layer.name = product->layer;
    layer.range = product->range;
    layer.units = graph.value(product->results[0]).shape.back();
    layer.input = product->operands[0];
    ir::ValueId y = product->results[0];
    if (const ir::GraphNode* bias = readerOf(graph, readers, y, ir::GraphOp::AddBias, forwardEnd)) y = bias->results[0];
    if (const ir::GraphNode* map = readerOf(graph, readers, y, ir::GraphOp::Map, forwardEnd);
        map && map->layer == layer.name) {
      layer.activation = map;
      y = map->results[0];
    }
    if (const ir::GraphNode* softmax = readerOf(graph, readers, y, ir::GraphOp::Softmax, forwardEnd);
        softmax && softmax->layer == layer.name) {
      layer.softmax = softmax;
      y = softmax->results[0];
    }
    layer.output = y;
    layers.push_back(layer);
  }
  return layers;
}

const DenseLayer* outputLayer(const ir::Graph& graph, const std::vector<DenseLayer>& layers) {
  for (const DenseLayer& layer : layers)
    if (layer.output == graph.prediction) return &layer;
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
