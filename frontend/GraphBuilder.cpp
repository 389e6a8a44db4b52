#include "frontend/GraphBuilder.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "analysis/ActivationFacts.h"

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
  bool saturates = analysis::ActivationFacts(exprs, act.body, act.input, parameters).saturates();
  return saturates ? ir::GraphNode::Init::Xavier : ir::GraphNode::Init::He;
}


// Builds the graph value by value; values[i] becomes graph value ids[i].
class ForwardBuilder {
public:
  ForwardBuilder(const ModelDef& model, ir::ExprContext& exprs) : model_(model), exprs_(exprs), graph_(exprs) {}

  ir::Graph run() {
    graph_.bind(ir::PortRole::Samples, samplesName(),
                graph_.result(graph_.add(node(ir::GraphOp::Input, {}), {samplesShape()})));
    // What the loss compares with: class labels, or real-valued targets.
    if (model_.targetSize > 0)
      graph_.bind(ir::PortRole::Targets, "targets",
                  graph_.result(graph_.add(node(ir::GraphOp::Targets, {}), {{ir::kBatch, model_.targetSize}})));
    else
      graph_.bind(ir::PortRole::Targets, "labels",
                  graph_.result(graph_.addTyped(node(ir::GraphOp::Labels, {}), {{ir::ElementType::I32, {ir::kBatch}}})));
    for (const ValueDef& value : model_.values) ids_.push_back(build(value));
    graph_.bind(ir::PortRole::Prediction, model_.values[model_.output].name, ids_[model_.output]);
    ir::GraphNode loss = node(ir::GraphOp::Loss, {graph_.prediction(), graph_.labels()});
    loss.loss = model_.loss;
    loss.range = model_.lossRange;
    graph_.bind(ir::PortRole::Loss, "loss", inferred(std::move(loss)));
    return std::move(graph_);
  }

private:
  // The samples' name: the model's input, or "input" for several (each a
  // column range of it).
  std::string samplesName() const {
    std::string name;
    int inputs = 0;
    for (const ValueDef& value : model_.values)
      if (value.kind == ValueDef::Kind::Input && ++inputs == 1) name = value.name;
    return inputs == 1 && !name.empty() ? name : "input";
  }

  // The samples' shape: one image input's [N, C, H, W], else [N, features]
  // (several inputs are column ranges of it).
  ir::TensorShape samplesShape() const {
    const ValueDef* only = nullptr;
    int inputs = 0;
    for (const ValueDef& value : model_.values)
      if (value.kind == ValueDef::Kind::Input && ++inputs == 1) only = &value;
    return inputs == 1 ? only->shape() : ir::TensorShape{ir::kBatch, model_.inputSize};
  }

  // A node whose result [N, width] its builder declares (maps, slices).
  ir::ValueId add(ir::GraphNode n, int64_t width) { return add(std::move(n), ir::TensorShape{ir::kBatch, width}); }
  ir::ValueId add(ir::GraphNode n, ir::TensorShape shape) {
    return graph_.result(graph_.add(std::move(n), {std::move(shape)}));
  }
  // A node whose result type its op's rule infers.
  ir::ValueId inferred(ir::GraphNode n) { return graph_.result(graph_.add(std::move(n))); }

