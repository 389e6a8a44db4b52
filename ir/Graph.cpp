#include "ir/Graph.h"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/Printer.h"

namespace nnc::ir {

size_t Graph::add(GraphNode node, const std::vector<TensorShape>& resultShapes) {
  size_t index = nodes_.size();
  node.results.clear();
  for (const TensorShape& shape : resultShapes) {
    node.results.push_back(static_cast<ValueId>(values_.size()));
    values_.push_back({shape, static_cast<ValueId>(index)});
  }
  nodes_.push_back(std::move(node));
  return index;
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
    for (size_t i = 0; i < node.results.size(); ++i)
      shapes += (i ? ", " : "") + shapeText(graph.value(node.results[i]).shape);
    out += fmt::format("{} = {}{}{} : {}", results, opName(node.op), detail, operands, shapes);
    if (!node.layer.empty()) out += fmt::format("    # {}", node.layer);
    out += "\n";
    for (const MapSegment& segment : node.segments) {
      out += fmt::format("    columns [{}, {}) ({}", segment.firstColumn, segment.firstColumn + segment.columns,
                         fmt::join(segment.inputVars, ", "));
      for (const MapSegment::Param& p : segment.params)
        out += fmt::format(", {} = %{}{}", p.var, p.value, p.perColumn ? " per column" : "");
      out += ")\n";
      for (size_t k = 0; k < segment.outputs.size(); ++k)
        out += fmt::format("      out{} = {}\n", k, print(segment.outputs[k]));
      for (size_t k = 0; k < segment.columnSums.size(); ++k)
        out += fmt::format("      sum into out{} += {}\n", segment.columnSumResults[k], print(segment.columnSums[k]));
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
      case GraphOp::AddBias:
        if (shape(1).size() != 1 || shape(0)[1] != shape(1)[0])
          return fmt::format("node {} (add_bias): bias {} does not match {}", n, shapeText(shape(1)), shapeText(shape(0)));
        break;
      case GraphOp::Map:
        for (const MapSegment& segment : node.segments) {
          if (segment.inputVars.size() != node.operands.size())
            return fmt::format("node {} (map): {} inputs bound, {} operands", n, segment.inputVars.size(),
                               node.operands.size());
          if (segment.firstColumn < 0 || segment.firstColumn + segment.columns > shape(0)[1])
            return fmt::format("node {} (map): columns out of range", n);
        }
        break;
      default: break;
    }
  }
  return "";
}

}  // namespace nnc::ir
