#include "ir/Graph.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/Printer.h"

namespace nnc::ir {

size_t Graph::addTyped(GraphNode node, std::vector<ValueType> resultTypes) {
  size_t index = nodes_.size();
  bufferOf.clear();  // a new value is in no plan
  node.results.clear();
  for (ValueType& type : resultTypes) {
    node.results.push_back(static_cast<ValueId>(values_.size()));
    values_.push_back({std::move(type.shape), type.element, static_cast<ValueId>(index)});
  }
  nodes_.push_back(std::move(node));
  return index;
}

size_t Graph::add(GraphNode node) {
  TypeResult inferred = inferResultTypes(*this, node, {});
  if (!inferred.problem.empty()) inferred.results = {ValueType{}};  // verify() says what is wrong
  return addTyped(std::move(node), std::move(inferred.results));
}

size_t Graph::add(GraphNode node, const std::vector<TensorShape>& resultShapes) {
  std::vector<ValueType> types;
  for (const TensorShape& shape : resultShapes) types.push_back({ElementType::F32, shape});
  return addTyped(std::move(node), std::move(types));
}

namespace {

// Calls visit(ValueId&) on every value a node reads: its operands and the
// parameters its Map formulas bind.
template <typename Node, typename Visit>
void forEachRead(Node& node, Visit visit) {
  for (auto& operand : node.operands) visit(operand);
  for (auto& segment : node.segments)
    for (auto& param : segment.params) visit(param.value);
}

}  // namespace

void Graph::replaceAllUses(ValueId from, ValueId to) {
  bufferOf.clear();  // lifetimes change
  auto swap = [&](ValueId& v) {
    if (v == from) v = to;
  };
  for (GraphNode& node : nodes_) forEachRead(node, swap);
  for (std::vector<GraphPort>* ports : {&inputs_, &outputs_})
    for (GraphPort& port : *ports) swap(port.value);
  for (LayerApplication& application : layerApplications)
    for (ValueId* v : {&application.input, &application.product, &application.output}) swap(*v);
  for (auto& [parameter, gradient] : gradients) {
    swap(parameter);
    swap(gradient);
  }
}

std::vector<std::vector<size_t>> Graph::readers() const {
  std::vector<std::vector<size_t>> out(values_.size());
  for (size_t n = 0; n < nodes_.size(); ++n)
    forEachRead(nodes_[n], [&](ValueId v) {
      auto& list = out[static_cast<size_t>(v)];
      if (list.empty() || list.back() != n) list.push_back(n);
    });
  return out;
}

size_t Graph::eraseUnusedNodes() {
  std::vector<bool> needed(values_.size(), false);
  auto need = [&](ValueId v) {
    if (v >= 0) needed[static_cast<size_t>(v)] = true;
  };
  for (const std::vector<GraphPort>* ports : {&inputs_, &outputs_})
    for (const GraphPort& port : *ports) need(port.value);
  for (auto [parameter, gradient] : gradients) {
    need(parameter);
    need(gradient);
  }
  // Backwards: a node is kept if any of its results is needed.
  std::vector<bool> keep(nodes_.size(), false);
  for (size_t n = nodes_.size(); n-- > 0;) {
    for (ValueId r : nodes_[n].results) keep[n] = keep[n] || needed[static_cast<size_t>(r)];
    if (keep[n]) forEachRead(nodes_[n], need);
  }
  std::vector<size_t> kept;
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (keep[n]) kept.push_back(n);
  size_t removed = nodes_.size() - kept.size();
  if (removed) reorder(kept);
  return removed;
}

void Graph::sortTopologically(const std::vector<size_t>& wanted) {
  // Kahn's algorithm, taking the ready node that wants the earliest place
  // first (its index, unless `wanted` says otherwise), so a graph already
  // in order keeps it.
  std::vector<std::vector<size_t>> readerNodes = readers();
  std::vector<size_t> waitingFor(nodes_.size(), 0);
  for (size_t n = 0; n < nodes_.size(); ++n)
    forEachRead(nodes_[n], [&](ValueId) { ++waitingFor[n]; });
  using Ready = std::pair<size_t, size_t>;  // (wanted place, index)
  std::priority_queue<Ready, std::vector<Ready>, std::greater<>> ready;
  auto place = [&](size_t n) { return n < wanted.size() ? wanted[n] : n; };
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (waitingFor[n] == 0) ready.push({place(n), n});
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t n = ready.top().second;
    ready.pop();
    order.push_back(n);
    for (ValueId r : nodes_[n].results)
      for (size_t reader : readerNodes[static_cast<size_t>(r)]) {
        // forEachRead counts each read; release one per read of this value.
        forEachRead(nodes_[reader], [&](ValueId v) {
          if (v == r && --waitingFor[reader] == 0) ready.push({place(reader), reader});
        });
      }
  }
  if (order.size() == nodes_.size()) reorder(order);  // else a cycle: verify() reports it
}

