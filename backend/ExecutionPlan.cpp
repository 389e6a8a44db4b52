#include "backend/ExecutionPlan.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ir/GraphAncestors.h"

namespace nnc::backend {

namespace {

using ir::GraphNode;
using ir::GraphOp;
using ir::ValueId;

bool batchSized(const ir::TensorShape& shape) { return !shape.empty() && shape[0] == ir::kBatch; }

int64_t alignUp(int64_t floats) { return (floats + kPlanAlignFloats - 1) / kPlanAlignFloats * kPlanAlignFloats; }

void placeValues(const ir::Graph& graph, ExecutionPlan& plan) {
  plan.placement.assign(graph.numValues(), Placement{});
  std::map<ValueId, int32_t> parameterOf;
  std::map<int32_t, int64_t> bufferOffset;
  std::set<ValueId> gradients;  // they live in the gradient array, at their parameter's offset
  for (auto [parameter, gradient] : graph.gradients) gradients.insert(gradient);
  bool planned = graph.bufferOf.size() == graph.numValues();
  for (const GraphNode& node : graph.nodes()) {
    for (ValueId r : node.results) {
      Placement& place = plan.placement[static_cast<size_t>(r)];
      const ir::TensorShape& shape = graph.value(r).shape;
      if (node.op == GraphOp::Input) {
        place.region = Region::Input;
      } else if (node.op == GraphOp::Labels || node.op == GraphOp::Targets) {
        place.region = Region::Targets;
      } else if (node.op == GraphOp::Parameter) {
        PlannedParameter p{node.name, node.layer, r, -1, shape, plan.parameterFloats,
                           ir::elementsPerBatchRow(shape), node.init, node.initialValue, node.trained};
        place = {Region::Parameters, plan.parameterFloats, static_cast<int32_t>(plan.parameters.size())};
        parameterOf[r] = place.parameter;
        plan.parameterFloats = alignUp(plan.parameterFloats + p.count);
        plan.parameters.push_back(std::move(p));
      } else if (batchSized(shape)) {
        place.region = Region::Batch;
        int32_t buffer = planned ? graph.bufferOf[static_cast<size_t>(r)] : -1;
        auto found = buffer >= 0 ? bufferOffset.find(buffer) : bufferOffset.end();
        if (found != bufferOffset.end()) {
          place.offset = found->second;
        } else {
          place.offset = plan.batchColumns;
          if (buffer >= 0) bufferOffset[buffer] = plan.batchColumns;
          plan.batchColumns = alignUp(plan.batchColumns + ir::rowWidth(shape));
        }
      } else if (!gradients.count(r)) {
        place = {Region::Fixed, plan.fixedFloats, -1};
        plan.fixedFloats = alignUp(plan.fixedFloats + ir::elementsPerBatchRow(shape));
      }
    }
  }
  for (auto [parameter, gradient] : graph.gradients) {
    int32_t index = parameterOf.at(parameter);
    plan.parameters[static_cast<size_t>(index)].gradient = gradient;
    plan.placement[static_cast<size_t>(gradient)] = {Region::Gradients,
                                                     plan.parameters[static_cast<size_t>(index)].offset, index};
  }
}

// The phases, by what each node is needed for: the prediction's ancestors
// are the forward pass; the loss's other ancestors the loss phase (the Loss
// node, or an elementwise loss formula and its mean); everything else (the
// gradients) the backward pass.
void splitPhases(const ir::Graph& graph, ExecutionPlan& plan) {
  const std::vector<GraphNode>& nodes = graph.nodes();
  std::vector<bool> forward = ir::ancestorNodesOfValue(graph, graph.prediction());
  std::vector<bool> loss = ir::ancestorNodesOfValue(graph, graph.loss());
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (ir::graphOpInfo(nodes[n].op).role == ir::GraphOpRole::Source) continue;
    if (forward[n]) plan.forward.push_back(n);
    else if (loss[n]) plan.loss.push_back(n);
    else plan.backward.push_back(n);
  }
}

std::string kernelLabel(const GraphNode& node, const ir::MapSegment& segment) {
  return fmt::format("map %{}{}, columns [{}, {})", node.results[0], node.layer.empty() ? "" : " (" + node.layer + ")",
                     segment.firstColumn, segment.firstColumn + segment.columns);
}

void planKernels(const ir::Graph& graph, ExecutionPlan& plan) {
  plan.kernelOf.resize(graph.nodes().size());
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const GraphNode& node = graph.nodes()[n];
    for (size_t s = 0; s < node.segments.size(); ++s) {
      const ir::MapSegment& segment = node.segments[s];
      PlannedKernel kernel{n, s, {}, kernelLabel(node, segment)};
      kernel.spec.outputs = segment.outputs;
      kernel.spec.inputs = segment.inputVars;
      for (const ir::MapSegment::Param& p : segment.params) kernel.spec.parameters.push_back({p.var, p.perColumn});
      for (const ir::MapSegment::ColumnSum& sum : segment.columnSums) kernel.spec.columnSums.push_back(sum.formula);
      plan.kernelOf[n].push_back(plan.kernels.size());
      plan.kernels.push_back(std::move(kernel));
    }
  }
}

}  // namespace

int64_t ExecutionPlan::offsetIn(ir::ValueId value, int64_t rows) const {
  const Placement& place = placement[static_cast<size_t>(value)];
  switch (place.region) {
    case Region::Batch: return rows * place.offset;
    case Region::Fixed: return rows * batchColumns + place.offset;
    case Region::Parameters:
    case Region::Gradients: return place.offset;
    case Region::None:
    case Region::Input:
    case Region::Targets: return 0;
  }
  return 0;
}

std::optional<ExecutionPlan> planExecution(const ir::Graph& graph, std::string& error) {
  ExecutionPlan plan;
  plan.input = graph.input();
  plan.targets = graph.labels();
  plan.prediction = graph.prediction();
  plan.lossValue = graph.loss();
  for (const GraphNode& node : graph.nodes())
    if (node.op == GraphOp::Targets) plan.realTargets = true;
  if (graph.loss() >= 0) {
    // A Loss node reads the compared value; a Mean reads the loss formula's
    // Map, which reads it first (passes/LossFormulas.h).
    const GraphNode& loss = graph.nodes()[static_cast<size_t>(graph.value(graph.loss()).producer)];
    plan.lossKind = loss.loss;
    plan.lossInput = loss.operands[0];
    if (loss.op == GraphOp::Mean) plan.lossInput = graph.nodes()[static_cast<size_t>(graph.value(plan.lossInput).producer)].operands[0];
  }
  placeValues(graph, plan);
  splitPhases(graph, plan);
  // The memory plan's lifetimes follow the graph's order: the phases must
  // run in it (a backward node placed before the loss would break that).
  std::vector<size_t> order = plan.forward;
  order.insert(order.end(), plan.loss.begin(), plan.loss.end());
  order.insert(order.end(), plan.backward.begin(), plan.backward.end());
  if (!std::is_sorted(order.begin(), order.end())) {
    error = "internal error: the graph interleaves backward nodes with the forward pass";
    return std::nullopt;
  }
  planKernels(graph, plan);
  return plan;
}

std::string firstUnsupported(const Target& target, const ir::Graph& graph, const ExecutionPlan& plan) {
  for (size_t n = 0; n < graph.nodes().size(); ++n)
    if (std::string problem = target.unsupported(graph, plan, n); !problem.empty()) return problem;
  return "";
}

}  // namespace nnc::backend
