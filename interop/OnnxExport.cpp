#include "interop/OnnxExport.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <stdexcept>
#include <sstream>

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/defs/printer.h>
#include <onnx/shape_inference/implementation.h>

#include "interop/OnnxFormulas.h"
#include "ir/GraphAncestors.h"

namespace nnc::interop {

namespace {

using ir::GraphNode;
using ir::GraphOp;
using ir::TensorShape;
using ir::ValueId;

void setShape(onnx::ValueInfoProto& info, const std::string& name, const TensorShape& shape) {
  info.set_name(name);
  onnx::TypeProto_Tensor& tensor = *info.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) {
    onnx::TensorShapeProto_Dimension& dim = *tensor.mutable_shape()->add_dim();
    if (d == ir::kBatch) dim.set_dim_param("N");
    else dim.set_dim_value(d);
  }
}

// Every op ONNX names differently, or that needs more than one node, has
// a function here; the exporter visits the nodes the prediction needs, in
// order, and gives each result a tensor.
class Exporter {
public:
  Exporter(const ir::Graph& graph, const ParameterValues& parameters, const OnnxExportOptions& options,
           const SourceBuffer* source, Diagnostics& diags)
      : graph_(graph), parameters_(parameters), options_(options), source_(source), diags_(diags),
        nodes_(*model_.mutable_graph()->mutable_node()), tensors_(graph.numValues()) {}

  std::optional<onnx::ModelProto> run();

private:
  onnx::GraphProto& onnxGraph() { return *model_.mutable_graph(); }
  const TensorShape& shapeOf(ValueId value) const { return graph_.value(value).shape; }
  // The tensor holding `value` (a parameter's initializer on first use).
  std::string tensorOf(ValueId value);
  // The name of the tensor for the node's result `k`: the prediction's
  // port name, else its layer's (fresh).
  std::string nameFor(const GraphNode& node, size_t k = 0);
  void bind(const GraphNode& node, const std::string& tensor, size_t result = 0) { tensors_[node.results[result]] = tensor; }
  std::string add(const GraphNode& node, std::string_view opType, const std::vector<std::string>& inputs);
  std::string initializer(const std::string& hint, const TensorShape& dims, const float* values);
  // A value seen as rows [N, everything after the batch] and back.
  std::string rows(const std::string& tensor, const TensorShape& shape);
  std::string unrows(const std::string& tensor, const TensorShape& shape);
  std::string columns(const std::string& tensor, int64_t first, int64_t count);

  bool exportNode(const GraphNode& node);
  void exportMatMul(const GraphNode& node, const GraphNode* bias);
  void exportMap(const GraphNode& node);
  void exportEmbedding(const GraphNode& node);
  void exportWindowed(const GraphNode& node, const char* opType);
  bool cannotExport(const GraphNode& node, const char* why);

  struct Run;
  // The run's formulas' values, named `names` where the formulas allow.
  std::vector<std::string> lowerRun(const Run& run, const std::vector<std::string>& operands,
                                    const std::vector<std::string>& parameters, const std::vector<std::string>& names);
  std::string runParameter(const Run& run, size_t param, bool wholeRows, const TensorShape& shape);
  // The call's outputs, named `names`.
  std::vector<std::string> callFunction(const ir::MapSegment& segment, std::vector<std::string> inputs,
                                        const std::vector<std::string>& names);

