#include "frontend/GraphBuilder.h"

#include <cmath>

#include <fmt/format.h>

#include "ir/ActivationFacts.h"

namespace nnc::frontend {

namespace {

ir::GraphNode node(ir::GraphOp op, std::vector<ir::ValueId> operands, const LayerDef* layer = nullptr) {
  ir::GraphNode n;
  n.op = op;
  n.operands = std::move(operands);
  if (layer) {
    n.layer = layer->name;
    n.range = layer->range;
  }
  return n;
}

ir::ValueId parameter(ir::Graph& graph, const std::string& name, ir::TensorShape shape, const LayerDef& layer,
                      ir::GraphNode::Init init, double initialValue = 0) {
  ir::GraphNode p = node(ir::GraphOp::Parameter, {}, &layer);
  p.name = name;
  p.init = init;
  p.initialValue = initialValue;
  return graph.result(graph.add(std::move(p), {std::move(shape)}));
}

// Xavier/Glorot suits activations that saturate on both sides (sigmoid,
// tanh, softsign) and linear layers; He suits everything with slope ~1 on at
// least one side (relu, leaky relu, elu, swish, gelu, ...). Decided from the
// formula: its derivative far out on both sides.
ir::GraphNode::Init weightInit(const LayerDef& layer, ir::ExprContext& exprs) {
  if (layer.activations.empty()) return ir::GraphNode::Init::Xavier;
  const LayerActivation& act = layer.activations.front();
  std::vector<std::pair<std::string, double>> parameters;
  for (const LearnableParameter& p : act.learnable) parameters.emplace_back(p.name, p.initialValue);
  bool saturates = ir::ActivationFacts(exprs, act.body, act.input, parameters).saturates();
  return saturates ? ir::GraphNode::Init::Xavier : ir::GraphNode::Init::He;
}

// The checkpoint name of a learnable activation parameter, unique in the
// model: PReLU's slope in fc1 is "fc1.a"; in a mixed layer "fc1.prelu.a",
// and "fc1.prelu_2.a" for the layer's second prelu range; a parameter named
// like the layer's own tensors ("weight", "bias") keeps its activation's name.
std::string parameterName(const LayerDef& layer, const LayerActivation& act, const LearnableParameter& p) {
  bool mixed = layer.activations.size() > 1;
  bool clashes = p.name == "weight" || p.name == "bias";
  if (!mixed && !clashes) return layer.name + "." + p.name;
  int occurrence = 0, total = 0;
  for (const LayerActivation& other : layer.activations) {
    if (other.name != act.name) continue;
    ++total;
    if (&other <= &act) ++occurrence;
  }
  std::string owner = total > 1 ? fmt::format("{}_{}", act.name, occurrence) : act.name;
  return layer.name + "." + owner + "." + p.name;
}

}  // namespace

ir::Graph buildForwardGraph(const ModelDef& model, ir::ExprContext& exprs) {
  ir::Graph graph(exprs);
  graph.input = graph.result(graph.add(node(ir::GraphOp::Input, {}), {{ir::kBatch, model.inputSize}}));
  graph.labels = graph.result(graph.add(node(ir::GraphOp::Labels, {}), {{ir::kBatch}}));
  ir::ValueId x = graph.input;
  int64_t features = model.inputSize;
  for (const LayerDef& layer : model.layers) {
    ir::ValueId weight =
        parameter(graph, layer.name + ".weight", {layer.units, features}, layer, weightInit(layer, exprs));
    ir::ValueId bias = parameter(graph, layer.name + ".bias", {layer.units}, layer, ir::GraphNode::Init::Zero);
    ir::GraphNode product = node(ir::GraphOp::MatMul, {x, weight}, &layer);
    product.transposeB = true;
    ir::ValueId z = graph.result(graph.add(std::move(product), {{ir::kBatch, layer.units}}));
    z = graph.result(graph.add(node(ir::GraphOp::AddBias, {z, bias}, &layer), {{ir::kBatch, layer.units}}));
    if (!layer.activations.empty()) {
      ir::GraphNode map = node(ir::GraphOp::Map, {z}, &layer);
      for (const LayerActivation& act : layer.activations) {
        ir::MapSegment segment;
        segment.firstColumn = act.firstUnit;
        segment.columns = act.units;
        segment.activation = act.name;
        segment.range = act.range;
        segment.inputVars = {act.input};
        segment.outputs = {act.body};
        for (const LearnableParameter& p : act.learnable) {
          std::string name = parameterName(layer, act, p);
          ir::ValueId value = parameter(graph, name, {p.perUnit ? act.units : 1}, layer,
                                        ir::GraphNode::Init::Constant, p.initialValue);
          segment.params.push_back({p.name, value, p.perUnit});
        }
        map.segments.push_back(std::move(segment));
      }
      z = graph.result(graph.add(std::move(map), {{ir::kBatch, layer.units}}));
    }
    if (layer.softmax) {
      ir::GraphNode softmax = node(ir::GraphOp::Softmax, {z}, &layer);
      softmax.range = layer.softmaxRange;
      z = graph.result(graph.add(std::move(softmax), {{ir::kBatch, layer.units}}));
    }
    x = z;
    features = layer.units;
  }
  graph.prediction = x;
  ir::GraphNode loss = node(ir::GraphOp::Loss, {x, graph.labels});
  loss.loss = model.loss;
  loss.range = model.lossRange;
  graph.loss = graph.result(graph.add(std::move(loss), {{1}}));
  return graph;
}

}  // namespace nnc::frontend
