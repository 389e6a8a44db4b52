#include "ir/Graph.h"

#include <functional>
#include <queue>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/Printer.h"

namespace nnc::ir {

const GraphOpInfo& graphOpInfo(GraphOp op) {
  static const GraphOpInfo table[] = {
#define NNC_GRAPH_OP(Name, spelling, operands, role) {spelling, operands, GraphOpRole::role},
#include "ir/GraphOps.def"
  };
  return table[static_cast<size_t>(op)];
}

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
    if (node.op == GraphOp::Slice || node.op == GraphOp::PadColumns) {
      int64_t columns = graph.value(node.op == GraphOp::Slice ? node.results[0] : node.operands[0]).shape.back();
      detail = fmt::format(" [{}, {})", node.firstColumn, node.firstColumn + columns);
    }
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

namespace {

int64_t elements(const TensorShape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

// The checks of one node's operands, attributes and result shapes; empty
// if they hold. Reads before writes are checked by verify() itself.
class NodeVerifier {
public:
  NodeVerifier(const Graph& graph, size_t n) : graph_(graph), node_(graph.nodes()[n]), n_(n) {}

  std::string check() {
    const GraphOpInfo& info = graphOpInfo(node_.op);
    if (info.operands >= 0 ? node_.operands.size() != static_cast<size_t>(info.operands) : node_.operands.empty())
      return problem(fmt::format("{} operands", node_.operands.size()));
    bool oneResult = node_.op != GraphOp::Map;
    if (oneResult && node_.results.size() != 1) return problem(fmt::format("{} results", node_.results.size()));
    switch (node_.op) {
      case GraphOp::Input: return rankIs(result(0), 2);
      case GraphOp::Labels: return rankIs(result(0), 1);
      case GraphOp::Targets: return rankIs(result(0), 2);
      case GraphOp::Parameter: return "";
      case GraphOp::MatMul: return matMul();
      case GraphOp::AddBias:
        if (operand(1).size() != 1 || operand(0).size() != 2 || operand(0)[1] != operand(1)[0] ||
            result(0) != operand(0))
          return problem(fmt::format("bias {} does not match {}", shapeText(operand(1)), shapeText(operand(0))));
        return "";
      case GraphOp::ColumnSum:
        if (operand(0).size() != 2 || result(0) != TensorShape{operand(0)[1]})
          return problem(fmt::format("{} does not sum to {}", shapeText(operand(0)), shapeText(result(0))));
        return "";
      case GraphOp::Map: return map();
      case GraphOp::Softmax:
      case GraphOp::SoftmaxGrad:
      case GraphOp::LossGrad: {
        size_t same = node_.op == GraphOp::LossGrad ? 1 : node_.operands.size();
        for (size_t i = 0; i < same; ++i)
          if (operand(i).size() != 2 || operand(i) != result(0))
            return problem(fmt::format("operand {} does not match the result {}", shapeText(operand(i)),
                                       shapeText(result(0))));
        return "";
      }
      case GraphOp::Loss:
        if (result(0) != TensorShape{1}) return problem("the loss is not one value");
        if (operand(1).size() == 2 && operand(1) != operand(0))
          return problem(fmt::format("targets {} do not match the prediction {}", shapeText(operand(1)),
                                     shapeText(operand(0))));
        return rankIs(operand(0), 2);
      case GraphOp::Concat: return concat();
      case GraphOp::Slice: return columnRange(operand(0), result(0));
      case GraphOp::PadColumns: return columnRange(result(0), operand(0));
    }
    return problem("unknown op");
  }

private:
  const TensorShape& operand(size_t i) const { return graph_.value(node_.operands[i]).shape; }
  const TensorShape& result(size_t i) const { return graph_.value(node_.results[i]).shape; }
  std::string problem(const std::string& what) const {
    return fmt::format("node {} ({}): {}", n_, graphOpInfo(node_.op).spelling, what);
  }
  std::string rankIs(const TensorShape& shape, size_t rank) const {
    return shape.size() == rank ? "" : problem(fmt::format("{} is not of rank {}", shapeText(shape), rank));
  }

  std::string matMul() const {
    TensorShape a = operand(0), b = operand(1);
    if (a.size() != 2 || b.size() != 2) return problem("operands are not matrices");
    if (node_.transposeA) std::swap(a[0], a[1]);
    if (node_.transposeB) std::swap(b[0], b[1]);
    if (a[1] != b[0] || result(0) != TensorShape{a[0], b[1]})
      return problem(fmt::format("{} x {} does not give {}", shapeText(a), shapeText(b), shapeText(result(0))));
    return "";
  }

  std::string concat() const {
    int64_t columns = 0;
    for (size_t i = 0; i < node_.operands.size(); ++i) {
      if (operand(i).size() != 2 || operand(i)[0] != result(0)[0])
        return problem(fmt::format("operand {} does not have the rows of {}", shapeText(operand(i)),
                                   shapeText(result(0))));
      columns += operand(i)[1];
    }
    if (result(0).size() != 2 || result(0)[1] != columns)
      return problem(fmt::format("the operands' {} columns are not {}", columns, shapeText(result(0))));
    return "";
  }

  // `part` holds columns [firstColumn, ...) of `whole`.
  std::string columnRange(const TensorShape& whole, const TensorShape& part) const {
    if (whole.size() != 2 || part.size() != 2 || whole[0] != part[0] || node_.firstColumn < 0 ||
        node_.firstColumn + part[1] > whole[1])
      return problem(fmt::format("columns from {} of {} do not fit {}", node_.firstColumn, shapeText(part),
                                 shapeText(whole)));
    return "";
  }

  std::string map() const {
    if (node_.results.empty()) return problem("no results");
    for (const MapSegment& segment : node_.segments) {
      if (segment.inputVars.size() != node_.operands.size())
        return problem(fmt::format("{} inputs bound, {} operands", segment.inputVars.size(), node_.operands.size()));
      for (size_t i = 1; i < node_.operands.size(); ++i)
        if (operand(i) != operand(0))
          return problem(fmt::format("operands {} and {} differ", shapeText(operand(0)), shapeText(operand(i))));
      if (segment.firstColumn < 0 || segment.firstColumn + segment.columns > operand(0).back())
        return problem("columns out of range");
      if (segment.outputs.size() > node_.results.size())
        return problem(fmt::format("{} formulas, {} results", segment.outputs.size(), node_.results.size()));
      for (const MapSegment::Param& p : segment.params) {
        int64_t size = elements(graph_.value(p.value).shape);
        if (p.perColumn ? p.firstElement + segment.columns > size : size != 1)
          return problem(fmt::format("parameter {} has {} elements", p.var, size));
      }
      for (const MapSegment::ColumnSum& sum : segment.columnSums) {
        if (sum.result < 0 || static_cast<size_t>(sum.result) >= node_.results.size())
          return problem(fmt::format("a column sum writes result {}", sum.result));
        int64_t size = elements(result(static_cast<size_t>(sum.result)));
        if (size != 1 && sum.firstElement + segment.columns > size) return problem("a column sum overruns its result");
      }
    }
    return "";
  }

  const Graph& graph_;
  const GraphNode& node_;
  size_t n_;
};

}  // namespace

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
    if (std::string problem = NodeVerifier(graph, n).check(); !problem.empty()) return problem;
  }
  return "";
}

}  // namespace nnc::ir