  ir::ValueId build(const ValueDef& value) {
    std::vector<ir::ValueId> operands;
    for (size_t operand : value.operands) operands.push_back(ids_[operand]);
    switch (value.kind) {
      case ValueDef::Kind::Input: {
        bool whole = value.firstColumn == 0 && value.width == model_.inputSize;
        if (whole) return graph_.input();
        ir::GraphNode slice = node(ir::GraphOp::Slice, {graph_.input()});
        slice.firstColumn = value.firstColumn;
        ir::ValueId columns = add(std::move(slice), value.width);
        return value.image.empty() ? columns : reshape(value, columns);  // an image among several inputs
      }
      case ValueDef::Kind::Conv2d: return conv2d(value, operands[0]);
      case ValueDef::Kind::MaxPool2d:
      case ValueDef::Kind::AvgPool2d:
      case ValueDef::Kind::GlobalAvgPool: {
        bool max = value.kind == ValueDef::Kind::MaxPool2d;
        ir::GraphNode pool = node(max ? ir::GraphOp::MaxPool2d : ir::GraphOp::AvgPool2d, operands);
        pool.window = value.window;
        pool.range = value.range;
        pool.layer = value.name;
        ir::ValueId pooled = inferred(std::move(pool));
        return value.kind == ValueDef::Kind::GlobalAvgPool ? reshape(value, pooled) : pooled;
      }
      case ValueDef::Kind::Reshape: return reshape(value, operands[0]);
      case ValueDef::Kind::BatchNorm: return batchNorm(value, operands[0]);
      case ValueDef::Kind::Embedding: {
        ir::ValueId weight =
            parameterOf(value, "weight", {value.vocabulary, value.dimension}, ir::GraphNode::Init::Normal);
        ir::GraphNode lookup = node(ir::GraphOp::Embedding, {operands[0], weight});
        lookup.range = value.range;
        lookup.layer = value.name;
        return inferred(std::move(lookup));
      }
      case ValueDef::Kind::Dropout: {
        ir::GraphNode drop = node(ir::GraphOp::Dropout, operands);
        drop.probability = value.probability;
        drop.stream = dropouts_++;  // each dropout its own masks
        drop.range = value.range;
        drop.layer = value.name;
        return inferred(std::move(drop));
      }
      case ValueDef::Kind::Dense: return dense(model_.layers[value.layer], operands[0]);
      case ValueDef::Kind::Formula: {
        ir::ValueId y = formula(value, operands);
        // An activation of a convolution: its channels are units the dead-unit monitor watches.
        const ValueDef& operand = model_.values[value.operands[0]];
        if (value.operands.size() == 1 && operand.kind == ValueDef::Kind::Conv2d)
          graph_.layerApplications.push_back({value.name, ids_[operand.operands[0]], operands[0], y,
                                              ir::Graph::LayerApplication::Kind::Convolution});
        return y;
      }
      case ValueDef::Kind::Concat: return inferred(node(ir::GraphOp::Concat, operands));
      case ValueDef::Kind::Slice: {
        ir::GraphNode slice = node(ir::GraphOp::Slice, operands);
        slice.firstColumn = value.firstColumn;
        return add(std::move(slice), value.width);
      }
      case ValueDef::Kind::LayerNorm: return layerNorm(value, operands[0]);
      case ValueDef::Kind::Softmax: {
        ir::GraphNode softmax = node(ir::GraphOp::Softmax, operands);
        softmax.range = value.range;
        softmax.layer = value.name;  // what lints and reports call it
        return inferred(std::move(softmax));
      }
    }
    return -1;
  }

  // The parameters of a layer, made at its first application; a shared
  // layer's later applications read the same ones.
  struct LayerParameters {
    ir::ValueId weight, bias;
    std::vector<std::vector<ir::ValueId>> activation;  // per activation, per learnable parameter
  };

  LayerParameters& parametersOf(const LayerDef& layer, int64_t features) {
    auto [it, first] = parameters_.try_emplace(&layer);
    if (!first) return it->second;
    LayerParameters& made = it->second;
    made.weight = parameter(graph_, layer.name + ".weight", {layer.units, features}, layer, weightInit(layer, exprs_));
    made.bias = parameter(graph_, layer.name + ".bias", {layer.units}, layer, ir::GraphNode::Init::Zero);
    return made;
  }

  // The learnable parameters of the layer's activation `a`, made where the
  // first application's Map needs them (so they follow its product in the
  // graph, as checkpoints and AOT layouts have always listed them).
  const std::vector<ir::ValueId>& activationParameters(const LayerDef& layer, LayerParameters& made, size_t a) {
    if (a < made.activation.size()) return made.activation[a];
    const LayerActivation& act = layer.activations[a];
    std::vector<ir::ValueId>& ids = made.activation.emplace_back();
    for (const LearnableParameter& p : act.learnable)
      ids.push_back(parameter(graph_, activationParameterName(layer, act, p), {p.perUnit ? act.units : 1}, layer,
                              ir::GraphNode::Init::Constant, p.initialValue));
    return ids;
  }