  const ir::Graph& graph_;
  const ParameterValues& parameters_;
  const OnnxExportOptions& options_;
  const SourceBuffer* source_;
  Diagnostics& diags_;
  onnx::ModelProto model_;
  OnnxNodeList nodes_;
  std::vector<std::string> tensors_;
  ValueId prediction_;
  std::string predictionName_;
  std::set<std::string> unclaimedParameters_;  // parameter names no initializer has taken yet
  std::set<ValueId> fusedIntoGemm_;          // products their bias addition exports, as one Gemm
  std::map<std::string, std::string> functionBodies_;  // a function's serialised body -> its name
};

// A run of consecutive Map segments that compute the same formulas (the
// per-channel segments of an image, a mixed layer's ranges): one
// computation over its columns, its parameters one value per column.
struct Exporter::Run {
  std::vector<const ir::MapSegment*> segments;
  int64_t firstColumn = 0, columns = 0;
};

// `value`, the lowered `formula` of `segment`, in `operand`'s shape: a
// formula of constants and parameters alone (no input of the segment) is
// expanded to it.
std::string shapedLike(OnnxNodeList& nodes, const ir::MapSegment& segment, ir::ExprRef formula, std::string value,
                       const std::string& operand) {
  bool readsAnInput = std::any_of(segment.inputVars.begin(), segment.inputVars.end(),
                                  [&](const std::string& var) { return ir::dependsOn(formula, var); });
  if (readsAnInput) return value;
  return OnnxNodeList::output(nodes.add("Expand", {value, OnnxNodeList::output(nodes.add("Shape", {operand}))}));
}

bool sameFormulas(const ir::MapSegment& a, const ir::MapSegment& b) {
  if (a.outputs != b.outputs || a.inputVars != b.inputVars || a.params.size() != b.params.size()) return false;
  for (size_t i = 0; i < a.params.size(); ++i)
    if (a.params[i].var != b.params[i].var || a.params[i].perColumn != b.params[i].perColumn) return false;
  return true;
}

std::string Exporter::tensorOf(ValueId value) {
  std::string& tensor = tensors_[static_cast<size_t>(value)];
  if (!tensor.empty()) return tensor;
  const GraphNode& producer = graph_.nodes()[static_cast<size_t>(graph_.value(value).producer)];
  // Only a parameter is exported where it is first read.
  auto it = parameters_.find(producer.name);
  if (producer.op != GraphOp::Parameter || it == parameters_.end())
    throw std::logic_error("ONNX export: no tensor for value " + std::to_string(value));
  return tensor = initializer(producer.name, it->second.shape, it->second.values.data());
}

std::string Exporter::initializer(const std::string& hint, const TensorShape& dims, const float* values) {
  onnx::TensorProto& tensor = *onnxGraph().add_initializer();
  // A parameter's own values keep its name, which was reserved for them.
  tensor.set_name(unclaimedParameters_.erase(hint) ? hint : nodes_.fresh(hint));
  tensor.set_data_type(onnx::TensorProto::FLOAT);
  int64_t count = 1;
  for (int64_t d : dims) {
    tensor.add_dims(d);
    count *= d;
  }
  // raw_data is little-endian float32, as x86 holds it.
  tensor.set_raw_data(std::string(reinterpret_cast<const char*>(values), static_cast<size_t>(count) * sizeof(float)));
  return tensor.name();
}

std::string Exporter::nameFor(const GraphNode& node, size_t k) {
  ValueId result = node.results[k];
  if (result == prediction_) return predictionName_;
  const char* spelling = ir::graphOpInfo(node.op).spelling;
  if (node.layer.empty()) return nodes_.fresh(spelling);
  if (node.op == GraphOp::Map || graph_.isLayerOutput(result)) return nodes_.fresh(node.layer);
  return nodes_.fresh(node.layer + "." + spelling);
}

std::string Exporter::add(const GraphNode& node, std::string_view opType, const std::vector<std::string>& inputs) {
  return OnnxNodeList::output(nodes_.add(opType, inputs, nameFor(node)));
}

std::string Exporter::rows(const std::string& tensor, const TensorShape& shape) {
  if (shape.size() <= 2) return tensor;
  onnx::NodeProto& flatten = nodes_.add("Flatten", {tensor});
  setAttribute(flatten, "axis", int64_t{1});
  return OnnxNodeList::output(flatten);
}

std::string Exporter::unrows(const std::string& tensor, const TensorShape& shape) {
  if (shape.size() <= 2) return tensor;
  std::vector<int64_t> target{0};  // 0: the batch dimension as it is (an empty batch too)
  target.insert(target.end(), shape.begin() + 1, shape.end());
  return OnnxNodeList::output(nodes_.add("Reshape", {tensor, nodes_.constant(target)}));
}

std::string Exporter::columns(const std::string& tensor, int64_t first, int64_t count) {
  return OnnxNodeList::output(nodes_.add("Slice", {tensor, nodes_.constant(std::vector<int64_t>{first}),
                                                   nodes_.constant(std::vector<int64_t>{first + count}),
                                                   nodes_.constant(std::vector<int64_t>{1})}));
}

bool Exporter::cannotExport(const GraphNode& node, const char* why) {
  diags_.error(source_, node.range,
               fmt::format("cannot export '{}' to ONNX: {}", ir::graphOpInfo(node.op).spelling, why));
  return false;
}

void Exporter::exportMatMul(const GraphNode& node, const GraphNode* bias) {
  std::vector<std::string> inputs{tensorOf(node.operands[0]), tensorOf(node.operands[1])};
  if (bias) inputs.push_back(tensorOf(bias->operands[1]));
  const GraphNode& named = bias ? *bias : node;
  std::string product = add(named, "Gemm", inputs);
  onnx::NodeProto& gemm = *onnxGraph().mutable_node()->rbegin();
  if (node.transposeA) setAttribute(gemm, "transA", int64_t{1});
  if (node.transposeB) setAttribute(gemm, "transB", int64_t{1});
  bind(named, product);
}

// The window of a convolution or pool: kernel_shape, strides, pads (the
// same on each side) and, for a convolution, dilations and group.
void Exporter::exportWindowed(const GraphNode& node, const char* opType) {
  std::vector<std::string> inputs;
  for (ValueId operand : node.operands) inputs.push_back(tensorOf(operand));
  std::string output = add(node, opType, inputs);
  onnx::NodeProto& onnxNode = *onnxGraph().mutable_node()->rbegin();
  const ir::OpAttributes::Window& w = node.window;
  int64_t kernel = w.kernel;
  if (node.op == GraphOp::Conv2d) kernel = shapeOf(node.operands[1])[2];
  setAttribute(onnxNode, "kernel_shape", std::vector<int64_t>{kernel, kernel});
  setAttribute(onnxNode, "strides", std::vector<int64_t>{w.stride, w.stride});
  setAttribute(onnxNode, "pads", std::vector<int64_t>{w.padding, w.padding, w.padding, w.padding});
  if (node.op == GraphOp::Conv2d) {
    setAttribute(onnxNode, "dilations", std::vector<int64_t>{w.dilation, w.dilation});
    setAttribute(onnxNode, "group", w.groups);
  }
  if (node.op == GraphOp::AvgPool2d) setAttribute(onnxNode, "count_include_pad", int64_t{1});
  bind(node, output);
}

// embedding(x, w): x's features are row indices of w, as floats. nnc's
// rule: an index that is not a whole number in [0, V) selects a row of
// NaN. ONNX's Gather rejects such an index, so it reads row 0 instead and
// Where puts the NaNs in.
void Exporter::exportEmbedding(const GraphNode& node) {
  std::string indices = tensorOf(node.operands[0]);
  std::string table = tensorOf(node.operands[1]);
  const TensorShape& tableShape = shapeOf(node.operands[1]);
  auto op = [&](const char* type, std::vector<std::string> inputs) {
    return OnnxNodeList::output(nodes_.add(type, inputs));
  };
  std::string zero = nodes_.constant(0.0f);
  std::string valid = op("And", {op("And", {op("GreaterOrEqual", {indices, zero}),
                                            op("Less", {indices, nodes_.constant(float(tableShape[0]))})}),
                                 op("Equal", {indices, op("Floor", {indices})})});
  onnx::NodeProto& cast = nodes_.add("Cast", {op("Where", {valid, indices, zero})});
  setAttribute(cast, "to", int64_t{onnx::TensorProto::INT64});
  onnx::NodeProto& gather = nodes_.add("Gather", {table, OnnxNodeList::output(cast)});
  setAttribute(gather, "axis", int64_t{0});
  std::string validRows = op("Unsqueeze", {valid, nodes_.constant(std::vector<int64_t>{2})});
  std::string selected = op("Where", {validRows, OnnxNodeList::output(gather), nodes_.constant(std::nanf(""))});
  bind(node, add(node, "Reshape", {selected, nodes_.constant(std::vector<int64_t>{0, shapeOf(node.results[0])[1]})}));
}

// One parameter of a run as a tensor that broadcasts against the run's
// operands: a scalar where every column reads the same element, [C, 1, 1]
// where each channel of an image reads one, else one value per column.
// It keeps the parameter's name where it holds the parameter as it is.
std::string Exporter::runParameter(const Run& run, size_t param, bool wholeRows, const TensorShape& shape) {
  const ir::MapSegment::Param& first = run.segments.front()->params[param];
  const GraphNode& producer = graph_.nodes()[static_cast<size_t>(graph_.value(first.value).producer)];
  auto found = parameters_.find(producer.name);
  if (producer.op != GraphOp::Parameter || found == parameters_.end())
    throw std::logic_error("ONNX export: a formula parameter that is not a trained parameter");
  const std::vector<float>& all = found->second.values;
  auto named = [&](const std::vector<float>& values, const char* suffix) {
    return values == all ? producer.name : producer.name + suffix;
  };
  bool oneElement = true, onePerChannel = wholeRows && shape.size() == 4;
  int64_t plane = onePerChannel ? shape[2] * shape[3] : 0;
  std::vector<float> perSegment, perColumn;
  for (const ir::MapSegment* segment : run.segments) {
    const ir::MapSegment::Param& p = segment->params[param];
    oneElement = oneElement && !p.perColumn && p.firstElement == first.firstElement;
    onePerChannel = onePerChannel && !p.perColumn && segment->columns == plane &&
                    segment->firstColumn == static_cast<int64_t>(perSegment.size()) * plane;
    perSegment.push_back(all[static_cast<size_t>(p.firstElement)]);
    for (int64_t c = 0; c < segment->columns; ++c)
      perColumn.push_back(all[static_cast<size_t>(p.firstElement + (p.perColumn ? c : 0))]);
  }
  if (oneElement) return initializer(named({perSegment[0]}, ".element"), {}, perSegment.data());
  if (onePerChannel && static_cast<int64_t>(perSegment.size()) == shape[1])
    return initializer(named(perSegment, ".channels"), {shape[1], 1, 1}, perSegment.data());
  TensorShape dims{run.columns};
  if (wholeRows) dims.assign(shape.begin() + 1, shape.end());
  return initializer(named(perColumn, ".columns"), dims, perColumn.data());
}

// A run's formulas as a call of a function in the nnc domain, named after
// the activation; the same body is one function however often it is used.
std::vector<std::string> Exporter::callFunction(const ir::MapSegment& segment, std::vector<std::string> inputs,
                                                const std::vector<std::string>& names) {
  onnx::FunctionProto function;
  function.set_domain(kFunctionDomain);
  onnx::OperatorSetIdProto& opset = *function.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);
  OnnxNodeList body(*function.mutable_node());
  std::map<std::string, std::string> formals;
  for (size_t i = 0; i < segment.inputVars.size(); ++i) {
    std::string formal = segment.inputVars.size() == 1 ? "x" : fmt::format("x{}", i);
    formals[segment.inputVars[i]] = formal;
    function.add_input(formal);
    body.reserve(formal);
  }
  for (const ir::MapSegment::Param& p : segment.params) {
    formals[p.var] = p.var;
    function.add_input(p.var);
    body.reserve(p.var);
  }
  FormulaLowering lowering(body, formals);
  for (size_t k = 0; k < segment.outputs.size(); ++k) {
    std::string value = shapedLike(body, segment, segment.outputs[k], lowering.lower(segment.outputs[k]),
                                   function.input(0));
    // A function's output is a node's: an input passed through is copied.
    if (std::find(function.input().begin(), function.input().end(), value) != function.input().end())
      value = OnnxNodeList::output(body.add("Identity", {value}));
    function.add_output(value);
  }
  std::string name = segment.origin.activation.empty() ? "formula" : segment.origin.activation;
  std::string key = function.SerializeAsString();
  auto [it, added] = functionBodies_.try_emplace(key);
  if (added) {
    std::set<std::string> taken;
    for (const onnx::FunctionProto& f : model_.functions()) taken.insert(f.name());
    std::string unique = name;
    for (int k = 2; taken.count(unique); ++k) unique = fmt::format("{}_{}", name, k);
    function.set_name(unique);
    *model_.add_functions() = function;
    it->second = unique;
  }
  onnx::NodeProto& call = nodes_.add(it->second, inputs, names[0]);
  call.set_domain(kFunctionDomain);
  for (size_t k = 1; k < names.size(); ++k) call.add_output(names[k]);
  return names;
}