void Graph::reorder(const std::vector<size_t>& order) {
  std::vector<ValueId> renumbered(values_.size(), -1);
  std::vector<GraphNode> nodes;
  std::vector<GraphValue> values;
  for (size_t n : order) {
    GraphNode node = std::move(nodes_[n]);
    for (ValueId& r : node.results) {
      values.push_back(values_[static_cast<size_t>(r)]);
      values.back().producer = static_cast<ValueId>(nodes.size());
      renumbered[static_cast<size_t>(r)] = static_cast<ValueId>(values.size() - 1);
      r = renumbered[static_cast<size_t>(r)];
    }
    nodes.push_back(std::move(node));
  }
  for (GraphNode& node : nodes) forEachRead(node, [&](ValueId& v) { v = renumbered[static_cast<size_t>(v)]; });
  nodes_ = std::move(nodes);
  values_ = std::move(values);
  bufferOf.clear();
  auto update = [&](ValueId& v) {
    if (v >= 0) v = renumbered[static_cast<size_t>(v)];
  };
  for (std::vector<GraphPort>* ports : {&inputs_, &outputs_})
    for (GraphPort& port : *ports) update(port.value);
  for (auto& [parameter, gradient] : gradients) {
    update(parameter);
    update(gradient);
  }
  std::erase_if(layerApplications, [&](LayerApplication& application) {
    for (ValueId* v : {&application.input, &application.product, &application.output}) update(*v);
    return application.input < 0 || application.product < 0 || application.output < 0;
  });
}

void Graph::bind(PortRole role, std::string name, ValueId value) {
  bool input = role == PortRole::Samples || role == PortRole::Targets;
  std::vector<GraphPort>& ports = input ? inputs_ : outputs_;
  auto found = std::find_if(ports.begin(), ports.end(), [&](const GraphPort& p) { return p.role == role; });
  if (found != ports.end()) *found = {role, std::move(name), value};
  else ports.push_back({role, std::move(name), value});
  // Samples before targets, the prediction before the loss: the order targets bind them in.
  std::stable_sort(ports.begin(), ports.end(), [](const GraphPort& a, const GraphPort& b) { return a.role < b.role; });
}

ValueId Graph::port(PortRole role) const {
  for (const std::vector<GraphPort>* ports : {&inputs_, &outputs_})
    for (const GraphPort& p : *ports)
      if (p.role == role) return p.value;
  return -1;
}

ValueId Graph::layerOutput(const std::string& layer) const {
  ValueId output = -1;
  for (const LayerApplication& application : layerApplications)
    if (application.layer == layer) output = application.output;
  return output;
}

bool Graph::isLayerOutput(ValueId value) const {
  return std::any_of(layerApplications.begin(), layerApplications.end(),
                     [&](const LayerApplication& application) { return application.output == value; });
}

namespace {

const char* opName(GraphOp op) { return graphOpInfo(op).spelling; }

const char* lossName(LossKind kind) {
  switch (kind) {
    case LossKind::MSE: return "mse";
    case LossKind::BCE: return "bce";
    case LossKind::CrossEntropy: return "cross_entropy";
    case LossKind::BCEWithLogits: return "bce_with_logits";
    case LossKind::L1: return "l1";
    case LossKind::Huber: return "huber";
  }
  return "?";
}

}  // namespace

std::string typeText(const ValueType& type) {
  std::string out = type.element == ElementType::F32 ? "f32[" : "i32[";
  for (size_t i = 0; i < type.shape.size(); ++i) {
    if (i) out += ", ";
    out += type.shape[i] == kBatch ? "N" : std::to_string(type.shape[i]);
  }
  return out + "]";
}

bool readsWindow(GraphOp op) {
  return op == GraphOp::Conv2d || op == GraphOp::Conv2dInputGrad || op == GraphOp::Conv2dWeightGrad ||
         op == GraphOp::MaxPool2d || op == GraphOp::MaxPool2dGrad || op == GraphOp::AvgPool2d ||
         op == GraphOp::AvgPool2dGrad;
}