  // `formula` of `inputVars` over columns [firstColumn, firstColumn + columns).
  static ir::MapSegment mapSegment(int64_t firstColumn, int64_t columns, const std::string& activation,
                                   SourceRange range, std::vector<std::string> inputVars, ir::ExprRef formula) {
    ir::MapSegment segment;
    segment.firstColumn = firstColumn;
    segment.columns = columns;
    segment.origin.activation = activation;
    segment.origin.range = range;
    segment.inputVars = std::move(inputVars);
    segment.outputs = {formula};
    return segment;
  }

  // z = x W^T + b, then the layer's activations by column range, or softmax.
  ir::ValueId dense(const LayerDef& layer, ir::ValueId x) {
    int64_t features = graph_.value(x).shape.back();
    LayerParameters& parameters = parametersOf(layer, features);
    ir::ValueId weight = parameters.weight, bias = parameters.bias;
    ir::GraphNode product = node(ir::GraphOp::MatMul, {x, weight}, &layer);
    product.transposeB = true;
    ir::ValueId productValue = inferred(std::move(product));
    ir::ValueId z = inferred(node(ir::GraphOp::AddBias, {productValue, bias}, &layer));
    if (!layer.activations.empty()) {
      ir::GraphNode map = node(ir::GraphOp::Map, {z}, &layer);
      for (size_t a = 0; a < layer.activations.size(); ++a) {
        const LayerActivation& act = layer.activations[a];
        ir::MapSegment segment = mapSegment(act.firstUnit, act.units, act.name, act.range, {act.input}, act.body);
        const std::vector<ir::ValueId>& ids = activationParameters(layer, parameters, a);
        for (size_t k = 0; k < act.learnable.size(); ++k)
          segment.params.push_back({act.learnable[k].name, ids[k], act.learnable[k].perUnit});
        map.segments.push_back(std::move(segment));
      }
      z = add(std::move(map), layer.units);
    }
    if (layer.softmax) {
      ir::GraphNode softmax = node(ir::GraphOp::Softmax, {z}, &layer);
      softmax.range = layer.softmaxRange;
      z = inferred(std::move(softmax));
    }
    graph_.layerApplications.push_back({layer.name, x, productValue, z});
    return z;
  }

  // A parameter of a value's op, named after the value as torch names a
  // module's ("n.weight", "bn.running_mean"); `trained` false for a
  // statistic its op updates.
  ir::ValueId parameterOf(const ValueDef& value, const char* suffix, ir::TensorShape shape, ir::GraphNode::Init init,
                          bool trained = true) {
    ir::GraphNode p = node(ir::GraphOp::Parameter, {});
    p.name = value.name + "." + suffix;
    p.init = init;
    p.trained = trained;
    p.layer = value.name;
    p.range = value.range;
    return graph_.result(graph_.add(std::move(p), {std::move(shape)}));
  }

  // torch.nn.LayerNorm(F) on the value: its scale and shift are parameters
  // named after it, as torch names a LayerNorm module's ("n.weight", "n.bias").
  ir::ValueId layerNorm(const ValueDef& value, ir::ValueId x) {
    ir::ValueId gamma = parameterOf(value, "weight", {value.width}, ir::GraphNode::Init::One);
    ir::ValueId beta = parameterOf(value, "bias", {value.width}, ir::GraphNode::Init::Zero);
    ir::GraphNode norm = node(ir::GraphOp::LayerNorm, {x, gamma, beta});
    norm.range = value.range;
    norm.layer = value.name;
    return inferred(std::move(norm));
  }

  // torch.nn.BatchNorm1d/2d on the value, per channel: its scale and shift
  // NAME.weight (from 1) and NAME.bias, and its running statistics
  // NAME.running_mean (from 0) and NAME.running_var (from 1), which the
  // training step updates and no optimiser trains.
  ir::ValueId batchNorm(const ValueDef& value, ir::ValueId x) {
    int64_t channels = graph_.value(x).shape[1];
    using Init = ir::GraphNode::Init;
    std::vector<ir::ValueId> operands = {x, parameterOf(value, "weight", {channels}, Init::One),
                                         parameterOf(value, "bias", {channels}, Init::Zero),
                                         parameterOf(value, "running_mean", {channels}, Init::Zero, false),
                                         parameterOf(value, "running_var", {channels}, Init::One, false)};
    ir::GraphNode norm = node(ir::GraphOp::BatchNorm, operands);
    norm.epsilon = value.epsilon;
    norm.momentum = value.momentum;
    norm.range = value.range;
    norm.layer = value.name;
    return inferred(std::move(norm));
  }