std::vector<std::string> Exporter::lowerRun(const Run& run, const std::vector<std::string>& operands,
                                            const std::vector<std::string>& parameters,
                                            const std::vector<std::string>& names) {
  const ir::MapSegment& segment = *run.segments.front();
  std::vector<std::string> outputs;
  if (options_.functions) {
    std::vector<std::string> inputs = operands;
    inputs.insert(inputs.end(), parameters.begin(), parameters.end());
    return callFunction(segment, inputs, names);
  }
  std::map<std::string, std::string> tensors;
  for (size_t i = 0; i < segment.inputVars.size(); ++i) tensors[segment.inputVars[i]] = operands[i];
  for (size_t i = 0; i < segment.params.size(); ++i) tensors[segment.params[i].var] = parameters[i];
  FormulaLowering lowering(nodes_, tensors);
  for (size_t k = 0; k < segment.outputs.size(); ++k) {
    ir::ExprRef formula = segment.outputs[k];
    outputs.push_back(shapedLike(nodes_, segment, formula, lowering.lower(formula, names[k]), operands[0]));
  }
  return outputs;
}

void Exporter::exportMap(const GraphNode& node) {
  const TensorShape& shape = shapeOf(node.results[0]);
  std::vector<const ir::MapSegment*> segments;
  for (const ir::MapSegment& segment : node.segments) {
    if (!segment.columnSums.empty()) throw std::logic_error("ONNX export: a map with column sums");
    segments.push_back(&segment);
  }
  std::sort(segments.begin(), segments.end(),
            [](const ir::MapSegment* a, const ir::MapSegment* b) { return a->firstColumn < b->firstColumn; });
  std::vector<Run> runs;
  for (const ir::MapSegment* segment : segments) {
    if (runs.empty() || !sameFormulas(*runs.back().segments.front(), *segment))
      runs.push_back({{}, segment->firstColumn, 0});
    runs.back().segments.push_back(segment);
    runs.back().columns += segment->columns;
  }
  bool wholeRows = runs.size() == 1;
  std::vector<std::string> operands;
  for (ValueId operand : node.operands) operands.push_back(wholeRows ? tensorOf(operand) : rows(tensorOf(operand), shape));
  // Each run computes its columns; a mixed map joins them again.
  std::vector<std::vector<std::string>> runOutputs;
  for (const Run& run : runs) {
    std::vector<std::string> runOperands = operands;
    if (!wholeRows)
      for (std::string& operand : runOperands) operand = columns(operand, run.firstColumn, run.columns);
    std::vector<std::string> parameters;
    for (size_t p = 0; p < run.segments.front()->params.size(); ++p)
      parameters.push_back(runParameter(run, p, wholeRows, shape));
    std::vector<std::string> names;
    for (size_t k = 0; k < node.results.size(); ++k)
      names.push_back(wholeRows ? nameFor(node, k) : nodes_.fresh(node.layer + "." + run.segments.front()->origin.activation));
    runOutputs.push_back(lowerRun(run, runOperands, parameters, names));
  }
  for (size_t k = 0; k < node.results.size(); ++k) {
    if (wholeRows) {
      bind(node, runOutputs[0][k], k);
      continue;
    }
    std::vector<std::string> parts;
    for (const std::vector<std::string>& outputs : runOutputs) parts.push_back(outputs[k]);
    onnx::NodeProto& concat = nodes_.add("Concat", parts, shape.size() <= 2 ? nameFor(node, k) : "");
    setAttribute(concat, "axis", int64_t{1});
    bind(node, unrows(OnnxNodeList::output(concat), shape), k);
  }
}

