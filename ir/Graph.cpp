#include "ir/Graph.h"

#include <functional>
#include <queue>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/Printer.h"

namespace nnc::ir {

size_t Graph::add(GraphNode node, const std::vector<TensorShape>& resultShapes) {
  size_t index = nodes_.size();
  bufferOf.clear();  // a new value is in no plan
  node.results.clear();
  for (const TensorShape& shape : resultShapes) {
    node.results.push_back(static_cast<ValueId>(values_.size()));
    values_.push_back({shape, static_cast<ValueId>(index)});
  }
  nodes_.push_back(std::move(node));
  return index;
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
  for (ValueId* named : {&input, &labels, &prediction, &loss}) swap(*named);
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
  for (ValueId v : {input, labels, prediction, loss}) need(v);
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

void Graph::sortTopologically() {
  // Kahn's algorithm, taking the earliest ready node first, so a graph
  // already in order keeps it.
  std::vector<std::vector<size_t>> readerNodes = readers();
  std::vector<size_t> waitingFor(nodes_.size(), 0);
  for (size_t n = 0; n < nodes_.size(); ++n)
    forEachRead(nodes_[n], [&](ValueId) { ++waitingFor[n]; });
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (waitingFor[n] == 0) ready.push(n);
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t n = ready.top();
    ready.pop();
    order.push_back(n);
    for (ValueId r : nodes_[n].results)
      for (size_t reader : readerNodes[static_cast<size_t>(r)]) {
        // forEachRead counts each read; release one per read of this value.
        forEachRead(nodes_[reader], [&](ValueId v) {
          if (v == r && --waitingFor[reader] == 0) ready.push(reader);
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
      values.push_back({values_[static_cast<size_t>(r)].shape, static_cast<ValueId>(nodes.size())});
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
  for (ValueId* named : {&input, &labels, &prediction, &loss}) update(*named);
  for (auto& [parameter, gradient] : gradients) {
    update(parameter);
    update(gradient);
  }
}

namespace {

const char* opName(GraphOp op) {
  switch (op) {
    case GraphOp::Input: return "input";
    case GraphOp::Labels: return "labels";
    case GraphOp::Parameter: return "parameter";
    case GraphOp::MatMul: return "matmul";
    case GraphOp::AddBias: return "add_bias";
    case GraphOp::ColumnSum: return "column_sum";
    case GraphOp::Map: return "map";
    case GraphOp::Softmax: return "softmax";
    case GraphOp::SoftmaxGrad: return "softmax_grad";
    case GraphOp::Loss: return "loss";
    case GraphOp::LossGrad: return "loss_grad";
  }
  return "?";
}

const char* lossName(LossKind kind) {
  switch (kind) {
    case LossKind::MSE: return "mse";
    case LossKind::BCE: return "bce";
    case LossKind::CrossEntropy: return "cross_entropy";
    case LossKind::BCEWithLogits: return "bce_with_logits";
  }
  return "?";
}

std::string shapeText(const TensorShape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += shape[i] == kBatch ? "N" : std::to_string(shape[i]);
  }
  return out + "]";
}

}  // namespace

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
      static const char* inits[] = {"zero", "he", "xavier", "constant"};
      detail = fmt::format(" \"{}\" init={}", node.name, inits[static_cast<int>(node.init)]);
      if (node.init == GraphNode::Init::Constant) detail += fmt::format("({})", node.initialValue);
    }
    if (node.op == GraphOp::Loss || node.op == GraphOp::LossGrad) detail = fmt::format(" {}", lossName(node.loss));
    std::string shapes;
    bool planned = graph.bufferOf.size() == graph.numValues();
    for (size_t i = 0; i < node.results.size(); ++i) {
      int32_t buffer = planned ? graph.bufferOf[static_cast<size_t>(node.results[i])] : -1;
      shapes += fmt::format("{}{}{}", i ? ", " : "", shapeText(graph.value(node.results[i]).shape),
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
                           p.firstElement ? fmt::format("[{}:]", p.firstElement) : "", p.perColumn ? " per column" : "");
      out += ")\n";
      for (size_t k = 0; k < segment.outputs.size(); ++k)
        out += fmt::format("      out{} = {}\n", k, print(segment.outputs[k]));
      for (const MapSegment::ColumnSum& sum : segment.columnSums)
        out += fmt::format("      sum into out{}{} += {}\n", sum.result,
                           sum.firstElement ? fmt::format("[{}:]", sum.firstElement) : "", print(sum.formula));
    }
  }
  return out;
}

static int64_t elements(const TensorShape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
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
    auto shape = [&](size_t i) { return graph.value(node.operands[i]).shape; };
    for (ValueId operand : node.operands)
      if (operand < 0 || static_cast<size_t>(operand) >= graph.numValues() ||
          static_cast<size_t>(graph.value(operand).producer) >= n)
        return fmt::format("node {} ({}) reads %{} before it is computed", n, opName(node.op), operand);
    auto resultShape = [&](size_t i) { return graph.value(node.results[i]).shape; };
    switch (node.op) {
      case GraphOp::MatMul: {
        TensorShape a = shape(0), b = shape(1);
        if (node.transposeA) std::swap(a[0], a[1]);
        if (node.transposeB) std::swap(b[0], b[1]);
        if (a[1] != b[0] || resultShape(0) != TensorShape{a[0], b[1]})
          return fmt::format("node {} (matmul): {} x {} does not give {}", n, shapeText(a), shapeText(b),
                             shapeText(resultShape(0)));
        break;
      }
      case GraphOp::Softmax:
      case GraphOp::SoftmaxGrad:
        for (size_t i = 0; i < node.operands.size(); ++i)
          if (shape(i).size() != 2 || shape(i) != resultShape(0))
            return fmt::format("node {} ({}): operand {} does not match the result {}", n, opName(node.op),
                               shapeText(shape(i)), shapeText(resultShape(0)));
        break;
      case GraphOp::AddBias:
        if (shape(1).size() != 1 || shape(0)[1] != shape(1)[0])
          return fmt::format("node {} (add_bias): bias {} does not match {}", n, shapeText(shape(1)), shapeText(shape(0)));
        break;
      case GraphOp::Map:
        for (const MapSegment& segment : node.segments) {
          if (segment.inputVars.size() != node.operands.size())
            return fmt::format("node {} (map): {} inputs bound, {} operands", n, segment.inputVars.size(),
                               node.operands.size());
          if (segment.firstColumn < 0 || segment.firstColumn + segment.columns > shape(0).back())
            return fmt::format("node {} (map): columns out of range", n);
          if (segment.outputs.size() > node.results.size())
            return fmt::format("node {} (map): {} formulas, {} results", n, segment.outputs.size(), node.results.size());
          for (const MapSegment::Param& p : segment.params) {
            int64_t size = elements(graph.value(p.value).shape);
            if (p.perColumn ? p.firstElement + segment.columns > size : size != 1)
              return fmt::format("node {} (map): parameter {} has {} elements", n, p.var, size);
          }
          for (const MapSegment::ColumnSum& sum : segment.columnSums) {
            if (sum.result < 0 || static_cast<size_t>(sum.result) >= node.results.size())
              return fmt::format("node {} (map): a column sum writes result {}", n, sum.result);
            int64_t size = elements(resultShape(static_cast<size_t>(sum.result)));
            if (size != 1 && sum.firstElement + segment.columns > size)
              return fmt::format("node {} (map): a column sum overruns its result", n);
          }
        }
        break;
      default: break;
    }
  }
  return "";
}

}  // namespace nnc::ir