std::string printGraph(const Graph& graph) {
  std::string out;
  for (const GraphNode& node : graph.nodes()) {
    std::string results;
    for (size_t i = 0; i < node.results.size(); ++i) results += (i ? ", %" : "%") + std::to_string(node.results[i]);
    std::string operands;
    for (size_t i = 0; i < node.operands.size(); ++i) {
      operands += (i ? ", %" : " %") + std::to_string(node.operands[i]);
      if (node.op == GraphOp::MatMul && ((i == 0 && node.transposeA) || (i == 1 && node.transposeB))) operands += "^T";
    }
    std::string detail;
    if (node.op == GraphOp::Parameter) {
      static const char* inits[] = {"zero", "he", "xavier", "constant", "one", "normal"};
      detail = fmt::format(" \"{}\" init={}", node.name, inits[static_cast<int>(node.init)]);
      if (node.init == GraphNode::Init::Constant) detail += fmt::format("({})", node.initialValue);
      if (!node.trained) detail += " statistic";
    }
    if (node.op == GraphOp::Loss || node.op == GraphOp::LossGrad || node.op == GraphOp::Mean)
      detail = fmt::format(" {}", lossName(node.loss));
    if (node.op == GraphOp::Slice || node.op == GraphOp::PadColumns) {
      int64_t columns = graph.value(node.op == GraphOp::Slice ? node.results[0] : node.operands[0]).shape.back();
      detail = fmt::format(" [{}, {})", node.firstColumn, node.firstColumn + columns);
    }
    if (node.op == GraphOp::Dropout || node.op == GraphOp::DropoutGrad)
      detail = fmt::format(" p={} stream={}", node.probability, node.stream);
    if (node.op == GraphOp::BatchNorm) detail = fmt::format(" eps={} momentum={}", node.epsilon, node.momentum);
    if (readsWindow(node.op)) {
      const OpAttributes::Window& w = node.window;
      detail = fmt::format(" kernel={} stride={} padding={}", w.kernel, w.stride, w.padding);
      if (w.dilation != 1) detail += fmt::format(" dilation={}", w.dilation);
      if (w.groups != 1) detail += fmt::format(" groups={}", w.groups);
    }
    std::string shapes;
    bool planned = graph.bufferOf.size() == graph.numValues();
    for (size_t i = 0; i < node.results.size(); ++i) {
      int32_t buffer = planned ? graph.bufferOf[static_cast<size_t>(node.results[i])] : -1;
      shapes += fmt::format("{}{}{}", i ? ", " : "", typeText(graph.value(node.results[i]).type()),
                            buffer >= 0 ? fmt::format(" @{}", buffer) : "");
    }
    out += fmt::format("{} = {}{}{} : {}", results, opName(node.op), detail, operands, shapes);
    if (!node.layer.empty()) out += fmt::format("    # {}", node.layer);
    out += "\n";
    for (const MapSegment& segment : node.segments) {
      out += fmt::format("    columns [{}, {}) ({}", segment.firstColumn, segment.firstColumn + segment.columns,
                         fmt::join(segment.inputVars, ", "));
      for (const MapSegment::Param& p : segment.params)
        out += fmt::format(", {} = %{}{}{}", p.var, p.value,
                           p.firstElement ? fmt::format("[{}{}]", p.firstElement, p.perColumn ? ":" : "") : "",
                           p.perColumn ? " per column" : "");
      out += ")\n";
      for (size_t k = 0; k < segment.outputs.size(); ++k)
        out += fmt::format("      out{} = {}\n", k, print(segment.outputs[k]));
      for (const MapSegment::ColumnSum& sum : segment.columnSums)
        out += fmt::format("      {} into out{}{} += {}\n", sum.total ? "total" : "sum", sum.result,
                           sum.firstElement ? fmt::format("[{}{}]", sum.firstElement, sum.total ? "" : ":") : "",
                           print(sum.formula));
    }
  }
  return out;
}

std::string verify(const Graph& graph) {
  const auto& nodes = graph.nodes();
  // Parameters are saved, loaded and optimised by name: names must be unique.
  std::set<std::string> names;
  for (const GraphNode& node : nodes)
    if (node.op == GraphOp::Parameter && !names.insert(node.name).second)
      return fmt::format("two parameters are named '{}'", node.name);
  for (size_t n = 0; n < nodes.size(); ++n) {
    const GraphNode& node = nodes[n];
    std::string early;
    forEachRead(node, [&](ValueId operand) {
      if (early.empty() && (operand < 0 || static_cast<size_t>(operand) >= graph.numValues() ||
                            static_cast<size_t>(graph.value(operand).producer) >= n))
        early = fmt::format("node {} ({}) reads %{} before it is computed", n, opName(node.op), operand);
    });
    if (!early.empty()) return early;
    std::vector<ValueType> results;
    for (ValueId r : node.results) results.push_back(graph.value(r).type());
    if (TypeResult checked = inferResultTypes(graph, node, results); !checked.problem.empty())
      return fmt::format("node {} ({}): {}", n, opName(node.op), checked.problem);
  }
  return "";
}

}  // namespace nnc::ir