bool Exporter::exportNode(const GraphNode& node) {
  auto operand = [&](size_t i) { return tensorOf(node.operands[i]); };
  switch (node.op) {
    case GraphOp::Input:
      setShape(*onnxGraph().add_input(), tensors_[node.results[0]], shapeOf(node.results[0]));
      return true;
    case GraphOp::Parameter: return true;  // an initializer where it is read
    case GraphOp::MatMul:
      if (!fusedIntoGemm_.count(node.results[0])) exportMatMul(node, nullptr);
      return true;
    case GraphOp::AddBias: {
      ValueId product = node.operands[0];
      if (fusedIntoGemm_.count(product))
        exportMatMul(graph_.nodes()[static_cast<size_t>(graph_.value(product).producer)], &node);
      else bind(node, add(node, "Add", {operand(0), operand(1)}));
      return true;
    }
    case GraphOp::Map: exportMap(node); return true;
    case GraphOp::Softmax: {
      const TensorShape& shape = shapeOf(node.results[0]);
      onnx::NodeProto& softmax = nodes_.add("Softmax", {rows(operand(0), shape)}, shape.size() <= 2 ? nameFor(node) : "");
      setAttribute(softmax, "axis", int64_t{1});
      bind(node, unrows(OnnxNodeList::output(softmax), shape));
      return true;
    }
    case GraphOp::LayerNorm: {
      const TensorShape& shape = shapeOf(node.results[0]);
      onnx::NodeProto& norm = nodes_.add("LayerNormalization", {rows(operand(0), shape), operand(1), operand(2)},
                                         shape.size() <= 2 ? nameFor(node) : "");
      setAttribute(norm, "axis", int64_t{1});
      setAttribute(norm, "epsilon", static_cast<float>(node.epsilon));
      bind(node, unrows(OnnxNodeList::output(norm), shape));
      return true;
    }
    case GraphOp::BatchNorm: {
      // Inference: the running statistics (ONNX's momentum counts the other way).
      std::string output = add(node, "BatchNormalization", {operand(0), operand(1), operand(2), operand(3), operand(4)});
      onnx::NodeProto& norm = *onnxGraph().mutable_node()->rbegin();
      setAttribute(norm, "epsilon", static_cast<float>(node.epsilon));
      setAttribute(norm, "momentum", static_cast<float>(1 - node.momentum));
      bind(node, output);
      return true;
    }
    case GraphOp::Embedding: exportEmbedding(node); return true;
    case GraphOp::Dropout: bind(node, operand(0)); return true;  // inference: the identity
    case GraphOp::Conv2d: exportWindowed(node, "Conv"); return true;
    case GraphOp::MaxPool2d: exportWindowed(node, "MaxPool"); return true;
    case GraphOp::AvgPool2d: exportWindowed(node, "AveragePool"); return true;
    case GraphOp::Reshape: bind(node, unrows(rows(operand(0), shapeOf(node.operands[0])), shapeOf(node.results[0]))); return true;
    case GraphOp::Concat: {
      std::vector<std::string> parts;
      for (size_t i = 0; i < node.operands.size(); ++i) parts.push_back(rows(operand(i), shapeOf(node.operands[i])));
      std::string output = add(node, "Concat", parts);
      setAttribute(*onnxGraph().mutable_node()->rbegin(), "axis", int64_t{1});
      bind(node, output);
      return true;
    }
    case GraphOp::Slice:
      bind(node, unrows(columns(rows(operand(0), shapeOf(node.operands[0])), node.firstColumn,
                                ir::rowWidth(shapeOf(node.results[0]))),
                        shapeOf(node.results[0])));
      return true;
    case GraphOp::Labels:
    case GraphOp::Targets: return cannotExport(node, "the prediction reads the training targets");
    case GraphOp::Loss:
    case GraphOp::Mean: return cannotExport(node, "a loss is part of training, not of the model's prediction");
    case GraphOp::ColumnSum:
    case GraphOp::SoftmaxGrad:
    case GraphOp::LossGrad:
    case GraphOp::MeanGrad:
    case GraphOp::LayerNormGrad:
    case GraphOp::BatchNormGrad:
    case GraphOp::EmbeddingGrad:
    case GraphOp::DropoutGrad:
    case GraphOp::Conv2dInputGrad:
    case GraphOp::Conv2dWeightGrad:
    case GraphOp::MaxPool2dGrad:
    case GraphOp::AvgPool2dGrad:
    case GraphOp::PadColumns: return cannotExport(node, "a gradient is part of training, not of the model's prediction");
  }
  return true;
}