  // `x` in the value's shape (the same elements per sample).
  ir::ValueId reshape(const ValueDef& value, ir::ValueId x) {
    ir::GraphNode n = node(ir::GraphOp::Reshape, {x});
    n.range = value.range;
    n.layer = value.name;
    return add(std::move(n), value.shape());
  }

  // torch.nn.Conv2d on the image: its weight [O, C/groups, k, k] and bias
  // [O] are parameters named after the value ("c1.weight", "c1.bias"). He
  // initialisation: a convolution is most often followed by relu or one of
  // its smooth kin.
  ir::ValueId conv2d(const ValueDef& value, ir::ValueId x) {
    const ir::OpAttributes::Window& w = value.window;
    int64_t inputChannels = graph_.value(x).shape[1];
    ir::ValueId weight = parameterOf(value, "weight", {value.image[0], inputChannels / w.groups, w.kernel, w.kernel},
                                     ir::GraphNode::Init::He);
    ir::ValueId bias = parameterOf(value, "bias", {value.image[0]}, ir::GraphNode::Init::Zero);
    ir::GraphNode conv = node(ir::GraphOp::Conv2d, {x, weight, bias});
    conv.window = w;
    conv.range = value.range;
    conv.layer = value.name;
    return inferred(std::move(conv));
  }

  // An elementwise formula of values: one Map over all their columns, its
  // learnable parameters named after the value ("y.a"). A parameter per
  // unit (`per_unit`) has one element per feature, read per column, or one
  // per channel of an image: then the Map has a segment per channel, each
  // reading its channel's element as a scalar (torch's PReLU(C)).
  ir::ValueId formula(const ValueDef& value, const std::vector<ir::ValueId>& operands) {
    ir::GraphNode map = node(ir::GraphOp::Map, operands);
    map.range = value.range;
    map.layer = value.name;
    const bool channels = !value.image.empty();
    const int64_t units = channels ? value.image[0] : value.width, perUnit = value.width / units;
    std::vector<std::pair<const LearnableParameter*, ir::ValueId>> parameters;
    for (const LearnableParameter& p : value.learnable) {
      ir::GraphNode parameterNode = node(ir::GraphOp::Parameter, {});
      parameterNode.name = value.name + "." + p.name;
      parameterNode.init = ir::GraphNode::Init::Constant;
      parameterNode.initialValue = p.initialValue;
      parameterNode.layer = value.name;
      parameterNode.range = value.range;
      parameters.emplace_back(&p, graph_.result(graph_.add(std::move(parameterNode), {{p.perUnit ? units : 1}})));
    }
    bool perChannel = channels && std::any_of(value.learnable.begin(), value.learnable.end(),
                                              [](const LearnableParameter& p) { return p.perUnit; });
    for (int64_t c = 0; c < (perChannel ? units : 1); ++c) {
      int64_t first = perChannel ? c * perUnit : 0, columns = perChannel ? perUnit : value.width;
      ir::MapSegment segment = mapSegment(first, columns, value.activation.empty() ? value.name : value.activation,
                                          value.range, value.vars, value.formula);
      for (auto [p, id] : parameters)
        segment.params.push_back({p->name, id, p->perUnit && !channels, p->perUnit && channels ? c : 0});
      map.segments.push_back(std::move(segment));
    }
    return add(std::move(map), value.shape());
  }

  const ModelDef& model_;
  ir::ExprContext& exprs_;
  ir::Graph graph_;
  std::vector<ir::ValueId> ids_;
  std::map<const LayerDef*, LayerParameters> parameters_;
  uint64_t dropouts_ = 0;
};

}  // namespace

// A parameter named like the layer's own tensors ("weight", "bias") keeps
// its activation's name too.
std::string activationParameterName(const LayerDef& layer, const LayerActivation& act, const LearnableParameter& p) {
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

ir::Graph buildForwardGraph(const ModelDef& model, ir::ExprContext& exprs) { return ForwardBuilder(model, exprs).run(); }

}  // namespace nnc::frontend
