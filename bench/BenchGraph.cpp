#include "bench/BenchGraph.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "ir/Expr.h"
#include "passes/Pipeline.h"

namespace nnc::bench {

const std::vector<Activation>& benchActivations() {
  static const std::vector<Activation> activations = {
      {"swish", "activation swish(x) = x * sigmoid(x);"},
      {"gelu", "activation gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2)));"},
      // Mish with a learnable slope: four operations and a parameter gradient.
      {"custom", "activation custom(x; learnable a = 0.5) = x * tanh(softplus(a * x));"},
  };
  return activations;
}

const char* variantName(Variant variant) { return variant == Variant::Fused ? "fused" : "unfused"; }

// unfuse-elementwise goes just before autodiff, not first: fuse-elementwise
// would otherwise fuse the pieces again and both variants would be one
// graph. So the forward passes are the same, the bias is in the first op
// (fuse-bias), and autodiff sees one op per Map, as a framework's autograd.
std::vector<std::string> pipelineFor(Variant variant) {
  std::vector<std::string> names = passes::passesForLevel(2, /*training=*/true);
  if (variant == Variant::Unfused)
    names.insert(std::find(names.begin(), names.end(), "autodiff"), "unfuse-elementwise");
  return names;
}

std::optional<ir::Graph> buildLayerGraph(const Activation& activation, int64_t columns, ir::ExprContext& exprs,
                                         Diagnostics& diags) {
  std::string text = fmt::format("{}\nmodel layer {{ input {}; dense h({}, {}); dense out(1); loss mse; }}\n",
                                 activation.declaration, columns, columns, activation.name);
  std::optional<frontend::Program> program = frontend::analyzeProgramText(activation.name + ".nn", text, exprs, diags);
  if (!program) return std::nullopt;
  ir::Graph graph = frontend::buildForwardGraph(program->models.front(), exprs);
  // Drop the matrix product: the bias then reads the input directly, and
  // the weight, read by nothing, goes with it.
  for (const ir::GraphNode& node : graph.nodes()) {
    if (node.op != ir::GraphOp::MatMul || node.operands[0] != graph.input()) continue;
    graph.replaceAllUses(node.results[0], graph.input());
    break;
  }
  graph.eraseUnusedNodes();
  return graph;
}

bool optimize(ir::Graph& graph, Variant variant, Diagnostics& diags) {
  passes::PipelineOptions options;
  options.passes = pipelineFor(variant);
  std::optional<passes::Pipeline> pipeline = passes::Pipeline::create(options, diags);
  if (!pipeline) return false;
  passes::PassContext context(diags, nullptr);
  return pipeline->run(graph, context);
}

namespace {

bool batchSized(const ir::Graph& graph, ir::ValueId v) {
  const ir::TensorShape& shape = graph.value(v).shape;
  return shape.size() == 2 && shape[0] == ir::kBatch;
}

// Whether `node` uses its i-th operand: a Map's formulas may not mention
// every operand (autodiff passes a Map's backward all the forward inputs).
bool readsOperand(const ir::GraphNode& node, size_t i) {
  if (node.op != ir::GraphOp::Map) return true;
  for (const ir::MapSegment& segment : node.segments) {
    for (ir::ExprRef out : segment.outputs)
      if (ir::dependsOn(out, segment.inputVars[i])) return true;
    for (const ir::MapSegment::ColumnSum& sum : segment.columnSums)
      if (ir::dependsOn(sum.formula, segment.inputVars[i])) return true;
  }
  return false;
}

}  // namespace

MemoryUse memoryUse(const ir::Graph& graph, int64_t rows) {
  MemoryUse use;
  // Without a plan every value has a buffer of its own.
  std::set<int32_t> buffers;
  for (size_t v = 0; v < graph.numValues(); ++v) {
    ir::ValueId id = static_cast<ir::ValueId>(v);
    if (!batchSized(graph, id)) continue;
    bool planned = graph.bufferOf.size() == graph.numValues() && graph.bufferOf[v] >= 0;
    if (planned && !buffers.insert(graph.bufferOf[v]).second) continue;  // counted already
    use.bufferBytes += rows * graph.value(id).shape[1] * static_cast<int64_t>(sizeof(float));
  }
  // The backward part starts at the loss gradient (autodiff appends it):
  // the runtime's (loss_grad) or a loss formula's mean's (mean_grad).
  const std::vector<ir::GraphNode>& nodes = graph.nodes();
  auto lossGrad = std::find_if(nodes.begin(), nodes.end(), [](const ir::GraphNode& n) {
    return n.op == ir::GraphOp::LossGrad || n.op == ir::GraphOp::MeanGrad;
  });
  size_t backwardStart = static_cast<size_t>(lossGrad - nodes.begin());
  std::set<ir::ValueId> saved;
  for (size_t n = backwardStart; n < nodes.size(); ++n) {
    for (size_t i = 0; i < nodes[n].operands.size(); ++i) {
      ir::ValueId operand = nodes[n].operands[i];
      bool forward = static_cast<size_t>(graph.value(operand).producer) < backwardStart;
      if (forward && batchSized(graph, operand) && readsOperand(nodes[n], i)) saved.insert(operand);
    }
  }
  use.savedTensors = static_cast<int>(saved.size());
  for (ir::ValueId v : saved) use.savedBytes += rows * graph.value(v).shape[1] * static_cast<int64_t>(sizeof(float));
  return use;
}

}  // namespace nnc::bench