std::optional<onnx::ModelProto> Exporter::run() {
  model_.set_ir_version(onnx::IR_VERSION);
  model_.set_producer_name("nnc");
  model_.set_producer_version(options_.producerVersion);
  onnx::OperatorSetIdProto& opset = *model_.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);
  onnxGraph().set_name(options_.graphName);

  prediction_ = graph_.prediction();
  std::vector<bool> needed = ir::ancestorNodesOfValue(graph_, prediction_);
  // The interface keeps the model's names.
  for (const ir::GraphPort& port : graph_.inputs()) {
    tensors_[port.value] = port.name;
    nodes_.reserve(port.name);
  }
  for (const ir::GraphPort& port : graph_.outputs())
    if (port.role == ir::PortRole::Prediction) predictionName_ = port.name;
  nodes_.reserve(predictionName_);
  for (const auto& [name, value] : parameters_) {
    nodes_.reserve(name);
    unclaimedParameters_.insert(name);
  }
  // A product only a bias addition reads is one Gemm with it.
  std::vector<std::vector<size_t>> readers = graph_.readers();
  for (size_t n = 0; n < graph_.nodes().size(); ++n) {
    const GraphNode& node = graph_.nodes()[n];
    if (node.op != GraphOp::AddBias || !needed[n]) continue;
    ValueId product = node.operands[0];
    const GraphNode& producer = graph_.nodes()[static_cast<size_t>(graph_.value(product).producer)];
    if (producer.op == GraphOp::MatMul && readers[product].size() == 1 && shapeOf(product).size() == 2)
      fusedIntoGemm_.insert(product);
  }
  // A prediction that is itself no part of a forward graph is the error
  // to report, rather than the first node it needs.
  const GraphNode& last = graph_.nodes()[static_cast<size_t>(graph_.value(prediction_).producer)];
  ir::GraphOpRole role = ir::graphOpInfo(last.op).role;
  if ((role == ir::GraphOpRole::Backward || role == ir::GraphOpRole::Loss) && !exportNode(last)) return std::nullopt;
  for (size_t n = 0; n < graph_.nodes().size(); ++n)
    if (needed[n] && !exportNode(graph_.nodes()[n])) return std::nullopt;
  if (model_.functions_size() > 0) {
    onnx::OperatorSetIdProto& functions = *model_.add_opset_import();
    functions.set_domain(kFunctionDomain);
    functions.set_version(1);
  }
  std::string predicted = tensorOf(prediction_);
  if (predicted != predictionName_) nodes_.add("Identity", {predicted}, predictionName_);
  setShape(*onnxGraph().add_output(), predictionName_, shapeOf(prediction_));
  return std::move(model_);
}

}  // namespace

std::optional<onnx::ModelProto> exportOnnx(const ir::Graph& graph, const ParameterValues& parameters,
                                           const OnnxExportOptions& options, const SourceBuffer* source,
                                           Diagnostics& diags) {
  for (const GraphNode& node : graph.nodes())
    if (node.op == GraphOp::Parameter && !parameters.count(node.name)) {
      diags.error(fmt::format("ONNX export: no values for parameter '{}'", node.name));
      return std::nullopt;
    }
  return Exporter(graph, parameters, options, source, diags).run();
}

std::string checkOnnx(onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string onnxText(const onnx::ModelProto& model) {
  std::ostringstream text;
  text << "<\n  ir_version: " << model.ir_version() << ",\n  opset_import: [";
  for (int i = 0; i < model.opset_import_size(); ++i)
    text << (i ? ", " : "") << '"' << model.opset_import(i).domain() << "\" : " << model.opset_import(i).version();
  text << "],\n  producer_name: \"" << model.producer_name() << "\",\n  producer_version: \""
       << model.producer_version() << "\"\n>\n";
  // The printer leaves the initializers out: they are listed, without their
  // values, in comments (which the parser skips).
  for (const onnx::TensorProto& tensor : model.graph().initializer()) {
    text << "# initializer " << tensor.name() << ": float[";
    for (int i = 0; i < tensor.dims_size(); ++i) text << (i ? "," : "") << tensor.dims(i);
    text << "]\n";
  }
  // onnx 1.12's printer leaves out a node's domain, which its parser reads
  // as `domain.op`: the copy printed spells it so.
  onnx::GraphProto graph = model.graph();
  for (onnx::NodeProto& node : *graph.mutable_node())
    if (!node.domain().empty()) {
      node.set_op_type(node.domain() + "." + node.op_type());
      node.clear_domain();
    }
  text << graph << "\n";
  for (const onnx::FunctionProto& function : model.functions()) text << "\n" << function << "\n";
  return text.str();
}

}  // namespace nnc::interop
